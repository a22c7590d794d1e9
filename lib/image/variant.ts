// A profile's variant: the archive suites a run adds to the profile's own (`--suite
// proposed-updates`), to watch a stream before it lands. A variant is a line of its own: its own
// image identity, snapshots, history and last green run. The profile registry says which suites
// a profile can add (ProfileFacts.suites); a profile that adds none runs no variant.

/** Every suite any profile can add, by its short name (the profile names the archive's suite). */
export const ADDED_SUITES = ['proposed-updates', 'backports'] as const;
export type AddedSuite = (typeof ADDED_SUITES)[number];

/** The variant the added suites make: their names sorted, joined by `+`; undefined when none. */
export function variantName(suites: readonly string[] | undefined): string | undefined {
  const names = [...new Set(suites ?? [])].sort();
  return names.length ? names.join('+') : undefined;
}

/** A line of runs: one profile, plain or one variant of it. History and last green runs are kept per line. */
export interface RunLine {
  profile: string;
  variant?: string;
}

/** `debian12-drbd84`, or `debian12-drbd84+proposed-updates`: how reports, titles and logs name a line. */
export const lineName = (l: RunLine): string => (l.variant ? `${l.profile}+${l.variant}` : l.profile);

/** Two runs of one line: the same profile and the same variant (none counts as none). */
export const sameLine = (a: RunLine, b: RunLine): boolean => a.profile === b.profile && (a.variant ?? '') === (b.variant ?? '');
