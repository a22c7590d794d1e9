// How a host command ended travels as fields of its HostCommandError (execa's timedOut,
// isCanceled, signal), not as words appended to its stderr.
import { describe, expect, it } from 'vitest';
import { HostCommandError, InterruptedError } from '../errors.js';
import { run } from './run.js';

const rejection = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a rejection'); }, (err: unknown) => err);

describe('run: how a command ended, as fields', () => {
  it('a command that outlives its timeout: timedOut, the signal it was killed with, the lab\'s failure; stderr is its own', async () => {
    const err = await rejection(run('sh', ['-c', 'echo own words >&2; exec sleep 30'], { timeoutMs: 300 }));
    expect(err).toBeInstanceOf(HostCommandError);
    const e = err as HostCommandError;
    expect(e).toMatchObject({ timedOut: true, canceled: false, signal: 'SIGTERM', kind: 'infrastructure', command: "sh -c 'echo own words >&2; exec sleep 30'" });
    expect(e.stderr).toBe('own words');
    expect(e.message.split('\n')[0]).toBe("command timed out: sh -c 'echo own words >&2; exec sleep 30'");
  });

  it('a command stopped by an abort (Ctrl-C): canceled, kind interrupted (no verdict: lib/report/classify.ts)', async () => {
    const ac = new AbortController();
    const pending = rejection(run('sleep', ['30'], { signal: ac.signal }));
    ac.abort(new InterruptedError('SIGINT', new Date(0).toISOString()));
    const e = (await pending) as HostCommandError;
    expect(e).toBeInstanceOf(HostCommandError);
    expect(e).toMatchObject({ canceled: true, timedOut: false, kind: 'interrupted' });
    expect(e.stderr).toBe('');
    expect(e.message.split('\n')[0]).toBe('command cancelled: sleep 30');
  });

  it('a command that fails on its own: neither timed out nor cancelled, its exit code', async () => {
    const e = (await rejection(run('sh', ['-c', 'exit 3']))) as HostCommandError;
    expect(e).toMatchObject({ timedOut: false, canceled: false, exitCode: 3, kind: 'infrastructure' });
    expect(e.fields()).toEqual({ kind: 'infrastructure', timedOut: false, canceled: false, command: "sh -c 'exit 3'", exitCode: 3 });
  });
});
