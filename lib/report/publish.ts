// One call after a nightly run: the HTML report (with trends from the history files), the
// package-version changes at its top, and reports/summary.md for a glance without a browser.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { substitutionSentence, type ProfileSubstitution } from '../image/substitution.js';
import { lineName } from '../image/variant.js';
import { generateAllureReport } from './allure-report.js';
import { costSection } from './cost.js';
import { isGreen } from './package-set-runs.js';
import { attributionSummary, attributionTitle, historyAttribution } from './attribution-report.js';
import { verdictSentence } from '../attribution/words.js';
import { CANCELLED_LABEL, cancelledSentence, type AllureResult, type AllureStatus, type Cancellation } from './classify.js';
import { writeRunInfo, type MergedShards, type RunInfo } from './run-info.js';
import { formatShard, type Shard } from './shard.js';
import {
  appendVersionsEntry,
  changeHeadline,
  compareWithHistory,
  formatChange,
  readVersionsHistory,
  versionVariables,
  type ImageRecord,
  type VersionChange,
  type Versions,
  type VersionsEntry,
} from './versions.js';

export interface PublishOptions {
  /** The run record: profile, versions, substitution, shard, merge, offline, image, interruption. */
  run: RunInfo;
  /** allure-results of this run (reports/allure-results). */
  resultsDir: string;
  /** Report directory (reports/html); replaced. */
  outDir: string;
  /** Where the history files live (reports/history): history.jsonl (Allure), versions.jsonl. */
  historyDir: string;
  /** Default: summary.md beside outDir (reports/summary.md). */
  summaryPath?: string;
  /** Report title; default `drbdlab <profile>`, with the version change appended. */
  name?: string;
  singleFile?: boolean;
  /** Record this run in both history files (default true; false to re-render without a new run). */
  appendHistory?: boolean;
  /** The run's time (default now). */
  now?: Date;
}

export interface PublishResult {
  reportDir: string;
  indexHtml: string;
  summaryPath: string;
  allureHistoryPath: string;
  versionsHistoryPath: string;
  changes: VersionChange[];
  previous: VersionsEntry | undefined;
  /** Unparsable lines in versions.jsonl (skipped). */
  badHistoryLines: number[];
  stats: Partial<Record<AllureStatus, number>> & { total: number };
}

const ALLURE_HISTORY_FILE = 'history.jsonl';
export const VERSIONS_HISTORY_FILE = 'versions.jsonl';

/** Allure shows the newest result of a test (same historyId) and the others as retries. */
export function latestPerTest(results: readonly AllureResult[]): AllureResult[] {
  const byId = new Map<string, AllureResult>();
  for (const r of results) {
    const id = r.historyId ?? r.fullName ?? r.uuid;
    const seen = byId.get(id);
    if (!seen || (r.stop ?? r.start ?? 0) >= (seen.stop ?? seen.start ?? 0)) byId.set(id, r);
  }
  return [...byId.values()];
}

function countStatuses(results: readonly AllureResult[]): PublishResult['stats'] {
  const stats: PublishResult['stats'] = { total: results.length };
  for (const r of results) {
    const s = r.status ?? 'unknown';
    stats[s] = (stats[s] ?? 0) + 1;
  }
  return stats;
}

const STATUS_MEANING: Record<string, string> = {
  failed: 'failed (DRBD behaved unlike the walkthrough)',
  broken: 'broken (infrastructure or harness)',
};

/**
 * reports/summary.md: a substitution of profiles first (a green run of the substitute is no
 * passing walkthrough), then the version changes, the counts, what did not pass.
 */
/** The run's freshness in one line: offline (upstreams not asked), or the upstream state its image was built from. */
function freshnessLine(offline: boolean | undefined, image: ImageRecord | undefined): string | undefined {
  const id = image ? `image ${image.identity.slice(0, 12)}${image.builtAt ? ` (built ${image.builtAt})` : ''}` : 'the cached image';
  if (offline) return `Offline run: upstreams not asked; ${id} used as cached.`;
  if (!image) return undefined;
  const ups = (image.upstreams ?? []).map((u) => `${u.name} ${u.sha256.slice(0, 12)}`).join('; ');
  return `Upstreams checked: ${id}${ups ? `, built from ${ups}` : ''}.`;
}

export function summaryMarkdown(o: {
  run: RunInfo;
  timestamp: string;
  changes: readonly VersionChange[];
  previous: VersionsEntry | undefined;
  results: readonly AllureResult[];
  reportPath: string;
}): string {
  const run = o.run;
  const latest = latestPerTest(o.results);
  const stats = countStatuses(latest);
  const lines: string[] = [`# drbdlab report: ${lineName(run)}, ${o.timestamp}`, ''];
  // Which update turned a scenario red comes before anything else the run says.
  if (run.attributions?.length) lines.push(...attributionSummary(run.attributions));
  if (run.cancelled) lines.push(`**Run ${cancelledSentence(run.cancelled)}. Scenarios it cut short are shown skipped (cancelled) or have no result.**`, '');
  if (run.substituted) lines.push(`**${substitutionSentence(run.substituted, run.profile)}.**`, '');
  if (run.shard) lines.push(`**This report is ${shardSentence(run.shard)}.**`, '');
  if (run.merged?.disagreements.length) {
    lines.push(`**The shards of this run disagree** (nothing was picked; each shard's value is named):`, '', ...run.merged.disagreements.map((d) => `- ${d}`), '');
  }
  if (run.merged) lines.push(`${mergedSentence(run.merged)}.`, '');
  const fresh = freshnessLine(run.offline, run.image);
  if (fresh) lines.push(run.offline ? `**${fresh}**` : fresh, '');
  if (o.changes.length > 0) {
    lines.push(`**Package versions changed** since the ${lineName(o.previous!)} run of ${o.previous!.timestamp}:`, '');
    for (const c of o.changes) lines.push(`- ${formatChange(c)}`);
  } else {
    lines.push(`Package versions: ${changeHeadline(o.changes, o.previous, run.versions)}.`);
  }
  const order: AllureStatus[] = ['passed', 'failed', 'broken', 'skipped', 'unknown'];
  const cancelledCount = latest.filter((r) => r.labels?.some((l) => l.name === CANCELLED_LABEL)).length;
  const counts = order.filter((s) => stats[s]).map((s) => `${stats[s]} ${STATUS_MEANING[s] ?? s}${s === 'skipped' && cancelledCount ? ` (${cancelledCount} cancelled)` : ''}`);
  lines.push('', `Results: ${stats.total} tests${counts.length ? `: ${counts.join(', ')}` : ''}.`, `Report: ${o.reportPath}`);
  const bad = latest.filter((r) => r.status === 'failed' || r.status === 'broken').sort((a, b) => a.name.localeCompare(b.name));
  if (bad.length > 0) {
    lines.push('', '## Not passed', '');
    for (const r of bad) {
      const msg = (r.statusDetails?.message ?? '').split('\n')[0]!.slice(0, 300);
      lines.push(`- **${r.status}** ${r.name}${msg ? `: ${msg}` : ''}`);
    }
  }
  const cost = costSection(latest, run.hostCores);
  if (cost.length > 0) lines.push('', ...cost);
  const names = Object.keys(run.versions).sort();
  if (names.length > 0) {
    if (run.origins) {
      lines.push('', '## Versions', '', '| package | version | from |', '| --- | --- | --- |');
      for (const n of names) lines.push(`| ${n} | ${run.versions[n]} | ${run.origins[n] ?? '—'} |`);
    } else {
      lines.push('', '## Versions', '', '| package | version |', '| --- | --- |');
      for (const n of names) lines.push(`| ${n} | ${run.versions[n]} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** `shard 1/2 of the scenario files only (the merged report has them all)` */
const shardSentence = (s: Shard) => `shard ${formatShard(s)} of the scenario files only (the merged report has them all)`;

/** `Merged from shards 1/2, 2/2` */
const mergedSentence = (m: MergedShards) => `Merged from shards ${m.shards.map(formatShard).join(', ')}`;

/**
 * The report's title: the first thing on its first page, so it carries a substitution of
 * profiles, a shard (not the whole run), shards that disagree, and the version change.
 */
export function reportTitle(
  profile: string,
  changes: readonly VersionChange[],
  substituted?: ProfileSubstitution,
  parts: { shard?: Shard; merged?: MergedShards; cancelled?: Cancellation; attributions?: RunInfo['attributions'] } = {},
): string {
  let head = substituted ? `drbdlab ${profile} — ${substitutionSentence(substituted, profile)}` : `drbdlab ${profile}`;
  const attributed = attributionTitle(parts.attributions ?? []);
  if (attributed) head += ` — ${attributed}`;
  if (parts.cancelled) head += ` — ${cancelledSentence(parts.cancelled)}`;
  if (parts.shard) head += ` — ${shardSentence(parts.shard)}`;
  if (parts.merged?.disagreements.length) head += ` — shards disagree: ${parts.merged.disagreements.join('; ')}`;
  if (changes.length === 0) return head;
  const shown = changes.slice(0, 3).map(formatChange).join('; ');
  const more = changes.length > 3 ? `; and ${changes.length - 3} more (see Variables)` : '';
  return `${head} — package versions changed: ${shown}${more}`;
}

/** Generate the report with history and version changes; append this run to the history files. */
export async function publishReport(o: PublishOptions): Promise<PublishResult> {
  const run = o.run;
  const now = o.now ?? new Date();
  const timestamp = now.toISOString();
  const allureHistoryPath = join(o.historyDir, ALLURE_HISTORY_FILE);
  const versionsHistoryPath = join(o.historyDir, VERSIONS_HISTORY_FILE);
  const summaryPath = o.summaryPath ?? join(dirname(o.outDir), 'summary.md');

  const { entries, badLines } = await readVersionsHistory(versionsHistoryPath);
  // A variant's run is compared with its own line's runs only (lib/image/variant.ts).
  const { previous, changes } = compareWithHistory(entries, run, run.versions);
  const name = o.name ?? reportTitle(lineName(run), changes, run.substituted, { shard: run.shard, merged: run.merged, cancelled: run.cancelled, attributions: run.attributions });

  const report = await generateAllureReport({
    resultsDir: o.resultsDir,
    outDir: o.outDir,
    historyPath: allureHistoryPath,
    name,
    variables: {
      ...Object.fromEntries((run.attributions ?? []).map((a) => [`ATTRIBUTION ${a.scenario}`, verdictSentence(a.verdict)])),
      ...(run.cancelled ? { CANCELLED: cancelledSentence(run.cancelled) } : {}),
      ...(run.substituted ? { 'NOT RUN': substitutionSentence(run.substituted, run.profile) } : {}),
      ...(run.merged?.disagreements.length ? { 'SHARDS DISAGREE': run.merged.disagreements.join('; ') } : {}),
      ...(run.shard ? { shard: shardSentence(run.shard) } : {}),
      ...(run.merged ? { merged: mergedSentence(run.merged) } : {}),
      ...(run.offline ? { OFFLINE: freshnessLine(true, run.image)! } : {}),
      ...(run.image ? { image: `${run.image.identity.slice(0, 12)}${run.image.builtAt ? ` built ${run.image.builtAt}` : ''}` } : {}),
      ...(run.image?.packageSet ? { 'package set': run.image.packageSet.slice(0, 12) } : {}),
      ...(run.variant ? { variant: `${run.variant} (suites added to ${run.profile}'s)` } : {}),
      ...versionVariables(changes, previous, run.versions, run.profile),
    },
    singleFile: o.singleFile,
    appendHistory: o.appendHistory,
    cancelled: run.cancelled,
  });
  if (o.appendHistory ?? true) {
    await appendVersionsEntry(versionsHistoryPath, {
      timestamp,
      profile: run.profile,
      ...(run.variant ? { variant: run.variant } : {}),
      versions: run.versions,
      ...(run.offline ? { offline: true } : {}),
      ...(run.image ? { image: run.image.identity } : {}),
      ...(run.image?.packageSet ? { packageSet: run.image.packageSet } : {}),
      ...(isGreen(countStatuses(report.results), run.cancelled) ? { green: true } : {}),
      ...(run.attributions?.length ? { attribution: historyAttribution(run.attributions) } : {}),
    });
  }

  await mkdir(dirname(summaryPath), { recursive: true });
  const reportPath = relative(dirname(summaryPath), report.indexHtml) || report.indexHtml;
  await writeFile(summaryPath, summaryMarkdown({ run, timestamp, changes, previous, results: report.results, reportPath }));
  return {
    reportDir: report.outDir,
    indexHtml: report.indexHtml,
    summaryPath,
    allureHistoryPath,
    versionsHistoryPath,
    changes,
    previous,
    badHistoryLines: badLines,
    stats: countStatuses(latestPerTest(report.results)),
  };
}

/**
 * The nightly's hand-off, in its own process: the run record to `<reports>/versions.json` (for a
 * later `npm run report` or a merge of shards) and the report from the same record. False, said
 * through `log`, when the report could not be made: no green run then.
 */
export async function publishRun(
  reports: string,
  run: RunInfo,
  log: (m: string) => void,
  // The run is recorded: the package store may let go of sets no recorded run needs (prunePackages, with the run's bound).
  prune: (versionsHistory: string, log: (m: string) => void) => Promise<void>,
): Promise<boolean> {
  try {
    await writeRunInfo(join(reports, 'versions.json'), run);
    const r = await publishReport({
      run,
      resultsDir: join(reports, 'allure-results'),
      outDir: join(reports, 'html'),
      historyDir: join(reports, 'history'),
      summaryPath: join(reports, 'summary.md'),
    });
    if (r.badHistoryLines.length) log(`${r.versionsHistoryPath}: skipped unreadable lines ${r.badHistoryLines.join(', ')}`);
    log(changeHeadline(r.changes, r.previous, run.versions));
    log(`report: ${r.indexHtml}`);
    await prune(r.versionsHistoryPath, log);
    return true;
  } catch (err) {
    log(`report generation failed: ${err instanceof Error ? err.message.split('\n').slice(0, 3).join(' | ') : String(err)}`);
    return false;
  }
}
