// StrykerJS over the code that makes verdicts, against the unit + replay vitest projects only
// (vitest.mutation.config.ts). How to run, slices and timings: docs/mutation.md.

/** The modules whose mutants count: the code that turns what a node said into pass or fail. */
const VERDICT_CODE = ['scenarios/steps/**/*.ts', 'lib/drbd/**/*.ts', 'lib/scenario/**/*.ts', 'lib/wait/**/*.ts', 'lib/report/classify.ts'];
// Tests and fixtures are never mutated, whichever slice is asked for.
const NEVER = ['!**/*.test.ts', '!**/fixtures/**'];

// DRBDLAB_MUTATE=glob[,glob]: one slice (e.g. `lib/wait/**`); a bare folder means its .ts files.
// The incremental file keeps every other slice's results, so slices add up to the whole.
const slice = process.env.DRBDLAB_MUTATE?.split(',')
  .map((g) => g.trim())
  .filter(Boolean)
  .map((g) => (/[*?{]|\.ts$/.test(g) ? g : `${g.replace(/\/$/, '')}/**/*.ts`));

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: true },
  coverageAnalysis: 'perTest',
  mutate: [...(slice?.length ? slice : VERDICT_CODE), ...NEVER],
  // No checker: @stryker-mutator/typescript-checker needs TypeScript's compiler API, which the
  // TypeScript 7 package does not expose. For the same reason Stryker's tsconfig rewrite must not
  // find a tsconfig (it loads TypeScript to read it); nothing here needs it (vitest strips types).
  tsconfigFile: 'stryker-no-tsconfig.json',
  // Committed, so a clone's first run re-tests only what changed since.
  incremental: true,
  incrementalFile: 'mutation/stryker-incremental.json',
  reporters: ['html', 'json', 'clear-text', 'progress'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, reportTests: false },
  // Two cores shared with other work: one test runner (npm run mutation also runs under nice).
  concurrency: 1,
  // Git ignores .cache; the sandbox copies neither the image cache, the lab state nor old reports.
  tempDirName: '.cache/stryker-tmp',
  ignorePatterns: ['/.cache', '/.lab', '/reports'],
  cleanTempDir: true,
};
