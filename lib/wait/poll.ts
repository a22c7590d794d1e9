import { setTimeout as delay } from 'node:timers/promises';
import { WaitTimeoutError, type FailureKind, type FailureTopic } from '../errors.js';
import { isTransient } from './transient.js';

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
  /** `boot`: what is waited for is a node answering at all (the report groups those apart). */
  topic?: FailureTopic;
}

/** One look at the world: done or not, and what was seen (for the timeout message). */
export interface Observation<T> {
  done: boolean;
  value?: T;
  seen: string;
}

/**
 * Poll `observe` until it says done or the deadline passes. "Not yet" is an observation with
 * `done: false`, or an SSH transport error (a node booting or rebooting: see isTransient), whose
 * message becomes the last thing seen. Any other error ends the wait at once, unchanged: a failed
 * command or a parse error will not get better by waiting, and must not turn into a timeout.
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
      if (!isTransient(err)) throw err;
      lastSeen = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    }
    if (clock.now() + interval > deadline) {
      throw new WaitTimeoutError(what, opts.timeoutMs, lastSeen, opts.target, opts.kind, opts.topic);
    }
    await clock.sleep(interval, opts.signal);
  }
}

/** Timeouts are written for KVM; a TCG guest is this much slower, so its waits are scaled by it. */
const TCG_TIMEOUT_SCALE = 3;

/** The factor a lab's waits are scaled by, from its hypervisor (`tcg`/`TCG` → 3, else 1). */
export function timeoutScaleFor(accel: string): number {
  return accel.toLowerCase() === 'tcg' ? TCG_TIMEOUT_SCALE : 1;
}

/** A timeout written for KVM, for a lab whose waits are scaled by `scale` (its `timeoutScale`). */
export function scaled(ms: number, scale: number): number {
  return Math.round(ms * scale);
}
