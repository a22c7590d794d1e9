// An upgrade layer: when only the archive moved (same recipe), the new image is the cached full
// build of the recipe, upgraded in place from the recipe's apt sources, instead of a fresh
// mmdebstrap. Measured here (2026-11-28, same load): 10–20 s against 240–340 s for a full build.
// Drift stays bounded: a layer always goes on a full build (never on another layer), and a
// base older than LAYER_MAX_BASE_AGE_MS, or any recipe change, gives a full rebuild.

import { chmod, copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../exec/run.js';
import { sourcesLine } from './apt-source.js';
import { recipeOf, type CachedImage } from './cache.js';
import { debianAptSources, type DebianRecipe } from './debian12-recipe.js';
import { kernelOrigin, parseAptPolicyOrigins } from './apt-policy.js';
import { removeTree } from './remove-tree.js';
import { keepPackageSet, readImageSet } from './package-store.js';
import { INSTALLED_FORMAT, type PackageSetManifest } from './package-set.js';

export const LAYER_MAX_BASE_AGE_MS = 7 * 24 * 60 * 60_000;

/** The image a new one of this recipe may be layered on: the newest full build, young enough. */
export function layerBase(images: readonly CachedImage[], recipeDigest: string, now: Date, maxAgeMs = LAYER_MAX_BASE_AGE_MS): CachedImage | undefined {
  return images
    .filter((i) => recipeOf(i) === recipeDigest && !i.layeredOn && i.builtAt && i.kernel && i.initrd)
    .filter((i) => now.getTime() - Date.parse(i.builtAt!) < maxAgeMs)
    .sort((a, b) => Date.parse(b.builtAt!) - Date.parse(a.builtAt!))[0];
}

/**
 * The kernel to boot among /boot's files: the newest version (an upgrade keeps the old kernel
 * package installed beside the new one). Versions compare part by part, numbers as numbers.
 */
export function newestKernel(bootFiles: readonly string[]): { version: string; kernel: string; initrd: string } | undefined {
  const versions = bootFiles
    .filter((f) => f.startsWith('vmlinuz-'))
    .map((f) => f.slice('vmlinuz-'.length))
    .filter((v) => bootFiles.includes(`initrd.img-${v}`))
    .sort((a, b) => b.localeCompare(a, 'en', { numeric: true }));
  const v = versions[0];
  return v ? { version: v, kernel: `vmlinuz-${v}`, initrd: `initrd.img-${v}` } : undefined;
}

// Runs in its own mount and PID namespace (run's `isolated`): an interrupted layer leaves no
// mount behind. $1 raw image, $2 mount point, $3 work folder (sources.list, dpkg.cfg, output),
// then the packages to install (the recipe's: idempotent, and whatever it newly needs).
const LAYER_SCRIPT = String.raw`set -eu
raw=$1; mnt=$2; work=$3; shift 3
mount -o loop "$raw" "$mnt"
mount --bind /proc "$mnt/proc"; mount --bind /sys "$mnt/sys"; mount --rbind /dev "$mnt/dev"
cp /etc/resolv.conf "$mnt/etc/resolv.conf"
cp "$work/sources.list" "$mnt/tmp/drbdlab-layer.list"
cp "$work/dpkg.cfg" "$mnt/etc/dpkg/dpkg.cfg.d/99drbdlab-layer"
apt="apt-get -q -y -o Dir::Etc::SourceList=/tmp/drbdlab-layer.list -o Dir::Etc::SourceParts=/nonexistent -o Dpkg::Options::=--force-confold -o Acquire::Retries=3"
export DEBIAN_FRONTEND=noninteractive
chroot "$mnt" $apt update
chroot "$mnt" $apt dist-upgrade
chroot "$mnt" $apt install "$@"
chroot "$mnt" dpkg-query -W -f '${'${Package}\t${Version}\n'}' $(cat "$work/tracked") > "$work/versions.tsv"
# Which suite each came from, the kernels' packages too (the versions table shows it).
kernels=$(chroot "$mnt" dpkg-query -W -f '${'${Package}\n'}' 'linux-image-[0-9]*')
chroot "$mnt" apt-cache -o Dir::Etc::SourceList=/tmp/drbdlab-layer.list -o Dir::Etc::SourceParts=/nonexistent policy $(cat "$work/tracked") $kernels > "$work/policy.txt"
# The image's package set: the debs apt downloaded (the rest are the base set's), what is installed.
mkdir -p "$work/debs"
find "$mnt/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -exec mv -t "$work/debs" {} +
chroot "$mnt" dpkg-query -W -f '${INSTALLED_FORMAT}' > "$work/installed.tsv"
chroot "$mnt" apt-cache -o Dir::Etc::SourceList=/tmp/drbdlab-layer.list -o Dir::Etc::SourceParts=/nonexistent policy $(cut -f1 "$work/installed.tsv") > "$work/policy-all.txt"
# As the full build leaves it: no package lists, no host resolver (it sits in 10.255.255.0/24).
chroot "$mnt" apt-get clean
rm -rf "$mnt"/var/lib/apt/lists/* "$mnt/tmp/drbdlab-layer.list" "$mnt/etc/dpkg/dpkg.cfg.d/99drbdlab-layer"
: > "$mnt/etc/resolv.conf"
mkdir -p "$work/boot"
cp "$mnt"/boot/vmlinuz-* "$mnt"/boot/initrd.img-* "$work/boot/"
umount -R "$mnt"
`;

const DPKG_CFG = ['path-exclude=/usr/share/doc/*', 'path-exclude=/usr/share/man/*', 'path-exclude=/usr/share/locale/*'].join('\n') + '\n';

export interface LayerResult {
  /** qcow2, vmlinuz, initrd.img written into the output folder. */
  versions: Record<string, string>;
  /** Package → suite it came from (`kernel`: the booted kernel's package). */
  origins: Record<string, string>;
  /** The layer's package set: the debs it downloaded, and the base set's for what it left alone. */
  packageSet: PackageSetManifest;
}

/** Upgrade a copy of `base` into `out` (disk.qcow2, vmlinuz, initrd.img); returns what is installed. */
export async function layerDebianImage(
  /** The package store (packagesRoot of the run's cache). */
  store: string,
  base: CachedImage,
  recipe: DebianRecipe,
  tracked: readonly string[],
  out: string,
  signal?: AbortSignal,
): Promise<LayerResult> {
  const work = join(out, 'layer');
  const mnt = join(work, 'mnt');
  await mkdir(mnt, { recursive: true });
  const raw = join(work, 'root.raw');
  await run('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', base.disk, raw], { timeoutMs: 10 * 60_000, signal, dieWithParent: true });
  await writeFile(join(work, 'sources.list'), debianAptSources(recipe).map(sourcesLine).join('\n') + '\n');
  await writeFile(join(work, 'dpkg.cfg'), DPKG_CFG);
  await writeFile(join(work, 'tracked'), tracked.join('\n') + '\n');
  const packages = [...new Set([...recipe.packages, ...(recipe.extra?.packages ?? [])])];
  await run('bash', ['-c', LAYER_SCRIPT, 'drbdlab-layer', raw, mnt, work, ...packages], {
    timeoutMs: 20 * 60_000,
    signal,
    isolated: true,
    hint: 'the upgrade layer needs loop devices and Debian\'s archive',
  });
  const boot = newestKernel(await readdir(join(work, 'boot')));
  if (!boot) throw new Error(`upgrade layer: no kernel/initrd pair in ${work}/boot`);
  await copyFile(join(work, 'boot', boot.kernel), join(out, 'vmlinuz'));
  await copyFile(join(work, 'boot', boot.initrd), join(out, 'initrd.img'));
  // Readable by every lab's QEMU: tiny-initramfs writes its initrd 0600 (a mktemp file).
  await chmod(join(out, 'initrd.img'), 0o644);
  await run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, join(out, 'disk.qcow2')], { timeoutMs: 10 * 60_000, signal, dieWithParent: true });

  // As the full build records them: every tracked package dpkg lists, and the kernel booted.
  const versions: Record<string, string> = Object.fromEntries(
    (await readFile(join(work, 'versions.tsv'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t') as [string, string]),
  );
  versions.kernel = boot.version;
  const origins = kernelOrigin(parseAptPolicyOrigins(await readFile(join(work, 'policy.txt'), 'utf8')), `linux-image-${boot.version}`);
  const packageSet = await keepPackageSet({
    root: store,
    profile: recipe.profile,
    debsDir: join(work, 'debs'),
    tree: { installed: await readFile(join(work, 'installed.tsv'), 'utf8'), policy: await readFile(join(work, 'policy-all.txt'), 'utf8') },
    imageScratch: out,
    base: await readImageSet(base.dir),
  });
  await removeTree(work);
  return { versions, origins, packageSet };
}
