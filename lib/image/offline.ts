// --offline (nightly, `image build`) and DRBDLAB_OFFLINE=1 (the test runner, child processes):
// use the cached image as it is and ask no upstream. Read at the edge into the run's
// configuration and handed to the profiles (ProfileSettings); a child process gets it with the
// rest of the configuration, never through a variable this process writes.

import { UsageError } from '../errors.js';

/** DRBDLAB_OFFLINE of the environment given, for an edge that reads no lab.yaml (the report). */
export function isOffline(env: NodeJS.ProcessEnv): boolean {
  const v = env.DRBDLAB_OFFLINE;
  if (v === undefined || v === '' || v === '0') return false;
  if (v === '1') return true;
  throw new UsageError(`DRBDLAB_OFFLINE=${v}: set it to 1 (use the cached image, ask no upstream) or leave it unset`);
}

export const OFFLINE_LINE = 'offline: upstreams not asked; the cached image is used as it is';
