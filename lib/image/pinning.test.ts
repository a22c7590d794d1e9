import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { failureKind } from '../errors.js';
import {
  buildPinManifest,
  debFileName,
  hashDebs,
  loadPinnedSet,
  parseDebFileName,
  parseDpkgQuery,
  pinDigestPart,
  PinManifestError,
  renderLocalRepoProvisioning,
  validatePinManifest,
  writePinnedSet,
  type PinManifest,
} from './pinning.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

// `dpkg-query -W -f '${Package}\t${Version}\t${Architecture}\n'` after step 7 (excerpt).
const DPKG_ALL = [
  'dkms\t2.3-3ubuntu9.7\tall',
  'drbd-dkms\t9.0.32-1ppa1~bionic1\tall',
  'drbd-utils\t9.22.0-1ppa1~bionic1\tamd64',
  'python-drbdmanage\t0.99.18-1ppa1~bionic1\tall',
  'libc6\t2.27-3ubuntu1.6\tamd64',
  'postfix\t3.3.0-1ubuntu0.4\tamd64',
  'gcc-7\t7.5.0-3ubuntu1~18.04\tamd64',
  'python-dbus\t1.2.6-1\tamd64',
  'libisl19\t0.19-1\tamd64',
  '',
].join('\n');

const DEB_NAMES = [
  'drbd-utils_9.22.0-1ppa1~bionic1_amd64.deb',
  'python-drbdmanage_0.99.18-1ppa1~bionic1_all.deb',
  'drbd-dkms_9.0.32-1ppa1~bionic1_all.deb',
  'dkms_2.3-3ubuntu9.7_all.deb',
  'postfix_3.3.0-1ubuntu0.4_amd64.deb',
  'gcc-7_7.5.0-3ubuntu1~18.04_amd64.deb',
  'python-dbus_1.2.6-1_amd64.deb',
  'libisl19_0.19-1_amd64.deb',
];
const debFiles = DEB_NAMES.map((filename) => ({ filename, sha256: sha(filename) }));

function manifest(): PinManifest {
  return buildPinManifest(DPKG_ALL, debFiles);
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PinManifestError);
    return (e as PinManifestError).problems;
  }
  throw new Error('expected a PinManifestError');
}

describe('deb file names', () => {
  it('apt\'s archive name quotes the epoch colon as %3a, and parses back', () => {
    expect(debFileName('python-dbus', '1:1.2.6-1', 'amd64')).toBe('python-dbus_1%3a1.2.6-1_amd64.deb');
    expect(parseDebFileName('python-dbus_1%3a1.2.6-1_amd64.deb')).toEqual({ package: 'python-dbus', version: '1:1.2.6-1', arch: 'amd64' });
    expect(parseDebFileName('drbd-dkms_9.0.32-1ppa1~bionic1_all.deb')).toEqual({ package: 'drbd-dkms', version: '9.0.32-1ppa1~bionic1', arch: 'all' });
  });

  it('rejects what is not a deb name (or not safe on a shell line)', () => {
    for (const bad of ['lock', 'partial', 'x_1_amd64.udeb', 'a_b.deb', '../x_1_amd64.deb', 'x_1;rm -rf_amd64.deb', 'X_1_amd64.deb']) {
      expect(parseDebFileName(bad), bad).toBeUndefined();
    }
  });
});

describe('parseDpkgQuery', () => {
  it('reads the default two-column format, pkg:arch names and the three-column format', () => {
    const m = parseDpkgQuery('drbd-utils\t9.22.0-1ppa1~bionic1\nlibc6:amd64\t2.27-3ubuntu1.6\ndkms\t2.3-3ubuntu9.7\tall\n');
    expect(m.get('drbd-utils')).toEqual({ version: '9.22.0-1ppa1~bionic1' });
    expect(m.get('libc6')).toEqual({ version: '2.27-3ubuntu1.6', arch: 'amd64' });
    expect(m.get('dkms')).toEqual({ version: '2.3-3ubuntu9.7', arch: 'all' });
  });

  it('leaves out packages a `linux-image-*` pattern lists without a version (not installed)', () => {
    const m = parseDpkgQuery('linux-image-4.15.0-20-generic\t\nlinux-image-4.15.0-213-generic\t4.15.0-213.224\nlinux-image-generic\t4.15.0.213.196\n');
    expect([...m.keys()]).toEqual(['linux-image-4.15.0-213-generic', 'linux-image-generic']);
  });
});

describe('buildPinManifest', () => {
  it('one entry per deb, sorted, with package, version, arch, filename and sha256', () => {
    const m = manifest();
    expect(m.format).toBe(1);
    expect(m.requested).toEqual(['drbd-utils', 'python-drbdmanage', 'drbd-dkms']);
    expect(m.debs.map((d) => d.package)).toEqual(['dkms', 'drbd-dkms', 'drbd-utils', 'gcc-7', 'libisl19', 'postfix', 'python-dbus', 'python-drbdmanage']);
    expect(m.debs.find((d) => d.package === 'drbd-dkms')).toEqual({
      package: 'drbd-dkms',
      version: '9.0.32-1ppa1~bionic1',
      arch: 'all',
      filename: 'drbd-dkms_9.0.32-1ppa1~bionic1_all.deb',
      sha256: sha('drbd-dkms_9.0.32-1ppa1~bionic1_all.deb'),
    });
  });

  it('drops a deb whose package dpkg reports at another version (a superseded download)', () => {
    const m = buildPinManifest(DPKG_ALL, [...debFiles, { filename: 'dkms_2.3-3ubuntu9.2_all.deb', sha256: sha('old') }]);
    expect(m.debs.filter((d) => d.package === 'dkms').map((d) => d.version)).toEqual(['2.3-3ubuntu9.7']);
  });

  it('keeps debs of packages a restricted dpkg-query does not mention (the walkthrough\'s own query)', () => {
    const restricted = 'drbd-utils\t9.22.0-1ppa1~bionic1\npython-drbdmanage\t0.99.18-1ppa1~bionic1\ndrbd-dkms\t9.0.32-1ppa1~bionic1\nlinux-image-4.15.0-213-generic\t4.15.0-213.224\n';
    expect(buildPinManifest(restricted, debFiles).debs).toHaveLength(DEB_NAMES.length);
  });

  it('a requested package that is not installed, or has no deb, is a missing package', () => {
    const noDkms = DPKG_ALL.replace(/^drbd-dkms\t.*\n/m, '');
    expect(problemsOf(() => buildPinManifest(noDkms, debFiles))).toEqual(['missing package drbd-dkms: dpkg-query does not list it as installed']);
    const noDeb = debFiles.filter((f) => !f.filename.startsWith('python-drbdmanage_'));
    expect(problemsOf(() => buildPinManifest(DPKG_ALL, noDeb))).toEqual(['missing package python-drbdmanage: the set has no .deb for it']);
  });

  it('names a file that is not a deb name', () => {
    expect(problemsOf(() => buildPinManifest(DPKG_ALL, [...debFiles, { filename: 'lock', sha256: sha('') }]))).toEqual([
      'lock: not a .deb file name of the form <package>_<version>_<arch>.deb',
    ]);
  });
});

describe('validatePinManifest', () => {
  it('accepts a manifest read back from JSON', () => {
    const m = manifest();
    expect(validatePinManifest(JSON.parse(JSON.stringify(m)))).toEqual(m);
  });

  it('a duplicate package (two versions of one package) is named with both files', () => {
    const m = manifest();
    const dup = { ...m.debs.find((d) => d.package === 'dkms')!, version: '2.3-3ubuntu9.2', filename: 'dkms_2.3-3ubuntu9.2_all.deb', sha256: sha('x') };
    expect(problemsOf(() => validatePinManifest({ ...m, debs: [...m.debs, dup] }))).toEqual([
      'duplicate package dkms (all): dkms_2.3-3ubuntu9.7_all.deb and dkms_2.3-3ubuntu9.2_all.deb',
    ]);
  });

  it('a sha256 mismatch against the files at hand names the file and both digests; a missing file too', () => {
    const m = manifest();
    const present = new Map(debFiles.map((f) => [f.filename, f.sha256] as const));
    present.set('dkms_2.3-3ubuntu9.7_all.deb', sha('tampered'));
    present.delete('libisl19_0.19-1_amd64.deb');
    expect(problemsOf(() => validatePinManifest(m, { present, source: '/pins/manifest.json' }))).toEqual([
      `sha256 mismatch for dkms_2.3-3ubuntu9.7_all.deb: manifest ${sha('dkms_2.3-3ubuntu9.7_all.deb')}, file ${sha('tampered')}`,
      'missing file libisl19_0.19-1_amd64.deb',
    ]);
  });

  it('lists every problem at once: missing package, bad digest, inconsistent name, missing fields', () => {
    const m = manifest();
    const debs = m.debs
      .filter((d) => d.package !== 'drbd-utils')
      .map((d) => (d.package === 'postfix' ? { ...d, sha256: 'abc' } : d.package === 'gcc-7' ? { ...d, filename: 'gcc-7.deb' } : d));
    const problems = problemsOf(() => validatePinManifest({ ...m, debs: [...debs, { package: 'x' }] }));
    expect(problems).toEqual([
      'gcc-7 7.5.0-3ubuntu1~18.04: file name gcc-7.deb does not match (expected gcc-7_7.5.0-3ubuntu1~18.04_amd64.deb)',
      'postfix 3.3.0-1ubuntu0.4: sha256 is not 64 lower-case hex digits: "abc"',
      'debs[7]: missing version, arch, filename, sha256',
      'missing package drbd-utils: the set has no .deb for it',
    ]);
  });

  it('rejects a non-manifest with a clear message and a usage failure kind', () => {
    const err = (() => {
      try {
        validatePinManifest({ format: 2, debs: {} }, { source: 'pins/manifest.json' });
      } catch (e) {
        return e as PinManifestError;
      }
    })()!;
    expect(failureKind(err)).toBe('usage');
    expect(err.message).toBe(
      'pins/manifest.json: the pinned .deb set is not usable:\n  format: expected 1, got 2\n  requested: expected a non-empty list of package names\n  debs: expected a list',
    );
    expect(problemsOf(() => validatePinManifest(null))).toEqual(['not a JSON object']);
  });
});

describe('pinDigestPart', () => {
  it('is stable across order and changes with any version or digest', () => {
    const m = manifest();
    const part = pinDigestPart(m);
    expect(part).toMatch(/^pinned-debs:sha256:[0-9a-f]{64}$/);
    expect(pinDigestPart({ ...m, debs: [...m.debs].reverse(), requested: [...m.requested].reverse() })).toBe(part);
    const bumped = { ...m, debs: m.debs.map((d) => (d.package === 'drbd-dkms' ? { ...d, version: '9.0.33-1ppa1~bionic1' } : d)) };
    expect(pinDigestPart(bumped)).not.toBe(part);
    const resigned = { ...m, debs: m.debs.map((d) => (d.package === 'libisl19' ? { ...d, sha256: sha('other build') } : d)) };
    expect(pinDigestPart(resigned)).not.toBe(part);
  });
});

describe('renderLocalRepoProvisioning', () => {
  type Obj = Record<string, any>;
  const cfg = () => renderLocalRepoProvisioning(manifest()) as Obj;

  it('is valid cloud-config: write_files and runcmd that round-trip through YAML', () => {
    const c = cfg();
    expect(parse(`#cloud-config\n${JSON.stringify(c)}`)).toEqual(c);
    expect(Object.keys(c).sort()).toEqual(['runcmd', 'write_files']);
  });

  it('copies the debs from the seed ISO\'s pinned/, checks them, builds a local repo and trusts it', () => {
    const run: string[] = cfg().runcmd;
    const at = (needle: string) => run.findIndex((l) => l.includes(needle));
    expect(run.slice(0, 2)).toEqual(['set -eux', 'export DEBIAN_FRONTEND=noninteractive']);
    expect(run).toContain('mount -o ro /dev/disk/by-label/cidata /mnt/drbdlab-seed');
    expect(run).toContain('cp /mnt/drbdlab-seed/pinned/*.deb /opt/drbdlab-pinned/');
    expect(run).toContain('(cd /opt/drbdlab-pinned && sha256sum --check --strict --quiet SHA256SUMS)');
    expect(run).toContain('(cd /opt/drbdlab-pinned && apt-ftparchive packages . > Packages && gzip -9kf Packages && apt-ftparchive release . > Release)');
    expect(run).toContain(`echo 'deb [trusted=yes] file:/opt/drbdlab-pinned ./' > /etc/apt/sources.list.d/drbdlab-pinned.list`);
    expect(at('sha256sum')).toBeLessThan(at('apt-ftparchive'));
    expect(at('apt-ftparchive')).toBeLessThan(at('apt-get update'));
    expect(at('apt-get update')).toBeLessThan(at('apt-get install'));
  });

  it('installs the exact versions and holds them; never adds the PPA', () => {
    const run: string[] = cfg().runcmd;
    expect(run).toContain('apt-get install -y drbd-utils=9.22.0-1ppa1~bionic1 python-drbdmanage=0.99.18-1ppa1~bionic1 drbd-dkms=9.0.32-1ppa1~bionic1');
    expect(run.at(-1)).toBe('apt-mark hold drbd-utils python-drbdmanage drbd-dkms');
    expect(run.join('\n')).not.toMatch(/add-apt-repository|ppa:/);
  });

  it('writes the SHA256SUMS of the set (sha256sum format) and prefers the local repo for dependencies', () => {
    const files: Obj[] = cfg().write_files;
    const sums = files.find((f) => f.path === '/opt/drbdlab-pinned/SHA256SUMS')!;
    const lines = (sums.content as string).trim().split('\n');
    expect(lines).toHaveLength(DEB_NAMES.length);
    expect(lines).toContain(`${sha('dkms_2.3-3ubuntu9.7_all.deb')}  dkms_2.3-3ubuntu9.7_all.deb`);
    const prefs = files.find((f) => f.path === '/etc/apt/preferences.d/90-drbdlab-pinned')!;
    expect(prefs.content).toBe('Package: *\nPin: origin ""\nPin-Priority: 990\n');
  });

  it('refuses an invalid manifest', () => {
    const m = manifest();
    expect(() => renderLocalRepoProvisioning({ ...m, debs: m.debs.filter((d) => d.package !== 'drbd-dkms') })).toThrow(/missing package drbd-dkms/);
  });

  it('epoch versions are installed as such (the colon kept)', () => {
    const dpkg = `${DPKG_ALL}python-dbus-epoch\t1:1.2.6-1\tamd64\n`;
    const m = buildPinManifest(dpkg, [...debFiles, { filename: 'python-dbus-epoch_1%3a1.2.6-1_amd64.deb', sha256: sha('e') }], ['drbd-utils', 'python-dbus-epoch']);
    expect((renderLocalRepoProvisioning(m) as Obj).runcmd).toContain('apt-get install -y drbd-utils=9.22.0-1ppa1~bionic1 python-dbus-epoch=1:1.2.6-1');
  });
});

describe('pinned sets on disk', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drbdlab-pin-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function saveDebs(into: string) {
    for (const f of DEB_NAMES) await writeFile(join(into, f), `contents of ${f}`);
    return DEB_NAMES.map((filename) => ({ filename, sha256: sha(`contents of ${filename}`) }));
  }

  it('hashDebs + buildPinManifest + writePinnedSet + loadPinnedSet round-trip', async () => {
    const from = join(dir, 'from');
    const to = join(dir, 'to');
    await import('node:fs/promises').then((fs) => fs.mkdir(from));
    await saveDebs(from);
    await writeFile(join(from, 'lock'), '');
    const m = buildPinManifest(DPKG_ALL, await hashDebs(from));
    await writePinnedSet(m, from, to);
    expect(await loadPinnedSet(to)).toEqual(m);
    expect(JSON.parse(await readFile(join(to, 'manifest.json'), 'utf8'))).toEqual(m);
  });

  it('loadPinnedSet finds a deb changed after it was saved', async () => {
    const m = buildPinManifest(DPKG_ALL, await saveDebs(dir));
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(m));
    await writeFile(join(dir, 'postfix_3.3.0-1ubuntu0.4_amd64.deb'), 'rebuilt');
    const err = await loadPinnedSet(dir).catch((e: unknown) => e as PinManifestError);
    expect(err).toBeInstanceOf(PinManifestError);
    expect((err as PinManifestError).problems).toEqual([
      `sha256 mismatch for postfix_3.3.0-1ubuntu0.4_amd64.deb: manifest ${sha('contents of postfix_3.3.0-1ubuntu0.4_amd64.deb')}, file ${sha('rebuilt')}`,
    ]);
    expect((err as Error).message).toContain(join(dir, 'manifest.json'));
  });

  it('loadPinnedSet without a manifest says so', async () => {
    await expect(loadPinnedSet(dir)).rejects.toThrow(/manifest\.json: the pinned \.deb set is not usable:\n {2}cannot read it: ENOENT/);
  });
});
