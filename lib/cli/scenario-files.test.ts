// The scenario arguments of `nightly` and `bisect`: a word that selects no scenario file ends
// while the arguments are parsed (exit 2, one line), before reaping, upstream queries or any lab
// work; the matching agrees with vitest's own file filter, which is what runs the scenarios.

import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../exit-codes.js';
import { PROJECT_ROOT } from '../paths.js';
import { checkScenarioFilters, scenarioFiles, unmatchedScenarioFilters } from './scenario-files.js';

const files = ['scenarios/01-walkthrough.test.ts', 'scenarios/02-reboot-persistence.test.ts'];
const root = '/repo';

describe('unmatchedScenarioFilters', () => {
  it('a part of the path matches, in any case; a path from the working folder and an absolute prefix too', () => {
    expect(unmatchedScenarioFilters(['02-reboot', 'REBOOT', 'scenarios/'], files, root, root)).toEqual([]);
    expect(unmatchedScenarioFilters(['../scenarios/01-walkthrough.test.ts'], files, '/repo/lib', root)).toEqual([]);
    expect(unmatchedScenarioFilters(['/repo/scenarios/02'], files, '/elsewhere', root)).toEqual([]);
  });

  it('returns exactly the words that select nothing', () => {
    expect(unmatchedScenarioFilters(['labs', '02-reboot', 'status'], files, root, root)).toEqual(['labs', 'status']);
    expect(unmatchedScenarioFilters(['/other/scenarios/02'], files, root, root)).toEqual(['/other/scenarios/02']);
    expect(unmatchedScenarioFilters(['03-hostname', 'scenario/', 'walkthrough.test.ts:12'], files, root, root)).toEqual(['03-hostname', 'scenario/', 'walkthrough.test.ts:12']);
  });

  it('checkScenarioFilters: one line naming the word, the scenarios and where the commands are', () => {
    expect(() => checkScenarioFilters(['labs'], files, root, root)).toThrow(
      /^no scenario file matches "labs": scenarios are 01-walkthrough, 02-reboot-persistence; the commands are in npm run lab -- --help$/,
    );
    expect(() => checkScenarioFilters(['reboot'], files, root, root)).not.toThrow();
  });

  // vitest decides what runs: for each filter, "matches nothing" here exactly when vitest lists no file.
  it.each(['02-reboot', 'WALKTHROUGH', './scenarios/05-link-cut.test.ts', join(PROJECT_ROOT, 'scenarios', '07'), '06-power-loss.test.ts:3', 'labs', 'scenario/'])(
    'agrees with vitest on %s',
    async (filter) => {
      const listed = await execa('npx', ['vitest', 'list', '--filesOnly', '--project', 'scenarios', filter], { cwd: PROJECT_ROOT, env: { NO_COLOR: '1' }, reject: false });
      const vitestRuns = listed.stdout.split('\n').some((l) => l.includes('scenarios/'));
      expect(unmatchedScenarioFilters([filter], scenarioFiles(), PROJECT_ROOT, PROJECT_ROOT)).toEqual(vitestRuns ? [] : [filter]);
    },
  );

  // The attribution canary test runs a nightly on the tests' own scenario: the folders the check
  // knows are the ones vitest.config.ts includes, with and without DRBDLAB_TEST_SCENARIOS=1.
  it.each([
    ['tests/scenarios/drbd-canary.test.ts', false],
    ['tests/scenarios/drbd-canary.test.ts', true],
    ['CANARY', true],
    ['02-reboot', true],
  ])('agrees with vitest on %s, the tests\' own scenarios asked for: %s', async (filter, testScenarios) => {
    const listed = await execa('npx', ['vitest', 'list', '--filesOnly', '--project', 'scenarios', filter], {
      cwd: PROJECT_ROOT,
      env: { NO_COLOR: '1', DRBDLAB_TEST_SCENARIOS: testScenarios ? '1' : '' },
      reject: false,
    });
    const vitestRuns = listed.stdout.split('\n').some((l) => l.includes('scenarios/'));
    expect(unmatchedScenarioFilters([filter], scenarioFiles(testScenarios), PROJECT_ROOT, PROJECT_ROOT)).toEqual(vitestRuns ? [] : [filter]);
  });

  it('scenarioFiles: the product\'s scenarios, then the tests\' own only when asked', () => {
    const product = scenarioFiles();
    expect(product.length).toBeGreaterThan(0);
    expect(product.every((f) => /^scenarios\/[^/]+\.test\.ts$/.test(f))).toBe(true);
    expect(scenarioFiles(true)).toEqual([...product, 'tests/scenarios/drbd-canary.test.ts']);
  });
});

describe('npm run lab -- <word that is no scenario>', () => {
  // A lab definition that does not exist: should the check ever let the word through, the run
  // stops at loading it (another message, the test fails) instead of building a lab.
  const lab = (...args: string[]) =>
    execa(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', '--config', '/nonexistent/lab.yaml', ...args], { cwd: PROJECT_ROOT, reject: false, env: { DRBDLAB_DEBUG: '' } });

  it.each([[['labs']], [['nightly', '02-reboot', 'xyz']], [['bisect', '--good', 'a', '--bad', 'b', 'nope']]])('%j: exit 2, one line, nothing else done', async (args) => {
    const r = await lab(...args);
    expect(r.exitCode).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/^drbdlab: no scenario file matches "(labs|xyz|nope)": scenarios are 01-walkthrough, .*; the commands are in npm run lab -- --help$/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
  });

  // The nightly the attribution canary test runs: its scenario is known only with the tests' own
  // scenarios asked for. The lab definition does not exist, so a word the check lets through
  // stops at loading it.
  it('tests/scenarios/drbd-canary.test.ts passes the check with DRBDLAB_TEST_SCENARIOS=1, and only then', async () => {
    const canary = (v: string) =>
      execa(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', '--config', '/nonexistent/lab.yaml', 'nightly', 'tests/scenarios/drbd-canary.test.ts'], {
        cwd: PROJECT_ROOT,
        reject: false,
        env: { DRBDLAB_DEBUG: '', DRBDLAB_TEST_SCENARIOS: v },
      });
    const asked = await canary('1');
    expect(asked.exitCode).toBe(EXIT.usage);
    expect(asked.stderr).toMatch(/cannot read the lab definition/);
    const not = await canary('');
    expect(not.exitCode).toBe(EXIT.usage);
    expect(not.stderr).toMatch(/^drbdlab: no scenario file matches "tests\/scenarios\/drbd-canary\.test\.ts"/);
  });
});
