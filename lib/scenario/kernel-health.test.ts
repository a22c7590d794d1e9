// The kernel-log check's flow on fake nodes (tests/support/fake-kernel-node.ts): a kernel with a
// ring buffer and a journal, reboots and power cuts, SSH that fails; no VM.
import { describe, expect, it } from 'vitest';
import { KernelLogError, KernelLogLostError, KernelLogUncheckedError, SshTransportError } from '../errors.js';
import { fakeLab } from '../../tests/support/fake-kernel-node.js';
import { KERNEL_BUG_FAULT_COMMAND, KERNEL_BUG_FAULT_LINE, injectKernelBugBeforeReboot } from '../../scenarios/steps/drbdadm/reboot.js';
import { KernelHealth } from './kernel-health.js';

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
