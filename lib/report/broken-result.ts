import { randomUUID, createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FailureFields } from '../errors.js';
import { CANCELLED_LABEL, failureLabels } from './classify.js';

/**
 * An Allure result for a run that never reached its scenarios (lab could not be built,
 * upstream unavailable): the report then says "broken" and why, instead of being empty. The
 * error's fields go with it as labels, as a scenario's do (an upstream, a boot, an interruption).
 */
export function brokenLabResult(message: string, labels: Record<string, string>, start: number, stop = Date.now(), failure?: FailureFields) {
  const name = 'lab setup';
  return {
    uuid: randomUUID(),
    historyId: createHash('md5').update(`drbdlab:${name}:${labels.profile ?? ''}`).digest('hex'),
    name,
    fullName: `drbdlab: ${name}`,
    status: 'broken' as const,
    statusDetails: { message, trace: '' },
    stage: 'finished' as const,
    start,
    stop,
    labels: [
      { name: 'epic', value: 'drbdlab' },
      { name: 'feature', value: 'lab' },
      ...Object.entries(labels).map(([k, v]) => ({ name: k, value: v })),
      ...(failure ? failureLabels(failure) : []),
    ],
    steps: [],
    attachments: [],
    parameters: [],
    links: [],
  };
}

/**
 * The result of a run stopped by Ctrl-C or SIGTERM: skipped, labelled cancelled, so the report
 * and its history show the run as interrupted (no verdict) even when no scenario left a result.
 */
function cancelledRunResult(message: string, signal: string, labels: Record<string, string>, start: number, stop = Date.now()) {
  const r = brokenLabResult(message, labels, start, stop);
  const name = 'run';
  return {
    ...r,
    name,
    fullName: `drbdlab: ${name}`,
    historyId: createHash('md5').update(`drbdlab:${name}:${labels.profile ?? ''}`).digest('hex'),
    status: 'skipped' as const,
    labels: [...r.labels, { name: CANCELLED_LABEL, value: signal }],
  };
}

export async function writeCancelledRunResult(resultsDir: string, message: string, signal: string, labels: Record<string, string>, start: number): Promise<string> {
  await mkdir(resultsDir, { recursive: true });
  const r = cancelledRunResult(message, signal, labels, start);
  const file = join(resultsDir, `${r.uuid}-result.json`);
  await writeFile(file, JSON.stringify(r));
  return file;
}

export async function writeBrokenLabResult(resultsDir: string, message: string, labels: Record<string, string>, start: number, failure?: FailureFields): Promise<string> {
  await mkdir(resultsDir, { recursive: true });
  const r = brokenLabResult(message, labels, start, Date.now(), failure);
  const file = join(resultsDir, `${r.uuid}-result.json`);
  await writeFile(file, JSON.stringify(r));
  return file;
}
