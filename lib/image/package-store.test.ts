import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { imageRecord } from './cache.js';
import type { PackageSetManifest } from './package-set.js';
import {
  debOf,
  debPathIn,
  IMAGE_SET_FILE,
  keepDebs,
  keepPackageSet,
  listStore,
  markSetUsed,
  prunePackageStore,
  putDeb,
  readSet,
  type ReadDebFields,
} from './package-store.js';

let dir: string;
let root: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drbdlab-pkgstore-'));
  root = join(dir, 'packages');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

// A deb's bytes are its identity in the store; its fields come from the file's name here
// (`name_version_arch.deb`, as apt names them) instead of dpkg-deb.
const fieldsFromName: ReadDebFields = async (file) => {
  const [pkg, version, arch] = file.split('/').pop()!.replace(/\.deb$/, '').split('_') as [string, string, string];
  return { package: pkg, version, arch, source: pkg.replace(/-data$/, ''), sourceVersion: version };
};

async function debsFolder(name: string, files: Record<string, string>): Promise<string> {
  const d = join(dir, name);
  await mkdir(d, { recursive: true });
  for (const [f, content] of Object.entries(files)) await writeFile(join(d, f), content);
  return d;
}

// dpkg-query lines (INSTALLED_FORMAT) for `name_version_arch` names; the source as fieldsFromName says.
const installed = (names: string[]) =>
  names.map((n) => { const [p, v, a] = n.split('_') as [string, string, string]; return `${p}\t${v}\t${a}\t${p.replace(/-data$/, '')}\t${v}\tii \n`; }).join('');

async function imageWith(name: string, files: Record<string, string>, opts: { base?: PackageSetManifest; installed?: string[] } = {}): Promise<PackageSetManifest> {
  const debs = await debsFolder(`${name}-debs`, files);
  const scratch = join(dir, name);
  await mkdir(scratch, { recursive: true });
  const names = opts.installed ?? Object.keys(files).map((f) => f.replace(/\.deb$/, ''));
  return keepPackageSet({ root, profile: 'debian12-drbd84', debsDir: debs, tree: { installed: installed(names), policy: '' }, imageScratch: scratch, base: opts.base, readFields: fieldsFromName, now: new Date('2026-12-07T00:00:00Z') });
}

describe('putDeb', () => {
  it('stores a file under its sha256, once: the same bytes from a second image are not stored again', async () => {
    const a = await debsFolder('a', { 'foo_1_amd64.deb': 'foo one' });
    const b = await debsFolder('b', { 'foo_1_amd64.deb': 'foo one' });
    const first = await putDeb(root, join(a, 'foo_1_amd64.deb'));
    const second = await putDeb(root, join(b, 'foo_1_amd64.deb'));
    // sha256 of "foo one" (sha256sum)
    expect(first.sha256).toBe('20edf79364c185f1c3523a0069360b17bb605928eac5f65321008194558ebb2d');
    expect(second).toEqual(first);
    expect(first.size).toBe(7);
    expect(await readdir(join(root, 'debs'))).toEqual([`${first.sha256}.deb`]);
    expect(await readFile(debPathIn(root, first.sha256), 'utf8')).toBe('foo one');
    // Moved out of the build's folder, both times.
    expect(existsSync(join(a, 'foo_1_amd64.deb'))).toBe(false);
    expect(existsSync(join(b, 'foo_1_amd64.deb'))).toBe(false);
  });
});

describe('keepDebs', () => {
  it('a deb named after an installed package takes dpkg\'s fields; any other is read from the deb', async () => {
    const d = await debsFolder('d', { 'foo_1%3a2.0_amd64.deb': 'foo', 'odd-name.deb': 'bar' });
    const asked: string[] = [];
    const kept = await keepDebs(root, d, [{ package: 'foo', version: '1:2.0', arch: 'amd64', source: 'foo-src', sourceVersion: '2.0' }], async (file) => {
      asked.push(file.split('/').pop()!);
      return { package: 'bar', version: '3', arch: 'all', source: 'bar', sourceVersion: '3' };
    });
    expect(asked).toEqual(['odd-name.deb']);
    expect(kept.map(({ sha256: _s, size: _z, ...f }) => f)).toEqual([
      { package: 'foo', version: '1:2.0', arch: 'amd64', source: 'foo-src', sourceVersion: '2.0' },
      { package: 'bar', version: '3', arch: 'all', source: 'bar', sourceVersion: '3' },
    ]);
  });
});

describe('keepPackageSet', () => {
  it('two images share the debs they have in common; each set gives back its exact files by (package, version, arch)', async () => {
    const one = await imageWith('img1', { 'foo_1_amd64.deb': 'foo one', 'bar_2_amd64.deb': 'bar two' });
    const two = await imageWith('img2', { 'foo_1_amd64.deb': 'foo one', 'bar_3_amd64.deb': 'bar three' });
    expect(one.id).not.toBe(two.id);
    const listing = await listStore(root);
    expect(listing.debs).toBe(3);
    expect(listing.sets.map((s) => s.debs).sort()).toEqual([2, 2]);
    expect(await readFile(debOf(root, one, { package: 'bar', version: '2', arch: 'amd64' })!, 'utf8')).toBe('bar two');
    expect(await readFile(debOf(root, two, { package: 'bar', version: '3', arch: 'amd64' })!, 'utf8')).toBe('bar three');
    expect(debOf(root, one, { package: 'foo', version: '1', arch: 'amd64' })).toBe(debOf(root, two, { package: 'foo', version: '1', arch: 'amd64' }));
    expect(debOf(root, one, { package: 'bar', version: '3', arch: 'amd64' })).toBeUndefined();
    expect(debOf(root, one, { package: 'bar', version: '2', arch: 'i386' })).toBeUndefined();
    // The store's copy and the image's copy of the manifest.
    expect(await readSet(root, one.id)).toEqual(one);
    expect(JSON.parse(await readFile(join(dir, 'img1', IMAGE_SET_FILE), 'utf8'))).toEqual(one);
  });

  it('the same debs give the same set id', async () => {
    const one = await imageWith('img1', { 'foo_1_amd64.deb': 'foo one' });
    const again = await imageWith('img2', { 'foo_1_amd64.deb': 'foo one' });
    expect(again.id).toBe(one.id);
    expect((await listStore(root)).sets).toHaveLength(1);
  });

  it('a layer\'s set is what it downloaded plus the base set\'s entries for what it left alone', async () => {
    const base = await imageWith('full', { 'foo_1_amd64.deb': 'foo one', 'bar_2_amd64.deb': 'bar two', 'old_1_amd64.deb': 'old' });
    // The layer upgraded bar and removed old; only bar 3 was downloaded.
    const layer = await imageWith('layer', { 'bar_3_amd64.deb': 'bar three' }, { base, installed: ['foo_1_amd64', 'bar_3_amd64'] });
    expect(layer.layeredOn).toBe(base.id);
    expect(layer.entries.map((e) => `${e.package} ${e.version}`)).toEqual(['bar 3', 'foo 1']);
    expect(layer.entries.find((e) => e.package === 'foo')!.sha256).toBe(base.entries.find((e) => e.package === 'foo')!.sha256);
    expect(layer.missing).toBeUndefined();
  });
});

describe('prunePackageStore', () => {
  const day = 86_400_000;
  const t0 = new Date('2026-12-07T00:00:00Z').getTime();

  // Three sets used on days 1, 2, 3 (oldest first), each with one deb of its own and one shared.
  async function threeSets(): Promise<[PackageSetManifest, PackageSetManifest, PackageSetManifest]> {
    const sets: PackageSetManifest[] = [];
    for (const n of [1, 2, 3]) {
      sets.push(await imageWith(`img${n}`, { 'shared_1_amd64.deb': 'shared', [`own${n}_1_amd64.deb`]: `own ${n}`.repeat(1000) }));
      await markSetUsed(root, sets.at(-1)!.id, new Date(t0 + n * day));
    }
    return sets as [PackageSetManifest, PackageSetManifest, PackageSetManifest];
  }

  it('removes the least recently used sets first, with the debs only they named, until under the bound', async () => {
    const [s1, s2, s3] = await threeSets();
    const before = await listStore(root);
    const oneOwn = before.sets.find((s) => s.id === s1.id)!.ownBytes;
    expect(oneOwn).toBeGreaterThan(0);
    // Room for all but one set's own deb: only the oldest goes.
    const r = await prunePackageStore({ root, maxBytes: before.bytes - 1, now: new Date(t0 + 4 * day) });
    expect(r.sets).toEqual([s1.id]);
    expect(r.debs).toBe(1);
    const after = await listStore(root);
    expect(after.sets.map((s) => s.id)).toEqual([s3.id, s2.id]);
    expect(after.bytes).toBe(before.bytes - oneOwn);
    // The shared deb stays with the sets that still name it.
    expect(debOf(root, s2, { package: 'shared', version: '1', arch: 'amd64' })).toBeDefined();
    expect(debOf(root, s1, { package: 'own1', version: '1', arch: 'amd64' })).toBeUndefined();
  });

  it('never removes a protected set (last green, newest run), even over the bound', async () => {
    const [s1, s2, s3] = await threeSets();
    const r = await prunePackageStore({ root, maxBytes: 0, protect: [s1.id, undefined, s3.id], now: new Date(t0 + 4 * day) });
    expect(r.sets).toEqual([s2.id]);
    expect((await listStore(root)).sets.map((s) => s.id).sort()).toEqual([s1.id, s3.id].sort());
    expect(debOf(root, s1, { package: 'own1', version: '1', arch: 'amd64' })).toBeDefined();
  });

  it('under the bound nothing goes; a deb no set names goes once older than the grace', async () => {
    await threeSets();
    const orphan = join(dir, 'orphan');
    await debsFolder('orphan', { 'x_1_amd64.deb': 'from a failed build' });
    const { sha256 } = await putDeb(root, join(orphan, 'x_1_amd64.deb'));
    const young = await prunePackageStore({ root, maxBytes: 1024 ** 3, now: new Date() });
    expect(young).toEqual({ sets: [], debs: 0, bytes: 0 });
    const file = debPathIn(root, sha256);
    await utimes(file, new Date(t0), new Date(t0));
    const old = await prunePackageStore({ root, maxBytes: 1024 ** 3, now: new Date(t0 + 2 * 60 * 60_000) });
    expect(old.sets).toEqual([]);
    expect(old.debs).toBe(1);
    expect(existsSync(file)).toBe(false);
  });
});



describe('imageRecord', () => {
  it('carries the package set the image\'s manifest names (what a run records)', async () => {
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ digest: 'ab'.repeat(32), disk: 'd', versions: {}, packageSet: 'cd'.repeat(32) }));
    expect(await imageRecord(dir)).toEqual({ identity: 'ab'.repeat(32), packageSet: 'cd'.repeat(32) });
  });
});
