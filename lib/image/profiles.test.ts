import { describe, expect, it } from 'vitest';
import { UpstreamUnavailableError } from '../errors.js';
import { Debian12Profile } from './debian12-profile.js';
import type { BaseImage, GuestProfile } from './profile.js';
import type { ProfileName } from './profile-names.js';
import { choiceLine, chooseProfile, profileByName } from './profiles.js';
import { Ubuntu1804Profile, UBUNTU_UPSTREAMS } from './ubuntu1804-profile.js';

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
    });
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
    await expect(new Ubuntu1804Profile(async () => []).checkAvailable()).resolves.toBeUndefined();
  });

  it('drives chooseProfile to Debian when unreachable', async () => {
    const debian = new FakeProfile('debian12-drbd84', 'drbdadm');
    const ubuntu = new Ubuntu1804Profile(async (hosts) => hosts);
    const choice = await chooseProfile(undefined, undefined, { ubuntu, debian });
    expect(choice.profile).toBe(debian);
    expect(choice.reason).toBe(`${UBUNTU_UPSTREAMS.join(', ')} unreachable, so the offline profile`);
  });
});

describe('profileByName', () => {
  it('maps names to profile classes', () => {
    expect(profileByName('ubuntu1804-drbd9')).toBeInstanceOf(Ubuntu1804Profile);
    expect(profileByName('debian12-drbd84')).toBeInstanceOf(Debian12Profile);
    expect(profileByName('debian12-drbd84').stack).toBe('drbdadm');
    expect(profileByName('ubuntu1804-drbd9').stack).toBe('drbdmanage');
  });
});
