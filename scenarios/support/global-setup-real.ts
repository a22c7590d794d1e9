// Scenarios on real VMs. Each scenario file restores its own cluster from the run plan's snapshot
// of a ready cluster, so no scenario sees another's leftovers and several can run at once. The
// plan (profile, image, hypervisor, snapshot) is resolved once, here or by the nightly, and handed
// to every scenario file: none asks the upstreams or probes the hypervisor again.
// DRBDLAB_PLAN=<file>: the nightly's plan. DRBDLAB_SNAPSHOT=<dir>: a plan of that snapshot.
// DRBDLAB_LAB=<id>: run against a lab that is up, as it is, one scenario after another.
// Otherwise the profile is npm test's choice (DRBDLAB_PROFILE_CHOICE), DRBDLAB_PROFILE, lab.yaml's, or chosen here.
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadConfig, profileSettings, type Config } from '../../lib/config/config.js';
import { testRunProfile, testRunProfiles } from '../../lib/cli/test-profile.js';
import { choiceLine } from '../../lib/image/profiles.js';
import { Lab } from '../../lib/lab/lab.js';
import { realHost } from '../../lib/lab/lab-host.js';
import { readRunPlan, wireRunPlan, type RunPlan } from '../../lib/lab/run-plan.js';
import { readState } from '../../lib/lab/state.js';
import { ClusterSnapshot, planOfSnapshot, planRun } from '../../lib/snapshot/cluster-snapshot.js';

export default async function setup(project: TestProject) {
  // The nightly's configuration as it handed it down, else this process's own, read by the same rules.
  const run = await loadConfig();
  const runDir = join(run.paths.reports, 'runs', new Date().toISOString().replace(/[:.]/g, '-'));
  // Its folders reach the scenario files with the rest (labs, images, snapshots, reports).
  const folders = { state: run.paths.state, cache: run.paths.cache, snapshots: run.paths.snapshots, reports: run.paths.reports };
  const reuse = run.labId;
  if (reuse) {
    const state = await readState(folders.state, reuse);
    if (!state) throw new Error(`DRBDLAB_LAB=${reuse}: no such lab here (npm run lab -- status)`);
    project.provide('drbdlab', { mode: 'real', labId: reuse, profile: state.profile, runDir, folders, ...(run.fault ? { fault: run.fault } : {}) });
    return;
  }
  const plan = await runPlan(run);
  // Handed over in its wire form: each scenario file validates it as it would a plan file.
  project.provide('drbdlab', { mode: 'real', plan: wireRunPlan(plan), profile: plan.profile, runDir, folders, keep: run.keep, snapshotCacheBytes: run.snapshotCacheGiB * 1024 ** 3, ...(run.ownerPid ? { ownerPid: run.ownerPid } : {}), ...(run.fault ? { fault: run.fault } : {}) });
}

async function runPlan(run: Config): Promise<RunPlan> {
  // The nightly's: read and checked, never resolved again.
  if (process.env.DRBDLAB_PLAN) return readRunPlan(process.env.DRBDLAB_PLAN);
  if (run.snapshot) return planOfSnapshot(await ClusterSnapshot.load(run.snapshot, realHost(run.paths)));
  const config = run.lab;
  // Said as the nightly says it: which profile and why, or what did not run.
  const choice = await testRunProfile(process.env, config.profile, testRunProfiles(profileSettings(run)));
  console.log(choiceLine(choice));
  return (await planRun(new Lab(config, choice.profile, realHost(run.paths), run.accel), { progress: (m) => console.log(`[lab] ${m}`), cacheMaxBytes: run.snapshotCacheGiB * 1024 ** 3 })).plan;
}
