// A red nightly followed up (docs/attribution.md): each scenario that failed as DRBD's failure is
// attributed (lib/attribution) between the profile's last green package set and this run's, one
// time budget for them all; the verdicts go into the scenario's Allure result (an Attribution
// step, each probe attached) and the JUnit file, and back to the nightly for the run record.

import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { attribute, type Attribution } from '../../attribution/attribute.js';
import { attributionLine } from '../../attribution/words.js';
import type { Config } from '../../config/config.js';
import { DrbdlabError } from '../../errors.js';
import { packagesRoot, readSet } from '../../image/package-store.js';
import type { GuestProfile } from '../../image/profile.js';
import type { RunPlan } from '../../lab/run-plan.js';
import { failingScenarios, junitWithAttribution, withAttributionStep, type FailingScenario } from '../../report/attribution-report.js';
import type { AllureResult } from '../../report/classify.js';
import { lastGreenSetFor } from '../../report/package-set-runs.js';
import { VERSIONS_HISTORY_FILE } from '../../report/publish.js';
import { isResultFile, parseResult } from '../../report/results.js';
import { readVersionsHistory } from '../../report/versions.js';
import { asBaseImage, cachedImageOfSet, realPorts, type ProbeContext } from './attribution-ports.js';
import type { AttributionPorts } from '../../attribution/attribute.js';

export interface FollowUp {
  config: Config;
  profile: GuestProfile;
  /** The red run's plan: its image (the red set) and hypervisor. */
  plan: RunPlan;
  /** The red run's package set id. */
  redSet: string | undefined;
  reports: string;
  signal: AbortSignal;
  say(m: string): void;
  /** The ports a probe runs through (tests: a fake); default the real ones. */
  ports?: (c: ProbeContext) => AttributionPorts<unknown, unknown>;
}

async function readResults(dir: string): Promise<{ file: string; result: AllureResult }[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter(isResultFile).sort();
  return Promise.all(names.map(async (f) => ({ file: join(dir, f), result: parseResult(join(dir, f), await readFile(join(dir, f), 'utf8')) })));
}

/** Attribute every DRBD failure of the run; what was found goes into its results. [] when nothing is followed up (said why). */
export async function followUpRedRun(o: FollowUp): Promise<Attribution[]> {
  const resultsDir = join(o.reports, 'allure-results');
  const results = await readResults(resultsDir);
  const failing = failingScenarios(results.map((r) => r.result));
  if (failing.length === 0) return [];
  const { entries } = await readVersionsHistory(join(o.reports, 'history', VERSIONS_HISTORY_FILE));
  // The last green run of this run's line: the same variant (lib/image/variant.ts).
  const base = lastGreenSetFor(entries, { profile: o.plan.profile, ...(o.profile.variant ? { variant: o.profile.variant } : {}) }, o.redSet);
  if ('skip' in base) {
    o.say(`attribution: ${base.skip}`);
    return [];
  }
  const [good, bad] = await Promise.all([readSet(packagesRoot(o.config.paths.cache), base.good), readSet(packagesRoot(o.config.paths.cache), o.redSet!)]);
  if (!good || !bad) {
    o.say(`attribution: the package set ${(!good ? base.good : o.redSet!).slice(0, 12)} is no longer in the package store: nothing to go back to`);
    return [];
  }
  const goodImage = await cachedImageOfSet(o.config.paths.cache, o.plan.profile, good.id);
  const deadline = Date.now() + o.config.attribution.budgetMinutes * 60_000;
  const out: { failing: FailingScenario; attribution: Attribution }[] = [];
  // This run's probes only: an earlier run's are gone.
  await rm(join(o.reports, 'attribution'), { recursive: true, force: true });
  for (const [i, f] of failing.entries()) {
    o.say(`attribution of ${f.name}: last green set ${good.id.slice(0, 12)} → this run's ${bad.id.slice(0, 12)}${goodImage ? '' : ' (the green image is gone: downgrades on this run\'s image)'}`);
    try {
      const ports = (o.ports ?? realPorts)({
        config: o.config,
        profile: o.profile,
        bad: o.plan.image,
        ...(goodImage ? { good: asBaseImage(goodImage, o.plan.image) } : {}),
        accel: o.plan.accel,
        scenario: { files: [f.file], name: f.name },
        workDir: join(o.reports, 'attribution', String(i + 1)),
        signal: o.signal,
        say: o.say,
      });
      const a = await attribute({ scenario: f.name, good, bad, budgetMs: Math.max(0, deadline - Date.now()) }, ports);
      out.push({ failing: f, attribution: a });
      o.say(attributionLine(a));
    } catch (err) {
      if (err instanceof DrbdlabError && err.kind === 'interrupted') throw err;
      if (o.signal.aborted) throw err;
      o.say(`attribution of ${f.name} failed: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  await recordInResults(results, out, o.config.paths.junit);
  return out.map((x) => x.attribution);
}

/** The Attribution step into each attributed result (with its attachments), the property into junit.xml. */
async function recordInResults(results: { file: string; result: AllureResult }[], done: { failing: FailingScenario; attribution: Attribution }[], junit: string): Promise<void> {
  for (const { failing, attribution } of done) {
    const r = results.find((x) => x.result.uuid === failing.result.uuid);
    if (!r) continue;
    const { result, attachments } = withAttributionStep(r.result, attribution, Date.now());
    for (const at of attachments) await writeFile(join(dirname(r.file), at.source), at.text);
    await writeFile(r.file, JSON.stringify(result));
  }
  const xml = await readFile(junit, 'utf8').catch(() => undefined);
  if (xml !== undefined && done.length) await writeFile(junit, junitWithAttribution(xml, done.map((d) => d.attribution)));
}
