import { describe, expect, it } from 'vitest';
import type { CachedImage } from './cache.js';
import { LAYER_MAX_BASE_AGE_MS, layerBase, newestKernel } from './debian12-layer.js';

const RECIPE = '1'.repeat(64);
const now = new Date('2026-11-28T12:00:00.000Z');
const img = (digest: string, o: Partial<CachedImage> = {}): CachedImage => ({
  dir: `/c/${digest}`,
  digest: digest.repeat(64).slice(0, 64),
  recipeDigest: RECIPE,
  builtAt: '2026-11-27T12:00:00.000Z',
  disk: 'd',
  kernel: 'k',
  initrd: 'i',
  versions: {},
  ...o,
});

describe('layerBase', () => {
  it('the newest full build of the recipe within the age limit', () => {
    const older = img('a', { builtAt: '2026-11-25T12:00:00.000Z' });
    const newer = img('b', { builtAt: '2026-11-27T12:00:00.000Z' });
    expect(layerBase([older, newer], RECIPE, now)).toBe(newer);
  });

  it('never a layer (drift stays one upgrade deep), another recipe, a base too old, or one without build time or kernel', () => {
    const layer = img('a', { layeredOn: 'b'.repeat(64), builtAt: '2026-11-28T11:00:00.000Z' });
    const other = img('c', { recipeDigest: '2'.repeat(64) });
    const old = img('d', { builtAt: new Date(now.getTime() - LAYER_MAX_BASE_AGE_MS - 1).toISOString() });
    const legacy = img('e', { recipeDigest: undefined, builtAt: undefined });
    const noKernel = img('f', { kernel: undefined });
    expect(layerBase([layer, other, old, legacy, noKernel], RECIPE, now)).toBeUndefined();
    const base = img('g');
    expect(layerBase([layer, base, other], RECIPE, now)).toBe(base);
  });
});

describe('newestKernel', () => {
  it('the newest version with both files (an upgrade keeps the old kernel beside the new)', () => {
    const boot = ['config-6.1.0-9-cloud-amd64', 'vmlinuz-6.1.0-9-cloud-amd64', 'initrd.img-6.1.0-9-cloud-amd64', 'vmlinuz-6.1.0-10-cloud-amd64', 'initrd.img-6.1.0-10-cloud-amd64', 'System.map-6.1.0-10-cloud-amd64'];
    expect(newestKernel(boot)).toEqual({ version: '6.1.0-10-cloud-amd64', kernel: 'vmlinuz-6.1.0-10-cloud-amd64', initrd: 'initrd.img-6.1.0-10-cloud-amd64' });
    expect(newestKernel(['vmlinuz-6.1.0-11-cloud-amd64', ...boot])?.version).toBe('6.1.0-10-cloud-amd64'); // no initrd for -11
    expect(newestKernel(['config-x'])).toBeUndefined();
  });
});
