// The profile registry: the one place that maps a profile name to what the profile is (its
// facts: stack/step set, recipe, whether it is the walkthrough's) and to the profile itself.
// Nothing else compares profile names; it asks here.

import { Debian12Profile } from './debian12-profile.js';
import type { GuestProfile, ProfileFacts, ProfileSettings, Stack } from './profile.js';
import type { ProfileName } from './profile-names.js';
import { Ubuntu1804Profile } from './ubuntu1804-profile.js';
import { UpstreamUnavailableError } from '../errors.js';
import { substitutionSentence, type ProfileSubstitution } from './substitution.js';
import { lineName } from './variant.js';

interface ProfileClass {
  readonly facts: ProfileFacts;
  create(settings: ProfileSettings): GuestProfile;
}

/** Every name has an entry (a mapped type: a new name without one does not compile), whose facts carry that name. */
const REGISTRY: { readonly [N in ProfileName]: ProfileClass & { readonly facts: { readonly name: N } } } = {
  'debian12-drbd84': Debian12Profile,
  'ubuntu1804-drbd9': Ubuntu1804Profile,
};

/** What the named profile is, without building or probing anything. */
export function profileFacts(name: ProfileName): ProfileFacts {
  return REGISTRY[name].facts;
}

/** The DRBD stack (and step set) of a profile's nodes. */
export function stackOf(name: ProfileName): Stack {
  return profileFacts(name).stack;
}

/** The walkthrough's own profile (an automatic choice prefers it). */
export const WALKTHROUGH_PROFILE: ProfileName = Object.values(REGISTRY).find((c) => c.facts.walkthrough)!.facts.name;
/** The profile that builds from Debian's archive alone: the default, and the automatic choice's substitute. */
export const OFFLINE_PROFILE: ProfileName = Object.values(REGISTRY).find((c) => !c.facts.walkthrough)!.facts.name;

export function profileByName(name: ProfileName, settings: ProfileSettings): GuestProfile {
  return REGISTRY[name].create(settings);
}

/** The profiles an automatic choice picks from. */
export interface ProfileCandidates {
  ubuntu: GuestProfile;
  debian: GuestProfile;
}

/** The candidates of a choice, made with the run's settings. */
export function profileCandidates(settings: ProfileSettings): ProfileCandidates {
  return { ubuntu: profileByName(WALKTHROUGH_PROFILE, settings), debian: profileByName(OFFLINE_PROFILE, settings) };
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
  return choice.substituted ? substitutionSentence(choice.substituted, choice.profile.name) : `profile: ${lineName({ profile: choice.profile.name, variant: choice.profile.variant })} (${choice.reason})`;
}

/**
 * A profile named by flag or lab.yaml is used as is (it never falls back). Otherwise the
 * walkthrough's own profile where its upstreams answer, the offline one elsewhere, and the
 * choice says it substituted.
 */
export async function chooseProfile(
  flag: ProfileName | undefined,
  fromConfig: ProfileName | undefined,
  candidates: ProfileCandidates,
): Promise<ProfileChoice> {
  const named = flag ?? fromConfig;
  if (named) {
    const profile = profileFacts(named).walkthrough ? candidates.ubuntu : candidates.debian;
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
      substituted: { wanted: candidates.ubuntu.name, reason: `${err.resource} unavailable` },
    };
  }
}
