// Mutation tests of the scenarios' verdicts, through the code a real run goes through:
// - mutate(recording, edits): a recording with some command outputs changed on purpose;
// - replayThroughDefineScenario(recording, body): the scenario run by defineScenario's own
//   runScenario (labels, kernel-log check, failure kind), its Allure calls caught by an Allure
//   runtime of its own and written as the result file allure-vitest writes for a failed test;
// - classifyLikeTheNightly(replay): that file through the report's staging (reclassification),
//   Allure's own category matcher over drbdlab's categories, and the nightly's exit code.
// A new mutation is one entry: a recording, a body, its edits, what the report must say.
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
// Allure's own matcher (the report generator's), and vitest's own error serialization: both
// come with the `allure` and `vitest` dev dependencies.
import { matchCategory, normalizeCategoriesConfig, type CategoryRule } from '@allurereport/core-api';
import { processError } from '@vitest/utils/error';
import { Stage, Status } from 'allure-js-commons';
import { getMessageAndTraceFromError, getStatusFromError } from 'allure-js-commons/sdk';
import { FileSystemWriter, ReporterRuntime } from 'allure-js-commons/sdk/reporter';
import { getGlobalTestRuntime, MessageHolderTestRuntime, setGlobalTestRuntime } from 'allure-js-commons/sdk/runtime';
import { stageResults } from '../../lib/report/allure-report.js';
import { DRBDLAB_CATEGORIES, type AllureResult, type AllureStatus } from '../../lib/report/classify.js';
import type { CommandRecord } from '../../lib/ssh/command-record.js';
import { runVerdict } from '../../lib/report/results.js';
import { runScenario, type ScenarioBody, type ScenarioOptions } from '../../lib/scenario/define-scenario.js';
import type { Fault } from '../../lib/config/config.js';
import type { Recording } from '../../lib/scenario/recording.js';
import type { ReplayLab } from '../../lib/scenario/replay-lab.js';
import type { ScenarioLab } from '../../lib/scenario/scenario-lab.js';
import { replayTarget } from '../../lib/scenario/targets.js';

/** A change to the outputs of the recorded commands `match` selects. */
export interface Edit {
  what: string;
  match: (c: CommandRecord, i: number, all: readonly CommandRecord[]) => boolean;
  change: (c: CommandRecord) => Partial<Pick<CommandRecord, 'stdout' | 'stderr' | 'exitCode' | 'timedOut'>>;
}

/** The recording with the edits applied; an edit that selects nothing or changes nothing is a broken test. */
export function mutate(recording: Recording, edits: Edit[]): Recording {
  const copy = structuredClone(recording);
  for (const edit of edits) {
    const hits = copy.commands.flatMap((c, i, all) => (edit.match(c, i, all) ? [i] : []));
    let changed = 0;
    for (const i of hits) {
      const c = copy.commands[i]!;
      const before = JSON.stringify([c.stdout, c.stderr, c.exitCode, c.timedOut]);
      Object.assign(c, edit.change(c));
      if (JSON.stringify([c.stdout, c.stderr, c.exitCode, c.timedOut]) !== before) changed++;
    }
    if (changed === 0) throw new Error(`mutation "${edit.what}" changed nothing in the recording (${hits.length} commands selected)`);
  }
  return copy;
}

// Selecting records.
type Pred = (c: CommandRecord) => boolean;
/** The record of `command` (exact, or a RegExp), on `node` when given. */
export const at = (command: string | RegExp, node?: string) => (c: CommandRecord) =>
  (node === undefined || c.node === node) && (typeof command === 'string' ? c.command === command : command.test(c.command));
/** Index of the first record matching, -1 when none. */
export const firstIndex = (all: readonly CommandRecord[], pred: Pred) => all.findIndex(pred);
/** Index of the last record matching, -1 when none. */
export const lastIndex = (all: readonly CommandRecord[], pred: Pred) => all.reduce((found, c, i) => (pred(c) ? i : found), -1);
/** Index of the first record from index `from` on matching `pred`, -1 when none. */
export function firstFrom(all: readonly CommandRecord[], from: number, pred: Pred): number {
  const i = from < 0 ? -1 : all.slice(from).findIndex(pred);
  return i < 0 ? -1 : from + i;
}
/** Index of the first record matching `pred` after the first one matching `after`, -1 when none. */
export const firstAfter = (all: readonly CommandRecord[], after: Pred, pred: Pred) => {
  const from = firstIndex(all, after);
  return from < 0 ? -1 : firstFrom(all, from + 1, pred);
};
export interface Replayed {
  /** What runScenario threw (undefined: the scenario passed). */
  err: unknown;
  /** Commands of the recording not replayed. */
  remaining: number;
  /** The allure-results folder holding this run's one result file. */
  resultsDir: string;
  /** The result file as written. */
  result: AllureResult;
  /** vitest's exit status for a run of this one test. */
  vitestExit: number;
}

/**
 * The scenario `body` on `recording`, run by defineScenario's own code (runScenario on the
 * replay target scenarioTargets makes), its result written as allure-vitest writes it.
 */
export async function replayThroughDefineScenario(
  recording: Recording,
  body: ScenarioBody,
  o: {
    scenario?: string;
    opts?: ScenarioOptions;
    /** The lab as the target gives it to runScenario: the replay, or a change of it (a node's real reboot code). */
    lab?: (replay: ScenarioLab) => ScenarioLab;
    /** A fault the replayed run injects (DRBDLAB_FAULT of the run that was recorded). */
    fault?: Fault;
    /** Run as on a lab that goes on (DRBDLAB_LAB): the scenario restores what it changed. */
    shared?: boolean;
  } = {},
): Promise<Replayed> {
  const dir = await mkdtemp(join(tmpdir(), 'mutation-'));
  const scenario = o.scenario ?? 'mutation';
  const base = replayTarget(scenario, 'replay (mutated)', recording, join(dir, 'run'), o.fault);
  let lab: ReplayLab | undefined;
  const target = {
    ...base,
    open: async (start?: Parameters<typeof base.open>[0]) => {
      const opened = await base.open(start);
      lab = opened.lab as ReplayLab;
      return { ...opened, ...(o.lab ? { lab: o.lab(opened.lab) } : {}), ...(o.shared === undefined ? {} : { shared: o.shared }) };
    },
  };
  // The scenario's Allure calls (labels, steps, attachments) go to this runtime, not into the
  // result of the unit test running it.
  const runtime = new MessageHolderTestRuntime();
  const previous = getGlobalTestRuntime();
  setGlobalTestRuntime(runtime);
  let err: unknown;
  try {
    await runScenario(scenario, body, o.opts ?? {}, target);
  } catch (e) {
    err = e ?? new Error(String(e));
  } finally {
    setGlobalTestRuntime(previous);
  }
  const resultsDir = join(dir, 'allure-results');
  const result = await writeResultLikeAllureVitest(resultsDir, `${scenario} [replay (mutated)]`, runtime, err);
  return { err, remaining: lab ? lab.remaining.length : Number.NaN, resultsDir, result, vitestExit: err === undefined ? 0 : 1 };
}

/** allure-vitest's reporter for one finished test: its runtime messages, then the status from vitest's serialized error. */
async function writeResultLikeAllureVitest(resultsDir: string, name: string, runtime: MessageHolderTestRuntime, err: unknown): Promise<AllureResult> {
  const reporter = new ReporterRuntime({ writer: new FileSystemWriter({ resultsDir }) });
  const uuid = reporter.startTest({ name, fullName: `tests/unit/mutation#${name}` });
  reporter.updateTest(uuid, (result) => {
    const messages = runtime.messages();
    if (messages.length) reporter.applyRuntimeMessages(uuid, messages);
    if (err === undefined) {
      result.status = Status.PASSED;
    } else {
      const serialized = serializedLikeVitest(err);
      result.status = getStatusFromError(serialized as Error);
      result.statusDetails = { ...getMessageAndTraceFromError(serialized as Error) };
    }
    result.stage = Stage.FINISHED;
  });
  reporter.stopTest(uuid);
  reporter.writeTest(uuid);
  const files = (await readdir(resultsDir)).filter((f) => f.endsWith('-result.json'));
  if (files.length !== 1) throw new Error(`expected one result file in ${resultsDir}, found ${files.length}`);
  return JSON.parse(await readFile(join(resultsDir, files[0]!), 'utf8')) as AllureResult;
}

/** What vitest hands its reporters for a thrown error; the error's own cause chain is left as it was. */
function serializedLikeVitest(err: unknown): unknown {
  const chain: { e: { cause?: unknown }; cause: unknown }[] = [];
  for (let e: unknown = err; typeof e === 'object' && e !== null && chain.length < 20; e = (e as { cause?: unknown }).cause) {
    chain.push({ e: e as { cause?: unknown }, cause: (e as { cause?: unknown }).cause });
  }
  try {
    return processError(err);
  } finally {
    for (const { e, cause } of chain) {
      try {
        e.cause = cause;
      } catch {
        /* a read-only cause was not rewritten either */
      }
    }
  }
}

export interface Classified {
  /** The status the report shows (after the report's reclassification). */
  status: AllureStatus | undefined;
  /** The report category Allure puts it in (DRBDLAB_CATEGORIES' id). */
  category: string | undefined;
  /** The nightly's exit code for a run of this one scenario. */
  exitCode: number;
}

const CATEGORIES = normalizeCategoriesConfig({ rules: DRBDLAB_CATEGORIES as CategoryRule[] });

/** The result as the report and the nightly classify it: the same functions, on the file written. */
export async function classifyLikeTheNightly(r: Pick<Replayed, 'resultsDir' | 'vitestExit'>): Promise<Classified> {
  const { results } = await stageResults(r.resultsDir, `${r.resultsDir}-staged`);
  if (results.length !== 1) throw new Error(`expected one result, staged ${results.length}`);
  const result = results[0]!;
  const category = matchCategory(CATEGORIES, {
    status: result.status ?? 'unknown',
    labels: (result.labels ?? []).map((l) => ({ name: l.name, value: l.value })),
    message: result.statusDetails?.message,
    trace: result.statusDetails?.trace,
    flaky: false,
  });
  const { code } = await runVerdict(r.vitestExit, r.resultsDir);
  return { status: result.status, category: category?.id, exitCode: code };
}

/** One mutation of a recording and what the run must then report. */
export interface Mutation {
  name: string;
  recording: string;
  body: ScenarioBody;
  edits: Edit[];
  /** What the run meets that is not in a recording (a node's reboot command): the lab changed, green and mutated. */
  lab?: (lab: ScenarioLab, mutated: boolean) => ScenarioLab;
  expected: {
    status: 'failed' | 'broken';
    category: string;
    /** The step that must fail (its title's start). */
    step: RegExp;
    message: RegExp;
    error?: (err: unknown) => boolean;
  };
}

/** An error and its causes, outermost first. */
export function causes(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e: unknown = err; e !== undefined && out.length < 10; e = e instanceof Error ? e.cause : undefined) out.push(e);
  return out;
}

/** The record taken from capture `id` of scenarios/recordings/captures (its provenance names it). */
export const capture = (id: string): Pred => (c) => c.provenance?.kind === 'captured' && c.provenance.from.startsWith(`${id} `);

/** The recording with `n` more answers to the command `match` selects, before its recorded one: what a poll gets first. */
export function answeredFirst(recording: Recording, match: Pred, out: Pick<CommandRecord, 'stdout' | 'stderr' | 'exitCode'>, n = 1): Recording {
  const copy = structuredClone(recording);
  const i = copy.commands.findIndex(match);
  if (i < 0) throw new Error('answeredFirst: no such record');
  const earlier = { ...copy.commands[i]!, ...out, provenance: { kind: 'source' as const, from: 'test: an earlier answer to the same poll' } };
  copy.commands.splice(i, 0, ...Array.from({ length: n }, () => ({ ...earlier })));
  return copy;
}
