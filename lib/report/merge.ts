// npm run report -- --merge <dir>...: the report folders of one run's shards (each runner's
// reports/) as one report folder, as if one runner had run every scenario file: the union of
// results, attachments, recordings, transcripts and consoles, one JUnit file, one versions.json,
// and the HTML generated exactly as for a single run, with one history entry for the whole run.

import { cp, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { mergeJunitFiles } from './merge-junit.js';
import { mergeRunInfos } from './merge-run-info.js';
import { publishReport, type PublishResult } from './publish.js';
import { replaceEntries } from './replace-entries.js';
import { writeRunInfo, type RunInfo } from './run-info.js';
import { readShardFolders } from './shard-folders.js';
import { unionApart, unionFolders } from './union-folders.js';

/** What one run leaves in its reports folder; a merge replaces these and nothing else. */
const RUN_ENTRIES = ['allure-results', 'recordings', 'runs', 'console', 'junit.xml', 'versions.json', 'html', 'summary.md', 'history'] as const;

export interface MergeOptions {
  /** The shards' report folders. */
  sources: readonly string[];
  /** The merged report folder (reports/): its run entries are replaced, its history/ carried on. */
  into: string;
  singleFile?: boolean;
  now?: Date;
}

export interface MergeResult {
  run: RunInfo;
  published: PublishResult;
  /** Files copied per kind. */
  copied: Record<'allure-results' | 'recordings' | 'runs' | 'console', number>;
}

export async function mergeReports(o: MergeOptions): Promise<MergeResult> {
  const into = resolve(o.into);
  const shards = await readShardFolders(o.sources, into);
  const run = mergeRunInfos(shards);

  // Staged beside the output (same file system: renamed into place at the end); a failure
  // anywhere leaves the output as it was.
  await mkdir(dirname(into), { recursive: true });
  const stage = await mkdtemp(join(dirname(into), `.${basename(into)}.merging-`));
  try {
    const copied = {
      'allure-results': await unionFolders(shards, 'allure-results', join(stage, 'allure-results')),
      recordings: await unionFolders(shards, 'recordings', join(stage, 'recordings')),
      runs: await unionFolders(shards, 'runs', join(stage, 'runs')),
      console: await unionApart(shards, 'console', join(stage, 'console')),
    };
    await mkdir(join(stage, 'allure-results'), { recursive: true });
    await mergeJunitFiles(shards.map((s) => join(s.dir, 'junit.xml')), join(stage, 'junit.xml'));
    await writeRunInfo(join(stage, 'versions.json'), run);
    // The history of earlier merged runs goes on; the shards' own (a first run each) does not.
    const history = join(into, 'history');
    if (await stat(history).then(() => true, () => false)) await cp(history, join(stage, 'history'), { recursive: true });

    const published = await publishReport({
      resultsDir: join(stage, 'allure-results'),
      outDir: join(stage, 'html'),
      historyDir: join(stage, 'history'),
      summaryPath: join(stage, 'summary.md'),
      run,
      singleFile: o.singleFile,
      now: o.now,
    });
    await replaceEntries(into, stage, RUN_ENTRIES);
    const moved = (p: string) => join(into, p.slice(stage.length + 1));
    return {
      run,
      copied,
      published: {
        ...published,
        reportDir: moved(published.reportDir),
        indexHtml: moved(published.indexHtml),
        summaryPath: moved(published.summaryPath),
        allureHistoryPath: moved(published.allureHistoryPath),
        versionsHistoryPath: moved(published.versionsHistoryPath),
      },
    };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}
