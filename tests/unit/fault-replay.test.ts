// Deliberate faults, replayed on virtual time.
// - DRBDLAB_FAULT=wrong-peer-ip, recorded on real VMs (r0.res names 10.255.255.199 for the peer):
//   the failure must name the step, the node and the state DRBD was last seen in.
// - Mutations: a recording with a few command outputs changed on purpose, here in the test, so
//   each pitfall the scenarios assert is shown to turn the run red with the right classification
//   (failed: DRBD behaved unlike the walkthrough; broken: the harness could not read what it got),
//   at once (no wait runs out its timeout), while the same recording unchanged stays green.
//   drbdadm cases mutate real recordings; the drbdmanage ones are in drbdmanage-faults.test.ts.
// They go through the code a run goes through (tests/support/mutation.ts): defineScenario's
// runScenario, the result file allure-vitest writes, the report's reclassification, Allure's
// category matcher and the nightly's exit code.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ClusterResourceError, CommandTimeoutError, DataIntegrityError, DrbdlabError, KernelLogError, KernelLogLostError, KernelLogUncheckedError, RemoteCommandError, ResyncAmountError,
  WaitTimeoutError, failureFields,
} from '../../lib/errors.js';
import { RebootRefusedError } from '../../lib/lab/started-node.js';
import { EXIT } from '../../lib/exit-codes.js';
import { isDrbdParseError } from '../../lib/drbd/errors.js';
import { FAILURE_KIND_LABEL, FAILURE_LABELS } from '../../lib/report/classify.js';
import type { CommandRecord } from '../../lib/ssh/command-record.js';
import { readRecording } from '../../lib/scenario/recording.js';
import { execResult, scriptedStartedNode, withStartedNodeReboot } from '../support/scripted-reboot.js';
import { at, classifyLikeTheNightly, firstAfter, firstFrom, firstIndex, lastIndex, mutate, replayThroughDefineScenario, causes, type Edit, type Mutation } from '../support/mutation.js';
import { drbdadmHostnamePitfall } from '../../scenarios/steps/drbdadm/hostname.js';
import { drbdadmPacemakerFailover } from '../../scenarios/steps/drbdadm/pacemaker.js';
import { drbdadmLinkCut } from '../../scenarios/steps/drbdadm/link-cut.js';
import { drbdadmPowerLoss } from '../../scenarios/steps/drbdadm/power-loss.js';
import { drbdadmSplitBrain } from '../../scenarios/steps/drbdadm/split-brain.js';
import { drbdadmRebootPersistence } from '../../scenarios/steps/drbdadm/reboot.js';
import { drbdadmServices } from '../../scenarios/steps/drbdadm/services.js';
import { drbdadmWalkthrough } from '../../scenarios/steps/drbdadm/walkthrough.js';

const RECORDINGS = join(import.meta.dirname, '../../scenarios/recordings');

it('a wrong peer IP in r0.res fails naming the step, the node and the state last seen', async () => {
  {
    const recording = readRecording(join(RECORDINGS, 'faults/walkthrough.debian12-drbd84.wrong-peer-ip.json'));
    expect(recording.evidence).toBe('real');
    // Recorded on a restored cluster, run by defineScenario's code (the kernel-log check around the body).
    // The run that was recorded had DRBDLAB_FAULT=wrong-peer-ip: resFile() writes r0.res with it.
    const replayed = await replayThroughDefineScenario(recording, drbdadmWalkthrough, { scenario: 'walkthrough', fault: 'wrong-peer-ip' });
    const { err } = replayed;
    expect(err).toBeInstanceOf(Error);
    // DRBD refused what the fault configured: the result says so (failure kind), the report
    // shows it failed, the nightly exits 1.
    expect(replayed.result.labels).toContainEqual({ name: FAILURE_KIND_LABEL, value: 'product' });
    // … with the failure's fields: where, which command, its exit code.
    expect(replayed.result.labels).toEqual(expect.arrayContaining([
      { name: FAILURE_LABELS.node, value: 'drbd2' },
      { name: FAILURE_LABELS.command, value: 'sudo drbdadm up r0' },
      { name: FAILURE_LABELS.exitCode, value: '10' },
    ]));
    expect(await classifyLikeTheNightly(replayed)).toEqual({ status: 'failed', category: 'product', exitCode: EXIT.failed });
    const message = (err as Error).message;
    expect(message).toMatch(/^step "20\. create-md and up on drbd1 and drbd2" failed: /);
    // The node and what DRBD said there …
    expect(message).toMatch(/drbd2: `sudo drbdadm up r0` exited 10/);
    expect(message).toContain('IP 10.255.255.199 not found on this host.');
    // … and the state every node was last seen in.
    expect(message).toMatch(/DRBD state at failure: drbd1: r0 Secondary disk:Inconsistent peer:Connecting; drbd2: no resources/);
    // The broken file really is in the recording: the peer address the fault wrote.
    expect(recording.commands.some((c) => c.command.includes('address 10.255.255.199:7000;'))).toBe(true);
  }
});

it('a kernel WARNING logged while a step fails: the kernel hit is the verdict, the step\'s error its cause', async () => {
  {
    const recording = mutate(readRecording(join(RECORDINGS, 'faults/walkthrough.debian12-drbd84.wrong-peer-ip.json')), [{
      what: "drbd2's kernel log, read by the check after the failed step, holds a WARNING",
      match: (c, i, all) => i === lastIndex(all, at(KERNEL_LOG_READ, 'drbd2')),
      change: (c) => ({ stdout: logged(c.stdout, '[  400.000001] WARNING: CPU: 0 PID: 97 at drivers/block/drbd/drbd_main.c:2170 drbd_destroy_device+0x2c/0x60 [drbd]') }),
    }]);
    // defineScenario checks the kernel log after a failure too; a hit there replaces the error.
    const red = await replayThroughDefineScenario(recording, drbdadmWalkthrough, { scenario: 'walkthrough', fault: 'wrong-peer-ip' });
    expect(red.err).toBeInstanceOf(KernelLogError);
    expect((red.err as Error).message).toMatch(/^kernel log on drbd2: 1 line\(s\)[^]*\n {2}drbd2: \[ {2}400\.000001\] WARNING: CPU: 0 PID: 97 at drivers\/block\/drbd\/drbd_main\.c:2170 .*\[until the end of the scenario\]/);
    expect(causes(red.err).some((e) => e instanceof Error && /^step "20\. create-md and up on drbd1 and drbd2" failed: /.test(e.message))).toBe(true);
    expect(await classifyLikeTheNightly(red)).toEqual({ status: 'failed', category: 'product', exitCode: EXIT.failed });
  }
});


// The kernel-log check's commands (lib/drbd/kernel-log.ts): a node's log from where the check
// stopped, `dmesg | tail -n +N` (its first line is that line again), or a whole new boot's.
const KERNEL_LOG_READ = /^sudo bash -o pipefail -c 'dmesg \| tail -n \+\d+'$/u;

/** A read with `lines` logged after what it held (the last read of a node: nothing reads on from it). */
function logged(stdout: string, ...lines: string[]): string {
  return `${stdout.replace(/\n*$/u, '\n')}${lines.join('\n')}\n`;
}

/**
 * A read with `lines` logged before its last line: the next read of the boot still finds the
 * line it starts from (a read before a reboot: the journal is read on from that line's stamp).
 */
function loggedBeforeLast(stdout: string, ...lines: string[]): string {
  const all = stdout.replace(/\n*$/u, '').split('\n');
  if (all.length < 2) throw new Error('loggedBeforeLast: a read of one line has no place before its last');
  return [...all.slice(0, -1), ...lines, all.at(-1)!].join('\n');
}

/** The probe checker's output with the file one record shorter: the last acknowledged record gone. */
function oneRecordShort(c: CommandRecord): Partial<CommandRecord> {
  const [, size, last] = /^size (\d+)\nok 0-(\d+)\nend$/u.exec(c.stdout.trim()) ?? [];
  return size && last ? { stdout: `size ${Number(size) - 4096}\nok 0-${Number(last) - 1}\nend\n` } : {};
}

const MUTATIONS: Mutation[] = [
  {
    name: 'resync never happens: step 22 sees UpToDate/UpToDate with no SyncSource',
    recording: 'walkthrough.debian12-drbd84.json',
    body: drbdadmWalkthrough,
    edits: [{
      what: 'drop WFBitMapS/SyncSource and the before-resync-source helper from the events2 stream',
      match: at('cat /tmp/r0.events', 'drbd1'),
      change: (c) => ({ stdout: c.stdout.split('\n').filter((l) => !/replication:(WFBitMapS|SyncSource)|helper:before-resync-source/u.test(l)).join('\n') }),
    }],
    expected: { status: 'failed', category: 'product', step: /^step "22\. resync visible/, message: /replication:SyncSource in the stream \(no SyncSource, not finished, UpToDate\/UpToDate without a sync at event #\d+\)/ },
  },
  {
    name: 'the package enables drbd.service',
    recording: 'reboot.debian12-drbd84.json',
    body: drbdadmRebootPersistence,
    edits: [{
      what: '`systemctl is-enabled drbd.service` answers enabled before anything enabled it',
      match: (c, i, all) => at('systemctl is-enabled drbd.service')(c) && i < firstIndex(all, at('sudo systemctl enable drbd.service 2>&1')),
      change: () => ({ stdout: 'enabled\n', exitCode: 0 }),
    }],
    expected: { status: 'failed', category: 'product', step: /^step "24\. drbd\.service is disabled as installed/, message: /drbd[12]: systemctl is-enabled drbd\.service: expected 'enabled' to be 'disabled'/ },
  },
  {
    name: 'a rename does not break the node: drbdadm still finds r0 under the new name',
    recording: 'hostname.debian12-drbd84.json',
    body: drbdadmHostnamePitfall,
    edits: [{
      what: 'the first `drbdadm status r0` on drbd2 after its rename answers with the status',
      match: (c, i, all) => i === firstAfter(all, at('sudo hostnamectl set-hostname drbd2x', 'drbd2'), at('sudo drbdadm status r0', 'drbd2')),
      change: () => ({ exitCode: 0, stderr: '', stdout: 'r0 role:Secondary\n  disk:UpToDate\n  peer role:Primary\n    replication:Established peer-disk:UpToDate\n\n' }),
    }],
    expected: { status: 'failed', category: 'product', step: /^step "10\. after DRBD runs: drbd2 renamed drbd2x/, message: /drbdadm status r0 on drbd2x: exit code: expected \+0 to be 1/ },
  },
  {
    name: 'a kernel WARNING appears in dmesg during the scenario',
    recording: 'services.debian12-drbd84.json',
    body: drbdadmServices,
    edits: [{
      what: "the kernel-log check's last read of drbd2 finds a WARNING",
      match: (c, i, all) => i === lastIndex(all, at(KERNEL_LOG_READ, 'drbd2')),
      change: (c) => ({ stdout: logged(c.stdout, '[  900.000001] WARNING: CPU: 1 PID: 312 at drivers/block/drbd/drbd_req.c:1385 drbd_request_endio+0x1a/0x50 [drbd]') }),
    }],
    expected: {
      status: 'failed', category: 'product', step: /^kernel log on drbd2: 1 line\(s\)/,
      message: /drbd2: \[ {2}900\.000001\] WARNING: CPU: 1 PID: 312 at drivers\/block\/drbd\/drbd_req\.c:1385 .*\[until the end of the scenario\]/, error: (e) => e instanceof KernelLogError,
    },
  },
  {
    name: 'a status line no parser knows',
    recording: 'walkthrough.debian12-drbd84.json',
    body: drbdadmWalkthrough,
    edits: [{
      what: 'the first `drbdadm status r0` on drbd1 that shows the resource has a line at an indentation drbdsetup never uses',
      match: (c, i, all) => i === firstIndex(all, (x) => at('sudo drbdadm status r0', 'drbd1')(x) && x.exitCode === 0),
      change: (c) => ({ stdout: c.stdout.replace(/\n*$/u, '\n   quorum:no\n') }),
    }],
    // The harness cannot read what DRBD printed: broken (harness), never "DRBD failed", never a pass.
    expected: { status: 'broken', category: 'harness', step: /^step "20\. create-md and up on drbd1 and drbd2"/, message: /drbdsetup-status: unexpected indentation \(3 spaces\) at line \d+: " {3}quorum:no"/, error: (e) => causes(e).some(isDrbdParseError) && failureFields(e)?.kind === 'parse' },
  },
  {
    name: 'a full resync after the reboot',
    recording: 'reboot.debian12-drbd84.json',
    body: drbdadmRebootPersistence,
    edits: [{
      what: "drbd1's kernel log of the boot after step 25's reboot shows a resync of the whole 1 GiB",
      // The step's own read of the boot's log, not the kernel-log check at the end.
      match: (c, i, all) => i === firstFrom(all, lastIndex(all, at('#reboot', 'drbd1')), at('sudo dmesg --notime', 'drbd1')),
      change: (c) => ({ stdout: c.stdout.replace(/^(block drbd100: uuid_compare\(\)=.*)$/mu, '$1\nblock drbd100: Began resync as SyncSource (will sync 1048508 KB [262127 bits set]).') }),
    }],
    expected: {
      status: 'failed', category: 'product', step: /^step "25\. after the reboot DRBD resynced only what its bitmap held/,
      message: /r0: full resync of 1048508 KB after the reboot \(the whole device\); expected a bitmap-based resync under 4096 KB/, error: (e) => e instanceof DrbdlabError && e.cause instanceof ResyncAmountError,
    },
  },
  {
    name: 'a DRBD command hangs: `drbdadm up r0` on drbd2 never answers',
    recording: 'walkthrough.debian12-drbd84.json',
    body: drbdadmWalkthrough,
    edits: [{
      what: 'the first `sudo drbdadm up r0` on drbd2 times out (as the session records a command past its deadline)',
      match: (c, i, all) => i === firstIndex(all, at('sudo drbdadm up r0', 'drbd2')),
      change: () => ({ timedOut: true, exitCode: null, stdout: '', stderr: '' }),
    }],
    // DRBD's side, marked timed out: failed, in its own category, never "broken" as a boot timeout would be.
    expected: {
      status: 'failed', category: 'product-timeout', step: /^step "20\. create-md and up on drbd1 and drbd2"/,
      message: /drbd2: `sudo drbdadm up r0` timed out after \d+ s/, error: (e) => causes(e).some((x) => x instanceof CommandTimeoutError && x.kind === 'product'),
    },
  },
  {
    name: 'a setup helper fails: lvcreate on drbd2 finds no room',
    recording: 'walkthrough.debian12-drbd84.json',
    body: drbdadmWalkthrough,
    edits: [{
      what: "drbd2's lvcreate of r0 exits 5",
      match: at('sudo lvcreate --yes --wipesignatures y -n r0 -L 1G drbdpool', 'drbd2'),
      change: () => ({ exitCode: 5, stdout: '', stderr: '  Volume group "drbdpool" has insufficient free space (255 extents): 256 required.\n' }),
    }],
    // The lab could not be set up: broken (infrastructure), not "DRBD failed".
    expected: {
      status: 'broken', category: 'infra-other', step: /^step "18\. resource r0: a logical volume on each replica/,
      message: /drbd2: `sudo lvcreate --yes --wipesignatures y -n r0 -L 1G drbdpool` exited 5\n {2}Volume group "drbdpool" has insufficient free space/,
      error: (e) => causes(e).some((x) => x instanceof RemoteCommandError && x.kind === 'infrastructure'),
    },
  },
  {
    name: 'link cut: an acknowledged record missing from the peer after the switch',
    recording: 'link-cut.debian12-drbd84.json',
    body: drbdadmLinkCut,
    edits: [{
      what: "the checker on drbd2 finds the file one record short (the last acknowledged record gone)",
      match: at(/^sudo python3 \/root\/drbdlab-probe-check\.py /u, 'drbd2'),
      change: oneRecordShort,
    }],
    expected: {
      status: 'failed', category: 'product', step: /^step "6\. switch primaries: drbd2 holds every acknowledged record/,
      message: /drbd2: acknowledged data not intact after the fault: \d+ acknowledged, \d+ of them intact.*\n {2}1 acknowledged record\(s\) missing/, error: (e) => e instanceof DrbdlabError && e.cause instanceof DataIntegrityError,
    },
  },
  {
    name: 'link cut: a full resync when the link comes back',
    recording: 'link-cut.debian12-drbd84.json',
    body: drbdadmLinkCut,
    edits: [{
      what: "drbd1's kernel log since the link came back shows a resync of the whole 1 GiB",
      match: (c, i, all) => i === firstAfter(all, at('#link up', 'drbd1'), at(/dmesg --notime \| tail -n \+/u, 'drbd1')),
      change: (c) => ({ stdout: c.stdout.replace(/Began resync as SyncSource \(will sync \d+ KB \[\d+ bits set\]\)\./u, 'Began resync as SyncSource (will sync 1048508 KB [262127 bits set]).') }),
    }],
    expected: {
      status: 'failed', category: 'product', step: /^step "5\. only the blocks written while cut were resynced/,
      // The log since the cut has no `size =` line (printed at attach), so the amount alone says it: 1 GiB.
      message: /r0: resync of 1048508 KB after the link came back; expected a bitmap-based resync under 65536 KB\n {2}drbd1: .*began resync as SyncSource: 1048508 KB/, error: (e) => e instanceof DrbdlabError && e.cause instanceof ResyncAmountError,
    },
  },
  {
    name: 'power loss: an acknowledged record missing from the new primary',
    recording: 'power-loss.debian12-drbd84.json',
    body: drbdadmPowerLoss,
    edits: [{
      what: 'the checker on drbd2 (promoted after the power cut) finds the file one record short',
      match: (c, i, all) => i === firstIndex(all, at(/^sudo python3 \/root\/drbdlab-probe-check\.py /u, 'drbd2')),
      change: oneRecordShort,
    }],
    expected: {
      status: 'failed', category: 'product', step: /^step "5\. every acknowledged record is on drbd2, the new primary, intact"/,
      message: /drbd2: acknowledged data not intact after the fault: .*\n {2}1 acknowledged record\(s\) missing/, error: (e) => e instanceof DrbdlabError && e.cause instanceof DataIntegrityError,
    },
  },
  {
    name: 'split brain not reported: the kernel log lacks the alert',
    recording: 'split-brain.debian12-drbd84.json',
    body: drbdadmSplitBrain,
    edits: [{
      what: "drbd1's kernel log since the link came back without `Split-Brain detected but unresolved, dropping connection!`",
      match: (c, i, all) => i === firstAfter(all, at('#link up', 'drbd1'), at(/dmesg --notime \| tail -n \+/u, 'drbd1')),
      change: (c) => ({ stdout: c.stdout.split('\n').filter((l) => !l.includes('Split-Brain detected')).join('\n') }),
    }],
    expected: { status: 'failed', category: 'product', step: /^step "3\. restore the link: DRBD detects the split brain/, message: /drbd1: lines "block drbd100: Split-Brain detected but unresolved, dropping connection!" in the kernel log: expected 0 to be greater than or equal to 1/ },
  },
  {
    name: 'a failover that never mounts: the file system fails to start on the survivor',
    recording: 'pacemaker-failover.debian12-drbd84.json',
    body: drbdadmPacemakerFailover,
    edits: [{
      what: 'every crm_mon after the power-off shows p_fs_r0 stopped and its start failed on the node asked (the survivor)',
      match: (c, i, all) => c.command === 'sudo crm_mon -1 --output-as=xml' && c.exitCode === 0 && i > firstIndex(all, at('#power off')),
      change: (c) => ({ stdout: fsStartFailed(c.stdout, c.node) }),
    }],
    expected: {
      status: 'failed', category: 'product', step: /^step "26\. power off drbd\d from the host; Pacemaker promotes drbd\d and mounts r0 there" failed: /,
      message: /p_fs_r0 on drbd\d: start failed \(p_fs_r0_start_0: Couldn't mount device \[\/dev\/drbd100\] as \/mnt\/r0, error\); it may not start there again/,
      error: (e) => e instanceof DrbdlabError && e.cause instanceof ClusterResourceError,
    },
  },
  {
    name: 'an acknowledged record missing on the new primary after the failover',
    recording: 'pacemaker-failover.debian12-drbd84.json',
    body: drbdadmPacemakerFailover,
    edits: [{
      what: 'the checker on the survivor finds only the first 10 records (the acknowledged ones after them are gone)',
      match: at(/^sudo python3 \/root\/drbdlab-probe-check\.py /u),
      change: () => ({ stdout: `size ${10 * 4096}\nok 0-9\nend` }),
    }],
    expected: {
      status: 'failed', category: 'product', step: /^step "26\. every record the probe acknowledged on drbd\d is intact on drbd\d" failed: /,
      message: /drbd\d: acknowledged data not intact after the fault: .*\n\s+\d+ acknowledged record\(s\) missing: the file holds 10 whole records, \d+ were acknowledged/,
      error: (e) => e instanceof DrbdlabError && e.cause instanceof DataIntegrityError,
    },
  },
  {
    name: 'the renamed node fails for another reason: drbdadm up after the reboot does not name the missing host section',
    recording: 'hostname.debian12-drbd84.json',
    body: drbdadmHostnamePitfall,
    edits: [{
      what: "`drbdadm up r0` on drbd2x after its reboot exits 1 as recorded, but on a missing backing device (synthetic stderr)",
      match: (c, i, all) => i === firstAfter(all, at('#reboot', 'drbd2'), at('sudo drbdadm up r0', 'drbd2')),
      change: (c) => ({ stderr: c.stderr.replace(/^'r0' not defined in your config \(for this host\)\.$/mu, 'open(/dev/drbdpool/r0) failed: No such file or directory') }),
    }],
    // The pitfall is that one refusal: drbdadm failing otherwise is not it.
    expected: {
      status: 'failed', category: 'product', step: /^step "10\. where it bites: drbd2x reboots and cannot bring r0 up/,
      message: /drbdadm up r0 on drbd2x: stderr: expected 'open\(\/dev\/drbdpool\/r0\) failed: No suc…' to be '\\'r0\\' not defined in your config \(fo…'/,
    },
  },
  {
    name: 'the peer of the renamed node reconnects while it cannot come back',
    recording: 'hostname.debian12-drbd84.json',
    body: drbdadmHostnamePitfall,
    edits: [{
      what: "drbd1's last of the six looks at r0 while drbd2x is down shows its peer connected again",
      match: (c, i, all) => i === lastIndex(all.slice(0, firstAfter(all, at('#reboot', 'drbd2'), at(/^sudo kill \d+$/u, 'drbd1'))), at('sudo drbdadm status r0', 'drbd1')),
      change: () => ({ stdout: 'r0 role:Primary\n  disk:UpToDate\n  peer role:Secondary\n    replication:Established peer-disk:UpToDate\n\n' }),
    }],
    expected: {
      status: 'failed', category: 'product', step: /^step "10\. where it bites: drbd2x reboots and cannot bring r0 up/,
      message: /drbd1: r0 peer connection, look 6 of 6: expected 'Connected' to be 'Connecting'/,
    },
  },
  // Issue 16: kernel health over every boot, observers that name their "not yet", power loss's resync, a refused reboot.
  {
    name: 'a kernel BUG logged before a reboot (the reboot takes it out of dmesg)',
    recording: 'reboot.debian12-drbd84.json',
    body: drbdadmRebootPersistence,
    edits: [{
      what: "drbd1's kernel log, read just before step 24 reboots it, holds a BUG_ON's line",
      match: (c, i, all) => i === firstIndex(all, at(KERNEL_LOG_READ, 'drbd1')) && i < firstIndex(all, at('#reboot', 'drbd1')),
      change: (c) => ({ stdout: loggedBeforeLast(c.stdout, '[  279.500000] kernel BUG at drivers/block/drbd/drbd_main.c:1!') }),
    }],
    expected: {
      status: 'failed', category: 'product', step: /^kernel log on drbd1: 1 line\(s\)/,
      message: /\n {2}drbd1: \[ {2}279\.500000\] kernel BUG at drivers\/block\/drbd\/drbd_main\.c:1! {2}\[before reboot 1\]/,
      error: (e) => e instanceof KernelLogError && e.hits.map((h) => h.pattern).join() === 'kernel BUG',
    },
  },
  {
    name: "a BUG_ON's other lines (cut here, die()'s invalid opcode) logged in the primary's last seconds before its power cut",
    recording: 'power-loss.debian12-drbd84.json',
    body: drbdadmPowerLoss,
    edits: [{
      what: "drbd1's kernel log, read just before its power cut, ends in a trap's cut-here line and die()'s header as 6.1 prints them",
      match: (c, i, all) => i === lastIndex(all.slice(0, firstIndex(all, at('#power off', 'drbd1'))), at(KERNEL_LOG_READ, 'drbd1')),
      change: (c) => ({ stdout: logged(c.stdout, '[  270.100000] ------------[ cut here ]------------', '[  270.100120] invalid opcode: 0000 [#1] PREEMPT SMP NOPTI') }),
    }],
    expected: {
      status: 'failed', category: 'product', step: /^kernel log on drbd1: 2 line\(s\)/,
      message: /\n {2}drbd1: \[ {2}270\.100000\] -{12}\[ cut here \]-{12} {2}\[before power cut 1\]\n {2}drbd1: \[ {2}270\.100120\] invalid opcode: 0000 \[#1\] PREEMPT SMP NOPTI {2}\[before power cut 1\]/,
      // Each line by its own pattern (die()'s header also matches the generic oops header).
      error: (e) => e instanceof KernelLogError && e.hits.map((h) => h.pattern).join() === 'cut here,invalid opcode',
    },
  },
  {
    name: 'the ring buffer wrapped between two reads: the window in between is unread, not clean',
    recording: 'power-loss.debian12-drbd84.json',
    body: drbdadmPowerLoss,
    edits: [{
      what: "drbd1's last read no longer starts with the line the check stopped at (its first three lines gone from the buffer)",
      match: (c, i, all) => i === lastIndex(all, at(KERNEL_LOG_READ, 'drbd1')),
      change: (c) => ({ stdout: c.stdout.split('\n').slice(3).join('\n') }),
    }],
    // Lines were lost unseen: the check could not do its job (broken, infrastructure), never a pass.
    expected: {
      status: 'broken', category: 'infra-other', step: /^kernel log not checked: 1 window\(s\) unread\n {2}drbd1 \(until the end of the scenario\): /,
      message: /drbd1: dmesg of boot [0-9a-f-]{36}: the kernel log does not continue from where the check stopped \(expected line \d+: \[ *[\d.]+\] .*; found \[/,
      error: (e) => e instanceof KernelLogUncheckedError && e.kind === 'infrastructure' && e.unread.length === 1 && e.unread[0]!.error instanceof KernelLogLostError,
    },
  },
  {
    name: "one node's kernel log cannot be read over SSH: another node's hit is still the verdict, the unread window named with it",
    recording: 'walkthrough.debian12-drbd84.json',
    body: drbdadmWalkthrough,
    edits: [
      {
        what: "drbd3's last read loses its SSH connection (recorded as the session records it: no exit status)",
        match: (c, i, all) => i === lastIndex(all, at(KERNEL_LOG_READ, 'drbd3')),
        change: (c) => ({ exitCode: null, stdout: '', stderr: `drbd3: \`${c.command}\`: SSH connection failed: read ECONNRESET` }),
      },
      {
        what: "drbd2's last read holds a WARNING",
        match: (c, i, all) => i === lastIndex(all, at(KERNEL_LOG_READ, 'drbd2')),
        change: (c) => ({ stdout: logged(c.stdout, '[  400.000002] WARNING: CPU: 1 PID: 466 at drivers/block/drbd/drbd_req.c:1385 drbd_request_endio+0x1a/0x50 [drbd]') }),
      },
    ],
    expected: {
      status: 'failed', category: 'product', step: /^kernel log on drbd2: 1 line\(s\)/,
      message: /\n {2}drbd2: \[ {2}400\.000002\] WARNING: CPU: 1 PID: 466 .*\[until the end of the scenario\]\n {2}not read: drbd3 \(until the end of the scenario\): drbd3: `sudo bash -o pipefail -c 'dmesg \| tail -n \+\d+'` exited without status\n {6}drbd3: .*SSH connection failed: read ECONNRESET/,
      error: (e) => e instanceof KernelLogError && e.hits.length === 1 && e.unread.length === 1 && e.unread[0]!.node === 'drbd3',
    },
  },
  {
    name: 'drbdadm status fails inside a wait: the wait ends at once with its output, it does not poll on',
    recording: 'walkthrough.debian12-drbd84.json',
    body: drbdadmWalkthrough,
    edits: [{
      what: "step 20's wait for r0 connected: drbd1's `drbdadm status r0` exits 20 (synthetic stderr: drbd-utils' dispatch line)",
      match: (c, i, all) => i === firstIndex(all, at('sudo drbdadm status r0', 'drbd1')),
      change: () => ({ exitCode: 20, stdout: '', stderr: "Command 'drbdsetup-84 status r0' terminated with exit code 20\n" }),
    }],
    expected: {
      status: 'failed', category: 'product', step: /^step "20\. create-md and up on drbd1 and drbd2" failed: /,
      message: /failed: drbd1: `sudo drbdadm status r0` exited 20\n {2}Command 'drbdsetup-84 status r0' terminated with exit code 20/,
      error: (e) => causes(e).some((x) => x instanceof RemoteCommandError && x.exitCode === 20 && x.kind === 'product'),
    },
  },
  {
    name: 'crm_mon fails inside the Pacemaker wait: only 102 is "not yet", the wait ends at once',
    recording: 'pacemaker-failover.debian12-drbd84.json',
    body: drbdadmPacemakerFailover,
    edits: [{
      what: "a crm_mon poll while Pacemaker brings r0 up exits 1, CRM_EX_ERROR (synthetic output, in crm_mon's XML form)",
      match: (c, i, all) => i === firstFrom(all, firstIndex(all, at('sudo crm configure load update /root/r0.crm', 'drbd1')) + 4, at('sudo crm_mon -1 --output-as=xml', 'drbd1')),
      change: () => ({
        exitCode: 1, stderr: '',
        stdout: '<pacemaker-result api-version="2.25" request="crm_mon -1 --output-as=xml">\n  <status code="1" message="Error occurred">\n    <errors>\n      <error>crm_mon: Error occurred</error>\n    </errors>\n  </status>\n</pacemaker-result>\n',
      }),
    }],
    expected: {
      status: 'failed', category: 'product', step: /^step "26\. load the r0 configuration \(crmsh\): Pacemaker promotes one replica and mounts r0 there" failed: /,
      message: /failed: drbd1: `sudo crm_mon -1 --output-as=xml` exited 1\n/,
      error: (e) => causes(e).some((x) => x instanceof RemoteCommandError && x.exitCode === 1 && x.command === 'sudo crm_mon -1 --output-as=xml'),
    },
  },
  {
    name: 'power loss: a full resync when the crashed primary returns',
    recording: 'power-loss.debian12-drbd84.json',
    body: drbdadmPowerLoss,
    edits: [
      {
        what: "drbdadm up on drbd1: its activity log marks the whole 1 GiB (drbdmeta apply-al's line)",
        match: at('sudo drbdadm up r0', 'drbd1'),
        change: (c) => ({ stderr: c.stderr.replace(/^Marked additional \d+ MB as out-of-sync based on AL\.$/mu, 'Marked additional 1024 MB as out-of-sync based on AL.') }),
      },
      {
        what: "drbd1's kernel log since it came back: attached with every bit set, a resync of the whole device as SyncTarget",
        match: (c, i, all) => i === firstAfter(all, at('sudo drbdadm up r0', 'drbd1'), at(/dmesg --notime \| tail -n \+/u, 'drbd1')),
        change: (c) => ({ stdout: wholeDevice(c.stdout) }),
      },
      {
        what: "drbd2's kernel log since drbd1 came back: the peer's bits and a resync of the whole device as SyncSource",
        match: (c, i, all) => i === firstAfter(all, at('sudo drbdadm up r0', 'drbd1'), at(/dmesg --notime \| tail -n \+/u, 'drbd2')),
        change: (c) => ({ stdout: wholeDevice(c.stdout) }),
      },
    ],
    expected: {
      status: 'failed', category: 'product', step: /^step "7\. the resync went from drbd2 to drbd1: the crashed primary's activity log \(67 extents\)/,
      message: /failed: resync after drbd1 lost power: [^\n]*a full resync of 1048508 KB \(the whole device\), not one of the bitmaps/,
    },
  },
  {
    name: 'a refused reboot: the node says no, the run says so at once (no wait for a boot that will not come)',
    recording: 'reboot.debian12-drbd84.json',
    body: drbdadmRebootPersistence,
    // `sudo systemctl reboot` runs unrecorded (only the `#reboot` mark is in a recording): drbd2's
    // reboot runs StartedNode.reboot (lib/lab/started-node.ts) on a scripted session first, which
    // goes down (green) or refuses (red); a wait for the new boot would run out after 3 s.
    edits: [],
    lab: (lab, mutated) =>
      withStartedNodeReboot(lab, 'drbd2', scriptedStartedNode('drbd2', !mutated, async () => (mutated ? execResult(1, 'sudo: a password is required\n') : execResult(0))).node, 3_000),
    expected: {
      status: 'broken', category: 'infra-other', step: /^step "24\. reboot both replicas: the module loads, the resource stays down" failed: /,
      message: /failed: drbd2: reboot refused: `sudo systemctl reboot` exited 1\n {2}sudo: a password is required/,
      error: (e) => causes(e).some((x) => x instanceof RebootRefusedError && x.kind === 'infrastructure'),
    },
  },
];

/** The nightly's exit code for a run whose one scenario reports `status`. */
const EXIT_FOR = { failed: EXIT.failed, broken: EXIT.broken } as const;

describe('mutations: each pitfall turns the replay red, with the right classification, at once', () => {
  for (const m of MUTATIONS) {
    it(`${m.name} (${m.recording})`, async () => {
      const original = readRecording(join(RECORDINGS, m.recording));
      expect(original.evidence).toBe(m.recording.startsWith('synthetic/') ? 'synthetic' : 'real');

      // Green without the fault, through the same code …
      const green = await replayThroughDefineScenario(original, m.body, m.lab ? { lab: (l) => m.lab!(l, false) } : {});
      expect(green.err, 'the unchanged recording replays green').toBeUndefined();
      expect(green.remaining, 'and uses up the recording').toBe(0);
      expect(await classifyLikeTheNightly(green), 'the unchanged recording as the report and the nightly see it').toEqual({ status: 'passed', category: undefined, exitCode: EXIT.ok });

      // … red with it.
      const red = await replayThroughDefineScenario(mutate(original, m.edits), m.body, m.lab ? { lab: (l) => m.lab!(l, true) } : {});
      expect(red.err, 'the mutated recording fails').toBeInstanceOf(Error);
      const err = red.err as Error;
      const reported = await classifyLikeTheNightly(red);
      expect(reported.status, `reported status (${err.message.split('\n')[0]})`).toBe(m.expected.status);
      expect(reported.category).toBe(m.expected.category);
      expect(reported.exitCode, 'the nightly\'s exit code').toBe(EXIT_FOR[m.expected.status]);
      expect(err.message).toMatch(m.expected.step);
      expect(err.message).toMatch(m.expected.message);
      if (m.expected.error) expect(m.expected.error(err), `error type: ${err.name}`).toBe(true);
      // Quickly: no wait ran out its time, not even on the virtual clock.
      expect(causes(err).filter((e) => e instanceof WaitTimeoutError)).toEqual([]);
    });
  }
});

/** A kernel log of a resync of the whole 1 GiB device: every bit set at attach and at the handshake, the resync as large as the device. */
function wholeDevice(log: string): string {
  const out = log
    .replace(/\b\d+ MB \(\d+ bits\) marked out-of-sync by on disk bit-map\./gu, '1024 MB (262127 bits) marked out-of-sync by on disk bit-map.')
    .replace(/^(block drbd100: (?:self|peer) [0-9A-F:]+ bits:)68591\b/gmu, '$1262127')
    .replace(/Began resync as (SyncTarget|SyncSource) \(will sync \d+ KB \[\d+ bits set\]\)\./gu, 'Began resync as $1 (will sync 1048508 KB [262127 bits set]).');
  if (!out.includes('will sync 1048508 KB')) throw new Error('wholeDevice: no "Began resync" line in the log');
  return out;
}

/** crm_mon XML with p_fs_r0 stopped and a failed start of it on `node` (what a file system that cannot mount leaves). */
function fsStartFailed(xml: string, node: string): string {
  const stopped = xml.replace(
    /<resource id="p_fs_r0" ([^>]*?)role="\w+" active="\w+"([^>]*?)nodes_running_on="\d+"(?:\/>|>[^]*?<\/resource>)/u,
    '<resource id="p_fs_r0" $1role="Stopped" active="false"$2nodes_running_on="0"/>',
  );
  const failure = `<failure op_key="p_fs_r0_start_0" node="${node}" exitstatus="error" exitreason="Couldn't mount device [/dev/drbd100] as /mnt/r0" exitcode="1" call="40" status="complete" queued="0" exec="120" interval="0" task="start"/>`;
  const out = stopped.includes('<failures>') ? stopped.replace('<failures>', `<failures>\n    ${failure}`) : stopped.replace('<bans>', `<failures>\n    ${failure}\n  </failures>\n  <bans>`);
  if (out === xml || !out.includes(failure)) throw new Error('fsStartFailed: crm_mon XML without p_fs_r0 or a place for <failures>');
  return out;
}
