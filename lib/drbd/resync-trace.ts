import type { DrbdEvent } from './events2.js';

/**
 * What an `events2` stream, watched from before `primary --force`, shows of one resync.
 * Polling status afterwards can miss a resync that ends in a second (DRBD 8.4 syncs 1 GiB
 * during mkfs); the stream cannot, so a scenario can require the SyncSource state, not infer it.
 */
export interface ResyncTrace {
  /** `exists -` seen: the watcher had dumped the state it started from. */
  armed: boolean;
  /** Index (in the events) of the first `replication:SyncSource` after the initial dump, or -1. */
  syncSourceAt: number;
  /** Index of the first Established + UpToDate/UpToDate after that SyncSource, or -1. */
  finishedAt: number;
  /** Index of an Established + UpToDate/UpToDate reached with no SyncSource before it, or -1. */
  settledWithoutSyncAt: number;
  /** `done:` values seen while syncing (DRBD 9 prints them; 8.4's events2 does not). */
  donePercent: number[];
  /** `out-of-sync:` KiB seen while syncing (`--statistics`; 8.4 and 9). */
  outOfSyncKiB: number[];
  /** Progress going backwards: `done:` falling or `out-of-sync:` growing during the sync. */
  regressions: string[];
  /** Events the kernel dropped (`- skipped N`): a state may be missing from the stream. */
  skipped: number;
}

const SYNC_STATES = new Set(['SyncSource', 'PausedSyncS']);

/** Follow one resource's (single-peer, volume 0) states through the stream. */
export function traceResync(events: readonly DrbdEvent[], resource: string): ResyncTrace {
  const trace: ResyncTrace = {
    armed: false, syncSourceAt: -1, finishedAt: -1, settledWithoutSyncAt: -1,
    donePercent: [], outOfSyncKiB: [], regressions: [], skipped: 0,
  };
  let disk: string | undefined;
  let replication: string | undefined;
  let peerDisk: string | undefined;
  events.forEach((e, i) => {
    if (e.kind === 'skipped') {
      trace.skipped += e.count;
      return;
    }
    if (e.kind === 'initial-state-done') {
      trace.armed = true;
      return;
    }
    if (e.name !== resource) return;
    if (e.kind === 'device' && e.volume === 0 && e.disk !== undefined) disk = e.disk;
    if (e.kind !== 'peer-device' && e.kind !== 'device') return;
    if (e.kind === 'peer-device' && e.volume === 0) {
      if (e.replication !== undefined) replication = e.replication;
      if (e.peerDisk !== undefined) peerDisk = e.peerDisk;
      // The initial dump is the state before the watch: a sync already running then was not seen
      // starting. Only an event that itself names SyncSource is the start (DRBD 9's progress
      // events of a running sync name no replication state).
      if (trace.armed && trace.syncSourceAt < 0 && e.replication === 'SyncSource') trace.syncSourceAt = i;
      if (trace.syncSourceAt >= 0 && trace.finishedAt < 0 && SYNC_STATES.has(replication ?? '')) progress(trace, e.donePercent, e.props['out-of-sync']);
    }
    const settled = replication === 'Established' && disk === 'UpToDate' && peerDisk === 'UpToDate';
    if (!settled || !trace.armed) return;
    if (trace.syncSourceAt >= 0 && trace.finishedAt < 0) trace.finishedAt = i;
    if (trace.syncSourceAt < 0 && trace.settledWithoutSyncAt < 0) trace.settledWithoutSyncAt = i;
  });
  return trace;
}

function progress(trace: ResyncTrace, done: number | undefined, outOfSync: string | undefined): void {
  if (done !== undefined) {
    const last = trace.donePercent.at(-1);
    if (last !== undefined && done < last) trace.regressions.push(`done: ${last} then ${done}`);
    trace.donePercent.push(done);
  }
  if (outOfSync !== undefined && /^\d+$/u.test(outOfSync)) {
    const kib = Number(outOfSync);
    const last = trace.outOfSyncKiB.at(-1);
    if (last !== undefined && kib > last) trace.regressions.push(`out-of-sync: ${last} then ${kib} KiB`);
    trace.outOfSyncKiB.push(kib);
  }
}

/** One line for a timeout or failure message. */
export function describeTrace(t: ResyncTrace): string {
  if (!t.armed) return 'watcher has not dumped its initial state yet';
  const parts = [
    t.syncSourceAt >= 0 ? `SyncSource at event #${t.syncSourceAt + 1}` : 'no SyncSource',
    t.finishedAt >= 0 ? `Established UpToDate/UpToDate at event #${t.finishedAt + 1}` : 'not finished',
  ];
  if (t.settledWithoutSyncAt >= 0) parts.push(`UpToDate/UpToDate without a sync at event #${t.settledWithoutSyncAt + 1}`);
  if (t.skipped > 0) parts.push(`${t.skipped} events skipped`);
  return parts.join(', ');
}

/**
 * What an `events2 --statistics` stream armed after a state change shows (after a boot, say):
 * the state it found in its initial dump, what it saw since, and when the resource settled.
 * Unlike traceResync it cannot prove a resync ran (it may have ended before the watcher started);
 * it shows what was still out of sync when it looked, and how much was sent or received so far.
 */
export interface SettleTrace {
  armed: boolean;
  /** Volume 0 as the initial dump showed it. */
  initial: { replication?: string; disk?: string; peerDisk?: string; outOfSyncKiB?: number; sentKiB?: number; receivedKiB?: number };
  /** Index of the first event (the initial dump's end included) with Established + UpToDate/UpToDate, or -1. */
  settledAt: number;
  /** Largest `out-of-sync:` seen, dump and changes (KiB). */
  maxOutOfSyncKiB: number;
  /** Sync states (SyncSource, SyncTarget, WFBitMap…, Paused…) seen, in order, dump included. */
  syncStates: string[];
  skipped: number;
}

const kib = (v: string | undefined) => (v !== undefined && /^\d+$/u.test(v) ? Number(v) : undefined);

export function traceSettle(events: readonly DrbdEvent[], resource: string): SettleTrace {
  const t: SettleTrace = { armed: false, initial: {}, settledAt: -1, maxOutOfSyncKiB: 0, syncStates: [], skipped: 0 };
  let disk: string | undefined;
  let replication: string | undefined;
  let peerDisk: string | undefined;
  const check = (i: number) => {
    if (t.armed && t.settledAt < 0 && replication === 'Established' && disk === 'UpToDate' && peerDisk === 'UpToDate') t.settledAt = i;
  };
  events.forEach((e, i) => {
    if (e.kind === 'skipped') {
      t.skipped += e.count;
      return;
    }
    if (e.kind === 'initial-state-done') {
      t.armed = true;
      t.initial = { ...t.initial, replication, disk, peerDisk };
      check(i);
      return;
    }
    if (e.name !== resource) return;
    if (e.kind === 'device' && e.volume === 0 && e.disk !== undefined) disk = e.disk;
    if (e.kind === 'peer-device' && e.volume === 0) {
      if (e.replication !== undefined) {
        replication = e.replication;
        if (/^(Sync|PausedSync|WFBitMap)/u.test(replication) && t.syncStates.at(-1) !== replication) t.syncStates.push(replication);
      }
      if (e.peerDisk !== undefined) peerDisk = e.peerDisk;
      const oos = kib(e.props['out-of-sync']);
      if (oos !== undefined) t.maxOutOfSyncKiB = Math.max(t.maxOutOfSyncKiB, oos);
      if (!t.armed) {
        if (oos !== undefined) t.initial.outOfSyncKiB = oos;
        const sent = kib(e.props['sent']);
        const received = kib(e.props['received']);
        if (sent !== undefined) t.initial.sentKiB = sent;
        if (received !== undefined) t.initial.receivedKiB = received;
      }
    }
    check(i);
  });
  return t;
}

export function describeSettle(t: SettleTrace): string {
  if (!t.armed) return 'watcher has not dumped its initial state yet';
  const i = t.initial;
  const parts = [
    `found ${i.replication ?? '?'} ${i.disk ?? '?'}/${i.peerDisk ?? '?'}, out-of-sync ${i.outOfSyncKiB ?? '?'} KiB, sent ${i.sentKiB ?? '?'} KiB, received ${i.receivedKiB ?? '?'} KiB`,
    t.syncStates.length > 0 ? `sync states seen: ${t.syncStates.join(' → ')}` : 'no sync state seen',
    `max out-of-sync ${t.maxOutOfSyncKiB} KiB`,
    t.settledAt >= 0 ? `Established UpToDate/UpToDate at event #${t.settledAt + 1}` : 'not settled',
  ];
  if (t.skipped > 0) parts.push(`${t.skipped} events skipped`);
  return parts.join(', ');
}
