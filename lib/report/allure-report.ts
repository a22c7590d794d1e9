// The HTML report: Allure 3 (the `allure` npm package, no Java) over a staged copy of the
// allure-results, with the statuses reclassified (lib/report/classify.ts), drbdlab's
// categories, the run's variables (package versions) and a history file for trends.

import { appendFile, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { run } from '../exec/run.js';
import { historyHiddenFromFlakyGuess, historyWithout } from './attribution-report.js';
import { cancelResult, DRBDLAB_CATEGORIES, reclassify, type AllureResult, type Cancellation } from './classify.js';
import { isResultFile, parseResult } from './results.js';

export interface AllureReportOptions {
  /** allure-results directory (left untouched: the report is made from a copy). */
  resultsDir: string;
  /** Report directory; replaced as a whole (Allure 3 nests its output if anything else is there). */
  outDir: string;
  /** Allure 3 `historyPath` (JSON lines, one report per line): trends across runs. */
  historyPath: string;
  /** Report title. */
  name: string;
  /** Shown under "Variables" on the report's first page. */
  variables?: Record<string, string>;
  /** One standalone index.html (opens from file://) instead of index.html + data files. */
  singleFile?: boolean;
  /** Add this report to the history file (default true; false to re-render a run). */
  appendHistory?: boolean;
  /** The run was interrupted: what did not pass after the signal is shown cancelled. */
  cancelled?: Cancellation;
}

export interface AllureReportResult {
  outDir: string;
  indexHtml: string;
  historyPath: string;
  /** The results as the report saw them (after reclassification). */
  results: AllureResult[];
  /** How many results reclassify() moved between failed and broken. */
  reclassified: number;
}

/** The Allure 3 config (allurerc), JSON-safe: category patterns are strings. */
function allureConfig(o: Pick<AllureReportOptions, 'name' | 'outDir' | 'historyPath' | 'variables' | 'singleFile' | 'appendHistory'>) {
  return {
    name: o.name,
    output: resolve(o.outDir),
    historyPath: resolve(o.historyPath),
    appendHistory: o.appendHistory ?? true,
    variables: o.variables ?? {},
    categories: { rules: DRBDLAB_CATEGORIES },
    plugins: {
      awesome: { options: { reportName: o.name, singleFile: o.singleFile ?? false, reportLanguage: 'en', groupBy: ['feature'] } },
    },
  };
}

/**
 * The Awesome report loads Google Analytics (gtag) unconditionally; a lab report has no
 * business phoning out. Removes the two script tags; anything else is left as it is.
 */
export function stripAnalytics(html: string): string {
  return html
    .replace(/[ \t]*<script async src="https:\/\/www\.googletagmanager\.com\/gtag\/js[^"]*"><\/script>\n?/g, '')
    .replace(/[ \t]*<script>\s*window\.dataLayer = window\.dataLayer \|\| \[\];[\s\S]*?<\/script>\n?/g, '');
}

/**
 * Copy the results, reclassifying every `*-result.json` (and, for an interrupted run, cancelling
 * what the signal cut short). A result file that does not read fails the report, naming it in
 * `from`: skipped, its scenario would vanish from the report.
 */
export async function stageResults(from: string, to: string, cancelled?: Cancellation): Promise<{ results: AllureResult[]; reclassified: number }> {
  await cp(from, to, { recursive: true });
  const results: AllureResult[] = [];
  let reclassified = 0;
  for (const f of (await readdir(to)).filter(isResultFile).sort()) {
    const file = join(to, f);
    const parsed = parseResult(join(from, f), await readFile(file, 'utf8'));
    const classified = reclassify(parsed);
    const { result, changed } = cancelled ? cancelResult(classified.result, cancelled) : { result: classified.result, changed: false };
    if (classified.changed) reclassified++;
    if (classified.changed || changed) await writeFile(file, JSON.stringify(result));
    results.push(result);
  }
  return { results, reclassified };
}

/** The report directory is replaced; refuse to delete something that is not a report. */
async function clearOutDir(outDir: string): Promise<void> {
  const entries = await readdir(outDir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (entries === null || entries.length === 0) return;
  if (!entries.includes('index.html') && !entries.includes('summary.json')) {
    throw new UsageError(`${outDir} is not empty and holds no report (no index.html): not replacing it; choose another output directory`);
  }
  await rm(outDir, { recursive: true, force: true });
}

const allureCli = () => join(dirname(createRequire(import.meta.url).resolve('allure')), '..', 'cli.js');

/** Generate the Awesome report from `resultsDir` into `outDir` with `allure generate`. */
export async function generateAllureReport(o: AllureReportOptions): Promise<AllureReportResult> {
  if (!(await stat(o.resultsDir).catch(() => null))?.isDirectory()) {
    throw new UsageError(`${o.resultsDir}: no allure-results directory (run the scenarios first)`);
  }
  const work = await mkdtemp(join(tmpdir(), 'drbdlab-report-'));
  try {
    const staged = join(work, 'allure-results');
    const { results, reclassified } = await stageResults(o.resultsDir, staged, o.cancelled);
    const configFile = join(work, 'allurerc.json');
    await mkdir(dirname(resolve(o.historyPath)), { recursive: true });
    // Allure guesses "flaky" from history alone (a failure before a pass, failed now); a failing
    // test's history older than its last pass is kept from that guess (a copy without it goes to
    // Allure, and the line Allure adds goes on to the real file).
    const hidden = historyHiddenFromFlakyGuess(results);
    const historyCopy = hidden.size ? join(work, 'history.jsonl') : undefined;
    if (historyCopy) {
      const text = await readFile(o.historyPath, 'utf8').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return '';
        throw err;
      });
      await writeFile(historyCopy, historyWithout(text, hidden));
    }
    await writeFile(configFile, JSON.stringify(allureConfig({ ...o, historyPath: historyCopy ?? o.historyPath }), null, 1));
    await clearOutDir(o.outDir);
    await run(process.execPath, [allureCli(), 'generate', '--config', configFile, '--cwd', work, staged], {
      cwd: work,
      timeoutMs: 10 * 60_000,
      env: { NO_COLOR: '1', FORCE_COLOR: '0' },
      hint: 'the report generator (`allure` npm package) failed; `npm install` restores it',
    });
    if (historyCopy && (o.appendHistory ?? true)) {
      const added = (await readFile(historyCopy, 'utf8')).trim().split('\n').pop();
      if (added) await appendFile(o.historyPath, `${added}\n`);
    }
    const indexHtml = join(o.outDir, 'index.html');
    const html = await readFile(indexHtml, 'utf8');
    const clean = stripAnalytics(html);
    if (clean !== html) await writeFile(indexHtml, clean);
    return { outDir: o.outDir, indexHtml, historyPath: o.historyPath, results, reclassified };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
