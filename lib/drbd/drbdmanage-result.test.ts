// Fixtures captured from the walkthrough: drbdmanage-init-ok.txt, drbdmanage-add-node-drbd2-ok.txt
// (steps.md, `<passphrase>` placeholder as printed there), drbdmanage-add-node-drbd3-ok-ja.txt
// (blog: `パスフレーズ` placeholder, node id 1 as the blog shows it), drbdmanage-join-ok.txt
// (blog, prompt lines run together as in the blog), drbdmanage-add-volume-ok.txt.
// Constructed from drbdmanage's own strings (exceptions.py, drbdmanage_client.py):
// drbdmanage-add-resource-exists.stderr.txt, drbdmanage-no-dbus.stderr.txt.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DrbdmanageError, NOT_READY_ERRORS, onlyNotReady, parseDrbdmanageResult, parseJoinCommand, redactSecret } from './drbdmanage-result.js';
import { DrbdParseError } from './errors.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('parseDrbdmanageResult', () => {
  it('accepts the walkthrough successes', () => {
    for (const name of ['drbdmanage-init-ok.txt', 'drbdmanage-join-ok.txt', 'drbdmanage-add-volume-ok.txt']) {
      expect(parseDrbdmanageResult(fixture(name)), name).toEqual({ ok: true, errors: [], notReady: [] });
    }
  });

  it('does not count add-node\'s "Host key verification failed." as an error', () => {
    expect(parseDrbdmanageResult(fixture('drbdmanage-add-node-drbd2-ok.txt'), '')).toEqual({ ok: true, errors: [], notReady: [] });
  });

  it('fails on "Error:" lines although drbdmanage exits 0', () => {
    expect(parseDrbdmanageResult('', fixture('drbdmanage-add-resource-exists.stderr.txt'))).toEqual({
      ok: false,
      errors: ['Error: Object already exists'],
      notReady: [],
    });
  });

  it('fails when an error accompanies a success line', () => {
    const result = parseDrbdmanageResult('Operation completed successfully\n', 'Error: Object not found\n');
    expect(result).toEqual({ ok: false, errors: ['Error: Object not found'], notReady: [] });
  });

  it('fails when the D-Bus server is unreachable', () => {
    expect(parseDrbdmanageResult('', fixture('drbdmanage-no-dbus.stderr.txt'))).toEqual({
      ok: false,
      errors: ['Error: Cannot connect to the drbdmanaged process using DBus'],
      notReady: [],
    });
  });

  it('fails without a success line (e.g. a confirmation answered "no" by a closed stdin)', () => {
    expect(parseDrbdmanageResult('You are going to initialize a new drbdmanage cluster.\n  yes/no: \n')).toEqual({
      ok: false,
      errors: [],
      notReady: [],
    });
  });

  it('recognises init/join roll-backs and ANSI-coloured errors', () => {
    expect(parseDrbdmanageResult('', 'JOIN ERROR: This node has no node entry in the drbdmanage configuration\nInitialization failed\n')).toEqual({
      ok: false,
      errors: ['JOIN ERROR: This node has no node entry in the drbdmanage configuration', 'Initialization failed'],
      notReady: [],
    });
    expect(parseDrbdmanageResult('\u001b[1;31mError: Invalid name\u001b[0m\n').errors).toEqual(['Error: Invalid name']);
  });
});

describe('the error lines drbdmanage prints (it exits 0 after most)', () => {
  it('counts each kind of error line, trimmed, stdout before stderr', () => {
    const stdout = [
      'Operation completed successfully',
      '  drbdmanage: cannot connect to the drbdmanage server through D-Bus.',
      'D-Bus connection FAILED -- the dbus server may not be running',
      'drbdmanage: error: argument command: invalid choice',
      'drbdmanage add-volume: error: unrecognized arguments: -x',
      'Size is not a valid number',
      '"GiBs" is not a valid unit!',
    ].join('\n');
    expect(parseDrbdmanageResult(stdout, 'Error: Object not found\n')).toEqual({
      ok: false,
      errors: [
        'drbdmanage: cannot connect to the drbdmanage server through D-Bus.',
        'D-Bus connection FAILED -- the dbus server may not be running',
        'drbdmanage: error: argument command: invalid choice',
        'drbdmanage add-volume: error: unrecognized arguments: -x',
        'Size is not a valid number',
        '"GiBs" is not a valid unit!',
        'Error: Object not found',
      ],
      notReady: [],
    });
  });

  it('takes no line that only resembles one: dbus-python\'s log, the words inside a sentence, a longer line', () => {
    const noise = [
      'Operation completed successfully',
      'ERROR:dbus.proxies:Introspect error on :1.3:/interface: dbus.exceptions.DBusException',
      'The server said Error: none',
      'Last JOIN ERROR: none',
      'Initialization failed twice',
      'Retry: drbdmanage: cannot connect to the drbdmanage server',
      'see D-Bus connection FAILED above',
      'drbdmanage list-nodes x: error: no',
      'Size is not a valid number!',
      'The Size is not a valid number',
      '"GiB" is not a valid unit',
      'x "GiB" is not a valid unit!',
      '"GiB" is not a valid unit! Try MiB',
      'Retry: Initialization failed',
      'see drbdmanage: error: above',
    ].join('\n');
    expect(parseDrbdmanageResult(noise)).toEqual({ ok: true, errors: [], notReady: [] });
  });

  it('sorts out the "server not ready" errors, which a wait retries', () => {
    const [notReady, startup, satellite] = NOT_READY_ERRORS;
    const all = parseDrbdmanageResult('', `${notReady}\n${startup}\n${satellite}\n`);
    expect(all).toEqual({ ok: false, errors: [notReady, startup, satellite], notReady: [notReady, startup, satellite] });
    expect(onlyNotReady(all)).toBe(true);
    const mixed = parseDrbdmanageResult('', `${notReady}\nError: Object not found\n`);
    expect(mixed.notReady).toEqual([notReady]);
    expect(onlyNotReady(mixed)).toBe(false);
    expect(onlyNotReady(parseDrbdmanageResult('Operation completed successfully\n'))).toBe(false);
  });
});

describe('parseJoinCommand', () => {
  it('extracts the join line printed by add-node drbd2 (step 13)', () => {
    expect(parseJoinCommand(fixture('drbdmanage-add-node-drbd2-ok.txt'))).toEqual({
      command: 'drbdmanage join -p 6999 10.255.255.102 1 drbd1 10.255.255.101 0 <passphrase>',
      forNode: 'drbd2',
      port: 6999,
      addressFamily: 'ipv4',
      quiet: false,
      localIp: '10.255.255.102',
      nodeId: 1,
      leaderName: 'drbd1',
      leaderIp: '10.255.255.101',
      leaderNodeId: 0,
      secret: '<passphrase>',
    });
  });

  it('takes the line as printed for drbd3, node id included (step 16)', () => {
    expect(parseJoinCommand(fixture('drbdmanage-add-node-drbd3-ok-ja.txt'))).toMatchObject({
      forNode: 'drbd3',
      localIp: '10.255.255.103',
      nodeId: 1,
      secret: 'パスフレーズ',
    });
  });

  it('reads options in any order and a real base64 secret', () => {
    const join = parseJoinCommand('drbdmanage join --port=7001 -a ipv6 10.0.0.2 2 alpha 10.0.0.1 0 q1Bx0W/6vX3+ZsRwq0Tt --quiet\n');
    expect(join).toMatchObject({ port: 7001, addressFamily: 'ipv6', quiet: true, nodeId: 2, leaderName: 'alpha', secret: 'q1Bx0W/6vX3+ZsRwq0Tt' });
    expect(join.forNode).toBeNull();
  });

  it('throws when there is no join line (ssh auto-join succeeded) or it is malformed', () => {
    expect(() => parseJoinCommand(fixture('drbdmanage-init-ok.txt'))).toThrow(DrbdParseError);
    expect(() => parseJoinCommand(fixture('drbdmanage-init-ok.txt'))).toThrow(
      /^drbdmanage-join-command: no "drbdmanage join" line in the output$/,
    );
    expect(() => parseJoinCommand('drbdmanage join -p 6999 10.255.255.102 x drbd1 10.255.255.101 0 s\n')).toThrow(
      /node id is not a number: x at line 1: "drbdmanage join -p 6999/,
    );
    expect(() => parseJoinCommand('x\ndrbdmanage join 10.255.255.102 1 drbd1\n')).toThrow(
      /expected 6 arguments after the options, got 3 at line 2/,
    );
  });
});

describe('parseJoinCommand: options and headers', () => {
  it('reads join-cluster, long options with a separate value, and the nearest "Join command for node" header above', () => {
    const text = [
      'Join command for node drbd2:',
      'drbdmanage join -p 6999 10.0.0.2 1 drbd1 10.0.0.1 0 s2',
      'Join command for node drbd3:',
      '',
      'drbdmanage join-cluster --port 7002 --address-family ipv6 -q 10.0.0.3 2 drbd1 10.0.0.1 0 s3',
    ].join('\n');
    expect(parseJoinCommand(text.split('\n').slice(2).join('\n'))).toMatchObject({
      command: 'drbdmanage join-cluster --port 7002 --address-family ipv6 -q 10.0.0.3 2 drbd1 10.0.0.1 0 s3',
      forNode: 'drbd3',
      port: 7002,
      addressFamily: 'ipv6',
      quiet: true,
      localIp: '10.0.0.3',
      leaderIp: '10.0.0.1',
      leaderNodeId: 0,
    });
    // The first join line is the one read; its header is the one just above.
    expect(parseJoinCommand(text)).toMatchObject({ forNode: 'drbd2', localIp: '10.0.0.2', secret: 's2' });
    expect(parseJoinCommand('  drbdmanage   join 10.0.0.2 1 drbd1 10.0.0.1 0 s\n')).toMatchObject({ port: 6999, addressFamily: 'ipv4', quiet: false, localIp: '10.0.0.2' });
  });

  it('takes no other command for a join line', () => {
    for (const other of ['drbdmanage joiner 10.0.0.2 1 drbd1 10.0.0.1 0 s', 'sudo drbdmanage join 10.0.0.2 1 drbd1 10.0.0.1 0 s', 'drbdmanage howto-join drbd2']) {
      expect(() => parseJoinCommand(other), other).toThrow(/no "drbdmanage join" line/);
    }
    expect(() => parseJoinCommand('drbdmanage join')).toThrow(/expected 6 arguments after the options, got 0 at line 1/);
  });

  it('refuses an option without its value, an unknown option, and ids that are no numbers', () => {
    expect(() => parseJoinCommand('drbdmanage join 10.0.0.2 1 drbd1 10.0.0.1 0 s -p')).toThrow(/-p needs a value at line 1/);
    expect(() => parseJoinCommand('drbdmanage join --port= 10.0.0.2 1 drbd1 10.0.0.1 0 s')).toThrow(/port is not a number: {2}at line 1/);
    expect(() => parseJoinCommand('drbdmanage join -x 10.0.0.2 1 drbd1 10.0.0.1 0 s')).toThrow(/unknown option -x at line 1/);
    // Only long options take `=value`; a secret may hold "=" (base64 padding).
    expect(() => parseJoinCommand('drbdmanage join -p=7001 10.0.0.2 1 drbd1 10.0.0.1 0 s')).toThrow(/unknown option -p=7001 at line 1/);
    expect(parseJoinCommand('drbdmanage join 10.0.0.2 1 drbd1 10.0.0.1 0 a2V5=').secret).toBe('a2V5=');
    expect(() => parseJoinCommand('drbdmanage join -p 7k 10.0.0.2 1 drbd1 10.0.0.1 0 s')).toThrow(/port is not a number: 7k at line 1/);
    expect(() => parseJoinCommand('drbdmanage join 10.0.0.2 1 drbd1 10.0.0.1 a0 s')).toThrow(/leader node id is not a number: a0 at line 1/);
    expect(() => parseJoinCommand('drbdmanage join 10.0.0.2 1x drbd1 10.0.0.1 0 s')).toThrow(/node id is not a number: 1x at line 1/);
  });
});

describe('DrbdmanageError', () => {
  it('says what drbdmanage printed, its exit, and the last lines of its output, stdout then stderr', () => {
    const stdout = Array.from({ length: 9 }, (_, i) => `out ${i + 1}`).join('\n');
    const error = new DrbdmanageError('drbd1', 'drbdmanage list-nodes', 0, stdout, 'Error: Object not found\n', ['Error: Object not found', 'Error: again']);
    expect(error.message).toBe(
      'drbd1: `drbdmanage list-nodes` printed Error: Object not found; Error: again (exit 0)\n  out 3\n  out 4\n  out 5\n  out 6\n  out 7\n  out 8\n  out 9\n  Error: Object not found',
    );
    expect(error).toMatchObject({ node: 'drbd1', command: 'drbdmanage list-nodes', exitCode: 0, errors: ['Error: Object not found', 'Error: again'], kind: 'product' });
  });

  it('without error lines: the exit alone, or none; output from one stream without a blank line', () => {
    expect(new DrbdmanageError('drbd2', 'drbdmanage init', 1, '', 'Traceback\n', []).message).toBe('drbd2: `drbdmanage init` exited 1 (exit 1)\n  Traceback');
    expect(new DrbdmanageError('drbd2', 'drbdmanage init', 1, 'half\n', '', []).message).toBe('drbd2: `drbdmanage init` exited 1 (exit 1)\n  half');
    expect(new DrbdmanageError('drbd2', 'drbdmanage init', null, '', '', []).message).toBe('drbd2: `drbdmanage init` exited without status (exit none)');
  });
});

describe('redactSecret', () => {
  it('removes every occurrence of the secret', () => {
    const output = fixture('drbdmanage-add-node-drbd2-ok.txt');
    const { secret } = parseJoinCommand(output);
    const redacted = redactSecret(`${output}$ ${parseJoinCommand(output).command}\n`, secret);
    expect(redacted).not.toContain(secret);
    expect(redacted).toContain('drbdmanage join -p 6999 10.255.255.102 1 drbd1 10.255.255.101 0 <redacted>');
    expect(redactSecret('a q1Bx0W/6vX3+ZsRwq0Tt b', 'q1Bx0W/6vX3+ZsRwq0Tt', '***')).toBe('a *** b');
  });

  it('leaves text alone without a secret', () => {
    expect(redactSecret('unchanged', '')).toBe('unchanged');
    expect(redactSecret('unchanged', undefined)).toBe('unchanged');
  });
});
