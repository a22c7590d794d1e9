import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPackageSet, diffPackageSets, formatSourceChange, layerDebs, packageSetId, parseDebFields, parseInstalled, type PackageEntry, type PackageSetManifest } from './package-set.js';
import { parseAptPolicyOrigins } from './apt-policy.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
// Real: `dpkg-deb -f <deb> Package Version Architecture Source` of debs a debian12-drbd84 build here downloaded.
const FIELDS = JSON.parse(readFileSync(join(FIXTURES, 'dpkg-deb-fields.json'), 'utf8')) as Record<string, string>;
// Real: that build's tree, `dpkg-query -W -f INSTALLED_FORMAT` and `apt-cache policy <every installed package>`.
const INSTALLED = readFileSync(join(FIXTURES, 'package-set-debian12', 'dpkg-query.txt'), 'utf8');
const POLICY = readFileSync(join(FIXTURES, 'package-set-debian12', 'policy.txt'), 'utf8');

describe('parseDebFields', () => {
  it('a binNMU names its source with the source\'s version', () => {
    expect(parseDebFields(FIELDS['bash_5.2.15-2+b13_amd64.deb']!)).toEqual({ package: 'bash', version: '5.2.15-2+b13', arch: 'amd64', source: 'bash', sourceVersion: '5.2.15-2' });
    expect(parseDebFields(FIELDS['libcap2_1%3a2.66-4+deb12u3+b1_amd64.deb']!)).toEqual({ package: 'libcap2', version: '1:2.66-4+deb12u3+b1', arch: 'amd64', source: 'libcap2', sourceVersion: '1:2.66-4+deb12u3' });
  });

  it('a binary with an epoch its source lacks keeps both versions apart', () => {
    expect(parseDebFields(FIELDS['bsdutils_1%3a2.38.1-5+deb12u3_amd64.deb']!)).toEqual({ package: 'bsdutils', version: '1:2.38.1-5+deb12u3', arch: 'amd64', source: 'util-linux', sourceVersion: '2.38.1-5+deb12u3' });
  });

  it('Source without a version: the binary\'s version; no Source: the binary\'s own name', () => {
    expect(parseDebFields(FIELDS['libc6_2.36-9+deb12u14_amd64.deb']!)).toEqual({ package: 'libc6', version: '2.36-9+deb12u14', arch: 'amd64', source: 'glibc', sourceVersion: '2.36-9+deb12u14' });
    expect(parseDebFields(FIELDS['dpkg_1.21.23_amd64.deb']!)).toEqual({ package: 'dpkg', version: '1.21.23', arch: 'amd64', source: 'dpkg', sourceVersion: '1.21.23' });
    expect(parseDebFields(FIELDS['libpam-runtime_1.5.2-6+deb12u3_all.deb']!).arch).toBe('all');
  });

  it('output without the three fields is an error naming the file', () => {
    expect(() => parseDebFields('Source: foo\n', 'x.deb')).toThrow(/^x\.deb: dpkg-deb -f gave no Package\/Version\/Architecture/);
  });
});

describe('parseInstalled', () => {
  it('lists the installed packages of the real tree, by name', () => {
    const installed = parseInstalled(INSTALLED);
    const lines = INSTALLED.split('\n').filter(Boolean);
    expect(installed.length).toBe(lines.filter((l) => l.endsWith('\tii ')).length);
    expect(installed.length).toBe(293);
    expect(installed.find((p) => p.package === 'drbd-utils')).toEqual({ package: 'drbd-utils', version: '9.22.0-1', arch: 'amd64', source: 'drbd-utils', sourceVersion: '9.22.0-1' });
    // A binNMU and a binary with an epoch its source lacks: dpkg gives the source's own version.
    expect(installed.find((p) => p.package === 'bash')).toEqual({ package: 'bash', version: '5.2.15-2+b13', arch: 'amd64', source: 'bash', sourceVersion: '5.2.15-2' });
    expect(installed.find((p) => p.package === 'bsdutils')).toEqual({ package: 'bsdutils', version: '1:2.38.1-5+deb12u3', arch: 'amd64', source: 'util-linux', sourceVersion: '2.38.1-5+deb12u3' });
    expect(installed.map((p) => p.package)).toEqual([...installed.map((p) => p.package)].sort((a, b) => a.localeCompare(b)));
  });

  it('leaves out what is only configured-remaining or half-installed', () => {
    expect(parseInstalled('foo\t1\tamd64\tfoo\t1\tii \nbar\t2\tamd64\tbar\t2\trc \nbaz\t3\tall\tbaz\t3\tiF \n')).toEqual([{ package: 'foo', version: '1', arch: 'amd64', source: 'foo', sourceVersion: '1' }]);
  });

  it('a line it cannot read is an error', () => {
    expect(() => parseInstalled('foo 1 amd64 ii\n')).toThrow(/unexpected line/);
  });
});

describe('buildPackageSet', () => {
  const installed = parseInstalled(INSTALLED);
  // Every installed package of the real tree, with the fields its deb would give and a fake file.
  const debs = installed.map((p, i) => ({ ...p, sha256: i.toString(16).padStart(64, '0'), size: 1000 + i }));
  const suites = parseAptPolicyOrigins(POLICY);

  it('one entry per installed package of the real tree, with the suite its version came from', () => {
    const set = buildPackageSet({ profile: 'debian12-drbd84', createdAt: '2026-12-07T00:00:00.000Z', installed, debs, suites });
    expect(set.entries).toHaveLength(installed.length);
    expect(set.missing).toBeUndefined();
    expect(set.entries.find((e) => e.package === 'drbd-utils')!.suite).toBe('bookworm');
    // As the build here recorded it: the kernel from the security suite, the rest from the release.
    expect(set.entries.find((e) => e.package === 'linux-image-6.1.0-57-cloud-amd64')).toMatchObject({ suite: 'bookworm-security', source: 'linux-signed-amd64', sourceVersion: '6.1.192+3' });
    const bySuite: Record<string, number> = {};
    for (const e of set.entries) bySuite[e.suite ?? 'none'] = (bySuite[e.suite ?? 'none'] ?? 0) + 1;
    expect(bySuite).toEqual({ bookworm: 262, 'bookworm-security': 31 });
    expect(set.id).toBe(packageSetId(set.entries));
  });

  it('an installed package without its exact deb is missing; a deb of another version is not used', () => {
    const drbd = installed.find((p) => p.package === 'drbd-utils')!;
    const others = debs.filter((d) => d.package !== 'drbd-utils');
    const set = buildPackageSet({ profile: 'debian12-drbd84', createdAt: 'x', installed, debs: [...others, { ...debs.find((d) => d.package === 'drbd-utils')!, version: '9.21.0-1' }], suites });
    expect(set.missing).toEqual([`drbd-utils ${drbd.version} amd64`]);
    expect(set.entries.find((e) => e.package === 'drbd-utils')).toBeUndefined();
  });

  it('the id depends on the files, not on the order or the date', () => {
    const a = buildPackageSet({ profile: 'p', createdAt: '1', installed, debs, suites });
    const b = buildPackageSet({ profile: 'p', createdAt: '2', installed, debs: [...debs].reverse(), suites: {} });
    expect(b.id).toBe(a.id);
    const c = buildPackageSet({ profile: 'p', createdAt: '1', installed, debs: debs.map((d, i) => (i === 0 ? { ...d, sha256: 'f'.repeat(64) } : d)), suites });
    expect(c.id).not.toBe(a.id);
  });
});

const entry = (pkg: string, version: string, source: string, sourceVersion = version, sha = `${pkg}-${version}`): PackageEntry => ({
  package: pkg,
  version,
  arch: 'amd64',
  source,
  sourceVersion,
  sha256: sha,
  size: 1,
});

describe('diffPackageSets', () => {
  // Real package names and versions of this build (util-linux and glibc) and an older point release.
  const older = [
    entry('bsdutils', '1:2.38.1-5+deb12u1', 'util-linux', '2.38.1-5+deb12u1'),
    entry('libblkid1', '2.38.1-5+deb12u1', 'util-linux'),
    entry('libc6', '2.36-9+deb12u7', 'glibc'),
    entry('libc-bin', '2.36-9+deb12u7', 'glibc'),
    entry('dpkg', '1.21.23', 'dpkg'),
    entry('gone', '1.0', 'gone-src'),
  ];
  const newer = [
    entry('bsdutils', '1:2.38.1-5+deb12u3', 'util-linux', '2.38.1-5+deb12u3'),
    entry('libblkid1', '2.38.1-5+deb12u3', 'util-linux'),
    entry('libc6', '2.36-9+deb12u7', 'glibc'),
    entry('libc-bin', '2.36-9+deb12u7', 'glibc'),
    entry('dpkg', '1.21.23', 'dpkg'),
    entry('fresh', '2.0', 'fresh-src'),
  ];

  it('names each source that changed, came or went, with its binaries; unchanged sources are left out', () => {
    expect(diffPackageSets(older, newer)).toEqual([
      { source: 'fresh-src', kind: 'added', from: [], to: ['2.0'], binaries: [{ package: 'fresh', arch: 'amd64', to: '2.0' }] },
      { source: 'gone-src', kind: 'removed', from: ['1.0'], to: [], binaries: [{ package: 'gone', arch: 'amd64', from: '1.0' }] },
      {
        source: 'util-linux',
        kind: 'changed',
        from: ['2.38.1-5+deb12u1'],
        to: ['2.38.1-5+deb12u3'],
        binaries: [
          { package: 'bsdutils', arch: 'amd64', from: '1:2.38.1-5+deb12u1', to: '1:2.38.1-5+deb12u3' },
          { package: 'libblkid1', arch: 'amd64', from: '2.38.1-5+deb12u1', to: '2.38.1-5+deb12u3' },
        ],
      },
    ]);
  });

  it('one binary of a source changing is enough; a binary added to an existing source is a change of it', () => {
    const c = diffPackageSets(older, [...newer.filter((e) => e.package !== 'libc-bin'), entry('libc-bin', '2.36-9+deb12u14', 'glibc'), entry('libc-l10n', '2.36-9+deb12u7', 'glibc')]);
    const glibc = c.find((x) => x.source === 'glibc')!;
    expect(glibc.kind).toBe('changed');
    expect(glibc.from).toEqual(['2.36-9+deb12u7']);
    expect(glibc.to).toEqual(['2.36-9+deb12u14', '2.36-9+deb12u7']);
    expect(glibc.binaries).toEqual([
      { package: 'libc-bin', arch: 'amd64', from: '2.36-9+deb12u7', to: '2.36-9+deb12u14' },
      { package: 'libc-l10n', arch: 'amd64', to: '2.36-9+deb12u7' },
    ]);
  });

  it('the same version from another file (a rebuilt deb) is a change', () => {
    const c = diffPackageSets(older, older.map((e) => (e.package === 'dpkg' ? { ...e, sha256: 'rebuilt' } : e)));
    expect(c.map((x) => [x.source, x.kind])).toEqual([['dpkg', 'changed']]);
  });

  it('a set against itself: nothing', () => {
    expect(diffPackageSets(newer, newer)).toEqual([]);
  });

  it('formats a change as one line', () => {
    const lines = diffPackageSets(older, newer).map(formatSourceChange);
    expect(lines).toEqual([
      'fresh-src added: 2.0 (fresh)',
      'gone-src removed (was 1.0; gone)',
      'util-linux 2.38.1-5+deb12u1 → 2.38.1-5+deb12u3 (bsdutils, libblkid1)',
    ]);
  });
});

describe('layerDebs', () => {
  it('the layer\'s downloads win; the base set answers for the rest', () => {
    const base = { id: 'b', profile: 'p', createdAt: 'x', entries: [entry('a', '1', 'a'), entry('b', '1', 'b')] };
    const downloaded = [{ ...entry('b', '2', 'b'), sha256: 'new' }];
    expect(layerDebs(base, downloaded).map((d) => `${d.package} ${d.version} ${d.sha256}`)).toEqual(['b 2 new', 'a 1 a-1', 'b 1 b-1']);
  });
});

describe('two real sets: a full build and the upgrade layer on it (a new canary in a loopback repository)', () => {
  const read = (f: string) => JSON.parse(readFileSync(join(FIXTURES, 'package-set-debian12', f), 'utf8')) as PackageSetManifest;
  const full = read('set-full.json');
  const layer = read('set-layer.json');

  it('the layer names its base set and keeps the base\'s files for all it left alone', () => {
    expect(layer.layeredOn).toBe(full.id);
    const fullFiles = new Set(full.entries.map((e) => e.sha256));
    expect(layer.entries.filter((e) => fullFiles.has(e.sha256)).map((e) => e.package)).toHaveLength(293);
    expect([full.missing, layer.missing]).toEqual([undefined, undefined]);
  });

  it('their ids are what the build computed from the entries', () => {
    expect(packageSetId(full.entries)).toBe(full.id);
    expect(packageSetId(layer.entries)).toBe(layer.id);
  });

  it('the diff names the one source that changed', () => {
    expect(diffPackageSets(full.entries, layer.entries)).toEqual([
      { source: 'drbdlab-canary', kind: 'changed', from: ['1.0'], to: ['1.1'], binaries: [{ package: 'drbdlab-canary', arch: 'all', from: '1.0', to: '1.1' }] },
    ]);
    expect(diffPackageSets(layer.entries, full.entries).map(formatSourceChange)).toEqual(['drbdlab-canary 1.1 → 1.0 (drbdlab-canary)']);
  });
});
