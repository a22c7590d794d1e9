import { describe, expect, it } from 'vitest';
import type { Attribution } from '../attribution/attribute.js';
import type { SourceChange } from '../image/package-set.js';
import {
  attributionSummary,
  attributionTitle,
  historyAttribution,
  historyHiddenFromFlakyGuess,
  historyWithout,
  junitWithAttribution,
  withAttributionStep,
  failingScenarios,
} from './attribution-report.js';
import type { AllureResult } from './classify.js';

const G = '1a'.repeat(32);
const B = '2b'.repeat(32);
const P = '3c'.repeat(32);
const kernel: SourceChange = {
  source: 'linux-signed-amd64',
  kind: 'changed',
  from: ['6.1.170-1'],
  to: ['6.1.176-1'],
  binaries: [
    { package: 'linux-image-6.1.0-41-amd64', arch: 'amd64', from: '6.1.170-1', to: '6.1.176-1' },
    { package: 'linux-image-amd64', arch: 'amd64', from: '6.1.170-1', to: '6.1.176-1' },
  ],
};
const tz: SourceChange = { source: 'tzdata', kind: 'changed', from: ['2025b-0'], to: ['2025c-0'], binaries: [{ package: 'tzdata', arch: 'amd64', from: '2025b-0', to: '2025c-0' }] };

const INTRODUCED: Attribution = {
  scenario: 'reboot',
  good: G,
  bad: B,
  changes: [kernel, tz],
  probes: [
    { role: 'same', applied: ['linux-signed-amd64', 'tzdata'], outcome: 'failed', setId: B, ms: 301_000 },
    { role: 'good', applied: [], outcome: 'passed', setId: G, ms: 295_000 },
    { role: 'bisect', applied: ['linux-signed-amd64'], outcome: 'refused', detail: 'linux-image-amd64 : Depends: x', setId: P, ms: 20_000 },
  ],
  verdict: { kind: 'introduced', change: kernel },
  bound: 3,
  ms: 616_000,
};
const FLAKY: Attribution = { ...INTRODUCED, scenario: 'link-cut', probes: INTRODUCED.probes.slice(0, 1).map((p) => ({ ...p, outcome: 'passed' })), verdict: { kind: 'flaky' }, ms: 301_000 };

const LINE = 'reboot red: introduced by linux-signed-amd64 6.1.170-1 → 6.1.176-1 (linux-image-6.1.0-41-amd64, linux-image-amd64)';

describe('attributionSummary', () => {
  it('the verdict line in bold, then every probe with its set, result and time', () => {
    expect(attributionSummary([INTRODUCED])).toEqual([
      `**${LINE}**`,
      '',
      `Attribution of reboot: last green package set ${G.slice(0, 12)} → red set ${B.slice(0, 12)}, 2 source packages changed; 3 probes (at most 3), 616 s:`,
      '',
      `- 1. the red set again (set ${B.slice(0, 12)}): failed in 301 s`,
      `- 2. the last green set (set ${G.slice(0, 12)}): passed in 295 s`,
      `- 3. last green set + linux-signed-amd64 6.1.176-1 (set ${P.slice(0, 12)}): refused (cannot tell) in 20 s: linux-image-amd64 : Depends: x`,
      '',
    ]);
  });
});

describe('attributionTitle', () => {
  it('the first attributed scenario, and how many more', () => {
    expect(attributionTitle([])).toBeUndefined();
    expect(attributionTitle([INTRODUCED])).toBe(LINE);
    expect(attributionTitle([INTRODUCED, FLAKY])).toBe(`${LINE}; 1 more attributed (see summary)`);
  });
});

describe('withAttributionStep', () => {
  const result: AllureResult = { uuid: 'u1', name: 'reboot', status: 'failed', statusDetails: { message: 'r0 not Connected' }, labels: [{ name: 'feature', value: 'reboot' }], steps: [{ name: 'walkthrough step 24', status: 'failed' }] };

  it('adds an Attribution step after the scenario\'s own, a probe step each with its record attached; the status stays', () => {
    const { result: r, attachments } = withAttributionStep(result, INTRODUCED, 5);
    expect(r.status).toBe('failed');
    expect(r.statusDetails).toEqual({ message: 'r0 not Connected', flaky: false });
    expect(r.steps!.map((s) => s.name)).toEqual(['walkthrough step 24', 'Attribution: introduced by linux-signed-amd64 6.1.170-1 → 6.1.176-1 (linux-image-6.1.0-41-amd64, linux-image-amd64)']);
    const step = r.steps![1]!;
    expect(step.status).toBe('failed');
    expect(step.steps!.map((s) => s.status)).toEqual(['failed', 'passed', 'skipped']);
    expect(r.labels).toContainEqual({ name: 'attribution', value: 'introduced by linux-signed-amd64 6.1.170-1 → 6.1.176-1 (linux-image-6.1.0-41-amd64, linux-image-amd64)' });
    // Every attachment a step names is a file to write, and each probe has one.
    const named = [step, ...step.steps!].flatMap((s) => (s.attachments as { source: string }[]).map((x) => x.source));
    expect(named.sort()).toEqual(attachments.map((a) => a.source).sort());
    expect(attachments).toHaveLength(4);
    const third = attachments.find((a) => a.source === (step.steps![2]!.attachments as { source: string }[])[0]!.source)!;
    expect(third.text).toBe(
      ['role: bisect', 'outcome: refused (cannot tell)', 'detail: linux-image-amd64 : Depends: x', `package set: ${P}`, 'time: 20 s', 'updates applied on the last green set (1 of 2):', '  linux-signed-amd64 6.1.170-1 → 6.1.176-1 (linux-image-6.1.0-41-amd64, linux-image-amd64)', ''].join('\n'),
    );
  });

  it('marks the result flaky only when the rerun on the same set was green', () => {
    expect(withAttributionStep(result, FLAKY, 5).result.statusDetails?.flaky).toBe(true);
    expect(withAttributionStep(result, FLAKY, 5).result.status).toBe('failed');
  });
});

describe('junitWithAttribution', () => {
  const xml = [
    '<testsuite name="scenarios/02-reboot-persistence.test.ts">',
    '<testcase classname="scenarios/02-reboot-persistence.test.ts" name="drbdlab &gt; reboot" time="300">',
    '<failure message="r0"/>',
    '</testcase>',
    '<testcase classname="scenarios/01-walkthrough.test.ts" name="walkthrough" time="200"/>',
    '<testcase classname="scenarios/05-link-cut.test.ts" name="link-cut" time="20"/>',
    '</testsuite>',
  ].join('\n');

  it('an attribution property on the attributed testcases only', () => {
    const out = junitWithAttribution(xml, [INTRODUCED, FLAKY]).split('\n');
    expect(out[1]).toBe(
      '<testcase classname="scenarios/02-reboot-persistence.test.ts" name="drbdlab &gt; reboot" time="300"><properties><property name="attribution" value="introduced by linux-signed-amd64 6.1.170-1 → 6.1.176-1 (linux-image-6.1.0-41-amd64, linux-image-amd64)"/></properties>',
    );
    expect(out[4]).toBe('<testcase classname="scenarios/01-walkthrough.test.ts" name="walkthrough" time="200"/>');
    expect(out[5]).toBe(
      '<testcase classname="scenarios/05-link-cut.test.ts" name="link-cut" time="20"><properties><property name="attribution" value="flaky: green when run again on the same package set (failure not reproduced)"/></properties></testcase>',
    );
  });
});

describe('historyAttribution', () => {
  it('per scenario, the verdict kind and sentence', () => {
    expect(historyAttribution([FLAKY])).toEqual([{ scenario: 'link-cut', verdict: 'flaky', sentence: 'flaky: green when run again on the same package set (failure not reproduced)' }]);
  });
});

describe("Allure's flaky guess kept off", () => {
  it('hides the history of failed and broken results no rerun marked flaky, by fullName', () => {
    const rs: AllureResult[] = [
      { uuid: '1', name: 'a', fullName: 'drbdlab:a', status: 'failed' },
      { uuid: '2', name: 'b', fullName: 'drbdlab:b', status: 'failed', statusDetails: { flaky: true } },
      { uuid: '3', name: 'c', fullName: 'drbdlab:c', status: 'passed' },
      { uuid: '4', name: 'd', fullName: 'drbdlab:d', status: 'broken' },
    ];
    expect([...historyHiddenFromFlakyGuess(rs)].sort()).toEqual(['drbdlab:a', 'drbdlab:d']);
  });

  it('leaves out, for those tests only, what is older than their newest pass', () => {
    const point = (uuid: string, a: string, c: string) => JSON.stringify({ uuid, testResults: { x1: { fullName: 'drbdlab:a', status: a }, x3: { fullName: 'drbdlab:c', status: c } } });
    const lines = [point('r1', 'failed', 'failed'), point('r2', 'passed', 'passed'), point('r3', 'failed', 'failed'), ''];
    const out = historyWithout(lines.join('\n'), new Set(['drbdlab:a'])).split('\n');
    // r1's failure of a (before its pass in r2) goes; r2's pass and r3's failure stay; c untouched.
    expect(JSON.parse(out[0]!)).toEqual({ uuid: 'r1', testResults: { x3: { fullName: 'drbdlab:c', status: 'failed' } } });
    expect(out.slice(1)).toEqual(lines.slice(1));
    expect(historyWithout(lines.join('\n'), new Set())).toBe(lines.join('\n'));
  });
});

describe('failingScenarios', () => {
  const labelled = (kind: string) => [{ name: 'failureKind', value: kind }];
  it('the results failed as DRBD\'s, with the file and name a rerun runs; broken, cancelled and passed ones not', () => {
    const rs: AllureResult[] = [
      { uuid: '1', name: 'reboot', fullName: 'drbdlab:scenarios/02-reboot-persistence.test.ts#reboot', status: 'broken', labels: labelled('product') },
      { uuid: '2', name: 'link-cut', fullName: 'drbdlab:scenarios/05-link-cut.test.ts#link-cut', status: 'broken', labels: labelled('infrastructure') },
      { uuid: '3', name: 'services', fullName: 'drbdlab:scenarios/04-services.test.ts#services', status: 'broken', labels: labelled('interrupted') },
      { uuid: '4', name: 'walkthrough', fullName: 'drbdlab:scenarios/01-walkthrough.test.ts#walkthrough', status: 'passed' },
      { uuid: '5', name: 'lab setup', fullName: 'drbdlab:lab setup', status: 'failed' },
    ];
    expect(failingScenarios(rs).map((f) => [f.result.uuid, f.file, f.name])).toEqual([['1', 'scenarios/02-reboot-persistence.test.ts', 'reboot']]);
  });
});
