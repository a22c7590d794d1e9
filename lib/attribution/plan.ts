// Which update turned a scenario red: the decision core of attribution, pure. Given the source
// packages that changed from the last green run's package set to the red run's, and the probes
// run so far, it names the next probe or the verdict. The order is fixed: a rerun on the same
// set (green → flaky), a rerun on the last green set (red → not the packages), then a bisection
// over the changed source packages (their binaries move together), applied on the green set as
// a prefix of the changes in source order. At most ⌈log2 n⌉ + 2 probes for n changed sources.

import type { SourceChange } from '../image/package-set.js';

/** What a probe is for: the red set again, the last green set, or a subset of the updates. */
export type ProbeRole = 'same' | 'good' | 'bisect';

/**
 * How a probe ended. `refused`: the layer could not be made (apt/dpkg would not install that
 * subset: one update needs another); `broken`: the lab around the scenario broke. Neither says
 * anything about the packages: "cannot tell".
 */
export type ProbeOutcome = 'passed' | 'failed' | 'broken' | 'refused';

export interface Probe {
  role: ProbeRole;
  /** Source packages whose updates (green → red) are applied on the last green set, in order. */
  applied: string[];
}

export interface ProbeRecord extends Probe {
  outcome: ProbeOutcome;
  /** Why a probe was refused or broke (apt's last line, the error's). */
  detail?: string;
  /** The package set the probe ran (its id). */
  setId?: string;
  /** Wall time of the probe: layer, snapshot and scenario. */
  ms?: number;
}

export type Verdict =
  /** Green when run again on the same set: the failure stays reported, not reproduced. */
  | { kind: 'flaky' }
  /** Red on the last green set too: the lab, the host or the scenario changed. */
  | { kind: 'not-the-packages' }
  | { kind: 'introduced'; change: SourceChange }
  /** Narrowed to these, but no further: a probe refused or broken, or the probe bound reached. */
  | { kind: 'narrowed'; candidates: SourceChange[]; why: string }
  /** No verdict at all (a rerun broke, the green set could not be made, results that contradict). */
  | { kind: 'cannot-tell'; why: string }
  /** The time budget ran out before a verdict: what it had narrowed to. */
  | { kind: 'budget'; candidates: SourceChange[]; minutes: number };

export type Step = { kind: 'probe'; probe: Probe; candidates: SourceChange[] } | { kind: 'verdict'; verdict: Verdict };

/** ⌈log2 n⌉ + 2: the two reruns and a bisection of n changed source packages. */
export function probeBound(n: number): number {
  return (n <= 1 ? 0 : Math.ceil(Math.log2(n))) + 2;
}

const prefix = (changes: readonly SourceChange[], k: number) => changes.slice(0, k).map((c) => c.source);

const cannotTell = (r: ProbeRecord) => `${r.outcome === 'refused' ? 'its layer was refused' : 'its lab broke'}${r.detail ? ` (${r.detail})` : ''}`;

/** `linux-signed-amd64 without firmware-nonfree`: what a bisection probe applied, said briefly. */
function probeName(changes: readonly SourceChange[], k: number): string {
  const on = changes.slice(0, k).map((c) => c.source);
  const off = changes.slice(k).map((c) => c.source);
  return `${on.join(', ')} without ${off.join(', ')}`;
}

/**
 * The next step: a probe, or the verdict. `changes` are the changed source packages in the order
 * the bisection applies them (diffPackageSets' order); `done` the probes run so far, in order.
 */
export function nextStep(changes: readonly SourceChange[], done: readonly ProbeRecord[]): Step {
  const n = changes.length;
  const all = [...changes];
  const same = done.find((r) => r.role === 'same');
  if (!same) return { kind: 'probe', probe: { role: 'same', applied: prefix(changes, n) }, candidates: all };
  if (same.outcome === 'passed') return { kind: 'verdict', verdict: { kind: 'flaky' } };
  if (same.outcome !== 'failed') return { kind: 'verdict', verdict: { kind: 'cannot-tell', why: `the rerun on the same package set did not run: ${cannotTell(same)}` } };
  // The green run had this very set: whatever changed, it was not a package.
  if (n === 0) return { kind: 'verdict', verdict: { kind: 'not-the-packages' } };
  const good = done.find((r) => r.role === 'good');
  if (!good) return { kind: 'probe', probe: { role: 'good', applied: [] }, candidates: all };
  if (good.outcome === 'failed') return { kind: 'verdict', verdict: { kind: 'not-the-packages' } };
  if (good.outcome !== 'passed') return { kind: 'verdict', verdict: { kind: 'cannot-tell', why: `the rerun on the last green package set did not run: ${cannotTell(good)}` } };

  // Prefixes of the changes: 0 passed (the green set), n failed (the red set). Each bisection
  // probe ran one prefix k; the culprit is the change that takes the last green prefix to the
  // first red one.
  let lo = 0;
  let hi = n;
  const tried = new Set<number>();
  const unknown: string[] = [];
  for (const r of done.filter((x) => x.role === 'bisect')) {
    const k = r.applied.length;
    tried.add(k);
    if (r.outcome === 'passed') lo = Math.max(lo, k);
    else if (r.outcome === 'failed') hi = Math.min(hi, k);
    else unknown.push(`${probeName(changes, k)}: ${cannotTell(r)}`);
  }
  if (lo >= hi) {
    return { kind: 'verdict', verdict: { kind: 'cannot-tell', why: `the probes contradict each other (${probeName(changes, lo)} passed, ${probeName(changes, hi)} failed): more than one update matters, or the failure comes and goes` } };
  }
  const candidates = changes.slice(lo, hi);
  if (hi - lo === 1) return { kind: 'verdict', verdict: { kind: 'introduced', change: changes[lo]! } };
  const why = (bound: boolean) => [...unknown, ...(bound ? [`the bound of ${probeBound(n)} probes for ${n} changed source packages is reached`] : [])].join('; ');
  if (done.length >= probeBound(n)) return { kind: 'verdict', verdict: { kind: 'narrowed', candidates, why: why(true) } };
  // The middle prefix, else the untried one nearest to it (a refused prefix likely split an
  // update from one it needs: one more or one fewer may install).
  const mid = Math.floor((lo + hi) / 2);
  const order = [mid];
  for (let d = 1; d < hi - lo; d++) order.push(mid + d, mid - d);
  const k = order.find((x) => x > lo && x < hi && !tried.has(x));
  if (k === undefined) return { kind: 'verdict', verdict: { kind: 'narrowed', candidates, why: why(false) } };
  return { kind: 'probe', probe: { role: 'bisect', applied: prefix(changes, k) }, candidates };
}
