import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCrmMon } from './crm-mon.js';
import { failoverHopeless, servesOn } from './failover.js';
import { settledWith } from './settle.js';
import { splitBrainLines } from './split-brain.js';

const crm = (f: string) => parseCrmMon(readFileSync(new URL(`./fixtures/${f}`, import.meta.url), 'utf8'));

describe('failover decisions on crm_mon', () => {
  it('servesOn: promoted and mounted on that node only', () => {
    const s = crm('crm-mon-promoted-drbd2-failed-monitor.xml');
    expect(servesOn(s, 'r0', 'drbd2')).toBe(true);
    expect(servesOn(s, 'r0', 'drbd1')).toBe(false);
    // Promoted but the file system not started (yet): not served.
    expect(servesOn(crm('crm-mon-failed-over-drbd1.xml'), 'r0', 'drbd1')).toBe(false);
  });

  it('hopeless only when a start of DRBD or the file system failed on the survivor (a failed monitor is not)', () => {
    const s = crm('crm-mon-failed-over-drbd1.xml');
    expect(failoverHopeless(s, 'r0', 'drbd1')).toBeUndefined();
    const failedStart = { ...s, failures: [...s.failures, { opKey: 'p_fs_r0_start_0', node: 'drbd1', exitStatus: 'error', exitReason: "Couldn't mount device [/dev/drbd100] as /mnt/r0" }] };
    expect(failoverHopeless(failedStart, 'r0', 'drbd1')).toEqual({
      resource: 'p_fs_r0', node: 'drbd1', reason: "start failed (p_fs_r0_start_0: Couldn't mount device [/dev/drbd100] as /mnt/r0, error); it may not start there again",
    });
    expect(failoverHopeless(failedStart, 'r0', 'drbd2'), 'a failure on another node').toBeUndefined();
    const drbdStart = { ...s, failures: [{ opKey: 'p_drbd_r0_start_0', node: 'drbd1', exitStatus: 'error', exitReason: '' }] };
    expect(failoverHopeless(drbdStart, 'r0', 'drbd1')?.resource).toBe('p_drbd_r0');
  });

  it('settled: both instances running, the survivor promoted with the file system, the returned node unpromoted', () => {
    const s = crm('crm-mon-promoted-drbd2-failed-monitor.xml');
    expect(settledWith(s, 'r0', 'drbd2', 'drbd1')).toBe(true);
    expect(settledWith(s, 'r0', 'drbd1', 'drbd2'), 'the other way round').toBe(false);
    expect(settledWith(crm('crm-mon-failed-over-drbd1.xml'), 'r0', 'drbd1', 'drbd2'), 'drbd2 still offline').toBe(false);
    expect(settledWith({ ...s, quorate: false }, 'r0', 'drbd2', 'drbd1')).toBe(false);
  });

  it('split-brain lines of DRBD 8.4 in a kernel log', () => {
    const log = ['block drbd100: uuid_compare()=100 by rule 90', 'block drbd100: Split-Brain detected but unresolved, dropping connection!', 'drbd r0: conn( WFReportParams -> Disconnecting )'].join('\n');
    expect(splitBrainLines(log)).toEqual(['block drbd100: Split-Brain detected but unresolved, dropping connection!']);
    expect(splitBrainLines('block drbd100: uuid_compare()=-1 by rule 50\nblock drbd100: Began resync as SyncTarget')).toEqual([]);
  });
});
