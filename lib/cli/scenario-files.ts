import { readdirSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { UsageError } from '../errors.js';
import { PROJECT_ROOT } from '../paths.js';

/**
 * The folders of the scenario files the `scenarios` project runs, project-relative: the
 * product's, and the tests' own (the attribution canary) when a test asks for them
 * (DRBDLAB_TEST_SCENARIOS=1). vitest.config.ts includes exactly these.
 */
export function scenarioFolders(testScenarios = false): string[] {
  return ['scenarios', ...(testScenarios ? ['tests/scenarios'] : [])];
}

/** The scenario files the `scenarios` project runs, project-relative. */
export function scenarioFiles(testScenarios = false): string[] {
  return scenarioFolders(testScenarios).flatMap((dir) =>
    readdirSync(join(PROJECT_ROOT, dir))
      .filter((f) => f.endsWith('.test.ts'))
      .sort()
      .map((f) => `${dir}/${f}`),
  );
}

/**
 * The filters that select no scenario file, matched as vitest matches its file filters (a part
 * of the project-relative path, case-insensitive; a path relative to `cwd`, a trailing `/` kept;
 * an absolute prefix), so a filter passes here exactly when vitest would run something. No
 * `file:line` form: a scenario file holds one test.
 */
export function unmatchedScenarioFilters(filters: readonly string[], files: readonly string[], cwd: string, root: string): string[] {
  const selects = (f: string, file: string): boolean => {
    if (isAbsolute(f) && join(root, file).startsWith(f)) return true;
    const rel = (relative(root, join(cwd, f)) + (f.endsWith('/') ? '/' : '')).toLowerCase();
    const path = file.toLowerCase();
    return path.includes(f.toLowerCase()) || (rel !== '' && path.includes(rel));
  };
  return filters.filter((f) => !files.some((file) => selects(f, file)));
}

/**
 * Scenario arguments checked before any lab work: a word that selects nothing (a mistyped
 * command reads as one) is one line naming it, the scenarios and where the commands are.
 */
export function checkScenarioFilters(filters: readonly string[], files: readonly string[], cwd = process.cwd(), root = PROJECT_ROOT): void {
  const unmatched = unmatchedScenarioFilters(filters, files, cwd, root);
  if (unmatched.length === 0) return;
  const names = files.map((f) => f.replace(/^.*\//, '').replace(/\.test\.ts$/, ''));
  throw new UsageError(
    `no scenario file matches ${unmatched.map((u) => `"${u}"`).join(', ')}: scenarios are ${names.join(', ')}; the commands are in npm run lab -- --help`,
  );
}
