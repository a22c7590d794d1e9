// All events2 fixtures are constructed (the walkthrough never runs events2), following
// print_event() in drbd-utils' drbdsetup_events2.c: key order name, peer-node-id, conn-name,
// local/peer, volume, minor; `exists -` without timestamp; `- skipped N` between changes.
// drbdsetup-events2-9-now-resync.txt is `events2 --now r0` on drbd1 at walkthrough step 22;
// drbdsetup-events2-9-timestamps-changes.txt is `events2 --timestamps r0` through the end of a resync.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDrbdsetupStatus } from './drbdsetup-status.js';
import { DrbdParseError } from './errors.js';
import { events2ToStatus, parseEvents2, parseEvents2Line } from './events2.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('parseEvents2', () => {
  it('types every object of an --now dump', () => {
    const events = parseEvents2(fixture('drbdsetup-events2-9-now-resync.txt'));
    expect(events.map((e) => e.kind)).toEqual([
      'resource',
      'device',
      'connection',
      'connection',
      'path',
      'path',
      'peer-device',
      'peer-device',
      'initial-state-done',
    ]);
    expect(events[0]).toEqual({
      kind: 'resource',
      action: 'exists',
      timestamp: null,
      name: 'r0',
      role: 'Secondary',
      suspended: 'no',
      props: { name: 'r0', role: 'Secondary', suspended: 'no' },
    });
    expect(events[1]).toMatchObject({ kind: 'device', name: 'r0', volume: 0, minor: 100, disk: 'UpToDate', client: 'no', quorum: 'yes' });
    expect(events[2]).toMatchObject({ kind: 'connection', peerNodeId: 1, connName: 'drbd2', connection: 'Connected', role: 'Secondary' });
    expect(events[4]).toMatchObject({
      kind: 'path',
      local: 'ipv4:10.255.255.101:7000',
      peer: 'ipv4:10.255.255.102:7000',
      established: true,
    });
    expect(events[6]).toMatchObject({
      kind: 'peer-device',
      peerNodeId: 1,
      connName: 'drbd2',
      volume: 0,
      replication: 'SyncSource',
      peerDisk: 'Inconsistent',
      donePercent: 3.6,
    });
    expect(events[7]).toMatchObject({ connName: 'drbd3', donePercent: 3.56 });
    expect(events[8]).toEqual({ kind: 'initial-state-done', action: 'exists', timestamp: null });
  });

  it('reads timestamps, partial changes, helpers, skips and destroys', () => {
    const events = parseEvents2(fixture('drbdsetup-events2-9-timestamps-changes.txt'));
    expect(events[0]).toMatchObject({ timestamp: '2019-01-24T10:15:02.123456+09:00', action: 'exists', kind: 'resource' });
    expect(events[5]).toEqual({
      kind: 'peer-device',
      action: 'change',
      timestamp: '2019-01-24T10:16:40.000321+09:00',
      name: 'r0',
      peerNodeId: 1,
      connName: 'drbd2',
      volume: 0,
      donePercent: 50.12,
      props: { name: 'r0', 'peer-node-id': '1', 'conn-name': 'drbd2', volume: '0', done: '50.12' },
    });
    expect(events[6]).toEqual({ kind: 'skipped', count: 2 });
    expect(events[8]).toMatchObject({ kind: 'helper', action: 'call', helper: 'unfence-peer' });
    expect(events[9]).toMatchObject({ kind: 'helper', action: 'response', helper: 'unfence-peer', status: 0 });
    expect(events[12]).toMatchObject({ kind: 'peer-device', action: 'destroy', volume: 0 });
  });

  it('parses single streamed lines', () => {
    expect(parseEvents2Line('change resource name:r0 role:Primary\n')).toMatchObject({ kind: 'resource', action: 'change', role: 'Primary' });
    expect(parseEvents2Line('')).toBeNull();
  });

  it('reads the first line of what it is given: its newline is no part of it, what follows is not read', () => {
    expect(parseEvents2Line('exists resource name:r0\nexists resource name:r1\n')).toStrictEqual({ kind: 'resource', action: 'exists', timestamp: null, name: 'r0', props: { name: 'r0' } });
    expect(parseEvents2Line('\nexists resource name:r0\n')).toBeNull();
  });

  it('rejects garbage with the parser name and line', () => {
    expect(() => parseEvents2('exists resource name:r0 role:Secondary\nhello world\n')).toThrow(
      /^drbdsetup-events2: unknown action "hello" at line 2: "hello world"$/,
    );
    expect(() => parseEvents2Line('exists gadget name:r0', 7)).toThrow(/unknown object "gadget" at line 7/);
    expect(() => parseEvents2Line('exists device name:r0 disk:UpToDate')).toThrow(/missing or non-numeric volume:/);
    expect(() => parseEvents2Line('exists resource role:Primary')).toThrow(/missing name:/);
    expect(() => parseEvents2Line('exists resource name:r0 Primary')).toThrow(DrbdParseError);
    expect(() => parseEvents2Line('- skipped many')).toThrow(/malformed "- skipped" line/);
  });
});

describe('events2ToStatus', () => {
  it('gives the same resource as drbdsetup status for the step 22 resync', () => {
    const [fromEvents] = events2ToStatus(parseEvents2(fixture('drbdsetup-events2-9-now-resync.txt')));
    const [fromStatus] = parseDrbdsetupStatus(fixture('drbdsetup-status-9-resync.txt'));
    expect(fromEvents).toMatchObject({ name: 'r0', role: 'Secondary', volumes: [{ volume: 0, disk: 'UpToDate' }] });
    expect(fromEvents!.peers.map((p) => [p.name, p.nodeId, p.role, p.connection, p.volumes.map((v) => [v.replication, v.peerDisk, v.donePercent])])).toEqual(
      fromStatus!.peers.map((p, index) => [p.name, index + 1, p.role, undefined, p.volumes.map((v) => [v.replication, v.peerDisk, v.donePercent])]),
    );
  });

  it('applies changes in order and drops done: once the resync is over', () => {
    const events = parseEvents2(fixture('drbdsetup-events2-9-timestamps-changes.txt'));
    const afterResync = events2ToStatus(events.slice(0, 8))[0]!;
    expect(afterResync.peers[0]!.volumes).toEqual([{ volume: 0, replication: 'Established', peerDisk: 'UpToDate', extra: {} }]);
    const [end] = events2ToStatus(events);
    expect(end).toMatchObject({ role: 'Primary' });
    expect(end!.peers).toEqual([{ name: 'drbd2', nodeId: 1, role: null, connection: 'Connecting', volumes: [], extra: {} }]);
  });
});

describe('parseEvents2: each line shape', () => {
  it('a timestamp only in the --timestamps form; the end of the dump with one', () => {
    expect(parseEvents2Line('2019-01-24T10:15:02.1-09:00 exists -')).toEqual({ kind: 'initial-state-done', action: 'exists', timestamp: '2019-01-24T10:15:02.1-09:00' });
    for (const notStamp of ['2019-01-24 10:15:02', '2019-01-24T10:15:02+09:00', '2019-01-24T10:15:02.123456', 'x2019-01-24T10:15:02.123456+09:00', '2019-01-24T10:15:02.123456+09:00x', '19-01-24T10:15:02.1+09:00', '2019-1-24T10:15:02.1+09:00']) {
      expect(() => parseEvents2Line(`${notStamp} exists -`), notStamp).toThrow(/unknown action/);
    }
  });

  it('every action drbdsetup prints; nothing else', () => {
    for (const action of ['exists', 'create', 'change', 'destroy']) expect(parseEvents2Line(`${action} resource name:r0`), action).toMatchObject({ action, kind: 'resource' });
    for (const action of ['call', 'response']) expect(parseEvents2Line(`${action} helper name:r0 helper:fence-peer`), action).toMatchObject({ action, kind: 'helper' });
    expect(() => parseEvents2Line('rename resource name:r0')).toThrow(/unknown action "rename"/);
  });

  it('refuses a line cut short, a malformed end of dump or skip, and a non-numeric done:, status: or peer-node-id:', () => {
    expect(() => parseEvents2Line('2019-01-24T10:15:02.123456+09:00', 3)).toThrow(/^drbdsetup-events2: missing action at line 3/);
    expect(() => parseEvents2Line('change')).toThrow(/missing object at line 1: "change"/);
    expect(() => parseEvents2Line('change -')).toThrow(/malformed end-of-initial-state line/);
    expect(() => parseEvents2Line('exists - name:r0')).toThrow(/malformed end-of-initial-state line/);
    expect(() => parseEvents2Line('- skipped 3 more')).toThrow(/malformed "- skipped" line/);
    expect(() => parseEvents2Line('- skipped')).toThrow(/malformed "- skipped" line/);
    expect(() => parseEvents2Line('- gone 3')).toThrow(/unknown action "-"/);
    expect(() => parseEvents2Line('change peer-device name:r0 peer-node-id:1 volume:0 done:x')).toThrow(/non-numeric done:/);
    expect(() => parseEvents2Line('response helper name:r0 helper:fence-peer status:x')).toThrow(/missing or non-numeric status:/);
    expect(() => parseEvents2Line('call helper name:r0')).toThrow(/missing helper:/);
    expect(() => parseEvents2Line('exists connection name:r0 peer-node-id:a')).toThrow(/missing or non-numeric peer-node-id:/);
    expect(() => parseEvents2Line('exists resource name:r0 :x')).toThrow(/expected key:value, got ":x"/);
  });

  it('fields that are not printed stay absent; 8.4 has no connection names; a path not established', () => {
    expect(parseEvents2Line('exists device name:r0 volume:0')).toEqual({ kind: 'device', action: 'exists', timestamp: null, name: 'r0', volume: 0, minor: null, props: { name: 'r0', volume: '0' } });
    expect(parseEvents2Line('exists connection name:r0 peer-node-id:0')).toEqual({
      kind: 'connection', action: 'exists', timestamp: null, name: 'r0', peerNodeId: 0, connName: null, props: { name: 'r0', 'peer-node-id': '0' },
    });
    expect(parseEvents2Line('exists peer-device name:r0 peer-node-id:0 volume:1')).toEqual({
      kind: 'peer-device', action: 'exists', timestamp: null, name: 'r0', peerNodeId: 0, connName: null, volume: 1, props: { name: 'r0', 'peer-node-id': '0', volume: '1' },
    });
    expect(parseEvents2Line('exists path name:r0 peer-node-id:0 conn-name:peer established:no')).toMatchObject({ kind: 'path', connName: 'peer', established: false });
    expect(parseEvents2Line('exists path name:r0 peer-node-id:0')).not.toHaveProperty('established');
    expect(parseEvents2Line('call helper name:r0 helper:fence-peer')).not.toHaveProperty('status');
    expect(parseEvents2Line('exists resource name:r0')).toEqual({ kind: 'resource', action: 'exists', timestamp: null, name: 'r0', props: { name: 'r0' } });
    expect(parseEvents2('\n  \nexists resource name:r0\n')).toHaveLength(1);
  });
});

describe('events2ToStatus: each change', () => {
  const status = (lines: string[]) => events2ToStatus(parseEvents2(lines.join('\n')));

  it('creates what a change names first, keeps what it does not say, and destroys', () => {
    const [r0, r1] = status([
      'change device name:r0 volume:1 minor:101',
      'exists resource name:r0 role:Primary suspended:user',
      'exists device name:r0 volume:0 minor:100 disk:UpToDate client:no quorum:yes',
      'change device name:r0 volume:0 disk:Outdated',
      'exists resource name:r1 role:Secondary',
      'exists connection name:r1 peer-node-id:2 conn-name:drbd3 connection:StandAlone role:Unknown',
      'exists connection name:r1 peer-node-id:1 conn-name:drbd2 connection:Connecting role:Secondary',
      'change connection name:r1 peer-node-id:1 connection:Connected',
      'exists peer-device name:r1 peer-node-id:1 conn-name:drbd2 volume:0 replication:Established peer-disk:UpToDate',
      'exists peer-device name:r1 peer-node-id:1 conn-name:drbd2 volume:1 replication:Established',
      'destroy peer-device name:r1 peer-node-id:1 conn-name:drbd2 volume:0',
      'destroy peer-device name:r1 peer-node-id:1 conn-name:drbd2 volume:7',
      'destroy connection name:r1 peer-node-id:2 conn-name:drbd3',
      'change resource name:r1',
    ]);
    expect(r0).toEqual({
      name: 'r0', role: 'Primary', suspended: 'user', peers: [], extra: {},
      volumes: [
        { volume: 1, disk: 'Unknown', extra: { minor: '101' } },
        { volume: 0, disk: 'Outdated', extra: { client: 'no', quorum: 'yes', minor: '100' } },
      ],
    });
    expect(r1).toEqual({
      name: 'r1', role: 'Secondary', volumes: [], extra: {},
      peers: [{ name: 'drbd2', nodeId: 1, role: 'Secondary', volumes: [{ volume: 1, replication: 'Established', peerDisk: null, extra: {} }], extra: {} }],
    });
    expect(status(['exists device name:r0 volume:0 disk:UpToDate', 'destroy device name:r0 volume:0', 'destroy device name:r0 volume:3'])).toEqual([
      { name: 'r0', role: 'Unknown', volumes: [], peers: [], extra: {} },
    ]);
    expect(status(['exists resource name:r0 role:Primary', 'exists resource name:r1', 'destroy resource name:r0']).map((r) => r.name)).toEqual(['r1']);
    expect(status(['exists connection name:r0 peer-node-id:1 role:Unknown'])[0]!.peers).toEqual([{ name: null, nodeId: 1, role: null, volumes: [], extra: {} }]);
    expect(status(['exists connection name:r0 peer-node-id:1 connection:Connecting', 'change connection name:r0 peer-node-id:1 role:Primary'])[0]!.peers[0]).toMatchObject({ connection: 'Connecting', role: 'Primary' });
    expect(status(['exists path name:r0 peer-node-id:1 established:yes', 'call helper name:r0 helper:x', '- skipped 1', 'exists -'])).toEqual([]);
  });
});

describe('parseEvents2 / events2ToStatus: what a line leaves out', () => {
  const status = (lines: string[]) => events2ToStatus(parseEvents2(lines.join('\n')));

  it('only `-` starts a skip line', () => {
    expect(() => parseEvents2Line('+ skipped 3')).toThrow(DrbdParseError);
    expect(() => parseEvents2Line('+ skipped 3')).toThrow(/unknown action "\+"/);
  });

  it('a field the line does not print is no key of the event (not a key holding undefined)', () => {
    // toStrictEqual: toEqual would take `role: undefined` for an absent role.
    expect(parseEvents2Line('exists resource name:r0')).toStrictEqual({ kind: 'resource', action: 'exists', timestamp: null, name: 'r0', props: { name: 'r0' } });
    expect(parseEvents2Line('exists device name:r0 volume:0')).toStrictEqual({ kind: 'device', action: 'exists', timestamp: null, name: 'r0', volume: 0, minor: null, props: { name: 'r0', volume: '0' } });
    expect(parseEvents2Line('exists peer-device name:r0 peer-node-id:0 volume:0')).toStrictEqual({
      kind: 'peer-device', action: 'exists', timestamp: null, name: 'r0', peerNodeId: 0, connName: null, volume: 0, props: { name: 'r0', 'peer-node-id': '0', volume: '0' },
    });
  });

  it('a peer-device change naming only done: keeps the replication and peer disk; done: gone is no key', () => {
    const pd = 'name:r0 peer-node-id:1 conn-name:drbd2 volume:0';
    const during = status([`exists peer-device ${pd} replication:SyncSource peer-disk:Inconsistent done:3.60`, `change peer-device ${pd} done:50.12`]);
    expect(during[0]!.peers[0]!.volumes).toStrictEqual([{ volume: 0, replication: 'SyncSource', peerDisk: 'Inconsistent', donePercent: 50.12, extra: {} }]);
    const after = status([`exists peer-device ${pd} replication:SyncSource peer-disk:Inconsistent done:3.60`, `change peer-device ${pd} replication:Established peer-disk:UpToDate`]);
    // toStrictEqual: drbdsetup status has no donePercent key once the resync is over, not one holding undefined.
    expect(after[0]!.peers[0]!.volumes).toStrictEqual([{ volume: 0, replication: 'Established', peerDisk: 'UpToDate', extra: {} }]);
  });

  it('a resource change that does not name suspended: keeps it', () => {
    const [r0] = status(['exists resource name:r0 role:Secondary suspended:user', 'change resource name:r0 role:Primary']);
    expect(r0).toMatchObject({ role: 'Primary', suspended: 'user' });
  });

  it('a change of the first volume updates it in place; destroying a volume that is not there keeps the others', () => {
    const [r0] = status([
      'exists device name:r0 volume:0 minor:100 disk:Inconsistent',
      'exists device name:r0 volume:1 minor:101 disk:UpToDate',
      'change device name:r0 volume:0 disk:UpToDate',
      'destroy device name:r0 volume:5',
    ]);
    expect(r0!.volumes.map((v) => [v.volume, v.disk])).toEqual([[0, 'UpToDate'], [1, 'UpToDate']]);
  });
});
