import * as allure from 'allure-js-commons';
import { DrbdlabError, failureKind, type FailureKind } from '../errors.js';
import type { CommandRecord } from '../report/command-record.js';
import { formatRecord } from '../report/transcript.js';

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
}

/** Source of the commands run so far (the scenario's transcript). */
export interface RecordSource {
  readonly records: readonly CommandRecord[];
}

/**
 * Run one walkthrough step as an Allure step, attaching the commands it ran and their output.
 * Vitest assertion errors pass through with the step's name prefixed.
 */
export function makeStep(transcript: RecordSource) {
  return async function step<T>(title: string, body: () => Promise<T>): Promise<T> {
    const from = transcript.records.length;
    return allure.step(title, async () => {
      try {
        return await body();
      } catch (err) {
        if (err instanceof StepError) throw err;
        if (err instanceof Error && !(err instanceof DrbdlabError)) {
          err.message = `step "${title}" failed: ${err.message}`;
          throw err;
        }
        throw new StepError(title, err);
      } finally {
        const ran = transcript.records.slice(from);
        if (ran.length > 0) await allure.attachment(`commands (${ran.length})`, ran.map(formatRecord).join('\n'), 'text/plain');
      }
    });
  };
}

export type Step = ReturnType<typeof makeStep>;
