import { describe, expect, it } from 'vitest';
import type { CommandRecord } from '../report/command-record.js';
import type { Recording } from './recording.js';
import { ReplayLab, ReplayMismatchError } from './replay-lab.js';

let seq = 0;
const rec = (node: string, command: string, at = 0, durationMs = 0): CommandRecord => ({
  seq: ++seq, node, command, stdout: `${node}:${command}`, stderr: '', exitCode: 0, startedAt: new Date(Date.UTC(2026, 10, 28, 0, 0, at)).toISOString(), durationMs,
});

function recording(commands: CommandRecord[]): Recording {
  return {
    profile: 'debian12-drbd84', evidence: 'real', source: 'recorded on VMs: lab test, 2026-11-28', labels: {},
    nodes: [{ name: 'drbd1', replicationIp: '10.255.255.101' }, { name: 'drbd2', replicationIp: '10.255.255.102' }],
    commands,
  } as Recording;
}

describe('host-side faults in a replay', () => {
  it('are met in the order the real run recorded them', async () => {
    const lab = new ReplayLab(recording([rec('drbd1', '#link down'), rec('drbd1', '#link up'), rec('drbd2', '#power off'), rec('drbd2', '#power on')]));
    await lab.node('drbd1').replicationLink('down');
    await lab.node('drbd1').replicationLink('up');
    await lab.node('drbd2').powerOff();
    await lab.node('drbd2').powerOn();
    expect(lab.remaining).toEqual([]);
  });

  it('a fault on another node, or another fault, differs from the recording', async () => {
    const lab = new ReplayLab(recording([rec('drbd1', '#link down')]));
    await expect(lab.node('drbd2').replicationLink('down')).rejects.toBeInstanceOf(ReplayMismatchError);
    await expect(lab.node('drbd1').powerOff()).rejects.toThrow(/recording has drbd1\$ #link down\n {2}but the scenario ran drbd1\$ #power off/);
  });
});

describe('commands on several nodes at once', () => {
  // drbd1 ran a (0–5 s) and b (5–6 s); drbd2 ran c (1–3 s), overlapping a; drbd3 ran d at 10 s, after all of them.
  const overlapping = () => recording([rec('drbd1', 'a', 0, 5000), rec('drbd2', 'c', 1, 2000), rec('drbd1', 'b', 5, 1000), rec('drbd3', 'd', 10, 1000)]);

  it('commands that overlapped in the real run replay in either order', async () => {
    for (const order of [['drbd1', 'drbd2'], ['drbd2', 'drbd1']] as const) {
      const lab = new ReplayLab({ ...overlapping(), nodes: [...overlapping().nodes, { name: 'drbd3', replicationIp: '10.255.255.103' }] });
      const first = order[0] === 'drbd1' ? 'a' : 'c';
      const second = order[0] === 'drbd1' ? 'c' : 'a';
      expect((await lab.node(order[0]).exec(first)).stdout).toBe(`${order[0]}:${first}`);
      expect((await lab.node(order[1]).exec(second)).stdout).toBe(`${order[1]}:${second}`);
      await lab.node('drbd1').exec('b');
      await lab.node('drbd3').exec('d');
      expect(lab.remaining).toEqual([]);
    }
  });

  it('a command cannot jump ahead of one that had ended before it started', async () => {
    const lab = new ReplayLab({ ...overlapping(), nodes: [...overlapping().nodes, { name: 'drbd3', replicationIp: '10.255.255.103' }] });
    // d started after a, c and b had ended: running it first is another story than the recorded one.
    await expect(lab.node('drbd3').exec('d')).rejects.toThrow(/recording has drbd1\$ a\n {2}but the scenario ran drbd3\$ d/);
    await lab.node('drbd1').exec('a');
    await expect(lab.node('drbd3').exec('d')).rejects.toThrow(/recording has drbd2\$ c/);
  });

  it("each node's own commands keep their order", async () => {
    const lab = new ReplayLab(overlapping());
    await expect(lab.node('drbd1').exec('b')).rejects.toThrow(/recording has drbd1\$ a\n {2}but the scenario ran drbd1\$ b/);
  });
});
