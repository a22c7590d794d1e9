// The real scenarios' global setup hands each scenario file the nightly's plan: what a scenario
// target then validates must be that plan (a plan the target refuses breaks every scenario).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolveConfig, RUN_CONFIG_ENV, serializeConfig } from '../../lib/config/config.js';
import { PROJECT_ROOT } from '../../lib/paths.js';
import { parseRunPlan, serializeRunPlan } from '../../lib/lab/run-plan.js';
import setup from '../../scenarios/support/global-setup-real.js';
import { SAMPLE_RUN_PLAN } from '../support/run-plan.js';

let dir: string;
const saved = process.env.DRBDLAB_PLAN;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'global-setup-real-'));
});
afterEach(async () => {
  if (saved === undefined) delete process.env.DRBDLAB_PLAN;
  else process.env.DRBDLAB_PLAN = saved;
  await rm(dir, { recursive: true, force: true });
});

it("the nightly's plan file reaches each scenario file as a plan the scenario target accepts", async () => {
  const file = join(dir, 'run-plan.json');
  await writeFile(file, serializeRunPlan(SAMPLE_RUN_PLAN));
  process.env.DRBDLAB_PLAN = file;
  const provided: Record<string, unknown> = {};
  const project = { provide: (key: string, value: unknown) => void (provided[key] = value) } as unknown as TestProject;
  await setup(project);
  const env = provided.drbdlab as { mode: string; plan: unknown; profile: string };
  expect(env).toMatchObject({ mode: 'real', profile: 'debian12-drbd84' });
  // What lib/scenario/targets.ts does with it before restoring a cluster.
  expect(parseRunPlan(env.plan, 'the run plan handed to the scenario')).toEqual(SAMPLE_RUN_PLAN);
});

it("the run's folders (the nightly's configuration) reach each scenario file, its run folder under the run's reports", async () => {
  const file = join(dir, 'run-plan.json');
  await writeFile(file, serializeRunPlan(SAMPLE_RUN_PLAN));
  process.env.DRBDLAB_PLAN = file;
  const env = { DRBDLAB_STATE: join(dir, 'labs'), DRBDLAB_CACHE: join(dir, 'cache'), DRBDLAB_REPORTS: join(dir, 'reports') };
  const config = resolveConfig(readFileSync(join(PROJECT_ROOT, 'lab/lab.yaml'), 'utf8'), { env, root: PROJECT_ROOT });
  vi.stubEnv(RUN_CONFIG_ENV, serializeConfig(config));
  try {
    const provided: Record<string, unknown> = {};
    await setup({ provide: (key: string, value: unknown) => void (provided[key] = value) } as unknown as TestProject);
    const handed = provided.drbdlab as { folders: unknown; runDir: string };
    expect(handed.folders).toEqual({ state: join(dir, 'labs'), cache: join(dir, 'cache'), snapshots: join(dir, 'cache', 'snapshots'), reports: join(dir, 'reports') });
    expect(handed.runDir.startsWith(join(dir, 'reports', 'runs'))).toBe(true);
  } finally {
    vi.unstubAllEnvs();
  }
});
