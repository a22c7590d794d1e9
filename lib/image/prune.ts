// With upstream state in an image's identity, every archive update leaves an old image
// behind: after a build, the profile's other images go, unless something may still use them.
// Lab clones are copy-on-write overlays on the image, so "in use" is checked three ways: a
// process has a file of it open (QEMU holds its backing file), a lab state here names it, or a
// run picked it within the grace period (a lab cloned from it that has not started QEMU yet).

import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Folders } from '../paths.js';
import { LAST_USED_FILE, listCachedImages } from './cache.js';
import { removeTree } from './remove-tree.js';

const PRUNE_GRACE_MS = 60 * 60_000;

export interface PruneDeps {
  /** Every path some process has open, or undefined when not every process could be looked at. */
  openPaths?: () => Promise<Set<string> | undefined>;
  /** Image folders that lab states name. */
  labImageDirs?: () => Promise<string[]>;
  graceMs?: number;
  now?: Date;
}

export interface PruneResult {
  removed: string[];
  kept: { dir: string; why: string }[];
}

/** Open files of every process, from /proc/<pid>/fd; undefined if any was closed to us (not root). */
export async function openPathsOnHost(): Promise<Set<string> | undefined> {
  const paths = new Set<string>();
  const pids = (await readdir('/proc')).filter((p) => /^\d+$/.test(p));
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = await readdir(`/proc/${pid}/fd`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // the process ended meanwhile
      return undefined;
    }
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => undefined);
      if (target?.startsWith('/')) paths.add(target);
    }
  }
  return paths;
}

/**
 * The image folders the lab states here name. Read as bare JSON (only `image.dir` of the
 * LabState that lib/lab/state.ts writes to `<labs>/<id>/state.json`): images sit below labs, so
 * this room reads the file rather than importing the lab's code.
 */
export async function labImageDirsHere(root: string): Promise<string[]> {
  const ids = await readdir(root).catch(() => [] as string[]);
  const states = await Promise.all(
    ids.map(async (id) => JSON.parse(await readFile(join(root, id, 'state.json'), 'utf8').catch(() => 'null')) as { image?: { dir?: unknown } } | null),
  );
  return states.flatMap((s) => (typeof s?.image?.dir === 'string' ? [s.image.dir] : []));
}

async function lastUsed(dir: string): Promise<number> {
  for (const f of [LAST_USED_FILE, 'manifest.json']) {
    const s = await stat(join(dir, f)).catch(() => undefined);
    if (s) return s.mtimeMs;
  }
  return 0;
}

/**
 * Remove the profile's images other than `keep`, except those that may be in use. Only those of
 * the same variant (none: the plain profile's): a variant's build leaves the plain line's images
 * alone, and the other way round.
 */
export async function pruneImages(folders: Pick<Folders, 'cache' | 'state'>, profile: string, keep: string | readonly string[], deps: PruneDeps = {}, variant?: string): Promise<PruneResult> {
  const kept = new Set(typeof keep === 'string' ? [keep] : keep);
  const candidates = (await listCachedImages(folders.cache, profile))
    .filter((i) => (i.variant ?? '') === (variant ?? ''))
    .map((i) => i.dir)
    .filter((d) => !kept.has(d));
  const result: PruneResult = { removed: [], kept: [] };
  if (candidates.length === 0) return result;
  const open = await (deps.openPaths ?? openPathsOnHost)();
  const labDirs = new Set(await (deps.labImageDirs ?? (() => labImageDirsHere(folders.state)))());
  const now = (deps.now ?? new Date()).getTime();
  const grace = deps.graceMs ?? PRUNE_GRACE_MS;
  for (const dir of candidates) {
    const age = now - (await lastUsed(dir));
    let why: string | undefined;
    if (!open) why = 'not every process\'s open files can be seen (run as root to prune)';
    else if ([...open].some((p) => p.startsWith(`${dir}/`))) why = 'a process has it open (a running lab)';
    else if (labDirs.has(dir)) why = 'a lab here was cloned from it';
    else if (age < grace) why = `used ${Math.round(age / 60_000)} min ago`;
    if (why) result.kept.push({ dir, why });
    else {
      await removeTree(dir);
      result.removed.push(dir);
    }
  }
  return result;
}
