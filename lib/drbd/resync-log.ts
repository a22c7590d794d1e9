// What DRBD's kernel log says about one device's resync: how much was out of sync at attach,
// what the sync handshake decided, how much a resync set out to copy. The kernel prints these
// on every attach and connect, so the log of a boot tells how much a reboot made DRBD resync,
// even when the resync ended before anyone could watch it.
//
// Formats (drbd_nl.c, drbd_receiver.c, drbd_worker.c):
//   DRBD 8.4 (in-tree):  `block drbd100: <message>`
//   DRBD 9:              `drbd r0/0 drbd100: <message>` or, per peer, `drbd r0/0 drbd100 drbd2: <message>`
// Messages:
//   size = 1024 MB (1048508 KB)
//   resync bitmap: bits=262127 words=4096 pages=8                       (8.4)
//   0 KB (0 bits) marked out-of-sync by on disk bit-map.
//   drbd_sync_handshake: / self <uuids> bits:N flags:F / peer <uuids> bits:N flags:F
//   uuid_compare()=N by rule R                                          (0: no resync, ±1/±2: bitmap, ±3 or 8.4's ±2 with a full bitmap)
//   uuid_compare()=no-sync by rule=lost-quorum                          (DRBD 9.1+: the strategy and the rule by name)
//   Writing the whole bitmap, full sync required after drbd_sync_handshake.
//   Began resync as SyncSource (will sync 1048508 KB [262127 bits set]).
//   Resync done (total 9 sec; paused 0 sec; 116500 K/sec)
//   No resync, but 3 bits in bitmap!

import { ResyncAmountError } from '../errors.js';

/**
 * DRBD's activity log covers the disk in 4 MiB extents (AL_EXTENT_SHIFT 22, 8.4 and 9): a crashed
 * primary marks whole extents out of sync. Less than one extent is what the bitmap alone tracked.
 */
export const AL_EXTENT_KIB = 4096;

const PREFIX = /^(?:block drbd(?<m84>\d+)|drbd [^\s/]+\/\d+ drbd(?<m9>\d+)(?: (?<peer>[^\s:]+))?): (?<msg>.*)$/u;

export interface SyncHandshake {
  /** Connection name on DRBD 9; null on 8.4 (one peer). */
  peer: string | null;
  selfBits: number | null;
  peerBits: number | null;
  /** uuid_compare()'s result: 0 no resync; > 0 this node is the source; DRBD 9.1+ names it (`no-sync`, `source-use-bitmap`, …). */
  compare: number | string | null;
  rule: number | string | null;
}

export interface ResyncStart {
  peer: string | null;
  /** SyncSource, SyncTarget, PausedSyncS, PausedSyncT. */
  as: string;
  kib: number;
  bits: number;
  line: string;
}

export interface DeviceResyncLog {
  minor: number;
  /** `size = … (N KB)`: the device's size. */
  deviceKiB: number | null;
  /** 8.4's `resync bitmap: bits=N`: bits of the whole device. */
  bitmapBits: number | null;
  /** `… (N bits) marked out-of-sync by on disk bit-map.`, one per attach. */
  attachBits: number[];
  handshakes: SyncHandshake[];
  /** `Writing the whole bitmap, full sync required …` lines. */
  fullSyncLines: string[];
  resyncs: ResyncStart[];
  /** `Resync done (…)` lines. */
  doneLines: string[];
  /** Every line of this device, as printed (for the report). */
  lines: string[];
}

/** The lines of one device (by minor) in a `dmesg --notime` text, and what they say about resyncs. */
export function parseResyncLog(text: string, minor: number): DeviceResyncLog {
  const log: DeviceResyncLog = {
    minor, deviceKiB: null, bitmapBits: null, attachBits: [], handshakes: [], fullSyncLines: [], resyncs: [], doneLines: [], lines: [],
  };
  // Handshakes are printed line by line; the open one per peer collects self/peer/uuid_compare.
  const open = new Map<string | null, SyncHandshake>();
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    const m = PREFIX.exec(line.trimStart());
    if (!m?.groups) continue;
    if (Number(m.groups['m84'] ?? m.groups['m9']) !== minor) continue;
    log.lines.push(line.trim());
    const peer = m.groups['peer'] ?? null;
    const msg = m.groups['msg']!.trim();
    let x: RegExpExecArray | null;
    if ((x = /^size = .*\((\d+) KB\)$/u.exec(msg))) log.deviceKiB = Number(x[1]);
    else if ((x = /^resync bitmap: bits=(\d+)\b/u.exec(msg))) log.bitmapBits = Number(x[1]);
    else if ((x = /^\d+ [KMGTPE]B \((\d+) bits\) marked out-of-sync by on disk bit-map\.$/u.exec(msg))) log.attachBits.push(Number(x[1]));
    else if (msg === 'drbd_sync_handshake:') {
      const h: SyncHandshake = { peer, selfBits: null, peerBits: null, compare: null, rule: null };
      open.set(peer, h);
      log.handshakes.push(h);
    } else if ((x = /^(self|peer) [0-9A-F:]+ bits:(\d+) flags:[0-9A-F]+$/u.exec(msg))) {
      const h = open.get(peer);
      if (h) h[x[1] === 'self' ? 'selfBits' : 'peerBits'] = Number(x[2]);
    } else if ((x = /^uuid_compare\(\)=(-?\d+|[a-z?-]+) by rule[ =]([\w-]+)$/u.exec(msg))) {
      const h = open.get(peer);
      const numberOrName = (v: string) => (/^-?\d+$/u.test(v) ? Number(v) : v);
      if (h) {
        h.compare = numberOrName(x[1]!);
        h.rule = numberOrName(x[2]!);
        open.delete(peer);
      }
    } else if (/^Writing the whole bitmap, full sync required\b/u.test(msg)) log.fullSyncLines.push(line.trim());
    else if ((x = /^Began resync as (\S+) \(will sync (\d+) KB \[(\d+) bits set\]\)\.$/u.exec(msg))) {
      log.resyncs.push({ peer, as: x[1]!, kib: Number(x[2]), bits: Number(x[3]), line: line.trim() });
    } else if (/^Resync done \(/u.test(msg)) log.doneLines.push(line.trim());
  }
  return log;
}

/** What the nodes' logs of one boot say about the resync of one device, all nodes together. */
export interface ResyncVerdict {
  /** none: every handshake said no resync and none began; bitmap: only what the bitmap held; full: the whole device. */
  kind: 'none' | 'bitmap' | 'full';
  /** The largest `will sync` of any node and peer (both ends print the same amount), 0 when none began. */
  kib: number;
  bits: number;
  /** The device's size, when a node printed it. */
  deviceKiB: number | null;
  /** Sync handshakes seen, all nodes. */
  handshakes: number;
  /** One line per node: what its log shows, for messages and the report. */
  summary: string[];
}

export function resyncVerdict(logs: readonly { node: string; log: DeviceResyncLog }[]): ResyncVerdict {
  const all = logs.flatMap(({ node, log }) => log.resyncs.map((r) => ({ node, r })));
  const biggest = all.reduce<(typeof all)[number] | undefined>((a, b) => (a && a.r.kib >= b.r.kib ? a : b), undefined);
  const deviceKiB = logs.map((l) => l.log.deviceKiB).find((v) => v !== null) ?? null;
  const bitmapBits = logs.map((l) => l.log.bitmapBits).find((v) => v !== null) ?? null;
  const began = biggest?.r.kib ?? 0;
  const bits = biggest?.r.bits ?? 0;
  const wholeBitmap = logs.some((l) => l.log.fullSyncLines.length > 0);
  const full = wholeBitmap || (began > 0 && ((deviceKiB !== null && began >= deviceKiB) || (bitmapBits !== null && bits >= bitmapBits)));
  return {
    kind: full ? 'full' : began > 0 ? 'bitmap' : 'none',
    // The whole bitmap set but no "Began resync" in the log (cut off): the whole device is what it meant.
    kib: full && began === 0 ? (deviceKiB ?? 0) : began,
    bits,
    deviceKiB,
    handshakes: logs.reduce((n, l) => n + l.log.handshakes.length, 0),
    summary: logs.map(({ node, log }) => `${node}: ${describeDevice(log)}`),
  };
}

function describeDevice(log: DeviceResyncLog): string {
  const parts: string[] = [];
  if (log.attachBits.length > 0) parts.push(`attached with ${log.attachBits.join('/')} bits out of sync`);
  for (const h of log.handshakes) {
    parts.push(`handshake${h.peer ? ` with ${h.peer}` : ''}: uuid_compare()=${h.compare ?? '?'} by rule ${h.rule ?? '?'}, bits ${h.selfBits ?? '?'}/${h.peerBits ?? '?'}`);
  }
  if (log.fullSyncLines.length > 0) parts.push('whole bitmap set (full sync required)');
  for (const r of log.resyncs) parts.push(`began resync as ${r.as}${r.peer ? ` to ${r.peer}` : ''}: ${r.kib} KB [${r.bits} bits]`);
  if (log.doneLines.length > 0) parts.push(`${log.doneLines.length} resync done`);
  return parts.length > 0 ? parts.join('; ') : `no lines of drbd${log.minor}`;
}

/**
 * A bitmap-based resync (or none) of less than `limitKiB`; otherwise a ResyncAmountError (a
 * product failure) naming the amount and what each node logged.
 */
export function assertBitmapResync(resource: string, v: ResyncVerdict, limitKiB: number, after?: string): void {
  if (v.kind === 'full' || v.kib >= limitKiB) throw new ResyncAmountError(resource, v.kib, v.kind === 'full', limitKiB, v.summary, after);
}

/**
 * drbdmeta's `apply-al` (run by `drbdadm up`/`attach` on a node that crashed as Primary) prints
 * `Marked additional 1024 MB as out-of-sync based on AL.`: the activity log's extents, resynced
 * from the peer because the crash may have left them half written. KiB, or null when not printed.
 */
export function alMarkedKiB(output: string): number | null {
  const m = /Marked additional (\d+) ([KMG])B as out-of-sync based on AL\./u.exec(output);
  if (!m) return null;
  return Number(m[1]) * { K: 1, M: 1024, G: 1024 * 1024 }[m[2] as 'K' | 'M' | 'G'];
}
