import { describe, expect, it } from 'vitest';
import { UpstreamUnavailableError } from '../errors.js';
import { Debian12Profile } from './debian12-profile.js';
import type { BaseImage, GuestProfile } from './profile.js';
import type { ProfileName } from './profile-names.js';
import { choiceLine, chooseProfile, OFFLINE_PROFILE, profileByName, profileFacts, stackOf, WALKTHROUGH_PROFILE } from './profiles.js';
import { PROFILE_NAMES } from './profile-names.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Ubuntu1804Profile, UBUNTU_UPSTREAMS } from './ubuntu1804-profile.js';

/** Folders nothing here reads (these tests only probe or construct). */
const NOWHERE = { cache: '/nonexistent/cache', state: '/nonexistent/labs' };
const ONLINE = { folders: NOWHERE, offline: false, accel: 'auto' } as const;

/** A profile whose availability the test decides; counts checkAvailable() calls. */
class FakeProfile implements GuestProfile {
  checks = 0;
  constructor(
    readonly name: ProfileName,
    readonly stack: 'drbdadm' | 'drbdmanage',
    private readonly availability: () => void = () => {},
  ) {}
  async checkAvailable(): Promise<void> {
    this.checks++;
    this.availability();
  }
  async ensureImage(): Promise<BaseImage> {
    throw new Error('not in unit tests');
  }
}

const unreachable = (what: string) => () => {
  throw new UpstreamUnavailableError(what, `needs network access to ${what}`);
};

function fakes(ubuntuAvailability?: () => void) {
  return {
    ubuntu: new FakeProfile('ubuntu1804-drbd9', 'drbdmanage', ubuntuAvailability),
    debian: new FakeProfile('debian12-drbd84', 'drbdadm'),
  };
}

describe('chooseProfile', () => {
  it('the --profile flag wins over lab.yaml', async () => {
    const c = fakes();
    const choice = await chooseProfile('debian12-drbd84', 'ubuntu1804-drbd9', c);
    expect(choice).toEqual({ profile: c.debian, explicit: true, reason: 'named by --profile' });
  });

  it('lab.yaml is used when there is no flag', async () => {
    const c = fakes();
    const choice = await chooseProfile(undefined, 'ubuntu1804-drbd9', c);
    expect(choice).toEqual({ profile: c.ubuntu, explicit: true, reason: 'named by lab.yaml' });
  });

  it('a named profile never falls back, even when its upstreams are unreachable', async () => {
    const c = fakes(unreachable('ppa.launchpadcontent.net'));
    const choice = await chooseProfile('ubuntu1804-drbd9', undefined, c);
    expect(choice.profile).toBe(c.ubuntu);
    expect(choice.explicit).toBe(true);
    expect(c.ubuntu.checks).toBe(0);
  });

  it('no name and Ubuntu reachable: Ubuntu, with the reason', async () => {
    const c = fakes();
    const choice = await chooseProfile(undefined, undefined, c);
    expect(choice).toEqual({
      profile: c.ubuntu,
      explicit: false,
      reason: 'the Ubuntu archive and the LINBIT PPA are reachable',
    });
    expect(c.ubuntu.checks).toBe(1);
  });

  it('no name and Ubuntu unreachable: Debian, naming what was unreachable', async () => {
    const c = fakes(unreachable('archive.ubuntu.com, ppa.launchpadcontent.net'));
    const choice = await chooseProfile(undefined, undefined, c);
    expect(choice).toEqual({
      profile: c.debian,
      explicit: false,
      reason: 'archive.ubuntu.com, ppa.launchpadcontent.net unreachable, so the offline profile',
      substituted: { wanted: 'ubuntu1804-drbd9', reason: 'archive.ubuntu.com, ppa.launchpadcontent.net unavailable' },
    });
  });

  it('the substitution is part of the choice and its first line says what did not run', async () => {
    const c = fakes(unreachable('ppa.launchpadcontent.net'));
    const choice = await chooseProfile(undefined, undefined, c);
    expect(c.ubuntu.checks).toBe(1);
    expect(choice.profile).toBe(c.debian);
    expect(choice.substituted).toEqual({ wanted: 'ubuntu1804-drbd9', reason: 'ppa.launchpadcontent.net unavailable' });
    expect(choiceLine(choice)).toBe('ubuntu1804-drbd9 not run: ppa.launchpadcontent.net unavailable; debian12-drbd84 ran instead');
  });

  it('no substitution when Ubuntu ran or a profile was named (a named profile never falls back)', async () => {
    const reachable = await chooseProfile(undefined, undefined, fakes());
    expect(reachable.substituted).toBeUndefined();
    expect(choiceLine(reachable)).toBe('profile: ubuntu1804-drbd9 (the Ubuntu archive and the LINBIT PPA are reachable)');
    const c = fakes(unreachable('ppa.launchpadcontent.net'));
    for (const named of [await chooseProfile('ubuntu1804-drbd9', undefined, c), await chooseProfile(undefined, 'ubuntu1804-drbd9', c)]) {
      expect(named.profile).toBe(c.ubuntu);
      expect(named.substituted).toBeUndefined();
      expect(choiceLine(named)).toMatch(/^profile: ubuntu1804-drbd9 \(named by (--profile|lab\.yaml)\)$/);
    }
    const debian = await chooseProfile('debian12-drbd84', undefined, c);
    expect(debian.substituted).toBeUndefined();
    expect(c.ubuntu.checks).toBe(0);
  });

  it('any other failure of the check is not hidden behind a fallback', async () => {
    const c = fakes(() => {
      throw new TypeError('bug in the probe');
    });
    await expect(chooseProfile(undefined, undefined, c)).rejects.toThrow('bug in the probe');
  });
});

describe('Ubuntu1804Profile.checkAvailable', () => {
  it('rejects with UpstreamUnavailableError listing the unreachable hosts', async () => {
    const asked: string[][] = [];
    const p = new Ubuntu1804Profile(async (hosts) => {
      asked.push(hosts);
      return hosts.filter((h) => h !== 'cloud-images.ubuntu.com');
    }, { folders: NOWHERE });
    const err = await p.checkAvailable().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamUnavailableError);
    const e = err as UpstreamUnavailableError;
    expect(e.resource).toBe('archive.ubuntu.com, ppa.launchpadcontent.net');
    expect(e.message).toMatch(/^upstream unavailable: /);
    expect(e.message).toContain('needs network access to archive.ubuntu.com, ppa.launchpadcontent.net');
    expect(e.message).toContain('--profile debian12-drbd84');
    expect(asked).toEqual([UBUNTU_UPSTREAMS]);
  });

  it('resolves when every host answers', async () => {
    await expect(new Ubuntu1804Profile(async () => [], { folders: NOWHERE }).checkAvailable()).resolves.toBeUndefined();
  });

  it('drives chooseProfile to Debian when unreachable', async () => {
    const debian = new FakeProfile('debian12-drbd84', 'drbdadm');
    const ubuntu = new Ubuntu1804Profile(async (hosts) => hosts, { folders: NOWHERE });
    const choice = await chooseProfile(undefined, undefined, { ubuntu, debian });
    expect(choice.profile).toBe(debian);
    expect(choice.reason).toBe(`${UBUNTU_UPSTREAMS.join(', ')} unreachable, so the offline profile`);
  });
});

describe('profileByName', () => {
  it('maps names to profile classes', () => {
    expect(profileByName('ubuntu1804-drbd9', ONLINE)).toBeInstanceOf(Ubuntu1804Profile);
    expect(profileByName('debian12-drbd84', ONLINE)).toBeInstanceOf(Debian12Profile);
    expect(profileByName('debian12-drbd84', ONLINE).stack).toBe('drbdadm');
    expect(profileByName('ubuntu1804-drbd9', ONLINE).stack).toBe('drbdmanage');
  });
});

describe('the registry: profiles as data', () => {
  it('every name gives a profile of that name whose stack is the one its facts say', () => {
    for (const name of PROFILE_NAMES) {
      const p = profileByName(name, ONLINE);
      expect(p.name).toBe(name);
      expect(profileFacts(name).name).toBe(name);
      expect(p.stack).toBe(profileFacts(name).stack);
      expect(stackOf(name)).toBe(p.stack);
    }
  });

  it('the walkthrough is ubuntu1804-drbd9 on drbdmanage; the offline default is debian12-drbd84 on drbdadm', () => {
    expect(WALKTHROUGH_PROFILE).toBe('ubuntu1804-drbd9');
    expect(OFFLINE_PROFILE).toBe('debian12-drbd84');
    expect(stackOf('ubuntu1804-drbd9')).toBe('drbdmanage');
    expect(stackOf('debian12-drbd84')).toBe('drbdadm');
    expect(profileFacts('ubuntu1804-drbd9').recipe).toMatch(/LINBIT PPA/);
    expect(profileFacts('debian12-drbd84').recipe).toMatch(/Debian 12/);
  });

  it('which suites a profile can add is in its facts: debian12-drbd84 proposed-updates and backports, ubuntu1804-drbd9 none', () => {
    expect(profileFacts('debian12-drbd84').suites).toEqual(['proposed-updates', 'backports']);
    expect(profileFacts('ubuntu1804-drbd9').suites).toEqual([]);
  });

  it('a profile made with added suites runs their variant, and the first line names it; without: no variant', async () => {
    const variant = profileByName('debian12-drbd84', { ...ONLINE, suites: ['proposed-updates'] });
    expect(variant.variant).toBe('proposed-updates');
    expect(profileByName('debian12-drbd84', ONLINE).variant).toBeUndefined();
    const choice = await chooseProfile('debian12-drbd84', undefined, { ubuntu: fakes().ubuntu, debian: variant });
    expect(choiceLine(choice)).toBe('profile: debian12-drbd84+proposed-updates (named by --profile)');
  });

  it('a named profile is picked by its facts, and the substitution names the walkthrough profile by the candidate', async () => {
    const c = fakes(unreachable('ppa.launchpadcontent.net'));
    expect((await chooseProfile('ubuntu1804-drbd9', undefined, c)).profile).toBe(c.ubuntu);
    expect((await chooseProfile('debian12-drbd84', undefined, c)).profile).toBe(c.debian);
    expect((await chooseProfile(undefined, undefined, c)).substituted?.wanted).toBe('ubuntu1804-drbd9');
  });
});

/** Non-test TypeScript under a folder, recursively. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'fixtures' ? [] : sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('no profile-name comparisons outside the registry', () => {
  const root = join(import.meta.dirname, '..', '..');
  const names = PROFILE_NAMES.join('|');
  // `x === 'name'`, `'name' !== x`, `case 'name':`: deciding by a profile's name instead of its facts.
  const comparison = new RegExp(`[!=]==?\\s*['"\`](${names})['"\`]|['"\`](${names})['"\`]\\s*[!=]==?|case\\s+['"\`](${names})['"\`]`);

  it('the pattern sees the shapes it is meant to', () => {
    expect(comparison.test("p === 'ubuntu1804-drbd9' ? a : b")).toBe(true);
    expect(comparison.test("'debian12-drbd84' !== p")).toBe(true);
    expect(comparison.test("case 'ubuntu1804-drbd9':")).toBe(true);
    expect(comparison.test("profile: 'debian12-drbd84',")).toBe(false);
  });

  it('lib, scenarios and scripts compare no profile name but in lib/image/profiles.ts', () => {
    const offenders = ['lib', 'scenarios', 'scripts']
      .flatMap((d) => sources(join(root, d)))
      .filter((f) => relative(root, f) !== join('lib', 'image', 'profiles.ts'))
      .flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .map((line, i) => ({ line, at: `${relative(root, f)}:${i + 1}` }))
          .filter((l) => comparison.test(l.line))
          .map((l) => `${l.at}: ${l.line.trim()}`),
      );
    expect(offenders).toEqual([]);
  });
});
