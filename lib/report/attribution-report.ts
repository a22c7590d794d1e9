// Attribution in the report, pure: the verdict at the top of summary.md and in the title, an
// "Attribution" step on the failing scenario's Allure result with each probe attached, a JUnit
// property, the history entry's field — and Allure's own "flaky" guess (from history: a failure
// before a pass, failed now) kept off, so a test is shown flaky only when a rerun on the same set
// says so.

import type { Attribution } from '../attribution/attribute.js';
import type { ProbeOutcome } from '../attribution/plan.js';
import { attributionLine, probeLine, verdictSentence } from '../attribution/words.js';
import { formatSourceChange } from '../image/package-set.js';
import { reportStatus, type AllureLabel, type AllureResult, type AllureStatus, type AllureStep } from './classify.js';

/** The label an attributed result carries: the verdict in words. */
const ATTRIBUTION_LABEL = 'attribution';

/** The JUnit property of an attributed testcase. */
const ATTRIBUTION_PROPERTY = 'attribution';

/** summary.md's top: each attributed scenario's line in bold, then its probes. */
export function attributionSummary(attributions: readonly Attribution[]): string[] {
  const lines: string[] = [];
  for (const a of attributions) {
    lines.push(`**${attributionLine(a)}**`, '');
    lines.push(`Attribution of ${a.scenario}: last green package set ${a.good.slice(0, 12)} → red set ${a.bad.slice(0, 12)}, ${a.changes.length} source packages changed; ${a.probes.length} probes (at most ${a.bound}), ${Math.round(a.ms / 1000)} s:`, '');
    for (const [i, p] of a.probes.entries()) lines.push(`- ${probeLine(p, i, a.changes)}`);
    lines.push('');
  }
  return lines;
}

/** What the report's title says of attribution: the first scenario's line, and how many more. */
export function attributionTitle(attributions: readonly Attribution[]): string | undefined {
  const [first, ...rest] = attributions;
  if (!first) return undefined;
  return `${attributionLine(first)}${rest.length ? `; ${rest.length} more attributed (see summary)` : ''}`;
}

const stepStatus = (a: Attribution): AllureStatus =>
  a.verdict.kind === 'flaky' ? 'passed' : a.verdict.kind === 'introduced' || a.verdict.kind === 'not-the-packages' ? 'failed' : 'unknown';

const probeStatus: Record<ProbeOutcome, AllureStatus> = { passed: 'passed', failed: 'failed', broken: 'broken', refused: 'skipped' };

export interface AttachmentFile {
  /** The file name in allure-results (the step's `source`). */
  source: string;
  text: string;
}

/**
 * The result with an "Attribution" step (the verdict; one step per probe, each with its record
 * attached), the verdict as a label, and — only when the rerun on the same set was green — marked
 * flaky. Its status stays what it was: the failure stays reported.
 */
export function withAttributionStep(r: AllureResult, a: Attribution, at: number): { result: AllureResult; attachments: AttachmentFile[] } {
  const attachments: AttachmentFile[] = [];
  const attach = (name: string, text: string) => {
    const source = `${r.uuid}-attribution-${attachments.length}-attachment.txt`;
    attachments.push({ source, text });
    return { name, source, type: 'text/plain' };
  };
  const on = (applied: readonly string[]) => a.changes.filter((c) => applied.includes(c.source));
  const probes: AllureStep[] = a.probes.map((p, i) => ({
    name: probeLine(p, i, a.changes),
    status: probeStatus[p.outcome],
    stage: 'finished',
    start: at,
    stop: at,
    steps: [],
    parameters: [],
    attachments: [
      attach(
        `probe ${i + 1}`,
        [
          `role: ${p.role}`,
          `outcome: ${p.outcome}${p.outcome === 'refused' || p.outcome === 'broken' ? ' (cannot tell)' : ''}`,
          ...(p.detail ? [`detail: ${p.detail}`] : []),
          ...(p.setId ? [`package set: ${p.setId}`] : []),
          ...(p.ms !== undefined ? [`time: ${Math.round(p.ms / 1000)} s`] : []),
          `updates applied on the last green set (${p.role === 'same' ? 'all: the red set' : p.role === 'good' ? 'none: the green set' : `${p.applied.length} of ${a.changes.length}`}):`,
          ...on(p.applied).map((c) => `  ${formatSourceChange(c)}`),
          '',
        ].join('\n'),
      ),
    ],
  }));
  const step: AllureStep = {
    name: `Attribution: ${verdictSentence(a.verdict)}`,
    status: stepStatus(a),
    stage: 'finished',
    start: at,
    stop: at,
    steps: probes,
    parameters: [],
    attachments: [attach('attribution', [`${a.scenario} red: ${verdictSentence(a.verdict)}`, '', ...a.changes.map((c) => formatSourceChange(c)), ''].join('\n'))],
  };
  const labels: AllureLabel[] = [...(r.labels ?? []).filter((l) => l.name !== ATTRIBUTION_LABEL), { name: ATTRIBUTION_LABEL, value: verdictSentence(a.verdict) }];
  const flaky = a.verdict.kind === 'flaky';
  return {
    result: { ...r, labels, steps: [...(r.steps ?? []), step], statusDetails: { ...(r.statusDetails ?? {}), flaky } },
    attachments,
  };
}

const xmlAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const xmlUnattr = (s: string) => s.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

/**
 * junit.xml with an `attribution` property on each attributed scenario's testcase (named as the
 * scenario, or ending ` > <scenario>` as vitest nests it). Testcases no attribution names are left
 * as they are.
 */
export function junitWithAttribution(xml: string, attributions: readonly Attribution[]): string {
  return xml.replace(/<testcase\b([^>]*?)(\/?)>/g, (whole, attrs: string, selfClosing: string) => {
    const name = /\bname="([^"]*)"/.exec(attrs)?.[1];
    if (name === undefined) return whole;
    const n = xmlUnattr(name);
    const a = attributions.find((x) => n === x.scenario || n.endsWith(` > ${x.scenario}`));
    if (!a) return whole;
    const props = `<properties><property name="${ATTRIBUTION_PROPERTY}" value="${xmlAttr(verdictSentence(a.verdict))}"/></properties>`;
    return selfClosing ? `<testcase${attrs}>${props}</testcase>` : `<testcase${attrs}>${props}`;
  });
}

/** The history entry's attribution: per scenario, the verdict's kind and sentence. */
export function historyAttribution(attributions: readonly Attribution[]): { scenario: string; verdict: string; sentence: string }[] {
  return attributions.map((a) => ({ scenario: a.scenario, verdict: a.verdict.kind, sentence: verdictSentence(a.verdict) }));
}

/**
 * The tests (by fullName: Allure keys its history by ids of its own making, but each history item
 * keeps the fullName) whose history Allure must not see: failed or broken results no rerun marked
 * flaky. Allure guesses "flaky" from history alone (a pass between failures); for a deterministic
 * regression that is the wrong word at the top of the page.
 */
export function historyHiddenFromFlakyGuess(results: readonly AllureResult[]): Set<string> {
  return new Set(results.filter((r) => (r.status === 'failed' || r.status === 'broken') && r.statusDetails?.flaky !== true && r.fullName).map((r) => r.fullName!));
}

/**
 * Allure's history (JSON lines, one report each, oldest first) with, for each test of
 * `fullNames`, what is older than its newest pass left out: Allure then sees no failure before a
 * pass (its "flaky" rule) and still sees the last runs up to that pass (a "regressed" test stays
 * regressed). Other tests and lines are as they were.
 */
export function historyWithout(text: string, fullNames: ReadonlySet<string>): string {
  if (fullNames.size === 0) return text;
  type Point = { testResults?: Record<string, { fullName?: string; status?: string } | null> };
  const lines = text.split('\n');
  const points = lines.map((l) => (l.trim() ? (JSON.parse(l) as Point) : undefined));
  const changed = new Set<number>();
  for (const name of fullNames) {
    let passedSeen = false;
    for (let i = points.length - 1; i >= 0; i--) {
      const tr = points[i]?.testResults;
      if (!tr) continue;
      for (const [id, item] of Object.entries(tr)) {
        if (item?.fullName !== name) continue;
        if (passedSeen) {
          delete tr[id];
          changed.add(i);
        } else if (item.status === 'passed') passedSeen = true;
      }
    }
  }
  return lines.map((l, i) => (changed.has(i) ? JSON.stringify(points[i]) : l)).join('\n');
}

/** A scenario that failed as DRBD's failure: its result, its file and its test name (what a rerun runs). */
export interface FailingScenario {
  result: AllureResult;
  /** `scenarios/02-reboot-persistence.test.ts`, from the result's fullName. */
  file: string;
  name: string;
}

/**
 * The results the report shows failed (DRBD): what attribution follows up. Broken (the lab) and
 * cancelled ones are no product failure; a result without a file in its fullName cannot be rerun.
 */
export function failingScenarios(results: readonly AllureResult[]): FailingScenario[] {
  return results
    .filter((r) => reportStatus(r) === 'failed')
    .flatMap((r) => {
      const m = /^[^:]*:([^#]+\.test\.ts)#/u.exec(r.fullName ?? '');
      return m ? [{ result: r, file: m[1]!, name: r.name }] : [];
    });
}
