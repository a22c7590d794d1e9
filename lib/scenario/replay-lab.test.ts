import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CommandRecord } from '../ssh/command-record.js';
import type { Recording } from './recording.js';
import { Redactor } from '../ssh/command-record.js';
import { ReplayLab, ReplayMismatchError, VirtualClock } from './replay-lab.js';

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
    const lab = new ReplayLab(recording([rec('drbd1', '#link down'), rec('drbd1', '#link up'), rec('drbd2', '#power off'), rec('drbd2', '#power on'), rec('drbd1', '#reboot')]));
    await lab.node('drbd1').replicationLink('down');
    await lab.node('drbd1').replicationLink('up');
    await lab.node('drbd2').powerOff();
    await lab.node('drbd2').powerOn();
    await lab.node('drbd1').reboot();
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

  // A held-back command polls on timers; fake ones let the test move time on by hand: the
  // other nodes' replays are then spaced out, each pause shorter than the stall, their sum longer.
  describe('a held-back command while the other nodes replay slowly', () => {
    afterEach(() => void vi.useRealTimers());
    /** drbd3's d, asked before anything else was replayed: settled to its value or error, or still pending. */
    const askEarly = (lab: ReplayLab) => {
      const got: { value?: string; error?: unknown } = {};
      lab.node('drbd3').exec('d').then((r) => void (got.value = r.stdout), (e: unknown) => void (got.error = e));
      return got;
    };

    it('waits as long as they keep moving, however long that is in all', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout'] });
      const lab = new ReplayLab(three());
      const d = askEarly(lab);
      await vi.advanceTimersByTimeAsync(800);
      await lab.node('drbd1').exec('a');
      await vi.advanceTimersByTimeAsync(800);
      await lab.node('drbd2').exec('c');
      await vi.advanceTimersByTimeAsync(800);
      expect(d, 'still waiting for drbd1 b').toEqual({});
      await lab.node('drbd1').exec('b');
      await vi.advanceTimersByTimeAsync(10);
      expect(d).toEqual({ value: 'drbd3:d' });
      expect(lab.remaining).toEqual([]);
    });

    it('once they stop moving, it is a mismatch naming the record it waited for', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout'] });
      const lab = new ReplayLab(three());
      const d = askEarly(lab);
      await vi.advanceTimersByTimeAsync(500);
      await lab.node('drbd1').exec('a');
      // drbd2's c never comes.
      await vi.advanceTimersByTimeAsync(5_000);
      expect(d.error).toBeInstanceOf(ReplayMismatchError);
      expect(d.error).toMatchObject({ index: 1, expected: { node: 'drbd2', command: 'c' }, actual: { node: 'drbd3', command: 'd' } });
    });
  });

  it("each node's own commands keep their order", async () => {
    const lab = new ReplayLab(three());
    await expect(lab.node('drbd1').exec('b')).rejects.toThrow(/recording has drbd1\$ a\n {2}but the scenario ran drbd1\$ b/);
  });
});

describe('what a replayed command answers', () => {
  const one = (r: Partial<CommandRecord>) => recording([{ ...rec('drbd1', 'cmd'), ...r }]);

  it("the recorded output and exit code; the recorded time passes on the lab's virtual clock; output() trims", async () => {
    const lab = new ReplayLab(recording([{ ...rec('drbd1', 'a', 0, 1500), stdout: ' out \n', stderr: 'err\n' }, { ...rec('drbd1', 'b', 2, 250), stdout: '\n drbd1:b \n' }]));
    const t0 = lab.clock.now();
    expect(await lab.node('drbd1').exec('a')).toEqual({ stdout: ' out \n', stderr: 'err\n', exitCode: 0, durationMs: 1500 });
    expect(lab.clock.now() - t0).toBe(1500);
    expect(await lab.node('drbd1').output('b')).toBe('drbd1:b');
    expect(lab.clock.now() - t0).toBe(1750);
    expect(await lab.node('drbd1').consoleLog()).toBe('');
  });

  it('a recorded failure throws unless check is false, with the kind asked for (product by default)', async () => {
    const failed = { stdout: 'o', stderr: 'IP not found\n', exitCode: 10 };
    const lab = new ReplayLab(recording([{ ...rec('drbd1', 'up'), ...failed }, { ...rec('drbd1', 'up'), ...failed }, { ...rec('drbd1', 'up'), ...failed }]));
    await expect(lab.node('drbd1').exec('up')).rejects.toMatchObject({ name: 'RemoteCommandError', node: 'drbd1', command: 'up', exitCode: 10, stdout: 'o', stderr: 'IP not found\n', kind: 'product' });
    await expect(lab.node('drbd1').exec('up', { kind: 'infrastructure' })).rejects.toMatchObject({ name: 'RemoteCommandError', kind: 'infrastructure' });
    expect(await lab.node('drbd1').exec('up', { check: false })).toEqual({ stdout: 'o', stderr: 'IP not found\n', exitCode: 10, durationMs: 0 });
  });

  it('a command that timed out when recorded times out in the replay, whatever check says, with the kind asked for', async () => {
    const timedOut = { ...rec('drbd1', 'sleep', 0, 30_000), exitCode: -1, timedOut: true };
    const lab = new ReplayLab(recording([timedOut, timedOut]));
    await expect(lab.node('drbd1').exec('sleep', { check: false })).rejects.toMatchObject({ name: 'CommandTimeoutError', node: 'drbd1', command: 'sleep', timeoutMs: 30_000, timedOut: true, kind: 'product' });
    await expect(lab.node('drbd1').exec('sleep', { kind: 'infrastructure' })).rejects.toMatchObject({ name: 'CommandTimeoutError', kind: 'infrastructure' });
  });

  it('each replayed command goes to the sink as recorded, with its timeout and provenance when it has them', async () => {
    const records: Omit<CommandRecord, 'seq'>[] = [];
    const provenance = { kind: 'captured' as const, from: 'p1 line 3' };
    const lab = new ReplayLab(recording([{ ...rec('drbd1', 'a', 0, 7), provenance }, { ...rec('drbd2', 'b', 1, 9), exitCode: 1, timedOut: true }]), { record: async (r) => void records.push(r) });
    await lab.node('drbd1').exec('a');
    await expect(lab.node('drbd2').exec('b')).rejects.toMatchObject({ name: 'CommandTimeoutError', node: 'drbd2', command: 'b' });
    expect(records).toEqual([
      { node: 'drbd1', command: 'a', stdout: 'drbd1:a', stderr: '', exitCode: 0, startedAt: '2026-11-28T00:00:00.000Z', durationMs: 7, provenance },
      { node: 'drbd2', command: 'b', stdout: 'drbd2:b', stderr: '', exitCode: 1, startedAt: '2026-11-28T00:00:01.000Z', durationMs: 9, timedOut: true },
    ]);
  });

  it('a secret is compared redacted: the command with it matches the recording that has <redacted>', async () => {
    const redactor = new Redactor();
    redactor.add('s3cr3t-pass');
    const lab = new ReplayLab(one({ command: 'join -p <redacted>' }), undefined, redactor);
    expect((await lab.node('drbd1').exec('join -p s3cr3t-pass')).stdout).toBe('drbd1:cmd');
    expect(lab.remaining).toEqual([]);
  });

  it('past the end of the recording, or on a node it does not have: a mismatch saying so', async () => {
    const lab = new ReplayLab(one({}));
    await lab.node('drbd1').exec('cmd');
    const end = await lab.node('drbd1').exec('cmd').then(() => undefined, (e: unknown) => e);
    expect(end).toBeInstanceOf(ReplayMismatchError);
    expect(end).toMatchObject({ index: 1, expected: undefined, actual: { node: 'drbd1', command: 'cmd' }, kind: 'product' });
    expect((end as Error).message).toBe('replay differs at command #2: the recording ends, but the scenario ran drbd1$ cmd');
    const unknown = (() => {
      try {
        new ReplayLab(recording([rec('drbd2', 'x')])).node('drbd9');
      } catch (e) {
        return e;
      }
    })();
    expect(unknown).toMatchObject({ index: 0, expected: { node: 'drbd2', command: 'x' }, actual: { node: 'drbd9', command: '(node lookup)' } });
  });

  it("profile, stack and the hypervisor's scale are the recording's (no hypervisor: KVM's)", () => {
    const lab = new ReplayLab(one({}));
    expect([lab.mode, lab.profile, lab.stack, lab.timeoutScale, lab.fault]).toEqual(['replay', 'debian12-drbd84', 'drbdadm', 1, undefined]);
    const dm = new ReplayLab({ ...one({}), profile: 'ubuntu1804-drbd9', labels: { hypervisor: 'TCG' } }, undefined, undefined, 'wrong-peer-ip');
    expect([dm.profile, dm.stack, dm.timeoutScale, dm.fault]).toEqual(['ubuntu1804-drbd9', 'drbdmanage', 3, 'wrong-peer-ip']);
    expect(lab.nodes.map((n) => [n.name, n.replicationIp])).toEqual([['drbd1', '10.255.255.101'], ['drbd2', '10.255.255.102']]);
  });

  it("labels of a real recording: its own, the hypervisor kept, with mode and evidence", () => {
    expect(new ReplayLab({ ...one({}), labels: { hypervisor: 'TCG', 'pkg:drbd-utils': '9.22.0-1' } }).labels).toEqual({ hypervisor: 'TCG', 'pkg:drbd-utils': '9.22.0-1', mode: 'replay', evidence: 'real' });
    expect(new ReplayLab({ ...one({}), evidence: 'synthetic', labels: { hypervisor: 'TCG', a: 'b' } }).labels).toEqual({ a: 'b', mode: 'replay', evidence: 'synthetic' });
  });

  it('the virtual clock starts at a fixed instant and moves only by sleeping', async () => {
    const clock = new VirtualClock();
    expect(clock.now()).toBe(Date.parse('2026-01-01T00:00:00Z'));
    await clock.sleep(2_500);
    expect(clock.now()).toBe(Date.parse('2026-01-01T00:00:02.500Z'));
  });
});
