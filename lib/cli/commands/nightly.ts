import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { profileSettings, type Config } from '../../config/config.js';
import { failureFields, UsageError } from '../../errors.js';
import { imageRecord } from '../../image/cache.js';
import { PROJECT_ROOT } from '../../paths.js';
import { realHost } from '../../lab/lab-host.js';
import { packagesRoot } from '../../image/package-store.js';
import { OFFLINE_LINE } from '../../image/offline.js';
import type { ProfileName } from '../../image/profile-names.js';
import { chooseProfile, choiceLine, profileCandidates } from '../../image/profiles.js';
import { Lab } from '../../lab/lab.js';
import { clustersFor } from '../../lab/parallelism.js';
import { describeReaped, reapOrphans, sweepLabsOf } from '../../lab/reaper.js';
import { currentOwner } from '../../host/owner.js';
import { planRun, type ClusterSnapshot } from '../../snapshot/cluster-snapshot.js';
import { serializeRunPlan, type RunPlan } from '../../lab/run-plan.js';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { writeBrokenLabResult, writeCancelledRunResult } from '../../report/broken-result.js';
import { cancelledSentence } from '../../report/classify.js';
import { runVerdict } from '../../report/results.js';
import { EXIT } from '../../exit-codes.js';
import { abortOnSignals, interruptedAt, interruptedBy } from './interrupt.js';
import { formatShard, type Shard } from '../../report/shard.js';
import type { RunInfo } from '../../report/run-info.js';
import { publishRun } from '../../report/publish.js';
import { prunePackages } from '../../report/package-set-runs.js';
import { runScenarioProcess } from './scenario-process.js';
import { followUpRedRun } from './follow-up.js';

export interface NightlyOptions {
  /** The run's configuration, resolved once by the CLI. */
  config: Config;
  profile?: ProfileName;
  keep?: boolean;
  /** Extra vitest arguments, e.g. one scenario file. */
  scenarios?: string[];
  /** Run one part of the scenario files (vitest's --shard); recorded in versions.json for the merge. */
  shard?: Shard;
}

/**
 * The nightly job: profile → image (cached) → hypervisor → snapshot of a ready cluster (cached,
 * or one fresh up), resolved once as the run's plan → every scenario on its own cluster restored
 * by that plan → report.
 * Exit 0 only when every scenario passed; 1 when a scenario failed (DRBD behaved unlike the
 * walkthrough); 3 when the lab could not be built or reached (infrastructure).
 */
export async function nightlyCommand(o: NightlyOptions): Promise<number> {
  // The run starts here (not when the module was imported): its clock for the log and the report.
  const t0 = Date.now();
  const say = (m: string) => process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${m}\n`);
  const config = o.config.lab;
  const offline = o.config.offline;
  const choice = await chooseProfile(o.profile, config.profile, profileCandidates(profileSettings(o.config)));
  // First line of output: which profile and why, or that the walkthrough's did not run.
  process.stdout.write(`${choiceLine(choice)}\n`);
  if (offline) process.stdout.write(`${OFFLINE_LINE}\n`);
  const reports = o.config.paths.reports;
  // This machine with the run's folders (labs, images, snapshots).
  const host = realHost(o.config.paths);
  await rm(join(reports, 'allure-results'), { recursive: true, force: true });
  await mkdir(reports, { recursive: true });

  const interrupt = abortOnSignals(say, 'tearing the lab down');

  let code: number = EXIT.ok;
  // This run's versions go to the report (the PPA regression signal), never an older run's;
  // a substitution goes with them, to the report title and summary.md.
  const run: RunInfo = { profile: choice.profile.name, ...(choice.profile.variant ? { variant: choice.profile.variant } : {}), versions: {}, offline, hostCores: availableParallelism(), ...(choice.substituted ? { substituted: choice.substituted } : {}) };
  try {
    let snapshot: ClusterSnapshot;
    let plan: RunPlan;
    try {
      // The run's plan, resolved once: image, hypervisor and a ready cluster saved (from the
      // cache, or made now by one fresh up). Every scenario process gets this plan.
      const made = await planRun(new Lab(config, choice.profile, host, o.config.accel), { progress: say, signal: interrupt.signal, cacheMaxBytes: o.config.snapshotCacheGiB * 1024 ** 3 });
      ({ snapshot, plan } = made);
      say(`snapshot ${snapshot.point} ${snapshot.manifest.digest.slice(0, 12)} ${made.created ? 'made' : 'cached'}: ${JSON.stringify(snapshot.manifest.timings)}`);
    } catch (err) {
      say(interrupt.signal.aborted ? `lab setup cancelled (${interruptedBy}): no verdict` : `lab could not be built: ${(err as Error).message}`);
      await writeBrokenLabResult(join(reports, 'allure-results'), (err as Error).message, { profile: choice.profile.name }, t0, failureFields(err));
      // The exit code says what the lab-setup result says (a DKMS build that failed is DRBD's).
      const failed = failureFields(err)?.kind === 'product' && !interrupt.signal.aborted;
      return (code = err instanceof UsageError && !interrupt.signal.aborted ? EXIT.usage : failed ? EXIT.failed : EXIT.broken);
    }
    run.versions = snapshot.manifest.versions;
    if (snapshot.manifest.image.origins) run.origins = snapshot.manifest.image.origins;
    run.image = await imageRecord(snapshot.manifest.image.dir);
    const planFile = join(reports, 'run-plan.json');
    await writeFile(planFile, serializeRunPlan(plan));
    say(`running scenarios, each on its own cluster restored from the snapshot (${workers(o.config)} at a time)`);
    const shard = o.shard ? ['--shard', formatShard(o.shard)] : [];
    // The configuration whole, with --keep in it; the workers' clusters are this job's.
    const exit = await runScenarioProcess({ config: { ...o.config, keep: o.keep ?? false, ownerPid: process.pid }, planFile, args: [...shard, ...(o.scenarios ?? [])], signal: interrupt.signal, say });
    const verdict = await runVerdict(exit, join(reports, 'allure-results'));
    for (const u of verdict.unreadable) say(u.message);
    code = verdict.code;
    say(`scenarios: ${interrupt.signal.aborted ? `cancelled (${interruptedBy}): no verdict` : code === EXIT.ok ? 'all passed' : code === EXIT.failed ? 'failed' : 'broken (lab/infrastructure)'}`);
    // A DRBD failure is followed up: which update made it red (docs/attribution.md). The exit code stays.
    if (code === EXIT.failed && !interrupt.signal.aborted) {
      if (!o.config.attribution.enabled) say('attribution: off (--no-attribution)');
      else {
        const attributions = await followUpRedRun({ config: o.config, profile: choice.profile, plan, redSet: run.image?.packageSet, reports, signal: interrupt.signal, say }).catch((err: unknown) => {
          say(interrupt.signal.aborted ? `attribution cancelled (${interruptedBy})` : `attribution failed: ${(err as Error).message.split('\n')[0]}`);
          return [];
        });
        if (attributions.length) run.attributions = attributions;
      }
    }
  } finally {
    interrupt.release();
    // Ctrl-C or SIGTERM: neither failed nor broken; the report says cancelled (the exit status says the signal).
    if (interruptedBy && interruptedAt) {
      run.cancelled = { signal: interruptedBy, at: interruptedAt };
      await writeCancelledRunResult(join(reports, 'allure-results'), cancelledSentence(run.cancelled), interruptedBy, { profile: choice.profile.name }, t0);
    }
    // Clusters of workers that were stopped before they could remove them (an interrupt).
    for (const r of await sweepLabsOf(currentOwner('process'), config.libvirtUri, host)) say(describeReaped(r));
    // …and what a stopped worker had half-made of its own (a snapshot being saved).
    for (const r of await reapOrphans(config.libvirtUri, host)) say(describeReaped(r));
    // A report that could not be made (a result file that does not read) is no green run.
    if (!(await publishRun(reports, { ...run, shard: o.shard }, say, (history, log) => prunePackages(history, o.config.packageCacheGiB * 1024 ** 3, packagesRoot(o.config.paths.cache), log))) && code === EXIT.ok) code = EXIT.broken;
  }
  return code;
}

function workers(config: Config): number {
  return clustersFor({ cpus: cpus().length, memBytes: totalmem() }, { nodes: config.lab.nodes.length, memoryMiB: config.lab.memoryMiB }, config.clusters);
}
