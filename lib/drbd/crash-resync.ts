// What a primary that lost power may resync when it rejoins, as bounds derived from its
// configuration and from what its peer wrote alone. At attach, drbdmeta's apply-al marks every
// extent the crashed primary's activity log held (at most al-extents × 4 MiB; its bitmap was
// clean while connected); the survivor's bitmap holds what it wrote while degraded. The resync
// copies the union of both bitmaps: at least the larger, at most the sum.
import { AL_EXTENT_KIB, type ResyncVerdict } from './resync-log.js';

/** One bitmap bit covers 4 KiB (BM_BLOCK_SIZE, 8.4 and 9). */
const BIT_KIB = 4;
const BITS_PER_EXTENT = AL_EXTENT_KIB / BIT_KIB;

export interface CrashResyncFacts {
  /** al-extents the resource is configured with. */
  alExtents: number;
  /** drbdadm up's `Marked additional N MB as out-of-sync based on AL.` (KiB, rounded down as drbdmeta prints it). */
  alMarkedKiB: number;
  /** The crashed node's bits out of sync at attach (`… (N bits) marked out-of-sync by on disk bit-map.`). */
  targetAttachBits: number;
  /** The survivor's own bits at the sync handshake (`self … bits:N`): what it wrote alone. */
  sourceOwnBits: number;
  /** What both nodes' kernel logs say about the resync. */
  verdict: ResyncVerdict;
}

export interface CrashResyncBounds {
  /** al-extents × 4 MiB: the most the activity log can mark. */
  alMaxKiB: number;
  /** The union of both bitmaps is at least the larger one… */
  minKiB: number;
  /** …and at most their sum. */
  maxKiB: number;
}

export function crashResyncBounds(f: CrashResyncFacts): CrashResyncBounds {
  return {
    alMaxKiB: f.alExtents * AL_EXTENT_KIB,
    minKiB: Math.max(f.targetAttachBits, f.sourceOwnBits) * BIT_KIB,
    maxKiB: (f.targetAttachBits + f.sourceOwnBits) * BIT_KIB,
  };
}

/** What is wrong with the resync after a crashed primary's return; empty when it is as the configuration bounds it. */
export function crashResyncProblems(f: CrashResyncFacts): string[] {
  const b = crashResyncBounds(f);
  const problems: string[] = [];
  if (f.alMarkedKiB > b.alMaxKiB) problems.push(`the activity log marked ${f.alMarkedKiB} KB out of sync, more than al-extents ${f.alExtents} × 4 MiB = ${b.alMaxKiB} KB`);
  if (f.targetAttachBits > f.alExtents * BITS_PER_EXTENT) {
    problems.push(`the crashed node attached with ${f.targetAttachBits} bits (${f.targetAttachBits * BIT_KIB} KB) out of sync, more than its activity log covers (${b.alMaxKiB} KB)`);
  }
  if (f.verdict.kind === 'full') problems.push(`a full resync of ${f.verdict.kib} KB (the whole device), not one of the bitmaps`);
  if (f.verdict.kind === 'none') problems.push(`no resync after the crash, though the activity log marked ${f.alMarkedKiB} KB`);
  if (f.verdict.kib > b.maxKiB) problems.push(`resync of ${f.verdict.kib} KB, more than the crashed node's ${f.targetAttachBits} bits and the survivor's ${f.sourceOwnBits} bits together (${b.maxKiB} KB)`);
  if (f.verdict.kib < b.minKiB) problems.push(`resync of ${f.verdict.kib} KB, less than the ${b.minKiB} KB one of the bitmaps alone held`);
  return problems;
}
