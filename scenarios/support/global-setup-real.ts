// Scenarios on real VMs: one fresh lab per run (or DRBDLAB_LAB=<id> to reuse one that is up).
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadLabConfig } from '../../lib/config/load-lab.js';
import { DEFAULT_CONFIG } from '../../lib/cli/context.js';
import type { ProfileName } from '../../lib/image/profile-names.js';
import { chooseProfile } from '../../lib/image/profiles.js';
import { Lab } from '../../lib/lab/lab.js';
import type { StartedLab } from '../../lib/lab/started-lab.js';
import { readState } from '../../lib/lab/state.js';
import { REPORTS_DIR } from '../../lib/scenario/targets.js';

let started: StartedLab | undefined;

export default async function setup(project: TestProject) {
  const runDir = join(REPORTS_DIR, 'runs', new Date().toISOString().replace(/[:.]/g, '-'));
  const reuse = process.env.DRBDLAB_LAB;
  if (reuse) {
    const state = await readState(reuse);
    if (!state) throw new Error(`DRBDLAB_LAB=${reuse}: no such lab here (npm run lab -- status)`);
    project.provide('drbdlab', { mode: 'real', labId: reuse, profile: state.profile, runDir });
    return;
  }
  const config = await loadLabConfig(process.env.DRBDLAB_CONFIG ?? DEFAULT_CONFIG);
  const choice = await chooseProfile(process.env.DRBDLAB_PROFILE as ProfileName | undefined, config.profile);
  console.log(`profile: ${choice.profile.name} (${choice.reason})`);
  started = await new Lab(config, choice.profile).start({ progress: (m) => console.log(`[lab] ${m}`) });
  project.provide('drbdlab', { mode: 'real', labId: started.id, profile: choice.profile.name, runDir });
  return async () => {
    if (process.env.DRBDLAB_KEEP === '1') {
      console.log(`[lab] kept ${started!.id}: npm run lab -- ssh drbd1 --lab ${started!.id}; npm run lab -- down --lab ${started!.id}`);
      return;
    }
    await started!.down();
  };
}
