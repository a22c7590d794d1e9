// The kernel-log check's flow on fake nodes (tests/support/fake-kernel-node.ts): a kernel with a
// ring buffer and a journal, reboots and power cuts, SSH that fails; no VM.
import { describe, expect, it } from 'vitest';
import { KernelLogError, KernelLogLostError, KernelLogUncheckedError, RemoteCommandError, SshTransportError } from '../errors.js';
import { MARK_COMMAND } from '../drbd/kernel-log.js';
import { reported } from '../../tests/support/synthetic-lab.js';
import { fakeLab } from '../../tests/support/fake-kernel-node.js';
import { KERNEL_BUG_FAULT_COMMAND, KERNEL_BUG_FAULT_LINE, injectKernelBugBeforeReboot } from '../../scenarios/steps/drbdadm/reboot.js';
import { allureAttach, KernelHealth, markKernelLogs } from './kernel-health.js';

const BUG = 'kernel BUG at drivers/block/drbd/drbd_req.c:123!';

async function checked(health: KernelHealth, failure?: unknown): Promise<unknown> {
  return health.check(failure).then(() => undefined, (e: unknown) => e);
}

function attachments() {
  const got = new Map<string, string>();
  return { got, attach: async (name: string, text: string) => void got.set(name, text) };
}

describe('KernelHealth: a scenario without faults', () => {
  it('a clean scenario passes; every node read from the mark to the end, attached', async () => {
    const lab = fakeLab();
    lab.nodes[0]!.log('drbd r0: conn( WFConnection -> Connected ) ');
    const a = attachments();
    const health = await KernelHealth.start(lab, { attach: a.attach });
    lab.nodes[1]!.log('block drbd100: role( Secondary -> Primary ) ');
    expect(await checked(health)).toBeUndefined();
    expect([...a.got.keys()]).toEqual(['kernel log during the scenario: drbd1', 'kernel log during the scenario: drbd2', 'kernel log during the scenario: drbd3']);
    // Only what came after the mark.
    expect(a.got.get('kernel log during the scenario: drbd2')).toMatch(/--- until the end of the scenario: 1 line\(s\) ---\n\[ +\d+\.\d{6}\] block drbd100: role/u);
    expect(a.got.get('kernel log during the scenario: drbd1')).not.toContain('conn( WFConnection');
  });

  it('a hit in the same boot, with the scenario\'s failure as cause', async () => {
    const lab = fakeLab();
    const health = await KernelHealth.start(lab);
    lab.nodes[1]!.log(`WARNING: CPU: 0 PID: 2318 at drivers/block/drbd/drbd_req.c:1031 drbd_request_endio+0x2f1/0x330 [drbd]`);
    const cause = new Error('step 20 failed');
    const err = await checked(health, cause);
    expect(err).toBeInstanceOf(KernelLogError);
    expect((err as KernelLogError).kind).toBe('product');
    expect((err as KernelLogError).cause).toBe(cause);
    expect((err as KernelLogError).hits).toEqual([{ node: 'drbd2', line: expect.stringMatching(/^\[ +\d+\.\d{6}\] WARNING: CPU: 0/u), pattern: 'WARNING:', window: 'until the end of the scenario' }]);
  });
});

describe('KernelHealth: reboots and power cuts through the watched lab', () => {
  it('a hit logged before a reboot is reported, though the reboot takes it out of dmesg', async () => {
    const lab = fakeLab();
    const health = await KernelHealth.start(lab);
    const n = health.lab.node('drbd1');
    lab.nodes[0]!.log(BUG);
    await n.reboot();
    // The new boot no longer shows it.
    expect((await lab.nodes[0]!.exec('sudo dmesg')).stdout).not.toContain(BUG);
    const err = await checked(health);
    expect(err).toBeInstanceOf(KernelLogError);
    expect((err as KernelLogError).hits).toEqual([{ node: 'drbd1', line: expect.stringContaining(BUG), pattern: 'kernel BUG', window: 'before reboot 1' }]);
    expect((err as KernelLogError).message).toContain(`drbd1: [`);
    expect((err as KernelLogError).message).toContain(`${BUG}  [before reboot 1]`);
  });

  it('the log is read before the reboot, the shutdown from the boot before\'s journal after it, and the new boot from its first line', async () => {
    const lab = fakeLab();
    const a = attachments();
    const health = await KernelHealth.start(lab, { attach: a.attach });
    const fake = lab.nodes[0]!;
    fake.shutdownLines = ['drbd r0: conn( Connected -> Disconnecting ) ', 'BUG: scheduling while atomic: drbd_w_r0/1234/0x00000002'];
    await health.lab.nodes[0]!.reboot();
    const i = fake.commands.indexOf('#reboot');
    expect(fake.commands.slice(0, i)).toEqual(['cat /proc/sys/kernel/random/boot_id && sudo bash -o pipefail -c \'dmesg | cat -n | tail -n 1\'', 'cat /proc/sys/kernel/random/boot_id', "sudo bash -o pipefail -c 'dmesg | tail -n +4'"]);
    expect(fake.commands.slice(i + 1).map((c) => c.replace(/[0-9a-f]{32}/gu, 'B').replace(/=\d+ /u, '=T ').replace(/cursor='[^']*'/u, "cursor='C'"))).toEqual([
      'cat /proc/sys/kernel/random/boot_id',
      'sudo journalctl -k -b B _SOURCE_MONOTONIC_TIMESTAMP=T -o json --output-fields=MESSAGE,_SOURCE_MONOTONIC_TIMESTAMP --all -q --no-pager',
      "sudo journalctl -k -b B --after-cursor='C' -o json --output-fields=MESSAGE,_SOURCE_MONOTONIC_TIMESTAMP --all -q --no-pager",
      'sudo dmesg',
    ]);
    const err = await checked(health);
    expect((err as KernelLogError).hits).toEqual([{ node: 'drbd1', line: expect.stringContaining('BUG: scheduling while atomic'), pattern: 'BUG:', window: 'reboot 1: the end of the boot before (its journal)' }]);
    const log = a.got.get('kernel log during the scenario: drbd1')!;
    expect(log).toMatch(/--- before reboot 1: 0 line\(s\) ---/u);
    expect(log).toMatch(/--- reboot 1: the end of the boot before \(its journal\): 2 line\(s\) ---\n.*Disconnecting/u);
    expect(log).toMatch(/--- reboot 1: the new boot until it answered: 4 line\(s\) ---\n\[    0\.000000\] Linux version/u);
  });

  it('two reboots: each window read once, nothing twice', async () => {
    const lab = fakeLab(['drbd1']);
    const health = await KernelHealth.start(lab);
    const n = health.lab.nodes[0]!;
    lab.nodes[0]!.log('WARNING: CPU: 0 PID: 1 at x');
    await n.reboot();
    lab.nodes[0]!.log('WARNING: CPU: 0 PID: 2 at y');
    await n.reboot();
    lab.nodes[0]!.log('WARNING: CPU: 0 PID: 3 at z');
    const err = (await checked(health)) as KernelLogError;
    expect(err.hits.map((h) => [h.line.replace(/^\[ +\d+\.\d{6}\] /u, ''), h.window])).toEqual([
      ['WARNING: CPU: 0 PID: 1 at x', 'before reboot 1'],
      ['WARNING: CPU: 0 PID: 2 at y', 'before reboot 2'],
      ['WARNING: CPU: 0 PID: 3 at z', 'until the end of the scenario'],
    ]);
  });

  it('a hit before a power cut is reported; the cut boot\'s journal is not asked for, the new boot is read from its start', async () => {
    const lab = fakeLab();
    const health = await KernelHealth.start(lab);
    const fake = lab.nodes[0]!;
    fake.log('rcu: INFO: rcu_sched detected stalls on CPUs/tasks:');
    await health.lab.node('drbd1').powerOff();
    await health.lab.node('drbd1').powerOn();
    const err = (await checked(health)) as KernelLogError;
    expect(err.hits).toEqual([{ node: 'drbd1', line: expect.stringContaining('rcu_sched detected stalls'), pattern: 'RCU stall', window: 'before power cut 1' }]);
    expect(fake.commands.filter((c) => c.includes('journalctl'))).toEqual([]);
    expect(fake.commands.filter((c) => c === 'sudo dmesg')).toHaveLength(1);
    expect(fake.commands.slice(fake.commands.indexOf('#power on') + 1)).toEqual(['cat /proc/sys/kernel/random/boot_id', 'sudo dmesg', 'cat /proc/sys/kernel/random/boot_id', expect.stringMatching(/dmesg \| tail -n \+\d+/u)]);
  });

  it('a power cut whose power-on failed: at the end the new boot is read from its start, the cut boot\'s journal not asked for', async () => {
    const lab = fakeLab(['drbd1']);
    const a = attachments();
    const health = await KernelHealth.start(lab, { attach: a.attach });
    const fake = lab.nodes[0]!;
    await health.lab.nodes[0]!.powerOff();
    // Booted, but the harness's power-on gave up (a timeout, say): the check still reads the new boot.
    const gaveUp = new Error('timed out waiting for cloud-init');
    const harnessPowerOn = fake.powerOn.bind(fake);
    fake.powerOn = async () => {
      await harnessPowerOn();
      throw gaveUp;
    };
    await expect(health.lab.nodes[0]!.powerOn()).rejects.toBe(gaveUp);
    fake.log('WARNING: CPU: 0 PID: 7 at drivers/block/drbd/drbd_main.c:2200 drbd_destroy_device+0x1a/0x2b0 [drbd]');
    const err = (await checked(health)) as KernelLogError;
    expect(err.hits.map((h) => h.window)).toEqual(['until the end of the scenario']);
    expect(fake.commands.filter((c) => c.includes('journalctl'))).toEqual([]);
    expect(a.got.get('kernel log during the scenario: drbd1')).toContain('the power was cut: read up to the cut, the rest is in no log');
  });

  it('a node still off at the end: read up to the cut, said so, no error', async () => {
    const lab = fakeLab(['drbd1', 'drbd2']);
    const a = attachments();
    const health = await KernelHealth.start(lab, { attach: a.attach });
    await health.lab.node('drbd2').powerOff();
    expect(await checked(health)).toBeUndefined();
    expect(a.got.get('kernel log during the scenario: drbd2')).toContain('powered off since power cut 1: read up to the cut');
  });

  it('a node that rebooted by itself: the rest of the boot before from its journal, then the new boot', async () => {
    const lab = fakeLab(['drbd1']);
    const health = await KernelHealth.start(lab);
    lab.nodes[0]!.log('Kernel panic - not syncing: Fatal exception');
    lab.nodes[0]!.crashReboot();
    const err = (await checked(health)) as KernelLogError;
    expect(err.hits).toEqual([{ node: 'drbd1', line: expect.stringContaining('Kernel panic'), pattern: 'Kernel panic', window: 'until the end of the scenario: the end of the boot before (its journal)' }]);
  });

  it('the lab the scenario gets: its nodes and node(name) are the watched ones; an unknown name fails as the lab says', async () => {
    const lab = fakeLab();
    const health = await KernelHealth.start(lab);
    expect(health.lab.nodes.map((n) => n.name)).toEqual(['drbd1', 'drbd2', 'drbd3']);
    expect(health.lab.node('drbd2')).toBe(health.lab.nodes[1]);
    expect(health.lab.node('drbd2')).not.toBe(lab.nodes[1]);
    expect(() => health.lab.node('drbd9')).toThrow('no node drbd9');
    expect([health.lab.mode, health.lab.profile, health.lab.stack, health.lab.clock, health.lab.labels]).toEqual([lab.mode, lab.profile, lab.stack, lab.clock, lab.labels]);
  });
});

describe('KernelHealth: fails closed, every node reported', () => {
  it('an SSH error on one node does not hide a hit on another: both in the error', async () => {
    const lab = fakeLab();
    const health = await KernelHealth.start(lab);
    lab.nodes[0]!.sshFails = /dmesg/u;
    lab.nodes[2]!.log('UBSAN: array-index-out-of-bounds in drivers/block/drbd/drbd_main.c:3462:16');
    const err = (await checked(health)) as KernelLogError;
    expect(err).toBeInstanceOf(KernelLogError);
    expect(err.hits.map((h) => [h.node, h.pattern])).toEqual([['drbd3', 'UBSAN']]);
    expect(err.unread.map((u) => [u.node, u.window])).toEqual([['drbd1', 'until the end of the scenario']]);
    expect(err.unread[0]!.error).toBeInstanceOf(SshTransportError);
    expect(err.message).toMatch(/not read: drbd1 \(until the end of the scenario\): drbd1: `sudo bash -o pipefail -c 'dmesg \| tail -n \+\d+'`: SSH connection failed/u);
  });

  it('SSH errors and no hit: an infrastructure error naming every node that could not be read', async () => {
    const lab = fakeLab();
    const health = await KernelHealth.start(lab);
    lab.nodes[0]!.sshFails = /./u;
    lab.nodes[1]!.sshFails = /./u;
    const err = (await checked(health)) as KernelLogUncheckedError;
    expect(err).toBeInstanceOf(KernelLogUncheckedError);
    expect(err.kind).toBe('infrastructure');
    expect(err.unread.map((u) => u.node)).toEqual(['drbd1', 'drbd2']);
  });

  it('a ring buffer that wrapped since the mark is an infrastructure error, not a clean log', async () => {
    const lab = fakeLab(['drbd1']);
    const health = await KernelHealth.start(lab);
    const fake = lab.nodes[0]!;
    fake.ringLines = 4;
    for (let i = 0; i < 6; i++) fake.log(`drbd r0: conn( WFConnection -> Connected ) ${i}`);
    const err = (await checked(health)) as KernelLogUncheckedError;
    expect(err).toBeInstanceOf(KernelLogUncheckedError);
    expect(err.unread[0]!.error).toBeInstanceOf(KernelLogLostError);
    expect(err.message).toMatch(/drbd1 \(until the end of the scenario\): drbd1: dmesg of boot [0-9a-f-]{36}: the kernel log does not continue from where the check stopped \(expected line 4: \[ +\d+\.\d{6}\] drbd: initialized/u);
  });

  it('a hit lost to a wrapped buffer before a reboot still fails: unread, and the journal after the reboot is read from the old mark', async () => {
    const lab = fakeLab(['drbd1']);
    const health = await KernelHealth.start(lab);
    const fake = lab.nodes[0]!;
    // Holds a fresh boot (4 lines), not the boot's lines since the mark.
    fake.ringLines = 5;
    fake.log(BUG);
    for (let i = 0; i < 5; i++) fake.log(`drbd r0: line ${i}`);
    await health.lab.nodes[0]!.reboot();
    const err = (await checked(health)) as KernelLogError;
    expect(err).toBeInstanceOf(KernelLogError);
    expect(err.hits.map((h) => h.window)).toEqual(['reboot 1: the end of the boot before (its journal)']);
    expect(err.unread.map((u) => [u.window, (u.error as Error).name])).toEqual([['before reboot 1', 'KernelLogLostError']]);
  });

  it('a journal that does not keep the boot before (not persistent): the reboot\'s window is unread, an infrastructure error', async () => {
    const lab = fakeLab(['drbd1']);
    const health = await KernelHealth.start(lab);
    lab.nodes[0]!.journalPersistent = false;
    await health.lab.nodes[0]!.reboot();
    const err = (await checked(health)) as KernelLogUncheckedError;
    expect(err).toBeInstanceOf(KernelLogUncheckedError);
    expect(err.unread.map((u) => u.window)).toEqual(['reboot 1: the end of the boot before (its journal)', 'until the end of the scenario: the end of the boot before (its journal)']);
    expect(err.message).toContain('No such boot ID in journal');
  });

  it('a mark that cannot be taken on some nodes: thrown at the start, every such node named', async () => {
    const lab = fakeLab();
    lab.nodes[0]!.sshFails = /./u;
    lab.nodes[2]!.sshFails = /./u;
    const err = await KernelHealth.start(lab).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(KernelLogUncheckedError);
    expect((err as KernelLogUncheckedError).unread.map((u) => [u.node, u.window])).toEqual([['drbd1', 'mark at the start'], ['drbd3', 'mark at the start']]);
  });
});

describe('DRBDLAB_FAULT=kernel-bug-before-reboot (scenarios/steps/drbdadm/reboot.ts)', () => {
  it('writes a kernel BUG line into the node\'s kernel log when set, nothing when not; the check reports it after the reboot', async () => {
    const lab = fakeLab(['drbd1', 'drbd2']);
    const health = await KernelHealth.start(lab);
    const [n1] = health.lab.nodes;
    await injectKernelBugBeforeReboot(health.lab, n1!);
    await injectKernelBugBeforeReboot({ ...health.lab, fault: 'wrong-peer-ip' }, n1!);
    expect(lab.nodes[0]!.commands).not.toContain(KERNEL_BUG_FAULT_COMMAND);
    await injectKernelBugBeforeReboot({ ...health.lab, fault: 'kernel-bug-before-reboot' }, n1!);
    expect(lab.nodes[0]!.commands).toContain(KERNEL_BUG_FAULT_COMMAND);
    await n1!.reboot();
    const err = (await checked(health)) as KernelLogError;
    expect(err).toBeInstanceOf(KernelLogError);
    expect(err.kind).toBe('product');
    expect(err.hits).toEqual([{ node: 'drbd1', line: expect.stringContaining(KERNEL_BUG_FAULT_LINE), pattern: 'kernel BUG', window: 'before reboot 1' }]);
  });
});

describe('KernelHealth: answers it cannot read are named, never taken for a clean log', () => {
  it('a mark that does not parse: thrown at the start, an infrastructure error saying what was expected', async () => {
    const lab = fakeLab(['drbd1', 'drbd2']);
    lab.nodes[1]!.override = (c) => (c.includes('cat -n') ? 'garbled\n' : undefined);
    const err = (await KernelHealth.start(lab).then(() => undefined, (e: unknown) => e)) as KernelLogUncheckedError;
    expect(err).toBeInstanceOf(KernelLogUncheckedError);
    expect(err.unread.map((u) => [u.node, u.window])).toEqual([['drbd2', 'mark at the start']]);
    expect(err.unread[0]!.error).toBeInstanceOf(RemoteCommandError);
    expect(err.unread[0]!.error).toMatchObject({ kind: 'infrastructure', node: 'drbd2', stdout: 'garbled\n' });
    expect((err.unread[0]!.error as Error).message).toContain('expected a boot id and the last dmesg line, numbered');
  });

  it('a boot id that does not parse: that window unread, an infrastructure error', async () => {
    const lab = fakeLab(['drbd1']);
    const health = await KernelHealth.start(lab);
    lab.nodes[0]!.override = (c) => (c === 'cat /proc/sys/kernel/random/boot_id' ? 'no such file\n' : undefined);
    const err = (await checked(health)) as KernelLogUncheckedError;
    expect(err).toBeInstanceOf(KernelLogUncheckedError);
    expect(err.unread.map((u) => u.window)).toEqual(['until the end of the scenario']);
    expect(err.unread[0]!.error).toMatchObject({ kind: 'infrastructure', command: 'cat /proc/sys/kernel/random/boot_id' });
    expect((err.unread[0]!.error as Error).message).toContain('expected a boot id');
  });

  it('a journal answer that is no JSON: the boot before unread, an infrastructure error', async () => {
    const lab = fakeLab(['drbd1']);
    const health = await KernelHealth.start(lab);
    lab.nodes[0]!.override = (c) => (c.includes('journalctl') ? 'Hint: You are currently not seeing messages from other users\n' : undefined);
    await health.lab.nodes[0]!.reboot();
    const err = (await checked(health)) as KernelLogUncheckedError;
    expect(err.unread.map((u) => u.window)).toEqual(['reboot 1: the end of the boot before (its journal)', 'until the end of the scenario: the end of the boot before (its journal)']);
    expect(err.unread[0]!.error).toMatchObject({ kind: 'infrastructure' });
    expect((err.unread[0]!.error as Error).message).toContain('expected journal entries as JSON, one a line');
  });

  it('the journal has no entry at the last line read: unread, saying what it found there', async () => {
    for (const [answer, found] of [['', 'no entry with its timestamp'], ['{"__CURSOR":"s=1;i=9","MESSAGE":"another line","_SOURCE_MONOTONIC_TIMESTAMP":"1"}\n{"__CURSOR":"s=1;i=a","MESSAGE":"and one more","_SOURCE_MONOTONIC_TIMESTAMP":"1"}\n', '[    0.000001] another line | [    0.000001] and one more']] as const) {
      const lab = fakeLab(['drbd1']);
      const health = await KernelHealth.start(lab);
      lab.nodes[0]!.override = (c) => (c.includes('_SOURCE_MONOTONIC_TIMESTAMP=') ? answer : undefined);
      await health.lab.nodes[0]!.reboot();
      const err = (await checked(health)) as KernelLogUncheckedError;
      expect(err.unread[0]!.window).toBe('reboot 1: the end of the boot before (its journal)');
      expect(err.unread[0]!.error).toBeInstanceOf(KernelLogLostError);
      expect(err.unread[0]!.error).toMatchObject({ found, expected: expect.stringMatching(/^line 4: \[ +\d+\.\d{6}\] drbd: initialized/u) });
    }
  });

  it('a last line without a [seconds.micros] stamp cannot be found in the journal: unread, never read from the boot\'s start', async () => {
    const lab = fakeLab(['drbd1']);
    const fake = lab.nodes[0]!;
    fake.override = (c) => (c.includes('cat -n') ? `${fake.bootId}\n     4\tno stamp here\n` : undefined);
    const health = await KernelHealth.start(lab);
    fake.override = undefined;
    await health.lab.nodes[0]!.reboot();
    const err = (await checked(health)) as KernelLogUncheckedError;
    const journal = err.unread.find((u) => u.window === 'reboot 1: the end of the boot before (its journal)');
    expect(journal?.error).toBeInstanceOf(KernelLogLostError);
    expect(journal?.error).toMatchObject({ expected: 'a [seconds.micros] stamp on line 4', found: 'no stamp here' });
    expect(fake.commands.filter((c) => c.includes('journalctl'))).toEqual([]);
  });
});

describe('KernelHealth: a boot none of whose lines could be read', () => {
  it('after the next reboot it is read whole from its journal (no cursor to go on from)', async () => {
    const lab = fakeLab(['drbd1']);
    const fake = lab.nodes[0]!;
    const health = await KernelHealth.start(lab);
    const n = health.lab.nodes[0]!;
    // Every read of a new boot from its first line fails (the SSH connection drops).
    fake.sshFails = /^sudo dmesg$/u;
    await n.reboot();
    fake.log(BUG);
    await n.reboot();
    const err = (await checked(health)) as KernelLogError;
    expect(err).toBeInstanceOf(KernelLogError);
    expect(err.hits.map((h) => [h.pattern, h.window])).toEqual([['kernel BUG', 'reboot 2: the end of the boot before (its journal)']]);
    const journal = fake.commands.filter((c) => c.includes('journalctl')).map((c) => c.replace(/[0-9a-f]{32}/gu, 'B').replace(/=\d+ /u, '=T ').replace(/cursor='[^']*'/u, "cursor='C'"));
    expect(journal.slice(2)).toEqual(['sudo journalctl -k -b B -o json --output-fields=MESSAGE,_SOURCE_MONOTONIC_TIMESTAMP --all -q --no-pager']);
  });
});

describe('KernelHealth: the windows attached', () => {
  it('a power cut and its power-on, and a power-on with no cut before it: each window named after what happened', async () => {
    const lab = fakeLab(['drbd1']);
    const a = attachments();
    const health = await KernelHealth.start(lab, { attach: a.attach });
    const n = health.lab.nodes[0]!;
    await n.powerOff();
    await n.powerOn();
    await n.powerOn();
    expect(await checked(health)).toBeUndefined();
    const log = a.got.get('kernel log during the scenario: drbd1')!;
    expect(log).toContain('--- power cut 1: the end of the boot before: 0 line(s) (the power was cut: read up to the cut, the rest is in no log) ---\n');
    expect(log).toMatch(/--- power cut 1: the new boot until it answered: 4 line\(s\) ---\n/u);
    expect(log).toMatch(/--- power on: the end of the boot before: \d+ line\(s\) ---\n/u);
    expect(log).toMatch(/--- power on: the new boot until it answered: 4 line\(s\) ---\n/u);
  });

  it('a node off at the end: its window has no lines; an unread window says NOT READ with its error', async () => {
    const lab = fakeLab(['drbd1', 'drbd2']);
    const a = attachments();
    const health = await KernelHealth.start(lab, { attach: a.attach });
    await health.lab.node('drbd1').powerOff();
    lab.nodes[1]!.sshFails = /dmesg/u;
    const err = (await checked(health)) as KernelLogUncheckedError;
    expect(err).toBeInstanceOf(KernelLogUncheckedError);
    expect(a.got.get('kernel log during the scenario: drbd1')).toBe('--- before power cut 1: 0 line(s) ---\n\n--- until the end of the scenario: 0 line(s) (powered off since power cut 1: read up to the cut) ---\n\n');
    expect(a.got.get('kernel log during the scenario: drbd2')).toMatch(/^--- until the end of the scenario: NOT READ ---\ndrbd2: `sudo bash -o pipefail -c 'dmesg \| tail -n \+4'`: SSH connection failed[^\n]*\n$/u);
  });

  it('allureAttach: a text/plain attachment of the report', async () => {
    const out = await reported(() => allureAttach('kernel log during the scenario: drbd1', 'text'));
    expect(out.attachments).toEqual([{ name: 'kernel log during the scenario: drbd1', content: 'text', contentType: 'text/plain' }]);
  });
});

describe('markKernelLogs: a step\'s own mark', () => {
  it('an answer that is no mark, or a failed mark command: an infrastructure error', async () => {
    const lab = fakeLab(['drbd1']);
    lab.nodes[0]!.override = (c) => (c === MARK_COMMAND ? 'garbled\n' : undefined);
    await expect(markKernelLogs(lab.nodes)).rejects.toMatchObject({ kind: 'infrastructure', command: MARK_COMMAND, message: expect.stringContaining('expected a boot id and a line count') });
    lab.nodes[0]!.override = (c) => {
      if (c === MARK_COMMAND) throw new RemoteCommandError('drbd1', c, 1, '', 'dmesg: read kernel buffer failed: Operation not permitted');
      return undefined;
    };
    await expect(markKernelLogs(lab.nodes)).rejects.toMatchObject({ kind: 'infrastructure', exitCode: 1 });
  });
});
