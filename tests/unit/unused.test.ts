// knip over the whole project (knip.json): no unused file, export, dependency or unlisted one.
import { execa } from 'execa';
import { expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/paths.js';

// knip reads the whole project: on a host busy with VMs that takes longer than a unit test's default.
it('knip finds nothing unused and nothing unlisted', { timeout: 120_000 }, async () => {
  const r = await execa('node_modules/.bin/knip', ['--no-progress', '--no-config-hints'], { cwd: PROJECT_ROOT, reject: false, env: { NO_COLOR: '1' } });
  expect(r.stderr).toBe('');
  expect(r.stdout, 'what knip reports').toBe('');
  expect(r.exitCode).toBe(0);
});
