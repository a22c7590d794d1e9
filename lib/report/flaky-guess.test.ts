// Allure marks a failing test "flaky" from its history alone (failed, then passed, now failed).
// The real `allure generate` here: the report says flaky only where a rerun on the same package
// set said so (statusDetails.flaky, written by the attribution step), never from history.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAllureReport } from './allure-report.js';
import type { AllureResult } from './classify.js';

const result = (status: 'passed' | 'failed', run: number, flaky?: boolean): AllureResult => ({
  uuid: `0badc0de-0000-4000-8000-00000000000${run}`,
  name: 'reboot',
  fullName: 'drbdlab:scenarios/02-reboot-persistence.test.ts#reboot',
  historyId: 'f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6:d41d8cd98f00b204e9800998ecf8427e',
  testCaseId: 'f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6',
  status,
  statusDetails: status === 'failed' ? { message: 'r0 not Connected after reboot', ...(flaky === undefined ? {} : { flaky }) } : {},
  stage: 'finished',
  labels: [{ name: 'feature', value: 'reboot' }],
  steps: [],
  start: 1_795_800_000_000 + run * 86_400_000,
  stop: 1_795_800_001_000 + run * 86_400_000,
});

/** Three nightly reports into one history: failed, passed, then `last`; the last report's word on it. */
async function flakyInReport(work: string, name: string, last: AllureResult): Promise<{ flaky: unknown; transition: unknown; historyLines: number }> {
  const history = join(work, `${name}-history.jsonl`);
  const out = join(work, `${name}-html`);
  for (const r of [result('failed', 1), result('passed', 2), last]) {
    const results = join(work, `${name}-results-${r.uuid}`);
    await mkdir(results, { recursive: true });
    await writeFile(join(results, `${r.uuid}-result.json`), JSON.stringify(r));
    await generateAllureReport({ resultsDir: results, outDir: out, historyPath: history, name: 'drbdlab' });
  }
  const dir = join(out, 'data', 'test-results');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
  const trs = await Promise.all(files.map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8')) as { name?: string; flaky?: unknown; transition?: unknown }));
  const tr = trs.find((t) => t.name === 'reboot');
  if (!tr) throw new Error(`no test result "reboot" in ${dir} (${files.join(', ')})`);
  return { flaky: tr.flaky, transition: tr.transition, historyLines: (await readFile(history, 'utf8')).trim().split('\n').length };
}

describe("the report's flaky mark", { timeout: 180_000 }, () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'drbdlab-flaky-'));
  });
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('is not guessed from history: a failure no rerun called flaky is not shown flaky; the run still goes into the history', async () => {
    const r = await flakyInReport(work, 'deterministic', result('failed', 3));
    expect(r.flaky).toBe(false);
    // The run before still counts: passed then, failed now.
    expect(r.transition).toBe('regressed');
    expect(r.historyLines).toBe(3);
  });

  it('is shown where the rerun on the same set was green', async () => {
    expect((await flakyInReport(work, 'rerun-green', result('failed', 3, true))).flaky).toBe(true);
  });
});
