// Reading StrykerJS's JSON report (the mutation-testing-report-schema that its json reporter and
// its incremental file both write): the score per verdict module, and which surviving mutants
// are listed, with a reason, in mutation/survivors.json. Pure: the callers read the files.

/** The part of a mutation-testing-report-schema report this module reads. */
export interface MutationReport {
  files: Record<string, { source: string; mutants: MutantResult[] }>;
}

export interface MutantResult {
  id: string;
  mutatorName: string;
  replacement?: string;
  status: MutantStatus;
  location: { start: Position; end: Position };
}

/** Lines and columns 1-based, as the schema has them. */
export interface Position {
  line: number;
  column: number;
}

export type MutantStatus = 'Killed' | 'Survived' | 'NoCoverage' | 'Timeout' | 'CompileError' | 'RuntimeError' | 'Ignored' | 'Pending';

/** The modules whose mutants count (stryker.config.mjs mutates these). */
const VERDICT_MODULES = ['scenarios/steps', 'lib/drbd', 'lib/scenario', 'lib/wait', 'lib/report/classify.ts'] as const;

export interface ModuleScore {
  /** Killed and timed out over all that ran (Stryker's mutation score), percent, 2 decimals; null with none. */
  score: number | null;
  killed: number;
  timeout: number;
  survived: number;
  noCoverage: number;
  /** Compile/runtime errors and ignored mutants: left out of the score, as Stryker does. */
  other: number;
  /** Files of the module the report has results for. */
  files: number;
}

/** Which module a report file belongs to (report paths are relative, `/`-separated); null for none. */
export function moduleOf(file: string): string | null {
  const f = file.replace(/\\/g, '/').replace(/^\.\//, '');
  return VERDICT_MODULES.find((m) => f === m || f.startsWith(`${m}/`)) ?? null;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Score and counts per verdict module, only modules with results. */
export function scoresByModule(report: MutationReport): Record<string, ModuleScore> {
  const out: Record<string, ModuleScore> = {};
  for (const [file, { mutants }] of Object.entries(report.files)) {
    const m = moduleOf(file);
    if (m === null) continue;
    const s = (out[m] ??= { score: null, killed: 0, timeout: 0, survived: 0, noCoverage: 0, other: 0, files: 0 });
    s.files++;
    for (const mutant of mutants) {
      if (mutant.status === 'Killed') s.killed++;
      else if (mutant.status === 'Timeout') s.timeout++;
      else if (mutant.status === 'Survived') s.survived++;
      else if (mutant.status === 'NoCoverage') s.noCoverage++;
      else s.other++;
    }
  }
  for (const s of Object.values(out)) {
    const valid = s.killed + s.timeout + s.survived + s.noCoverage;
    s.score = valid === 0 ? null : round2(((s.killed + s.timeout) / valid) * 100);
  }
  return out;
}

/** A surviving mutant as listed in mutation/survivors.json. */
export interface ListedSurvivor {
  file: string;
  /** Where it was when listed; only to tell identical mutants apart (code above may move it). */
  line: number;
  mutator: string;
  /** The source text the mutant replaces. */
  original: string;
  replacement: string;
  /** Why no test kills it. */
  reason: string;
}

/** A survivor (Survived or NoCoverage) as the report has it, in the listing's terms. */
export interface Survivor {
  file: string;
  line: number;
  mutator: string;
  original: string;
  replacement: string;
  status: 'Survived' | 'NoCoverage';
}

/** The source text between two 1-based positions. */
export function textAt(source: string, start: Position, end: Position): string {
  const lineStarts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === '\n') lineStarts.push(i + 1);
  const offset = (p: Position) => (lineStarts[p.line - 1] ?? source.length) + p.column - 1;
  return source.slice(offset(start), offset(end));
}

export function survivorsOf(report: MutationReport): Survivor[] {
  const out: Survivor[] = [];
  for (const [file, { source, mutants }] of Object.entries(report.files)) {
    for (const m of mutants) {
      if (m.status !== 'Survived' && m.status !== 'NoCoverage') continue;
      out.push({
        file,
        line: m.location.start.line,
        mutator: m.mutatorName,
        original: textAt(source, m.location.start, m.location.end),
        replacement: m.replacement ?? m.mutatorName,
        status: m.status,
      });
    }
  }
  return out.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

export interface SurvivorCheck {
  /** Survivors with no entry: each is a hole to kill with a test or to list with its reason. */
  unlisted: Survivor[];
  /** Entries for a file the report has, matching no survivor: killed since, or the code changed. */
  stale: ListedSurvivor[];
  listed: number;
}

/**
 * Pairs survivors with entries by file, mutator, original text and replacement; among identical
 * ones the closest lines pair first. Entries for files the report has no results for are
 * neither used nor stale: that slice has not run.
 */
export function checkSurvivors(report: MutationReport, listing: readonly ListedSurvivor[]): SurvivorCheck {
  const key = (s: { file: string; mutator: string; original: string; replacement: string }) => JSON.stringify([s.file, s.mutator, s.original, s.replacement]);
  const groups = new Map<string, { entries: ListedSurvivor[]; survivors: Survivor[] }>();
  const group = (k: string) => groups.get(k) ?? groups.set(k, { entries: [], survivors: [] }).get(k)!;
  for (const e of listing) if (e.file in report.files) group(key(e)).entries.push(e);
  for (const s of survivorsOf(report)) group(key(s)).survivors.push(s);
  const unlisted: Survivor[] = [];
  const stale: ListedSurvivor[] = [];
  let listed = 0;
  for (const { entries, survivors } of groups.values()) {
    const pairs = entries.flatMap((e, i) => survivors.map((s, j) => ({ i, j, d: Math.abs(e.line - s.line) }))).sort((a, b) => a.d - b.d);
    const usedE = new Set<number>();
    const usedS = new Set<number>();
    for (const { i, j } of pairs) {
      if (usedE.has(i) || usedS.has(j)) continue;
      usedE.add(i);
      usedS.add(j);
      listed++;
    }
    unlisted.push(...survivors.filter((_, j) => !usedS.has(j)));
    stale.push(...entries.filter((_, i) => !usedE.has(i)));
  }
  return { unlisted: unlisted.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line), stale, listed };
}
