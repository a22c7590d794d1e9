import { resolve } from 'node:path';
import { PROJECT_ROOT } from '../paths.js';
import { listLabIds } from '../lab/state.js';
import { UsageError } from '../errors.js';

export const DEFAULT_CONFIG = resolve(PROJECT_ROOT, 'lab/lab.yaml');

/** The lab a command acts on: --lab, else the only/newest one in the labs folder `labs`. */
export async function pickLabId(labs: string, flag?: string): Promise<string> {
  if (flag) return flag;
  const ids = await listLabIds(labs);
  if (ids.length === 0) throw new UsageError('no lab is up here: run `npm run lab -- up` first');
  return ids[0]!;
}

export function log(line: string): void {
  process.stdout.write(`${line}\n`);
}
