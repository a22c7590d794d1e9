// The real scenarios' global setup hands each scenario file the nightly's plan: what a scenario
// target then validates must be that plan (a plan the target refuses breaks every scenario).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { afterEach, beforeEach, expect, it } from 'vitest';
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
