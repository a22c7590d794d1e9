// Fixtures captured: drbdsetup-status-9-drbdctrl-3-nodes.txt and drbdsetup-status-9-resync.txt
// (walkthrough steps 17 and 22, indentation as in steps.md), drbdsetup-status-84-*.txt and
// drbdadm-status-84-no-such-resource.stderr.txt (lab-notes.md, drbd-utils 9.22 on DRBD 8.4.11).
// drbdsetup-status-9-drbdctrl-and-r0-resync.txt joins the two walkthrough blocks as the blog shows
// them in one output, with the empty line drbdsetup prints after each resource restored.
// Constructed from drbdsetup.c (status_cmd, wrap_printf at 80 columns without a TTY):
// drbdsetup-status-9-disconnected-suspended.txt, drbdsetup-status-9-verbose-statistics-80col.txt.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDrbdsetupStatus } from './drbdsetup-status.js';
import { DrbdParseError } from './errors.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('parseDrbdsetupStatus, DRBD 9', () => {
  it('reads .drbdctrl with two volumes and two named peers (step 17)', () => {
    expect(parseDrbdsetupStatus(fixture('drbdsetup-status-9-drbdctrl-3-nodes.txt'))).toEqual([
      {
        name: '.drbdctrl',
        role: 'Primary',
        volumes: [
          { volume: 0, disk: 'UpToDate', extra: {} },
          { volume: 1, disk: 'UpToDate', extra: {} },
        ],
        peers: ['drbd2', 'drbd3'].map((name) => ({
          name,
          role: 'Secondary',
          volumes: [
            { volume: 0, peerDisk: 'UpToDate', extra: {} },
            { volume: 1, peerDisk: 'UpToDate', extra: {} },
          ],
          extra: {},
        })),
        extra: {},
      },
    ]);
  });

  it('reads the resync of r0: volume 0 implied, done 3.60 and 3.56 (step 22)', () => {
    const [r0] = parseDrbdsetupStatus(fixture('drbdsetup-status-9-resync.txt'));
    expect(r0!.name).toBe('r0');
    expect(r0!.role).toBe('Secondary');
    expect(r0!.volumes).toEqual([{ volume: 0, disk: 'UpToDate', extra: {} }]);
    expect(r0!.peers).toEqual([
      {
        name: 'drbd2',
        role: 'Secondary',
        volumes: [{ volume: 0, peerDisk: 'Inconsistent', replication: 'SyncSource', donePercent: 3.6, extra: {} }],
        extra: {},
      },
      {
        name: 'drbd3',
        role: 'Secondary',
        volumes: [{ volume: 0, peerDisk: 'Inconsistent', replication: 'SyncSource', donePercent: 3.56, extra: {} }],
        extra: {},
      },
    ]);
  });

  it('reads several resources separated by empty lines', () => {
    const resources = parseDrbdsetupStatus(fixture('drbdsetup-status-9-drbdctrl-and-r0-resync.txt'));
    expect(resources.map((r) => [r.name, r.role, r.volumes.length, r.peers.map((p) => p.name)])).toEqual([
      ['.drbdctrl', 'Primary', 2, ['drbd2', 'drbd3']],
      ['r0', 'Secondary', 1, ['drbd2', 'drbd3']],
    ]);
    expect(resources[1]).toEqual(parseDrbdsetupStatus(fixture('drbdsetup-status-9-resync.txt'))[0]);
  });

  it('reads connection:, suspended: and unknown tokens of a cut-off primary', () => {
    expect(parseDrbdsetupStatus(fixture('drbdsetup-status-9-disconnected-suspended.txt'))).toEqual([
      {
        name: 'r0',
        role: 'Primary',
        suspended: 'quorum',
        volumes: [{ volume: 0, disk: 'UpToDate', extra: { quorum: 'no' } }],
        peers: [
          { name: 'drbd2', role: null, connection: 'Connecting', volumes: [], extra: {} },
          { name: 'drbd3', role: null, connection: 'StandAlone', volumes: [], extra: {} },
        ],
        extra: {},
      },
    ]);
  });

  it('joins lines wrapped at 80 columns (--verbose --statistics)', () => {
    const [r0] = parseDrbdsetupStatus(fixture('drbdsetup-status-9-verbose-statistics-80col.txt'));
    expect(r0).toMatchObject({
      name: 'r0',
      role: 'Primary',
      suspended: 'no',
      extra: { 'node-id': '0', 'write-ordering': 'flush' },
    });
    expect(r0!.volumes).toEqual([
      {
        volume: 0,
        disk: 'UpToDate',
        extra: {
          minor: '100',
          quorum: 'yes',
          size: '39062500',
          read: '0',
          written: '1406256',
          'al-writes': '0',
          'bm-writes': '1',
          'upper-pending': '0',
          'lower-pending': '0',
          'al-suspended': 'no',
          blocked: 'no',
        },
      },
    ]);
    const [drbd2, drbd3] = r0!.peers;
    expect(drbd2).toMatchObject({
      name: 'drbd2',
      nodeId: 1,
      connection: 'Connected',
      role: 'Secondary',
      extra: { congested: 'no', 'ap-in-flight': '0', 'rs-in-flight': '4096' },
    });
    expect(drbd2!.volumes).toEqual([
      {
        volume: 0,
        replication: 'SyncSource',
        peerDisk: 'Inconsistent',
        donePercent: 37.5,
        extra: {
          'resync-suspended': 'no',
          received: '0',
          sent: '14648448',
          'out-of-sync': '24414052',
          pending: '0',
          unacked: '2',
          dbdt1: '103.21',
          eta: '230',
        },
      },
    ]);
    expect(drbd3!.volumes[0]).toMatchObject({ replication: 'Established', peerDisk: 'UpToDate', extra: { 'out-of-sync': '0' } });
  });

  it('reads an unnamed connection (node-id first)', () => {
    const [r0] = parseDrbdsetupStatus('r0 role:Secondary\n  disk:UpToDate\n  node-id:1 connection:Connecting\n');
    expect(r0!.peers).toEqual([{ name: null, nodeId: 1, role: null, connection: 'Connecting', volumes: [], extra: {} }]);
  });

  it('reads tokens separated by runs of blanks', () => {
    expect(parseDrbdsetupStatus('r0  role:Primary   suspended:no\n  disk:UpToDate  quorum:yes\n')).toEqual([
      { name: 'r0', role: 'Primary', suspended: 'no', volumes: [{ volume: 0, disk: 'UpToDate', extra: { quorum: 'yes' } }], peers: [], extra: {} },
    ]);
  });

  it('an indent-4 line before any device or connection continues the resource line; after a connection alone it is a peer device', () => {
    const [wrapped] = parseDrbdsetupStatus('r0 role:Primary\n    suspended:no write-ordering:flush\n  disk:UpToDate\n');
    expect(wrapped).toMatchObject({ role: 'Primary', suspended: 'no', extra: { 'write-ordering': 'flush' } });
    // a diskless client: no device line, the connection's peer device straight after it
    const [client] = parseDrbdsetupStatus('r0 role:Primary\n  drbd2 role:Secondary\n    peer-disk:UpToDate\n');
    expect(client!.extra).toEqual({});
    expect(client!.peers[0]!.volumes).toEqual([{ volume: 0, peerDisk: 'UpToDate', extra: {} }]);
  });

  it('returns no resources when nothing is configured', () => {
    expect(parseDrbdsetupStatus('# No currently configured DRBD found.\n')).toEqual([]);
    expect(parseDrbdsetupStatus('')).toEqual([]);
  });
});

describe('parseDrbdsetupStatus, DRBD 8.4 via drbd-utils 9.22', () => {
  it('gives the unnamed peer name null and keeps replication:Established', () => {
    expect(parseDrbdsetupStatus(fixture('drbdsetup-status-84-connected-inconsistent.txt'))).toEqual([
      {
        name: 'r0',
        role: 'Secondary',
        volumes: [{ volume: 0, disk: 'Inconsistent', extra: {} }],
        peers: [
          {
            name: null,
            role: 'Secondary',
            volumes: [{ volume: 0, peerDisk: 'Inconsistent', replication: 'Established', extra: {} }],
            extra: {},
          },
        ],
        extra: {},
      },
    ]);
  });

  it('reads the resync after primary --force', () => {
    const [r0] = parseDrbdsetupStatus(fixture('drbdsetup-status-84-syncsource.txt'));
    expect(r0).toMatchObject({ role: 'Primary', volumes: [{ disk: 'UpToDate' }] });
    expect(r0!.peers[0]).toMatchObject({
      name: null,
      role: 'Secondary',
      volumes: [{ replication: 'SyncSource', peerDisk: 'Inconsistent', donePercent: 0.25 }],
    });
  });
});

describe('parseDrbdsetupStatus errors', () => {
  const error = (text: string): DrbdParseError => {
    try {
      parseDrbdsetupStatus(text);
    } catch (caught) {
      if (caught instanceof DrbdParseError) return caught;
      throw caught;
    }
    throw new Error('expected a DrbdParseError');
  };

  it('names the parser and the offending line', () => {
    expect(error(fixture('drbdadm-status-84-no-such-resource.stderr.txt'))).toMatchObject({
      parser: 'drbdsetup-status',
      reason: 'expected a resource name',
      line: 'r0: No such resource',
      lineNumber: 1,
    });
    expect(error('r0 role:Secondary\n  disk:UpToDate\n  drbd2 role:Secondary\n    replication SyncSource\n')).toMatchObject({
      reason: 'expected key:value, got "replication"',
      lineNumber: 4,
    });
  });

  it('rejects structure drbdsetup never prints', () => {
    expect(error('  disk:UpToDate\n').reason).toBe('indented line before any resource');
    expect(error('r0 role:Primary\n  disk:UpToDate\n    peer-disk:UpToDate\n').reason).toBe('peer-device line without a connection');
    expect(error('r0 role:Primary\n  drbd2 role:Secondary\n  disk:UpToDate\n').reason).toBe('device line after a connection');
    expect(error('r0 role:Primary\n   disk:UpToDate\n').reason).toBe('unexpected indentation (3 spaces)');
    expect(error('r0 role:Primary\n\tdisk:UpToDate\n').reason).toBe('unexpected tab indentation');
    expect(error('r0 suspended:no\n  disk:UpToDate\n')).toMatchObject({ reason: 'resource has no role', lineNumber: 1 });
    expect(error('r0 role:Primary\n  volume:0\n')).toMatchObject({ reason: 'device has no disk state', lineNumber: 2 });
    expect(error('r0 role:Primary\n  drbd2 role:Secondary\n    peer-disk:SyncSource done:lots\n').reason).toBe(
      'done is not a number: lots',
    );
  });

  it('rejects continuation lines with nothing to continue, and volume numbers that are not whole numbers', () => {
    expect(error('r0 role:Primary\n      disk:UpToDate\n')).toMatchObject({ reason: 'continuation line without a device or connection', lineNumber: 2 });
    expect(error('r0 role:Primary\n  drbd2 role:Secondary\n        done:5.00\n')).toMatchObject({ reason: 'continuation line without a peer device', lineNumber: 3 });
    for (const v of ['x', '1x', 'x1']) expect(error(`r0 role:Primary\n  volume:${v} disk:UpToDate\n`).reason).toBe(`not a number: ${v}`);
    expect(parseDrbdsetupStatus('r0 role:Primary\n  volume:12 disk:UpToDate\n')[0]!.volumes[0]!.volume).toBe(12);
  });

  it('rejects random text', () => {
    expect(() => parseDrbdsetupStatus('hello world\n')).toThrow(
      /^drbdsetup-status: expected key:value, got "world" at line 1: "hello world"$/,
    );
  });
});
