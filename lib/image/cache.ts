import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { currentOwner } from '../host/owner.js';
import { removeTree } from './remove-tree.js';
import { join } from 'node:path';
import type { UpstreamDigest } from './upstream-state.js';

import { canonicalJson } from './canonical-json.js';
export { canonicalJson };

export function recipeDigest(recipe: unknown): string {
  return createHash('sha256').update(canonicalJson(recipe)).digest('hex');
}

export interface CachedImage {
  dir: string;
  /** The image's identity: recipe digest + upstream state (images made before: the recipe digest). */
  digest: string;
  /** The recipe alone (absent in images made before identities had upstreams: then `digest`). */
  recipeDigest?: string;
  /** What the upstreams were when it was built. */
  upstreams?: UpstreamDigest[];
  builtAt?: string;
  /** An upgrade layer: the identity of the full build it was made from (debian12-layer.ts). */
  layeredOn?: string;
  disk: string;
  kernel?: string;
  initrd?: string;
  versions: Record<string, string>;
  /** Package → the archive suite its installed version came from (`kernel`: the booted kernel's). */
  origins?: Record<string, string>;
  /** The id of its package set (lib/image/package-store.ts; absent in images made before sets were kept). */
  packageSet?: string;
  /** The variant it was built for (lib/image/variant.ts); absent: the plain profile. */
  variant?: string;
}

/** The images' folder of a cache (the run's Config.paths.cache). */
export const imagesIn = (cache: string): string => join(cache, 'images');

export function imageDir(cache: string, profile: string, digest: string): string {
  return join(imagesIn(cache), `${profile}-${digest.slice(0, 16)}`);
}

export async function readCachedImage(cache: string, profile: string, digest: string): Promise<CachedImage | undefined> {
  const dir = imageDir(cache, profile, digest);
  const manifest = join(dir, 'manifest.json');
  if (!existsSync(manifest)) return undefined;
  return { dir, ...(JSON.parse(await readFile(manifest, 'utf8')) as Omit<CachedImage, 'dir'>) };
}

/** The image folders of a profile that hold a complete image (manifest written), any recipe. */
export async function listCachedImages(cache: string, profile: string): Promise<CachedImage[]> {
  const root = imagesIn(cache);
  const names = (await readdir(root).catch(() => [] as string[])).filter((n) => new RegExp(`^${profile}-[0-9a-f]{16}$`).test(n));
  const images = await Promise.all(
    names.map(async (n) => {
      const dir = join(root, n);
      const text = await readFile(join(dir, 'manifest.json'), 'utf8').catch(() => undefined);
      return text ? { dir, ...(JSON.parse(text) as Omit<CachedImage, 'dir'>) } : undefined;
    }),
  );
  return images.filter((i): i is CachedImage => !!i);
}

/** The recipe an image was built from (older manifests: their digest was the recipe's). */
export const recipeOf = (img: Pick<CachedImage, 'digest' | 'recipeDigest'>): string => img.recipeDigest ?? img.digest;

/** When an image was built: its manifest says so, else the manifest's mtime. */
async function builtTime(img: CachedImage): Promise<number> {
  if (img.builtAt) return Date.parse(img.builtAt);
  return (await stat(join(img.dir, 'manifest.json'))).mtimeMs;
}

/** The newest image built from this recipe, whatever the upstreams were then (--offline). */
export async function newestImageOfRecipe(cache: string, profile: string, recipe: string): Promise<CachedImage | undefined> {
  const mine = (await listCachedImages(cache, profile)).filter((i) => recipeOf(i) === recipe);
  const timed = await Promise.all(mine.map(async (i) => ({ i, t: await builtTime(i) })));
  return timed.sort((a, b) => b.t - a.t)[0]?.i;
}

/** What a run's report says of its image: identity, build time, the upstream state it was built from. */
export async function imageRecord(dir: string): Promise<{ identity: string; builtAt?: string; upstreams?: UpstreamDigest[]; packageSet?: string } | undefined> {
  const text = await readFile(join(dir, 'manifest.json'), 'utf8').catch(() => undefined);
  if (!text) return undefined;
  const m = JSON.parse(text) as Omit<CachedImage, 'dir'>;
  return { identity: m.digest, ...(m.builtAt ? { builtAt: m.builtAt } : {}), ...(m.upstreams ? { upstreams: m.upstreams } : {}), ...(m.packageSet ? { packageSet: m.packageSet } : {}) };
}

export const LAST_USED_FILE = 'last-used';

/** Stamp an image as used now: pruning spares what a run picked recently. */
export async function markUsed(dir: string, now = new Date()): Promise<void> {
  await writeFile(join(dir, LAST_USED_FILE), `${now.toISOString()}\n`).catch(() => undefined);
}

/**
 * Build into a scratch folder and rename it into place only when complete, so an
 * interrupted or failed build leaves nothing half-created in the cache.
 */
export async function buildAtomically(
  finalDir: string,
  build: (scratch: string) => Promise<void>,
): Promise<void> {
  // pid and start time name the builder, so the reaper can remove the folder of a killed build.
  const me = currentOwner();
  const scratch = `${finalDir}.building-${me.pid}-${me.startTime}`;
  await removeTree(scratch);
  await mkdir(scratch, { recursive: true });
  try {
    await build(scratch);
    await removeTree(finalDir);
    await rename(scratch, finalDir);
  } catch (err) {
    await removeTree(scratch);
    throw err;
  }
}
