// Scenarios on real VMs. Each scenario file restores its own cluster from a cached snapshot of
// a ready cluster (made here first if the cache has none), so no scenario sees another's leftovers
// and several can run at once. DRBDLAB_SNAPSHOT=<dir>: use that snapshot (the nightly made it).
// DRBDLAB_LAB=<id>: run against a lab that is up, as it is, one scenario after another.
// Otherwise the profile is npm test's choice (DRBDLAB_PROFILE_CHOICE), DRBDLAB_PROFILE, lab.yaml's, or chosen here.
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadLabConfig } from '../../lib/config/load-lab.js';
import { DEFAULT_CONFIG } from '../../lib/cli/context.js';
import { testRunProfile } from '../../lib/cli/test-profile.js';
import { choiceLine } from '../../lib/image/profiles.js';
import { Lab } from '../../lib/lab/lab.js';
import { readState } from '../../lib/lab/state.js';
import { REPORTS_DIR } from '../../lib/scenario/targets.js';
import { ClusterSnapshot, ensureSnapshot } from '../../lib/snapshot/cluster-snapshot.js';

export default async function setup(project: TestProject) {
  const runDir = join(REPORTS_DIR, 'runs', new Date().toISOString().replace(/[:.]/g, '-'));
  const reuse = process.env.DRBDLAB_LAB;
  if (reuse) {
    const state = await readState(reuse);
    if (!state) throw new Error(`DRBDLAB_LAB=${reuse}: no such lab here (npm run lab -- status)`);
    project.provide('drbdlab', { mode: 'real', labId: reuse, profile: state.profile, runDir });
    return;
  }
  const given = process.env.DRBDLAB_SNAPSHOT;
  if (given) {
    const snapshot = await ClusterSnapshot.load(given);
    project.provide('drbdlab', { mode: 'real', snapshot: snapshot.dir, profile: snapshot.manifest.profile, runDir });
    return;
  }
  const config = await loadLabConfig(process.env.DRBDLAB_CONFIG ?? DEFAULT_CONFIG);
  // Said as the nightly says it: which profile and why, or what did not run.
  const choice = await testRunProfile(process.env, config.profile);
  console.log(choiceLine(choice));
  const { snapshot } = await ensureSnapshot(new Lab(config, choice.profile), { progress: (m) => console.log(`[lab] ${m}`) });
  project.provide('drbdlab', { mode: 'real', snapshot: snapshot.dir, profile: choice.profile.name, runDir });
}
