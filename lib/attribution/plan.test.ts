import { describe, expect, it } from 'vitest';
import type { SourceChange } from '../image/package-set.js';
import { nextStep, probeBound, type ProbeOutcome, type ProbeRecord, type Step } from './plan.js';

const change = (source: string): SourceChange => ({ source, kind: 'changed', from: ['1'], to: ['2'], binaries: [{ package: source, arch: 'amd64', from: '1', to: '2' }] });
const changes = (n: number) => Array.from({ length: n }, (_, i) => change(`src${String(i).padStart(2, '0')}`));

/** Run the planner against a world where prefixes of at least `culprit + 1` changes fail. */
function drive(cs: SourceChange[], outcome: (applied: string[], role: string) => ProbeOutcome): { records: ProbeRecord[]; last: Step } {
  const records: ProbeRecord[] = [];
  for (let i = 0; i < 100; i++) {
    const step = nextStep(cs, records);
    if (step.kind === 'verdict') return { records, last: step };
    records.push({ ...step.probe, outcome: outcome(step.probe.applied, step.probe.role) });
  }
  throw new Error('the planner did not end');
}

const failsFrom = (cs: SourceChange[], culprit: number) => (applied: string[]) => (applied.includes(cs[culprit]!.source) ? 'failed' : 'passed');

describe('probeBound', () => {
  it('is ⌈log2 n⌉ + 2', () => {
    expect([1, 2, 3, 4, 5, 8, 9, 16, 17].map(probeBound)).toEqual([2, 3, 4, 4, 5, 5, 6, 6, 7]);
  });
});

describe('nextStep', () => {
  it('first reruns the red set, then the green set, then bisects', () => {
    const cs = changes(4);
    const s1 = nextStep(cs, []);
    expect(s1).toMatchObject({ kind: 'probe', probe: { role: 'same', applied: cs.map((c) => c.source) } });
    const s2 = nextStep(cs, [{ role: 'same', applied: cs.map((c) => c.source), outcome: 'failed' }]);
    expect(s2).toMatchObject({ kind: 'probe', probe: { role: 'good', applied: [] } });
    const s3 = nextStep(cs, [
      { role: 'same', applied: cs.map((c) => c.source), outcome: 'failed' },
      { role: 'good', applied: [], outcome: 'passed' },
    ]);
    expect(s3).toMatchObject({ kind: 'probe', probe: { role: 'bisect', applied: ['src00', 'src01'] } });
  });

  it('green on the same set again: flaky, nothing more run', () => {
    const { records, last } = drive(changes(5), (_a, role) => (role === 'same' ? 'passed' : 'failed'));
    expect(records.map((r) => r.role)).toEqual(['same']);
    expect(last).toEqual({ kind: 'verdict', verdict: { kind: 'flaky' } });
  });

  it('red on the last green set too: not the packages', () => {
    const { records, last } = drive(changes(5), () => 'failed');
    expect(records.map((r) => r.role)).toEqual(['same', 'good']);
    expect(last).toEqual({ kind: 'verdict', verdict: { kind: 'not-the-packages' } });
  });

  it('names each culprit of every position, for n from 1 to 17, within ⌈log2 n⌉ + 2 probes', () => {
    for (let n = 1; n <= 17; n++) {
      const cs = changes(n);
      for (let culprit = 0; culprit < n; culprit++) {
        const { records, last } = drive(cs, failsFrom(cs, culprit));
        expect(last, `n=${n} culprit=${culprit}`).toEqual({ kind: 'verdict', verdict: { kind: 'introduced', change: cs[culprit] } });
        expect(records.length, `n=${n} culprit=${culprit}`).toBeLessThanOrEqual(probeBound(n));
      }
    }
  });

  it('a refused probe is "cannot tell": the next tries a neighbour prefix, within the bound', () => {
    const cs = changes(5);
    // src01's update needs src02's: the prefix that applies src01 alone of the two cannot be made.
    const world = (applied: string[]): ProbeOutcome => (applied.includes('src01') && !applied.includes('src02') ? 'refused' : applied.includes('src00') ? 'failed' : 'passed');
    const { records, last } = drive(cs, world);
    expect(records.filter((r) => r.role === 'bisect').map((r) => [r.applied.length, r.outcome])).toEqual([
      [2, 'refused'],
      [3, 'failed'],
      [1, 'failed'],
    ]);
    expect(last).toEqual({ kind: 'verdict', verdict: { kind: 'introduced', change: cs[0] } });
    expect(records.length).toBeLessThanOrEqual(probeBound(5));
  });

  it('a refusal where the bound has no room left ends narrowed, naming the refused probe and the bound', () => {
    const cs = changes(8);
    const world = (applied: string[]): ProbeOutcome => (applied.includes('src03') && !applied.includes('src04') ? 'refused' : applied.includes('src06') ? 'failed' : 'passed');
    const { records, last } = drive(cs, world);
    expect(records.length).toBe(probeBound(8));
    expect(last).toEqual({
      kind: 'verdict',
      verdict: {
        kind: 'narrowed',
        candidates: cs.slice(6, 8),
        why: 'src00, src01, src02, src03 without src04, src05, src06, src07: its layer was refused; the bound of 5 probes for 8 changed source packages is reached',
      },
    });
  });

  it('refusals that eat the bound end narrowed, naming the candidates and why', () => {
    const cs = changes(4);
    // Everything between the green and the red set is refused: src00..src03 all need each other.
    const { records, last } = drive(cs, (applied, role) => (role === 'bisect' ? 'refused' : role === 'same' ? 'failed' : 'passed'));
    expect(records.length).toBe(probeBound(4));
    expect(last.kind).toBe('verdict');
    const v = (last as Extract<Step, { kind: 'verdict' }>).verdict;
    expect(v.kind).toBe('narrowed');
    if (v.kind !== 'narrowed') return;
    expect(v.candidates.map((c) => c.source)).toEqual(['src00', 'src01', 'src02', 'src03']);
    expect(v.why).toContain('src00, src01 without src02, src03: its layer was refused');
    expect(v.why).toContain('the bound of 4 probes for 4 changed source packages is reached');
  });

  it('a rerun that could not run gives no verdict, saying which', () => {
    const cs = changes(3);
    expect(nextStep(cs, [{ role: 'same', applied: [], outcome: 'broken', detail: 'virsh start failed' }])).toEqual({
      kind: 'verdict',
      verdict: { kind: 'cannot-tell', why: 'the rerun on the same package set did not run: its lab broke (virsh start failed)' },
    });
    expect(
      nextStep(cs, [
        { role: 'same', applied: [], outcome: 'failed' },
        { role: 'good', applied: [], outcome: 'refused', detail: 'dpkg: dependency problems' },
      ]),
    ).toEqual({ kind: 'verdict', verdict: { kind: 'cannot-tell', why: 'the rerun on the last green package set did not run: its layer was refused (dpkg: dependency problems)' } });
  });

  it('probes that contradict each other (a prefix green above a red one) give no verdict', () => {
    const cs = changes(4);
    const all = cs.map((c) => c.source);
    const v = nextStep(cs, [
      { role: 'same', applied: all, outcome: 'failed' },
      { role: 'good', applied: [], outcome: 'passed' },
      { role: 'bisect', applied: all.slice(0, 2), outcome: 'failed' },
      { role: 'bisect', applied: all.slice(0, 3), outcome: 'passed' },
    ]);
    expect(v).toMatchObject({ kind: 'verdict', verdict: { kind: 'cannot-tell' } });
  });

  it('no source package changed: red again on the same set is not the packages, without a second rerun', () => {
    expect(nextStep([], [{ role: 'same', applied: [], outcome: 'failed' }])).toEqual({ kind: 'verdict', verdict: { kind: 'not-the-packages' } });
  });
});
