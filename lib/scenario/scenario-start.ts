// A later starting point for a scenario ("r0 configured, connected, mounted"): made once by
// running its steps on a restored 'ready' cluster, then kept as a snapshot of its own, so each
// scenario that needs it starts there in seconds instead of running the steps again.
import { createHash } from 'node:crypto';
import { KernelLogError } from '../errors.js';
import type { StartedLab } from '../lab/started-lab.js';
import type { SnapshotStep } from '../snapshot/cluster-snapshot.js';
import type { ScenarioContext, ScenarioLab } from './scenario-lab.js';
import { realScenarioLab } from './real-lab.js';
import { allureAttach, KernelHealth, type KernelHealthOptions } from './kernel-health.js';

export interface ScenarioStart {
  point: string;
  /** The source text of the steps and what they call: part of the snapshot's identity. */
  source: string;
  prepare(ctx: ScenarioContext): Promise<unknown>;
}

/** How runSteps runs a point's steps, as part of the snapshot's identity. */
const STEPS_RUN = '\0steps run with the kernel-log check (KernelHealth)';

/** `start` as a snapshot step: made once on top of the run's 'ready' snapshot, then restored by every scenario that starts there. */
export function scenarioStep(start: ScenarioStart): SnapshotStep {
  return {
    point: start.point,
    // With how the steps run: a snapshot made before their kernel log was checked is made again.
    source: createHash('sha256').update(start.source).update(STEPS_RUN).digest('hex'),
    run: (started) => runSteps(started, start),
  };
}

/** The steps as a scenario runs them (their commands go into the snapshot: steps-transcript.json). */
async function runSteps(started: StartedLab, start: ScenarioStart): Promise<void> {
  await runPointSteps(realScenarioLab(started), start, allureAttach);
}

/**
 * A starting point's steps with the kernel-log check a scenario has: a hit fails the snapshot's
 * making (a product failure of the scenario that asked for it), so no snapshot is kept of a point
 * whose kernel went wrong. After a failed step the check still runs; only a hit replaces the
 * step's error.
 */
export async function runPointSteps(lab: ScenarioLab, start: ScenarioStart, attach?: KernelHealthOptions['attach']): Promise<void> {
  const health = await KernelHealth.start(lab, { ...(attach ? { attach } : {}), what: `the steps of the starting point ${start.point}` });
  const failure = await start.prepare({ lab: health.lab, step: (_title, body) => body(), shared: false, redact: async () => undefined }).then(
    () => undefined,
    (err: unknown) => ({ err }),
  );
  await health.check(failure?.err).catch(async (err: unknown) => {
    if (failure === undefined || err instanceof KernelLogError) throw err;
    await attach?.('kernel log check failed', err instanceof Error ? err.message : String(err));
  });
  if (failure) throw failure.err;
}
