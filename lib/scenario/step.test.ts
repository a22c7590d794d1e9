// makeStep, every scenario step's wrapper: the step's commands attached to the report, and a failed
// step's error: named after the step, its cause's fields kept, DRBD's state at the failure added.
import { describe, expect, it } from 'vitest';
import { RemoteCommandError, WaitTimeoutError } from '../errors.js';
import type { CommandRecord } from '../ssh/command-record.js';
import { formatRecord } from '../ssh/transcript.js';
import { reported } from '../../tests/support/synthetic-lab.js';
import { makeStep, StepError, type FailureSnapshot } from './step.js';

const record = (command: string): CommandRecord => ({ seq: 1, node: 'drbd1', command, stdout: 'out\n', stderr: '', exitCode: 0, startedAt: '2026-01-01T00:00:00.000Z', durationMs: 5 });

function stepOn(snapshot?: FailureSnapshot) {
  const records: CommandRecord[] = [record('before the step')];
  return { records, step: makeStep({ records }, snapshot) };
}

describe('makeStep: the report', () => {
  it('attaches the commands the step ran (not those before it) and returns what the body returned; a step that ran none attaches nothing', async () => {
    const { records, step } = stepOn();
    const out = await reported(async () => {
      const v = await step('1. two commands', async () => {
        records.push(record('a'), record('b'));
        return 42;
      });
      await step('2. none', async () => undefined);
      return v;
    });
    expect(out.value).toBe(42);
    expect(out.attachments).toEqual([{ name: 'commands (2)', content: [record('a'), record('b')].map(formatRecord).join('\n'), contentType: 'text/plain' }]);
  });

  it('a failed step attaches what it ran too', async () => {
    const { records, step } = stepOn();
    const out = await reported(() => step('1. fails', async () => {
      records.push(record('a'));
      throw new Error('no');
    }));
    expect(out.err).toBeInstanceOf(Error);
    expect(out.attachments.map((a) => a.name)).toEqual(['commands (1)']);
  });
});

describe('makeStep: a failed step', () => {
  it('a DrbdlabError: a StepError naming the step, the cause kept with its fields and kind, DRBD\'s state appended', async () => {
    const cause = new RemoteCommandError('drbd2', 'sudo drbdadm up r0', 10, '', 'no such resource', 'infrastructure');
    const { step } = stepOn(async () => 'drbd1: r0 Secondary');
    const err = await step('20. up', async () => {
      throw cause;
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepError);
    expect(err).toMatchObject({ step: '20. up', cause, kind: 'infrastructure' });
    expect((err as Error).message).toBe(`step "20. up" failed: ${cause.message}\n  DRBD state at failure: drbd1: r0 Secondary`);
    expect((err as StepError).fields()).toEqual({ ...cause.fields(), kind: 'infrastructure' });
  });

  it('an assertion (any Error but drbdlab\'s): the same error, its message prefixed with the step and the state', async () => {
    const assertion = new Error('expected 1 to be 2');
    const { step } = stepOn(async () => 'drbd1: no resources');
    const err = await step('7. check', async () => {
      throw assertion;
    }).catch((e: unknown) => e);
    expect(err).toBe(assertion);
    expect(assertion.message).toBe('step "7. check" failed: expected 1 to be 2\n  DRBD state at failure: drbd1: no resources');
  });

  it('a StepError from a step inside the step passes unchanged: named after the innermost step, state added once', async () => {
    let snapshots = 0;
    const { step } = stepOn(async () => `snapshot ${++snapshots}`);
    const err = await step('outer', () => step('inner', async () => {
      throw new WaitTimeoutError('r0 UpToDate', 60_000, 'SyncTarget', 'drbd2', 'product');
    })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepError);
    expect((err as StepError).step).toBe('inner');
    expect((err as Error).message).toMatch(/^step "inner" failed: drbd2: timed out .*\n {2}DRBD state at failure: snapshot 1$/u);
    expect(snapshots).toBe(1);
  });

  it('something thrown that is no Error: a product StepError saying what it was', async () => {
    const { step } = stepOn();
    const err = await step('3. odd', async () => {
      throw 'a string';
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepError);
    expect(err).toMatchObject({ kind: 'product', message: 'step "3. odd" failed: a string' });
    expect((err as StepError).fields()).toEqual({ kind: 'product', timedOut: false, canceled: false });
  });

  it('no snapshot, a snapshot that fails or says nothing: no state in the message', async () => {
    for (const snapshot of [undefined, async () => Promise.reject(new Error('ssh down')), async () => '']) {
      const { step } = stepOn(snapshot);
      const err = await step('9. x', async () => {
        throw new RemoteCommandError('drbd1', 'true', 1, '', '');
      }).catch((e: unknown) => e);
      expect((err as Error).message).toBe('step "9. x" failed: drbd1: `true` exited 1');
    }
  });
});
