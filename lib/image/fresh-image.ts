// Which image a run uses: the one whose identity (recipe + upstream state now) is cached, or a
// build of it. Offline, the newest image of the recipe, whatever its upstreams were then.

import { UsageError } from '../errors.js';
import { imagesIn, markUsed, newestImageOfRecipe, readCachedImage, type CachedImage } from './cache.js';
import type { Folders } from '../paths.js';
import type { Progress } from './progress.js';
import { pruneImages, type PruneDeps } from './prune.js';
import { markSetUsed, packagesRoot } from './package-store.js';
import { imageIdentity, readUpstreamState, upstreamChanges, type FetchLike, type UpstreamCheck, type UpstreamDigest } from './upstream-state.js';

/** --offline and nothing cached for the recipe: nothing to run with. */
export class NoCachedImageError extends UsageError {
  constructor(
    readonly profile: string,
    readonly imagesDir: string,
  ) {
    super(`--offline: no cached ${profile} image for this recipe in ${imagesDir}: run \`npm run lab -- image build --profile ${profile}\` once with network access (or drop --offline / DRBDLAB_OFFLINE)`);
  }
}

export type ImagePlan =
  | { kind: 'cached'; image: CachedImage; offline: boolean }
  | { kind: 'build'; identity: string; recipeDigest: string; upstreams: UpstreamDigest[] };

/** The folders an image build uses: the cache it builds into, the labs whose images pruning spares. */
export type ImageFolders = Pick<Folders, 'cache' | 'state'>;

export interface PlanOptions {
  /** The run's image cache (Config.paths.cache). */
  cache: string;
  profile: string;
  recipeDigest: string;
  checks: readonly UpstreamCheck[];
  progress: Progress;
  offline: boolean;
  fetch?: FetchLike;
  /** Asked before any upstream is read (the Ubuntu profile's reachability rule). */
  beforeAsking?: () => Promise<void>;
}

const short = (h: string) => h.slice(0, 12);

export async function planImage(o: PlanOptions): Promise<ImagePlan> {
  if (o.offline) {
    const image = await newestImageOfRecipe(o.cache, o.profile, o.recipeDigest);
    if (!image) throw new NoCachedImageError(o.profile, imagesIn(o.cache));
    o.progress(`offline: upstreams not asked; image ${o.profile} ${short(image.digest)} as cached (built ${image.builtAt ?? 'before upstream tracking'})`);
    await markImageUsed(o.cache, image);
    return { kind: 'cached', image, offline: true };
  }
  await o.beforeAsking?.();
  // Asked on every call: a run calls this once, when it resolves its plan (lib/lab/run-plan.ts).
  const upstreams = await readUpstreamState(o.checks, { fetch: o.fetch });
  for (const u of upstreams) o.progress(`upstream ${u.name}: ${u.url.split('/').pop()} sha256 ${short(u.sha256)}`);
  const identity = imageIdentity(o.recipeDigest, upstreams);
  const cached = await readCachedImage(o.cache, o.profile, identity);
  if (cached) {
    o.progress(`image ${o.profile} ${short(identity)} cached (recipe and upstreams unchanged)`);
    await markImageUsed(o.cache, cached);
    return { kind: 'cached', image: cached, offline: false };
  }
  const previous = await newestImageOfRecipe(o.cache, o.profile, o.recipeDigest);
  const why = !previous
    ? 'no cached image of this recipe'
    : previous.upstreams
      ? `upstream changed since image ${short(previous.digest)}: ${upstreamChanges(previous.upstreams, upstreams).join('; ')}`
      : `image ${short(previous.digest)} recorded no upstream state`;
  o.progress(`image ${o.profile} ${short(identity)}: building (${why})`);
  return { kind: 'build', identity, recipeDigest: o.recipeDigest, upstreams };
}

/** After a build: stamp it used, remove the older images of the profile's line (its variant's, or the plain one's; but `keep`) nothing may still use. */
export async function afterBuild(folders: ImageFolders, profile: string, keep: readonly string[], progress: Progress, prune?: PruneDeps, variant?: string): Promise<void> {
  await markUsed(keep[0]!);
  const r = await pruneImages(folders, profile, keep, prune, variant);
  for (const d of r.removed) progress(`pruned old image ${d}`);
  for (const k of r.kept) progress(`kept old image ${k.dir}: ${k.why}`);
}

/** Stamp an image and its package set used: pruning of either goes least recently used first. */
async function markImageUsed(cache: string, image: CachedImage): Promise<void> {
  await markUsed(image.dir);
  if (image.packageSet) await markSetUsed(packagesRoot(cache), image.packageSet);
}
