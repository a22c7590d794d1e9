import { chmod, copyFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { removeTree } from './remove-tree.js';
import { join } from 'node:path';
import { run } from '../exec/run.js';
import { buildAtomically, imageDir, listCachedImages, readCachedImage, recipeDigest, type CachedImage } from './cache.js';
import { LAYER_MAX_BASE_AGE_MS, layerBase, layerDebianImage } from './debian12-layer.js';
import { debianAptSources, preferencesHook, type DebianRecipe } from './debian12-recipe.js';
import { afterBuild, planImage, type ImageFolders } from './fresh-image.js';
import { aptPolicyArgs, kernelOrigin, parseAptPolicyOrigins } from './apt-policy.js';
import { keepPackageSet, packagesRoot, type TreeListing } from './package-store.js';
import { INSTALLED_FORMAT, parseInstalled, type PackageSetManifest } from './package-set.js';
import type { Progress } from './progress.js';
import type { PruneDeps } from './prune.js';
import { aptReleaseCheck, type FetchLike } from './upstream-state.js';

/** Versions worth tracking across runs (the regression signal). */
const TRACKED = ['linux-image-cloud-amd64', 'drbd-utils', 'cloud-init', 'lvm2', 'systemd'];

export interface DebianBuildOptions {
  /** The run's image cache and labs (Config.paths), given by the profile. */
  folders: ImageFolders;
  signal?: AbortSignal;
  /** Use the cached image without asking the archive (the run's --offline, given by the profile). */
  offline?: boolean;
  fetch?: FetchLike;
  prune?: PruneDeps;
  /** false: always a full build (default: an upgrade layer where a young full build of the recipe is cached). */
  layer?: boolean;
}

export type DebianImage = CachedImage & { built: boolean; offline: boolean };

/**
 * The image for this recipe and the archive as it is now: cached when its identity (recipe +
 * every apt source's InRelease digest) is; else an upgrade layer on the recipe's recent full
 * build, or a full build; offline, the newest of the recipe.
 */
export async function ensureDebianImage(recipe: DebianRecipe, progress: Progress, opts: DebianBuildOptions): Promise<DebianImage> {
  const { signal } = opts;
  const { cache } = opts.folders;
  const plan = await planImage({
    cache,
    profile: recipe.profile,
    recipeDigest: recipeDigest(recipe),
    checks: debianAptSources(recipe).map(aptReleaseCheck),
    progress,
    offline: opts.offline ?? false,
    fetch: opts.fetch,
  });
  if (plan.kind === 'cached') return { ...plan.image, built: false, offline: plan.offline };
  const digest = plan.identity;
  const dir = imageDir(cache, recipe.profile, digest);
  const tracked = [...TRACKED, ...(recipe.extra?.packages ?? [])];
  const base = opts.layer === false ? undefined : layerBase(await listCachedImages(cache, recipe.profile), plan.recipeDigest, new Date());
  let layeredOn: string | undefined;
  await buildAtomically(dir, async (scratch) => {
    let versions: Record<string, string> | undefined;
    let origins: Record<string, string> | undefined;
    let packageSet: PackageSetManifest | undefined;
    if (base) {
      progress(`upgrade layer on image ${base.digest.slice(0, 12)} (full build of ${base.builtAt}; a full rebuild comes with a recipe change or a base ${LAYER_MAX_BASE_AGE_MS / 86_400_000} days old)`);
      try {
        ({ versions, origins, packageSet } = await layerDebianImage(packagesRoot(cache), base, recipe, tracked, scratch, signal));
        layeredOn = base.digest;
      } catch (err) {
        if (signal?.aborted) throw err;
        progress(`upgrade layer failed (${(err as Error).message.split('\n').slice(0, 2).join(' ')}): full rebuild instead`);
        await removeTree(join(scratch, 'layer'));
      }
    }
    if (!versions) ({ versions, origins, packageSet } = await fullBuild(cache, recipe, tracked, scratch, progress, signal));
    progress(`package set ${packageSet!.id.slice(0, 12)}: ${packageSet!.entries.length} debs kept${packageSet!.missing ? `, ${packageSet!.missing.length} installed without one` : ''}`);
    const manifest: Omit<CachedImage, 'dir'> = {
      digest,
      recipeDigest: plan.recipeDigest,
      upstreams: plan.upstreams,
      builtAt: new Date().toISOString(),
      ...(layeredOn ? { layeredOn } : {}),
      disk: join(dir, 'disk.qcow2'),
      kernel: join(dir, 'vmlinuz'),
      initrd: join(dir, 'initrd.img'),
      versions,
      ...(origins ? { origins } : {}),
      packageSet: packageSet!.id,
      ...(recipe.added ? { variant: recipe.added.variant } : {}),
    };
    await writeFile(join(scratch, 'recipe.json'), JSON.stringify(recipe, null, 2));
    await writeFile(join(scratch, 'manifest.json'), JSON.stringify(manifest, null, 2));
  });
  const built = await readCachedImage(cache, recipe.profile, digest);
  if (!built) throw new Error(`image build finished but ${dir}/manifest.json is missing`);
  // A layer's base stays: the next layer goes on it too.
  await afterBuild(opts.folders, recipe.profile, layeredOn ? [dir, base!.dir] : [dir], progress, opts.prune, recipe.added?.variant);
  return { ...built, built: true, offline: false };
}

/**
 * mmdebstrap's arguments for the recipe (pure): the packages, the hooks, then the release, the
 * tree, and every apt source after it (the updates, a variant's added suites, a test's extra).
 */
export function mmdebstrapArgs(recipe: DebianRecipe, rootfs: string, debs: string): string[] {
  return [
    '--quiet',
    `--variant=${recipe.variant}`,
    '--mode=root',
    `--include=${[...recipe.packages, ...(recipe.extra?.packages ?? [])].join(',')}`,
    '--aptopt=Acquire::Retries "3"',
    // Kept until apt-cache has said which suite each package came from, then removed below.
    '--skip=cleanup/apt/lists',
    // Every .deb installed is kept (the image's package set): mmdebstrap would delete the
    // essential ones after installing them; the last hook moves them all out of the tree.
    '--skip=essential/unlink',
    '--dpkgopt=path-exclude=/usr/share/doc/*',
    '--dpkgopt=path-exclude=/usr/share/man/*',
    '--dpkgopt=path-exclude=/usr/share/locale/*',
    // A variant's apt preferences (backports) before apt first reads the archive.
    ...(recipe.added?.preferences ? [`--setup-hook=${preferencesHook(recipe.added.preferences)}`] : []),
    `--customize-hook=${recipe.customize}`,
    `--customize-hook=${moveDebsOut(debs)}`,
    recipe.suite,
    rootfs,
    recipe.mirror,
    ...recipe.updates,
    ...(recipe.added?.sources ?? []),
    ...(recipe.extra?.sources ?? []),
  ];
}

/** mmdebstrap, kernel and initrd out of the rootfs, ext4, qcow2: a fresh image in `scratch`. */
async function fullBuild(cache: string, recipe: DebianRecipe, tracked: readonly string[], scratch: string, progress: Progress, signal?: AbortSignal): Promise<{ versions: Record<string, string>; origins: Record<string, string>; packageSet: PackageSetManifest }> {
  const rootfs = join(scratch, 'rootfs');
  const debs = join(scratch, 'debs');
  progress(`mmdebstrap ${recipe.suite}${recipe.added ? ` + ${recipe.added.variant}` : ''} (${recipe.packages.length} packages)`);
  await run(
    'mmdebstrap',
    mmdebstrapArgs(recipe, rootfs, debs),
    { timeoutMs: 20 * 60_000, signal, isolated: true, hint: 'mmdebstrap needs Debian\'s archive: check DRBDLAB_DEBIAN_MIRROR or your apt proxy' },
  );
  const boot = await readdir(join(rootfs, 'boot'));
  const kernel = boot.find((f) => f.startsWith('vmlinuz-'));
  const initrd = boot.find((f) => f.startsWith('initrd.img-'));
  if (!kernel || !initrd) throw new Error(`image build: no kernel/initrd in ${rootfs}/boot (found ${boot.join(', ')})`);
  await copyFile(join(rootfs, 'boot', kernel), join(scratch, 'vmlinuz'));
  await copyFile(join(rootfs, 'boot', initrd), join(scratch, 'initrd.img'));
  // Readable by every lab's QEMU: tiny-initramfs writes its initrd 0600 (a mktemp file).
  await chmod(join(scratch, 'initrd.img'), 0o644);

  const { stdout } = await run('dpkg-query', [`--admindir=${rootfs}/var/lib/dpkg`, '-W', '-f', '${Package}\t${Version}\n', ...tracked]);
  const versions: Record<string, string> = Object.fromEntries(stdout.split('\n').map((l) => l.split('\t') as [string, string]));
  versions.kernel = kernel.replace(/^vmlinuz-/, '');
  const kernelPackage = `linux-image-${versions.kernel}`;
  const policy = await run('chroot', [rootfs, ...aptPolicyArgs([...tracked, kernelPackage])]);
  const origins = kernelOrigin(parseAptPolicyOrigins(policy.stdout), kernelPackage);
  const packageSet = await keepFullBuildSet(cache, recipe.profile, rootfs, debs, scratch, progress);
  // As mmdebstrap's own cleanup leaves it: the folder stays (apt in an upgrade layer needs it), empty.
  const lists = join(rootfs, 'var/lib/apt/lists');
  await rm(lists, { recursive: true, force: true });
  await mkdir(join(lists, 'partial'), { recursive: true });

  progress(`mkfs.ext4 + qemu-img convert`);
  const raw = join(scratch, 'root.raw');
  await run('truncate', ['-s', `${recipe.diskSizeGiB}G`, raw]);
  await run('mkfs.ext4', ['-q', '-F', '-L', 'root', '-d', rootfs, raw], { timeoutMs: 10 * 60_000, signal, dieWithParent: true });
  await removeTree(rootfs);
  await run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, join(scratch, 'disk.qcow2')], { timeoutMs: 10 * 60_000, signal, dieWithParent: true });
  await rm(raw, { force: true });
  return { versions, origins, packageSet };
}

/** The hook (mmdebstrap runs `sh -c HOOK exec <root>`) that moves the installed debs to `dest`. */
function moveDebsOut(dest: string): string {
  const q = `'${dest.replace(/'/g, `'\\''`)}'`;
  return `set -eu; mkdir -p ${q}; find "$1/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -exec mv -t ${q} {} +`;
}

/** What is installed in `rootfs` and where from (its package lists still there), for the package set. */
async function treeListing(rootfs: string): Promise<TreeListing> {
  const installed = (await run('dpkg-query', [`--admindir=${rootfs}/var/lib/dpkg`, '-W', '-f', INSTALLED_FORMAT])).stdout;
  const names = parseInstalled(installed).map((p) => p.package);
  const policy = (await run('chroot', [rootfs, ...aptPolicyArgs(names)])).stdout;
  return { installed, policy };
}

async function keepFullBuildSet(cache: string, profile: string, rootfs: string, debs: string, scratch: string, progress: Progress): Promise<PackageSetManifest> {
  const t0 = Date.now();
  const set = await keepPackageSet({ root: packagesRoot(cache), profile, debsDir: debs, tree: await treeListing(rootfs), imageScratch: scratch });
  await rm(debs, { recursive: true, force: true });
  progress(`package set kept in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return set;
}
