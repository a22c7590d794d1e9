// Fixtures (lib/drbd/fixtures/README.md): *.real.* verbatim from our recordings on VMs;
// drbdadm-status-84-no-such-resource.stderr.txt captured (lab-notes.md).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RemoteCommandError } from '../errors.js';
import { DrbdStatusError, isNoSuchResource, readResourceStatus } from './drbdadm-status.js';
import { DrbdParseError } from './errors.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const CMD = 'sudo drbdadm status r0';
const answer = (exitCode: number | null, stdout: string, stderr = '') => ({ exitCode, stdout, stderr });
const thrown = (f: () => unknown): unknown => {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
};

describe('isNoSuchResource', () => {
  it('knows the real 8.4 answer for a resource that is down (exit 10, with drbdadm\'s dispatch line)', () => {
    expect(isNoSuchResource('r0', answer(10, '', fixture('drbdadm-status-84-down.real.stderr.txt')))).toBe(true);
    expect(isNoSuchResource('r0', answer(10, '', fixture('drbdadm-status-84-no-such-resource.stderr.txt')))).toBe(true);
    // sudo's notice on a renamed host is not the command's output
    expect(isNoSuchResource('r0', answer(10, '', `sudo: unable to resolve host x: Name or service not known\nr0: No such resource\n`))).toBe(true);
  });

  it('is that one answer only: other exit, other resource, other lines, output on stdout', () => {
    const down = fixture('drbdadm-status-84-down.real.stderr.txt');
    expect(isNoSuchResource('r0', answer(1, '', down))).toBe(false);
    expect(isNoSuchResource('r0', answer(20, '', down))).toBe(false);
    expect(isNoSuchResource('r1', answer(10, '', down))).toBe(false);
    expect(isNoSuchResource('r0', answer(10, 'r0 role:Secondary', down))).toBe(false);
    expect(isNoSuchResource('r0', answer(10, '', `${down}\nsomething else broke`))).toBe(false);
    expect(isNoSuchResource('r0', answer(10, '', "r0: No such resource\nCommand 'drbdsetup-84 status r0' terminated with exit code 20"))).toBe(false);
    expect(isNoSuchResource('r0', answer(10, '', fixture('drbdadm-cstate-84-minor-not-allocated.real.stderr.txt')))).toBe(false);
    expect(isNoSuchResource('r0', answer(10, '', ''))).toBe(false);
    // drbdadm's dispatch line whole, not a line that merely contains it
    expect(isNoSuchResource('r0', answer(10, '', "r0: No such resource\nwarning: Command 'drbdsetup-84 status r0' terminated with exit code 10"))).toBe(false);
    expect(isNoSuchResource('r0', answer(10, '', "r0: No such resource\nCommand 'drbdsetup-84 status r0' terminated with exit code 10 (signal)"))).toBe(false);
  });

  it('a stdout of blanks is no output', () => {
    expect(isNoSuchResource('r0', answer(10, '\n', fixture('drbdadm-status-84-down.real.stderr.txt')))).toBe(true);
  });
});

describe('readResourceStatus', () => {
  it('up: the parsed resource', () => {
    const res = readResourceStatus('drbd1', CMD, 'r0', answer(0, fixture('drbdadm-status-84-primary-uptodate.real.txt')));
    expect(res).toMatchObject({ name: 'r0', role: 'Primary', volumes: [{ disk: 'UpToDate' }], peers: [{ name: null, role: 'Secondary' }] });
  });

  it('down: undefined', () => {
    expect(readResourceStatus('drbd1', CMD, 'r0', answer(10, '', fixture('drbdadm-status-84-down.real.stderr.txt')))).toBeUndefined();
  });

  it('drbdadm failing is not "down": thrown with exit code and output, a product failure', () => {
    const err = thrown(() => readResourceStatus('drbd2', CMD, 'r0', answer(1, '', fixture('drbdadm-status-84-not-defined-renamed.real.stderr.txt'))));
    expect(err).toBeInstanceOf(RemoteCommandError);
    expect(err).toMatchObject({ node: 'drbd2', command: CMD, exitCode: 1, kind: 'product' });
    expect((err as Error).message).toContain("'r0' not defined in your config (for this host).");
    // drbdadm missing, sudo refusing, a signal: all thrown, none "down"
    for (const a of [answer(127, '', 'sudo: drbdadm: command not found'), answer(1, '', 'sudo: a password is required'), answer(null, '', '')]) {
      expect(thrown(() => readResourceStatus('drbd1', CMD, 'r0', a))).toMatchObject({ exitCode: a.exitCode, stderr: a.stderr });
    }
  });

  it('exit 0 without the resource, or output that does not parse: thrown, with the output', () => {
    const other = thrown(() => readResourceStatus('drbd1', CMD, 'r0', answer(0, 'r1 role:Secondary\n  disk:UpToDate')));
    expect(other).toBeInstanceOf(DrbdStatusError);
    expect(other).toMatchObject({ resource: 'r0', exitCode: 0, stdout: 'r1 role:Secondary\n  disk:UpToDate' });
    expect((other as Error).message).toContain('r1 role:Secondary');
    expect(thrown(() => readResourceStatus('drbd1', CMD, 'r0', answer(0, '')))).toMatchObject({ kind: 'product', message: 'drbd1: `sudo drbdadm status r0` exited 0 without r0 in its output\n  (no output)' });
    // the message quotes the first three lines of the output, indented
    expect(thrown(() => readResourceStatus('drbd1', CMD, 'r0', answer(0, '\nr1 role:Secondary\n  disk:UpToDate\nr2 role:Secondary\n  disk:UpToDate\n')))).toMatchObject({
      kind: 'product',
      message: 'drbd1: `sudo drbdadm status r0` exited 0 without r0 in its output\n  r1 role:Secondary\n    disk:UpToDate\n  r2 role:Secondary',
    });
    expect(thrown(() => readResourceStatus('drbd1', CMD, 'r0', answer(0, 'r0 role:Primary\n  disk UpToDate')))).toBeInstanceOf(DrbdParseError);
  });
});
