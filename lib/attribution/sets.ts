// The package set of a probe and the layer that makes it, pure. A probe's set is the last green
// set with the updates of some source packages applied (each source's changed binaries taken
// from the red set); the layer that makes it on an image of another set installs the .debs that
// differ and removes the packages the target has not — an upgrade or a downgrade alike.

import { packageSetId, type PackageEntry, type SourceChange } from '../image/package-set.js';

const key = (e: { package: string; arch: string }) => `${e.package}:${e.arch}`;

/**
 * The green set with the updates of `applied` (source names) taken from the red set: each
 * changed binary of those sources as the red set has it, or gone where the red set has it not.
 */
export function probeEntries(good: readonly PackageEntry[], bad: readonly PackageEntry[], changes: readonly SourceChange[], applied: readonly string[]): PackageEntry[] {
  const out = new Map(good.map((e) => [key(e), e]));
  const badByKey = new Map(bad.map((e) => [key(e), e]));
  const on = new Set(applied);
  const moved = changes.filter((c) => on.has(c.source)).flatMap((c) => c.binaries);
  // Removals first: a binary that moved to an applied source from one not applied is then set again.
  for (const b of moved) if (b.from !== undefined && b.to === undefined) out.delete(key(b));
  for (const b of moved) {
    if (b.to === undefined) continue;
    const e = badByKey.get(key(b));
    if (e) out.set(key(b), e);
  }
  return [...out.values()].sort((a, b) => key(a).localeCompare(key(b)));
}

/** The id a probe's set has (the same as the green or red set's id when it is one of them). */
export const probeSetId = (entries: readonly PackageEntry[]): string => packageSetId(entries);

export interface LayerSteps {
  /** Entries to install from the store (new, or another version or file than the base has). */
  install: PackageEntry[];
  /** Binary packages (`name:arch`) the base has and the target has not. */
  remove: string[];
}

/** What turns an image of set `base` into set `target`. Empty both: the base image is the target. */
export function layerSteps(base: readonly PackageEntry[], target: readonly PackageEntry[]): LayerSteps {
  const have = new Map(base.map((e) => [key(e), e]));
  const want = new Set(target.map(key));
  const install = target.filter((e) => {
    const h = have.get(key(e));
    return !h || h.version !== e.version || h.sha256 !== e.sha256;
  });
  const remove = base.filter((e) => !want.has(key(e))).map(key).sort();
  return { install: [...install].sort((a, b) => key(a).localeCompare(key(b))), remove };
}
