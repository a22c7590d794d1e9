import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CommandTimeoutError, RemoteCommandError, SshTransportError, WaitTimeoutError } from '../errors.js';
import { VirtualClock } from './replay-lab.js';
import type { RemoteShell } from '../ssh/remote-shell.js';
import type { ExecOptions, ExecResult } from '../ssh/session.js';
import { DrbdStatusError } from '../drbd/drbdadm-status.js';
import { DrbdParseError } from '../drbd/errors.js';
import { isConnected } from '../drbd/state.js';
import { waitForResource } from './drbd-wait.js';

const fixture = (name: string) => readFileSync(new URL(`../drbd/fixtures/${name}`, import.meta.url), 'utf8');
const DOWN = fixture('drbdadm-status-84-down.real.stderr.txt');
const UP = fixture('drbdadm-status-84-primary-uptodate.real.txt');
const INCONSISTENT = fixture('drbdsetup-status-84-connected-inconsistent.txt');

type Answer = Partial<ExecResult> | Error;

/**
 * A node that answers each status look with the next scripted answer (the last one repeats).
 * Like the SSH session, a command that exits non-zero throws unless the caller said `check: false`.
 */
function scripted(answers: Answer[]): RemoteShell & { looks: number } {
  const node = {
    name: 'drbd1',
    looks: 0,
    async exec(command: string, o: ExecOptions = {}): Promise<ExecResult> {
      const a = answers[Math.min(node.looks++, answers.length - 1)]!;
      if (a instanceof Error) throw a;
      const r = { stdout: '', stderr: '', exitCode: 0, durationMs: 1, ...a };
      if ((o.check ?? true) && r.exitCode !== 0) throw new RemoteCommandError('drbd1', command, r.exitCode, r.stdout, r.stderr, o.kind);
      return r;
    },
    async output(): Promise<string> {
      throw new Error('not used');
    },
  };
  return node;
}

const connected = (r: { peers: { role: string | null; connection?: string; volumes: unknown[] }[] }) => r.peers.length === 1 && isConnected(r.peers[0] as never);
const wait = (node: RemoteShell, timeoutMs = 60_000) => waitForResource(node, 'r0', 'connected to its peer', connected, { clock: new VirtualClock(), timeoutMs, intervalMs: 2_000 });

describe('waitForResource', () => {
  it('"not yet": r0 down (exit 10, No such resource), then not in the state, then there', async () => {
    const node = scripted([{ exitCode: 10, stderr: DOWN }, { stdout: 'r0 role:Secondary\n  disk:UpToDate\n  peer role:Unknown' }, { stdout: INCONSISTENT }]);
    const res = await wait(node);
    expect(res.role).toBe('Secondary');
    expect(node.looks).toBe(3);
  });

  it('a node that reboots under the look (SSH transport error) is "not yet" too', async () => {
    const node = scripted([new SshTransportError('drbd1', 'sudo drbdadm status r0', new Error('Connection closed')), { stdout: UP }]);
    expect((await wait(node)).role).toBe('Primary');
  });

  it('down for the whole time: a product timeout that says it was down', async () => {
    const node = scripted([{ exitCode: 10, stderr: DOWN }]);
    const err = await wait(node, 10_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect(err).toMatchObject({ kind: 'product', target: 'drbd1', lastSeen: 'r0: No such resource (not up)' });
  });

  it('looks every 2 s unless told otherwise: 10 s of "not yet" are six looks (at 0, 2, … 10 s)', async () => {
    const node = scripted([{ exitCode: 10, stderr: DOWN }]);
    const err = await waitForResource(node, 'r0', 'connected to its peer', connected, { clock: new VirtualClock(), timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect(node.looks).toBe(6);
  });

  it('drbdadm failing ends the wait at the first look, with its output (no polls until the timeout)', async () => {
    const stderr = fixture('drbdadm-status-84-not-defined-renamed.real.stderr.txt');
    const node = scripted([{ exitCode: 1, stderr }, { stdout: UP }]);
    const err = await wait(node).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteCommandError);
    expect(err).not.toBeInstanceOf(WaitTimeoutError);
    expect(err).toMatchObject({ node: 'drbd1', command: 'sudo drbdadm status r0', exitCode: 1, stderr, kind: 'product' });
    expect(node.looks).toBe(1);
  });

  it('exit 10 with another message is not "down": thrown at once', async () => {
    const node = scripted([{ exitCode: 10, stderr: fixture('drbdadm-cstate-84-minor-not-allocated.real.stderr.txt') }, { stdout: UP }]);
    await expect(wait(node)).rejects.toMatchObject({ exitCode: 10 });
    expect(node.looks).toBe(1);
  });

  it('output that does not parse, or exit 0 without r0, ends the wait at once', async () => {
    const garbled = scripted([{ stdout: 'r0 role:Primary\n  disk UpToDate' }, { stdout: UP }]);
    await expect(wait(garbled)).rejects.toBeInstanceOf(DrbdParseError);
    expect(garbled.looks).toBe(1);
    const other = scripted([{ stdout: 'r1 role:Secondary\n  disk:UpToDate' }, { stdout: UP }]);
    await expect(wait(other)).rejects.toBeInstanceOf(DrbdStatusError);
    expect(other.looks).toBe(1);
  });

  it('a status command that hangs ends the wait at once', async () => {
    const node = scripted([new CommandTimeoutError('drbd1', 'sudo drbdadm status r0', 30_000), { stdout: UP }]);
    await expect(wait(node)).rejects.toBeInstanceOf(CommandTimeoutError);
    expect(node.looks).toBe(1);
  });
});
