import * as allure from 'allure-js-commons';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROJECT_ROOT, type Folders } from '../paths.js';
import type { ProfileName } from '../image/profile-names.js';
import { stackOf } from '../image/profiles.js';
import { StartedLab } from '../lab/started-lab.js';
import { realHost } from '../lab/lab-host.js';
import { Transcript } from '../ssh/transcript.js';
import { realScenarioLab } from './real-lab.js';
import { describeProvenance } from '../ssh/command-record.js';
import { capturedNote, describeCounts, provenanceCounts, readRecording, realSource, SYNTHETIC_NOTE, type Recording } from './recording.js';
import { ReplayLab } from './replay-lab.js';
import { restorePlanned } from '../snapshot/cluster-snapshot.js';
import { parseRunPlan, type WireRunPlan } from '../lab/run-plan.js';
import { scenarioStep, type ScenarioStart } from './scenario-start.js';
import { copyConsoleLogs } from '../report/console-logs.js';
import { GUEST_CPU_LABEL } from '../report/cost.js';
import { keepForUser } from '../lab/ownership.js';
import { UsageError } from '../errors.js';
import type { Fault } from '../config/config.js';
import type { ScenarioLab } from './scenario-lab.js';

export const RECORDINGS_DIR = join(PROJECT_ROOT, 'scenarios', 'recordings');
/** Generated recordings (never run on VMs), kept apart from the real ones. */
const SYNTHETIC_RECORDINGS_DIR = join(RECORDINGS_DIR, 'synthetic');
/** Recordings built from captured outputs of the real programs (never a drbdlab run either). */
export const CAPTURED_RECORDINGS_DIR = join(RECORDINGS_DIR, 'captured');

/** What the scenarios project's global setup hands to scenario files. */
export type ScenarioEnv =
  /**
   * labId: run against that lab as it is (DRBDLAB_LAB); plan: each scenario on its own restore of
   * the run plan's snapshot (a RunPlan as vitest hands it over, validated where it is used).
   */
  | { mode: 'real'; labId?: string; plan?: WireRunPlan; profile: ProfileName; runDir: string; /** The run's folders (Config.paths): labs, images, snapshots, reports. */ folders: Folders; /** A failed scenario's cluster stays (--keep, DRBDLAB_KEEP=1). */ keep?: boolean; fault?: Fault; /** The job whose clusters these are (the nightly's pid). */ ownerPid?: number; /** The snapshot cache's bound in bytes (DRBDLAB_SNAPSHOT_CACHE_GIB), for a starting point made here. */ snapshotCacheBytes?: number }
  | { mode: 'replay'; recordings: string[]; runDir: string; fault?: Fault };

export interface OpenTarget {
  lab: ScenarioLab;
  transcript: Transcript;
  /** The lab is at the scenario's starting point already (restored there, or a replay that begins there). */
  atStart: boolean;
  /** The lab goes on to the next scenario, so the scenario restores what it changed. */
  shared: boolean;
  /** Called when the scenario ends: saves the recording (real) or checks it was used up (replay). */
  close(passed: boolean): Promise<void>;
}

/** One lab a scenario runs against: the real lab, or one recording. */
export interface ScenarioTarget {
  title: string;
  /** For the report: what a replay of synthetic evidence is (and is not). */
  description?: string;
  profile: ProfileName;
  stack: 'drbdadm' | 'drbdmanage';
  /** start: the scenario's later starting point (real: restored from its snapshot; replay: the recording begins there). */
  open(start?: ScenarioStart): Promise<OpenTarget>;
}

/** The real recordings of a scenario, then the captured and synthetic ones (faults/ is replayed by its own test). */
export function recordingFiles(scenario: string, only?: string[]): string[] {
  if (only?.length) return only.filter((f) => f.includes(`${scenario}.`));
  return [RECORDINGS_DIR, CAPTURED_RECORDINGS_DIR, SYNTHETIC_RECORDINGS_DIR].flatMap((dir) =>
    existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => f.startsWith(`${scenario}.`) && f.endsWith('.json'))
          .map((f) => join(dir, f))
      : [],
  );
}

/** `replay walkthrough.debian12-drbd84.json`, `replay captured/… — captured (…)`, `replay synthetic/… — SYNTHETIC (…)` */
function replayTitle(file: string, recording: Recording): string {
  const name = file.split('/').pop()!;
  if (recording.evidence === 'captured') return `replay captured/${name} — ${capturedNote(recording)}`;
  return recording.evidence === 'synthetic' ? `replay synthetic/${name} — ${SYNTHETIC_NOTE}` : `replay ${name}`;
}

/** What the report says of a replay that is no run of ours; none for a real recording. */
function replayDescription(recording: Recording): string | undefined {
  if (recording.evidence === 'synthetic') return `${SYNTHETIC_NOTE}: ${recording.source}. It shows the scenario code against the blog's outputs; it says nothing of today's packages.`;
  if (recording.evidence !== 'captured') return undefined;
  return (
    `${capturedNote(recording)}, not a run on our VMs: ${recording.source}. ` +
    `Outputs: ${describeCounts(provenanceCounts(recording))}; each command's log in the transcript says which.`
  );
}

/** Per test in the report: the counts as parameters, and every output's provenance as an attachment. */
async function reportProvenance(recording: Recording): Promise<void> {
  if (recording.evidence !== 'captured') return;
  const counts = provenanceCounts(recording);
  // Excluded from the test's identity: a regenerated recording stays the same test in the history.
  await allure.parameter('outputs captured', String(counts.captured), { excluded: true });
  await allure.parameter('outputs constructed from the blog', String(counts.blog), { excluded: true });
  await allure.parameter('outputs constructed from source', String(counts.source), { excluded: true });
  const lines = recording.commands.map((c) => `#${c.seq} ${c.node}$ ${c.command}\n    ${c.provenance ? describeProvenance(c.provenance) : '(no provenance)'}`);
  await allure.attachment(`provenance of the replayed outputs: ${describeCounts(counts)}`, `${lines.join('\n')}\n`, 'text/plain');
}

/** The lab a real scenario runs on: the one named (as it is), or its own restore of the snapshot. */
async function realLab(scenario: string, env: Extract<ScenarioEnv, { mode: 'real' }>, transcript: Transcript, start?: ScenarioStart): Promise<StartedLab> {
  if (env.labId) {
    // A lab that is up, as it is: the starting point's steps run first, in the scenario.
    return StartedLab.attach(env.labId, realHost(env.folders), transcript);
  }
  if (env.plan === undefined) throw new UsageError('no lab and no run plan for the real scenarios: run them through `npm run lab` or `npm run scenarios`');
  // The run's plan, never the upstreams or a hypervisor probe: every scenario of a run is on one image and one hypervisor.
  const plan = parseRunPlan(env.plan, 'the run plan handed to the scenario');
  const progress = (m: string) => console.log(`[${scenario}] ${m}`);
  return restorePlanned(plan, { host: realHost(env.folders), sink: transcript, progress, ...(env.ownerPid ? { ownerPid: env.ownerPid } : {}), ...(env.snapshotCacheBytes !== undefined ? { cacheMaxBytes: env.snapshotCacheBytes } : {}), ...(start ? { step: scenarioStep(start) } : {}) });
}

/** The guest CPU the scenario's own cluster used (restored for it: since the restore), as a label the report sums up. */
async function reportGuestCpu(scenario: string, lab: StartedLab): Promise<void> {
  // A cost, not a verdict: a counter that cannot be read leaves the figure out and says why.
  const perNode = await lab.guestCpu().catch((err: unknown) => (console.log(`[${scenario}] guest CPU not counted: ${(err as Error).message}`), undefined));
  if (!perNode) return;
  const total = Object.values(perNode).reduce((t, s) => t + s, 0);
  console.log(`[${scenario}] guest CPU ${total.toFixed(1)} s (${Object.entries(perNode).map(([n, s]) => `${n} ${s.toFixed(1)}`).join(', ')})`);
  await allure.label(GUEST_CPU_LABEL, total.toFixed(1));
}

/** Console logs into the report, then the cluster goes (a failed one stays with keep: --keep, DRBDLAB_KEEP=1). */
async function releaseRestored(scenario: string, lab: StartedLab, passed: boolean, keep: boolean, reports: string): Promise<void> {
  await copyConsoleLogs(lab, join(reports, 'console', scenario));
  if (!passed && keep) {
    await keepForUser(lab.state, lab.host);
    console.log(`[${scenario}] kept lab ${lab.id}: npm run lab -- ssh drbd1 --lab ${lab.id}; npm run lab -- down --lab ${lab.id}`);
    return;
  }
  await lab.down();
}

export function scenarioTargets(scenario: string, env: ScenarioEnv): ScenarioTarget[] {
  if (env.mode === 'real') {
    return [
      {
        title: env.profile,
        profile: env.profile,
        stack: stackOf(env.profile),
        open: async (start) => {
          const dir = join(env.runDir, scenario);
          const transcript = new Transcript(join(dir, 'transcript'));
          const started = await realLab(scenario, env, transcript, start);
          const lab = realScenarioLab(started, env.fault);
          return {
            lab,
            transcript,
            atStart: !env.labId,
            shared: env.labId !== undefined,
            close: async (passed) => {
              for (const n of started.nodeList) n.close();
              if (!env.labId) {
                await reportGuestCpu(scenario, started);
                await releaseRestored(scenario, started, passed, env.keep ?? false, env.folders.reports);
              }
              const recording: Recording = {
                profile: env.profile,
                evidence: 'real',
                ...(start && !env.labId ? { start: start.point } : {}),
                source: realSource(started.id, new Date(transcript.records[0]?.startedAt ?? Date.now())),
                labels: lab.labels,
                nodes: lab.nodes.map((n) => ({ name: n.name, replicationIp: n.replicationIp })),
                commands: transcript.records,
              };
              await mkdir(join(env.folders.reports, 'recordings'), { recursive: true });
              const name = `${scenario}.${env.profile}${passed ? '' : '.failed'}.json`;
              await writeFile(join(env.folders.reports, 'recordings', name), JSON.stringify(recording, null, 1));
            },
          };
        },
      },
    ];
  }
  return recordingFiles(scenario, env.recordings).map((file) => {
    const recording = readRecording(file);
    return replayTarget(scenario, replayTitle(file, recording), recording, env.runDir, env.fault);
  });
}

/**
 * A recording as a scenario's target: its commands answered in order, and at the end of a
 * scenario that passed, none left over. The mutation tests replay changed recordings through it.
 */
export function replayTarget(scenario: string, title: string, recording: Recording, runDir: string, fault?: Fault): ScenarioTarget {
  return {
    title,
    ...(replayDescription(recording) === undefined ? {} : { description: replayDescription(recording)! }),
    profile: recording.profile,
    stack: stackOf(recording.profile),
    open: async (start) => {
      const transcript = new Transcript(join(runDir, `${scenario}.replay.${recording.profile}`, 'transcript'));
      const lab = new ReplayLab(recording, transcript, transcript.redactor, fault);
      await reportProvenance(recording);
      return {
        lab,
        transcript,
        atStart: recording.start === start?.point,
        // Made on a lab that was up (it began before its starting point): it restores what it changed.
        shared: start !== undefined && recording.start === undefined,
        close: async (passed) => {
          if (passed && lab.remaining.length > 0) {
            const next = lab.remaining[0]!;
            throw new Error(`replay ended early: the recording still has ${lab.remaining.length} commands, next ${next.node}$ ${next.command}`);
          }
        },
      };
    },
  };
}
