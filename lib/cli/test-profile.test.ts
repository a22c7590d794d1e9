import { describe, expect, it } from 'vitest';
import { UpstreamUnavailableError, UsageError } from '../errors.js';
import type { BaseImage, GuestProfile } from '../image/profile.js';
import type { ProfileName } from '../image/profile-names.js';
import { choiceLine } from '../image/profiles.js';
import { CHOICE_ENV, parseChoice, serializeChoice, testRunProfile } from './test-profile.js';

/** A profile whose availability the test decides; counts checkAvailable() calls (no network). */
class FakeProfile implements GuestProfile {
  checks = 0;
  constructor(
    readonly name: ProfileName,
    readonly stack: 'drbdadm' | 'drbdmanage',
    private readonly reachable = true,
  ) {}
  async checkAvailable(): Promise<void> {
    this.checks++;
    if (!this.reachable) throw new UpstreamUnavailableError('ppa.launchpadcontent.net', 'needs network access');
  }
  async ensureImage(): Promise<BaseImage> {
    throw new Error('not in unit tests');
  }
}

function fakes(ubuntuReachable = true) {
  const candidates = { ubuntu: new FakeProfile('ubuntu1804-drbd9', 'drbdmanage', ubuntuReachable), debian: new FakeProfile('debian12-drbd84', 'drbdadm') };
  const byName = (n: ProfileName) => (n === 'ubuntu1804-drbd9' ? candidates.ubuntu : candidates.debian);
  return { candidates, byName, checks: () => candidates.ubuntu.checks + candidates.debian.checks };
}

describe('testRunProfile: which profile npm test runs its real scenarios on, and why', () => {
  it('chosen by itself: the walkthrough profile where its upstreams answer, else a substitution said as such', async () => {
    const up = fakes();
    expect(choiceLine(await testRunProfile({}, undefined, up))).toBe('profile: ubuntu1804-drbd9 (the Ubuntu archive and the LINBIT PPA are reachable)');
    const down = fakes(false);
    expect(choiceLine(await testRunProfile({}, undefined, down))).toBe('ubuntu1804-drbd9 not run: ppa.launchpadcontent.net unavailable; debian12-drbd84 ran instead');
  });

  it('named by DRBDLAB_PROFILE or lab.yaml: said so, no upstream asked', async () => {
    const f = fakes(false);
    expect(choiceLine(await testRunProfile({ DRBDLAB_PROFILE: 'ubuntu1804-drbd9' }, 'debian12-drbd84', f))).toBe('profile: ubuntu1804-drbd9 (named by DRBDLAB_PROFILE)');
    expect(choiceLine(await testRunProfile({}, 'debian12-drbd84', f))).toBe('profile: debian12-drbd84 (named by lab.yaml)');
    expect(f.checks()).toBe(0);
  });

  it("the scenarios phase runs npm test's choice, substitution and reason included, without choosing again", async () => {
    const first = fakes(false);
    const chosen = await testRunProfile({}, undefined, first);
    const again = fakes(true); // the upstreams answer by now: the phase still runs what was said first
    const phase = await testRunProfile({ [CHOICE_ENV]: serializeChoice(chosen) }, undefined, again);
    expect(choiceLine(phase)).toBe(choiceLine(chosen));
    expect(phase.profile).toBe(again.candidates.debian);
    expect(phase.substituted).toEqual({ wanted: 'ubuntu1804-drbd9', reason: 'ppa.launchpadcontent.net unavailable' });
    expect(again.checks()).toBe(0);
  });

  it('refuses a bad DRBDLAB_PROFILE, a malformed choice, and a choice DRBDLAB_PROFILE contradicts', async () => {
    const f = fakes();
    await expect(testRunProfile({ DRBDLAB_PROFILE: 'debian13' }, undefined, f)).rejects.toThrow(/^DRBDLAB_PROFILE=debian13: not a profile; use one of debian12-drbd84, ubuntu1804-drbd9$/);
    await expect(testRunProfile({ [CHOICE_ENV]: '{' }, undefined, f)).rejects.toBeInstanceOf(UsageError);
    expect(() => parseChoice('{"profile":"debian13","reason":"x","explicit":true}', f.byName)).toThrow(/^DRBDLAB_PROFILE_CHOICE: not a profile choice \(profile: /);
    const choice = serializeChoice(await testRunProfile({ DRBDLAB_PROFILE: 'debian12-drbd84' }, undefined, f));
    await expect(testRunProfile({ DRBDLAB_PROFILE: 'ubuntu1804-drbd9', [CHOICE_ENV]: choice }, undefined, f)).rejects.toThrow(/names debian12-drbd84: unset one$/);
  });
});
