// Which package sets the run history still needs: the store (lib/image/package-store.ts) never
// prunes the set of a profile's last green run (what a red run is compared with, and what a
// downgrade goes back to) nor the set of its newest run.

import { prunePackageStore } from '../image/package-store.js';
import type { Cancellation } from './classify.js';
import { lineName, sameLine, type RunLine } from '../image/variant.js';
import { readVersionsHistory, type VersionsEntry } from './versions.js';

/** A run is green when it was not cancelled, something passed, and nothing failed, broke or is unknown. */
export function isGreen(stats: Partial<Record<string, number>> & { total: number }, cancelled?: Cancellation): boolean {
  if (cancelled || stats.total === 0) return false;
  return (stats.passed ?? 0) > 0 && !stats.failed && !stats.broken && !stats.unknown;
}

/** Per line (a profile, or one variant of it), the newest run's set and the last green run's set (runs that recorded one). */
export function protectedPackageSets(entries: readonly VersionsEntry[]): (RunLine & { newest?: string; lastGreen?: string })[] {
  const out = new Map<string, RunLine & { newest?: string; lastGreen?: string }>();
  for (const e of entries) {
    if (!e.packageSet) continue;
    const key = lineName(e);
    const p = out.get(key) ?? { profile: e.profile, ...(e.variant ? { variant: e.variant } : {}) };
    p.newest = e.packageSet;
    if (e.green) p.lastGreen = e.packageSet;
    out.set(key, p);
  }
  return [...out.values()];
}

/** After a run is recorded in `versionsHistory`: keep the package store under its bound. */
export async function prunePackagesAfterRun(versionsHistory: string, maxBytes: number, /** The store (packagesRoot of the run's cache). */ root: string): Promise<{ sets: string[]; debs: number; bytes: number }> {
  const { entries } = await readVersionsHistory(versionsHistory);
  const protect = protectedPackageSets(entries).flatMap((p) => [p.newest, p.lastGreen]);
  return prunePackageStore({ root, maxBytes, protect });
}

/** Prune after a recorded run and say so when something went; what a run's report hand-off calls. */
export async function prunePackages(versionsHistory: string, maxBytes: number, store: string, log: (m: string) => void): Promise<void> {
  const p = await prunePackagesAfterRun(versionsHistory, maxBytes, store);
  if (p.sets.length || p.debs) log(`package store: pruned ${p.sets.length} sets, ${p.debs} debs (${(p.bytes / 1024 ** 2).toFixed(0)} MiB)`);
}

/**
 * The set a red run is compared with: its line's last green run's (the same profile and variant:
 * a plain run never goes back to a proposed-updates run's set), when that is another set than the
 * red run's; otherwise why there is nothing to follow up (one line).
 */
export function lastGreenSetFor(entries: readonly VersionsEntry[], line: RunLine, redSet: string | undefined): { good: string } | { skip: string } {
  if (!redSet) return { skip: "this run's image kept no package set: nothing to compare" };
  const lastGreen = protectedPackageSets(entries).find((p) => sameLine(p, line))?.lastGreen;
  const name = lineName(line);
  if (!lastGreen) return { skip: `no green run of ${name} with a kept package set yet: nothing to compare` };
  if (lastGreen === redSet) return { skip: `the last green run of ${name} had this same package set: no update to name` };
  return { good: lastGreen };
}
