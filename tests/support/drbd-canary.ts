// The attribution canary's fault switch (tests/scenarios/drbd-canary.test.ts reads it, the
// attribution canary test sets it): a file in the labs folder (DRBDLAB_STATE), host state that
// every scenario process of a run and of its follow-up sees. `persistent` breaks the scenario in
// the lab on every run; `once` breaks the next run only, which uses it up.

import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export type CanaryFault = 'persistent' | 'once';

const switchFile = (labs: string) => join(labs, 'drbd-canary-fault');

export async function setCanaryFault(labs: string, fault: CanaryFault | undefined): Promise<void> {
  if (fault) await writeFile(switchFile(labs), `${fault}\n`);
  else await rm(switchFile(labs), { force: true });
}

/** Whether this run breaks the lab; a `once` switch is used up here. */
export async function takeCanaryFault(labs: string): Promise<CanaryFault | undefined> {
  if (!existsSync(switchFile(labs))) return undefined;
  const fault = (await readFile(switchFile(labs), 'utf8')).trim();
  if (fault === 'once') await rm(switchFile(labs), { force: true });
  if (fault !== 'once' && fault !== 'persistent') throw new Error(`${switchFile(labs)}: "${fault}" is no canary fault (persistent, once)`);
  return fault;
}
