import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from './lib/config/config.js';
import { clustersFor } from './lib/lab/parallelism.js';
import { scenarioFolders } from './lib/cli/scenario-files.js';
import { longestFirst, recordedDurations, scenarioNameOf } from './lib/scenario/schedule.js';

// The same configuration the CLI resolves (the nightly hands its own down whole): lab.yaml and
// DRBDLAB_*, validated; a bad value stops the run with one line naming it.
const config = await loadConfig();

/**
 * Real scenarios on restored clusters start longest first (by their last real recording), so
 * the longest does not start last; everything else, and scenarios on a lab that is up
 * (DRBDLAB_LAB: one story, 01-walkthrough first), in file-name order.
 */
class Schedule extends BaseSequencer {
  override async sort(files: TestSpecification[]) {
    const byName = [...files].sort((a, b) => a.moduleId.localeCompare(b.moduleId));
    if (config.labId) return byName;
    const durations = recordedDurations(fileURLToPath(new URL('./scenarios/recordings', import.meta.url)));
    const real = byName.filter((f) => f.project.name === 'scenarios');
    const rest = byName.filter((f) => f.project.name !== 'scenarios');
    // Each file read once: the scenario it defines names its recording.
    const names = new Map(real.map((f) => [f, scenarioNameOf(readFileSync(f.moduleId, 'utf8')) ?? f.moduleId]));
    return [...longestFirst(real, (f) => names.get(f)!, (f) => durations.get(names.get(f)!)), ...rest];
  }
}

// DRBDLAB_REPORTS: a folder per job when two run on one host (the nightly passes it on).
const REPORTS = config.paths.reports;

// Real scenarios: each on its own restored cluster, several at once; against a named lab
// (DRBDLAB_LAB) one after another.
function scenarioWorkers(): number {
  if (config.labId) return 1;
  return clustersFor({ cpus: cpus().length, memBytes: totalmem() }, { nodes: config.lab.nodes.length, memoryMiB: config.lab.memoryMiB }, config.clusters);
}

// Projects: unit tests beside the code; the real-VM lab test; the DRBD scenarios on real VMs;
// the same scenarios replayed from recordings. VM projects run one file at a time.

// Unit and replay files wait on nothing but the CPU: one worker per core (vitest's default
// leaves one core idle, which on a two-core runner halves the fast phase's speed).
const FAST_WORKERS = availableParallelism();

// Every project: toThrow(pattern) fails when nothing that can carry a message was thrown.
const STRICT_THROW = 'tests/support/strict-throw.ts';

export default defineConfig({
  test: {
    sequence: { sequencer: Schedule },
    reporters: ['default', ['junit', { outputFile: config.paths.junit }], ['allure-vitest/reporter', { resultsDir: `${REPORTS}/allure-results` }]],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['lib/**/*.test.ts', 'tests/unit/**/*.test.ts'],
          setupFiles: [STRICT_THROW],
          maxWorkers: FAST_WORKERS,
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'replay',
          include: ['scenarios/*.test.ts'],
          maxWorkers: FAST_WORKERS,
          globalSetup: ['scenarios/support/global-setup-replay.ts'],
          setupFiles: ['allure-vitest/setup', STRICT_THROW],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          setupFiles: [STRICT_THROW],
          fileParallelism: false,
          maxWorkers: 1,
          testTimeout: 15 * 60_000,
          hookTimeout: 20 * 60_000,
        },
      },
      {
        test: {
          // Signals at every phase, CLI exits, two nightly jobs at once: real VMs, one file at a time.
          name: 'lifecycle',
          include: ['tests/lifecycle/**/*.test.ts'],
          setupFiles: [STRICT_THROW],
          fileParallelism: false,
          maxWorkers: 1,
          testTimeout: 30 * 60_000,
          hookTimeout: 30 * 60_000,
        },
      },
      {
        test: {
          name: 'scenarios',
          // The tests' own scenarios (tests/scenarios/, e.g. the attribution canary) only for a
          // test that asks (DRBDLAB_TEST_SCENARIOS=1): never in npm test's scenarios phase. The
          // CLI checks scenario arguments against the same folders.
          include: scenarioFolders(config.testScenarios).map((d) => `${d}/*.test.ts`),
          globalSetup: ['scenarios/support/global-setup-real.ts'],
          setupFiles: ['allure-vitest/setup', 'scenarios/support/die-with-runner.ts', STRICT_THROW],
          fileParallelism: scenarioWorkers() > 1,
          maxWorkers: scenarioWorkers(),
          sequence: { concurrent: false },
          testTimeout: 30 * 60_000,
          hookTimeout: 20 * 60_000,
        },
      },
    ],
  },
});
