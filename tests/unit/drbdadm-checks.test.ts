// Every check of the drbdadm scenario bodies can fail. Each case below changes one recorded
// answer of a real recording (here in the test, the file stays as recorded) so that the check
// it names has something to refuse, and replays the scenario through defineScenario's own code
// (tests/support/mutation.ts): the run must fail at that step, on that check. The unchanged
// recordings replay green in the `replay` project and in fault-replay.test.ts.
// Also: what a passing run puts into the report (step titles, attachments, parameters) is there
// and says something.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AllureStep } from '../../lib/report/classify.js';
import type { ScenarioBody, ScenarioOptions } from '../../lib/scenario/define-scenario.js';
import { readRecording, type Recording } from '../../lib/scenario/recording.js';
import type { CommandRecord } from '../../lib/ssh/command-record.js';
import { drbdadmHostnamePitfall } from '../../scenarios/steps/drbdadm/hostname.js';
import { drbdadmLinkCut } from '../../scenarios/steps/drbdadm/link-cut.js';
import { drbdadmPacemakerFailover } from '../../scenarios/steps/drbdadm/pacemaker.js';
import { drbdadmPowerLoss } from '../../scenarios/steps/drbdadm/power-loss.js';
import { drbdadmRebootPersistence } from '../../scenarios/steps/drbdadm/reboot.js';
import { drbdadmServices } from '../../scenarios/steps/drbdadm/services.js';
import { drbdadmWalkthrough } from '../../scenarios/steps/drbdadm/walkthrough.js';
import { drbdadmSplitBrain } from '../../scenarios/steps/drbdadm/split-brain.js';
import { R0_UP } from '../../scenarios/steps/drbdadm/start.js';
import { EXIT } from '../../lib/exit-codes.js';
import { at, classifyLikeTheNightly, firstAfter, firstIndex, lastIndex, mutate, replayThroughDefineScenario, type Edit } from '../support/mutation.js';

const RECORDINGS = join(import.meta.dirname, '../../scenarios/recordings');
const FROM_R0_UP: ScenarioOptions = { from: { drbdadm: R0_UP } };

function real(file: string): Recording {
  const recording = readRecording(join(RECORDINGS, file));
  expect(recording.evidence).toBe('real');
  return recording;
}

/** One check and the change of the recording that must make it fail. */
interface Check {
  check: string;
  edits: Edit[];
  /** The step that must fail (start of its title). */
  step: RegExp;
  /** What the failure must say. */
  message: RegExp;
}

/** Each check fails its step when its answer is changed; nothing else fails first. */
function checksOf(scenario: string, file: string, body: ScenarioBody, opts: ScenarioOptions, checks: Check[]): void {
  for (const c of checks) {
    it(c.check, async () => {
      const red = await replayThroughDefineScenario(mutate(real(file), c.edits), body, { scenario, opts });
      expect(red.err, 'the changed recording fails').toBeInstanceOf(Error);
      const message = (red.err as Error).message;
      expect(message).toMatch(new RegExp(`^step "${c.step.source}`, 'u'));
      expect(message).toMatch(c.message);
      // A check that refuses is DRBD not doing what the walkthrough says, never a harness bug
      // (a TypeError in the scenario is reported "broken (harness)" instead).
      expect(await classifyLikeTheNightly(red), 'as the report and the nightly classify it').toEqual({ status: 'failed', category: 'product', exitCode: EXIT.failed });
    });
  }
}

/** A record's output with `from` replaced by `to` (an edit that finds nothing to replace is caught by mutate). */
const replaced = (from: string | RegExp, to: string) => (c: CommandRecord) => ({ stdout: c.stdout.replace(from, to), stderr: c.stderr.replace(from, to) });

/** Every step, attachment and parameter of a result, steps depth first. */
function walk(step: AllureStep, out: AllureStep[] = []): AllureStep[] {
  for (const s of step.steps ?? []) {
    out.push(s);
    walk(s, out);
  }
  return out;
}

/**
 * A passing replay's report: every step has a title, every attachment a name, a content type
 * and content, every parameter a name and a value; the scenario's own steps are all there.
 */
async function expectReportSaysSomething(scenario: string, file: string, body: ScenarioBody, opts: ScenarioOptions, steps: RegExp[], replay: Parameters<typeof replayThroughDefineScenario>[2] = {}) {
  const green = await replayThroughDefineScenario(real(file), body, { scenario, opts, ...replay });
  expect(green.err).toBeUndefined();
  const all = walk(green.result);
  const titles = all.map((s) => s.name ?? '');
  for (const t of titles) expect(t.trim(), `a step title of ${titles.join(' | ')}`).not.toBe('');
  for (const s of steps) expect(titles.filter((t) => s.test(t)), `steps titled ${s}`).toHaveLength(1);
  const attachments = [green.result, ...all].flatMap((s) => (s.attachments ?? []) as { name: string; source: string; type: string }[]);
  // What a failed step leaves (a watcher stopped on the way out) has no place in a passing run.
  expect(attachments.map((a) => a.name).filter((n) => n.endsWith('(step failed)'))).toEqual([]);
  for (const a of attachments) {
    expect(a.name.trim(), 'attachment name').not.toBe('');
    expect(a.type, `${a.name}: content type`).toMatch(/^[a-z]+\/[\w.+-]+$/u);
    expect((await readFile(join(green.resultsDir, a.source), 'utf8')).trim(), `${a.name}: content`).not.toBe('');
  }
  const parameters = [green.result, ...all].flatMap((s) => (s.parameters ?? []) as { name: string; value: string }[]);
  for (const p of parameters) {
    expect(p.name.trim(), 'parameter name').not.toBe('');
    expect(p.value.trim(), `${p.name}: value`).not.toBe('');
  }
  return { attachments, parameters, green };
}

/** A parameter's value as a number (it must be one). */
function figure(parameters: { name: string; value: string }[], name: string): number {
  const found = parameters.filter((p) => p.name === name);
  expect(found, `parameter "${name}"`).toHaveLength(1);
  expect(found[0]!.value).toMatch(/^\d+(\.\d+)?$/u);
  return Number(found[0]!.value);
}

/** Seconds from a recording's first command to its last: no duration measured in it can be longer. */
function spanSeconds(r: Recording): number {
  return (Date.parse(r.commands.at(-1)!.startedAt) - Date.parse(r.commands[0]!.startedAt)) / 1000;
}

/** The end-of-scenario kernel-log reads a recording ends with (boot ids, then each node's dmesg since its mark). */
const END_READ = /^cat \/proc\/sys\/kernel\/random\/boot_id$|^sudo bash -o pipefail -c 'dmesg \| tail -n \+\d+'$/u;

/**
 * The recording with `answers` (node, command, exit code, stdout) run where the scenario's body
 * ends, before the end-of-scenario kernel-log reads: what a lab that goes on runs in addition.
 */
function withCommandsAtEnd(recording: Recording, answers: [node: string, command: string, exitCode?: number, stdout?: string][]): Recording {
  let end = recording.commands.length;
  while (end > 0 && END_READ.test(recording.commands[end - 1]!.command)) end--;
  expect(recording.commands.length - end, 'the end-of-scenario reads: a boot id and a kernel log per node').toBe(2 * recording.nodes.length);
  return withCommandsAt(recording, end, answers);
}

/** The recording with `answers` run before its command #`end` (counted from 0). */
function withCommandsAt(recording: Recording, end: number, answers: [node: string, command: string, exitCode?: number, stdout?: string][]): Recording {
  expect(end).toBeGreaterThan(0);
  const last = recording.commands[end - 1]!;
  const added = answers.map(([node, command, exitCode = 0, stdout = '']) => ({ ...last, node, command, exitCode, stdout, stderr: '' }));
  recording.commands.splice(end, 0, ...added);
  return recording;
}

/** An output without the lines `drop` matches. */
const without = (drop: RegExp) => (c: CommandRecord) => ({ stdout: c.stdout.split('\n').filter((l) => !drop.test(l)).join('\n') });

/** The kernel log read of `node` since the mark (`dmesg --notime | tail`), the first one. */
const kernelLogSince = (node: string) => (c: CommandRecord, i: number, all: readonly CommandRecord[]) => i === firstIndex(all, at(/dmesg --notime \| tail -n \+/u, node));

describe('services (scenario 4)', () => {
  const FILE = 'services.debian12-drbd84.json';
  const DESCRIPTION = '○ drbd.service - DRBD -- please disable. Unless you are NOT using a cluster manager.';

  it('a passing run reports every step, attachment and parameter with something in it', async () => {
    const { attachments } = await expectReportSaysSomething('services', FILE, drbdadmServices, FROM_R0_UP, [/^24\. drbd\.service: /u, /^25\. drbdmanaged\.service: /u, /^drbd@r0\.target: /u]);
    expect(attachments.map((a) => a.name)).toContain('drbdmanaged.service on debian12-drbd84');
  });

  checksOf('services', FILE, drbdadmServices, FROM_R0_UP, [
    {
      check: "drbd.service's description is not the package's \"please disable\"",
      edits: [{ what: 'another description', match: (c, i, all) => i === firstIndex(all, at('systemctl status drbd.service --no-pager')), change: replaced(DESCRIPTION, '○ drbd.service - DRBD') }],
      step: /24\. drbd\.service/u,
      message: /to contain 'drbd\.service - DRBD -- please disable/u,
    },
    {
      check: 'drbd.service would not run the legacy script at boot',
      edits: [{ what: 'another ExecStart', match: at('systemctl show -p UnitFileState,ActiveState,ExecStart drbd.service'), change: replaced('argv[]=/lib/drbd/scripts/drbd start', 'argv[]=/usr/sbin/drbdadm adjust all') }],
      step: /24\. drbd\.service/u,
      message: /to contain '\/lib\/drbd\/scripts\/drbd start'/u,
    },
    {
      check: 'drbdmanaged.service missing for another reason than "could not be found"',
      edits: [{ what: 'another stderr, same exit code', match: at('systemctl status drbdmanaged.service --no-pager'), change: () => ({ stderr: 'Failed to get properties: Access denied' }) }],
      step: /25\. drbdmanaged\.service/u,
      message: /expected 'Failed to get properties: Access deni…' to contain 'Unit drbdmanaged\.service could not be/u,
    },
    {
      check: 'enabling drbd@r0.target says nothing of the unit',
      edits: [{ what: 'systemctl enable prints nothing', match: at('sudo systemctl enable drbd@r0.target 2>&1'), change: () => ({ stdout: '' }) }],
      step: /drbd@r0\.target: brings r0 up at boot/u,
      message: /to contain 'drbd@r0\.target'/u,
    },
  ]);

  describe('on a lab that goes on: the restore step', () => {
    /** The recording with the restore step's commands answered (drbd@r0.target and drbd2's drbd.service as given). */
    const withRestore = (disabled: { primary?: string; secondary?: string } = {}) =>
      withCommandsAtEnd(real(FILE), [
        ['drbd1', 'sudo systemctl disable drbd@r0.target 2>&1', 0, 'Removed "/etc/systemd/system/multi-user.target.wants/drbd@r0.target".'],
        // systemctl is-enabled exits 1 for a disabled unit, 0 for an enabled one.
        ['drbd1', 'systemctl is-enabled drbd@r0.target', disabled.primary ? 0 : 1, disabled.primary ?? 'disabled'],
        ['drbd2', 'systemctl is-enabled drbd.service', disabled.secondary ? 0 : 1, disabled.secondary ?? 'disabled'],
        ['drbd1', 'sudo drbdadm primary r0'],
        ['drbd1', 'sudo mount /dev/drbd100 /mnt/r0'],
      ]);

    it('restores the services as installed, drbd1 Primary and mounted, and passes', async () => {
      const r = await replayThroughDefineScenario(withRestore(), drbdadmServices, { scenario: 'services', opts: FROM_R0_UP, shared: true });
      expect(r.err).toBeUndefined();
      expect(r.remaining).toBe(0);
      expect(walk(r.result).map((s) => s.name)).toContain('restore: services as installed, first node Primary and mounted');
    });

    it('fails when drbd@r0.target stays enabled', async () => {
      const r = await replayThroughDefineScenario(withRestore({ primary: 'enabled' }), drbdadmServices, { scenario: 'services', opts: FROM_R0_UP, shared: true });
      expect((r.err as Error).message).toMatch(/^step "restore: services as installed[^\n]*: expected 'enabled' to be 'disabled'/u);
    });

    it("fails when drbd2's drbd.service is enabled", async () => {
      const r = await replayThroughDefineScenario(withRestore({ secondary: 'enabled' }), drbdadmServices, { scenario: 'services', opts: FROM_R0_UP, shared: true });
      expect((r.err as Error).message).toMatch(/^step "restore: services as installed[^\n]*: expected 'enabled' to be 'disabled'/u);
    });

    it('a run on a restored cluster (not shared) has no restore step', async () => {
      const r = await replayThroughDefineScenario(real(FILE), drbdadmServices, { scenario: 'services', opts: FROM_R0_UP, shared: false });
      expect(r.err).toBeUndefined();
      expect(walk(r.result).map((s) => s.name)).not.toContain('restore: services as installed, first node Primary and mounted');
    });
  });
});

describe('link cut (scenario 5)', () => {
  const FILE = 'link-cut.debian12-drbd84.json';

  it('a passing run reports every step, attachment and parameter with something in it, and figures that fit the run', async () => {
    const { parameters } = await expectReportSaysSomething('link-cut', FILE, drbdadmLinkCut, FROM_R0_UP, [
      /^precondition: r0 Connected/u, /^1\. the probe writes/u, /^2\. cut drbd1's replication link/u, /^3\. the primary keeps writing/u,
      /^4\. restore the link/u, /^5\. only the blocks written while cut/u, /^6\. switch primaries: drbd2 holds/u,
    ]);
    const cut = figure(parameters, 'link down → primary WFConnection (s)');
    expect(cut).toBeGreaterThan(0);
    expect(cut).toBeLessThan(spanSeconds(real(FILE)));
    // As recorded: 39 records acknowledged when step 3 began, 76 when the wait for 30 more ended.
    expect(figure(parameters, 'records acknowledged while the link was down (at least)')).toBe(76 - 39);
  });

  checksOf('link-cut', FILE, drbdadmLinkCut, FROM_R0_UP, [
    {
      check: 'the primary loses its replication address with the carrier',
      edits: [{ what: 'no address after the cut', match: (c, i, all) => i === firstAfter(all, at('#link down'), at('ip -o -4 addr show to 10.255.255.101/32', 'drbd1')), change: () => ({ stdout: '' }) }],
      step: /2\. cut drbd1's replication link/u,
      message: /drbd1 keeps 10\.255\.255\.101 without carrier: expected false to be true/u,
    },
    {
      check: 'the link comes back without a resync in the events2 stream',
      edits: [{ what: 'no SyncSource, WFBitMapS or before-resync helper', match: at('cat /tmp/r0.events', 'drbd1'), change: without(/replication:(WFBitMapS|SyncSource)|conn:(WFBitMapS|SyncSource)|helper:before-resync-source/u) }],
      step: /4\. restore the link/u,
      message: /sync states in the stream: /u,
    },
    {
      check: "drbd2's kernel log has no sync handshake since the link came back",
      edits: [{ what: 'the handshake lines dropped', match: kernelLogSince('drbd2'), change: without(/drbd_sync_handshake|: (self|peer) [0-9A-F]+:|uuid_compare/u) }],
      step: /5\. only the blocks written while cut/u,
      message: /drbd2: a sync handshake of drbd100 in the kernel log since the link came back: expected 0 to be greater than 0/u,
    },
    {
      check: 'nothing was resynced: the writes while cut never reached the disk',
      edits: [
        { what: "drbd1's log without its resync", match: kernelLogSince('drbd1'), change: without(/Began resync/u) },
        { what: "drbd2's log without its resync", match: kernelLogSince('drbd2'), change: without(/Began resync/u) },
      ],
      step: /5\. only the blocks written while cut/u,
      // The message is both nodes' summaries, one after the other.
      message: /drbd1: handshake: [^\n]*; 1 resync done; drbd2: handshake: [^\n]*; 1 resync done: expected 'none' to be 'bitmap'/u,
    },
    {
      check: 'the writer stopped with fewer records acknowledged than it had while cut',
      edits: [
        { what: 'stopped at 60', match: at('sudo tail -n 1 /var/lib/drbdlab-probe.ack', 'drbd1'), change: replaced(/^stopped 184$/u, 'stopped 60') },
        { what: 'the ack log ends at 60', match: at('sudo cat /var/lib/drbdlab-probe.ack', 'drbd1'), change: (c) => ({ stdout: `${c.stdout.split('\n').filter((l) => !/^(ack (6[1-9]|[7-9]\d|1\d\d)|stopped \d+)$/u.test(l)).join('\n')}\nstopped 60\n` }) },
      ],
      step: /6\. switch primaries/u,
      message: /expected 60 to be greater than or equal to 69/u,
    },
  ]);
});

describe('split brain (scenario 7)', () => {
  const FILE = 'split-brain.debian12-drbd84.json';
  /** The kernel log read of `node` that spans the manual recovery (its last `dmesg --notime | tail`). */
  const recoveryLog = (node: string) => (c: CommandRecord, i: number, all: readonly CommandRecord[]) => i === lastIndex(all, at(/dmesg --notime \| tail -n \+/u, node));

  it('a passing run reports every step, attachment and parameter with something in it', async () => {
    const { attachments } = await expectReportSaysSomething('split-brain', FILE, drbdadmSplitBrain, FROM_R0_UP, [
      /^precondition: r0 Connected/u, /^1\. cut drbd1's replication link/u, /^2\. promote drbd2 too/u, /^3\. restore the link: DRBD detects the split brain/u,
      /^4\. manual recovery: drbd2 connects with --discard-my-data, drbd1 connects/u, /^5\. drbd2 has drbd1's data/u,
    ]);
    expect(attachments.map((a) => a.name)).toContain('writes discarded by the recovery (by design)');
  });

  checksOf('split-brain', FILE, drbdadmSplitBrain, FROM_R0_UP, [
    {
      check: 'drbd1 does not say it resolved the split brain from its own data',
      edits: [{ what: "drbd1's recovery log without its line", match: recoveryLog('drbd1'), change: without(/manually solved/u) }],
      step: /4\. manual recovery/u,
      message: /drbd1: lines "block drbd100: Split-Brain detected, manually solved\. Sync from this node" in the kernel log: expected \+0 to be 1/u,
    },
    {
      check: 'drbd2 does not say it resolved the split brain from its peer',
      edits: [{ what: "drbd2's recovery log says it synced from itself", match: recoveryLog('drbd2'), change: replaced('manually solved. Sync from peer node', 'manually solved. Sync from this node') }],
      step: /4\. manual recovery/u,
      message: /drbd2: lines "block drbd100: Split-Brain detected, manually solved\. Sync from peer node" in the kernel log: expected \+0 to be 1/u,
    },
    {
      check: "the victim's own write survives the recovery",
      edits: [{ what: 'test -e finds the file', match: at('test -e /mnt/r0/split-drbd2.txt', 'drbd2'), change: () => ({ exitCode: 0 }) }],
      step: /5\. drbd2 has drbd1's data/u,
      message: /\/mnt\/r0\/split-drbd2\.txt \(written on drbd2 while split\) after the recovery: expected \+0 to be 1/u,
    },
  ]);
});

describe('power loss (scenario 6)', () => {
  const FILE = 'power-loss.debian12-drbd84.json';

  it('a passing run reports every step, attachment and parameter with something in it, and figures that fit the run', async () => {
    const { parameters } = await expectReportSaysSomething('power-loss', FILE, drbdadmPowerLoss, FROM_R0_UP, [
      /^precondition: r0 Connected/u, /^1\. the probe writes/u, /^2\. power off drbd1 from the host/u, /^3\. promote drbd2 and mount r0/u,
      /^4\. power drbd1 on: it boots, r0 stays down/u, /^5\. every acknowledged record is on drbd2/u, /^6\. drbd1 rejoins as secondary and resyncs from drbd2/u,
      /^7\. the resync went from drbd2 to drbd1: the crashed primary's activity log \(67 extents\)/u, /^8\. switch primaries back: drbd1 holds/u,
    ]);
    const span = spanSeconds(real(FILE));
    const lost = figure(parameters, 'power off → secondary WFConnection (s)');
    const mounted = figure(parameters, 'power off → mounted on the new primary (s)');
    expect(lost).toBeGreaterThan(0);
    expect(mounted).toBeGreaterThanOrEqual(lost);
    expect(mounted).toBeLessThan(span);
    const back = figure(parameters, 'drbd1 up → Established UpToDate/UpToDate (s)');
    expect(back).toBeGreaterThan(0);
    expect(back).toBeLessThan(span);
    // As recorded: the writer's ack log on drbd1's disk ends at ack 36; drbdadm up marked 268 MB (67 extents of 4 MiB) from the AL.
    expect(figure(parameters, 'records acknowledged before the power cut')).toBe(36);
    expect(figure(parameters, 'activity log of the crashed drbd1 (KB marked, at most 274432)')).toBe(268 * 1024);
  });

  const ACKS = at('sudo cat /var/lib/drbdlab-probe.ack', 'drbd1');
  const CSTATE_AFTER_BOOT = (c: CommandRecord, i: number, all: readonly CommandRecord[]) => i === firstAfter(all, at('#power on', 'drbd1'), at('sudo drbdadm cstate r0', 'drbd1'));
  checksOf('power-loss', FILE, drbdadmPowerLoss, FROM_R0_UP, [
    {
      check: 'r0 after the boot: drbdadm fails otherwise than "no such minor"',
      edits: [{ what: 'drbdadm cstate refuses its config', match: CSTATE_AFTER_BOOT, change: () => ({ exitCode: 1, stderr: "'r0' not defined in your config (for this host).\n" }) }],
      step: /4\. power drbd1 on/u,
      message: /drbd1: drbdadm cstate r0 after the boot: exit code \(stderr: 'r0' not defined in your config \(for this host\)\.\): expected 1 to be 10/u,
    },
    {
      check: 'r0 after the boot: exit 10, but not for a missing minor',
      edits: [{ what: 'another failure of drbdsetup, same exit code', match: CSTATE_AFTER_BOOT, change: replaced('100: Failure: (127) Device minor not allocated', '100: Failure: (158) Unknown resource') }],
      step: /4\. power drbd1 on/u,
      message: /drbd1: drbdadm cstate r0 after the boot: expected '100: Failure: \(158\) Unknown resource' to be '100: Failure: \(127\) Device minor not/u,
    },
    {
      check: "the writer's ack log after the boot says it stopped (it was killed)",
      edits: [{ what: 'a stopped line at its end', match: ACKS, change: (c) => ({ stdout: `${c.stdout.replace(/\n*$/u, '')}\nstopped 36\n` }) }],
      step: /4\. power drbd1 on/u,
      message: /expected true to be false/u,
    },
    {
      check: "the writer's ack log after the boot has fewer records than the host saw acknowledged",
      edits: [{ what: 'the log ends at ack 20', match: ACKS, change: (c) => ({ stdout: `${c.stdout.split('\n').filter((l) => !/^ack (2[1-9]|3\d)$/u.test(l)).join('\n')}` }) }],
      step: /4\. power drbd1 on/u,
      message: /expected 20 to be greater than or equal to 27/u,
    },
    {
      check: 'drbd1 did not resync as SyncTarget',
      edits: [{ what: "drbd1's log without its Began resync", match: kernelLogSince('drbd1'), change: without(/Began resync as SyncTarget/u) }],
      step: /7\. the resync went from drbd2 to drbd1/u,
      message: /drbd1: began resync as …: expected \[\] to deeply equal \[ 'SyncTarget' \]/u,
    },
    {
      check: 'drbd2 did not resync as SyncSource',
      edits: [{ what: "drbd2's log without its Began resync", match: kernelLogSince('drbd2'), change: without(/Began resync as SyncSource/u) }],
      step: /7\. the resync went from drbd2 to drbd1/u,
      message: /drbd2: began resync as …: expected \[\] to deeply equal \[ 'SyncSource' \]/u,
    },
    {
      check: 'drbdadm up on drbd1 does not say how much its activity log marked',
      edits: [{ what: "no drbdmeta apply-al line", match: at('sudo drbdadm up r0', 'drbd1'), change: () => ({ stderr: '' }) }],
      step: /7\. the resync went from drbd2 to drbd1/u,
      message: /drbdadm up on drbd1: "Marked additional … as out-of-sync based on AL\.": expected null not to be null/u,
    },
    {
      check: "drbd1's log has no bitmap count at attach",
      edits: [{ what: 'without the on-disk bitmap line', match: kernelLogSince('drbd1'), change: without(/marked out-of-sync by on disk bit-map/u) }],
      step: /7\. the resync went from drbd2 to drbd1/u,
      message: /drbd1: "… bits marked out-of-sync by on disk bit-map" at attach: expected undefined to be defined/u,
    },
    {
      check: "drbd2's log has no sync handshake with its own bits",
      edits: [{ what: 'without the handshake', match: kernelLogSince('drbd2'), change: without(/drbd_sync_handshake|: (self|peer) [0-9A-F]+:|uuid_compare/u) }],
      step: /7\. the resync went from drbd2 to drbd1/u,
      message: /drbd2: its bits at the sync handshake: expected undefined to deeply equal Any<Number>/u,
    },
  ]);
});

describe('reboot persistence (scenario 2)', () => {
  const FILE = 'reboot.debian12-drbd84.json';

  it('a passing run reports every step, attachment and parameter with something in it', async () => {
    await expectReportSaysSomething('reboot', FILE, drbdadmRebootPersistence, FROM_R0_UP, [
      /^precondition: r0 up, data on it/u, /^24\. drbd\.service is disabled as installed/u, /^24\. reboot both replicas/u, /^25\. enable drbd\.service/u,
      /^25\. reboot again/u, /^25\. after the reboot DRBD resynced only what its bitmap held/u, /^25\. data intact after the reboot/u,
    ]);
  });

  /** The events2 stream of step 25 showing `kib` out of sync (the recorded one shows 0 at once). */
  const outOfSync = (kib: number): Edit => ({ what: `events2: out-of-sync:${kib}`, match: at('cat /tmp/r0.events', 'drbd1'), change: (c) => ({ stdout: c.stdout.replaceAll(' out-of-sync:0 ', ` out-of-sync:${kib} `) }) });
  const STATUS_AFTER_FIRST_REBOOT = (c: CommandRecord, i: number, all: readonly CommandRecord[]) => i === firstAfter(all, at('#reboot', 'drbd1'), at('sudo drbdadm status r0', 'drbd2'));

  checksOf('reboot', FILE, drbdadmRebootPersistence, FROM_R0_UP, [
    {
      check: 'after the first reboot drbdadm status fails otherwise than "No such resource" (same exit code)',
      edits: [{ what: "drbd2's answer without the line", match: STATUS_AFTER_FIRST_REBOOT, change: replaced('r0: No such resource\n', '') }],
      step: /24\. reboot both replicas/u,
      message: /to match \/r0: No such resource\//u,
    },
    {
      check: 'enabling drbd.service says neither of what systemctl says when it does',
      edits: [{ what: 'drbd1: systemctl enable prints nothing', match: at('sudo systemctl enable drbd.service 2>&1', 'drbd1'), change: () => ({ stdout: '' }) }],
      step: /25\. enable drbd\.service/u,
      message: /expected '' to match \/Created symlink\|Synchronizing state o/u,
    },
    {
      check: "drbd2's log of the boot has no sync handshake",
      edits: [{ what: 'the handshake lines dropped', match: (c, i, all) => i === lastIndex(all, at('sudo dmesg --notime', 'drbd2')), change: without(/drbd_sync_handshake|: (self|peer) [0-9A-F]+:|uuid_compare/u) }],
      step: /25\. after the reboot DRBD resynced only what its bitmap held/u,
      message: /drbd2: a sync handshake of drbd100 in this boot's kernel log: expected 0 to be greater than 0/u,
    },
    {
      check: 'the kernel log shows a small resync but the events2 stream found one AL extent (4 MiB) out of sync',
      edits: [outOfSync(4096)],
      step: /25\. after the reboot DRBD resynced only what its bitmap held/u,
      message: /r0: resync of 4096 KB after the reboot; expected a bitmap-based resync under 4096 KB\n {2}events2 on drbd1: /u,
    },
    {
      check: 'the events2 stream found the whole device out of sync',
      edits: [outOfSync(1048508)],
      step: /25\. after the reboot DRBD resynced only what its bitmap held/u,
      message: /r0: full resync of 1048508 KB after the reboot \(the whole device\); expected a bitmap-based resync under 4096 KB/u,
    },
  ]);

  describe('on a lab that goes on: the restore step', () => {
    /** The recording with the restore step's commands answered; `drbd2` says it is still enabled when asked. */
    const withRestore = (drbd2 = 'disabled') =>
      withCommandsAtEnd(real(FILE), [
        ['drbd1', 'sudo systemctl disable drbd.service 2>&1', 0, 'Synchronizing state of drbd.service with SysV service script with /lib/systemd/systemd-sysv-install.'],
        ['drbd1', 'systemctl is-enabled drbd.service', 1, 'disabled'],
        ['drbd2', 'sudo systemctl disable drbd.service 2>&1', 0, 'Synchronizing state of drbd.service with SysV service script with /lib/systemd/systemd-sysv-install.'],
        ['drbd2', 'systemctl is-enabled drbd.service', drbd2 === 'disabled' ? 1 : 0, drbd2],
      ]);

    it('disables drbd.service on both replicas again, and passes', async () => {
      const r = await replayThroughDefineScenario(withRestore(), drbdadmRebootPersistence, { scenario: 'reboot', opts: FROM_R0_UP, shared: true });
      expect(r.err).toBeUndefined();
      expect(r.remaining).toBe(0);
      expect(walk(r.result).map((s) => s.name)).toContain('restore: drbd.service disabled again, as installed');
    });

    it('fails when drbd.service stays enabled on drbd2', async () => {
      const r = await replayThroughDefineScenario(withRestore('enabled'), drbdadmRebootPersistence, { scenario: 'reboot', opts: FROM_R0_UP, shared: true });
      expect((r.err as Error).message).toMatch(/^step "restore: drbd\.service disabled again, as installed" failed: expected 'enabled' to be 'disabled'/u);
    });
  });
});

describe('hostname pitfall (scenario 3)', () => {
  const FILE = 'hostname.debian12-drbd84.json';

  it('a passing run reports every step, attachment and parameter with something in it', async () => {
    await expectReportSaysSomething('hostname', FILE, drbdadmHostnamePitfall, FROM_R0_UP, [
      /^10\. before DRBD is configured: drbd3 renamed drbd3x, then create-md and up under the new name work/u,
      /^10\. after DRBD runs: drbd2 renamed drbd2x; drbdadm no longer finds r0, the kernel keeps it connected/u,
      /^10\. where it bites: drbd2x reboots and cannot bring r0 up; drbd1 keeps waiting for its peer/u,
      /^restore the hostname drbd2: drbdadm finds the node again, r0 reconnects and catches up/u,
    ]);
  });

  /** The first record of `command` on `node` after the first one of `after` (on any node). */
  const after = (first: string, command: string, node: string) => (c: CommandRecord, i: number, all: readonly CommandRecord[]) => i === firstAfter(all, at(first), at(command, node));
  const CONNECTED_100 = '100: cs:Connected ro:Secondary/Primary ds:UpToDate/UpToDate C r-----\n    ns:0 nr:0 dw:0 dr:0 al:8 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0';

  checksOf('hostname', FILE, drbdadmHostnamePitfall, FROM_R0_UP, [
    {
      check: 'drbdadm on the renamed drbd3 does not find itself in the scratch resource',
      edits: [{ what: 'the dump names the old host', match: at('sudo drbdadm dump r1', 'drbd3'), change: replaced('on drbd3x {', 'on drbd3 {') }],
      step: /10\. before DRBD is configured/u,
      message: /drbdadm dump r1 on drbd3x: expected '# resource r1 on drbd3x[^']*' to match \/\\bon drbd3x\\s\*\\\{\/u/u,
    },
    {
      check: 'the scratch resource still has a section for the old name drbd3',
      edits: [{ what: 'a second section, for drbd3', match: at('sudo drbdadm dump r1', 'drbd3'), change: replaced('    on drbd3x {', '    on drbd3 {\n    }\n    on drbd3x {') }],
      step: /10\. before DRBD is configured/u,
      message: /drbdadm dump r1 on drbd3x: expected '# resource r1 on drbd3x[^']*' not to match \/\\bon drbd3\\s\*\\\{\/u/u,
    },
    {
      check: 'create-md on drbd3x does not say it created the metadata',
      edits: [{ what: 'create-md prints nothing', match: at('sudo drbdadm create-md --force r1', 'drbd3'), change: () => ({ stdout: '', stderr: '' }) }],
      step: /10\. before DRBD is configured/u,
      message: /drbd3: create-md: expected '' to match/u,
    },
    {
      check: 'the fresh scratch resource is already UpToDate on drbd1',
      edits: [{ what: 'r1 disk UpToDate', match: at('sudo drbdadm status r1', 'drbd1'), change: replaced('disk:Inconsistent\n  peer', 'disk:UpToDate\n  peer') }],
      step: /10\. before DRBD is configured/u,
      message: /drbd1: r1 disk: expected 'UpToDate' to be 'Inconsistent'/u,
    },
    {
      check: 'drbdadm down on the renamed drbd2 prints something on stdout',
      edits: [{ what: 'a line on stdout', match: at('sudo drbdadm down r0', 'drbd2'), change: () => ({ stdout: 'r0: down\n' }) }],
      step: /10\. after DRBD runs/u,
      message: /drbdadm down r0 on drbd2x: stdout: expected 'r0: down' to be ''/u,
    },
    {
      check: "the kernel drops r0's connection when drbd2 is renamed",
      edits: [{ what: '/proc/drbd: WFConnection', match: at('cat /proc/drbd', 'drbd2'), change: replaced('100: cs:Connected', '100: cs:WFConnection') }],
      step: /10\. after DRBD runs/u,
      message: /drbd2x: \/proc\/drbd minor 100: expected 'WFConnection' to be 'Connected'/u,
    },
    {
      check: 'drbd1 no longer sees its peer after the rename',
      edits: [{ what: "drbd1's status: connecting", match: after('sudo hostnamectl set-hostname drbd2x', 'sudo drbdadm status r0', 'drbd1'), change: () => ({ stdout: 'r0 role:Primary\n  disk:UpToDate\n  peer connection:Connecting\n' }) }],
      step: /10\. after DRBD runs/u,
      message: /drbd1 still sees its peer: expected false to be true/u,
    },
    {
      check: 'the new name does not survive the reboot',
      edits: [{ what: 'hostname after the reboot: drbd2', match: after('#reboot', 'hostname', 'drbd2'), change: () => ({ stdout: 'drbd2' }) }],
      step: /10\. where it bites/u,
      message: /the new name survives the reboot: expected 'drbd2' to be 'drbd2x'/u,
    },
    {
      check: 'r0 is up on drbd2x after the reboot',
      edits: [{ what: '/proc/drbd with minor 100', match: after('#reboot', 'cat /proc/drbd', 'drbd2'), change: (c) => ({ stdout: `${c.stdout}\n\n${CONNECTED_100}` }) }],
      step: /10\. where it bites/u,
      message: /drbd2x: \/proc\/drbd minor 100 after the reboot: expected 'Connected' to be null/u,
    },
    {
      check: 'r0 is up on drbd2x after the failed drbdadm up',
      edits: [{ what: '/proc/drbd with minor 100', match: after('sudo drbdadm up r0', 'cat /proc/drbd', 'drbd2'), change: (c) => ({ stdout: `${c.stdout}\n\n${CONNECTED_100}` }) }],
      step: /10\. where it bites/u,
      message: /drbd2x: \/proc\/drbd minor 100 after the failed up: expected 'Connected' to be null/u,
    },
    {
      check: "drbd1's events2 stream sees r0 connected meanwhile",
      edits: [{ what: 'a connection change to Connected in the stream', match: (c, i, all) => i === lastIndex(all, at('cat /tmp/r0.events', 'drbd1')), change: (c) => ({ stdout: `${c.stdout.replace(/\n*$/u, '')}\n2026-12-07T02:26:10.000000+00:00 change connection name:r0 peer-node-id:0 conn-name:peer connection:Connected\n` }) }],
      step: /10\. where it bites/u,
      message: /drbd1: r0 connection states in the events2 stream: expected/u,
    },
    {
      check: 'r0 not UpToDate on drbd2 after its name is back',
      edits: [{ what: "drbd2's last status: Inconsistent", match: (c, i, all) => i === lastIndex(all, at('sudo drbdadm status r0', 'drbd2')), change: replaced('disk:UpToDate\n  peer', 'disk:Inconsistent\n  peer') }],
      step: /restore the hostname drbd2/u,
      message: /expected 'Inconsistent' to be 'UpToDate'/u,
    },
  ]);

  it("drbd1 waits for its peer over five intervals of 5 s (DRBD's connect-int twice over), its events2 watcher kept on for them", async () => {
    const slept: number[] = [];
    const r = await replayThroughDefineScenario(real(FILE), drbdadmHostnamePitfall, {
      scenario: 'hostname', opts: FROM_R0_UP,
      lab: (replay) => {
        const clock = replay.clock;
        const sleep = clock.sleep.bind(clock);
        clock.sleep = async (ms, signal) => {
          slept.push(ms);
          return sleep(ms, signal);
        };
        return replay;
      },
    });
    expect(r.err).toBeUndefined();
    // Between the six looks of step "where it bites", and nowhere else in this recording.
    expect(slept.filter((ms) => ms === 5_000)).toHaveLength(5);
  });

  it('a step that fails while the events2 watcher runs tries to stop it and attaches the outcome', async () => {
    const red = await replayThroughDefineScenario(mutate(real(FILE), [{
      what: 'r0 up on drbd2x after the failed up', match: after('sudo drbdadm up r0', 'cat /proc/drbd', 'drbd2'), change: (c) => ({ stdout: `${c.stdout}\n\n${CONNECTED_100}` }),
    }]), drbdadmHostnamePitfall, { scenario: 'hostname', opts: FROM_R0_UP });
    expect((red.err as Error).message).toMatch(/^step "10\. where it bites/u);
    const attached = walk(red.result).flatMap((s) => (s.attachments ?? []) as { name: string; source: string; type: string }[]);
    const seen = attached.find((a) => a.name === 'drbdsetup events2 r0 on drbd1 (step failed)');
    expect(seen, attached.map((a) => a.name).join(' | ')).toBeDefined();
    expect(seen!.type).toBe('text/plain');
    // Replayed, the stop runs off the recording (its `kill` comes later in it): the attachment says why it could not stop.
    expect(await readFile(join(red.resultsDir, seen!.source), 'utf8')).toMatch(/^events2 watcher not stopped: ReplayMismatchError: replay differs at command #\d+/u);
  });

  describe('on a lab that goes on: the scratch resource is removed, drbd3 renamed back', () => {
    /** The recording with the restore step's commands answered, before drbd2 is renamed; `hostname` on drbd3 answers `name`. */
    function withRestore(name = 'drbd3'): Recording {
      const recording = real(FILE);
      const restore = ['drbd3', 'drbd1'].flatMap((n): [string, string][] => [[n, 'sudo drbdadm down r1'], [n, 'sudo rm /etc/drbd.d/r1.res'], [n, 'sudo lvremove --yes drbdpool/r1']]);
      return withCommandsAt(recording, firstIndex(recording.commands, at('sudo hostnamectl set-hostname drbd2x', 'drbd2')), [
        ...restore, ['drbd3', 'sudo hostnamectl set-hostname drbd3'], ['drbd3', 'hostname', 0, name],
      ]);
    }

    it('runs the restore step and passes', async () => {
      const r = await replayThroughDefineScenario(withRestore(), drbdadmHostnamePitfall, { scenario: 'hostname', opts: FROM_R0_UP, shared: true });
      expect(r.err).toBeUndefined();
      expect(r.remaining).toBe(0);
      expect(walk(r.result).map((s) => s.name)).toContain('restore: r1 removed, drbd3x named drbd3 again');
    });

    it('fails when drbd3 keeps its new name', async () => {
      const r = await replayThroughDefineScenario(withRestore('drbd3x'), drbdadmHostnamePitfall, { scenario: 'hostname', opts: FROM_R0_UP, shared: true });
      expect((r.err as Error).message).toMatch(/^step "restore: r1 removed, drbd3x named drbd3 again" failed: expected 'drbd3x' to be 'drbd3'/u);
    });
  });
});

describe('walkthrough (scenario 1)', () => {
  const FILE = 'walkthrough.debian12-drbd84.json';
  const R3_UP = at('sudo drbdadm -c /tmp/r3.res up r3', 'drbd1');
  /** drbdadm status r0 on `node` in step 22 (after mkfs). */
  const AFTER_RESYNC = (node: string) => (c: CommandRecord, i: number, all: readonly CommandRecord[]) =>
    i === firstAfter(all, at('sudo mkfs -t ext4 /dev/drbd100', 'drbd1'), at('sudo drbdadm status r0', node));
  const LAST_STATUS = (c: CommandRecord, i: number, all: readonly CommandRecord[]) => i === lastIndex(all, at('sudo drbdadm status r0', 'drbd1'));
  /** drbdadm status of a resource that is down, as DRBD 8.4's drbdadm answers. */
  const NO_SUCH_R0 = { exitCode: 10, stdout: '', stderr: "r0: No such resource\nCommand 'drbdsetup-84 status r0' terminated with exit code 10\n" };

  it('a passing run reports every step, attachment and parameter with something in it', async () => {
    const { attachments, green } = await expectReportSaysSomething('walkthrough', FILE, drbdadmWalkthrough, {}, [
      /^0\. DRBD stack/u, /^3\. second disk/u, /^5\. \/etc\/hosts/u, /^8\. LVM/u, /^10\. hostnames/u, /^18\. resource r0/u, /^20\. three replicas/u,
      /^20\. create-md and up on drbd1 and drbd2/u, /^21\. initial primary on drbd1/u, /^22\. resync visible/u, /^23\. mount \/dev\/drbd100/u, /^switch primary to drbd2/u,
    ]);
    const third = attachments.find((a) => a.name === 'DRBD 8.4 and the third node');
    expect(third, attachments.map((a) => a.name).join(' | ')).toBeDefined();
    // What it says: what the walkthrough does on DRBD 9, drbdadm's own refusal, where r0 lives instead.
    const text = await readFile(join(green.resultsDir, third!.source), 'utf8');
    expect(text).toMatch(/^The walkthrough deploys r0 to three nodes \(drbdmanage on DRBD 9: deploy-resource r0 3\)\.\n/u);
    expect(text).toContain("DRBD 8.4 connects a resource to exactly one peer; with three 'on' sections, drbdadm up says:\n\n");
    expect(text).toContain('There are multiple host sections for the peer node.');
    expect(text).toMatch(/\nSo here r0 lives on drbd1 and drbd2; drbd3 keeps its drbdpool VG and no r0\.$/u);
  });

  it('a step that fails while the events2 watcher runs tries to stop it and attaches the outcome', async () => {
    const red = await replayThroughDefineScenario(mutate(real(FILE), [{
      what: 'mkfs says nothing of the file system it made', match: at('sudo mkfs -t ext4 /dev/drbd100', 'drbd1'), change: () => ({ stdout: '' }),
    }]), drbdadmWalkthrough, { scenario: 'walkthrough' });
    expect((red.err as Error).message).toMatch(/^step "21\. initial primary on drbd1/u);
    const attached = [red.result, ...walk(red.result)].flatMap((s) => (s.attachments ?? []) as { name: string; source: string; type: string }[]);
    const stop = attached.find((a) => a.name === 'events2 watcher not stopped');
    expect(stop, attached.map((a) => a.name).join(' | ')).toBeDefined();
    expect(stop!.type).toBe('text/plain');
    // Replayed, the stop runs off the recording (its `kill` comes later in it).
    expect(await readFile(join(red.resultsDir, stop!.source), 'utf8')).toMatch(/^ReplayMismatchError: replay differs at command #\d+/u);
  });

  it('the events2 watcher that cannot start: the step fails on that, as DRBD\'s tool failing, with nothing to stop', async () => {
    const red = await replayThroughDefineScenario(mutate(real(FILE), [{
      what: 'drbdsetup events2 does not start', match: at(/^sudo sh -c 'nohup drbdsetup events2 /u, 'drbd1'), change: () => ({ exitCode: 127, stdout: '', stderr: 'sh: 1: drbdsetup: not found' }),
    }]), drbdadmWalkthrough, { scenario: 'walkthrough' });
    expect((red.err as Error).message).toMatch(/^step "21\. initial primary on drbd1/u);
    expect(await classifyLikeTheNightly(red)).toEqual({ status: 'failed', category: 'product', exitCode: EXIT.failed });
    const attached = [red.result, ...walk(red.result)].flatMap((s) => (s.attachments ?? []) as { name: string }[]);
    expect(attached.map((a) => a.name)).not.toContain('events2 watcher not stopped');
  });

  checksOf('walkthrough', FILE, drbdadmWalkthrough, {}, [
    {
      check: "drbd3's kernel module is DRBD 9: the failure names the node",
      edits: [{ what: "drbd3's /proc/drbd says 9.2", match: at('cat /proc/drbd', 'drbd3'), change: replaced('version: 8.4.11', 'version: 9.2.12') }],
      step: /0\. DRBD stack/u,
      message: /drbd3 \/proc\/drbd: expected 9 to be 8/u,
    },
    {
      check: 'the VG drbdpool spans 12 physical volumes',
      edits: [{ what: "drbd2's vgs says 12", match: at('sudo vgs --noheadings -o vg_name,pv_count drbdpool', 'drbd2'), change: () => ({ stdout: 'drbdpool  12' }) }],
      step: /8\. LVM/u,
      message: /to match \/\^drbdpool\\s\+1\$\//u,
    },
    {
      check: 'two VGs named drbdpool (a cloned disk), the first of 2 physical volumes',
      edits: [{ what: "drbd2's vgs lists two", match: at('sudo vgs --noheadings -o vg_name,pv_count drbdpool', 'drbd2'), change: () => ({ stdout: 'drbdpool   2\n  drbdpool   1' }) }],
      step: /8\. LVM/u,
      message: /to match \/\^drbdpool\\s\+1\$\//u,
    },
    {
      check: '/etc/hosts lacks a node',
      edits: [{ what: "drbd3's /etc/hosts without drbd2", match: at('cat /etc/hosts', 'drbd3'), change: without(/ drbd2$/u) }],
      step: /5\. \/etc\/hosts/u,
      message: /to contain '10\.255\.255\.102 drbd2'/u,
    },
    {
      check: "drbdadm dump r0 has no host section of the primary",
      edits: [{ what: 'the section renamed', match: at('sudo drbdadm dump r0', 'drbd2'), change: replaced('on drbd1 {', 'on drbd9 {') }],
      step: /18\. resource r0/u,
      message: /to contain 'on drbd1'/u,
    },
    {
      check: "drbdadm dump r0 gives the primary another address",
      edits: [{ what: "drbd1's address changed", match: at('sudo drbdadm dump r0', 'drbd2'), change: replaced('ipv4 10.255.255.101:7000;', 'ipv4 10.255.255.199:7000;') }],
      step: /18\. resource r0/u,
      message: /to match \/address\\s\+ipv4 10\\\.255\\\.255\\\.101:7000;\//u,
    },
    {
      check: 'r3 with three hosts: drbdadm up refuses for another reason',
      edits: [{ what: 'without the multiple-host-sections line', match: R3_UP, change: (c) => ({ stderr: c.stderr.replace('There are multiple host sections for the peer node.', 'No host section for this node.') }) }],
      step: /20\. three replicas/u,
      message: /to contain 'There are multiple host sections for/u,
    },
    {
      check: 'r3 with three hosts: drbdadm up does not say it cannot configure the network',
      edits: [{ what: 'without the network line', match: R3_UP, change: (c) => ({ stderr: c.stderr.replace('cannot configure network without knowing my peer', 'configured') }) }],
      step: /20\. three replicas/u,
      message: /to contain 'cannot configure network without know/u,
    },
    {
      check: 'the kernel dropped events from the stream',
      edits: [{ what: 'a "- skipped 2" line after SyncSource', match: at('cat /tmp/r0.events', 'drbd1'), change: (c) => ({ stdout: c.stdout.replace(/(replication:SyncSource [^\n]*\n)/u, '$1- skipped 2\n') }) }],
      step: /22\. resync visible/u,
      message: /events dropped by the kernel: the stream may miss a state: expected 2 to be \+0/u,
    },
    {
      check: 'r0 is down on drbd1 after the resync',
      edits: [{ what: "drbd1's drbdadm status: No such resource", match: AFTER_RESYNC('drbd1'), change: () => NO_SUCH_R0 }],
      step: /22\. resync visible/u,
      message: /expected undefined to be 'Primary'/u,
    },
    {
      check: "drbd1's peer is Outdated after the resync",
      edits: [{ what: "drbd1's drbdadm status: peer-disk:Outdated", match: AFTER_RESYNC('drbd1'), change: replaced('peer-disk:UpToDate', 'peer-disk:Outdated') }],
      step: /22\. resync visible/u,
      message: /expected false to be true/u,
    },
    {
      check: 'r0 is down on drbd2 after the resync',
      edits: [{ what: "drbd2's drbdadm status: No such resource", match: AFTER_RESYNC('drbd2'), change: () => NO_SUCH_R0 }],
      step: /22\. resync visible/u,
      message: /expected undefined to be 'Secondary'/u,
    },
    {
      check: 'r0 on drbd2 has no volume after the resync',
      edits: [{ what: "drbd2's drbdadm status: the resource line alone", match: AFTER_RESYNC('drbd2'), change: () => ({ stdout: 'r0 role:Secondary' }) }],
      step: /22\. resync visible/u,
      message: /expected undefined to be 'UpToDate'/u,
    },
    {
      check: "sha256sum's first field is not a bare hash (an escaped name's backslash before it)",
      edits: [{ what: "drbd1's sha256sum line starts with a backslash", match: at('sudo sha256sum /mnt/r0/data.bin', 'drbd1'), change: (c) => ({ stdout: `\\${c.stdout}` }) }],
      step: /23\. mount \/dev\/drbd100/u,
      message: /to match \/\^\[0-9a-f\]\{64\}\$\//u,
    },
    {
      check: "sha256sum's first field has 65 hex digits",
      edits: [{ what: "drbd1's hash one digit longer", match: at('sudo sha256sum /mnt/r0/data.bin', 'drbd1'), change: replaced(/^([0-9a-f]{64})/u, '$10') }],
      step: /23\. mount \/dev\/drbd100/u,
      message: /to match \/\^\[0-9a-f\]\{64\}\$\//u,
    },
    {
      check: 'r0 is down on drbd1 at the end',
      edits: [{ what: "drbd1's last drbdadm status: No such resource", match: LAST_STATUS, change: () => NO_SUCH_R0 }],
      step: /switch primary to drbd2/u,
      message: /expected undefined to be 'Primary'/u,
    },
    {
      check: 'drbd1 has no peer at the end',
      edits: [{ what: "drbd1's last drbdadm status without its peer", match: LAST_STATUS, change: () => ({ stdout: 'r0 role:Primary\n  disk:UpToDate' }) }],
      step: /switch primary to drbd2/u,
      message: /expected undefined to be 'Secondary'/u,
    },
  ]);
});

describe('Pacemaker failover (scenario 8)', () => {
  const FILE = 'pacemaker-failover.debian12-drbd84.json';
  // As recorded: Pacemaker promoted drbd2, so drbd2 is the node that loses power and drbd1 the survivor.
  const CRM_MON = at('sudo crm_mon -1 --output-as=xml', 'drbd1');
  /** drbd1's crm_mon looks between two recorded commands: `from` (exclusive) to the next `to`. */
  const looksBetween = (all: readonly CommandRecord[], from: (c: CommandRecord) => boolean, to: (c: CommandRecord) => boolean) => {
    const start = firstIndex(all, from);
    const end = firstAfter(all, from, to);
    return all.flatMap((c, i) => (i > start && i < end && CRM_MON(c) ? [i] : []));
  };
  /** The wait for a DC and all nodes online: its looks, the last one the look that ended it. */
  const clusterLooks = (all: readonly CommandRecord[]) => looksBetween(all, at('sudo corosync-quorumtool -s', 'drbd1'), at(/^sudo tee \/root\/r0\.crm /u, 'drbd1'));
  /** The wait for r0 promoted and mounted after the configuration is loaded. */
  const promoteLooks = (all: readonly CommandRecord[]) => looksBetween(all, at('sudo crm configure load update /root/r0.crm', 'drbd1'), at('findmnt -n -o SOURCE /mnt/r0', 'drbd2'));
  /** The look before the one that ended a wait, replaced by that last look changed by `change`. */
  const lookBeforeLast = (looks: (all: readonly CommandRecord[]) => number[], change: (xml: string) => string): Edit => ({
    what: 'the look before the last one: the last one, changed',
    match: (c, i, all) => i === looks(all).at(-2),
    change: (c) => {
      const all = recording.commands;
      return { stdout: change(all[looks(all).at(-1)!]!.stdout) };
    },
  });
  const recording = real(FILE);
  /** The failover wait's last look (crm_mon on drbd1 before its findmnt). */
  const FAILOVER_LOOK = (c: CommandRecord, i: number, all: readonly CommandRecord[]) => i === firstAfter(all, at('#power off', 'drbd2'), at('findmnt -n -o SOURCE /mnt/r0', 'drbd1')) - 1;

  /** The scenario passes on the changed recording, every command of it replayed. */
  async function passes(edits: Edit[]) {
    const green = await replayThroughDefineScenario(mutate(real(FILE), edits), drbdadmPacemakerFailover, { scenario: 'pacemaker-failover', opts: FROM_R0_UP });
    expect(green.err).toBeUndefined();
    expect(green.remaining, 'commands of the recording not replayed').toBe(0);
    return green;
  }
  /** The content of the attachment named `name` (there must be one). */
  async function attached(r: Awaited<ReturnType<typeof passes>>, name: string): Promise<string> {
    const all = [r.result, ...walk(r.result)].flatMap((s) => (s.attachments ?? []) as { name: string; source: string }[]);
    const found = all.filter((a) => a.name === name);
    expect(found, all.map((a) => a.name).join(' | ')).toHaveLength(1);
    return readFile(join(r.resultsDir, found[0]!.source), 'utf8');
  }

  describe('the waits end on the look that shows what they wait for, not before', () => {
    it('pacemaker: a look with all three online but no DC is not the end', async () => {
      await passes([lookBeforeLast(clusterLooks, (xml) => xml.replace(/<current_dc [^>]*\/>/u, '<current_dc present="false"/>'))]);
    });
    it('pacemaker: a look with a DC and two nodes, both online, is not the end', async () => {
      await passes([lookBeforeLast(clusterLooks, (xml) => xml.replace(/\n\s*<node name="drbd3" id="3" online="true"[^>]*\/>/u, ''))]);
    });
    it('pacemaker: a look with a DC and drbd2 offline is not the end', async () => {
      await passes([lookBeforeLast(clusterLooks, (xml) => xml.replace('<node name="drbd2" id="2" online="true"', '<node name="drbd2" id="2" online="false"'))]);
    });
    it('r0 promoted and mounted on drbd2, but its clone stopped on drbd1, is not the end', async () => {
      await passes([lookBeforeLast(promoteLooks, (xml) => xml.replace(
        /<resource id="p_drbd_r0" resource_agent="ocf:linbit:drbd" role="Unpromoted" active="true"([^>]*) nodes_running_on="1">\s*<node name="drbd1" id="1" cached="true"\/>\s*<\/resource>/u,
        '<resource id="p_drbd_r0" resource_agent="ocf:linbit:drbd" role="Stopped" active="false"$1 nodes_running_on="0"/>',
      ))]);
    });
  });

  describe('orders the cluster tools print in do not matter', () => {
    it('corosync-quorumtool lists drbd2 first', async () => {
      await passes([{
        what: 'the membership rows of the last look reordered',
        match: (c, i, all) => i === firstAfter(all, at('sudo systemctl start corosync.service pacemaker.service', 'drbd3'), CRM_MON) - 1,
        change: replaced(/( +1 +1 drbd1 \(local\)\n)( +2 +1 drbd2\n)/u, '$2$1'),
      }]);
    });
    it("crm_mon lists the clone's instance on drbd2 before drbd1's", async () => {
      await passes([{
        what: "the last look's clone instances swapped",
        match: (c, i, all) => i === promoteLooks(all).at(-1),
        change: replaced(/(<resource id="p_drbd_r0"[^>]*role="Unpromoted"[^>]*>\s*<node name="drbd1"[^>]*\/>\s*<\/resource>)(\s*)(<resource id="p_drbd_r0"[^>]*role="Promoted"[^>]*>\s*<node name="drbd2"[^>]*\/>\s*<\/resource>)/u, '$3$2$1'),
      }]);
    });
  });

  describe('the journals and failed actions in the report', () => {
    const JOURNAL = 'sudo journalctl -b -u corosync -u pacemaker --no-pager -o short-precise';
    it('a journal that cannot be read does not fail the scenario', async () => {
      const green = await passes([{ what: "drbd1's journalctl fails", match: at(JOURNAL, 'drbd1'), change: () => ({ exitCode: 1, stdout: '', stderr: 'Failed to open journal' }) }]);
      expect(await attached(green, 'failover: corosync and pacemaker journal on drbd1')).toBe('');
    });
    it('a long journal: its last 400 lines', async () => {
      const lines = Array.from({ length: 450 }, (_, i) => `line ${i + 1}`);
      const green = await passes([{ what: "drbd2's journal of 450 lines", match: at(JOURNAL, 'drbd2'), change: () => ({ stdout: lines.join('\n') }) }]);
      expect(await attached(green, 'return: corosync and pacemaker journal on drbd2')).toBe(lines.slice(50).join('\n'));
    });
    it('failed actions after the return are listed, one a line (reported, not judged)', async () => {
      const failures = '<failures>\n    <failure op_key="p_drbd_r0_monitor_20000" node="drbd2" exitstatus="error" exitreason="monitor timed out" exitcode="1" call="9" status="Timed out"/>\n' +
        '    <failure op_key="p_fs_r0_monitor_20000" node="drbd1" exitstatus="not running" exitreason="" exitcode="7" call="12" status="complete"/>\n  </failures>\n  <status ';
      const green = await passes([{ what: 'the last look with two failed actions', match: (c, i, all) => i === lastIndex(all, CRM_MON), change: replaced('<status ', failures) }]);
      expect(await attached(green, 'failed actions in crm_mon after the return')).toBe('p_drbd_r0_monitor_20000 on drbd2: error monitor timed out\np_fs_r0_monitor_20000 on drbd1: not running ');
    });
    it('no failed actions: the attachment says none', async () => {
      const green = await passes([]);
      expect(await attached(green, 'failed actions in crm_mon after the return')).toBe('none');
    });
  });

  describe('setup commands that fail are the lab\'s failure, not DRBD\'s', () => {
    for (const [what, command, node, step] of [
      ['corosync-keygen fails', 'sudo corosync-keygen', 'drbd1', /26\. corosync\.conf/u],
      ["the key's copy to drbd2 fails", "sudo sh -c 'umask 077; base64 -d > /etc/corosync/authkey.new && mv /etc/corosync/authkey.new /etc/corosync/authkey'", 'drbd2', /26\. corosync\.conf/u],
    ] as const) {
      it(what, async () => {
        const red = await replayThroughDefineScenario(mutate(real(FILE), [{ what, match: at(command, node), change: () => ({ exitCode: 1, stderr: 'Input/output error' }) }]), drbdadmPacemakerFailover, { scenario: 'pacemaker-failover', opts: FROM_R0_UP });
        expect((red.err as Error).message).toMatch(new RegExp(`^step "${step.source}`, 'u'));
        expect(await classifyLikeTheNightly(red)).toEqual({ status: 'broken', category: 'infra-other', exitCode: EXIT.broken });
      });
    }
  });

  it('a passing run reports every step, attachment and parameter with something in it, and a failover time that fits the run', async () => {
    const { parameters, attachments, green } = await expectReportSaysSomething('pacemaker-failover', FILE, drbdadmPacemakerFailover, FROM_R0_UP, [
      /^26\. corosync and pacemaker installed, not enabled/u, /^26\. hand r0 over to Pacemaker/u, /^26\. corosync\.conf/u, /^26\. start corosync and pacemaker on the three: quorate with 3 votes/u,
      /^26\. load the r0 configuration/u, /^26\. integrity probe writing on drbd2/u, /^26\. power off drbd2 from the host; Pacemaker promotes drbd1/u,
      /^26\. data intact on drbd1/u, /^26\. drbd2 powered on/u, /^26\. every record the probe acknowledged on drbd2 is intact on drbd1/u, /^26\. the cluster settles/u,
    ]);
    const failover = figure(parameters, 'failover seconds');
    expect(failover).toBeGreaterThan(0);
    expect(failover).toBeLessThan(spanSeconds(real(FILE)));
    expect(attachments.map((a) => a.name)).toContain(`failover time: ${failover.toFixed(1)} s`);
    const said = attachments.find((a) => a.name === `failover time: ${failover.toFixed(1)} s`)!;
    expect(await readFile(join(green.resultsDir, said.source), 'utf8')).toBe(
      `power-off of drbd2 (virsh destroy) to /mnt/r0 mounted on drbd1 as crm_mon shows it: ${failover.toFixed(1)} s (crm_mon polled every 2 s; corosync token 5000 ms)\n`,
    );
    expect(attachments.map((a) => a.name)).toEqual(expect.arrayContaining(['failover: corosync and pacemaker journal on drbd1', 'return: corosync and pacemaker journal on drbd2']));
  });

  checksOf('pacemaker-failover', FILE, drbdadmPacemakerFailover, FROM_R0_UP, [
    {
      check: 'corosync is enabled on drbd2 before the scenario enables anything',
      edits: [{ what: 'is-enabled: enabled, disabled', match: at('systemctl is-enabled corosync.service pacemaker.service', 'drbd2'), change: () => ({ exitCode: 0, stdout: 'enabled\ndisabled' }) }],
      step: /26\. corosync and pacemaker installed, not enabled/u,
      message: /drbd2: systemctl is-enabled corosync\.service pacemaker\.service: expected \[ 'enabled', 'disabled' \] to deeply equal/u,
    },
    {
      check: 'r0 still up on drbd1 after drbdadm down',
      edits: [{ what: "drbd1's drbdadm status answers with r0", match: (c, i, all) => i === firstAfter(all, at('sudo drbdadm down r0', 'drbd1'), at('sudo drbdadm status r0', 'drbd1')), change: () => ({ exitCode: 0, stderr: '', stdout: 'r0 role:Secondary\n  disk:UpToDate\n  peer connection:Connecting\n' }) }],
      step: /26\. hand r0 over to Pacemaker/u,
      message: /drbd1: r0 down before Pacemaker starts it: expected/u,
    },
    {
      check: "the authkey's sha256sum line starts with a backslash on every node",
      edits: [{ what: 'a backslash before each hash', match: at('sudo sha256sum /etc/corosync/authkey'), change: (c) => ({ stdout: `\\${c.stdout}` }) }],
      step: /26\. corosync\.conf/u,
      message: /to match \/\^\[0-9a-f\]\{64\}\$\//u,
    },
    {
      check: "the authkey's hash has 65 hex digits on every node",
      edits: [{ what: 'one digit more on each', match: at('sudo sha256sum /etc/corosync/authkey'), change: replaced(/^([0-9a-f]{64})/u, '$10') }],
      step: /26\. corosync\.conf/u,
      message: /to match \/\^\[0-9a-f\]\{64\}\$\//u,
    },
    {
      check: 'crm_mon no longer lists drbd2 after the failover',
      edits: [{ what: "the failover's last look without drbd2's node", match: FAILOVER_LOOK, change: replaced(/\n\s*<node name="drbd2" id="2" online="false"[^>]*\/>/u, '') }],
      step: /26\. power off drbd2 from the host/u,
      message: /drbd2 offline in crm_mon: expected undefined to be false/u,
    },
    {
      check: 'drbd3 ends up with another authkey',
      edits: [{ what: "drbd3's key checksum differs", match: at('sudo sha256sum /etc/corosync/authkey', 'drbd3'), change: replaced(/^633f/u, '733f') }],
      step: /26\. corosync\.conf/u,
      message: /one authkey on drbd1, drbd2, drbd3: expected 2 to be 1/u,
    },
    {
      check: 'the replica Pacemaker promoted holds other data',
      edits: [{ what: "drbd2's data.bin checksum differs", match: at('sudo sha256sum /mnt/r0/data.bin', 'drbd2'), change: replaced(/^6b2b/u, '7b2b') }],
      step: /26\. load the r0 configuration/u,
      message: /data\.bin as the starting point wrote it: expected '7b2b/u,
    },
    {
      check: 'r0 is up on drbd2 after its power-on, before Pacemaker started',
      edits: [{ what: 'drbdadm status answers with r0', match: (c, i, all) => i === firstAfter(all, at('#power on', 'drbd2'), at('sudo drbdadm status r0', 'drbd2')), change: () => ({ exitCode: 0, stderr: '', stdout: 'r0 role:Secondary\n  disk:UpToDate\n  peer connection:Connecting\n' }) }],
      step: /26\. drbd2 powered on/u,
      message: /r0 not up on drbd2 before Pacemaker starts it: expected/u,
    },
    {
      check: "the writer's ack log on drbd2 says it stopped (it lost power)",
      edits: [{ what: 'a stopped line at its end', match: at('sudo cat /var/lib/drbdlab-probe.ack', 'drbd2'), change: (c) => ({ stdout: `${c.stdout.replace(/\n*$/u, '')}\nstopped 35\n` }) }],
      step: /26\. every record the probe acknowledged on drbd2/u,
      message: /the writer died with the power, it did not stop: expected true to be false/u,
    },
    {
      check: "drbd1's kernel log shows a split brain after the return",
      edits: [{ what: 'the alert in the log', match: (c, i, all) => i === lastIndex(all, at('sudo dmesg --notime', 'drbd1')), change: (c) => ({ stdout: `${c.stdout.replace(/\n*$/u, '')}\nblock drbd100: Split-Brain detected but unresolved, dropping connection!\n` }) }],
      step: /26\. the cluster settles/u,
      message: /drbd1: Split-Brain in the kernel log: expected \[/u,
    },
  ]);
});
