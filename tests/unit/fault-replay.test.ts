// A deliberately broken step (DRBDLAB_FAULT=wrong-peer-ip: r0.res names 10.255.255.199 for the
// peer), recorded on real VMs, replayed: the failure must name the step, the node and the state
// DRBD was last seen in.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { readRecording } from '../../lib/scenario/recording.js';
import { ReplayLab } from '../../lib/scenario/replay-lab.js';
import { makeStep } from '../../lib/scenario/step.js';
import { failureSnapshot } from '../../lib/scenario/failure-snapshot.js';
import { Transcript } from '../../lib/report/transcript.js';

const RECORDING = join(import.meta.dirname, '../../scenarios/recordings/faults/walkthrough.debian12-drbd84.wrong-peer-ip.json');
const saved = process.env.DRBDLAB_FAULT;
afterAll(() => {
  if (saved === undefined) delete process.env.DRBDLAB_FAULT;
  else process.env.DRBDLAB_FAULT = saved;
});

it('a wrong peer IP in r0.res fails naming the step, the node and the state last seen', async () => {
  process.env.DRBDLAB_FAULT = 'wrong-peer-ip'; // read when the scenario module loads
  const { drbdadmWalkthrough } = await import('../../scenarios/steps/drbdadm/walkthrough.js');
  const recording = readRecording(RECORDING);
  expect(recording.evidence).toBe('real');
  const transcript = new Transcript(await mkdtemp(join(tmpdir(), 'fault-replay-')));
  const lab = new ReplayLab(recording, transcript, transcript.redactor);
  const run = drbdadmWalkthrough({ lab, step: makeStep(transcript, failureSnapshot(lab)), redact: (s) => transcript.addSecret(s) });
  const err = (await run.then(() => undefined, (e: unknown) => e)) as Error;
  expect(err).toBeInstanceOf(Error);
  expect(err.message).toMatch(/^step "20\. create-md and up on drbd1 and drbd2" failed: /);
  // The node and what DRBD said there …
  expect(err.message).toMatch(/drbd2: `sudo drbdadm up r0` exited 10/);
  expect(err.message).toContain('IP 10.255.255.199 not found on this host.');
  // … and the state every node was last seen in.
  expect(err.message).toMatch(/DRBD state at failure: drbd1: r0 Secondary disk:Inconsistent peer:Connecting; drbd2: no resources/);
  // The broken file really is in the recording: the peer address the fault wrote.
  expect(recording.commands.some((c) => c.command.includes('address 10.255.255.199:7000;'))).toBe(true);
});
