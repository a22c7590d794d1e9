import * as allure from 'allure-js-commons';
import { DrbdlabError, failureKind, type FailureFields, type FailureKind } from '../errors.js';
import type { CommandRecord } from '../ssh/command-record.js';
import { formatRecord } from '../ssh/transcript.js';

/** A failed scenario step: names the step, keeps the cause (node, command, state last seen). */
export class StepError extends DrbdlabError {
  override readonly kind: FailureKind;
  constructor(
    readonly step: string,
    readonly cause: unknown,
  ) {
    super(`step "${step}" failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.kind = failureKind(cause);
  }

  /** The failure of the step is its cause's: which node, which command, timed out or not. */
  override fields(): FailureFields {
    return this.cause instanceof DrbdlabError ? { ...this.cause.fields(), kind: this.kind } : super.fields();
  }
}

/** Source of the commands run so far (the scenario's transcript). */
export interface RecordSource {
  readonly records: readonly CommandRecord[];
}

/**
 * Run one walkthrough step as an Allure step, attaching the commands it ran and their output.
 * Vitest assertion errors pass through with the step's name prefixed.
 */
export function makeStep(transcript: RecordSource, snapshot?: FailureSnapshot) {
  return async function step<T>(title: string, body: () => Promise<T>): Promise<T> {
    const from = transcript.records.length;
    return allure.step(title, async () => {
      try {
        return await body();
      } catch (err) {
        if (err instanceof StepError) throw err;
        // What DRBD looked like on every node when the step failed: in the message and attached.
        const state = snapshot ? await snapshot().catch(() => '') : '';
        const suffix = state ? `\n  DRBD state at failure: ${state}` : '';
        if (err instanceof Error && !(err instanceof DrbdlabError)) {
          err.message = `step "${title}" failed: ${err.message}${suffix}`;
          throw err;
        }
        const e = new StepError(title, err);
        e.message += suffix;
        throw e;
      } finally {
        const ran = transcript.records.slice(from);
        if (ran.length > 0) await allure.attachment(`commands (${ran.length})`, ran.map(formatRecord).join('\n'), 'text/plain');
      }
    });
  };
}

export type Step = ReturnType<typeof makeStep>;

/** Collects (and attaches) the nodes' DRBD state, dmesg and console at a failure; returns a one-line summary. */
export type FailureSnapshot = () => Promise<string>;
