// The mutation harness (tests/support/mutation.ts) against the real thing: the same mutated
// recording replayed by the replay project in a child vitest (the scenario file, defineScenario,
// allure-vitest's reporter writing the result file) and by the harness in this process must give
// the same result: status, message, failure kind, and the same verdict for the report and the
// nightly. One child vitest: a few seconds.
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect, it } from 'vitest';
import { EXIT } from '../../lib/exit-codes.js';
import { PROJECT_ROOT } from '../../lib/paths.js';
import { FAILURE_KIND_LABEL, type AllureResult } from '../../lib/report/classify.js';
import { readRecording } from '../../lib/scenario/recording.js';
import { drbdadmWalkthrough } from '../../scenarios/steps/drbdadm/walkthrough.js';
import { at, classifyLikeTheNightly, firstIndex, mutate, replayThroughDefineScenario } from '../support/mutation.js';

/** This process's environment without vitest's, allure's and drbdlab's own variables. */
function childEnv(reports: string, replay: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(VITEST|ALLURE|DRBDLAB_)|^(TEST|NODE_ENV)$/.test(k)));
  return { ...env, DRBDLAB_REPORTS: reports, DRBDLAB_JUNIT: join(reports, 'junit.xml'), DRBDLAB_REPLAY: replay, NO_COLOR: '1' };
}

const kind = (r: AllureResult) => r.labels?.filter((l) => l.name === FAILURE_KIND_LABEL).map((l) => l.value);

it('a mutated recording: the harness reports what a replay run by vitest and allure-vitest reports', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mutation-harness-'));
  // A DRBD command that hangs: a product failure allure-vitest alone calls broken (not an
  // assertion), so the verdict hangs on the failure kind defineScenario puts on the result.
  const recording = mutate(readRecording(join(PROJECT_ROOT, 'scenarios/recordings/walkthrough.debian12-drbd84.json')), [
    {
      what: 'the first `sudo drbdadm up r0` on drbd2 times out',
      match: (c, i, all) => i === firstIndex(all, at('sudo drbdadm up r0', 'drbd2')),
      change: () => ({ timedOut: true, exitCode: null, stdout: '', stderr: '' }),
    },
  ]);
  // recordingFiles() picks a scenario's recordings by name: `walkthrough.` starts this one's.
  const file = join(dir, 'walkthrough.debian12-drbd84.mutated.json');
  await writeFile(file, JSON.stringify(recording));

  const reports = join(dir, 'reports');
  const child = await execa(process.execPath, [join(PROJECT_ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--project', 'replay', 'scenarios/01-walkthrough.test.ts'], {
    cwd: PROJECT_ROOT,
    env: childEnv(reports, file),
    extendEnv: false,
    reject: false,
    all: true,
  });
  expect(child.exitCode, child.all).toBe(1);
  const resultsDir = join(reports, 'allure-results');
  const files = (await readdir(resultsDir)).filter((f) => f.endsWith('-result.json'));
  expect(files, 'one result: the mutated replay').toHaveLength(1);
  const real = JSON.parse(await readFile(join(resultsDir, files[0]!), 'utf8')) as AllureResult;

  const harness = await replayThroughDefineScenario(recording, drbdadmWalkthrough, { scenario: 'walkthrough' });
  expect(harness.result.status, 'allure-vitest status').toBe(real.status);
  expect(harness.result.statusDetails?.message).toBe(real.statusDetails?.message);
  expect(kind(harness.result)).toEqual(kind(real));
  expect(kind(real)).toEqual(['product']);
  const realVerdict = await classifyLikeTheNightly({ resultsDir, vitestExit: child.exitCode ?? 1 });
  expect(realVerdict).toEqual({ status: 'failed', category: 'product-timeout', exitCode: EXIT.failed });
  expect(await classifyLikeTheNightly(harness)).toEqual(realVerdict);
});
