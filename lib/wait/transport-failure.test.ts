import { describe, expect, it } from 'vitest';
import { DrbdlabError, RemoteCommandError, SshTransportError } from '../errors.js';
import { isTransient } from './transient.js';
import { isSshTransportFailure } from './transport-failure.js';

// The wording ssh2 (lib/client.js, lib/utils.js) and node-ssh give a connection that failed or
// went away, one per family the module knows.
const SSH_WORDING = [
  'Timed out while waiting for handshake',
  'Connection lost before handshake',
  'No response from server',
  'Keepalive timeout',
  'Not connected',
  'Not connected to server',
  '(SSH) Channel open failure: open failed',
  'Channel is not open',
  'No free channels available',
  'Connection closed',
  'connection closed by remote host',
  'Unable to exec',
];

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isSshTransportFailure', () => {
  it.each(SSH_WORDING)('ssh2/node-ssh saying %j: the connection is not there (yet)', (message) => {
    expect(isSshTransportFailure(new Error(message))).toBe(true);
  });

  it.each(SSH_WORDING)('the same words inside another message are not a transport failure: %j', (message) => {
    // e.g. an observer's own error quoting what a node printed: waiting will not change it.
    expect(isSshTransportFailure(new Error(`unexpected drbdadm output: ${message}`))).toBe(false);
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH'])(
    'a socket error %s (whatever its message) is a transport failure',
    (code) => {
      expect(isSshTransportFailure(withCode(`socket said ${code.toLowerCase()}`, code))).toBe(true);
    },
  );

  it('an error with another code is not: a missing file, a refused permission', () => {
    expect(isSshTransportFailure(withCode('spawn ssh ENOENT', 'ENOENT'))).toBe(false);
    expect(isSshTransportFailure(withCode('open /dev/kvm', 'EACCES'))).toBe(false);
  });

  it('only Errors count: a thrown string or a plain object with a socket code is not one', () => {
    expect(isSshTransportFailure('Not connected')).toBe(false);
    expect(isSshTransportFailure({ code: 'ECONNRESET', message: 'Not connected' })).toBe(false);
    expect(isSshTransportFailure(undefined)).toBe(false);
  });
});

describe('isTransient', () => {
  it('our own errors count by class, not by the remote output in their message', () => {
    expect(isTransient(new SshTransportError('drbd1', 'ssh connect', new Error('Keepalive timeout')))).toBe(true);
    // A message that starts like ssh2's wording, or carries a socket code: still an answer.
    expect(isTransient(new DrbdlabError('Connection closed by the drbdmanage server'))).toBe(false);
    expect(isTransient(Object.assign(new RemoteCommandError('drbd1', 'nc -z drbd2 7789', 1, '', 'Connection refused'), { code: 'ECONNREFUSED' }))).toBe(false);
  });

  it('a raw ssh2 error is "not yet"; any other raw error is an answer', () => {
    expect(isTransient(withCode('read ECONNRESET', 'ECONNRESET'))).toBe(true);
    expect(isTransient(new TypeError("Cannot read properties of undefined (reading 'role')"))).toBe(false);
  });
});
