import { Debian12Profile } from './debian12-profile.js';
import type { GuestProfile } from './profile.js';
import type { ProfileName } from './profile-names.js';
import { Ubuntu1804Profile } from './ubuntu1804-profile.js';
import { UpstreamUnavailableError } from '../errors.js';
import { substitutionSentence, type ProfileSubstitution } from './substitution.js';

export function profileByName(name: ProfileName): GuestProfile {
  return name === 'ubuntu1804-drbd9' ? new Ubuntu1804Profile() : new Debian12Profile();
}

export interface ProfileChoice {
  profile: GuestProfile;
  /** Why this one: printed as the first line of a run. */
  reason: string;
  explicit: boolean;
  /** Set when the offline profile runs in place of the walkthrough's (never for a named profile). */
  substituted?: ProfileSubstitution;
}

/** The first line of `up` and of the nightly: which profile and why, or what did not run. */
export function choiceLine(choice: ProfileChoice): string {
  return choice.substituted ? substitutionSentence(choice.substituted, choice.profile.name) : `profile: ${choice.profile.name} (${choice.reason})`;
}

/**
 * A profile named by flag or lab.yaml is used as is (it never falls back). Otherwise the
 * walkthrough's own profile where its upstreams answer, the offline one elsewhere, and the
 * choice says it substituted.
 */
export async function chooseProfile(
  flag: ProfileName | undefined,
  fromConfig: ProfileName | undefined,
  candidates: { ubuntu: GuestProfile; debian: GuestProfile } = { ubuntu: new Ubuntu1804Profile(), debian: new Debian12Profile() },
): Promise<ProfileChoice> {
  const named = flag ?? fromConfig;
  if (named) {
    const profile = named === 'ubuntu1804-drbd9' ? candidates.ubuntu : candidates.debian;
    return { profile, explicit: true, reason: `named by ${flag ? '--profile' : 'lab.yaml'}` };
  }
  try {
    await candidates.ubuntu.checkAvailable();
    return { profile: candidates.ubuntu, explicit: false, reason: 'the Ubuntu archive and the LINBIT PPA are reachable' };
  } catch (err) {
    if (!(err instanceof UpstreamUnavailableError)) throw err;
    return {
      profile: candidates.debian,
      explicit: false,
      reason: `${err.resource} unreachable, so the offline profile`,
      substituted: { wanted: 'ubuntu1804-drbd9', reason: `${err.resource} unavailable` },
    };
  }
}
