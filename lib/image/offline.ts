// --offline (nightly, `image build`) and DRBDLAB_OFFLINE=1 (the test runner, child processes):
// use the cached image as it is and ask no upstream. The CLI flag sets the variable, so every
// process of the run (the scenarios' vitest too) sees the same choice.

import { UsageError } from '../errors.js';

export function isOffline(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.DRBDLAB_OFFLINE;
  if (v === undefined || v === '' || v === '0') return false;
  if (v === '1') return true;
  throw new UsageError(`DRBDLAB_OFFLINE=${v}: set it to 1 (use the cached image, ask no upstream) or leave it unset`);
}

/** What --offline does, for the CLI: from here on this process and its children are offline. */
export function goOffline(): void {
  process.env.DRBDLAB_OFFLINE = '1';
}

export const OFFLINE_LINE = 'offline: upstreams not asked; the cached image is used as it is';
