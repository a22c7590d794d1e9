// Uses the status/events2 fixtures; see drbdsetup-status.test.ts and events2.test.ts for which
// are captured and which constructed (drbdsetup-status-9-disconnected-suspended.txt,
// drbdsetup-status-9-verbose-statistics-80col.txt and the events2 files are constructed).
import { readFileSync } from 'node:fs';
import { describe as group, expect, it } from 'vitest';
import { parseDrbdsetupStatus, type DrbdResourceStatus } from './drbdsetup-status.js';
import { events2ToStatus, parseEvents2 } from './events2.js';
import { describe, describeAll, isUpToDateEverywhere, syncProgress } from './state.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const status = (name: string): DrbdResourceStatus[] => parseDrbdsetupStatus(fixture(name));
const only = (name: string): DrbdResourceStatus => status(name)[0]!;

group('isUpToDateEverywhere', () => {
  it('is true for the healthy control volume (step 17)', () => {
    expect(isUpToDateEverywhere(only('drbdsetup-status-9-drbdctrl-3-nodes.txt'))).toBe(true);
  });

  it('is false while peers resync, while cut off, and on 8.4 before the first primary', () => {
    expect(isUpToDateEverywhere(only('drbdsetup-status-9-resync.txt'))).toBe(false);
    expect(isUpToDateEverywhere(only('drbdsetup-status-9-disconnected-suspended.txt'))).toBe(false);
    expect(isUpToDateEverywhere(only('drbdsetup-status-84-connected-inconsistent.txt'))).toBe(false);
    expect(isUpToDateEverywhere(only('drbdsetup-status-84-syncsource.txt'))).toBe(false);
  });

  it('is true on 8.4 once Established and UpToDate, and false when a peer volume is missing', () => {
    const done = fixture('drbdsetup-status-84-syncsource.txt')
      .replace('replication:SyncSource', 'replication:Established')
      .replace('peer-disk:Inconsistent done:0.25', 'peer-disk:UpToDate');
    expect(isUpToDateEverywhere(parseDrbdsetupStatus(done)[0]!)).toBe(true);
    const drbdctrl = only('drbdsetup-status-9-drbdctrl-3-nodes.txt');
    drbdctrl.peers[1]!.volumes.pop();
    expect(isUpToDateEverywhere(drbdctrl)).toBe(false);
  });
});

group('syncProgress', () => {
  it('is the lowest done% across peers during the resync (step 22)', () => {
    expect(syncProgress(only('drbdsetup-status-9-resync.txt'))).toBe(3.56);
    expect(syncProgress(only('drbdsetup-status-84-syncsource.txt'))).toBe(0.25);
  });

  it('is 100 when every peer volume is Established and UpToDate', () => {
    expect(syncProgress(only('drbdsetup-status-9-drbdctrl-3-nodes.txt'))).toBe(100);
  });

  it('is 0 for a connected peer that is not syncing and not UpToDate', () => {
    expect(syncProgress(only('drbdsetup-status-84-connected-inconsistent.txt'))).toBe(0);
  });

  it('is null when no peer is connected', () => {
    expect(syncProgress(only('drbdsetup-status-9-disconnected-suspended.txt'))).toBeNull();
  });

  it('mixes syncing and UpToDate peers', () => {
    expect(syncProgress(only('drbdsetup-status-9-verbose-statistics-80col.txt'))).toBe(37.5);
  });
});

group('describe', () => {
  it('summarises a resync in one line', () => {
    expect(describe(only('drbdsetup-status-9-resync.txt'))).toBe(
      'r0 Secondary disk:UpToDate peer(drbd2):Secondary SyncSource 3.6% peer(drbd3):Secondary SyncSource 3.56%',
    );
    expect(describe(only('drbdsetup-status-9-verbose-statistics-80col.txt'))).toBe(
      'r0 Primary disk:UpToDate peer(drbd2):Secondary SyncSource 37.5% peer(drbd3):Secondary UpToDate',
    );
  });

  it('shows connection states, suspension and the unnamed 8.4 peer', () => {
    expect(describe(only('drbdsetup-status-9-disconnected-suspended.txt'))).toBe(
      'r0 Primary suspended:quorum disk:UpToDate peer(drbd2):Connecting peer(drbd3):StandAlone',
    );
    expect(describe(only('drbdsetup-status-84-connected-inconsistent.txt'))).toBe('r0 Secondary disk:Inconsistent peer:Secondary Inconsistent');
  });

  it('lists volumes that differ', () => {
    const drbdctrl = only('drbdsetup-status-9-drbdctrl-3-nodes.txt');
    drbdctrl.volumes[1]!.disk = 'Inconsistent';
    drbdctrl.peers[0]!.volumes[1] = { volume: 1, peerDisk: 'Inconsistent', replication: 'SyncTarget', donePercent: 12.345, extra: {} };
    expect(describe(drbdctrl)).toBe(
      '.drbdctrl Primary disk:0=UpToDate,1=Inconsistent peer(drbd2):Secondary 0=UpToDate,1=SyncTarget 12.35% peer(drbd3):Secondary UpToDate',
    );
  });

  it('joins several resources, and says when there are none', () => {
    expect(describeAll(status('drbdsetup-status-9-drbdctrl-and-r0-resync.txt'))).toBe(
      '.drbdctrl Primary disk:UpToDate peer(drbd2):Secondary UpToDate peer(drbd3):Secondary UpToDate; ' +
        'r0 Secondary disk:UpToDate peer(drbd2):Secondary SyncSource 3.6% peer(drbd3):Secondary SyncSource 3.56%',
    );
    expect(describeAll([])).toBe('(no resources)');
  });

  it('works on status folded from events2', () => {
    const [r0] = events2ToStatus(parseEvents2(fixture('drbdsetup-events2-9-now-resync.txt')));
    expect(describe(r0!)).toBe(describe(only('drbdsetup-status-9-resync.txt')));
    expect(syncProgress(r0!)).toBe(3.56);
  });
});

group('isConnected on DRBD 8.4 status', () => {
  it('a bare `peer role:Unknown` (8.4, not yet connected) is not connected', async () => {
    const { parseDrbdsetupStatus } = await import('./drbdsetup-status.js');
    const { isConnected } = await import('./state.js');
    const [res] = parseDrbdsetupStatus('r0 role:Secondary\n  disk:Inconsistent\n  peer role:Unknown\n');
    expect(isConnected(res!.peers[0]!)).toBe(false);
    const [up] = parseDrbdsetupStatus('r0 role:Secondary\n  disk:Inconsistent\n  peer role:Secondary\n    replication:Established peer-disk:Inconsistent\n');
    expect(isConnected(up!.peers[0]!)).toBe(true);
  });
});
