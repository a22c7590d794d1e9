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
