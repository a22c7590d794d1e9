// The scenario runner as a child process: vitest's scenarios project on a run plan, with the
// run's configuration handed down whole. The nightly runs every scenario this way; attribution
// runs the failing one on each probe's plan the same way (into a results folder of its own).

import { execa } from 'execa';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RUN_CONFIG_ENV, serializeConfig, type Config } from '../../config/config.js';
import { reapGroup, signalGroup } from '../../exec/process-group.js';
import { dyingWithParent } from '../../exec/run.js';
import { PROJECT_ROOT } from '../../paths.js';

export interface ScenarioProcess {
  config: Config;
  /** The run plan file (DRBDLAB_PLAN). */
  planFile: string;
  /** vitest arguments after `--project scenarios`: a shard, scenario files, `-t <name>`. */
  args: readonly string[];
  /** Stops the process group (an interrupt). */
  signal: AbortSignal;
  /** Said when vitest's workers had to be killed. */
  say(m: string): void;
  /** Where its output goes: the terminal (the nightly), or this file (a probe's, in its own folder). */
  output?: string;
}

/** vitest's exit status (1 when it had none: killed). */
export async function runScenarioProcess(o: ScenarioProcess): Promise<number> {
  // vitest itself, not through npx (which would not pass the signal on), dies with us even on
  // SIGKILL. Its workers' clusters are this job's (the configuration's ownerPid): reaped if we
  // are killed, swept by the caller if we are interrupted.
  const vitest = [join(PROJECT_ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--project', 'scenarios', ...o.args];
  // Its own process group, so an interrupt stops vitest's fork workers too (they would go on
  // restoring clusters after the sweep) — the whole group is gone before the caller sweeps.
  const child = execa(...dyingWithParent(process.execPath, vitest, 'TERM'), {
    cwd: PROJECT_ROOT,
    // The run's plan (resolved once) and its configuration, whole.
    env: { DRBDLAB_PLAN: o.planFile, [RUN_CONFIG_ENV]: serializeConfig(o.config) },
    ...(o.output ? { all: true, stdin: 'ignore' as const } : { stdio: 'inherit' as const }),
    reject: false,
    detached: true,
  });
  const stop = () => child.pid !== undefined && signalGroup(child.pid, 'SIGTERM');
  o.signal.addEventListener('abort', stop, { once: true });
  const r = await child;
  o.signal.removeEventListener('abort', stop);
  if (o.output) await writeFile(o.output, String(r.all ?? ''));
  if (child.pid !== undefined && (await reapGroup(child.pid, { graceMs: 30_000 })) === 'killed') o.say('vitest workers did not stop on SIGTERM within 30 s: killed');
  return r.exitCode ?? 1;
}
