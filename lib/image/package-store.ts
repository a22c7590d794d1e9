// The package store: <cache>/packages/debs/<sha256>.deb, each .deb once whatever the number of
// images that installed it (most of two sets are the same files), and sets/<id>.json, the
// manifest of each set (lib/image/package-set.ts). Bounded in size like the snapshot cache:
// least recently used sets go first, never a protected one (the profile's last green run's set,
// the newest run's: whoever records runs names them), then the debs no set names any more.

import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../exec/run.js';
import { parseAptPolicyOrigins } from './apt-policy.js';
import { parseDebFileName } from './pinning.js';
import { buildPackageSet, layerDebs, parseDebFields, parseInstalled, type DebFields, type PackageSetManifest } from './package-set.js';

/** A deb no set names is left this long: a build running now may be about to name it. */
const ORPHAN_GRACE_MS = 60 * 60_000;

/** The file of a set's manifest next to its image. */
export const IMAGE_SET_FILE = 'packages.json';

/** The store's folder in a cache (the run's Config.paths.cache). */
export function packagesRoot(cache: string): string {
  return join(cache, 'packages');
}

const debsDir = (root: string) => join(root, 'debs');
const setsDir = (root: string) => join(root, 'sets');
export const debPathIn = (root: string, sha256: string) => join(debsDir(root), `${sha256}.deb`);
const setFile = (root: string, id: string) => join(setsDir(root), `${id}.json`);
const lastUsedFile = (root: string, id: string) => join(setsDir(root), `${id}.last-used`);

async function sha256Of(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Move `file` into the store under its sha256 (once: a deb already there stays, `file` goes).
 * Written under a temporary name and renamed, so the store never holds half a file.
 */
export async function putDeb(root: string, file: string): Promise<{ sha256: string; size: number }> {
  const sha256 = await sha256Of(file);
  const { size } = await stat(file);
  const dest = debPathIn(root, sha256);
  if (existsSync(dest)) {
    await rm(file, { force: true });
    return { sha256, size };
  }
  await mkdir(debsDir(root), { recursive: true });
  const tmp = `${dest}.part-${process.pid}`;
  try {
    await rename(file, tmp);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await copyFile(file, tmp);
    await rm(file, { force: true });
  }
  await rename(tmp, dest);
  return { sha256, size };
}

/** The fields of one .deb (a port: tests give the fields of their fixtures). */
export type ReadDebFields = (file: string) => Promise<DebFields>;

const dpkgDebFields: ReadDebFields = async (file) =>
  parseDebFields((await run('dpkg-deb', ['-f', file, 'Package', 'Version', 'Architecture', 'Source'])).stdout, file);

/**
 * Every .deb in `dir` into the store: its fields, sha256 and size. `dir` is left without them.
 * apt names a deb `<package>_<version>_<arch>.deb`: one so named after an installed package
 * takes that package's fields from dpkg's database; any other is asked (dpkg-deb -f) — one
 * process per deb costs seconds per set on a loaded host.
 */
export async function keepDebs(
  root: string,
  dir: string,
  installed: readonly DebFields[],
  readFields: ReadDebFields = dpkgDebFields,
): Promise<(DebFields & { sha256: string; size: number })[]> {
  const byKey = new Map(installed.map((p) => [`${p.package}\t${p.version}\t${p.arch}`, p]));
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.deb')).sort();
  const out: (DebFields & { sha256: string; size: number })[] = [];
  for (const f of files) {
    const named = parseDebFileName(f);
    const fields = (named && byKey.get(`${named.package}\t${named.version}\t${named.arch}`)) ?? (await readFields(join(dir, f)));
    out.push({ ...fields, ...(await putDeb(root, join(dir, f))) });
  }
  return out;
}

/** Record a set in the store (a set already there keeps its manifest) and stamp it used. */
async function writeSet(root: string, set: PackageSetManifest): Promise<void> {
  await mkdir(setsDir(root), { recursive: true });
  const file = setFile(root, set.id);
  if (!existsSync(file)) {
    await writeFile(`${file}.part`, `${JSON.stringify(set, null, 2)}\n`);
    await rename(`${file}.part`, file);
  }
  await markSetUsed(root, set.id);
}

export async function readSet(root: string, id: string): Promise<PackageSetManifest | undefined> {
  const text = await readFile(setFile(root, id), 'utf8').catch(() => undefined);
  return text ? (JSON.parse(text) as PackageSetManifest) : undefined;
}

export async function markSetUsed(root: string, id: string, now = new Date()): Promise<void> {
  const f = lastUsedFile(root, id);
  await writeFile(f, `${now.toISOString()}\n`).catch(() => undefined);
  await utimes(f, now, now).catch(() => undefined);
}

/**
 * The exact .deb of (package, version, arch) in a set, as a path in the store; undefined when
 * the set has no such package or its file is gone (a later downgrade layer installs these).
 */
export function debOf(root: string, set: PackageSetManifest, want: { package: string; version: string; arch: string }): string | undefined {
  const e = set.entries.find((x) => x.package === want.package && x.version === want.version && x.arch === want.arch);
  if (!e) return undefined;
  const path = debPathIn(root, e.sha256);
  return existsSync(path) ? path : undefined;
}

export interface StoredSet {
  id: string;
  profile: string;
  createdAt: string;
  lastUsed: number;
  debs: number;
  /** Bytes of its debs (shared ones counted in every set that names them). */
  bytes: number;
  /** Of those, debs no other set names. */
  ownBytes: number;
}

export interface StoreListing {
  sets: StoredSet[];
  /** Bytes of every deb on disk, each counted once. */
  bytes: number;
  debs: number;
}

async function readAllSets(root: string): Promise<{ set: PackageSetManifest; lastUsed: number }[]> {
  const names = (await readdir(setsDir(root)).catch(() => [] as string[])).filter((n) => /^[0-9a-f]{64}\.json$/u.test(n));
  const out: { set: PackageSetManifest; lastUsed: number }[] = [];
  for (const n of names) {
    const id = n.slice(0, -'.json'.length);
    const set = await readSet(root, id);
    if (!set) continue;
    const used = await stat(lastUsedFile(root, id)).catch(() => stat(setFile(root, id)));
    out.push({ set, lastUsed: used.mtimeMs });
  }
  return out;
}

async function debsOnDisk(root: string): Promise<Map<string, { bytes: number; mtime: number }>> {
  const out = new Map<string, { bytes: number; mtime: number }>();
  for (const n of await readdir(debsDir(root)).catch(() => [] as string[])) {
    const m = /^([0-9a-f]{64})\.deb$/u.exec(n);
    if (!m) continue;
    const s = await stat(join(debsDir(root), n));
    out.set(m[1]!, { bytes: s.blocks * 512, mtime: s.mtimeMs });
  }
  return out;
}

export async function listStore(root: string): Promise<StoreListing> {
  const sets = await readAllSets(root);
  const disk = await debsOnDisk(root);
  const users = new Map<string, number>();
  for (const { set } of sets) for (const sha of new Set(set.entries.map((e) => e.sha256))) users.set(sha, (users.get(sha) ?? 0) + 1);
  const listed = sets.map(({ set, lastUsed }) => {
    const shas = [...new Set(set.entries.map((e) => e.sha256))].filter((s) => disk.has(s));
    return {
      id: set.id,
      profile: set.profile,
      createdAt: set.createdAt,
      lastUsed,
      debs: shas.length,
      bytes: shas.reduce((t, s) => t + disk.get(s)!.bytes, 0),
      ownBytes: shas.filter((s) => users.get(s) === 1).reduce((t, s) => t + disk.get(s)!.bytes, 0),
    };
  });
  return { sets: listed.sort((a, b) => b.lastUsed - a.lastUsed), bytes: [...disk.values()].reduce((t, d) => t + d.bytes, 0), debs: disk.size };
}

export interface PruneSetsOptions {
  /** The store (packagesRoot of the run's cache). */
  root: string;
  /** The bound (the run's DRBDLAB_PACKAGE_CACHE_GIB, in bytes). */
  maxBytes: number;
  /** Sets never pruned, whatever their size: the profile's last green run's and the newest run's. */
  protect?: readonly (string | undefined)[];
  now?: Date;
  orphanGraceMs?: number;
}

/**
 * Keep the store under its bound: debs no set names (a failed build's) once older than the
 * grace, then the least recently used sets but the protected ones, each with the debs only it
 * named. Returns the ids of the sets removed and how many debs went.
 */
export async function prunePackageStore(o: PruneSetsOptions): Promise<{ sets: string[]; debs: number; bytes: number }> {
  const root = o.root;
  const max = o.maxBytes;
  const protect = new Set(o.protect?.filter((x): x is string => !!x));
  const now = (o.now ?? new Date()).getTime();
  const grace = o.orphanGraceMs ?? ORPHAN_GRACE_MS;
  let remaining = await readAllSets(root);
  const disk = await debsOnDisk(root);
  let total = [...disk.values()].reduce((t, d) => t + d.bytes, 0);
  const removed = { sets: [] as string[], debs: 0, bytes: 0 };
  const drop = async (sha: string) => {
    await rm(debPathIn(root, sha), { force: true });
    total -= disk.get(sha)!.bytes;
    removed.bytes += disk.get(sha)!.bytes;
    removed.debs++;
    disk.delete(sha);
  };
  const named = () => new Set(remaining.flatMap(({ set }) => set.entries.map((e) => e.sha256)));
  const inSets = named();
  for (const [sha, d] of [...disk]) if (!inSets.has(sha) && now - d.mtime >= grace) await drop(sha);
  for (const { set } of [...remaining].sort((a, b) => a.lastUsed - b.lastUsed)) {
    if (total <= max) break;
    if (protect.has(set.id)) continue;
    remaining = remaining.filter((r) => r.set.id !== set.id);
    await rm(setFile(root, set.id), { force: true });
    await rm(lastUsedFile(root, set.id), { force: true });
    removed.sets.push(set.id);
    const still = named();
    for (const sha of new Set(set.entries.map((e) => e.sha256))) if (!still.has(sha) && disk.has(sha)) await drop(sha);
  }
  return removed;
}

/** What a build saw in its tree: the installed packages and apt-cache policy of them. */
export interface TreeListing {
  /** `dpkg-query -W -f INSTALLED_FORMAT` output. */
  installed: string;
  /** `apt-cache policy <every installed package>` output, with the build's package lists. */
  policy: string;
}

/**
 * Keep an image's package set: the debs in `debsDir` go into the store, the manifest (those
 * debs, or for a layer those plus the base set's it left alone) goes into the store and to
 * `<imageScratch>/packages.json`. Returns the manifest.
 */
export async function keepPackageSet(o: {
  /** The store (packagesRoot of the run's cache). */
  root: string;
  profile: string;
  debsDir: string;
  tree: TreeListing;
  imageScratch: string;
  base?: PackageSetManifest;
  readFields?: ReadDebFields;
  now?: Date;
}): Promise<PackageSetManifest> {
  const root = o.root;
  const installed = parseInstalled(o.tree.installed);
  const kept = await keepDebs(root, o.debsDir, installed, o.readFields);
  const set = buildPackageSet({
    profile: o.profile,
    createdAt: (o.now ?? new Date()).toISOString(),
    installed,
    debs: o.base ? layerDebs(o.base, kept) : kept,
    suites: parseAptPolicyOrigins(o.tree.policy),
    ...(o.base ? { layeredOn: o.base.id } : {}),
  });
  await writeSet(root, set);
  await writeFile(join(o.imageScratch, IMAGE_SET_FILE), `${JSON.stringify(set, null, 2)}\n`);
  return set;
}

/** The set next to an image (absent for images made before sets were kept). */
export async function readImageSet(imageDir: string): Promise<PackageSetManifest | undefined> {
  const text = await readFile(join(imageDir, IMAGE_SET_FILE), 'utf8').catch(() => undefined);
  return text ? (JSON.parse(text) as PackageSetManifest) : undefined;
}


