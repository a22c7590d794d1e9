// An image's package set: every binary package it has installed, as the exact .deb file it was
// installed from (kept in the package store, lib/image/package-store.ts). Pure functions: the
// manifest from dpkg's outputs, its identity, and the difference of two sets by source package
// (what a red run after a green one points at, and what a downgrade layer would put back).

import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

/** One installed binary package and the .deb it came from. */
export interface PackageEntry {
  package: string;
  version: string;
  arch: string;
  /** The source package it was built from (the binary's own name when dpkg names none). */
  source: string;
  sourceVersion: string;
  /** The archive suite its version came from (`bookworm-security`), `local`, or absent when unknown. */
  suite?: string;
  sha256: string;
  size: number;
}

/** `<image>/packages.json` and `<cache>/packages/sets/<id>.json`. */
export interface PackageSetManifest {
  /** sha256 of the entries' (package, version, arch, sha256): the same debs, the same id. */
  id: string;
  profile: string;
  createdAt: string;
  /** The set this one was made from by an upgrade layer (its base image's set). */
  layeredOn?: string;
  entries: PackageEntry[];
  /** Installed packages no kept .deb answers for (`package version arch`): the set is incomplete. */
  missing?: string[];
}

/** A .deb's control fields as `dpkg-deb -f <file> Package Version Architecture Source` prints them. */
export interface DebFields {
  package: string;
  version: string;
  arch: string;
  source: string;
  sourceVersion: string;
}

/** `Field: value` lines (continuation lines folded away) → field → value. */
function controlFields(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z][A-Za-z0-9-]*):\s*(.*)$/u.exec(line);
    if (m) out.set(m[1]!.toLowerCase(), m[2]!.trim());
  }
  return out;
}

/**
 * A .deb's identity from `dpkg-deb -f`. `Source:` is absent when the source is named like the
 * binary, `src` when only the name differs, `src (ver)` when the version differs too (binNMUs).
 */
export function parseDebFields(text: string, file = 'a .deb'): DebFields {
  const f = controlFields(text);
  const [pkg, version, arch] = [f.get('package'), f.get('version'), f.get('architecture')];
  if (!pkg || !version || !arch) throw new Error(`${file}: dpkg-deb -f gave no Package/Version/Architecture: ${JSON.stringify(text.slice(0, 200))}`);
  const src = /^(\S+)(?:\s+\((\S+)\))?$/u.exec(f.get('source') ?? '');
  return { package: pkg, version, arch, source: src?.[1] ?? pkg, sourceVersion: src?.[2] ?? version };
}

/** What dpkg lists as installed, for `INSTALLED_FORMAT`: a deb's fields, as dpkg's database has them. */
export type InstalledPackage = DebFields;

/**
 * dpkg-query -W -f with this format lists what is installed (half-removed ones too: filtered
 * below), with the source package and version dpkg derived from each one's `Source:` field.
 */
export const INSTALLED_FORMAT = '${Package}\\t${Version}\\t${Architecture}\\t${source:Package}\\t${source:Version}\\t${db:Status-Abbrev}\\n';

/** `dpkg-query -W -f INSTALLED_FORMAT` output → the installed packages (status `ii`), by name. */
export function parseInstalled(text: string): InstalledPackage[] {
  const out: InstalledPackage[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [pkg, version, arch, source, sourceVersion, status] = line.split('\t');
    if (!pkg || !version || !arch || !source || !sourceVersion || status === undefined) throw new Error(`dpkg-query: unexpected line ${JSON.stringify(line)}`);
    if (status.trim() === 'ii') out.push({ package: pkg, version, arch, source, sourceVersion });
  }
  return out.sort((a, b) => a.package.localeCompare(b.package));
}

/** How a binary package is named across sets: `name:arch` (the same name may come for two arches). */
const binaryKey = (p: { package: string; arch: string }) => `${p.package}:${p.arch}`;
const exactKey = (p: { package: string; version: string; arch: string }) => `${p.package}\t${p.version}\t${p.arch}`;

export function packageSetId(entries: readonly PackageEntry[]): string {
  const core = [...entries].map((e) => [e.package, e.version, e.arch, e.sha256]).sort((a, b) => a.join('\t').localeCompare(b.join('\t')));
  return createHash('sha256').update(canonicalJson(core)).digest('hex');
}

/**
 * The manifest of what is installed: each installed package's entry from the kept debs (by exact
 * package, version and arch), with its suite. A deb kept but not installed (apt downloaded a
 * version it then replaced) is left out; an installed package without a deb is `missing`.
 */
export function buildPackageSet(o: {
  profile: string;
  createdAt: string;
  installed: readonly InstalledPackage[];
  debs: readonly (DebFields & { sha256: string; size: number })[];
  suites: Readonly<Record<string, string>>;
  layeredOn?: string;
}): PackageSetManifest {
  const byKey = new Map(o.debs.map((d) => [exactKey(d), d]));
  const entries: PackageEntry[] = [];
  const missing: string[] = [];
  for (const p of o.installed) {
    const d = byKey.get(exactKey(p));
    if (!d) {
      missing.push(`${p.package} ${p.version} ${p.arch}`);
      continue;
    }
    const suite = o.suites[p.package];
    entries.push({ package: d.package, version: d.version, arch: d.arch, source: d.source, sourceVersion: d.sourceVersion, ...(suite ? { suite } : {}), sha256: d.sha256, size: d.size });
  }
  entries.sort((a, b) => binaryKey(a).localeCompare(binaryKey(b)));
  return {
    id: packageSetId(entries),
    profile: o.profile,
    createdAt: o.createdAt,
    ...(o.layeredOn ? { layeredOn: o.layeredOn } : {}),
    entries,
    ...(missing.length ? { missing } : {}),
  };
}

/**
 * The debs an upgrade layer's set is made of: what apt downloaded for the layer, and for what it
 * left alone the base set's entries (the layer's guest tree has only the new ones).
 */
export function layerDebs(base: PackageSetManifest, downloaded: readonly (DebFields & { sha256: string; size: number })[]): (DebFields & { sha256: string; size: number })[] {
  const fresh = new Set(downloaded.map(exactKey));
  return [...downloaded, ...base.entries.filter((e) => !fresh.has(exactKey(e)))];
}

/** One source package that differs between two sets, with its binaries on each side. */
export interface SourceChange {
  source: string;
  kind: 'changed' | 'added' | 'removed';
  /** Source versions on each side (several when binaries of one source are at different versions). */
  from: string[];
  to: string[];
  /** The binaries of this source that differ (version, arch or file), were added or removed. */
  binaries: { package: string; arch: string; from?: string; to?: string }[];
}

/**
 * `older` → `newer` by source package: a source is changed when any of its binaries differs
 * (version or .deb file), added/removed when it has binaries on one side only. Sorted by source.
 */
export function diffPackageSets(older: readonly PackageEntry[], newer: readonly PackageEntry[]): SourceChange[] {
  const group = (entries: readonly PackageEntry[]) => {
    const m = new Map<string, Map<string, PackageEntry>>();
    for (const e of entries) {
      if (!m.has(e.source)) m.set(e.source, new Map());
      m.get(e.source)!.set(binaryKey(e), e);
    }
    return m;
  };
  const a = group(older);
  const b = group(newer);
  const versions = (m: Map<string, PackageEntry> | undefined) => [...new Set([...(m?.values() ?? [])].map((e) => e.sourceVersion))].sort();
  const out: SourceChange[] = [];
  for (const source of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const from = a.get(source);
    const to = b.get(source);
    const binaries: SourceChange['binaries'] = [];
    for (const key of [...new Set([...(from?.keys() ?? []), ...(to?.keys() ?? [])])].sort()) {
      const x = from?.get(key);
      const y = to?.get(key);
      if (x && y && x.version === y.version && x.sha256 === y.sha256) continue;
      const e = (x ?? y)!;
      binaries.push({ package: e.package, arch: e.arch, ...(x ? { from: x.version } : {}), ...(y ? { to: y.version } : {}) });
    }
    if (binaries.length === 0) continue;
    out.push({ source, kind: !from ? 'added' : !to ? 'removed' : 'changed', from: versions(from), to: versions(to), binaries });
  }
  return out;
}

/** `drbd-utils 9.22.0-1 → 9.22.0-1+deb12u1 (drbd-utils)`, `foo added: 1.0 (foo, foo-data)`. */
export function formatSourceChange(c: SourceChange): string {
  const bins = c.binaries.map((b) => b.package).join(', ');
  if (c.kind === 'added') return `${c.source} added: ${c.to.join('/')} (${bins})`;
  if (c.kind === 'removed') return `${c.source} removed (was ${c.from.join('/')}; ${bins})`;
  return `${c.source} ${c.from.join('/')} → ${c.to.join('/')} (${bins})`;
}
