// Scenarios replayed from recordings (scenarios/recordings: real ones, and synthetic/ generated
// from the blog; or DRBDLAB_REPLAY=file[,file]).
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { REPORTS_DIR } from '../../lib/scenario/targets.js';

export default function setup(project: TestProject) {
  const only = process.env.DRBDLAB_REPLAY?.split(',').filter(Boolean).map((f) => resolve(f));
  project.provide('drbdlab', {
    mode: 'replay',
    recordings: only ?? [],
    runDir: join(REPORTS_DIR, 'runs', `replay-${new Date().toISOString().replace(/[:.]/g, '-')}`),
  });
}
