import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../config/config.js';
import { PROJECT_ROOT } from '../../paths.js';
import { runScenarioProcess } from './scenario-process.js';

describe('runScenarioProcess', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drbdlab-scenario-process-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // A real vitest of the scenarios project that finds no file to run (and has no plan to restore
  // from, should it try): no VM, an exit status and what it printed.
  it("a probe's output goes to the file it is given (what vitest printed, kept beside its results)", { timeout: 120_000 }, async () => {
    const config = resolveConfig(readFileSync(join(PROJECT_ROOT, 'lab', 'lab.yaml'), 'utf8'), { env: { DRBDLAB_REPORTS: dir, DRBDLAB_STATE: join(dir, 'labs'), DRBDLAB_CACHE: join(dir, 'cache') } });
    const output = join(dir, 'output.log');
    const exit = await runScenarioProcess({ config, planFile: join(dir, 'no-plan.json'), args: ['no-such-scenario.test.ts'], signal: new AbortController().signal, say: () => {}, output });
    expect(exit).toBe(1);
    expect(await readFile(output, 'utf8')).toMatch(/No test files found/u);
  });
});
