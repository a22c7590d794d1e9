// drbdsetup-events2-84-timestamps-statistics-resync.txt is hand-made (see fixtures/README.md):
// DRBD 8.4's events2 from drbd-utils' v84 print_notifications, states from lab-notes.md.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseEvents2 } from './events2.js';
import { describeSettle, describeTrace, traceResync, traceSettle } from './resync-trace.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const HEAD = [
  'exists resource name:r0 role:Secondary suspended:no',
  'exists device name:r0 volume:0 minor:100 disk:Inconsistent',
  'exists peer-device name:r0 peer-node-id:0 conn-name:peer volume:0 replication:Established peer-disk:Inconsistent out-of-sync:1048508',
  'exists -',
];
const trace = (lines: string[]) => traceResync(parseEvents2(lines.join('\n')), 'r0');
/** A change event of r0's peer device on `volume`. */
const pd = (volume: number, rest: string) => `change peer-device name:r0 peer-node-id:0 conn-name:peer volume:${volume} ${rest}`;

describe('traceResync', () => {
  it('sees SyncSource, then Established UpToDate/UpToDate, in an 8.4 stream', () => {
    const t = traceResync(parseEvents2(fixture('drbdsetup-events2-84-timestamps-statistics-resync.txt')), 'r0');
    expect(t.armed).toBe(true);
    expect(t.syncSourceAt).toBe(7);
    expect(t.finishedAt).toBe(8);
    expect(t.settledWithoutSyncAt).toBe(-1);
    expect(t.outOfSyncKiB).toEqual([1048508]);
    expect(t.donePercent).toEqual([]);
    expect(t.regressions).toEqual([]);
    expect(describeTrace(t)).toBe('SyncSource at event #8, Established UpToDate/UpToDate at event #9');
  });

  it('an UpToDate pair with no SyncSource before it is not a seen resync', () => {
    const t = trace([
      ...HEAD,
      'change resource name:r0 role:Primary',
      'change device name:r0 volume:0 minor:100 disk:UpToDate',
      'change peer-device name:r0 peer-node-id:0 conn-name:peer volume:0 peer-disk:UpToDate',
    ]);
    expect(t.syncSourceAt).toBe(-1);
    expect(t.finishedAt).toBe(-1);
    expect(t.settledWithoutSyncAt).toBe(6);
  });

  it('a sync already running in the initial dump was not seen starting', () => {
    const t = trace([
      'exists device name:r0 volume:0 minor:100 disk:UpToDate',
      'exists peer-device name:r0 peer-node-id:0 conn-name:peer volume:0 replication:SyncSource peer-disk:Inconsistent',
      'exists -',
      'change peer-device name:r0 peer-node-id:0 conn-name:peer volume:0 replication:Established peer-disk:UpToDate',
    ]);
    expect(t.syncSourceAt).toBe(-1);
    expect(t.settledWithoutSyncAt).toBe(3);
  });

  it('a sync already running in the initial dump is not seen starting by a progress event after it', () => {
    // DRBD 9 prints done: on every change of a running sync; the event names no replication state.
    const t = trace([
      'exists device name:r0 volume:0 minor:100 disk:UpToDate',
      'exists peer-device name:r0 peer-node-id:0 conn-name:peer volume:0 replication:SyncSource peer-disk:Inconsistent done:40.00',
      'exists -',
      pd(0, 'done:75.00'),
      pd(0, 'replication:Established peer-disk:UpToDate'),
    ]);
    expect(t.syncSourceAt).toBe(-1);
    expect(t.finishedAt).toBe(-1);
    expect(t.settledWithoutSyncAt).toBe(4);
    expect(describeTrace(t)).toBe('no SyncSource, not finished, UpToDate/UpToDate without a sync at event #5');
  });

  it('records done: and out-of-sync: while syncing, and flags progress going backwards', () => {
    const t = trace([
      ...HEAD,
      'change device name:r0 volume:0 minor:100 disk:UpToDate',
      pd(0, 'replication:SyncSource out-of-sync:1048508 done:0.25'),
      pd(0, 'out-of-sync:524288 done:50.00'),
      pd(0, 'out-of-sync:600000 done:42.77'),
      pd(0, 'replication:Established peer-disk:UpToDate'),
    ]);
    expect(t.donePercent).toEqual([0.25, 50, 42.77]);
    expect(t.outOfSyncKiB).toEqual([1048508, 524288, 600000]);
    expect(t.regressions).toEqual(['done: 50 then 42.77', 'out-of-sync: 524288 then 600000 KiB']);
    expect(t.finishedAt).toBe(8);
  });

  it('counts skipped events and ignores other resources; unarmed until `exists -`', () => {
    const t = trace([
      'exists device name:r1 volume:0 minor:101 disk:UpToDate',
      'change peer-device name:r1 peer-node-id:0 conn-name:peer volume:0 replication:SyncSource',
    ]);
    expect(t.armed).toBe(false);
    expect(t.syncSourceAt).toBe(-1);
    expect(describeTrace(t)).toBe('watcher has not dumped its initial state yet');
    const skipped = trace([...HEAD, '- skipped 3']);
    expect(skipped.skipped).toBe(3);
    expect(describeTrace(skipped)).toBe('no SyncSource, not finished, 3 events skipped');
  });
});

// 8.4's events2 as drbd-utils 9.22 printed it on the offline profile (the walkthrough's real recording).
const TS = '2026-11-28T15:18:51.257615+00:00';
const settle = (lines: string[]) => traceSettle(parseEvents2(lines.map((l) => `${TS} ${l}`).join('\n')), 'r0');
const AFTER_BOOT = [
  'exists resource name:r0 role:Secondary suspended:no write-ordering:flush',
  'exists connection name:r0 peer-node-id:0 conn-name:peer connection:Connected role:Secondary congested:no',
  'exists device name:r0 volume:0 minor:100 disk:UpToDate size:1048508 read:0 written:0 al-writes:0 bm-writes:0 upper-pending:0 lower-pending:0 al-suspended:no blocked:no',
  'exists peer-device name:r0 peer-node-id:0 conn-name:peer volume:0 replication:Established peer-disk:UpToDate resync-suspended:no received:0 sent:0 out-of-sync:0 pending:0 unacked:0',
  'exists -',
];

describe('traceSettle (a watcher armed after the boot)', () => {
  it('settled in the initial dump: the state found, nothing out of sync', () => {
    const t = settle(AFTER_BOOT);
    expect(t).toEqual({
      armed: true,
      initial: { replication: 'Established', disk: 'UpToDate', peerDisk: 'UpToDate', outOfSyncKiB: 0, sentKiB: 0, receivedKiB: 0 },
      settledAt: 4, maxOutOfSyncKiB: 0, syncStates: [], skipped: 0,
    });
    expect(describeSettle(t)).toBe('found Established UpToDate/UpToDate, out-of-sync 0 KiB, sent 0 KiB, received 0 KiB, no sync state seen, max out-of-sync 0 KiB, Established UpToDate/UpToDate at event #5');
  });

  it('a resync still running when armed: its out-of-sync counts, settled when it ends', () => {
    const peer = 'peer-device name:r0 peer-node-id:0 conn-name:peer volume:0';
    const t = settle([
      ...AFTER_BOOT.slice(0, 3),
      `exists ${peer} replication:SyncSource peer-disk:Inconsistent resync-suspended:no received:0 sent:409600 out-of-sync:638908 pending:0 unacked:0`,
      'exists -',
      `change ${peer} replication:Established peer-disk:UpToDate received:0 sent:1048508 out-of-sync:0 pending:0 unacked:0`,
    ]);
    expect(t.initial).toMatchObject({ replication: 'SyncSource', outOfSyncKiB: 638908, sentKiB: 409600 });
    expect(t.syncStates).toEqual(['SyncSource']);
    expect(t.maxOutOfSyncKiB).toBe(638908);
    expect(t.settledAt).toBe(5);
  });

  it('not armed, or never settled, says so', () => {
    expect(describeSettle(settle(AFTER_BOOT.slice(0, 4)))).toBe('watcher has not dumped its initial state yet');
    const t = settle([...AFTER_BOOT.slice(0, 3), AFTER_BOOT[3]!.replace('replication:Established peer-disk:UpToDate', 'replication:WFBitMapS peer-disk:Consistent'), 'exists -']);
    expect(t.settledAt).toBe(-1);
    expect(describeSettle(t)).toMatch(/sync states seen: WFBitMapS, max out-of-sync 0 KiB, not settled$/);
  });
});

describe('traceResync: what it follows', () => {
  it('volume 0 of this resource only; progress while SyncSource or PausedSyncS, none after the end', () => {
    const t = trace([
      ...HEAD,
      'change device name:r0 volume:1 minor:101 disk:UpToDate',
      pd(1, 'replication:SyncSource out-of-sync:9 done:1.00'),
      'change peer-device name:r1 peer-node-id:0 conn-name:peer volume:0 replication:SyncSource',
      pd(0, 'replication:SyncSource out-of-sync:100 done:1.00'),
      pd(0, 'replication:PausedSyncS out-of-sync:80 done:20.00'),
      pd(0, 'out-of-sync:60 done:40.00'),
      pd(0, 'replication:SyncTarget out-of-sync:70 done:30.00'),
      pd(0, 'replication:SyncSource out-of-sync:n/a done:50.00'),
      'change device name:r0 volume:0 minor:100 disk:UpToDate',
      pd(0, 'replication:Established peer-disk:UpToDate out-of-sync:0 done:100.00'),
      pd(0, 'replication:SyncSource out-of-sync:10 done:1.00'),
    ]);
    expect(t.syncSourceAt).toBe(7);
    expect(t.donePercent).toEqual([1, 20, 40, 50]);
    expect(t.outOfSyncKiB).toEqual([100, 80, 60]);
    expect(t.regressions).toEqual([]);
    expect(t.finishedAt).toBe(13);
    expect(t.settledWithoutSyncAt).toBe(-1);
    expect(describeTrace(t)).toBe('SyncSource at event #8, Established UpToDate/UpToDate at event #14');
  });

  it('a settle without a sync is told with its event; the peer disk and the local disk both count', () => {
    const t = trace([
      ...HEAD,
      pd(0, 'peer-disk:UpToDate'),
      'change device name:r0 volume:0 minor:100 disk:UpToDate',
      pd(0, 'replication:SyncSource'),
    ]);
    expect([t.settledWithoutSyncAt, t.syncSourceAt, t.finishedAt]).toEqual([5, 6, -1]);
    expect(describeTrace(t)).toBe('SyncSource at event #7, not finished, UpToDate/UpToDate without a sync at event #6');
    const diskless = trace([...HEAD, pd(0, 'peer-disk:UpToDate')]);
    expect(diskless.settledWithoutSyncAt).toBe(-1);
  });
});

describe('traceSettle: what it follows', () => {
  it('sync states in order without repeats, this volume and resource only; received counted; skipped told', () => {
    const t = traceSettle(parseEvents2([
      ...AFTER_BOOT.slice(0, 3),
      'exists peer-device name:r0 peer-node-id:0 conn-name:peer volume:0 replication:PausedSyncT peer-disk:UpToDate received:100 out-of-sync:x',
      'exists -',
      pd(0, 'replication:SyncTarget out-of-sync:50'),
      pd(0, 'replication:SyncTarget out-of-sync:40'),
      pd(1, 'replication:SyncSource out-of-sync:5000'),
      'change peer-device name:r1 peer-node-id:0 conn-name:peer volume:0 replication:WFBitMapT out-of-sync:6000',
      pd(0, 'replication:Connected'),
      pd(0, 'replication:VerifyS'),
      '- skipped 2',
      pd(0, 'replication:Established sent:9'),
    ].join('\n')), 'r0');
    expect(t.initial).toEqual({ replication: 'PausedSyncT', disk: 'UpToDate', peerDisk: 'UpToDate', receivedKiB: 100 });
    expect(t.syncStates).toEqual(['PausedSyncT', 'SyncTarget']);
    expect(t.maxOutOfSyncKiB).toBe(50);
    expect(t.settledAt).toBe(12);
    expect(describeSettle(t)).toBe(
      'found PausedSyncT UpToDate/UpToDate, out-of-sync ? KiB, sent ? KiB, received 100 KiB, sync states seen: PausedSyncT → SyncTarget, max out-of-sync 50 KiB, Established UpToDate/UpToDate at event #13, 2 events skipped',
    );
  });

  it('an initial dump without this resource finds nothing', () => {
    const t = settle(['exists -']);
    expect(t).toMatchObject({ armed: true, initial: {}, settledAt: -1 });
    expect(describeSettle(t)).toBe('found ? ?/?, out-of-sync ? KiB, sent ? KiB, received ? KiB, no sync state seen, max out-of-sync 0 KiB, not settled');
  });
});

describe('traceResync: what moves the state and the marks', () => {
  const SETTLED_DUMP = [
    'exists resource name:r0 role:Secondary',
    'exists device name:r0 volume:0 minor:100 disk:UpToDate',
    'exists peer-device name:r0 peer-node-id:0 conn-name:peer volume:0 replication:Established peer-disk:UpToDate',
    'exists -',
  ];

  it('a change that does not name the disk or the peer disk keeps them', () => {
    const t = trace([
      ...HEAD,
      'change device name:r0 volume:0 minor:100 disk:UpToDate',
      'change device name:r0 volume:0 minor:100 client:no',
      pd(0, 'peer-disk:UpToDate'),
    ]);
    expect(t.settledWithoutSyncAt).toBe(6);
    const peerFirst = trace([...HEAD, pd(0, 'peer-disk:UpToDate'), pd(0, 'out-of-sync:0'), 'change device name:r0 volume:0 minor:100 disk:UpToDate']);
    expect(peerFirst.settledWithoutSyncAt).toBe(6);
  });

  it('a sync running in the initial dump: a device event after it marks no start and counts no progress', () => {
    const t = trace([
      'exists device name:r0 volume:0 minor:100 disk:UpToDate',
      'exists peer-device name:r0 peer-node-id:0 conn-name:peer volume:0 replication:SyncSource peer-disk:Inconsistent out-of-sync:500 done:10.00',
      'exists -',
      'change device name:r0 volume:0 minor:100 client:no',
    ]);
    expect([t.syncSourceAt, t.donePercent, t.outOfSyncKiB]).toEqual([-1, [], []]);
  });

  it('progress before a SyncSource was seen is not counted', () => {
    const t = trace([...HEAD, pd(0, 'replication:PausedSyncS out-of-sync:80 done:20.00')]);
    expect([t.syncSourceAt, t.donePercent, t.outOfSyncKiB]).toEqual([-1, [], []]);
  });

  it("another volume's disk is not this volume's", () => {
    const t = trace([...HEAD, 'change device name:r0 volume:1 minor:101 disk:UpToDate', pd(0, 'peer-disk:UpToDate')]);
    expect(t.settledWithoutSyncAt).toBe(-1);
  });

  it('a settle already in the initial dump is marked at the next device event, not at a resource change, and only once', () => {
    const t = trace([...SETTLED_DUMP, 'change resource name:r0 role:Primary', pd(0, 'out-of-sync:0'), pd(0, 'out-of-sync:0')]);
    expect(t.settledWithoutSyncAt).toBe(5);
  });

  it('the end of a sync is marked once, at the first settled event', () => {
    const t = trace([...HEAD, 'change device name:r0 volume:0 minor:100 disk:UpToDate', pd(0, 'replication:SyncSource'), pd(0, 'replication:Established peer-disk:UpToDate'), pd(0, 'out-of-sync:0')]);
    expect([t.syncSourceAt, t.finishedAt]).toEqual([5, 6]);
  });

  it('progress standing still is no regression; an out-of-sync: that is not a number of KiB is not read', () => {
    const t = trace([
      ...HEAD,
      pd(0, 'replication:SyncSource out-of-sync:100 done:10.00'),
      pd(0, 'out-of-sync:100 done:10.00'),
      pd(0, 'out-of-sync:x5 done:20.00'),
      pd(0, 'out-of-sync:5x done:30.00'),
    ]);
    expect(t.regressions).toEqual([]);
    expect(t.donePercent).toEqual([10, 10, 20, 30]);
    expect(t.outOfSyncKiB).toEqual([100, 100]);
  });

  it('a regression is measured against the value just before it', () => {
    const t = trace([
      ...HEAD,
      pd(0, 'replication:SyncSource out-of-sync:100 done:10.00'),
      pd(0, 'out-of-sync:80 done:20.00'),
      pd(0, 'out-of-sync:60 done:30.00'),
      pd(0, 'out-of-sync:70 done:25.00'),
    ]);
    expect(t.regressions).toEqual(['done: 30 then 25', 'out-of-sync: 60 then 70 KiB']);
  });
});

describe('traceSettle: what moves the state and the marks', () => {
  it('settled once, at the first settled event; a change that does not name a state keeps it', () => {
    const t = traceSettle(parseEvents2([
      ...AFTER_BOOT.slice(0, 3),
      'exists peer-device name:r0 peer-node-id:0 conn-name:peer volume:0 replication:SyncTarget peer-disk:UpToDate out-of-sync:64',
      'exists -',
      pd(0, 'replication:Established'),
      pd(0, 'out-of-sync:0'),
      'change device name:r0 volume:0 minor:100 client:no',
      'change device name:r0 volume:1 minor:101 disk:Diskless',
      pd(0, 'received:64'),
    ].join('\n')), 'r0');
    expect(t.settledAt).toBe(5);
    const later = traceSettle(parseEvents2([
      ...AFTER_BOOT.slice(0, 3),
      'exists peer-device name:r0 peer-node-id:0 conn-name:peer volume:0 replication:SyncTarget peer-disk:Inconsistent',
      'exists -',
      pd(0, 'out-of-sync:0'),
      'change device name:r0 volume:0 minor:100 client:no',
      'change device name:r0 volume:1 minor:101 disk:Diskless',
      pd(0, 'replication:Established'),
      pd(0, 'peer-disk:UpToDate'),
    ].join('\n')), 'r0');
    expect(later.settledAt).toBe(9);
  });

  it('what the initial dump did not show is no key of initial; StartingSync is not yet a sync; out-of-sync: read only as a number', () => {
    const t = traceSettle(parseEvents2([
      'exists device name:r0 volume:0 minor:100 disk:UpToDate',
      'exists peer-device name:r0 peer-node-id:0 conn-name:peer volume:0 replication:StartingSyncS peer-disk:Inconsistent out-of-sync:x5',
      'exists -',
      pd(0, 'out-of-sync:5x'),
    ].join('\n')), 'r0');
    // toStrictEqual: toEqual would take `sentKiB: undefined` for an absent sent:.
    expect(t.initial).toStrictEqual({ replication: 'StartingSyncS', disk: 'UpToDate', peerDisk: 'Inconsistent' });
    expect(t.syncStates).toEqual([]);
    expect(t.maxOutOfSyncKiB).toBe(0);
  });

  it('not settled while the local disk is not UpToDate', () => {
    const t = settle([AFTER_BOOT[0]!, AFTER_BOOT[1]!, AFTER_BOOT[2]!.replace('disk:UpToDate', 'disk:Outdated'), AFTER_BOOT[3]!, 'exists -']);
    expect(t.settledAt).toBe(-1);
  });

  it('a sync state is a repeat only of the one just before it', () => {
    const t = settle([...AFTER_BOOT.slice(0, 3), 'exists -', ...['WFBitMapT', 'SyncTarget', 'PausedSyncT', 'PausedSyncT', 'SyncTarget'].map((r) => pd(0, `replication:${r}`))]);
    expect(t.syncStates).toEqual(['WFBitMapT', 'SyncTarget', 'PausedSyncT', 'SyncTarget']);
  });
});
