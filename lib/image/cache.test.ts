import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildAtomically, canonicalJson, imageDir, readCachedImage, recipeDigest } from './cache.js';
import { debian12Recipe, type DebianRecipe } from './debian12-recipe.js';

describe('canonicalJson / recipeDigest', () => {
  it('canonicalJson sorts keys at every level and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: 'x' } })).toBe('{"a":{"c":"x","d":[2,1]},"b":1}');
    expect(canonicalJson({ a: { c: 'x', d: [2, 1] }, b: 1 })).toBe(canonicalJson({ b: 1, a: { d: [2, 1], c: 'x' } }));
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });

  it('equal recipes give equal digests (a sha256 in hex)', () => {
    const a = debian12Recipe('http://deb.debian.org/debian');
    const b = structuredClone(a);
    expect(recipeDigest(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(recipeDigest(b)).toBe(recipeDigest(a));
    // Key order does not matter.
    const reordered = Object.fromEntries(Object.entries(a).reverse());
    expect(recipeDigest(reordered)).toBe(recipeDigest(a));
  });

  it('a change to any field of the recipe changes the digest', () => {
    const base = debian12Recipe('http://deb.debian.org/debian');
    const digest = recipeDigest(base);
    const keys = Object.keys(base) as (keyof DebianRecipe)[];
    expect(keys.sort()).toEqual(['cmdline', 'customize', 'diskSizeGiB', 'mirror', 'packages', 'profile', 'suite', 'updates', 'variant']);
    for (const k of keys) {
      const changed = structuredClone(base) as unknown as Record<string, unknown>;
      const v = changed[k];
      changed[k] = Array.isArray(v) ? [...v, 'extra'] : typeof v === 'number' ? v + 1 : `${String(v)}x`;
      expect(recipeDigest(changed), `changing ${k}`).not.toBe(digest);
    }
    expect(base.packages).not.toContain('extra'); // the shared package list was not touched
  });

  it('package list and customize script changes are seen', () => {
    const base = debian12Recipe('http://deb.debian.org/debian');
    const dropped = { ...base, packages: base.packages.filter((p) => p !== 'drbd-utils') };
    const reordered = { ...base, packages: [...base.packages].reverse() };
    const script = { ...base, customize: base.customize.replace('fstrim.timer', 'fstrim.service') };
    for (const r of [dropped, reordered, script]) expect(recipeDigest(r)).not.toBe(recipeDigest(base));
    expect(recipeDigest(debian12Recipe('http://mirror.example/debian'))).not.toBe(recipeDigest(base));
  });
});

describe('buildAtomically', () => {
  let cache: string;
  beforeEach(async () => {
    cache = await mkdtemp(join(tmpdir(), 'drbdlab-cache-'));
  });
  afterEach(async () => {
    await rm(cache, { recursive: true, force: true });
  });

  const digest = 'ab'.repeat(32);

  it('imageDir lives under the cache given (the run\'s Config.paths.cache)', () => {
    expect(imageDir(cache, 'debian12-drbd84', digest)).toBe(join(cache, 'images', `debian12-drbd84-${digest.slice(0, 16)}`));
  });

  it('on success only the final folder is left, with what the build wrote', async () => {
    const final = imageDir(cache, 'debian12-drbd84', digest);
    let scratchSeen = '';
    await buildAtomically(final, async (scratch) => {
      scratchSeen = scratch;
      expect(scratch).not.toBe(final);
      await writeFile(join(scratch, 'disk.qcow2'), 'disk');
      await writeFile(join(scratch, 'manifest.json'), JSON.stringify({ digest, disk: 'disk.qcow2', versions: { drbd: '8.4.11' } }));
    });
    expect(await readdir(join(cache, 'images'))).toEqual([basename(final)]);
    expect(existsSync(scratchSeen)).toBe(false);
    expect(await readFile(join(final, 'disk.qcow2'), 'utf8')).toBe('disk');
    expect(await readCachedImage(cache, 'debian12-drbd84', digest)).toEqual({
      dir: final,
      digest,
      disk: 'disk.qcow2',
      versions: { drbd: '8.4.11' },
    });
  });

  it('a rebuild replaces the old folder', async () => {
    const final = imageDir(cache, 'debian12-drbd84', digest);
    await mkdir(final, { recursive: true });
    await writeFile(join(final, 'stale'), 'old');
    await buildAtomically(final, async (scratch) => writeFile(join(scratch, 'fresh'), 'new'));
    expect(await readdir(final)).toEqual(['fresh']);
    expect(await readdir(join(cache, 'images'))).toEqual([basename(final)]);
  });

  it('when the build throws, nothing at all is left and the error propagates', async () => {
    const final = imageDir(cache, 'debian12-drbd84', digest);
    const boom = new Error('mmdebstrap failed');
    await expect(
      buildAtomically(final, async (scratch) => {
        await mkdir(join(scratch, 'rootfs', 'etc'), { recursive: true });
        await writeFile(join(scratch, 'rootfs', 'etc', 'hostname'), 'x');
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await readdir(join(cache, 'images'))).toEqual([]);
    expect(await readCachedImage(cache, 'debian12-drbd84', digest)).toBeUndefined();
  });
});
