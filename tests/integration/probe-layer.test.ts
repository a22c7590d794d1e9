// A probe layer for real (no VM): the profile's image in a loop-mounted chroot, apt given only the
// kept .debs — a new package, a downgrade of it on the image that made, a package whose dependency
// the image lacks (refused), an essential package removed (refused). Two tiny .debs are built here
// with dpkg-deb; the probe images go to a cache of the test's own.
import { execa } from 'execa';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig, profileSettings } from '../../lib/config/config.js';
import type { CachedImage } from '../../lib/image/cache.js';
import { Debian12Profile } from '../../lib/image/debian12-profile.js';
import type { PackageEntry } from '../../lib/image/package-set.js';
import { putDeb } from '../../lib/image/package-store.js';
import { ensureProbeImage } from '../../lib/image/probe-layer.js';

let work: string;
let base: Pick<CachedImage, 'disk' | 'digest' | 'versions'>;
const debs = new Map<string, PackageEntry>();

/** A .deb of `name` `version` (Architecture: all), with an optional Depends, kept in the test's store. */
async function makeDeb(name: string, version: string, depends?: string): Promise<PackageEntry> {
  const root = join(work, `pkg-${name}-${version}`);
  await mkdir(join(root, 'DEBIAN'), { recursive: true });
  await mkdir(join(root, 'usr/share', name), { recursive: true });
  await writeFile(join(root, 'usr/share', name, 'version'), `${version}\n`);
  await writeFile(join(root, 'DEBIAN/control'), [`Package: ${name}`, `Version: ${version}`, 'Architecture: all', 'Maintainer: drbdlab <drbdlab@localhost>', 'Description: probe layer test', ...(depends ? [`Depends: ${depends}`] : []), ''].join('\n'));
  const file = join(work, `${name}_${version}_all.deb`);
  await execa('dpkg-deb', ['--build', root, file]);
  const { sha256, size } = await putDeb(join(work, 'store'), file);
  return { package: name, version, arch: 'all', source: name, sourceVersion: version, sha256, size };
}

const layer = (on: Pick<CachedImage, 'disk' | 'digest' | 'versions'>, install: PackageEntry[], remove: string[], setId: string) =>
  ensureProbeImage({ base: on, profile: 'debian12-drbd84', storeRoot: join(work, 'store'), cache: join(work, 'cache'), install, remove, target: install, setId, signal: AbortSignal.timeout(20 * 60_000) });

beforeAll(async () => {
  const profile = Debian12Profile.create(profileSettings(await loadConfig()));
  const image = await profile.ensureImage((m) => console.log(`[probe-layer] ${m}`));
  base = { disk: image.disk, digest: image.digest, versions: image.versions };
  work = await mkdtemp(join(tmpdir(), 'drbdlab-probe-layer-'));
  for (const [n, v, d] of [['drbdlab-canary', '1.0'], ['drbdlab-canary', '0.9'], ['drbdlab-needy', '1.0', 'drbdlab-absent']] as const) debs.set(`${n} ${v}`, await makeDeb(n, v, d));
});

afterAll(async () => {
  vi.unstubAllEnvs();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('a probe layer on the real image, apt without sources', () => {
  let withCanary: CachedImage;

  it('installs a kept .deb apt has no list for: an image of the set it names', async () => {
    const r = await layer(base, [debs.get('drbdlab-canary 1.0')!], [], '1'.repeat(64));
    expect(r.kind, JSON.stringify(r)).toBe('image');
    if (r.kind !== 'image') return;
    withCanary = r.image;
    expect(withCanary).toMatchObject({ packageSet: '1'.repeat(64), layeredOn: base.digest });
  });

  it('downgrades it on that image (apt checked it installed exactly 0.9)', async () => {
    const r = await layer(withCanary, [debs.get('drbdlab-canary 0.9')!], [], '2'.repeat(64));
    expect(r.kind, JSON.stringify(r)).toBe('image');
  });

  it("refuses a .deb whose dependency the image lacks, with apt's own line, and keeps no image", async () => {
    const r = await layer(base, [debs.get('drbdlab-needy 1.0')!], [], '3'.repeat(64));
    expect(r.kind).toBe('refused');
    if (r.kind === 'refused') expect(r.detail).toMatch(/^drbdlab-needy : Depends: drbdlab-absent but it is not installable/);
  });

  it('refuses to remove an essential package', async () => {
    const r = await layer(base, [], ['libc6:amd64'], '4'.repeat(64));
    expect(r.kind).toBe('refused');
  });
});
