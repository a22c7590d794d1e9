import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { Debian12Profile } from '../image/debian12-profile.js';
import { profileByName } from '../image/profiles.js';
import { ConfigError, UsageError } from '../errors.js';
import { configFileOf, loadConfig, parseRunConfig, profileSettings, resolveConfig, resolveLabless, RUN_CONFIG_ENV, serializeConfig } from './config.js';

const ROOT = '/checkout';
const LAB = `
profile: debian12-drbd84
memoryMiB: 512
cpus: 1
dataDiskGiB: 2
replicationNetwork: 10.255.255.0/24
nodes:
  - { name: drbd1, id: 1, replicationIp: 10.255.255.101 }
  - { name: drbd2, id: 2, replicationIp: 10.255.255.102 }
`;
const NO_PROFILE = LAB.replace('profile: debian12-drbd84\n', '');

/** The one line a bad input gives, or what else was thrown. */
function lineOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    expect(err.message.split('\n')).toHaveLength(1);
    return err.message;
  }
  throw new Error('no error');
}

describe('one configuration: flag > variable > lab.yaml > default', () => {
  it('the profile: the flag over DRBDLAB_PROFILE over lab.yaml; none of them: unset', () => {
    const env = { DRBDLAB_PROFILE: 'ubuntu1804-drbd9' };
    expect(resolveConfig(LAB, { root: ROOT, env: {}, flags: {} }).profile).toBe('debian12-drbd84');
    expect(resolveConfig(LAB, { root: ROOT, env, flags: {} }).profile).toBe('ubuntu1804-drbd9');
    expect(resolveConfig(NO_PROFILE, { root: ROOT, env: { DRBDLAB_PROFILE: 'debian12-drbd84' }, flags: { profile: 'ubuntu1804-drbd9' } }).profile).toBe('ubuntu1804-drbd9');
    expect(resolveConfig(NO_PROFILE, { root: ROOT, env: {}, flags: {} }).profile).toBeUndefined();
    // An empty variable is an unset one.
    expect(resolveConfig(LAB, { root: ROOT, env: { DRBDLAB_PROFILE: '' }, flags: {} }).profile).toBe('debian12-drbd84');
  });

  it('what the profiles take of it: offline (the flag over the variable), the pinned set, the hypervisor setting', () => {
    expect(profileSettings(resolveConfig(LAB, { root: ROOT, env: { DRBDLAB_OFFLINE: '0', DRBDLAB_PIN_DIR: '/pins', DRBDLAB_ACCEL: 'tcg' }, flags: { offline: true } }))).toEqual({ folders: { cache: '/checkout/.cache', state: '/checkout/.lab' }, offline: true, accel: 'tcg', pinDir: '/pins', debian: { mirror: 'http://deb.debian.org/debian', securityMirror: 'http://deb.debian.org/debian-security' } });
    expect(profileSettings(resolveConfig(LAB, { root: ROOT, env: {} }))).toMatchObject({ offline: false, accel: 'auto' });
  });

  it("debian12-drbd84's mirrors and extra source reach its recipe from the configuration, whatever the environment says later", () => {
    const config = resolveConfig(LAB, {
      root: ROOT,
      env: { DRBDLAB_DEBIAN_MIRROR: 'http://m.example/debian', DRBDLAB_DEBIAN_SECURITY_MIRROR: 'http://s.example/sec', DRBDLAB_EXTRA_APT_SOURCE: 'deb [trusted=yes] http://127.0.0.1:8080 ./', DRBDLAB_EXTRA_PACKAGES: 'drbdlab-canary' },
    });
    vi.stubEnv('DRBDLAB_DEBIAN_MIRROR', 'http://other.example/debian');
    vi.stubEnv('DRBDLAB_EXTRA_APT_SOURCE', '');
    try {
      const recipe = (profileByName('debian12-drbd84', profileSettings(config)) as Debian12Profile).recipe;
      expect(recipe.mirror).toBe('http://m.example/debian');
      expect(recipe.updates).toEqual(['deb http://m.example/debian bookworm-updates main', 'deb http://s.example/sec bookworm-security main']);
      expect(recipe.extra).toEqual({ sources: ['deb [trusted=yes] http://127.0.0.1:8080 ./'], packages: ['drbdlab-canary'] });
      // None given: Debian's own archive, no extra source.
      const plain = (profileByName('debian12-drbd84', profileSettings(resolveConfig(LAB, { root: ROOT, env: {} }))) as Debian12Profile).recipe;
      expect([plain.mirror, plain.extra]).toEqual(['http://deb.debian.org/debian', undefined]);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('--suite: repeatable and comma lists, sorted, no repeats; the flag over DRBDLAB_SUITE; none: the plain profile', () => {
    const flags = (suites: string[]) => ({ root: ROOT, env: { DRBDLAB_SUITE: 'backports' }, flags: { suites } });
    expect(resolveConfig(LAB, flags(['proposed-updates'])).suites).toEqual(['proposed-updates']);
    expect(resolveConfig(LAB, flags(['proposed-updates,backports', 'proposed-updates'])).suites).toEqual(['backports', 'proposed-updates']);
    expect(resolveConfig(LAB, { root: ROOT, env: { DRBDLAB_SUITE: 'proposed-updates, backports' } }).suites).toEqual(['backports', 'proposed-updates']);
    expect('suites' in resolveConfig(LAB, { root: ROOT, env: {} })).toBe(false);
    expect('suites' in resolveConfig(LAB, { root: ROOT, env: { DRBDLAB_SUITE: '' } })).toBe(false);
  });

  it('the added suites reach the profile: its recipe reads bookworm-proposed-updates and the run is that variant', () => {
    const config = resolveConfig(LAB, { root: ROOT, env: {}, flags: { suites: ['proposed-updates'] } });
    expect(profileSettings(config).suites).toEqual(['proposed-updates']);
    const profile = profileByName('debian12-drbd84', profileSettings(config)) as Debian12Profile;
    expect(profile.variant).toBe('proposed-updates');
    expect(profile.recipe.added?.sources).toEqual(['deb http://deb.debian.org/debian bookworm-proposed-updates main']);
    expect('suites' in profileSettings(resolveConfig(LAB, { root: ROOT, env: {} }))).toBe(false);
  });

  it('a bad extra source is one line at the edge', () => {
    expect(() => resolveConfig(LAB, { root: ROOT, env: { DRBDLAB_EXTRA_PACKAGES: 'x' } })).toThrow('DRBDLAB_EXTRA_PACKAGES needs DRBDLAB_EXTRA_APT_SOURCE (the source they come from)');
  });

  it('DRBDLAB_OWNER_PID: the job whose labs these are, as a number', () => {
    expect(resolveConfig(LAB, { root: ROOT, env: { DRBDLAB_OWNER_PID: '4242' } }).ownerPid).toBe(4242);
    expect(resolveConfig(LAB, { root: ROOT, env: {} }).ownerPid).toBeUndefined();
  });

  it('offline and keep: the flag over the variable over off', () => {
    expect(resolveConfig(LAB, { root: ROOT, env: {} })).toMatchObject({ offline: false, keep: false });
    expect(resolveConfig(LAB, { root: ROOT, env: { DRBDLAB_OFFLINE: '1', DRBDLAB_KEEP: '1' } })).toMatchObject({ offline: true, keep: true });
    expect(resolveConfig(LAB, { root: ROOT, env: { DRBDLAB_OFFLINE: '0', DRBDLAB_KEEP: '0' }, flags: { offline: true, keep: true } })).toMatchObject({ offline: true, keep: true });
    expect(resolveConfig(LAB, { root: ROOT, env: { DRBDLAB_OFFLINE: '1' }, flags: { offline: false } }).offline).toBe(false);
  });

  it('attribution: on with a 120-minute budget by default; the flags over the variables', () => {
    expect(resolveConfig(LAB, { root: ROOT, env: {} }).attribution).toEqual({ enabled: true, budgetMinutes: 120 });
    const env = { DRBDLAB_ATTRIBUTION: '0', DRBDLAB_ATTRIBUTION_BUDGET_MIN: '30' };
    expect(resolveConfig(LAB, { root: ROOT, env }).attribution).toEqual({ enabled: false, budgetMinutes: 30 });
    expect(resolveConfig(LAB, { root: ROOT, env, flags: { attribution: true, attributionBudget: '45.5' } }).attribution).toEqual({ enabled: true, budgetMinutes: 45.5 });
    expect(resolveConfig(LAB, { root: ROOT, env: {}, flags: { attribution: false } }).attribution).toEqual({ enabled: false, budgetMinutes: 120 });
  });

  it("the tests' own scenarios: only with DRBDLAB_TEST_SCENARIOS=1", () => {
    expect(resolveConfig(LAB, { root: ROOT, env: {} }).testScenarios).toBeUndefined();
    expect(resolveConfig(LAB, { root: ROOT, env: { DRBDLAB_TEST_SCENARIOS: '0' } }).testScenarios).toBeUndefined();
    expect(resolveConfig(LAB, { root: ROOT, env: { DRBDLAB_TEST_SCENARIOS: '1' } }).testScenarios).toBe(true);
    expect(lineOf(() => resolveConfig(LAB, { root: ROOT, env: { DRBDLAB_TEST_SCENARIOS: 'yes' } }))).toBe('DRBDLAB_TEST_SCENARIOS=yes: use 1, 0, (empty)');
    // The CLI checks scenario arguments before lab.yaml is read: the same answer without it.
    expect(resolveLabless({ DRBDLAB_TEST_SCENARIOS: '1' }, ROOT).testScenarios).toBe(true);
    expect(resolveLabless({ DRBDLAB_TEST_SCENARIOS: '0' }, ROOT).testScenarios).toBeUndefined();
  });

  it('the lab definition: --config over DRBDLAB_CONFIG over lab/lab.yaml of the checkout', () => {
    expect(configFileOf({ root: ROOT, env: {} })).toBe('/checkout/lab/lab.yaml');
    expect(configFileOf({ root: ROOT, env: { DRBDLAB_CONFIG: '/etc/env.yaml' } })).toBe('/etc/env.yaml');
    expect(configFileOf({ root: ROOT, env: { DRBDLAB_CONFIG: '/etc/env.yaml' }, flags: { config: '/etc/flag.yaml' } })).toBe('/etc/flag.yaml');
    // A path the user gives is from where they are.
    expect(configFileOf({ root: ROOT, env: {}, flags: { config: 'mine.yaml' } })).toBe(resolve('mine.yaml'));
  });

  it('defaults: folders under the checkout, the snapshots under the cache, the JUnit file under the reports', () => {
    const c = resolveConfig(LAB, { root: ROOT, env: {} });
    expect(c.paths).toEqual({
      state: '/checkout/.lab',
      cache: '/checkout/.cache',
      snapshots: '/checkout/.cache/snapshots',
      reports: '/checkout/reports',
      junit: '/checkout/reports/junit.xml',
    });
    expect(c).toMatchObject({ accel: 'auto', snapshotCacheGiB: 6, packageCacheGiB: 4, debug: false, debian: { mirror: 'http://deb.debian.org/debian' } });
    expect(c.clusters).toBeUndefined();
    expect(c.lab.libvirtUri).toBe('qemu:///system');
  });

  it('variables over defaults, and what follows from them (snapshots under another cache)', () => {
    const c = resolveConfig(LAB, {
      root: ROOT,
      env: { DRBDLAB_CACHE: '/var/c', DRBDLAB_REPORTS: '/var/r', DRBDLAB_CLUSTERS: '3', DRBDLAB_ACCEL: 'tcg', DRBDLAB_SNAPSHOT_CACHE_GIB: '2.5', DRBDLAB_PACKAGE_CACHE_GIB: '0.5', DRBDLAB_REPLAY: '/a.json,,/b.json', DRBDLAB_LAB: 'x1', DRBDLAB_DEBUG: 'y' },
    });
    expect(c.paths).toMatchObject({ cache: '/var/c', snapshots: '/var/c/snapshots', reports: '/var/r', junit: '/var/r/junit.xml' });
    expect(c).toMatchObject({ clusters: 3, accel: 'tcg', snapshotCacheGiB: 2.5, packageCacheGiB: 0.5, replay: ['/a.json', '/b.json'], labId: 'x1', debug: true });
  });

  it('without lab.yaml (npm run report): the folders, offline and the store\'s bound by the same rules', () => {
    const env = { DRBDLAB_STATE: '/var/l', DRBDLAB_SNAPSHOTS: '/var/s', DRBDLAB_REPORTS: '/var/r', DRBDLAB_OFFLINE: '1', DRBDLAB_PACKAGE_CACHE_GIB: '0.5' };
    expect(resolveLabless(env, ROOT)).toEqual({
      paths: { state: '/var/l', cache: '/checkout/.cache', snapshots: '/var/s', reports: '/var/r', junit: '/var/r/junit.xml' },
      offline: true,
      packageCacheGiB: 0.5,
    });
    const c = resolveConfig(LAB, { root: ROOT, env });
    expect({ paths: c.paths, offline: c.offline, packageCacheGiB: c.packageCacheGiB }).toEqual(resolveLabless(env, ROOT));
    expect(resolveLabless({}, ROOT)).toMatchObject({ offline: false, packageCacheGiB: 4 });
    expect(lineOf(() => resolveLabless({ DRBDLAB_OFFLINE: 'yes' }, ROOT))).toBe('DRBDLAB_OFFLINE=yes: use 1, 0, (empty)');
  });
});

describe('a bad value in any source: one line naming it and the fix (exit 2 at the edge)', () => {
  it('a variable', () => {
    expect(lineOf(() => resolveConfig(LAB, { root: ROOT, env: { DRBDLAB_CLUSTERS: 'many' } }))).toBe('DRBDLAB_CLUSTERS=many: give a whole number, 1 or more');
    expect(lineOf(() => resolveConfig(LAB, { root: ROOT, env: { DRBDLAB_KEEP: 'yes' } }))).toBe("DRBDLAB_KEEP=yes: use 1, 0, (empty)");
    expect(lineOf(() => resolveConfig(LAB, { root: ROOT, env: { DRBDLAB_OFLINE: '1' } }))).toMatch(/^DRBDLAB_OFLINE: not a drbdlab variable \(did you mean DRBDLAB_OFFLINE\?\)/);
  });

  it('a flag', () => {
    expect(lineOf(() => resolveConfig(LAB, { root: ROOT, env: {}, flags: { profile: 'centos' } }))).toBe('--profile centos: not a profile; use one of debian12-drbd84, ubuntu1804-drbd9');
    expect(lineOf(() => resolveConfig(LAB, { root: ROOT, env: {}, flags: { attributionBudget: '0' } }))).toBe('--attribution-budget 0: give minutes, a number above 0 (e.g. 90)');
    expect(lineOf(() => resolveConfig(LAB, { root: ROOT, env: { DRBDLAB_ATTRIBUTION_BUDGET_MIN: 'an hour' } }))).toBe('DRBDLAB_ATTRIBUTION_BUDGET_MIN=an hour: give minutes, a number above 0 (e.g. 90)');
  });

  it('a suite the profile cannot add: one line naming the profiles that can, and what they add', () => {
    const ubuntu = LAB.replace('profile: debian12-drbd84', 'profile: ubuntu1804-drbd9');
    expect(lineOf(() => resolveConfig(ubuntu, { root: ROOT, env: {}, flags: { suites: ['proposed-updates'] } }))).toBe(
      '--suite proposed-updates: ubuntu1804-drbd9 adds no suites; profiles that do: debian12-drbd84 (proposed-updates, backports)',
    );
    expect(lineOf(() => resolveConfig(LAB, { root: ROOT, env: {}, flags: { suites: ['backports,sid'] } }))).toBe('--suite sid: not a suite debian12-drbd84 can add; use proposed-updates, backports');
    expect(lineOf(() => resolveConfig(NO_PROFILE, { root: ROOT, env: { DRBDLAB_SUITE: 'backports' } }))).toBe(
      "DRBDLAB_SUITE backports: a suite is added to a named profile: name it with --profile (or DRBDLAB_PROFILE, lab.yaml's profile); profiles that add suites: debian12-drbd84 (proposed-updates, backports)",
    );
    expect(lineOf(() => resolveConfig(LAB, { root: ROOT, env: { DRBDLAB_SUITE: 'testing' } }))).toBe('DRBDLAB_SUITE=testing: testing: use proposed-updates, backports (a comma list), or leave it unset');
  });

  it('lab.yaml: the file, the key and the fix', () => {
    let err: unknown;
    try {
      resolveConfig(LAB.replace('memoryMiB: 512', 'memoryMiB: 64'), { root: ROOT, env: {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe('/checkout/lab/lab.yaml: memoryMiB: DRBD guests need at least 256 MiB');
  });

  it('a lab definition that is not there', async () => {
    await expect(loadConfig({ root: ROOT, env: {}, flags: { config: '/nonexistent/lab.yaml' } })).rejects.toThrow(
      new ConfigError('/nonexistent/lab.yaml', '', 'cannot read the lab definition: pass --config <file> or create lab/lab.yaml'),
    );
  });
});

describe('handed down to a child process whole', () => {
  it('the child reads what the parent resolved, not its own variables or lab.yaml', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'drbdlab-config-'));
    const parent = { ...resolveConfig(LAB, { root: dir, env: { DRBDLAB_CLUSTERS: '2' } }), snapshot: '/snap/x', keep: true };
    const child = await loadConfig({ root: '/elsewhere', env: { [RUN_CONFIG_ENV]: serializeConfig(parent), DRBDLAB_CLUSTERS: '7' } });
    expect(child).toEqual(parent);
    expect(child).toMatchObject({ clusters: 2, snapshot: '/snap/x', keep: true });
  });

  it("the child's own flags still win over what was handed down", async () => {
    const parent = resolveConfig(LAB, { root: ROOT, env: {} });
    const env = { [RUN_CONFIG_ENV]: serializeConfig(parent) };
    expect(await loadConfig({ env, flags: { profile: 'ubuntu1804-drbd9', keep: true, offline: true } })).toMatchObject({ profile: 'ubuntu1804-drbd9', keep: true, offline: true });
    expect(await loadConfig({ env })).toMatchObject({ profile: 'debian12-drbd84', keep: false, offline: false });
    await expect(loadConfig({ env, flags: { profile: 'centos' } })).rejects.toThrow('--profile centos: not a profile');
  });

  it('the added suites go down with it; a child\'s own --profile is checked against them', async () => {
    const parent = resolveConfig(LAB, { root: ROOT, env: {}, flags: { suites: ['proposed-updates'] } });
    const env = { [RUN_CONFIG_ENV]: serializeConfig(parent) };
    expect((await loadConfig({ env })).suites).toEqual(['proposed-updates']);
    expect((await loadConfig({ env, flags: { suites: ['backports'] } })).suites).toEqual(['backports']);
    await expect(loadConfig({ env, flags: { profile: 'ubuntu1804-drbd9' } })).rejects.toThrow('ubuntu1804-drbd9 adds no suites');
  });

  it('without it, the child reads lab.yaml and its variables by the same rules', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'drbdlab-config-'));
    await mkdir(join(dir, 'lab'));
    await writeFile(join(dir, 'lab', 'lab.yaml'), LAB);
    expect((await loadConfig({ root: dir, env: { DRBDLAB_CLUSTERS: '7' } })).clusters).toBe(7);
  });

  it('a value that is not a configuration is one line naming the variable', () => {
    expect(lineOf(() => parseRunConfig('{'))).toBe(`${RUN_CONFIG_ENV}: not JSON; it is set by drbdlab for its child processes: unset it`);
    const good = JSON.parse(serializeConfig(resolveConfig(LAB, { root: ROOT, env: {} }))) as Record<string, unknown>;
    expect(lineOf(() => parseRunConfig(JSON.stringify({ ...good, clusters: 0 })))).toMatch(new RegExp(`^${RUN_CONFIG_ENV}: clusters: .*unset it$`));
    expect(lineOf(() => parseRunConfig(JSON.stringify({ ...good, lab: { ...(good.lab as object), cpus: 0 } })))).toMatch(new RegExp(`^${RUN_CONFIG_ENV}: lab.cpus: `));
  });
});
