// Which profile `npm test` runs its real scenarios on, and why: chosen once at the start, said as
// the nightly says it (`profile: <name> (<why>)`, or the substitution sentence), and handed to the
// scenarios phase in DRBDLAB_PROFILE_CHOICE so that phase runs (and says) that same choice.
// `npm test -- <vitest args>` and `npm run scenarios` choose in the scenarios' global setup.

import { z } from 'zod';
import { UsageError } from '../errors.js';
import { PROFILE_NAMES, type ProfileName } from '../image/profile-names.js';
import { chooseProfile, profileByName, profileCandidates, type ProfileCandidates, type ProfileChoice } from '../image/profiles.js';
import type { GuestProfile, ProfileSettings } from '../image/profile.js';

export const CHOICE_ENV = 'DRBDLAB_PROFILE_CHOICE';

const choiceSchema = z.object({
  profile: z.enum(PROFILE_NAMES),
  reason: z.string().min(1),
  explicit: z.boolean(),
  substituted: z.object({ wanted: z.enum(PROFILE_NAMES), reason: z.string() }).optional(),
});

/** The choice as DRBDLAB_PROFILE_CHOICE carries it. */
export function serializeChoice(choice: ProfileChoice): string {
  return JSON.stringify({ profile: choice.profile.name, reason: choice.reason, explicit: choice.explicit, ...(choice.substituted ? { substituted: choice.substituted } : {}) });
}

/** DRBDLAB_PROFILE_CHOICE back as a choice; a malformed one is refused, naming the variable. */
export function parseChoice(text: string, byName: (n: ProfileName) => GuestProfile): ProfileChoice {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${CHOICE_ENV}: not JSON (${(err as Error).message}); it is set by npm test, leave it unset`);
  }
  const r = choiceSchema.safeParse(v);
  if (!r.success) throw new UsageError(`${CHOICE_ENV}: not a profile choice (${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}); it is set by npm test, leave it unset`);
  const { profile, substituted, ...rest } = r.data;
  return { profile: byName(profile), ...rest, ...(substituted ? { substituted } : {}) };
}

/** The profiles a test run chooses from, made with the run's settings (offline, pinned set). */
export function testRunProfiles(settings: ProfileSettings): { candidates: ProfileCandidates; byName: (n: ProfileName) => GuestProfile } {
  return { candidates: profileCandidates(settings), byName: (n) => profileByName(n, settings) };
}

/**
 * The profile of a test run's real scenarios: the one npm test chose (DRBDLAB_PROFILE_CHOICE),
 * else DRBDLAB_PROFILE, else lab.yaml's, else the walkthrough's where its upstreams answer and
 * the offline one elsewhere (said as a substitution).
 */
export async function testRunProfile(
  env: NodeJS.ProcessEnv,
  configProfile: ProfileName | undefined,
  o: { candidates: ProfileCandidates; byName: (n: ProfileName) => GuestProfile },
): Promise<ProfileChoice> {
  const byName = o.byName;
  const named = env.DRBDLAB_PROFILE || undefined;
  if (named !== undefined && !(PROFILE_NAMES as readonly string[]).includes(named)) {
    throw new UsageError(`DRBDLAB_PROFILE=${named}: not a profile; use one of ${PROFILE_NAMES.join(', ')}`);
  }
  const given = env[CHOICE_ENV];
  if (given) {
    const choice = parseChoice(given, byName);
    if (named && named !== choice.profile.name) throw new UsageError(`DRBDLAB_PROFILE=${named} but ${CHOICE_ENV} names ${choice.profile.name}: unset one`);
    return choice;
  }
  if (named) return { profile: byName(named as ProfileName), explicit: true, reason: 'named by DRBDLAB_PROFILE' };
  return chooseProfile(undefined, configProfile, o.candidates);
}
