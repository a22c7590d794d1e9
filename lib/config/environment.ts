// Every DRBDLAB_* variable the project reads, checked once at the edge (the CLI, `npm test`): a
// name that is none of them (a typo) or a value a variable cannot take is one line saying which
// and what to do, before any work. docs/configuration.md describes each.

import { UsageError } from '../errors.js';
import { PROFILE_NAMES } from '../image/profile-names.js';
import { ADDED_SUITES } from '../image/variant.js';

type Check = (value: string) => string | undefined;

const oneOf = (...allowed: string[]): Check => (v) => (allowed.includes(v) ? undefined : `use ${allowed.map((a) => a || '(empty)').join(', ')}`);
const wholeNumber: Check = (v) => (/^[1-9]\d*$/u.test(v) ? undefined : 'give a whole number, 1 or more');
const gib: Check = (v) => (/^\d+(\.\d+)?$/u.test(v) ? undefined : 'give a size in GiB, e.g. 6');
const any: Check = () => undefined;
/** Suite names, a comma (or space) list; which a profile can add is checked with the profile (lib/config). */
const suiteList: Check = (v) => {
  const bad = v.split(/[\s,]+/u).filter((s) => s && !(ADDED_SUITES as readonly string[]).includes(s));
  return bad.length ? `${bad.join(', ')}: use ${ADDED_SUITES.join(', ')} (a comma list), or leave it unset` : undefined;
};
const nonEmpty: Check = (v) => (v === '' ? 'give a value or leave it unset' : undefined);

/** Name → what its value may be. Test-only and internal ones too: they are set by the project itself. */
export const VARIABLES: Readonly<Record<string, Check>> = {
  DRBDLAB_ACCEL: oneOf('kvm', 'tcg', 'auto', ''),
  DRBDLAB_ATTRIBUTION: oneOf('1', '0', ''),
  DRBDLAB_ATTRIBUTION_BUDGET_MIN: (v) => (/^\d+(\.\d+)?$/u.test(v) && Number(v) > 0 ? undefined : 'give minutes, a number above 0 (e.g. 90)'),
  DRBDLAB_CACHE: nonEmpty,
  DRBDLAB_CLUSTERS: wholeNumber,
  DRBDLAB_CONFIG: nonEmpty,
  DRBDLAB_DEBIAN_MIRROR: nonEmpty,
  DRBDLAB_DEBIAN_SECURITY_MIRROR: nonEmpty,
  DRBDLAB_DEBUG: any,
  DRBDLAB_EXTRA_APT_SOURCE: any,
  DRBDLAB_EXTRA_PACKAGES: any,
  DRBDLAB_FAULT: oneOf('wrong-peer-ip', 'kernel-bug-before-reboot', ''),
  DRBDLAB_JUNIT: nonEmpty,
  DRBDLAB_KEEP: oneOf('1', '0', ''),
  DRBDLAB_LAB: any,
  DRBDLAB_MUTATE: nonEmpty,
  DRBDLAB_OFFLINE: oneOf('1', '0', ''),
  DRBDLAB_OWNER_PID: wholeNumber,
  DRBDLAB_PACKAGE_CACHE_GIB: gib,
  DRBDLAB_PIN_DIR: nonEmpty,
  DRBDLAB_PLAN: nonEmpty,
  DRBDLAB_PROFILE: oneOf(...PROFILE_NAMES, ''),
  DRBDLAB_PROFILE_CHOICE: any,
  DRBDLAB_REPLAY: any,
  DRBDLAB_REPORTS: nonEmpty,
  DRBDLAB_RUN_CONFIG: nonEmpty,
  DRBDLAB_SNAPSHOT: nonEmpty,
  DRBDLAB_SNAPSHOT_CACHE_GIB: gib,
  DRBDLAB_SNAPSHOTS: nonEmpty,
  DRBDLAB_STATE: nonEmpty,
  DRBDLAB_SUITE: suiteList,
  DRBDLAB_TEST_SCENARIOS: oneOf('1', '0', ''),
};

/** The known name closest to `name` (at most two edits away), for "did you mean". */
export function closestVariable(name: string): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const known of Object.keys(VARIABLES)) {
    const d = editDistance(name, known);
    if (d <= 2 && (!best || d < best.d)) best = { name: known, d };
  }
  return best?.name;
}

/** Throws a one-line UsageError for the first DRBDLAB_* variable that is unknown or has a value it cannot take. */
export function checkEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  for (const name of Object.keys(env).filter((k) => k.startsWith('DRBDLAB_')).sort()) {
    const check = VARIABLES[name];
    if (!check) {
      const near = closestVariable(name);
      throw new UsageError(`${name}: not a drbdlab variable${near ? ` (did you mean ${near}?)` : ''}; unset it (docs/configuration.md lists them)`);
    }
    const problem = check(env[name] ?? '');
    if (problem) throw new UsageError(`${name}=${env[name]}: ${problem}`);
  }
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}
