// A later starting point for a scenario ("r0 configured, connected, mounted"): made once by
// running its steps on a restored 'ready' cluster, then kept as a snapshot of its own, so each
// scenario that needs it starts there in seconds instead of running the steps again.
import { createHash } from 'node:crypto';
import { Lab } from '../lab/lab.js';
import type { StartedLab } from '../lab/started-lab.js';
import { profileByName } from '../image/profiles.js';
import { ClusterSnapshot, ensureSnapshot } from '../snapshot/cluster-snapshot.js';
import type { ScenarioContext } from './scenario-lab.js';
import { realScenarioLab } from './real-lab.js';

export interface ScenarioStart {
  point: string;
  /** The source text of the steps and what they call: part of the snapshot's identity. */
  source: string;
  prepare(ctx: ScenarioContext): Promise<unknown>;
}

/** The snapshot of `start`, on top of the 'ready' snapshot in `readyDir` (made now if needed). */
export async function startSnapshot(readyDir: string, start: ScenarioStart, progress: (m: string) => void): Promise<ClusterSnapshot> {
  const ready = await ClusterSnapshot.load(readyDir);
  const lab = new Lab(ready.manifest.config, profileByName(ready.manifest.profile));
  const { snapshot } = await ensureSnapshot(lab, {
    progress,
    step: {
      point: start.point,
      source: createHash('sha256').update(start.source).digest('hex'),
      run: (started) => runSteps(started, start),
    },
  });
  return snapshot;
}

/** The steps as a scenario runs them (their commands go into the snapshot: steps-transcript.json). */
async function runSteps(started: StartedLab, start: ScenarioStart): Promise<void> {
  await start.prepare({ lab: realScenarioLab(started), step: (_title, body) => body(), shared: false, redact: async () => undefined });
}
