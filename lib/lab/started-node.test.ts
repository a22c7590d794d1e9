import { describe, expect, it } from 'vitest';
import { CommandTimeoutError, RemoteCommandError, SshTransportError } from '../errors.js';
import type { ExecResult } from '../ssh/session.js';
import { scriptedStartedNode } from '../../tests/support/scripted-reboot.js';
import { BOOT_ID_COMMAND, CLOUD_INIT_COMMAND } from './readiness.js';
import { REBOOT_COMMAND, RebootRefusedError, expectGoingDown } from './started-node.js';

const result = (exitCode: number | null, stderr = ''): ExecResult => ({ stdout: '', stderr, exitCode, durationMs: 1 });

describe('expectGoingDown', () => {
  it('a node going down: exit 0, killed by a signal, 128 and up, the connection lost, no answer', () => {
    for (const code of [0, null, 129, 143, 255]) expect(() => expectGoingDown('drbd1', { result: result(code) }), String(code)).not.toThrow();
    expect(() => expectGoingDown('drbd1', { error: new SshTransportError('drbd1', REBOOT_COMMAND, new Error('Connection closed during the command, no exit status')) })).not.toThrow();
    expect(() => expectGoingDown('drbd1', { error: new CommandTimeoutError('drbd1', REBOOT_COMMAND, 10_000, 'infrastructure') })).not.toThrow();
  });

  it('refused: an exit code of its own, thrown with what it printed', () => {
    const stderr = 'Call to Reboot failed: Access denied';
    let err: unknown;
    try {
      expectGoingDown('drbd1', { result: result(1, stderr) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RebootRefusedError);
    expect(err).toMatchObject({ node: 'drbd1', command: REBOOT_COMMAND, exitCode: 1, stderr, kind: 'infrastructure' });
    expect((err as Error).message).toBe(`drbd1: reboot refused: \`${REBOOT_COMMAND}\` exited 1\n  ${stderr}`);
    for (const code of [1, 2, 126, 127]) expect(() => expectGoingDown('drbd1', { result: result(code) }), String(code)).toThrow(RebootRefusedError);
  });

  it('any other error is not a node going down: rethrown', () => {
    const keyMismatch = new RemoteCommandError('drbd1', 'ssh connect', null, '', 'host key does not match', 'infrastructure');
    expect(() => expectGoingDown('drbd1', { error: keyMismatch })).toThrow(keyMismatch);
    const odd = new Error('something else');
    expect(() => expectGoingDown('drbd1', { error: odd })).toThrow(odd);
  });
});

describe('StartedNode.reboot', () => {
  it('a connection lost under the reboot is the reboot going on: it waits for the new boot', async () => {
    const { node, commands } = scriptedStartedNode('drbd1', true, async () => {
      throw new SshTransportError('drbd1', REBOOT_COMMAND, new Error('Connection closed during the command, no exit status'));
    });
    await node.reboot(60_000);
    expect(commands).toEqual([BOOT_ID_COMMAND, REBOOT_COMMAND, BOOT_ID_COMMAND, CLOUD_INIT_COMMAND]);
  });

  it('a refused reboot fails at once, as such, without waiting for a boot', async () => {
    const { node, commands } = scriptedStartedNode('drbd1', false, async () => result(1, 'sudo: a password is required'));
    // (Taken for a reboot in progress, it would poll for a new boot_id until this deadline.)
    await expect(node.reboot(5_000)).rejects.toMatchObject({ name: 'RebootRefusedError', exitCode: 1, stderr: 'sudo: a password is required' });
    expect(commands).toEqual([BOOT_ID_COMMAND, REBOOT_COMMAND]);
  });
});
