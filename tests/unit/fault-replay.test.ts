// Deliberate faults, replayed on virtual time.
// - DRBDLAB_FAULT=wrong-peer-ip, recorded on real VMs (r0.res names 10.255.255.199 for the peer):
//   the failure must name the step, the node and the state DRBD was last seen in.
// - Mutations: a recording with a few command outputs changed on purpose, here in the test, so
//   each pitfall the scenarios assert is shown to turn the run red with the right classification
//   (failed: DRBD behaved unlike the walkthrough; broken: the harness could not read what it got),
//   at once (no wait runs out its timeout), while the same recording unchanged stays green.
//   drbdadm cases mutate real recordings; the drbdmanage ones are in drbdmanage-faults.test.ts.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { getStatusFromError } from 'allure-js-commons/sdk';
import { describe, expect, it } from 'vitest';
import { ClusterResourceError, CommandTimeoutError, DataIntegrityError, DrbdlabError, KernelLogError, RemoteCommandError, ResyncAmountError, WaitTimeoutError } from '../../lib/errors.js';
import { isDrbdParseError } from '../../lib/drbd/errors.js';
import { DRBDLAB_CATEGORIES, FAILURE_KIND_LABEL, reportStatus, type AllureResult, type AllureStatus } from '../../lib/report/classify.js';
import type { CommandRecord } from '../../lib/report/command-record.js';
import { Transcript } from '../../lib/report/transcript.js';
import type { ScenarioContext } from '../../lib/scenario/define-scenario.js';
import { failureSnapshot } from '../../lib/scenario/failure-snapshot.js';
import { checkKernelLogs, markKernelLogs } from '../../lib/scenario/kernel-health.js';
import { readRecording, type Recording } from '../../lib/scenario/recording.js';
import { ReplayLab } from '../../lib/scenario/replay-lab.js';
import { makeStep } from '../../lib/scenario/step.js';
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
  const saved = process.env.DRBDLAB_FAULT;
  process.env.DRBDLAB_FAULT = 'wrong-peer-ip'; // read by resFile() when the step writes r0.res
  try {
    const recording = readRecording(join(RECORDINGS, 'faults/walkthrough.debian12-drbd84.wrong-peer-ip.json'));
    expect(recording.evidence).toBe('real');
    // Recorded on a restored cluster, with the kernel-log check around the body as every scenario has.
    const { err } = await replay(recording, drbdadmWalkthrough);
    expect(err).toBeInstanceOf(Error);
    const message = (err as Error).message;
    expect(message).toMatch(/^step "20\. create-md and up on drbd1 and drbd2" failed: /);
    // The node and what DRBD said there …
    expect(message).toMatch(/drbd2: `sudo drbdadm up r0` exited 10/);
    expect(message).toContain('IP 10.255.255.199 not found on this host.');
    // … and the state every node was last seen in.
    expect(message).toMatch(/DRBD state at failure: drbd1: r0 Secondary disk:Inconsistent peer:Connecting; drbd2: no resources/);
    // The broken file really is in the recording: the peer address the fault wrote.
    expect(recording.commands.some((c) => c.command.includes('address 10.255.255.199:7000;'))).toBe(true);
  } finally {
    if (saved === undefined) delete process.env.DRBDLAB_FAULT;
    else process.env.DRBDLAB_FAULT = saved;
  }
});

type Body = (ctx: ScenarioContext) => Promise<void>;

/** A change to the outputs of the recorded commands `match` selects. */
interface Edit {
  what: string;
  match: (c: CommandRecord, i: number, all: readonly CommandRecord[]) => boolean;
  change: (c: CommandRecord) => Partial<Pick<CommandRecord, 'stdout' | 'stderr' | 'exitCode' | 'timedOut'>>;
}

interface Mutation {
  name: string;
  recording: string;
  body: Body;
  edits: Edit[];
  expected: {
    status: 'failed' | 'broken';
    category: string;
    /** The step that must fail (its title's start). */
    step: RegExp;
    message: RegExp;
    error?: (err: unknown) => boolean;
  };
}

const at = (command: string | RegExp, node?: string) => (c: CommandRecord) =>
  (node === undefined || c.node === node) && (typeof command === 'string' ? c.command === command : command.test(c.command));
type Pred = (c: CommandRecord) => boolean;
/** Index of the first record matching, -1 when none. */
const firstIndex = (all: readonly CommandRecord[], pred: Pred) => all.findIndex(pred);
/** Index of the last record matching, -1 when none. */
const lastIndex = (all: readonly CommandRecord[], pred: Pred) => all.reduce((found, c, i) => (pred(c) ? i : found), -1);
/** Index of the first record from index `from` on matching `pred`, -1 when none. */
function firstFrom(all: readonly CommandRecord[], from: number, pred: Pred): number {
  const i = from < 0 ? -1 : all.slice(from).findIndex(pred);
  return i < 0 ? -1 : from + i;
}
/** Index of the first record matching `pred` after the first one matching `after`, -1 when none. */
const firstAfter = (all: readonly CommandRecord[], after: Pred, pred: Pred) => {
  const from = firstIndex(all, after);
  return from < 0 ? -1 : firstFrom(all, from + 1, pred);
};

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
      what: 'the kernel-log check finds a WARNING on drbd2',
      match: (c, i, all) => i === lastIndex(all, at(/dmesg --notime/u, 'drbd2')),
      change: (c) => ({ stdout: `${c.stdout.replace(/\n*$/u, '\n')}WARNING: CPU: 1 PID: 312 at drivers/block/drbd/drbd_req.c:1385 drbd_request_endio+0x1a/0x50 [drbd]\n` }),
    }],
    expected: { status: 'failed', category: 'product', step: /^kernel log on drbd2: 1 line\(s\)/, message: /drbd2: WARNING: CPU: 1 PID: 312 at drivers\/block\/drbd\/drbd_req\.c:1385/, error: (e) => e instanceof KernelLogError },
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
    expected: { status: 'broken', category: 'harness', step: /^step "20\. create-md and up on drbd1 and drbd2"/, message: /drbdsetup-status: unexpected indentation \(3 spaces\) at line \d+: " {3}quorum:no"/, error: isDrbdParseError },
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
];

describe('mutations: each pitfall turns the replay red, with the right classification, at once', () => {
  for (const m of MUTATIONS) {
    it(`${m.name} (${m.recording})`, async () => {
      const original = readRecording(join(RECORDINGS, m.recording));
      expect(original.evidence).toBe(m.recording.startsWith('synthetic/') ? 'synthetic' : 'real');

      // Green without the fault, through the same harness …
      const green = await replay(original, m.body);
      expect(green.err, 'the unchanged recording replays green').toBeUndefined();
      expect(green.remaining, 'and uses up the recording').toBe(0);

      // … red with it.
      const red = await replay(mutate(original, m.edits), m.body);
      expect(red.err, 'the mutated recording fails').toBeInstanceOf(Error);
      const err = red.err as Error;
      const reported = reportedAs(err);
      expect(reported.status, `reported status (${err.message.split('\n')[0]})`).toBe(m.expected.status);
      expect(reported.category).toBe(m.expected.category);
      expect(err.message).toMatch(m.expected.step);
      expect(err.message).toMatch(m.expected.message);
      if (m.expected.error) expect(m.expected.error(err), `error type: ${err.name}`).toBe(true);
      // Quickly: no wait ran out its time, not even on the virtual clock.
      expect(causes(err).filter((e) => e instanceof WaitTimeoutError)).toEqual([]);
      expect(red.ms, 'wall time of the failing replay (ms)').toBeLessThan(5_000);
    });
  }
});

/** Runs a scenario body as defineScenario does: kernel-log mark, body, kernel-log check (the body's failure first). */
async function replay(recording: Recording, body: Body, o = { kernelCheck: true }): Promise<{ err: unknown; ms: number; remaining: number }> {
  const transcript = new Transcript(await mkdtemp(join(tmpdir(), 'fault-replay-')));
  const lab = new ReplayLab(recording, transcript, transcript.redactor);
  const started = performance.now();
  const err = await (async () => {
    const ctx = { lab, step: makeStep(transcript, failureSnapshot(lab)), shared: false, redact: (s: string) => transcript.addSecret(s) };
    if (!o.kernelCheck) return body(ctx);
    const marks = await markKernelLogs(lab.nodes);
    const failure = await body(ctx).then(
      () => undefined,
      (e: unknown) => ({ e }),
    );
    if (!failure) return checkKernelLogs(lab, marks);
    // After a failure defineScenario still checks the kernel log; only a hit there replaces the error.
    await checkKernelLogs(lab, marks, failure.e).catch((check: unknown) => {
      if (check instanceof KernelLogError) throw check;
    });
    throw failure.e;
  })().then(() => undefined, (e: unknown) => e);
  return { err, ms: performance.now() - started, remaining: lab.remaining.length };
}

/** The recording with the edits applied; an edit that selects nothing or changes nothing is a broken test. */
function mutate(recording: Recording, edits: Edit[]): Recording {
  const copy = structuredClone(recording);
  for (const edit of edits) {
    const hits = copy.commands.flatMap((c, i, all) => (edit.match(c, i, all) ? [i] : []));
    let changed = 0;
    for (const i of hits) {
      const c = copy.commands[i]!;
      const before = JSON.stringify([c.stdout, c.stderr, c.exitCode, c.timedOut]);
      Object.assign(c, edit.change(c));
      if (JSON.stringify([c.stdout, c.stderr, c.exitCode, c.timedOut]) !== before) changed++;
    }
    if (changed === 0) throw new Error(`mutation "${edit.what}" changed nothing in the recording (${hits.length} commands selected)`);
  }
  return copy;
}

/**
 * What the report shows for an error a scenario threw: allure-vitest's verdict from the error
 * alone, then the kind defineScenario labels a DrbdlabError with (lib/report/classify.ts).
 */
function reportedAs(err: Error): { status: AllureStatus | undefined; category: string | undefined } {
  const labels = err instanceof DrbdlabError ? [{ name: FAILURE_KIND_LABEL, value: err.kind }] : [];
  const result: AllureResult = { uuid: 'mutation', name: 'mutation', status: getStatusFromError(err) as AllureStatus, labels, statusDetails: { message: err.message } };
  const status = reportStatus(result);
  const category = DRBDLAB_CATEGORIES.find((cat) =>
    cat.matchers.some(
      (m) =>
        (!m.statuses || m.statuses.includes(status!)) &&
        Object.entries(m.labels ?? {}).every(([k, re]) => labels.some((l) => l.name === k && new RegExp(re).test(l.value))) &&
        (!m.message || new RegExp(m.message).test(err.message)),
    ),
  )?.id;
  return { status, category };
}

function causes(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e: unknown = err; e !== undefined && out.length < 10; e = e instanceof Error ? e.cause : undefined) out.push(e);
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
