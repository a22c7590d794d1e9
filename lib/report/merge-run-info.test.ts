import { describe, expect, it } from 'vitest';
import { mergeRunInfos, type ShardRun } from './merge-run-info.js';

const shard = (index: number, run: Partial<ShardRun['run']> = {}): ShardRun => ({
  shard: { index, count: 2 },
  run: { profile: 'debian12-drbd84', versions: { 'drbd-utils': '9.22.0-1', kernel: '6.1.0-50' }, ...run },
});

describe('mergeRunInfos', () => {
  it('shards that agree: their profile and versions, which shards, no disagreement', () => {
    expect(mergeRunInfos([shard(2), shard(1)])).toEqual({
      profile: 'debian12-drbd84',
      versions: { 'drbd-utils': '9.22.0-1', kernel: '6.1.0-50' },
      merged: { shards: [{ index: 1, count: 2 }, { index: 2, count: 2 }], disagreements: [] },
    });
  });

  it("each shard's attributions together, in shard order", () => {
    const a = (scenario: string) => ({ scenario, good: 'ab'.repeat(32), bad: 'cd'.repeat(32), changes: [], probes: [], verdict: { kind: 'flaky' as const }, bound: 2, ms: 0 });
    expect(mergeRunInfos([shard(2, { attributions: [a('link-cut')] }), shard(1, { attributions: [a('reboot')] })]).attributions?.map((x) => x.scenario)).toEqual(['reboot', 'link-cut']);
    expect(mergeRunInfos([shard(1), shard(2)]).attributions).toBeUndefined();
  });

  it('the variant: carried when the shards agree; shards of two lines disagree', () => {
    expect(mergeRunInfos([shard(1, { variant: 'proposed-updates' }), shard(2, { variant: 'proposed-updates' })])).toMatchObject({ variant: 'proposed-updates', merged: { disagreements: [] } });
    const differ = mergeRunInfos([shard(1, { variant: 'proposed-updates' }), shard(2)]);
    expect(differ.merged!.disagreements).toEqual(['variant: proposed-updates (shard 1/2), none (shard 2/2)']);
  });

  it('a version the shards disagree on: every shard\'s value, said plainly, none picked', () => {
    const m = mergeRunInfos([shard(1), shard(2, { versions: { 'drbd-utils': '9.21.0-1', kernel: '6.1.0-50' } })]);
    expect(m.versions['drbd-utils']).toBe('9.22.0-1 (shard 1/2), 9.21.0-1 (shard 2/2)');
    expect(m.versions.kernel).toBe('6.1.0-50');
    expect(m.merged!.disagreements).toEqual(['drbd-utils: 9.22.0-1 (shard 1/2), 9.21.0-1 (shard 2/2)']);
  });

  it('offline and the image: carried when the shards agree, a disagreement when they do not', () => {
    const image = { identity: 'ab'.repeat(32), builtAt: 't' };
    const same = mergeRunInfos([shard(1, { offline: true, image }), shard(2, { offline: true, image })]);
    expect(same).toMatchObject({ offline: true, image, merged: { disagreements: [] } });
    const other = { identity: 'cd'.repeat(32) };
    const differ = mergeRunInfos([shard(1, { offline: true, image }), shard(2, { image: other })]);
    expect(differ.offline).toBe(true);
    expect(differ.image).toBeUndefined();
    expect(differ.merged!.disagreements).toEqual([
      'upstreams: not asked (offline) (shard 1/2), asked (shard 2/2)',
      `image: ${image.identity} (shard 1/2), ${other.identity} (shard 2/2)`,
    ]);
  });

  it('a package only one shard has is a disagreement too', () => {
    const m = mergeRunInfos([shard(1), shard(2, { versions: { kernel: '6.1.0-50' } })]);
    expect(m.merged!.disagreements).toEqual(['drbd-utils: 9.22.0-1 (shard 1/2), not installed (shard 2/2)']);
  });

  it('different profiles: both named, none picked', () => {
    const m = mergeRunInfos([shard(1), shard(2, { profile: 'ubuntu1804-drbd9' })]);
    expect(m.profile).toBe('debian12-drbd84 (shard 1/2), ubuntu1804-drbd9 (shard 2/2)');
    expect(m.merged!.disagreements[0]).toBe('profile: debian12-drbd84 (shard 1/2), ubuntu1804-drbd9 (shard 2/2)');
  });

  it('a shard whose lab never came up (no versions) does not disagree: its "lab setup" result says why', () => {
    const m = mergeRunInfos([shard(1), shard(2, { versions: {} })]);
    expect(m.versions).toEqual({ 'drbd-utils': '9.22.0-1', kernel: '6.1.0-50' });
    expect(m.merged!.disagreements).toEqual([]);
  });

  it('keeps the substitution line when any shard had one', () => {
    const substituted = { wanted: 'ubuntu1804-drbd9', reason: 'ppa.launchpadcontent.net unavailable' } as const;
    expect(mergeRunInfos([shard(1), shard(2, { substituted })]).substituted).toEqual(substituted);
    expect(mergeRunInfos([shard(1, { substituted }), shard(2, { substituted: { ...substituted, reason: 'cloud-images.ubuntu.com unavailable' } })]).substituted).toEqual({
      wanted: 'ubuntu1804-drbd9',
      reason: 'ppa.launchpadcontent.net unavailable / cloud-images.ubuntu.com unavailable',
    });
    expect(mergeRunInfos([shard(1), shard(2)]).substituted).toBeUndefined();
  });
});
