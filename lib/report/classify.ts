// Broken or failed: what a nightly reader needs first is whether DRBD misbehaved (failed) or
// the lab around it did (broken: a VM that did not boot, a package source that went away).
//
// allure-vitest decides from the serialized error alone (`getStatusFromError` in
// allure-js-commons): assertion-like errors are "failed", everything else "broken". So a
// StepError around a product RemoteCommandError comes out broken. defineScenario labels the
// result with the error's `kind`; reclassify() turns that label into the status.

import type { FailureKind } from '../errors.js';
import { EXIT } from '../exit-codes.js';

/** Label defineScenario sets on a result whose test threw a DrbdlabError: its `kind`. */
export const FAILURE_KIND_LABEL = 'failureKind';

export type AllureStatus = 'passed' | 'failed' | 'broken' | 'skipped' | 'unknown';

export interface AllureStatusDetails {
  message?: string;
  trace?: string;
  [k: string]: unknown;
}

export interface AllureStep {
  name?: string;
  status?: AllureStatus;
  statusDetails?: AllureStatusDetails;
  steps?: AllureStep[];
  [k: string]: unknown;
}

/** The parts of an allure-results `*-result.json` this module reads; the rest is kept as is. */
export interface AllureResult extends AllureStep {
  uuid: string;
  name: string;
  historyId?: string;
  fullName?: string;
  status?: AllureStatus;
  labels?: { name: string; value: string }[];
  start?: number;
  stop?: number;
}

/**
 * Infrastructure failures recognisable by message, for results without the label (an error
 * thrown before the test could label it, or results written before the label existed).
 * Strings, not RegExps: they go into the Allure config as category matchers too.
 */
export const INFRA_MESSAGE_PATTERNS = {
  /** UpstreamUnavailableError: package source unreachable, PPA no longer publishing, download gone. */
  upstream: '^upstream unavailable: ',
  /** A node did not boot, or did not come back: WaitTimeoutError on SSH / cloud-init / reboot. */
  boot: '^timed out after \\d+ s waiting for (SSH\\b|the node to come back)',
} as const;

/**
 * The message of the error at the bottom of the wrapping: StepError prefixes `step "…" failed: `
 * (one or more), WaitTimeoutError and RemoteCommandError prefix the node (`drbd1: `).
 */
export function rootMessage(message: string): string {
  let m = message.trimStart();
  for (;;) {
    const step = /^step "(?:[^"\\]|\\.|"(?!\s+failed: ))*" failed: /.exec(m);
    if (!step) break;
    m = m.slice(step[0].length);
  }
  const node = /^[\w.-]+: (?=timed out after |upstream unavailable: )/.exec(m);
  return node ? m.slice(node[0].length) : m;
}

const labelValue = (r: AllureResult, name: string) => r.labels?.find((l) => l.name === name)?.value;

const isKind = (v: string | undefined): v is FailureKind => v === 'infrastructure' || v === 'product' || v === 'usage';

/** What went wrong, as far as the result file tells: from the label, else from the message. */
export function failureKindOf(r: AllureResult): FailureKind | undefined {
  const label = labelValue(r, FAILURE_KIND_LABEL);
  if (isKind(label)) return label;
  const root = rootMessage(r.statusDetails?.message ?? '');
  if (Object.values(INFRA_MESSAGE_PATTERNS).some((p) => new RegExp(p).test(root))) return 'infrastructure';
  return undefined;
}

/**
 * The status the report shows. Only failed/broken results move: infrastructure and usage
 * errors are broken, product errors failed; without a known kind allure-vitest's verdict stays
 * (assertions failed, a TypeError in a scenario broken).
 */
export function reportStatus(r: AllureResult): AllureStatus | undefined {
  if (r.status !== 'failed' && r.status !== 'broken') return r.status;
  const kind = failureKindOf(r);
  if (kind === undefined) return r.status;
  return kind === 'product' ? 'failed' : 'broken';
}

/**
 * The nightly's exit code from the statuses the report shows: failed (DRBD) beats broken
 * (infrastructure), so a DRBD regression never hides behind a flaky boot; a result file that
 * does not read is broken (no one can tell what that test did); a vitest run that failed with no
 * failed or broken result is still failed.
 */
export function runExitCode(vitestExit: number, statuses: readonly (AllureStatus | undefined)[], unreadable = 0): number {
  if (statuses.includes('failed')) return EXIT.failed;
  if (statuses.includes('broken') || unreadable > 0) return EXIT.broken;
  return vitestExit === 0 ? EXIT.ok : EXIT.failed;
}

function restatusSteps(steps: AllureStep[] | undefined, from: AllureStatus, to: AllureStatus): AllureStep[] | undefined {
  return steps?.map((s) => ({
    ...s,
    status: s.status === from ? to : s.status,
    steps: restatusSteps(s.steps, from, to),
  }));
}

/**
 * The result with its status (and the status of the steps the error went through) set by
 * reportStatus(). Pure: the input is not modified.
 */
export function reclassify(r: AllureResult): { result: AllureResult; changed: boolean } {
  const to = reportStatus(r);
  const from = r.status;
  if (to === from || to === undefined || from === undefined) return { result: r, changed: false };
  return { result: { ...r, status: to, steps: restatusSteps(r.steps, from, to) }, changed: true };
}

/** The run was stopped by a signal (Ctrl-C, SIGTERM): which, and when. */
export interface Cancellation {
  signal: string;
  /** ISO time the signal came. */
  at: string;
}

/** Label on a result turned "cancelled" by cancelResult(). */
export const CANCELLED_LABEL = 'cancelled';

/** `cancelled by SIGINT at 2026-…: no verdict (neither failed nor broken)` */
export const cancelledSentence = (c: Cancellation) => `cancelled by ${c.signal} at ${c.at}: no verdict (neither failed nor broken)`;

/**
 * A run stopped by Ctrl-C or SIGTERM: a test that did not pass and ended after the signal was
 * interrupted, not judged — skipped, labelled cancelled, its own message kept below. A test that
 * failed before the signal keeps its verdict. Pure: the input is not modified.
 */
export function cancelResult(r: AllureResult, c: Cancellation): { result: AllureResult; changed: boolean } {
  const from = r.status;
  if ((from !== 'failed' && from !== 'broken') || r.stop === undefined || r.stop < Date.parse(c.at)) return { result: r, changed: false };
  const own = r.statusDetails?.message ? `\n(what the interrupted test reported: ${r.statusDetails.message})` : '';
  return {
    result: {
      ...r,
      status: 'skipped',
      statusDetails: { ...r.statusDetails, message: `${cancelledSentence(c)}${own}` },
      steps: restatusSteps(r.steps, from, 'skipped'),
      labels: [...(r.labels ?? []), { name: CANCELLED_LABEL, value: c.signal }],
    },
    changed: true,
  };
}

/** An Allure 3 category rule, JSON-safe (matcher patterns are strings). */
export interface CategoryRuleJson {
  id: string;
  name: string;
  matchers: {
    statuses?: AllureStatus[];
    labels?: Record<string, string>;
    message?: string;
    trace?: string;
  }[];
  groupByMessage?: boolean;
  expand?: boolean;
}

/** A category's message matcher sees the whole message, step prefixes included. */
const anyPrefix = (p: string) => `^(?:step ".*" failed: )*(?:[\\w.-]+: )?${p.slice(1)}`;

/**
 * Allure 3 categories, shown in this order; a result goes to the first that matches. Failed
 * first (DRBD did not do what the walkthrough says: must not hide behind a flaky boot), then
 * broken by cause (why the lab did not get to DRBD), then what is left (harness bugs).
 */
export const DRBDLAB_CATEGORIES: CategoryRuleJson[] = [
  {
    id: 'cancelled',
    name: 'Cancelled (Ctrl-C or SIGTERM): interrupted, no verdict',
    matchers: [{ statuses: ['skipped'], labels: { [CANCELLED_LABEL]: '.+' } }],
  },
  {
    id: 'product-timeout',
    name: 'Failed (DRBD): a DRBD command timed out',
    matchers: [{ statuses: ['failed'], message: anyPrefix('^`[^`]*` timed out after \\d+ s') }],
    groupByMessage: true,
    expand: true,
  },
  {
    id: 'product',
    name: 'Failed (DRBD): DRBD behaved unlike the walkthrough',
    matchers: [{ statuses: ['failed'] }],
    groupByMessage: true,
    expand: true,
  },
  {
    id: 'infra-upstream',
    name: 'Broken (infrastructure): upstream unavailable — package source unreachable, PPA no longer publishing',
    matchers: [{ statuses: ['broken'], message: anyPrefix(INFRA_MESSAGE_PATTERNS.upstream) }],
    groupByMessage: true,
  },
  {
    id: 'infra-boot',
    name: 'Broken (infrastructure): boot timeout — a node did not answer on SSH',
    matchers: [{ statuses: ['broken'], message: anyPrefix(INFRA_MESSAGE_PATTERNS.boot) }],
    groupByMessage: true,
  },
  {
    id: 'infra-other',
    name: 'Broken (infrastructure): other lab failures',
    matchers: [
      { statuses: ['broken'], labels: { [FAILURE_KIND_LABEL]: '^(infrastructure|usage)$' } },
      // lib/report/broken-result.ts: the lab could not be built, no scenario ran
      { statuses: ['broken'], labels: { feature: '^lab$' } },
    ],
    groupByMessage: true,
  },
  {
    id: 'harness',
    name: 'Broken (harness): errors in the scenarios or the lab code',
    matchers: [{ statuses: ['broken'] }],
    groupByMessage: true,
  },
];
