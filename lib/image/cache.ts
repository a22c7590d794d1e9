import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename } from 'node:fs/promises';
import { currentOwner } from '../host/owner.js';
import { removeTree } from './remove-tree.js';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Where a run leaves its reports; DRBDLAB_REPORTS gives two jobs on one host a folder each. */
export function reportsRoot(): string {
  return resolve(process.env.DRBDLAB_REPORTS ?? join(PROJECT_ROOT, 'reports'));
}

/** Images are cached content-addressed by recipe: same recipe, same folder, no rebuild. */
export function cacheRoot(): string {
  return resolve(process.env.DRBDLAB_CACHE ?? join(PROJECT_ROOT, '.cache'));
}

/** Stable JSON (sorted keys) so the digest depends on content only. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export function recipeDigest(recipe: unknown): string {
  return createHash('sha256').update(canonicalJson(recipe)).digest('hex');
}

export interface CachedImage {
  dir: string;
  digest: string;
  disk: string;
  kernel?: string;
  initrd?: string;
  versions: Record<string, string>;
}

export function imageDir(profile: string, digest: string): string {
  return join(cacheRoot(), 'images', `${profile}-${digest.slice(0, 16)}`);
}

export async function readCachedImage(profile: string, digest: string): Promise<CachedImage | undefined> {
  const dir = imageDir(profile, digest);
  const manifest = join(dir, 'manifest.json');
  if (!existsSync(manifest)) return undefined;
  return { dir, ...(JSON.parse(await readFile(manifest, 'utf8')) as Omit<CachedImage, 'dir'>) };
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
