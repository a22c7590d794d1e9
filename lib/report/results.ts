// The allure-results of a run, read for the verdict (the nightly's exit code) and for the report.
// Every `*-result.json` must read as a result: a file that does not is a test whose outcome no
// one can tell, so reading it fails naming the file, rather than letting a scenario vanish.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DrbdlabError } from '../errors.js';
import { reportStatus, runExitCode, type AllureResult } from './classify.js';

/** An allure-results file that is not a result: cut short, empty, or not a JSON object. */
export class UnreadableResultError extends DrbdlabError {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: not a readable Allure result (${problem}): the report cannot say what this test did`);
  }
}

export const isResultFile = (name: string) => name.endsWith('-result.json');

/** One result file's text as a result; throws UnreadableResultError naming `file`. */
export function parseResult(file: string, text: string): AllureResult {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new UnreadableResultError(file, text.trim() === '' ? 'empty file' : (err as Error).message);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UnreadableResultError(file, 'not a JSON object');
  const r = v as Partial<AllureResult>;
  if (typeof r.uuid !== 'string' || typeof r.name !== 'string') throw new UnreadableResultError(file, 'no uuid or name');
  return r as AllureResult;
}

/**
 * The nightly's exit code for a scenario run: vitest's exit status and the results as the report
 * will show them (lib/report/classify.ts). A results file that does not read makes the run
 * broken (exit 3) and says which file, unless a scenario failed (DRBD) anyway.
 */
export async function runVerdict(vitestExit: number, resultsDir: string): Promise<{ code: number; unreadable: UnreadableResultError[] }> {
  const names = (await readdir(resultsDir).catch(() => [] as string[])).filter(isResultFile).sort();
  const statuses: (ReturnType<typeof reportStatus>)[] = [];
  const unreadable: UnreadableResultError[] = [];
  for (const f of names) {
    const file = join(resultsDir, f);
    try {
      statuses.push(reportStatus(parseResult(file, await readFile(file, 'utf8'))));
    } catch (err) {
      if (!(err instanceof UnreadableResultError)) throw err;
      unreadable.push(err);
    }
  }
  return { code: runExitCode(vitestExit, statuses, unreadable.length), unreadable };
}
