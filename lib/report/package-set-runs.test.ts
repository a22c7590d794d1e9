import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keepPackageSet, listStore, markSetUsed } from '../image/package-store.js';
import { isGreen, lastGreenSetFor, protectedPackageSets, prunePackagesAfterRun } from './package-set-runs.js';
import type { VersionsEntry } from './versions.js';

describe('isGreen', () => {
  it('everything passed (skipped allowed): green', () => {
    expect(isGreen({ total: 3, passed: 2, skipped: 1 })).toBe(true);
  });
  it('a failure, a broken result, an unknown status, nothing that passed, or a cancellation: not green', () => {
    expect(isGreen({ total: 3, passed: 2, failed: 1 })).toBe(false);
    expect(isGreen({ total: 3, passed: 2, broken: 1 })).toBe(false);
    expect(isGreen({ total: 3, passed: 2, unknown: 1 })).toBe(false);
    expect(isGreen({ total: 1, skipped: 1 })).toBe(false);
    expect(isGreen({ total: 0 })).toBe(false);
    expect(isGreen({ total: 2, passed: 2 }, { signal: 'SIGTERM', at: '2026-12-07T00:00:00Z' })).toBe(false);
  });
});

const run = (profile: string, packageSet: string | undefined, green?: boolean): VersionsEntry => ({
  timestamp: '2026-12-07T00:00:00Z',
  profile,
  versions: {},
  ...(packageSet ? { packageSet } : {}),
  ...(green ? { green } : {}),
});

describe('protectedPackageSets', () => {
  it('per profile: the newest run\'s set and the last green run\'s', () => {
    const entries = [run('debian12-drbd84', 'a', true), run('debian12-drbd84', 'b', true), run('debian12-drbd84', 'c'), run('ubuntu1804-drbd9', 'u', true), run('debian12-drbd84', 'd')];
    expect(protectedPackageSets(entries)).toEqual([
      { profile: 'debian12-drbd84', newest: 'd', lastGreen: 'b' },
      { profile: 'ubuntu1804-drbd9', newest: 'u', lastGreen: 'u' },
    ]);
  });
  it('per line: a variant\'s newest and last green sets are kept beside the plain profile\'s', () => {
    const pu = (packageSet: string, green?: boolean) => ({ ...run('debian12-drbd84', packageSet, green), variant: 'proposed-updates' });
    expect(protectedPackageSets([run('debian12-drbd84', 'a', true), pu('p', true), run('debian12-drbd84', 'b'), pu('q')])).toEqual([
      { profile: 'debian12-drbd84', newest: 'b', lastGreen: 'a' },
      { profile: 'debian12-drbd84', variant: 'proposed-updates', newest: 'q', lastGreen: 'p' },
    ]);
  });
  it('runs without a set (older runs, a lab that never came up) protect nothing', () => {
    expect(protectedPackageSets([run('debian12-drbd84', 'a', true), run('debian12-drbd84', undefined)])).toEqual([{ profile: 'debian12-drbd84', newest: 'a', lastGreen: 'a' }]);
    expect(protectedPackageSets([run('debian12-drbd84', undefined, true)])).toEqual([]);
  });
});

describe('prunePackagesAfterRun', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drbdlab-setruns-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('with the store over its bound, keeps the last green and the newest run\'s sets and removes the others', async () => {
    const root = join(dir, 'packages');
    const ids: string[] = [];
    for (const n of [1, 2, 3, 4]) {
      const debs = join(dir, `debs${n}`);
      await mkdir(debs);
      await writeFile(join(debs, `p_${n}_amd64.deb`), `deb ${n}`.repeat(2000));
      const set = await keepPackageSet({
        root,
        profile: 'debian12-drbd84',
        debsDir: debs,
        tree: { installed: `p\t${n}\tamd64\tp\t${n}\tii \n`, policy: '' },
        imageScratch: debs,
        readFields: async () => ({ package: 'p', version: String(n), arch: 'amd64', source: 'p', sourceVersion: String(n) }),
      });
      await markSetUsed(root, set.id, new Date(Date.UTC(2026, 11, n)));
      ids.push(set.id);
    }
    // Set 2 was the last green run, set 3 the newest; 1 and 4 are nobody's (4 used most recently).
    const history = join(dir, 'versions.jsonl');
    await writeFile(history, [run('debian12-drbd84', ids[0], true), run('debian12-drbd84', ids[1], true), run('debian12-drbd84', ids[2])].map((e) => JSON.stringify(e)).join('\n') + '\n');
    const r = await prunePackagesAfterRun(history, 0, root);
    expect(r.sets).toEqual([ids[0], ids[3]]);
    expect((await listStore(root)).sets.map((s) => s.id).sort()).toEqual([ids[1], ids[2]].sort());
  });
});

describe('lastGreenSetFor', () => {
  const e = (packageSet: string | undefined, green: boolean, profile = 'debian12-drbd84'): VersionsEntry => ({ timestamp: 't', profile, versions: { x: '1' }, ...(packageSet ? { packageSet } : {}), ...(green ? { green } : {}) });
  it("the profile's last green run's set when it differs from the red run's", () => {
    const entries = [e('a'.repeat(64), true), e('b'.repeat(64), true), e('c'.repeat(64), false), e('d'.repeat(64), true, 'ubuntu1804-drbd9')];
    expect(lastGreenSetFor(entries, { profile: 'debian12-drbd84' }, 'e'.repeat(64))).toEqual({ good: 'b'.repeat(64) });
  });
  it("the last green run of the red run's own line: a plain red run never goes back to a proposed-updates run's set, nor the other way round", () => {
    const pu = (packageSet: string, green: boolean): VersionsEntry => ({ ...e(packageSet, green), variant: 'proposed-updates' });
    const entries = [e('a'.repeat(64), true), pu('p'.repeat(64), true), e('b'.repeat(64), false), pu('q'.repeat(64), false)];
    expect(lastGreenSetFor(entries, { profile: 'debian12-drbd84' }, 'b'.repeat(64))).toEqual({ good: 'a'.repeat(64) });
    expect(lastGreenSetFor(entries, { profile: 'debian12-drbd84', variant: 'proposed-updates' }, 'q'.repeat(64))).toEqual({ good: 'p'.repeat(64) });
    expect(lastGreenSetFor([e('a'.repeat(64), true)], { profile: 'debian12-drbd84', variant: 'proposed-updates' }, 'q'.repeat(64))).toEqual({
      skip: 'no green run of debian12-drbd84+proposed-updates with a kept package set yet: nothing to compare',
    });
  });
  it('otherwise why there is nothing to follow up', () => {
    expect(lastGreenSetFor([e('a'.repeat(64), true)], { profile: 'debian12-drbd84' }, undefined)).toEqual({ skip: "this run's image kept no package set: nothing to compare" });
    expect(lastGreenSetFor([e('a'.repeat(64), false), e('b'.repeat(64), true, 'ubuntu1804-drbd9')], { profile: 'debian12-drbd84' }, 'c'.repeat(64))).toEqual({ skip: 'no green run of debian12-drbd84 with a kept package set yet: nothing to compare' });
    expect(lastGreenSetFor([e('a'.repeat(64), true)], { profile: 'debian12-drbd84' }, 'a'.repeat(64))).toEqual({ skip: 'the last green run of debian12-drbd84 had this same package set: no update to name' });
  });
});
