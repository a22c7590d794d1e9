// A child started in its own process group (execa `detached: true`) is stopped as a whole: its
// own children too (vitest's fork workers, which would otherwise outlive it and go on making
// labs after the nightly has swept them).

import { WaitTimeoutError } from '../errors.js';
import { pollUntil, type Clock } from '../wait/poll.js';

/** Send a signal to every process of the group; false when the group has no process left. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0, kill: typeof process.kill = process.kill): boolean {
  try {
    kill(-pgid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/**
 * Wait until the group is gone; past `graceMs` SIGKILL what is left and wait again. Returns
 * how it ended: 'gone' by itself, or 'killed'.
 */
export async function reapGroup(
  pgid: number,
  o: { graceMs: number; clock?: Clock; kill?: typeof process.kill },
): Promise<'gone' | 'killed'> {
  const alive = () => signalGroup(pgid, 0, o.kill);
  const gone = async () => ({ done: !alive(), seen: `process group ${pgid} still has processes` });
  try {
    await pollUntil(`process group ${pgid} to exit`, gone, { timeoutMs: o.graceMs, intervalMs: 250, clock: o.clock });
    return 'gone';
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
  }
  signalGroup(pgid, 'SIGKILL', o.kill);
  await pollUntil(`process group ${pgid} to exit after SIGKILL`, gone, { timeoutMs: 10_000, intervalMs: 100, clock: o.clock });
  return 'killed';
}
