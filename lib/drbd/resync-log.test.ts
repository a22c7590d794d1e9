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

describe('parseResyncLog: the lines of one device, each form', () => {
  // DRBD 9.1+ names the strategy and the rule; per-peer lines carry the connection name.
  const NINE = [
    'drbd r0/0 drbd100: size = 1024 MB (1048508 KB)',
    '  drbd r0/0 drbd100: 2 MB (512 bits) marked out-of-sync by on disk bit-map.  ',
    'drbd r0/0 drbd100 drbd2: drbd_sync_handshake:',
    'drbd r0/0 drbd100 drbd2: self 6A1C0D7B3E9F2A10:0000000000000000:0000000000000000:0000000000000000 bits:512 flags:20',
    'drbd r0/0 drbd100 drbd2: peer 5B0E2C1A3F8D4B20:0000000000000000:0000000000000000:0000000000000000 bits:4 flags:120',
    'drbd r0/0 drbd100 drbd2: uuid_compare()=source-use-bitmap by rule=bitmap-self',
    'drbd r0/0 drbd100 drbd2: self 0000000000000004:0000000000000000:0000000000000000:0000000000000000 bits:9 flags:0',
    'drbd r0/0 drbd100 drbd3: drbd_sync_handshake:',
    'drbd r0/0 drbd100 drbd3: uuid_compare()=-1 by rule 50',
    'drbd r0/0 drbd100 drbd3: uuid_compare()=2 by rule 70',
    'drbd r0/0 drbd100 drbd2: Began resync as PausedSyncS (will sync 2048 KB [512 bits set]).',
    'drbd r0/0 drbd100 drbd2: Resync done (total 1 sec; paused 0 sec; 2048 K/sec)',
    'drbd r0/0 drbd101: size = 1 GB (1048508 KB)',
    'drbd r0/0 drbd10: size = 1 GB (9 KB)',
    'xdrbd r0/0 drbd100: size = 1 GB (7 KB)',
    'drbd r0 drbd100: size = 1 GB (7 KB)',
    'drbd r0/x drbd100: size = 1 GB (7 KB)',
    'drbd r0/0 drbd100 drbd2 x: size = 1 GB (7 KB)',
    'drbd r0/0 drbd100:size = 1 GB (7 KB)',
  ].join('\n');

  it('reads DRBD 9 handshakes by peer and by name; a line after the verdict changes nothing', () => {
    const log = parseResyncLog(NINE, 100);
    expect(log.deviceKiB).toBe(1048508);
    expect(log.attachBits).toEqual([512]);
    expect(log.handshakes).toEqual([
      { peer: 'drbd2', selfBits: 512, peerBits: 4, compare: 'source-use-bitmap', rule: 'bitmap-self' },
      { peer: 'drbd3', selfBits: null, peerBits: null, compare: -1, rule: 50 },
    ]);
    expect(log.resyncs).toEqual([
      { peer: 'drbd2', as: 'PausedSyncS', kib: 2048, bits: 512, line: 'drbd r0/0 drbd100 drbd2: Began resync as PausedSyncS (will sync 2048 KB [512 bits set]).' },
    ]);
    expect(log.doneLines).toEqual(['drbd r0/0 drbd100 drbd2: Resync done (total 1 sec; paused 0 sec; 2048 K/sec)']);
    expect(log.lines[1]).toBe('drbd r0/0 drbd100: 2 MB (512 bits) marked out-of-sync by on disk bit-map.');
    expect(log.lines).toHaveLength(12);
  });

  it('takes no line of another device, another prefix, or a message that is not the one it reads', () => {
    const others = [
      'block drbd100: size = 1 GB',
      'block drbd100: resync bitmap: bits=x',
      'block drbd100: 0 KB (0 bits) marked out-of-sync by on disk bit-map',
      'block drbd100: 0 XB (0 bits) marked out-of-sync by on disk bit-map.',
      'block drbd100: self 6A1C bits:1 flags:0',
      'block drbd100: drbd_sync_handshake: again',
      'block drbd100: uuid_compare()=1 by rule 40 x',
      'block drbd100: Began resync as SyncSource (will sync 4 KB [1 bits set])',
      'block drbd100: Writing the whole bitmap, full syncs required',
      'block drbd100: Not Resync done (x)',
      'block drbd100: The Writing the whole bitmap, full sync required',
    ].join('\n');
    const log = parseResyncLog(others, 100);
    expect([log.deviceKiB, log.bitmapBits, log.attachBits, log.handshakes, log.resyncs, log.fullSyncLines, log.doneLines]).toEqual([null, null, [], [], [], [], []]);
    expect(log.lines).toHaveLength(11);
    expect(parseResyncLog('block drbd100: resync bitmap: bits=262127 words=4096 pages=8', 100).bitmapBits).toBe(262127);
    expect(parseResyncLog('block drbd100: self 6A1C:0:0:0 bits:7 flags:0', 100).handshakes).toEqual([]);
  });
});

describe('resyncVerdict: which resync counts', () => {
  const log = (lines: string[]) => parseResyncLog(lines.join('\n'), 100);
  const began = (kib: number, bits: number, peer = '') => `drbd r0/0 drbd100${peer}: Began resync as SyncSource (will sync ${kib} KB [${bits} bits set]).`;

  it('the largest resync of any node and peer; the first node to print the size gives it', () => {
    const v = resyncVerdict([
      { node: 'drbd1', log: log([began(8, 2, ' drbd2'), began(16, 4, ' drbd3'), began(16, 5, ' drbd2')]) },
      { node: 'drbd2', log: log(['drbd r0/0 drbd100: size = 1 GB (1048508 KB)', began(12, 3)]) },
      { node: 'drbd3', log: log(['drbd r0/0 drbd100: size = 2 GB (2097152 KB)']) },
    ]);
    expect(v).toMatchObject({ kind: 'bitmap', kib: 16, bits: 4, deviceKiB: 1048508, handshakes: 0 });
    expect(v.summary).toEqual([
      'drbd1: began resync as SyncSource to drbd2: 8 KB [2 bits]; began resync as SyncSource to drbd3: 16 KB [4 bits]; began resync as SyncSource to drbd2: 16 KB [5 bits]',
      'drbd2: began resync as SyncSource: 12 KB [3 bits]',
      'drbd3: no lines of drbd100',
    ]);
  });

  it('full when the resync covers the device, by size or by the bitmap of 8.4; not when it is one bit less', () => {
    const size = 'block drbd100: size = 1 GB (1000 KB)';
    const bitmap = 'block drbd100: resync bitmap: bits=250 words=4 pages=1';
    const one = (lines: string[]) => resyncVerdict([{ node: 'drbd1', log: log(lines) }]);
    expect(one([size, began(1000, 240)])).toMatchObject({ kind: 'full', kib: 1000 });
    expect(one([size, began(999, 240)])).toMatchObject({ kind: 'bitmap', kib: 999 });
    expect(one([bitmap, began(900, 250)])).toMatchObject({ kind: 'full', kib: 900, deviceKiB: null });
    expect(one([bitmap, began(900, 249)])).toMatchObject({ kind: 'bitmap' });
    expect(one([size, bitmap])).toMatchObject({ kind: 'none', kib: 0, bits: 0 });
    // The whole bitmap written, no resync line left and no size printed: nothing to give as an amount.
    expect(one(['block drbd100: Writing the whole bitmap, full sync required after drbd_sync_handshake.'])).toMatchObject({ kind: 'full', kib: 0 });
  });

  it('a handshake not finished in the log reads as question marks', () => {
    const v = resyncVerdict([{ node: 'drbd1', log: log(['drbd r0/0 drbd100 drbd2: drbd_sync_handshake:']) }]);
    expect(v.summary).toEqual(['drbd1: handshake with drbd2: uuid_compare()=? by rule ?, bits ?/?']);
    expect(v.handshakes).toBe(1);
  });

  it('a resync under the limit after the link came back names what it followed', () => {
    const v = resyncVerdict([{ node: 'drbd1', log: log([began(8192, 2048)]) }]);
    expect(() => assertBitmapResync('r0', v, 8192, 'the link\'s return')).toThrow(/^r0: resync of 8192 KB after the link's return; expected a bitmap-based resync under 8192 KB\n {2}drbd1: began/);
    expect(() => assertBitmapResync('r0', v, 8193)).not.toThrow();
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
    expect(alMarkedKiB('Marked additional 1 TB as out-of-sync based on AL.')).toBeNull();
  });
  it('KB and GB too', () => {
    expect(alMarkedKiB('Marked additional 12 KB as out-of-sync based on AL.')).toBe(12);
    expect(alMarkedKiB('Marked additional 2 GB as out-of-sync based on AL.')).toBe(2 * 1024 * 1024);
  });
});

describe('parseResyncLog: each message read whole', () => {
  const read = (msg: string) => parseResyncLog(`block drbd100: ${msg}`, 100);
  const nothing = (msg: string) => {
    const log = read(msg);
    return [log.deviceKiB, log.bitmapBits, log.attachBits, log.handshakes, log.resyncs, log.fullSyncLines, log.doneLines];
  };
  const NOTHING = [null, null, [], [], [], [], []];

  it('a message with more in front or behind is another message', () => {
    for (const msg of [
      'xsize = 1 GB (7 KB)',
      'size = 1 GB (7 KB) x',
      'xresync bitmap: bits=7 words=1 pages=1',
      'resync bitmap: bits=7x',
      'x0 KB (0 bits) marked out-of-sync by on disk bit-map.',
      '0 KB (0 bits) marked out-of-sync by on disk bit-map. x',
      'xBegan resync as SyncSource (will sync 4 KB [1 bits set]).',
      'Began resync as SyncSource (will sync 4 KB [1 bits set]). x',
      'Writing the whole bitmap, full sync requiredx',
    ]) expect(nothing(msg), msg).toEqual(NOTHING);
    const handshake = (line: string) => parseResyncLog(['block drbd100: drbd_sync_handshake:', `block drbd100: ${line}`].join('\n'), 100).handshakes;
    for (const line of ['xself 6A1C:0 bits:7 flags:0', 'self 6A1C:0 bits:7 flags:0 x', 'xuuid_compare()=1 by rule 40', 'uuid_compare()=1 by rule 40 x']) {
      expect(handshake(line), line).toEqual([{ peer: null, selfBits: null, peerBits: null, compare: null, rule: null }]);
    }
  });

  it('every line it keeps is kept without the spaces around it', () => {
    const log = parseResyncLog([
      '  block drbd100: Writing the whole bitmap, full sync required after drbd_sync_handshake.',
      '  block drbd100: Began resync as SyncSource (will sync 4 KB [1 bits set]).',
      '  block drbd100: Resync done (total 1 sec; paused 0 sec; 4 K/sec)',
    ].join('\n'), 100);
    expect([log.fullSyncLines, log.resyncs.map((r) => r.line), log.doneLines]).toEqual([
      ['block drbd100: Writing the whole bitmap, full sync required after drbd_sync_handshake.'],
      ['block drbd100: Began resync as SyncSource (will sync 4 KB [1 bits set]).'],
      ['block drbd100: Resync done (total 1 sec; paused 0 sec; 4 K/sec)'],
    ]);
  });

  it('lines ended by CRLF (output through a terminal) are read as the same lines', () => {
    const log = parseResyncLog('block drbd100: size = 1 GB (9 KB)\r\nblock drbd100: Resync done (total 1 sec; paused 0 sec; 4 K/sec)\r\n', 100);
    expect(log.deviceKiB).toBe(9);
    expect(log.doneLines).toEqual(['block drbd100: Resync done (total 1 sec; paused 0 sec; 4 K/sec)']);
  });

  it('spaces after the device prefix are not part of the message', () => {
    expect(read(' size = 1 GB (9 KB)').deviceKiB).toBe(9);
  });

  it("uuid_compare()'s results of more than one digit: split brain (100), unrelated data (-1000)", () => {
    const log = parseResyncLog([
      'block drbd100: drbd_sync_handshake:',
      'block drbd100: uuid_compare()=100 by rule 90',
      'block drbd100: drbd_sync_handshake:',
      'block drbd100: uuid_compare()=-1000 by rule 100',
    ].join('\n'), 100);
    expect(log.handshakes.map((h) => [h.compare, h.rule])).toEqual([[100, 90], [-1000, 100]]);
  });

  it('a rule or strategy name with digits in it stays a name', () => {
    const log = parseResyncLog([
      'drbd r0/0 drbd100 drbd2: drbd_sync_handshake:',
      'drbd r0/0 drbd100 drbd2: uuid_compare()=source-use-bitmap by rule=a2',
      'drbd r0/0 drbd100 drbd3: drbd_sync_handshake:',
      'drbd r0/0 drbd100 drbd3: uuid_compare()=-2 by rule=2a',
    ].join('\n'), 100);
    expect(log.handshakes.map((h) => [h.compare, h.rule])).toEqual([['source-use-bitmap', 'a2'], [-2, '2a']]);
  });
});

describe('resyncVerdict / assertBitmapResync: all nodes together', () => {
  const log = (lines: string[]) => parseResyncLog(lines.join('\n'), 100);
  const began = (kib: number, bits: number) => `block drbd100: Began resync as SyncSource (will sync ${kib} KB [${bits} bits set]).`;

  it("8.4's bitmap size from whichever node printed it", () => {
    const v = resyncVerdict([
      { node: 'drbd1', log: log([began(900, 250)]) },
      { node: 'drbd2', log: log(['block drbd100: resync bitmap: bits=250 words=4 pages=1']) },
    ]);
    expect(v).toMatchObject({ kind: 'full', kib: 900, bits: 250 });
  });

  it('no resync began is no resync, whatever size a node printed (even 0)', () => {
    const v = resyncVerdict([{ node: 'drbd1', log: log(['block drbd100: size = 0 KB (0 KB)', 'block drbd100: resync bitmap: bits=0 words=0 pages=0']) }]);
    expect(v).toMatchObject({ kind: 'none', kib: 0, bits: 0, deviceKiB: 0 });
  });

  it('every attach of a node is told; the whole bitmap written is told', () => {
    const v = resyncVerdict([{
      node: 'drbd1',
      log: log([
        'block drbd100: 0 KB (0 bits) marked out-of-sync by on disk bit-map.',
        'block drbd100: 12 KB (3 bits) marked out-of-sync by on disk bit-map.',
        'block drbd100: Writing the whole bitmap, full sync required after drbd_sync_handshake.',
      ]),
    }]);
    expect(v.summary).toEqual(['drbd1: attached with 0/3 bits out of sync; whole bitmap set (full sync required)']);
  });

  it('a full resync with no amount in the log is a product failure all the same', () => {
    const v = resyncVerdict([{ node: 'drbd1', log: log(['block drbd100: Writing the whole bitmap, full sync required after drbd_sync_handshake.']) }]);
    expect(v).toMatchObject({ kind: 'full', kib: 0 });
    let caught: unknown;
    try {
      assertBitmapResync('r0', v, AL_EXTENT_KIB);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ResyncAmountError);
    expect(caught).toMatchObject({ resource: 'r0', kib: 0, full: true, limitKiB: AL_EXTENT_KIB });
    expect(failureKind(caught)).toBe('product');
  });
});
