import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../exit-codes.js';
import { PROJECT_ROOT } from '../paths.js';
import { stageResults } from './allure-report.js';
import { FAILURE_KIND_LABEL, type AllureResult } from './classify.js';
import { parseResult, runVerdict, UnreadableResultError } from './results.js';

const passed: AllureResult = { uuid: 'p', name: 'walkthrough [replay]', status: 'passed' };
// allure-vitest's verdict on a StepError over a DRBD command: broken, labelled product.
const drbdFailed: AllureResult = { uuid: 'f', name: 'reboot [replay]', status: 'broken', labels: [{ name: FAILURE_KIND_LABEL, value: 'product' }], statusDetails: { message: 'step "25" failed: drbd1: `x` exited 1' } };
/** A result file cut short while it was written. */
const cutShort = JSON.stringify(passed).slice(0, 20);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drbdlab-results-'));
  await mkdir(join(dir, 'in'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));
const put = (name: string, text: string) => writeFile(join(dir, 'in', name), text);

describe('parseResult', () => {
  it('reads a result; refuses, naming the file, what is no result', () => {
    expect(parseResult('a-result.json', JSON.stringify(passed))).toEqual(passed);
    for (const [text, problem] of [
      [cutShort, /^\/x\/a-result\.json: not a readable Allure result \(.*JSON.*\): the report cannot say what this test did$/],
      ['', /\(empty file\)/],
      ['[1]', /\(not a JSON object\)/],
      ['{"status": "passed"}', /\(no uuid or name\)/],
    ] as const) {
      const err = (() => {
        try {
          parseResult('/x/a-result.json', text);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(UnreadableResultError);
      expect((err as UnreadableResultError).file).toBe('/x/a-result.json');
      expect((err as Error).message).toMatch(problem);
    }
  });
});

describe('a result file that does not read', () => {
  it('fails the report step, naming the file in the results folder (it is not skipped)', async () => {
    await put('p-result.json', JSON.stringify(passed));
    await put('cut-result.json', cutShort);
    const err = await stageResults(join(dir, 'in'), join(dir, 'out')).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(UnreadableResultError);
    expect((err as UnreadableResultError).file).toBe(join(dir, 'in', 'cut-result.json'));
    expect((err as UnreadableResultError).kind).toBe('infrastructure');
  });

  it('`npm run report` stops with exit 3 and names the file', async () => {
    await put('p-result.json', JSON.stringify(passed));
    await put('cut-result.json', cutShort);
    const out = (name: string) => join(dir, name);
    const r = await execa(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'lib/report/cli.ts'), '--results', out('in'), '--out', out('html'), '--history', out('history'), '--summary', out('summary.md'), '--recordings', out('none'), '--profile', 'p'], {
      cwd: PROJECT_ROOT,
      reject: false,
      all: true,
      env: { DRBDLAB_REPORTS: out('reports') },
    });
    expect(r.exitCode, r.all).toBe(EXIT.broken);
    expect(r.all).toContain(`${join(dir, 'in', 'cut-result.json')}: not a readable Allure result`);
  });

  it("makes the nightly's verdict broken, naming it, unless a scenario failed (DRBD) anyway", async () => {
    await put('p-result.json', JSON.stringify(passed));
    await put('cut-result.json', cutShort);
    // vitest green, yet a result no one can read: not a green run.
    const v = await runVerdict(0, join(dir, 'in'));
    expect(v.code).toBe(EXIT.broken);
    expect(v.unreadable.map((u) => u.file)).toEqual([join(dir, 'in', 'cut-result.json')]);
    await put('f-result.json', JSON.stringify(drbdFailed));
    expect((await runVerdict(1, join(dir, 'in'))).code).toBe(EXIT.failed);
  });

  it('a folder of readable results is judged as the report shows them', async () => {
    await put('p-result.json', JSON.stringify(passed));
    expect(await runVerdict(0, join(dir, 'in'))).toEqual({ code: EXIT.ok, unreadable: [] });
    await put('f-result.json', JSON.stringify(drbdFailed));
    // broken as allure-vitest wrote it, failed as the report shows it: exit 1.
    expect((await runVerdict(1, join(dir, 'in'))).code).toBe(EXIT.failed);
    expect((await runVerdict(1, join(dir, 'missing'))).code).toBe(EXIT.failed);
  });
});
