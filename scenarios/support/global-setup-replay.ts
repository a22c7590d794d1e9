// Scenarios replayed from recordings (scenarios/recordings: real ones, and synthetic/ generated
// from the blog; or DRBDLAB_REPLAY=file[,file]).
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../../lib/config/config.js';
import { REPORTS_DIR } from '../../lib/scenario/targets.js';

export default async function setup(project: TestProject) {
  const { replay, fault } = await loadConfig();
  project.provide('drbdlab', {
    mode: 'replay',
    recordings: replay ?? [],
    ...(fault ? { fault } : {}),
    runDir: join(REPORTS_DIR, 'runs', `replay-${new Date().toISOString().replace(/[:.]/g, '-')}`),
  });
}
