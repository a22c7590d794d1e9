// The snapshot cache: <cache>/snapshots/<profile>-<point>-<digest16>/, content-addressed, bounded
// in size, least recently used pruned first. A folder appears only complete (built under a
// scratch name and renamed), as images do.
import { existsSync } from 'node:fs';
import { readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProfileName } from '../image/profile-names.js';
import type { BaseImage } from '../image/profile.js';
import { removeTree } from '../image/remove-tree.js';
import type { Accel, KvmCpu } from '../libvirt/domain-xml.js';
import type { LabConfig } from '../config/lab-schema.js';
import type { SavedNode } from '../lab/lab-starter.js';
import { snapshotDirName, type SnapshotInputs } from './identity.js';

/** One node of a snapshot: what its saved guest already is. */
export type SnapshotNode = SavedNode;

/** manifest.json of a snapshot folder. */
export interface SnapshotManifest {
  digest: string;
  inputs: SnapshotInputs;
  createdAt: string;
  profile: ProfileName;
  point: string;
  accel: Accel;
  cpu?: KvmCpu;
  /** The base image the root disks' backing chain ends in (and how to boot it). */
  image: BaseImage;
  versions: Record<string, string>;
  config: LabConfig;
  user: string;
  nodes: SnapshotNode[];
  /** How long it took to make (seconds): fresh up or restore, steps, save. */
  timings: Record<string, number>;
}

export function snapshotPaths(dir: string) {
  return {
    dir,
    manifest: join(dir, 'manifest.json'),
    userKey: join(dir, 'keys', 'id_ed25519'),
    lastUsed: join(dir, 'last-used'),
    nodeDir: (node: string) => join(dir, 'nodes', node),
    rootDisk: (node: string) => join(dir, 'nodes', node, 'root.qcow2'),
    dataDisk: (node: string) => join(dir, 'nodes', node, 'data.qcow2'),
    seedIso: (node: string) => join(dir, 'nodes', node, 'seed.iso'),
    memory: (node: string) => join(dir, 'nodes', node, 'memory.save'),
  };
}

/** `root`: the snapshot cache (the run's Config.paths.snapshots). */
export function snapshotDir(root: string, profile: ProfileName, point: string, digest: string): string {
  return join(root, snapshotDirName(profile, point, digest));
}

/** A complete snapshot folder whose base image is still there, or nothing. */
export async function readSnapshot(dir: string): Promise<SnapshotManifest | undefined> {
  const p = snapshotPaths(dir);
  if (!existsSync(p.manifest)) return undefined;
  const m = JSON.parse(await readFile(p.manifest, 'utf8')) as SnapshotManifest;
  return existsSync(m.image.disk) ? m : undefined;
}

export async function markUsed(dir: string): Promise<void> {
  const f = snapshotPaths(dir).lastUsed;
  const now = new Date();
  await writeFile(f, now.toISOString()).catch(() => undefined);
  await utimes(f, now, now).catch(() => undefined);
}

async function sizeOf(path: string): Promise<number> {
  const s = await stat(path);
  if (!s.isDirectory()) return s.blocks * 512;
  let total = 0;
  for (const e of await readdir(path)) total += await sizeOf(join(path, e));
  return total;
}

export interface CachedSnapshot {
  dir: string;
  bytes: number;
  lastUsed: number;
  complete: boolean;
}

export async function listSnapshots(root: string): Promise<CachedSnapshot[]> {
  if (!existsSync(root)) return [];
  const out: CachedSnapshot[] = [];
  for (const name of await readdir(root)) {
    if (name.includes('.building-') || name.endsWith('.lock')) continue;
    const dir = join(root, name);
    // Only snapshot folders: whatever else lies here is not the cache's to remove.
    if (!(await stat(dir)).isDirectory()) continue;
    const p = snapshotPaths(dir);
    const used = await stat(p.lastUsed).catch(() => stat(dir));
    out.push({ dir, bytes: await sizeOf(dir), lastUsed: used.mtimeMs, complete: (await readSnapshot(dir)) !== undefined });
  }
  return out;
}

/**
 * Keep the cache under its bound: incomplete ones (base image gone) first, then the least
 * recently used; the snapshots named in `keep` (in use by this run) stay whatever their size.
 */
export async function pruneSnapshots(opts: { keep?: string[]; /** The bound: the run's DRBDLAB_SNAPSHOT_CACHE_GIB, in bytes. */ maxBytes: number; /** The snapshot cache (the run's Config.paths.snapshots). */ root: string }): Promise<string[]> {
  const max = opts.maxBytes;
  const keep = new Set(opts.keep ?? []);
  const all = await listSnapshots(opts.root);
  const removed: string[] = [];
  const order = [...all].sort((a, b) => Number(a.complete) - Number(b.complete) || a.lastUsed - b.lastUsed);
  let total = all.reduce((s, x) => s + x.bytes, 0);
  for (const s of order) {
    if (keep.has(s.dir)) continue;
    if (s.complete && total <= max) break;
    await removeTree(s.dir);
    removed.push(s.dir);
    total -= s.bytes;
  }
  // A lock whose holder was killed (SIGKILL) stays beside a snapshot never made: the holder
  // touches it every 15 s, so one untouched this long has none.
  const root = opts.root;
  if (existsSync(root)) {
    for (const name of await readdir(root)) {
      if (!name.endsWith('.lock')) continue;
      const lock = join(root, name);
      if (Date.now() - (await stat(lock)).mtimeMs < ABANDONED_LOCK_MS) continue;
      await removeTree(lock);
      removed.push(lock);
    }
  }
  return removed;
}

/** A snapshot lock untouched this long has no holder (proper-lockfile refreshes it every 15 s). */
export const ABANDONED_LOCK_MS = 10 * 60_000;
