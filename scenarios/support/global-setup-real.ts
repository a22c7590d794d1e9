// Scenarios on real VMs. Each scenario file restores its own cluster from the run plan's snapshot
// of a ready cluster, so no scenario sees another's leftovers and several can run at once. The
// plan (profile, image, hypervisor, snapshot) is resolved once, here or by the nightly, and handed
// to every scenario file: none asks the upstreams or probes the hypervisor again.
// DRBDLAB_PLAN=<file>: the nightly's plan. DRBDLAB_SNAPSHOT=<dir>: a plan of that snapshot.
// DRBDLAB_LAB=<id>: run against a lab that is up, as it is, one scenario after another.
// Otherwise the profile is npm test's choice (DRBDLAB_PROFILE_CHOICE), DRBDLAB_PROFILE, lab.yaml's, or chosen here.
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadLabConfig } from '../../lib/config/load-lab.js';
import { DEFAULT_CONFIG } from '../../lib/cli/context.js';
import { testRunProfile } from '../../lib/cli/test-profile.js';
import { choiceLine } from '../../lib/image/profiles.js';
import { Lab } from '../../lib/lab/lab.js';
import { readRunPlan, wireRunPlan, type RunPlan } from '../../lib/lab/run-plan.js';
import { readState } from '../../lib/lab/state.js';
import { REPORTS_DIR } from '../../lib/scenario/targets.js';
import { ClusterSnapshot, planOfSnapshot, planRun } from '../../lib/snapshot/cluster-snapshot.js';

export default async function setup(project: TestProject) {
  const runDir = join(REPORTS_DIR, 'runs', new Date().toISOString().replace(/[:.]/g, '-'));
  const reuse = process.env.DRBDLAB_LAB;
  if (reuse) {
    const state = await readState(reuse);
    if (!state) throw new Error(`DRBDLAB_LAB=${reuse}: no such lab here (npm run lab -- status)`);
    project.provide('drbdlab', { mode: 'real', labId: reuse, profile: state.profile, runDir });
    return;
  }
  const plan = await runPlan();
  // Handed over in its wire form: each scenario file validates it as it would a plan file.
  project.provide('drbdlab', { mode: 'real', plan: wireRunPlan(plan), profile: plan.profile, runDir });
}

async function runPlan(): Promise<RunPlan> {
  // The nightly's: read and checked, never resolved again.
  if (process.env.DRBDLAB_PLAN) return readRunPlan(process.env.DRBDLAB_PLAN);
  if (process.env.DRBDLAB_SNAPSHOT) return planOfSnapshot(await ClusterSnapshot.load(process.env.DRBDLAB_SNAPSHOT));
  const config = await loadLabConfig(process.env.DRBDLAB_CONFIG ?? DEFAULT_CONFIG);
  // Said as the nightly says it: which profile and why, or what did not run.
  const choice = await testRunProfile(process.env, config.profile);
  console.log(choiceLine(choice));
  return (await planRun(new Lab(config, choice.profile), { progress: (m) => console.log(`[lab] ${m}`) })).plan;
}
