import { describe, expect, it } from 'vitest';
import { DrbdParseError } from '../drbd/errors.js';
import { RemoteCommandError, SshTransportError, WaitTimeoutError } from '../errors.js';
import { ReplayMismatchError } from '../scenario/replay-lab.js';
import { pollUntil, scaled, timeoutScaleFor, systemClock, type Clock, type Observation } from './poll.js';

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

/** A socket error as Node raises it while a node's port forward has nothing behind it. */
function refused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2201'), { code: 'ECONNREFUSED', errno: -111, syscall: 'connect', level: 'client-socket' });
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

  it('a probe that throws an SSH transport error counts as not yet', async () => {
    const clock = new FakeClock();
    const o = scripted<number>([refused(), new SshTransportError('drbd1', 'ssh connect', new Error('Timed out while waiting for handshake')), { done: true, value: 42, seen: 'ok' }]);
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
    const o = scripted<void>([Object.assign(new Error('read ECONNRESET\nmore detail'), { code: 'ECONNRESET' })]);
    await expect(pollUntil('r0', o.observe, { timeoutMs: 3_000, intervalMs: 1_000, clock })).rejects.toThrow(
      /^timed out after 3 s waiting for r0; last seen: read ECONNRESET$/,
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
  /** Throws `err` on the first look; counts the looks and sleeps. */
  async function endsAtOnce(err: unknown) {
    const clock = new FakeClock();
    const o = scripted<void>([err as Error, { done: true, seen: 'never reached' }]);
    const thrown = await pollUntil('y', o.observe, { timeoutMs: 600_000, intervalMs: 1_000, clock }).catch((e: unknown) => e);
    return { thrown, calls: o.calls(), sleeps: clock.sleeps };
  }

  it('ssh2-style connection errors (fatal: true, or by message) are "not yet"', async () => {
    let t = 0;
    const clock = { now: () => t, sleep: async (ms: number) => void (t += ms) };
    let calls = 0;
    const transient = [
      Object.assign(new Error('Connection lost before handshake'), { level: 'protocol', fatal: true }),
      Object.assign(new Error('Timed out while waiting for handshake'), { level: 'client-timeout' }),
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', level: 'client-socket' }),
      new Error('Not connected to server'),
      new Error('(SSH) Channel open failure: server closed channel unexpectedly'),
      Object.assign(new Error('No response from server'), { code: 'ETIMEDOUT' }),
    ];
    const value = await pollUntil(
      'ssh',
      async () => {
        if (calls < transient.length) throw transient[calls++]!;
        return { done: true, value: 'up', seen: 'up' };
      },
      { timeoutMs: 10_000, intervalMs: 100, clock },
    );
    expect(value).toBe('up');
    expect(calls).toBe(transient.length);
  });

  it('a failed remote command ends the wait at once with the same error object', async () => {
    const err = new RemoteCommandError('drbd1', 'sudo drbdadm status r0', 10, '', "r0: No such resource");
    const r = await endsAtOnce(err);
    expect(r.thrown).toBe(err);
    expect(r.thrown).toMatchObject({ node: 'drbd1', command: 'sudo drbdadm status r0', exitCode: 10, kind: 'product' });
    expect(r.calls).toBe(1);
    expect(r.sleeps).toEqual([]);
  });

  it('a remote command whose output talks about connections is still a failed command, not transport', async () => {
    const err = new RemoteCommandError('drbd1', 'drbdmanage list-nodes', 1, '', 'Error: Connection closed: ECONNREFUSED');
    expect((await endsAtOnce(err)).thrown).toBe(err);
  });

  it('a parse error ends the wait at once: a SyntaxError and a DrbdParseError', async () => {
    const syntax = (() => {
      try {
        JSON.parse('{"v1": ');
      } catch (e) {
        return e;
      }
    })();
    expect(syntax).toBeInstanceOf(SyntaxError);
    const r1 = await endsAtOnce(syntax);
    expect(r1.thrown).toBe(syntax);
    expect(r1.calls).toBe(1);
    const parse = new DrbdParseError('drbdsetup-status', 'unexpected line', 'r0 role:Primary?', 1);
    const r2 = await endsAtOnce(parse);
    expect(r2.thrown).toBe(parse);
    expect(r2.calls).toBe(1);
  });

  it('a plain Error ends the wait at once', async () => {
    const err = new Error('boom');
    const r = await endsAtOnce(err);
    expect(r.thrown).toBe(err);
    expect(r.calls).toBe(1);
    expect(r.sleeps).toEqual([]);
  });

  it('a replay that ran off its recording ends the wait at once', async () => {
    const stop = new ReplayMismatchError(3, { node: 'drbd1', command: 'a' }, { node: 'drbd1', command: 'b' });
    expect((await endsAtOnce(stop)).thrown).toBe(stop);
  });

  it('an error ending the wait after some "not yet" looks keeps its identity', async () => {
    const clock = new FakeClock();
    const err = new RemoteCommandError('drbd2', 'cat /proc/sys/kernel/random/boot_id', 1, '', 'cat: Permission denied');
    const o = scripted<void>([refused(), { done: false, seen: 'old boot_id' }, err]);
    await expect(pollUntil('boot', o.observe, { timeoutMs: 60_000, intervalMs: 2_000, clock })).rejects.toBe(err);
    expect(o.calls()).toBe(3);
    expect(clock.sleeps).toEqual([2_000, 2_000]);
  });
});

describe('systemClock and timeout scaling', () => {
  it('an abort ends a real sleep at once (Ctrl-C does not wait out a poll interval)', async () => {
    const ac = new AbortController();
    const t = Date.now();
    const slept = systemClock.sleep(60_000, ac.signal);
    ac.abort(new Error('user pressed ^C'));
    await expect(slept).rejects.toThrow();
    expect(Date.now() - t).toBeLessThan(5_000);
  });

  it('scaled() multiplies a timeout by the scale it is given, rounded to a millisecond', () => {
    expect(scaled(240_000, 3)).toBe(720_000);
    expect(scaled(1_001, 1.5)).toBe(1_502);
    expect(scaled(240_000, 1)).toBe(240_000);
  });

  it('a lab on TCG (state `tcg`, recording label `TCG`) has its waits scaled by 3, on KVM by 1', () => {
    expect(timeoutScaleFor('tcg')).toBe(3);
    expect(timeoutScaleFor('TCG')).toBe(3);
    expect(timeoutScaleFor('kvm')).toBe(1);
    expect(timeoutScaleFor('KVM')).toBe(1);
  });
});
