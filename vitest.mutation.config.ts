import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The vitest config StrykerJS runs (stryker.config.mjs): only the `unit` and `replay` projects of
 * vitest.config.ts, taken from it so the two cannot drift. The other projects boot VMs, and the
 * Stryker vitest runner cannot pick projects by name. No JUnit/Allure reporters: a mutant's run
 * is not a result anyone reads.
 */
const MUTATION_PROJECTS = ['unit', 'replay'];

const projects = (base.test?.projects ?? []).filter(
  (p): p is { test: { name: string } } => typeof p === 'object' && p !== null && 'test' in p && MUTATION_PROJECTS.includes((p as { test?: { name?: string } }).test?.name ?? ''),
);
if (projects.length !== MUTATION_PROJECTS.length) throw new Error(`vitest.mutation.config.ts: projects ${MUTATION_PROJECTS.join(', ')} not all found in vitest.config.ts`);

export default defineConfig({ test: { projects } });
