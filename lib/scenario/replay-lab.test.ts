import { describe, expect, it } from 'vitest';
import type { CommandRecord } from '../ssh/command-record.js';
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
  // As recorded: drbd1 a, drbd2 c, drbd1 b, drbd3 d.
  const three = () => ({ ...recording([rec('drbd1', 'a', 0, 5000), rec('drbd2', 'c', 1, 2000), rec('drbd1', 'b', 5, 1000), rec('drbd3', 'd', 10, 1000)]), nodes: [{ name: 'drbd1', replicationIp: '10.255.255.101' }, { name: 'drbd2', replicationIp: '10.255.255.102' }, { name: 'drbd3', replicationIp: '10.255.255.103' }] });

  it('replay in the recorded order whichever node asks first', async () => {
    for (const first of ['drbd3', 'drbd2', 'drbd1'] as const) {
      const lab = new ReplayLab(three());
      const replayed: string[] = [];
      const chains = { drbd1: ['a', 'b'], drbd2: ['c'], drbd3: ['d'] };
      const run = (n: keyof typeof chains) => (async () => {
        for (const c of chains[n]) replayed.push((await lab.node(n).exec(c)).stdout);
      })();
      const order = [first, ...(['drbd1', 'drbd2', 'drbd3'] as const).filter((n) => n !== first)];
      await Promise.all(order.map(run));
      expect(replayed, `chains started from ${first}`).toEqual(['drbd1:a', 'drbd2:c', 'drbd1:b', 'drbd3:d']);
      expect(lab.remaining).toEqual([]);
    }
  });

  it('a node whose chain runs ahead in the replay waits for what the other node had done first', async () => {
    // Enable on both at once; drbd2 was quicker and checked first.
    const lab = new ReplayLab(recording([rec('drbd1', 'enable', 0, 10_000), rec('drbd2', 'enable', 0, 8000), rec('drbd2', 'check', 9, 1000), rec('drbd1', 'check', 11, 1000)]));
    const order: string[] = [];
    const chain = (n: 'drbd1' | 'drbd2') => async () => {
      for (const c of ['enable', 'check']) {
        await lab.node(n).exec(c);
        order.push(`${n} ${c}`);
      }
    };
    // drbd1's chain starts first and would reach its check first without the wait.
    await Promise.all([chain('drbd1')(), chain('drbd2')()]);
    expect(order.indexOf('drbd2 check')).toBeLessThan(order.indexOf('drbd1 check'));
    expect(lab.remaining).toEqual([]);
  });

  it('a command whose turn never comes (no one replays what is before it) is a mismatch naming what is missing', async () => {
    const lab = new ReplayLab(three());
    await lab.node('drbd1').exec('a');
    // drbd2's c is never run: d waits, nothing moves, and the replay says what it waited for.
    await expect(lab.node('drbd3').exec('d')).rejects.toThrow(/recording has drbd2\$ c\n {2}but the scenario ran drbd3\$ d/);
  });

  it("each node's own commands keep their order", async () => {
    const lab = new ReplayLab(three());
    await expect(lab.node('drbd1').exec('b')).rejects.toThrow(/recording has drbd1\$ a\n {2}but the scenario ran drbd1\$ b/);
  });
});
