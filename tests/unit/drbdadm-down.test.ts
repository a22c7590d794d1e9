// "r0 is down" in the scenarios is one answer of drbdadm, not any failure of it: the real
// recordings of power loss and Pacemaker, replayed with the answer of the check changed here in
// the test (the files stay as recorded) to drbdadm failing, must fail at that step, at once.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RemoteCommandError } from '../../lib/errors.js';
import type { CommandRecord } from '../../lib/report/command-record.js';
import { readRecording, type Recording } from '../../lib/scenario/recording.js';
import { ReplayLab } from '../../lib/scenario/replay-lab.js';
import type { ScenarioContext } from '../../lib/scenario/scenario-lab.js';
import { makeStep } from '../../lib/scenario/step.js';
import { drbdadmPacemakerFailover } from '../../scenarios/steps/drbdadm/pacemaker.js';
import { drbdadmPowerLoss } from '../../scenarios/steps/drbdadm/power-loss.js';

const RECORDINGS = join(import.meta.dirname, '../../scenarios/recordings');

/** drbdadm broken in ways that are not "r0 is down": missing, refusing its config, a signal. */
const BROKEN: Pick<CommandRecord, 'exitCode' | 'stdout' | 'stderr'>[] = [
  { exitCode: 127, stdout: '', stderr: 'sudo: drbdadm: command not found' },
  { exitCode: 1, stdout: '', stderr: "'r0' not defined in your config (for this host)." },
  { exitCode: 20, stdout: '', stderr: "Command 'drbdsetup-84 status r0' terminated with exit code 20" },
];

/** The recording with the `nth` record of `command` on `node` answering `answer` instead. */
function withAnswer(file: string, node: string, command: string, nth: number, answer: (typeof BROKEN)[number]): Recording {
  const recording = readRecording(join(RECORDINGS, file));
  expect(recording.evidence).toBe('real');
  const hits = recording.commands.flatMap((c, i) => (c.node === node && c.command === command ? [i] : []));
  expect(hits.length, `${file}: ${node}$ ${command} recorded`).toBeGreaterThan(nth);
  const i = hits[nth]!;
  return { ...recording, commands: recording.commands.map((c, k) => (k === i ? { ...c, ...answer } : c)) };
}

/** The body's first command: what the scenario wrapper ran before it (the kernel-log marks) is left out. */
const FIRST = {
  [drbdadmPacemakerFailover.name]: { node: 'drbd1', command: 'sudo sha256sum /mnt/r0/data.bin' },
  [drbdadmPowerLoss.name]: { node: 'drbd1', command: 'sudo drbdadm cstate r0' },
};

async function run(recording: Recording, body: (ctx: ScenarioContext) => Promise<void>): Promise<unknown> {
  const first = FIRST[body.name]!;
  const from = recording.commands.findIndex((c) => c.node === first.node && c.command === first.command);
  expect(from).toBeGreaterThanOrEqual(0);
  const lab = new ReplayLab({ ...recording, commands: recording.commands.slice(from) });
  const ctx: ScenarioContext = { lab, step: makeStep({ records: [] }), shared: false, redact: async () => undefined };
  return body(ctx).then(
    () => undefined,
    (err: unknown) => err,
  );
}

describe('"r0 is down" cannot pass when drbdadm itself fails', () => {
  it('Pacemaker, before the cluster starts r0: the recorded answer is the real "r0: No such resource"', async () => {
    const recording = readRecording(join(RECORDINGS, 'pacemaker-failover.debian12-drbd84.json'));
    const first = recording.commands.find((c) => c.node === 'drbd1' && c.command === 'sudo drbdadm status r0')!;
    expect(first).toMatchObject({ exitCode: 10, stdout: '', stderr: "r0: No such resource\nCommand 'drbdsetup-84 status r0' terminated with exit code 10" });
  });

  it('the Pacemaker recording as it is replays to its end (the changes below are what fails it)', async () => {
    expect(await run(readRecording(join(RECORDINGS, 'pacemaker-failover.debian12-drbd84.json')), drbdadmPacemakerFailover)).toBeUndefined();
  });

  for (const answer of BROKEN) {
    it(`Pacemaker: drbdadm status exit ${answer.exitCode} fails the hand-over step, with its output`, async () => {
      const err = await run(withAnswer('pacemaker-failover.debian12-drbd84.json', 'drbd1', 'sudo drbdadm status r0', 0, answer), drbdadmPacemakerFailover);
      expect(err).toMatchObject({ name: 'StepError', step: '26. hand r0 over to Pacemaker: unmount, secondary, down; drbd.service stays disabled', kind: 'product' });
      const cause = (err as { cause: unknown }).cause;
      expect(cause).toBeInstanceOf(RemoteCommandError);
      expect(cause).toMatchObject({ node: 'drbd1', command: 'sudo drbdadm status r0', exitCode: answer.exitCode, stderr: answer.stderr });
    });

    it(`power loss: drbdadm cstate exit ${answer.exitCode} after the boot is not "r0 stays down"`, async () => {
      const err = await run(withAnswer('power-loss.debian12-drbd84.json', 'drbd1', 'sudo drbdadm cstate r0', 1, answer), drbdadmPowerLoss);
      expect((err as Error).message).toMatch(/^step "4\. power drbd1 on: it boots, r0 stays down/);
    });
  }

  it('Pacemaker, when the failed node is back: a broken drbdadm fails that step too', async () => {
    // drbd1's third `drbdadm status r0`: after its power cut, before Pacemaker starts it.
    const recording = readRecording(join(RECORDINGS, 'pacemaker-failover.debian12-drbd84.json'));
    const looks = recording.commands.filter((c) => c.command === 'sudo drbdadm status r0' && c.exitCode === 10);
    const failed = looks.at(-1)!.node;
    const nth = recording.commands.filter((c) => c.node === failed && c.command === 'sudo drbdadm status r0').indexOf(looks.at(-1)!);
    const err = await run(withAnswer('pacemaker-failover.debian12-drbd84.json', failed, 'sudo drbdadm status r0', nth, BROKEN[0]!), drbdadmPacemakerFailover);
    expect(err).toMatchObject({ name: 'StepError', step: `26. ${failed} powered on: the cluster stack stays off until started by hand, then rejoins` });
    expect((err as { cause: unknown }).cause).toMatchObject({ exitCode: 127, command: 'sudo drbdadm status r0' });
  });
});
