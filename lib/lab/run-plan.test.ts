// A run plan crosses a process boundary (a file, vitest's provide): what comes back is the plan
// that went in, and anything else is one ConfigError naming where it came from and which field.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { SAMPLE_RUN_PLAN } from '../../tests/support/run-plan.js';
import { parseRunPlan, readRunPlan, serializeRunPlan, type RunPlan } from './run-plan.js';

const plan = SAMPLE_RUN_PLAN;

/** The serialized plan, changed as `change` says. */
function altered(change: (p: Record<string, any>) => void): unknown {
  const p = JSON.parse(serializeRunPlan(plan)) as Record<string, any>;
  change(p);
  return p;
}

function failure(value: unknown): ConfigError {
  try {
    parseRunPlan(value, 'the plan handed over');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('the plan was accepted');
}

describe('a run plan across a process boundary', () => {
  it('comes back as the plan that went in', () => {
    expect(parseRunPlan(JSON.parse(serializeRunPlan(plan)), 'x')).toEqual(plan);
  });

  it('keeps a field the image record gains later (it is not dropped on the way)', () => {
    const back = parseRunPlan(altered((p) => (p.image.kernelFlavour = 'cloud')), 'x');
    expect(back.image).toMatchObject({ kernelFlavour: 'cloud', digest: plan.image.digest });
  });

  it.each<[string, (p: Record<string, any>) => void, string, RegExp]>([
    ['an image digest that is no sha256', (p) => (p.image.digest = 'abc'), 'image.digest', /expected a sha256 digest/],
    ['a relative snapshot folder', (p) => (p.snapshot.dir = 'snapshots/x'), 'snapshot.dir', /expected an absolute path/],
    ['an unknown hypervisor', (p) => (p.accel.accel = 'xen'), 'accel.accel', /./],
    ['an unknown profile', (p) => (p.profile = 'fedora'), 'profile', /./],
    ['an image of another profile', (p) => (p.image.profile = 'ubuntu1804-drbd9'), 'image.profile', /the image is of another profile than the plan/],
    ['a plan of another shape', (p) => (p.format = 2), 'format', /./],
    ['no snapshot', (p) => delete p.snapshot, 'snapshot', /./],
    ['a field no plan has', (p) => (p.upstreamsAgain = true), '', /upstreamsAgain/],
  ])('%s: one ConfigError naming the field', (_what, change, path, problem) => {
    const err = failure(altered(change));
    expect(err.file).toBe('the plan handed over');
    expect(err.path).toBe(path);
    expect(err.problem).toMatch(problem);
    expect(err.message.split('\n')).toHaveLength(1);
    expect(err.kind).toBe('usage');
  });

  it('nothing handed over at all: one ConfigError', () => {
    expect(failure(undefined).problem).toMatch(/start them through it/);
  });
});

describe('readRunPlan', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drbdlab-plan-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('the file the nightly writes reads back as its plan', async () => {
    const f = join(dir, 'run-plan.json');
    await writeFile(f, serializeRunPlan(plan));
    expect(await readRunPlan(f)).toEqual(plan);
  });

  it('a file that is not JSON, or is not there: one ConfigError naming the file', async () => {
    const f = join(dir, 'run-plan.json');
    await writeFile(f, '{"profile": ');
    await expect(readRunPlan(f)).rejects.toMatchObject({ name: 'ConfigError', file: f, problem: expect.stringMatching(/^the run plan is not JSON/) });
    await expect(readRunPlan(join(dir, 'gone.json'))).rejects.toMatchObject({ name: 'ConfigError', problem: 'cannot read the run plan (ENOENT)' });
  });

  it('a file whose plan is wrong: the error names the file and the field', async () => {
    const f = join(dir, 'run-plan.json');
    await writeFile(f, JSON.stringify(altered((p) => (p.snapshot.digest = 'nope'))));
    await expect(readRunPlan(f)).rejects.toMatchObject({ name: 'ConfigError', file: f, path: 'snapshot.digest' });
  });
});
