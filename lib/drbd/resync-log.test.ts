// kernel-log-84-reboot-no-resync.txt is captured (a real reboot of the offline profile);
// kernel-log-84-reboot-full-resync.txt is hand-made from DRBD 8.4's formats (fixtures/README.md).
// The DRBD 9 lines below are constructed in drbd_receiver.c's formats.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ResyncAmountError, failureKind } from '../errors.js';
import { alMarkedKiB, AL_EXTENT_KIB, assertBitmapResync, parseResyncLog, resyncVerdict } from './resync-log.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const NONE = fixture('kernel-log-84-reboot-no-resync.txt');
const FULL = fixture('kernel-log-84-reboot-full-resync.txt');

/** The captured boot with a small bitmap-based resync instead of none (what a few writes while disconnected leave). */
const BITMAP = NONE.replace('block drbd100: 0 KB (0 bits) marked out-of-sync by on disk bit-map.', 'block drbd100: 12 KB (3 bits) marked out-of-sync by on disk bit-map.')
  .replace('bits:0 flags:0\nblock drbd100: peer', 'bits:3 flags:0\nblock drbd100: peer')
  .replace('uuid_compare()=0 by rule 40', 'uuid_compare()=1 by rule 40\nblock drbd100: Began resync as SyncSource (will sync 12 KB [3 bits set]).\nblock drbd100: Resync done (total 1 sec; paused 0 sec; 12 K/sec)');

describe('parseResyncLog', () => {
  it('a clean reboot (captured): nothing out of sync at attach, one handshake, uuid_compare()=0, no resync', () => {
    const log = parseResyncLog(NONE, 100);
    expect(log.deviceKiB).toBe(1048508);
    expect(log.bitmapBits).toBe(262127);
    expect(log.attachBits).toEqual([0]);
    expect(log.handshakes).toEqual([{ peer: null, selfBits: 0, peerBits: 0, compare: 0, rule: 40 }]);
    expect(log.resyncs).toEqual([]);
    expect(log.fullSyncLines).toEqual([]);
    // Only drbd100's lines: not `drbd r0: …` (resource) nor `drbd100: detected capacity …`, nor EXT4's.
    expect(log.lines.every((l) => l.startsWith('block drbd100: '))).toBe(true);
    expect(log.lines).toHaveLength(15);
  });

  it('a crashed primary: the whole bitmap at attach and a resync of all of it', () => {
    const log = parseResyncLog(FULL, 100);
    expect(log.attachBits).toEqual([262127]);
    expect(log.handshakes[0]).toMatchObject({ selfBits: 262127, compare: 1, rule: 40 });
    expect(log.resyncs).toEqual([
      { peer: null, as: 'SyncSource', kib: 1048508, bits: 262127, line: 'block drbd100: Began resync as SyncSource (will sync 1048508 KB [262127 bits set]).' },
    ]);
    expect(log.doneLines).toEqual(['block drbd100: Resync done (total 9 sec; paused 0 sec; 116500 K/sec)']);
  });

  it('other minors are not this device', () => {
    expect(parseResyncLog(FULL, 101).lines).toEqual([]);
    expect(parseResyncLog(FULL.replaceAll('drbd100', 'drbd1000'), 100).lines).toEqual([]);
  });

  it('DRBD 9 lines: per peer, with the connection name', () => {
    const text = [
      'drbd r0/0 drbd100: size = 37 GB (39062500 KB)',
      'drbd r0/0 drbd100: 0 KB (0 bits) marked out-of-sync by on disk bit-map.',
      'drbd r0/0 drbd100 drbd2: drbd_sync_handshake:',
      'drbd r0/0 drbd100 drbd3: drbd_sync_handshake:',
      'drbd r0/0 drbd100 drbd2: self 6A1C0D7B3E9F2A10:0000000000000000:0000000000000000:0000000000000000 bits:0 flags:0',
      'drbd r0/0 drbd100 drbd3: self 6A1C0D7B3E9F2A10:0000000000000000:0000000000000000:0000000000000000 bits:8 flags:0',
      'drbd r0/0 drbd100 drbd2: uuid_compare()=0 by rule 40',
      'drbd r0/0 drbd100 drbd3: uuid_compare()=2 by rule 70',
      'drbd r0/0 drbd100 drbd3: Began resync as SyncSource (will sync 32 KB [8 bits set]).',
    ].join('\n');
    const log = parseResyncLog(text, 100);
    expect(log.deviceKiB).toBe(39062500);
    expect(log.handshakes).toEqual([
      { peer: 'drbd2', selfBits: 0, peerBits: null, compare: 0, rule: 40 },
      { peer: 'drbd3', selfBits: 8, peerBits: null, compare: 2, rule: 70 },
    ]);
    expect(log.resyncs.map((r) => [r.peer, r.kib])).toEqual([['drbd3', 32]]);
  });
});

describe('resyncVerdict / assertBitmapResync', () => {
  const both = (a: string, b: string) => resyncVerdict([
    { node: 'drbd1', log: parseResyncLog(a, 100) },
    { node: 'drbd2', log: parseResyncLog(b, 100) },
  ]);

  it('no resync passes, and says so', () => {
    const v = both(NONE, NONE);
    expect(v).toMatchObject({ kind: 'none', kib: 0, deviceKiB: 1048508, handshakes: 2 });
    expect(v.summary[0]).toBe('drbd1: attached with 0 bits out of sync; handshake: uuid_compare()=0 by rule 40, bits 0/0');
    expect(() => assertBitmapResync('r0', v, AL_EXTENT_KIB)).not.toThrow();
  });

  it('a small bitmap-based resync passes, with its amount', () => {
    const v = both(BITMAP, NONE);
    expect(v).toMatchObject({ kind: 'bitmap', kib: 12, bits: 3 });
    expect(() => assertBitmapResync('r0', v, AL_EXTENT_KIB)).not.toThrow();
  });

  it('a full resync is a product failure naming the amount and what the node logged', () => {
    const v = both(FULL, NONE);
    expect(v).toMatchObject({ kind: 'full', kib: 1048508, bits: 262127 });
    const err = (() => {
      try {
        assertBitmapResync('r0', v, AL_EXTENT_KIB);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ResyncAmountError);
    expect(failureKind(err)).toBe('product');
    expect((err as Error).message).toMatch(/^r0: full resync of 1048508 KB after the reboot \(the whole device\); expected a bitmap-based resync under 4096 KB\n/);
    expect((err as Error).message).toContain('drbd1: attached with 262127 bits out of sync; handshake: uuid_compare()=1 by rule 40, bits 262127/0; began resync as SyncSource: 1048508 KB [262127 bits]; 1 resync done');
  });

  it('one activity-log extent or more is not what a quiesced resource leaves', () => {
    const v = both(BITMAP.replaceAll('will sync 12 KB [3 bits set]', 'will sync 4096 KB [1024 bits set]'), NONE);
    expect(v.kind).toBe('bitmap');
    expect(() => assertBitmapResync('r0', v, AL_EXTENT_KIB)).toThrow(/^r0: resync of 4096 KB after the reboot; expected a bitmap-based resync under 4096 KB/);
  });

  it('the whole bitmap written without a "Began resync" line left is still a full resync', () => {
    const cut = FULL.split('\n').filter((l) => !/Began resync|Resync done/.test(l)).join('\n')
      .replace('uuid_compare()=1 by rule 40', 'uuid_compare()=2 by rule 60\nblock drbd100: Writing the whole bitmap, full sync required after drbd_sync_handshake.');
    const v = both(cut, NONE);
    expect(v).toMatchObject({ kind: 'full', kib: 1048508 });
    expect(() => assertBitmapResync('r0', v, AL_EXTENT_KIB)).toThrow(ResyncAmountError);
  });

  it('a log without this device shows no handshake: nothing to measure', () => {
    expect(both('', '').handshakes).toBe(0);
    expect(both('', '').summary).toEqual(['drbd1: no lines of drbd100', 'drbd2: no lines of drbd100']);
  });
});

describe('alMarkedKiB', () => {
  it("reads drbdmeta apply-al's line (stderr of drbdadm up after a crashed primary)", () => {
    expect(alMarkedKiB('Marked additional 1024 MB as out-of-sync based on AL.')).toBe(1048576);
    expect(alMarkedKiB('Marked additional 4 MB as out-of-sync based on AL.\n')).toBe(4096);
  });
  it('null when the node did not crash as Primary', () => {
    expect(alMarkedKiB('')).toBeNull();
  });
});
