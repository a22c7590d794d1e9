// npx tsx lib/report/cli.ts [--versions file.json] [--profile name] …
// The HTML report of the last run (reports/html), its history and reports/summary.md.

import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { EXIT } from '../cli/exit-codes.js';
import { DrbdlabError, UsageError } from '../errors.js';
import { reportsRoot } from '../image/cache.js';
import type { ProfileSubstitution } from '../image/substitution.js';
import { publishReport } from './publish.js';
import { changeHeadline, readVersionsFile, versionsFromNewestRecording, type Versions } from './versions.js';

const REPORTS = reportsRoot();

async function main(argv: string[]): Promise<void> {
  const o = new Command('report')
    .description('generate the Allure report of the last run, with history and package-version changes')
    .option('--results <dir>', 'allure-results', join(REPORTS, 'allure-results'))
    .option('--out <dir>', 'report directory (replaced)', join(REPORTS, 'html'))
    .option('--history <dir>', 'history files (history.jsonl, versions.jsonl)', join(REPORTS, 'history'))
    .option('--summary <file>', 'markdown summary', join(REPORTS, 'summary.md'))
    .option('--versions <file>', 'this run\'s versions as JSON (default: labels of the newest recording)')
    .option('--recordings <dir>', 'where the newest recording is looked for', join(REPORTS, 'recordings'))
    .option('--profile <name>', 'lab profile (default: from the recording or the versions file)')
    .option('--single-file', 'one standalone index.html')
    .option('--no-append-history', 're-render without recording a new run in the history files')
    .showHelpAfterError()
    .parse(argv)
    .opts<{
      results: string;
      out: string;
      history: string;
      summary: string;
      versions?: string;
      recordings: string;
      profile?: string;
      singleFile?: boolean;
      appendHistory: boolean;
    }>();

  let versions: Versions = {};
  let profile = o.profile;
  let substituted: ProfileSubstitution | undefined;
  if (o.versions) {
    const f = await readVersionsFile(o.versions);
    versions = f.versions;
    profile ??= f.profile;
    substituted = f.substituted;
  } else {
    const rec = await versionsFromNewestRecording(o.recordings);
    if (rec) {
      versions = rec.versions;
      profile ??= rec.profile;
      console.log(`versions from ${rec.file}`);
    } else {
      console.log(`no recording in ${o.recordings}: the report has no package versions`);
    }
  }
  const r = await publishReport({
    resultsDir: resolve(o.results),
    outDir: resolve(o.out),
    historyDir: resolve(o.history),
    summaryPath: resolve(o.summary),
    versions,
    profile: profile ?? 'unknown',
    substituted,
    singleFile: o.singleFile,
    appendHistory: o.appendHistory,
  });
  if (r.badHistoryLines.length) console.warn(`${r.versionsHistoryPath}: skipped unreadable lines ${r.badHistoryLines.join(', ')}`);
  console.log(changeHeadline(r.changes, r.previous));
  console.log(`report:  ${r.indexHtml}`);
  console.log(`summary: ${r.summaryPath}`);
}

main(process.argv).catch((err: unknown) => {
  console.error(err instanceof DrbdlabError ? err.message : err);
  process.exitCode = err instanceof UsageError ? EXIT.usage : EXIT.broken;
});
