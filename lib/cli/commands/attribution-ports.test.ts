import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CachedImage } from '../../image/cache.js';
import type { BaseImage } from '../../image/profile.js';
import { asBaseImage, cachedImageOfSet } from './attribution-ports.js';

const LIKE: BaseImage = {
  profile: 'debian12-drbd84',
  disk: '/c/red/disk.qcow2',
  digest: 'a'.repeat(64),
  dir: '/c/red',
  boot: { kind: 'direct', kernel: '/c/red/vmlinuz', initrd: '/c/red/initrd.img', cmdline: 'root=/dev/vda rw console=ttyS0' },
  versions: { kernel: '6.1.0-57-cloud-amd64' },
  built: true,
};

describe('asBaseImage', () => {
  it("a cached image booted with its own kernel and initrd and the profile's command line", () => {
    const img: CachedImage = { dir: '/c/probe', digest: 'b'.repeat(64), disk: '/c/probe/disk.qcow2', kernel: '/c/probe/vmlinuz', initrd: '/c/probe/initrd.img', versions: { kernel: '6.1.0-56-cloud-amd64' }, layeredOn: 'a'.repeat(64) };
    expect(asBaseImage(img, LIKE)).toEqual({
      profile: 'debian12-drbd84',
      disk: '/c/probe/disk.qcow2',
      digest: 'b'.repeat(64),
      dir: '/c/probe',
      boot: { kind: 'direct', kernel: '/c/probe/vmlinuz', initrd: '/c/probe/initrd.img', cmdline: 'root=/dev/vda rw console=ttyS0' },
      versions: { kernel: '6.1.0-56-cloud-amd64' },
      built: false,
    });
  });
});

describe('cachedImageOfSet', () => {
  let cache: string;
  beforeEach(async () => {
    cache = await mkdtemp(join(tmpdir(), 'drbdlab-ports-'));
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await rm(cache, { recursive: true, force: true });
  });
  const image = async (name: string, m: Record<string, unknown>, disk = true) => {
    const dir = join(cache, 'images', `debian12-drbd84-${name}`);
    await mkdir(dir, { recursive: true });
    if (disk) await writeFile(join(dir, 'disk.qcow2'), '');
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ digest: name.repeat(4), disk: join(dir, 'disk.qcow2'), versions: {}, ...m }));
  };

  it("a recipe's build of the set before a probe image of it; none whose disk is gone", async () => {
    const set = 'c'.repeat(64);
    await image('1111111111111111', { packageSet: set, layeredOn: 'x' });
    await image('2222222222222222', { packageSet: set, recipeDigest: 'r' });
    await image('3333333333333333', { packageSet: 'd'.repeat(64), recipeDigest: 'r' }, false);
    expect((await cachedImageOfSet(cache, 'debian12-drbd84', set))?.dir).toBe(join(cache, 'images', 'debian12-drbd84-2222222222222222'));
    expect(await cachedImageOfSet(cache, 'debian12-drbd84', 'd'.repeat(64))).toBeUndefined();
  });
});
