import { copyFile, readdir, rm, writeFile } from 'node:fs/promises';
import { removeTree } from './remove-tree.js';
import { join } from 'node:path';
import { run } from '../exec/run.js';
import { buildAtomically, imageDir, readCachedImage, recipeDigest, type CachedImage } from './cache.js';
import type { DebianRecipe } from './debian12-recipe.js';
import type { Progress } from './progress.js';

/** Versions worth tracking across runs (the regression signal). */
const TRACKED = ['linux-image-cloud-amd64', 'drbd-utils', 'cloud-init', 'lvm2', 'systemd'];

export async function ensureDebianImage(recipe: DebianRecipe, progress: Progress, signal?: AbortSignal): Promise<CachedImage & { built: boolean }> {
  const digest = recipeDigest(recipe);
  const cached = await readCachedImage(recipe.profile, digest);
  if (cached) {
    progress(`image ${recipe.profile} ${digest.slice(0, 12)} cached`);
    return { ...cached, built: false };
  }
  const dir = imageDir(recipe.profile, digest);
  await buildAtomically(dir, async (scratch) => {
    const rootfs = join(scratch, 'rootfs');
    progress(`mmdebstrap ${recipe.suite} (${recipe.packages.length} packages)`);
    await run(
      'mmdebstrap',
      [
        '--quiet',
        `--variant=${recipe.variant}`,
        '--mode=root',
        `--include=${recipe.packages.join(',')}`,
        '--aptopt=Acquire::Retries "3"',
        '--dpkgopt=path-exclude=/usr/share/doc/*',
        '--dpkgopt=path-exclude=/usr/share/man/*',
        '--dpkgopt=path-exclude=/usr/share/locale/*',
        `--customize-hook=${recipe.customize}`,
        recipe.suite,
        rootfs,
        recipe.mirror,
      ],
      { timeoutMs: 20 * 60_000, signal, isolated: true, hint: 'mmdebstrap needs Debian\'s archive: check DRBDLAB_DEBIAN_MIRROR or your apt proxy' },
    );
    const boot = await readdir(join(rootfs, 'boot'));
    const kernel = boot.find((f) => f.startsWith('vmlinuz-'));
    const initrd = boot.find((f) => f.startsWith('initrd.img-'));
    if (!kernel || !initrd) throw new Error(`image build: no kernel/initrd in ${rootfs}/boot (found ${boot.join(', ')})`);
    await copyFile(join(rootfs, 'boot', kernel), join(scratch, 'vmlinuz'));
    await copyFile(join(rootfs, 'boot', initrd), join(scratch, 'initrd.img'));

    const { stdout } = await run('dpkg-query', [`--admindir=${rootfs}/var/lib/dpkg`, '-W', '-f', '${Package}\t${Version}\n', ...TRACKED]);
    const versions: Record<string, string> = Object.fromEntries(stdout.split('\n').map((l) => l.split('\t') as [string, string]));
    versions.kernel = kernel.replace(/^vmlinuz-/, '');

    progress(`mkfs.ext4 + qemu-img convert`);
    const raw = join(scratch, 'root.raw');
    await run('truncate', ['-s', `${recipe.diskSizeGiB}G`, raw]);
    await run('mkfs.ext4', ['-q', '-F', '-L', 'root', '-d', rootfs, raw], { timeoutMs: 10 * 60_000, signal, dieWithParent: true });
    await removeTree(rootfs);
    await run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, join(scratch, 'disk.qcow2')], { timeoutMs: 10 * 60_000, signal, dieWithParent: true });
    await rm(raw, { force: true });

    const manifest: Omit<CachedImage, 'dir'> = {
      digest,
      disk: join(dir, 'disk.qcow2'),
      kernel: join(dir, 'vmlinuz'),
      initrd: join(dir, 'initrd.img'),
      versions,
    };
    await writeFile(join(scratch, 'recipe.json'), JSON.stringify(recipe, null, 2));
    await writeFile(join(scratch, 'manifest.json'), JSON.stringify(manifest, null, 2));
  });
  const built = await readCachedImage(recipe.profile, digest);
  if (!built) throw new Error(`image build finished but ${dir}/manifest.json is missing`);
  return { ...built, built: true };
}
