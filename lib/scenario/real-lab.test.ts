// realScenarioLab: a StartedLab as the scenarios see it. Its nodes' commands go to the VMs; its
// host-side actions are marked in the transcript first (a replay meets them there, in order);
// its labels say what the report shows of the run. On a lab written here (the VMs are the port).
import { describe, expect, it } from 'vitest';
import type { StartedLab } from '../lab/started-lab.js';
import type { CommandRecord } from '../ssh/command-record.js';
import { UsageError } from '../errors.js';
import { systemClock } from '../wait/poll.js';
import { realScenarioLab } from './real-lab.js';

function started(o: { accel?: 'kvm' | 'tcg'; snapshot?: { dir: string; digest: string; point: string } } = {}) {
  const events: string[] = [];
  const records: Omit<CommandRecord, 'seq'>[] = [];
  const node = (name: string, ip: string) => ({
    name,
    info: { replicationIp: ip },
    exec: async (c: string, opts?: object) => (events.push(`${name} exec ${c} ${JSON.stringify(opts)}`), { stdout: `${name}:${c}`, stderr: '', exitCode: 0, durationMs: 1 }),
    output: async (c: string, opts?: object) => (events.push(`${name} output ${c} ${JSON.stringify(opts)}`), `${name}:${c}`),
    reboot: async () => void events.push(`${name} reboot`),
    replicationLink: async (state: string) => void events.push(`${name} link ${state}`),
    powerOff: async () => void events.push(`${name} power off`),
    powerOn: async () => void events.push(`${name} power on`),
    consoleLog: async () => `${name} console`,
  });
  const lab = {
    id: 'lab-7',
    nodeList: [node('drbd1', '10.255.255.101'), node('drbd2', '10.255.255.102')],
    timeoutScale: o.accel === 'tcg' ? 3 : 1,
    host: { folders: { state: '/labs' } },
    state: {
      profile: 'debian12-drbd84',
      accel: o.accel ?? 'kvm',
      image: { dir: '/img', digest: 'd', versions: { 'drbd-utils': '9.22.0-1', kernel: '6.1.0-28-amd64' } },
      ...(o.snapshot ? { snapshot: o.snapshot } : {}),
    },
    transcript: {
      record: async (r: Omit<CommandRecord, 'seq'>) => {
        records.push(r);
        events.push(`mark ${r.node} ${r.command}`);
      },
    },
  };
  return { lab: lab as unknown as StartedLab, events, records };
}

describe('realScenarioLab', () => {
  it("the lab's nodes by name, its profile, stack, scale and the system clock; an unknown node is a UsageError naming the lab", () => {
    const { lab } = started({ accel: 'tcg' });
    const l = realScenarioLab(lab);
    expect([l.mode, l.profile, l.stack, l.timeoutScale, l.clock]).toEqual(['real', 'debian12-drbd84', 'drbdadm', 3, systemClock]);
    expect(l.nodes.map((n) => [n.name, n.replicationIp])).toEqual([['drbd1', '10.255.255.101'], ['drbd2', '10.255.255.102']]);
    expect(l.node('drbd2')).toBe(l.nodes[1]);
    expect(() => l.node('drbd9')).toThrow(UsageError);
    expect(() => l.node('drbd9')).toThrow('no node drbd9 in lab lab-7');
    expect('fault' in l).toBe(false);
    expect(realScenarioLab(lab, 'wrong-peer-ip').fault).toBe('wrong-peer-ip');
  });

  it("commands go to the node as asked, with their options; the console log is the node's", async () => {
    const { lab, events, records } = started();
    const n = realScenarioLab(lab).node('drbd1');
    expect(await n.exec('uname -r', { check: false })).toEqual({ stdout: 'drbd1:uname -r', stderr: '', exitCode: 0, durationMs: 1 });
    expect(await n.output('hostname', { timeoutMs: 5 })).toBe('drbd1:hostname');
    expect(await n.consoleLog()).toBe('drbd1 console');
    expect(events).toEqual(['drbd1 exec uname -r {"check":false}', 'drbd1 output hostname {"timeoutMs":5}']);
    // The session records its own commands: nothing marked here.
    expect(records).toEqual([]);
  });

  it('a reboot, link cut and power cut are marked in the transcript before they happen, on their node', async () => {
    const { lab, events, records } = started();
    const l = realScenarioLab(lab);
    await l.node('drbd2').reboot();
    await l.node('drbd1').replicationLink('down');
    await l.node('drbd1').replicationLink('up');
    await l.node('drbd2').powerOff();
    await l.node('drbd2').powerOn();
    expect(events).toEqual([
      'mark drbd2 #reboot', 'drbd2 reboot',
      'mark drbd1 #link down', 'drbd1 link down',
      'mark drbd1 #link up', 'drbd1 link up',
      'mark drbd2 #power off', 'drbd2 power off',
      'mark drbd2 #power on', 'drbd2 power on',
    ]);
    // A mark is a command that said nothing and took no time, stamped now.
    expect(records[0]).toEqual({ node: 'drbd2', command: '#reboot', stdout: '', stderr: '', exitCode: 0, startedAt: expect.any(String), durationMs: 0 });
    expect(Number.isNaN(Date.parse(records[0]!.startedAt))).toBe(false);
  });

  it("labels: the profile, real evidence, the hypervisor, the lab and its folder, how the cluster came up, each package's version", () => {
    expect(realScenarioLab(started().lab).labels).toEqual({
      profile: 'debian12-drbd84',
      evidence: 'real',
      hypervisor: 'KVM',
      labId: 'lab-7',
      labDir: '/labs/lab-7',
      cluster: 'fresh boot',
      'pkg:drbd-utils': '9.22.0-1',
      'pkg:kernel': '6.1.0-28-amd64',
    });
    const restored = started({ accel: 'tcg', snapshot: { dir: '/snap', digest: '0123456789abcdef0123', point: 'ready' } });
    expect(realScenarioLab(restored.lab).labels).toMatchObject({ hypervisor: 'TCG', cluster: 'restored from snapshot ready 0123456789ab' });
  });
});
