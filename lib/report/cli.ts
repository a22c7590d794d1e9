// npm run report [-- --versions reports/versions.json] [--profile name] …
// Re-renders the HTML report of the last run (reports/html), its history and reports/summary.md
// from the files on disk; the nightly publishes in-process (lib/report/publish.ts).
// With --merge <dir>...: the shards' report folders of one run as that report (lib/report/merge.ts).

import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { EXIT } from '../exit-codes.js';
import { DrbdlabError, UsageError } from '../errors.js';
import { resolveLabless } from '../config/config.js';
import { mergeReports } from './merge.js';
import { formatShard } from './shard.js';
import { readRunInfo, type RunInfo } from './run-info.js';
import { publishReport, type PublishResult } from './publish.js';
import { changeHeadline, versionsFromNewestRecording, type Versions } from './versions.js';
import { prunePackages } from './package-set-runs.js';
import { packagesRoot } from '../image/package-store.js';

async function main(argv: string[]): Promise<void> {
  // This edge reads no lab.yaml: its folders (DRBDLAB_REPORTS, DRBDLAB_CACHE), offline and the
  // package store's bound by the configuration's rules, once, here.
  const config = resolveLabless();
  const REPORTS = config.paths.reports;
  const STORE = packagesRoot(config.paths.cache);
  const storeBytes = config.packageCacheGiB * 1024 ** 3;
  const cmd = new Command('report')
    .description('generate the Allure report of the last run, with history and package-version changes')
    .option('--results <dir>', 'allure-results', join(REPORTS, 'allure-results'))
    .option('--out <dir>', 'report directory (replaced)', join(REPORTS, 'html'))
    .option('--history <dir>', 'history files (history.jsonl, versions.jsonl)', join(REPORTS, 'history'))
    .option('--summary <file>', 'markdown summary', join(REPORTS, 'summary.md'))
    .option('--versions <file>', 'the run record as the nightly writes it (default: versions.json beside --results, else the versions of the newest recording)')
    .option('--recordings <dir>', 'where the newest recording is looked for', join(REPORTS, 'recordings'))
    .option('--profile <name>', 'lab profile (default: from the recording or the versions file)')
    .option('--single-file', 'one standalone index.html')
    .option('--no-append-history', 're-render without recording a new run in the history files')
    .addOption(
      new Option('--merge <dirs...>', 'merge the report folders of one run\'s shards (npm run lab -- --shard i/n) into one report')
        // A merge reads each folder's own results, recordings and versions.json.
        .conflicts(['results', 'out', 'history', 'summary', 'versions', 'recordings', 'profile', 'appendHistory']),
    )
    .option('--into <dir>', 'with --merge: the merged report folder (its run is replaced, its history/ carried on)', REPORTS)
    .showHelpAfterError('(npm run report -- --help lists the options)')
    .exitOverride()
    .parse(argv);
  const o = cmd.opts<{
    results: string;
    out: string;
    history: string;
    summary: string;
    versions?: string;
    recordings: string;
    profile?: string;
    singleFile?: boolean;
    appendHistory: boolean;
    merge?: string[];
    into: string;
  }>();

  if (!o.merge && cmd.getOptionValueSource('into') === 'cli') throw new UsageError('--into goes with --merge <dir>...: without it the report is made in place (--out)');
  if (o.merge) {
    const m = await mergeReports({ sources: o.merge, into: o.into, singleFile: o.singleFile });
    const c = m.copied;
    console.log(`merged ${m.run.merged!.shards.map(formatShard).join(', ')}: ${c['allure-results']} result and attachment files, ${c.recordings} recordings, ${c.runs} transcript files, ${c.console} console logs`);
    for (const d of m.run.merged!.disagreements) console.log(`SHARDS DISAGREE: ${d}`);
    printPublished(m.published, m.run.offline ?? false, m.run.versions);
    await prunePackages(m.published.versionsHistoryPath, storeBytes, STORE, console.log);
    return;
  }

  // The run record: --versions, else the versions.json beside the results (both validated), else
  // what the newest recording says.
  const beside = join(dirname(resolve(o.results)), 'versions.json');
  const recordFile = o.versions ?? ((await stat(beside).then(() => true, () => false)) ? beside : undefined);
  let run: RunInfo;
  if (recordFile) {
    run = await readRunInfo(recordFile);
    console.log(`run record from ${recordFile}`);
  } else {
    const rec = await versionsFromNewestRecording(o.recordings);
    if (rec) console.log(`versions from ${rec.file}`);
    else console.log(`no recording in ${o.recordings}: the report has no package versions`);
    // A test run under DRBDLAB_OFFLINE=1 has no versions file: its environment says it.
    run = { profile: rec?.profile ?? 'unknown', versions: rec?.versions ?? {}, ...(config.offline ? { offline: true } : {}) };
  }
  if (o.profile) run = { ...run, profile: o.profile };
  const r = await publishReport({
    run,
    resultsDir: resolve(o.results),
    outDir: resolve(o.out),
    historyDir: resolve(o.history),
    summaryPath: resolve(o.summary),
    singleFile: o.singleFile,
    appendHistory: o.appendHistory,
  });
  printPublished(r, run.offline ?? false, run.versions);
  if (o.appendHistory) await prunePackages(r.versionsHistoryPath, storeBytes, STORE, console.log);
}

function printPublished(r: PublishResult, offline: boolean, versions: Versions): void {
  if (r.badHistoryLines.length) console.warn(`${r.versionsHistoryPath}: skipped unreadable lines ${r.badHistoryLines.join(', ')}`);
  if (offline) console.log('offline run: upstreams not asked; the cached image was used as it is');
  console.log(changeHeadline(r.changes, r.previous, versions));
  console.log(`report:  ${r.indexHtml}`);
  console.log(`summary: ${r.summaryPath}`);
}

main(process.argv).catch((err: unknown) => {
  // commander has printed its own message (unknown option, missing argument): a usage error.
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : EXIT.usage;
    return;
  }
  console.error(err instanceof DrbdlabError ? err.message : err);
  process.exitCode = err instanceof UsageError ? EXIT.usage : EXIT.broken;
});
