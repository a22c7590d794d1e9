import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../paths.js';

/** How many scenario files the `scenarios` project runs (vitest.config.ts: scenarios/*.test.ts). */
export function scenarioFileCount(): number {
  return readdirSync(join(PROJECT_ROOT, 'scenarios')).filter((f) => f.endsWith('.test.ts')).length;
}
