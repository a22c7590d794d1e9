// `npm run lab -- packages`: the package store's sets (lib/image/package-store.ts), their size
// on disk and what they share; --prune keeps it under its bound as a recorded run would;
// --diff names the source packages that differ between two sets.

import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import type { Folders } from '../../paths.js';
import { diffPackageSets, formatSourceChange } from '../../image/package-set.js';
import { listStore, packagesRoot, readSet, type StoreListing } from '../../image/package-store.js';
import { prunePackagesAfterRun } from '../../report/package-set-runs.js';
import { VERSIONS_HISTORY_FILE } from '../../report/publish.js';

const mib = (b: number) => `${(b / 1024 ** 2).toFixed(0)} MiB`;

/** The listing as lines: one per set (newest use first), then the store's total. */
export function formatStore(l: StoreListing, maxBytes: number): string[] {
  const lines = l.sets.map(
    (s) => `${s.id.slice(0, 12)}  ${s.profile}  ${String(s.debs).padStart(4)} debs  ${mib(s.bytes).padStart(8)} (own ${mib(s.ownBytes)})  made ${s.createdAt}  last used ${new Date(s.lastUsed).toISOString()}`,
  );
  const named = l.sets.reduce((t, s) => t + s.bytes, 0);
  lines.push(`${l.sets.length} sets, ${l.debs} debs, ${mib(l.bytes)} on disk (${mib(named)} if each set had its own copies); bound ${mib(maxBytes)} (DRBDLAB_PACKAGE_CACHE_GIB)`);
  return lines;
}

async function setByPrefix(store: string, prefix: string) {
  const matches = (await listStore(store)).sets.filter((s) => s.id.startsWith(prefix));
  if (matches.length !== 1) throw new UsageError(`${prefix}: ${matches.length ? 'more than one set starts so: give more of its id' : 'no such package set'} (npm run lab -- packages lists them)`);
  return (await readSet(store, matches[0]!.id))!;
}

/** `maxBytes`: the store's bound, the run's DRBDLAB_PACKAGE_CACHE_GIB; `folders`: the run's (the store is in its cache, the runs' record in its reports). */
export async function packagesCommand(o: { prune?: boolean; diff?: string[]; maxBytes: number; folders: Pick<Folders, 'cache' | 'reports'> }, log: (line: string) => void): Promise<void> {
  const store = packagesRoot(o.folders.cache);
  if (o.diff) {
    const [older, newer] = await Promise.all(o.diff.map((d) => setByPrefix(store, d)));
    const changes = diffPackageSets(older!.entries, newer!.entries);
    log(`${older!.id.slice(0, 12)} → ${newer!.id.slice(0, 12)}: ${changes.length} source packages differ`);
    for (const c of changes) log(`  ${formatSourceChange(c)}`);
    return;
  }
  if (o.prune) {
    const r = await prunePackagesAfterRun(join(o.folders.reports, 'history', VERSIONS_HISTORY_FILE), o.maxBytes, store);
    for (const id of r.sets) log(`removed set ${id}`);
    log(`pruned ${r.sets.length} sets, ${r.debs} debs (${mib(r.bytes)})`);
  }
  for (const line of formatStore(await listStore(store), o.maxBytes)) log(line);
}
