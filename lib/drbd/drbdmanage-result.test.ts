// Fixtures captured from the walkthrough: drbdmanage-init-ok.txt, drbdmanage-add-node-drbd2-ok.txt
// (steps.md, `<passphrase>` placeholder as printed there), drbdmanage-add-node-drbd3-ok-ja.txt
// (blog: `パスフレーズ` placeholder, node id 1 as the blog shows it), drbdmanage-join-ok.txt
// (blog, prompt lines run together as in the blog), drbdmanage-add-volume-ok.txt.
// Constructed from drbdmanage's own strings (exceptions.py, drbdmanage_client.py):
// drbdmanage-add-resource-exists.stderr.txt, drbdmanage-no-dbus.stderr.txt.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDrbdmanageResult, parseJoinCommand, redactSecret } from './drbdmanage-result.js';
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
