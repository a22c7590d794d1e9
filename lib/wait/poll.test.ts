import { describe, expect, it } from 'vitest';
import { WaitTimeoutError } from '../errors.js';
import { pollUntil, type Clock, type Observation } from './poll.js';

/** Virtual time: sleep() advances now() at once; honours the signal like timers/promises does. */
class FakeClock implements Clock {
  t = 1_000_000;
  sleeps: number[] = [];
  now(): number {
    return this.t;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.sleeps.push(ms);
    this.t += ms;
  }
}

/** An observer that replays a script of observations (or errors), then repeats the last. */
function scripted<T>(steps: (Observation<T> | Error)[]) {
  let calls = 0;
  const observe = async (): Promise<Observation<T>> => {
    const s = steps[Math.min(calls++, steps.length - 1)]!;
    if (s instanceof Error) throw s;
    return s;
  };
  return { observe, calls: () => calls };
}

describe('pollUntil', () => {
  it('returns the value once the observation is done', async () => {
    const clock = new FakeClock();
    const o = scripted<string>([
      { done: false, seen: 'Connecting' },
      { done: false, seen: 'SyncSource 40%' },
      { done: true, value: 'UpToDate', seen: 'UpToDate' },
    ]);
    await expect(pollUntil('r0 to sync', o.observe, { timeoutMs: 60_000, intervalMs: 2_000, clock })).resolves.toBe('UpToDate');
    expect(o.calls()).toBe(3);
    expect(clock.sleeps).toEqual([2_000, 2_000]);
  });

  it('a probe that throws counts as not yet', async () => {
    const clock = new FakeClock();
    const o = scripted<number>([new Error('ssh: connection refused'), new Error('boom'), { done: true, value: 42, seen: 'ok' }]);
    await expect(pollUntil('sshd', o.observe, { timeoutMs: 10_000, intervalMs: 500, clock })).resolves.toBe(42);
    expect(o.calls()).toBe(3);
  });

  it('times out with what, target and the last thing seen', async () => {
    const clock = new FakeClock();
    const o = scripted<void>([{ done: false, seen: 'drbd2 Connecting' }, { done: false, seen: 'drbd2 StandAlone' }]);
    const err = await pollUntil('r0 to connect', o.observe, { timeoutMs: 10_000, intervalMs: 1_000, clock, target: 'drbd1', kind: 'product' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WaitTimeoutError);
    const e = err as WaitTimeoutError;
    expect(e.message).toBe('drbd1: timed out after 10 s waiting for r0 to connect; last seen: drbd2 StandAlone');
    expect(e).toMatchObject({ what: 'r0 to connect', target: 'drbd1', lastSeen: 'drbd2 StandAlone', timeoutMs: 10_000, kind: 'product' });
    // Looks at t=0,1,…,10 s, then gives up rather than sleep past the deadline.
    expect(o.calls()).toBe(11);
    expect(clock.t - 1_000_000).toBe(10_000);
  });

  it('the last seen is the first line of the last error when the probe kept throwing', async () => {
    const clock = new FakeClock();
    const o = scripted<void>([new Error('drbdadm: no resources defined!\nmore detail')]);
    await expect(pollUntil('r0', o.observe, { timeoutMs: 3_000, intervalMs: 1_000, clock })).rejects.toThrow(
      /^timed out after 3 s waiting for r0; last seen: drbdadm: no resources defined!$/,
    );
  });

  it('defaults kind to infrastructure', async () => {
    const o = scripted<void>([{ done: false, seen: 'x' }]);
    await expect(pollUntil('y', o.observe, { timeoutMs: 0, clock: new FakeClock() })).rejects.toMatchObject({ kind: 'infrastructure' });
  });

  it('an already aborted signal stops before the first look', async () => {
    const ac = new AbortController();
    ac.abort(new Error('user pressed ^C'));
    const o = scripted<void>([{ done: false, seen: 'x' }]);
    await expect(pollUntil('y', o.observe, { timeoutMs: 60_000, clock: new FakeClock(), signal: ac.signal })).rejects.toThrow('user pressed ^C');
    expect(o.calls()).toBe(0);
  });

  it('an abort while waiting stops the poll', async () => {
    const ac = new AbortController();
    const clock = new FakeClock();
    let calls = 0;
    const observe = async (): Promise<Observation<void>> => {
      if (++calls === 2) ac.abort(new Error('aborted by test'));
      return { done: false, seen: 'x' };
    };
    await expect(pollUntil('y', observe, { timeoutMs: 60_000, intervalMs: 1_000, clock, signal: ac.signal })).rejects.toThrow('aborted by test');
    expect(calls).toBe(2);
    expect(clock.sleeps).toEqual([1_000]);
  });
});

describe('errors that end a wait', () => {
  it('an ssh2-style error with fatal: true is "not yet"; only the ENDS_WAIT marker ends the wait', async () => {
    const { ENDS_WAIT, pollUntil } = await import('./poll.js');
    let t = 0;
    const clock = { now: () => t, sleep: async (ms: number) => void (t += ms) };
    let calls = 0;
    const value = await pollUntil(
      'ssh',
      async () => {
        calls++;
        if (calls < 3) throw Object.assign(new Error('Connection lost before handshake'), { level: 'protocol', fatal: true });
        return { done: true, value: 'up', seen: 'up' };
      },
      { timeoutMs: 10_000, intervalMs: 100, clock },
    );
    expect(value).toBe('up');
    const stop = Object.assign(new Error('replay differs'), { [ENDS_WAIT]: true });
    await expect(pollUntil('x', async () => { throw stop; }, { timeoutMs: 10_000, intervalMs: 100, clock })).rejects.toBe(stop);
  });
});
