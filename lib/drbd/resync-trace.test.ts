// drbdsetup-events2-84-timestamps-statistics-resync.txt is hand-made (see fixtures/README.md):
// DRBD 8.4's events2 from drbd-utils' v84 print_notifications, states from lab-notes.md.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseEvents2 } from './events2.js';
import { describeTrace, traceResync } from './resync-trace.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const HEAD = [
  'exists resource name:r0 role:Secondary suspended:no',
  'exists device name:r0 volume:0 minor:100 disk:Inconsistent',
  'exists peer-device name:r0 peer-node-id:0 conn-name:peer volume:0 replication:Established peer-disk:Inconsistent out-of-sync:1048508',
  'exists -',
];
const trace = (lines: string[]) => traceResync(parseEvents2(lines.join('\n')), 'r0');

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

  it('records done: and out-of-sync: while syncing, and flags progress going backwards', () => {
    const pd = 'change peer-device name:r0 peer-node-id:0 conn-name:peer volume:0';
    const t = trace([
      ...HEAD,
      'change device name:r0 volume:0 minor:100 disk:UpToDate',
      `${pd} replication:SyncSource out-of-sync:1048508 done:0.25`,
      `${pd} out-of-sync:524288 done:50.00`,
      `${pd} out-of-sync:600000 done:42.77`,
      `${pd} replication:Established peer-disk:UpToDate`,
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
