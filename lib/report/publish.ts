// One call after a nightly run: the HTML report (with trends from the history files), the
// package-version changes at its top, and reports/summary.md for a glance without a browser.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { substitutionSentence, type ProfileSubstitution } from '../image/substitution.js';
import { generateAllureReport } from './allure-report.js';
import { isGreen } from './package-set-runs.js';
import { CANCELLED_LABEL, cancelledSentence, type AllureResult, type AllureStatus, type Cancellation } from './classify.js';
import type { MergedShards } from './run-info.js';
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
  /** allure-results of this run (reports/allure-results). */
  resultsDir: string;
  /** Report directory (reports/html); replaced. */
  outDir: string;
  /** Where the history files live (reports/history): history.jsonl (Allure), versions.jsonl. */
  historyDir: string;
  /** This run's package versions. */
  versions: Versions;
  /** Where each package came from (`bookworm-security`): a column of the versions table. */
  origins?: Record<string, string>;
  /** The lab profile the run used (versions are compared within a profile). */
  profile: string;
  /** The offline profile ran in place of the walkthrough's: said first in the title and the summary. */
  substituted?: ProfileSubstitution;
  /** This run ran one shard of the scenario files: said in the title, so no one takes it for the whole. */
  shard?: Shard;
  /** This report merges the shards of one run; their disagreements (if any) are said first. */
  merged?: MergedShards;
  /** The run used the cached image without asking its upstreams (--offline): said in the summary and the report. */
  offline?: boolean;
  /** The image the run used. */
  image?: ImageRecord;
  /** The run was interrupted (Ctrl-C, SIGTERM): no verdict; said first, and what it cut short is shown cancelled. */
  cancelled?: Cancellation;
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
  profile: string;
  substituted?: ProfileSubstitution;
  shard?: Shard;
  merged?: MergedShards;
  offline?: boolean;
  image?: ImageRecord;
  cancelled?: Cancellation;
  timestamp: string;
  changes: readonly VersionChange[];
  previous: VersionsEntry | undefined;
  versions: Versions;
  origins?: Record<string, string>;
  results: readonly AllureResult[];
  reportPath: string;
}): string {
  const latest = latestPerTest(o.results);
  const stats = countStatuses(latest);
  const lines: string[] = [`# drbdlab report: ${o.profile}, ${o.timestamp}`, ''];
  if (o.cancelled) lines.push(`**Run ${cancelledSentence(o.cancelled)}. Scenarios it cut short are shown skipped (cancelled) or have no result.**`, '');
  if (o.substituted) lines.push(`**${substitutionSentence(o.substituted, o.profile)}.**`, '');
  if (o.shard) lines.push(`**This report is ${shardSentence(o.shard)}.**`, '');
  if (o.merged?.disagreements.length) {
    lines.push(`**The shards of this run disagree** (nothing was picked; each shard's value is named):`, '', ...o.merged.disagreements.map((d) => `- ${d}`), '');
  }
  if (o.merged) lines.push(`${mergedSentence(o.merged)}.`, '');
  const fresh = freshnessLine(o.offline, o.image);
  if (fresh) lines.push(o.offline ? `**${fresh}**` : fresh, '');
  if (o.changes.length > 0) {
    lines.push(`**Package versions changed** since the ${o.previous!.profile} run of ${o.previous!.timestamp}:`, '');
    for (const c of o.changes) lines.push(`- ${formatChange(c)}`);
  } else {
    lines.push(`Package versions: ${changeHeadline(o.changes, o.previous, o.versions)}.`);
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
  const names = Object.keys(o.versions).sort();
  if (names.length > 0) {
    if (o.origins) {
      lines.push('', '## Versions', '', '| package | version | from |', '| --- | --- | --- |');
      for (const n of names) lines.push(`| ${n} | ${o.versions[n]} | ${o.origins[n] ?? '—'} |`);
    } else {
      lines.push('', '## Versions', '', '| package | version |', '| --- | --- |');
      for (const n of names) lines.push(`| ${n} | ${o.versions[n]} |`);
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
  parts: { shard?: Shard; merged?: MergedShards; cancelled?: Cancellation } = {},
): string {
  let head = substituted ? `drbdlab ${profile} — ${substitutionSentence(substituted, profile)}` : `drbdlab ${profile}`;
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
  const now = o.now ?? new Date();
  const timestamp = now.toISOString();
  const allureHistoryPath = join(o.historyDir, ALLURE_HISTORY_FILE);
  const versionsHistoryPath = join(o.historyDir, VERSIONS_HISTORY_FILE);
  const summaryPath = o.summaryPath ?? join(dirname(o.outDir), 'summary.md');

  const { entries, badLines } = await readVersionsHistory(versionsHistoryPath);
  const { previous, changes } = compareWithHistory(entries, o.profile, o.versions);
  const name = o.name ?? reportTitle(o.profile, changes, o.substituted, { shard: o.shard, merged: o.merged, cancelled: o.cancelled });

  const report = await generateAllureReport({
    resultsDir: o.resultsDir,
    outDir: o.outDir,
    historyPath: allureHistoryPath,
    name,
    variables: {
      ...(o.cancelled ? { CANCELLED: cancelledSentence(o.cancelled) } : {}),
      ...(o.substituted ? { 'NOT RUN': substitutionSentence(o.substituted, o.profile) } : {}),
      ...(o.merged?.disagreements.length ? { 'SHARDS DISAGREE': o.merged.disagreements.join('; ') } : {}),
      ...(o.shard ? { shard: shardSentence(o.shard) } : {}),
      ...(o.merged ? { merged: mergedSentence(o.merged) } : {}),
      ...(o.offline ? { OFFLINE: freshnessLine(true, o.image)! } : {}),
      ...(o.image ? { image: `${o.image.identity.slice(0, 12)}${o.image.builtAt ? ` built ${o.image.builtAt}` : ''}` } : {}),
      ...(o.image?.packageSet ? { 'package set': o.image.packageSet.slice(0, 12) } : {}),
      ...versionVariables(changes, previous, o.versions, o.profile),
    },
    singleFile: o.singleFile,
    appendHistory: o.appendHistory,
    cancelled: o.cancelled,
  });
  if (o.appendHistory ?? true) {
    await appendVersionsEntry(versionsHistoryPath, {
      timestamp,
      profile: o.profile,
      versions: o.versions,
      ...(o.offline ? { offline: true } : {}),
      ...(o.image ? { image: o.image.identity } : {}),
      ...(o.image?.packageSet ? { packageSet: o.image.packageSet } : {}),
      ...(isGreen(countStatuses(report.results), o.cancelled) ? { green: true } : {}),
    });
  }

  await mkdir(dirname(summaryPath), { recursive: true });
  const reportPath = relative(dirname(summaryPath), report.indexHtml) || report.indexHtml;
  await writeFile(
    summaryPath,
    summaryMarkdown({
      profile: o.profile,
      substituted: o.substituted,
      shard: o.shard,
      merged: o.merged,
      offline: o.offline,
      image: o.image,
      cancelled: o.cancelled,
      timestamp,
      changes,
      previous,
      versions: o.versions,
      ...(o.origins ? { origins: o.origins } : {}),
      results: report.results,
      reportPath,
    }),
  );
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
