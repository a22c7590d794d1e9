// A run without a named profile may run the offline profile in place of the walkthrough's.
// That is part of the result: said on the first line of output, in the report title and at the
// top of reports/summary.md, so a green run of the substitute never reads as a passing walkthrough.

import type { ProfileName } from './profile-names.js';

export interface ProfileSubstitution {
  /** The profile the run was meant to be (the walkthrough's own). */
  wanted: ProfileName;
  /** Why it did not run: `<upstream> unavailable`. */
  reason: string;
}

/** `ubuntu1804-drbd9 not run: <upstream> unavailable; debian12-drbd84 ran instead` */
export function substitutionSentence(s: ProfileSubstitution, ran: ProfileName | string): string {
  return `${s.wanted} not run: ${s.reason}; ${ran} ran instead`;
}
