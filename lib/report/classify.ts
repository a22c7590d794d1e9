// Failed, broken or cancelled: what a nightly reader needs first is whether DRBD misbehaved
// (failed), the lab around it did (broken: a VM that did not boot, a package source that went
// away), or the run was stopped (cancelled: no verdict).
//
// allure-vitest decides from the serialized error alone (`getStatusFromError` in
// allure-js-commons): assertion-like errors are "failed", everything else "broken". So a
// StepError around a product RemoteCommandError comes out broken. defineScenario writes the
// error's fields (lib/errors.ts: kind, timedOut, canceled, signal, node, command, …) as labels;
// the report reads them back and decides from those fields alone, never from message text.

import { FAILURE_KINDS, type FailureFields, type FailureKind, type FailureTopic } from '../errors.js';
import { EXIT } from '../exit-codes.js';

/** The labels a failure's fields are written as, one per field. */
export const FAILURE_LABELS = {
  kind: 'failureKind',
  timedOut: 'failureTimedOut',
  canceled: 'failureCanceled',
  signal: 'failureSignal',
  node: 'failureNode',
  command: 'failureCommand',
  exitCode: 'failureExitCode',
  topic: 'failureTopic',
} as const satisfies Record<keyof FailureFields, string>;

/** Label with the failure's `kind`: the one every labelled result has. */
export const FAILURE_KIND_LABEL = FAILURE_LABELS.kind;

export type AllureStatus = 'passed' | 'failed' | 'broken' | 'skipped' | 'unknown';

export interface AllureLabel {
  name: string;
  value: string;
}

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
  labels?: AllureLabel[];
  start?: number;
  stop?: number;
}

/** A failure's fields as Allure labels: the kind always, the others where they say something. */
export function failureLabels(f: FailureFields): AllureLabel[] {
  const labels: AllureLabel[] = [{ name: FAILURE_LABELS.kind, value: f.kind }];
  if (f.timedOut) labels.push({ name: FAILURE_LABELS.timedOut, value: 'true' });
  if (f.canceled) labels.push({ name: FAILURE_LABELS.canceled, value: 'true' });
  if (f.signal) labels.push({ name: FAILURE_LABELS.signal, value: f.signal });
  if (f.node) labels.push({ name: FAILURE_LABELS.node, value: f.node });
  if (f.command) labels.push({ name: FAILURE_LABELS.command, value: f.command });
  if (f.exitCode !== undefined) labels.push({ name: FAILURE_LABELS.exitCode, value: String(f.exitCode) });
  if (f.topic) labels.push({ name: FAILURE_LABELS.topic, value: f.topic });
  return labels;
}

const TOPICS: readonly FailureTopic[] = ['upstream', 'boot'];
const isKind = (v: string | undefined): v is FailureKind => (FAILURE_KINDS as readonly (string | undefined)[]).includes(v);
const isTopic = (v: string | undefined): v is FailureTopic => (TOPICS as readonly (string | undefined)[]).includes(v);

/**
 * A result's failure fields, read back from its labels; undefined without a known kind (a test
 * that failed on an assertion or a TypeError: no error of the family).
 */
export function failureOf(r: Pick<AllureResult, 'labels'>): FailureFields | undefined {
  const value = (name: string) => r.labels?.find((l) => l.name === name)?.value;
  const kind = value(FAILURE_LABELS.kind);
  if (!isKind(kind)) return undefined;
  const signal = value(FAILURE_LABELS.signal);
  const node = value(FAILURE_LABELS.node);
  const command = value(FAILURE_LABELS.command);
  const exit = value(FAILURE_LABELS.exitCode);
  const topic = value(FAILURE_LABELS.topic);
  return {
    kind,
    timedOut: value(FAILURE_LABELS.timedOut) === 'true',
    canceled: value(FAILURE_LABELS.canceled) === 'true',
    ...(signal ? { signal } : {}),
    ...(node ? { node } : {}),
    ...(command ? { command } : {}),
    ...(exit !== undefined && /^-?\d+$/.test(exit) ? { exitCode: Number(exit) } : {}),
    ...(isTopic(topic) ? { topic } : {}),
  };
}

/** What the report makes of a failure. */
export type Verdict = 'failed' | 'broken' | 'cancelled';

/**
 * The verdict on a failure, from its fields: stopped on purpose (an interruption, a cancelled
 * command) is cancelled, no verdict; a product failure (timed out or not) is failed; everything
 * else (infrastructure, usage, a parse error: the harness could not read a tool) broken.
 */
export function verdictOf(f: FailureFields): Verdict {
  if (f.kind === 'interrupted' || f.canceled) return 'cancelled';
  return f.kind === 'product' ? 'failed' : 'broken';
}

const STATUS_OF: Record<Verdict, AllureStatus> = { failed: 'failed', broken: 'broken', cancelled: 'skipped' };

/**
 * The status the report shows. Only failed/broken results move: by the verdict on their
 * failure's fields (cancelled shows as skipped, labelled cancelled); without a known kind
 * allure-vitest's verdict stays (assertions failed, a TypeError in a scenario broken).
 */
export function reportStatus(r: AllureResult): AllureStatus | undefined {
  if (r.status !== 'failed' && r.status !== 'broken') return r.status;
  const f = failureOf(r);
  return f === undefined ? r.status : STATUS_OF[verdictOf(f)];
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
 * reportStatus(); a cancelled one labelled cancelled. Pure: the input is not modified.
 */
export function reclassify(r: AllureResult): { result: AllureResult; changed: boolean } {
  const to = reportStatus(r);
  const from = r.status;
  if (to === from || to === undefined || from === undefined) return { result: r, changed: false };
  const cancelled = to === 'skipped' ? [{ name: CANCELLED_LABEL, value: failureOf(r)?.signal ?? 'interrupted' }] : [];
  return { result: { ...r, status: to, steps: restatusSteps(r.steps, from, to), ...(cancelled.length ? { labels: [...(r.labels ?? []), ...cancelled] } : {}) }, changed: true };
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
  const labels = (r.labels ?? []).filter((l) => l.name !== CANCELLED_LABEL);
  const own = r.statusDetails?.message ? `\n(what the interrupted test reported: ${r.statusDetails.message})` : '';
  return {
    result: {
      ...r,
      status: 'skipped',
      statusDetails: { ...r.statusDetails, message: `${cancelledSentence(c)}${own}` },
      steps: restatusSteps(r.steps, from, 'skipped'),
      labels: [...labels, { name: CANCELLED_LABEL, value: c.signal }],
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

/**
 * Allure 3 categories, shown in this order; a result goes to the first that matches. Matched on
 * the failure's labels, never its message. Failed first (DRBD did not do what the walkthrough
 * says: must not hide behind a flaky boot), then broken by cause (why the lab did not get to
 * DRBD), then what is left (parse errors, harness bugs).
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
    matchers: [{ statuses: ['failed'], labels: { [FAILURE_LABELS.timedOut]: '^true$', [FAILURE_LABELS.command]: '.' } }],
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
    matchers: [{ statuses: ['broken'], labels: { [FAILURE_LABELS.topic]: '^upstream$' } }],
    groupByMessage: true,
  },
  {
    id: 'infra-boot',
    name: 'Broken (infrastructure): boot timeout — a node did not answer on SSH',
    matchers: [{ statuses: ['broken'], labels: { [FAILURE_LABELS.topic]: '^boot$' } }],
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
    name: 'Broken (harness): a tool\'s output the parsers do not know, errors in the scenarios or the lab code',
    matchers: [{ statuses: ['broken'] }],
    groupByMessage: true,
  },
];
