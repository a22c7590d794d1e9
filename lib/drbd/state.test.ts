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

// Edge cases in drbdsetup status text (DRBD 9 layout unless said), constructed: what each
// predicate promises beyond the captured fixtures.
group('edges the fixtures do not show', () => {
  const parse1 = (text: string) => parseDrbdsetupStatus(text)[0]!;

  it('UpToDate everywhere needs every local volume UpToDate, and at least one', async () => {
    const peerUp = '  drbd2 role:Primary\n    volume:0 peer-disk:UpToDate\n    volume:1 peer-disk:UpToDate\n';
    expect(isUpToDateEverywhere(parse1(`r0 role:Secondary\n  volume:0 disk:UpToDate\n  volume:1 disk:UpToDate\n${peerUp}`))).toBe(true);
    // One local volume behind, the peers all UpToDate: not done.
    expect(isUpToDateEverywhere(parse1(`r0 role:Secondary\n  volume:0 disk:UpToDate\n  volume:1 disk:Inconsistent\n${peerUp}`))).toBe(false);
    // Detached locally (after `drbdadm detach`), the peer fine.
    expect(isUpToDateEverywhere(parse1('r0 role:Secondary\n  disk:Diskless\n  drbd2 role:Primary\n    peer-disk:UpToDate\n'))).toBe(false);
    // A resource with no volume at all is not "UpToDate everywhere".
    expect(isUpToDateEverywhere({ name: 'r0', role: 'Secondary', volumes: [], peers: [], extra: {} })).toBe(false);
  });

  it('an Established peer volume that is not UpToDate (a diskless peer) is not UpToDate everywhere', () => {
    expect(isUpToDateEverywhere(parse1('r0 role:Primary\n  disk:UpToDate\n  drbd2 role:Secondary\n    peer-disk:Diskless\n'))).toBe(false);
  });

  it('only a bare `role:Unknown` peer line is unconnected; a connected peer with no volumes is connected', async () => {
    const { isConnected } = await import('./state.js');
    expect(isConnected(parse1('r0 role:Secondary\n  drbd2 role:Secondary\n').peers[0]!)).toBe(true);
    expect(isConnected(parse1('r0 role:Secondary\n  disk:UpToDate\n  peer role:Unknown\n    replication:Established peer-disk:UpToDate\n').peers[0]!)).toBe(true);
    expect(isConnected(parse1('r0 role:Secondary\n  drbd2 connection:Connecting\n').peers[0]!)).toBe(false);
    // Unknown role and no volumes, but the connection says Connected: connected (only the bare line is not).
    expect(isConnected(parse1('r0 role:Secondary\n  drbd2 connection:Connected role:Unknown\n').peers[0]!)).toBe(true);
  });

  it('a resync that has not started moving (WFBitMapS, no done:) is 0% and says so', () => {
    const r = parse1('r0 role:Primary\n  disk:UpToDate\n  drbd2 role:Secondary\n    replication:WFBitMapS peer-disk:Inconsistent\n');
    expect(syncProgress(r)).toBe(0);
    expect(describe(r)).toBe('r0 Primary disk:UpToDate peer(drbd2):Secondary WFBitMapS');
    // Even with the peer's disk already UpToDate, a volume not Established is not done.
    const odd = parse1('r0 role:Primary\n  disk:UpToDate\n  drbd2 role:Secondary\n    replication:WFBitMapS peer-disk:UpToDate\n');
    expect(syncProgress(odd)).toBe(0);
    expect(isUpToDateEverywhere(odd)).toBe(false);
  });

  it('progress leaves out diskless peers and peers that are not connected (events2 keeps their peer devices)', () => {
    const r = parse1('r0 role:Primary\n  disk:UpToDate\n  drbd2 role:Secondary\n    replication:SyncSource peer-disk:Inconsistent done:40.00\n  drbd3 role:Secondary\n    peer-disk:Diskless\n');
    expect(syncProgress(r)).toBe(40);
    r.peers.push({ name: 'drbd4', role: null, connection: 'Connecting', volumes: [{ volume: 0, peerDisk: 'DUnknown', replication: 'Off', extra: {} }], extra: {} });
    expect(syncProgress(r)).toBe(40);
    // …and describe() shows such a peer by its connection state only.
    expect(describe(r)).toBe('r0 Primary disk:UpToDate peer(drbd2):Secondary SyncSource 40% peer(drbd3):Secondary Diskless peer(drbd4):Connecting');
  });

  it('describe: no volumes is "-", a connected peer with no volumes adds nothing, unknown role and peer disk are "?"', () => {
    expect(describe(parse1('r0 role:Secondary\n  drbd2 role:Secondary\n'))).toBe('r0 Secondary disk:- peer(drbd2):Secondary');
    expect(describe({ name: 'r0', role: 'Secondary', volumes: [{ volume: 0, disk: 'UpToDate', extra: {} }], peers: [{ name: 'drbd2', role: null, volumes: [{ volume: 0, peerDisk: null, extra: {} }], extra: {} }], extra: {} })).toBe(
      'r0 Secondary disk:UpToDate peer(drbd2):? ?',
    );
  });

  it('describe: a done% still there once Established (events2 keeps the last one) is shown with the state', () => {
    const r = parse1('r0 role:Primary\n  disk:UpToDate\n  drbd2 role:Secondary\n    peer-disk:UpToDate\n');
    r.peers[0]!.volumes[0]!.donePercent = 99.5;
    expect(describe(r)).toBe('r0 Primary disk:UpToDate peer(drbd2):Secondary Established 99.5%');
  });
});
