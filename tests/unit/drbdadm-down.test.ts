// "r0 is down" in the scenarios is one answer of drbdadm, not any failure of it: the real
// recordings of power loss and Pacemaker, replayed with the answer of the check changed here in
// the test (the files stay as recorded) to drbdadm failing, must fail at that step, at once, and
// be reported as the nightly reports it. Through the shared harness (tests/support/mutation.ts):
// defineScenario's runScenario, its watched lab and kernel-log check, the report's classification.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RemoteCommandError, WaitTimeoutError } from '../../lib/errors.js';
import { EXIT } from '../../lib/exit-codes.js';
import type { CommandRecord } from '../../lib/ssh/command-record.js';
import { readRecording, type Recording } from '../../lib/scenario/recording.js';
import type { ScenarioBody } from '../../lib/scenario/define-scenario.js';
import { drbdadmPacemakerFailover } from '../../scenarios/steps/drbdadm/pacemaker.js';
import { drbdadmPowerLoss } from '../../scenarios/steps/drbdadm/power-loss.js';
import { R0_UP } from '../../scenarios/steps/drbdadm/start.js';
import { classifyLikeTheNightly, mutate, replayThroughDefineScenario, type Replayed } from '../support/mutation.js';

const RECORDINGS = join(import.meta.dirname, '../../scenarios/recordings');
const PACEMAKER = 'pacemaker-failover.debian12-drbd84.json';
const POWER_LOSS = 'power-loss.debian12-drbd84.json';

/** drbdadm broken in ways that are not "r0 is down": missing, refusing its config, a signal. */
const BROKEN: Pick<CommandRecord, 'exitCode' | 'stdout' | 'stderr'>[] = [
  { exitCode: 127, stdout: '', stderr: 'sudo: drbdadm: command not found' },
  { exitCode: 1, stdout: '', stderr: "'r0' not defined in your config (for this host)." },
  { exitCode: 20, stdout: '', stderr: "Command 'drbdsetup-84 status r0' terminated with exit code 20" },
];

function real(file: string): Recording {
  const recording = readRecording(join(RECORDINGS, file));
  expect(recording.evidence).toBe('real');
  return recording;
}

/** The recording with the `nth` record of `command` on `node` answering `answer` instead. */
function withAnswer(file: string, node: string, command: string, nth: number, answer: (typeof BROKEN)[number]): Recording {
  const recording = real(file);
  const hits = recording.commands.flatMap((c, i) => (c.node === node && c.command === command ? [i] : []));
  expect(hits.length, `${file}: ${node}$ ${command} recorded`).toBeGreaterThan(nth);
  return mutate(recording, [{ what: `${node}$ ${command} (#${nth}) answers exit ${answer.exitCode}`, match: (_c, i) => i === hits[nth], change: () => answer }]);
}

const SCENARIO = { [drbdadmPacemakerFailover.name]: 'pacemaker-failover', [drbdadmPowerLoss.name]: 'power-loss' };

/** As the scenario file runs it: defineScenario's code, from r0-up. */
const replay = (recording: Recording, body: ScenarioBody) =>
  replayThroughDefineScenario(recording, body, { scenario: SCENARIO[body.name]!, opts: { from: { drbdadm: R0_UP } } });

/** Failed at the step, at once, as a product failure (report: failed, nightly exits 1). */
async function expectFailedAtOnce(r: Replayed, step: RegExp): Promise<Error> {
  expect(r.err).toBeInstanceOf(Error);
  const err = r.err as Error;
  expect(err.message).toMatch(step);
  expect(causes(err).filter((e) => e instanceof WaitTimeoutError)).toEqual([]);
  expect(await classifyLikeTheNightly(r)).toEqual({ status: 'failed', category: 'product', exitCode: EXIT.failed });
  return err;
}

function causes(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e: unknown = err; e !== undefined && out.length < 10; e = e instanceof Error ? e.cause : undefined) out.push(e);
  return out;
}

describe('"r0 is down" cannot pass when drbdadm itself fails', () => {
  it('Pacemaker, before the cluster starts r0: the recorded answer is the real "r0: No such resource"', async () => {
    const first = real(PACEMAKER).commands.find((c) => c.node === 'drbd1' && c.command === 'sudo drbdadm status r0')!;
    expect(first).toMatchObject({ exitCode: 10, stdout: '', stderr: "r0: No such resource\nCommand 'drbdsetup-84 status r0' terminated with exit code 10" });
  });

  for (const file of [PACEMAKER, POWER_LOSS]) {
    it(`${file} as it is replays green to its end (the changes below are what fails it)`, async () => {
      const r = await replay(real(file), file === PACEMAKER ? drbdadmPacemakerFailover : drbdadmPowerLoss);
      expect(r.err).toBeUndefined();
      expect(r.remaining).toBe(0);
      expect(await classifyLikeTheNightly(r)).toEqual({ status: 'passed', category: undefined, exitCode: EXIT.ok });
    });
  }

  for (const answer of BROKEN) {
    it(`Pacemaker: drbdadm status exit ${answer.exitCode} fails the hand-over step, with its output`, async () => {
      const r = await replay(withAnswer(PACEMAKER, 'drbd1', 'sudo drbdadm status r0', 0, answer), drbdadmPacemakerFailover);
      const err = await expectFailedAtOnce(r, /^step "26\. hand r0 over to Pacemaker: unmount, secondary, down; drbd\.service stays disabled" failed: /);
      expect(err).toMatchObject({ name: 'StepError', step: '26. hand r0 over to Pacemaker: unmount, secondary, down; drbd.service stays disabled', kind: 'product' });
      const cause = causes(err).find((e) => e instanceof RemoteCommandError);
      expect(cause).toMatchObject({ node: 'drbd1', command: 'sudo drbdadm status r0', exitCode: answer.exitCode, stderr: answer.stderr });
    });

    it(`power loss: drbdadm cstate exit ${answer.exitCode} after the boot is not "r0 stays down"`, async () => {
      const r = await replay(withAnswer(POWER_LOSS, 'drbd1', 'sudo drbdadm cstate r0', 1, answer), drbdadmPowerLoss);
      await expectFailedAtOnce(r, /^step "4\. power drbd1 on: it boots, r0 stays down/);
    });
  }

  it('Pacemaker, when the failed node is back: a broken drbdadm fails that step too', async () => {
    // The failed node's last "r0: No such resource": after its power cut, before Pacemaker starts it.
    const recording = real(PACEMAKER);
    const looks = recording.commands.filter((c) => c.command === 'sudo drbdadm status r0' && c.exitCode === 10);
    const failed = looks.at(-1)!.node;
    const nth = recording.commands.filter((c) => c.node === failed && c.command === 'sudo drbdadm status r0').indexOf(looks.at(-1)!);
    const r = await replay(withAnswer(PACEMAKER, failed, 'sudo drbdadm status r0', nth, BROKEN[0]!), drbdadmPacemakerFailover);
    const err = await expectFailedAtOnce(r, new RegExp(`^step "26\\. ${failed} powered on: the cluster stack stays off until started by hand, then rejoins" failed: `));
    expect(err).toMatchObject({ name: 'StepError', step: `26. ${failed} powered on: the cluster stack stays off until started by hand, then rejoins` });
    expect(causes(err).find((e) => e instanceof RemoteCommandError)).toMatchObject({ exitCode: 127, command: 'sudo drbdadm status r0' });
  });
});
