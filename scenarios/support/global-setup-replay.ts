// Scenarios replayed from recordings (scenarios/recordings: real ones, and synthetic/ generated
// from the blog; or DRBDLAB_REPLAY=file[,file]).
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../../lib/config/config.js';

export default async function setup(project: TestProject) {
  const { replay, fault, paths } = await loadConfig();
  project.provide('drbdlab', {
    mode: 'replay',
    recordings: replay ?? [],
    ...(fault ? { fault } : {}),
    runDir: join(paths.reports, 'runs', `replay-${new Date().toISOString().replace(/[:.]/g, '-')}`),
  });
}
