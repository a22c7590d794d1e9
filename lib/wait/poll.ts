import { setTimeout as delay } from 'node:timers/promises';
import { WaitTimeoutError, type FailureKind } from '../errors.js';

/** Injectable time, so waits are unit-testable without sleeping (as testcontainers' retry does). */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(ms, undefined, { signal }),
};

export interface PollOptions {
  timeoutMs: number;
  intervalMs?: number;
  clock?: Clock;
  signal?: AbortSignal;
  /** Who is waited on (a node name): goes into the timeout message. */
  target?: string;
  /** A timeout here means DRBD misbehaved (product) or the lab did (infrastructure). */
  kind?: FailureKind;
}

/** Set on an error that must end a wait at once instead of counting as "not yet". */
export const ENDS_WAIT = Symbol.for('drbdlab.endsWait');

/** One look at the world: done or not, and what was seen (for the timeout message). */
export interface Observation<T> {
  done: boolean;
  value?: T;
  seen: string;
}

/**
 * Poll `observe` until it says done or the deadline passes. A probe that throws counts as
 * "not yet" and its message becomes the last thing seen.
 */
export async function pollUntil<T>(what: string, observe: () => Promise<Observation<T>>, opts: PollOptions): Promise<T> {
  const clock = opts.clock ?? systemClock;
  const interval = opts.intervalMs ?? 1_000;
  const deadline = clock.now() + opts.timeoutMs;
  let lastSeen = 'nothing yet';
  for (;;) {
    opts.signal?.throwIfAborted();
    try {
      const o = await observe();
      lastSeen = o.seen;
      if (o.done) return o.value as T;
    } catch (err) {
      // Some errors end the wait at once (a replay that ran off its recording). A marker of our
      // own: ssh2's connection errors carry `fatal: true` and must stay "not yet".
      if (err !== null && typeof err === 'object' && ENDS_WAIT in err) throw err;
      lastSeen = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    }
    if (clock.now() + interval > deadline) {
      throw new WaitTimeoutError(what, opts.timeoutMs, lastSeen, opts.target, opts.kind);
    }
    await clock.sleep(interval, opts.signal);
  }
}

/** Timeouts are written for KVM; TCG guests get them scaled (set once per run). */
let scale = 1;
export function setTimeoutScale(factor: number): void {
  scale = factor;
}
export function scaled(ms: number): number {
  return Math.round(ms * scale);
}
