// Package versions across nightly runs: a PPA that publishes a new drbd-utils, or a kernel
// update, changes what the scenarios test. The report says so at the top.

import { appendFile, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DrbdlabError } from '../errors.js';
import { lineName, sameLine, type RunLine } from '../image/variant.js';

export type { ImageRecord } from './run-info.js';

/** Package (or component) name → version: drbd-utils, drbd-dkms, kernel, /proc/drbd, … */
export type { Versions } from './run-info.js';
import type { Versions } from './run-info.js';

export type VersionChange =
  | { kind: 'added'; name: string; to: string }
  | { kind: 'removed'; name: string; from: string }
  | { kind: 'changed'; name: string; from: string; to: string };

/** One line of versions.jsonl: one run (a broken one too, with no versions). */
export interface VersionsEntry {
  timestamp: string;
  profile: string;
  /** The suites the run added (--suite): its line is the profile's variant, compared only with that variant's runs. */
  variant?: string;
  versions: Versions;
  /** The run used the cached image without asking its upstreams (--offline). */
  offline?: boolean;
  /** The image's identity (recipe + upstream state). */
  image?: string;
  /** The image's package set (lib/image/package-store.ts): what a later run can go back to. */
  packageSet?: string;
  /** Every scenario of the run passed (lib/report/package-set-runs.ts): its set is the last known good. */
  green?: boolean;
  /** What attribution said of each failing scenario (docs/attribution.md). */
  attribution?: { scenario: string; verdict: string; sentence: string }[];
}

/**
 * What changed from the previous run to this one, sorted by name. No previous run: nothing
 * changed (a first run has nothing to compare with; the caller says "first run").
 */
export function diffVersions(previous: Versions | undefined, current: Versions): VersionChange[] {
  if (!previous) return [];
  const names = [...new Set([...Object.keys(previous), ...Object.keys(current)])].sort();
  const changes: VersionChange[] = [];
  for (const name of names) {
    const from = Object.hasOwn(previous, name) ? previous[name] : undefined;
    const to = Object.hasOwn(current, name) ? current[name] : undefined;
    if (from === undefined && to !== undefined) changes.push({ kind: 'added', name, to });
    else if (from !== undefined && to === undefined) changes.push({ kind: 'removed', name, from });
    else if (from !== undefined && to !== undefined && from !== to) changes.push({ kind: 'changed', name, from, to });
  }
  return changes;
}

/** One change as a line: `drbd-utils 9.21.0-1 → 9.22.0-1`, `drbd-dkms added: 9.2.1`, … */
export function formatChange(c: VersionChange): string {
  switch (c.kind) {
    case 'changed':
      return `${c.name} ${c.from} → ${c.to}`;
    case 'added':
      return `${c.name} added: ${c.to}`;
    case 'removed':
      return `${c.name} removed (was ${c.from})`;
  }
}

/**
 * Versions from a lab's labels (a recording's `labels`, Allure labels): `pkg:NAME` (or
 * `pkg_NAME` once made an Allure label name), `version:NAME` for what is not a package
 * (`version:/proc/drbd`), and `kernel`.
 */
export function versionsFromLabels(labels: Record<string, string>): Versions {
  const out: Versions = {};
  for (const [key, value] of Object.entries(labels)) {
    const m = /^(?:pkg[:_]|version:)(.+)$/.exec(key);
    if (m) out[m[1]!] = value;
    else if (key === 'kernel') out.kernel = value;
  }
  return out;
}

/** The loaded DRBD module's version in a run's versions (`cat /proc/drbd` on a node of the ready cluster). */
const PROC_DRBD = '/proc/drbd';

/** What `cat /proc/drbd` gave on `node`: its output, or the error that kept it from answering. */
export type ProcDrbdRead = { stdout: string; stderr: string; exitCode: number | null } | { error: string };

const firstLine = (s: string) => s.trim().split('\n')[0]?.trim() ?? '';

/**
 * The module's version from /proc/drbd, or `unknown: <why>`. A module that did not load (a DKMS
 * build that failed, a kernel without it) is the regression this entry is there to show: its
 * absence is said in the versions table and the version diff, never left out.
 */
function procDrbdVersion(node: string, r: ProcDrbdRead): string {
  if ('error' in r) return `unknown: ${node}: cat /proc/drbd failed: ${firstLine(r.error)}`;
  const m = /^version: (\S+)/mu.exec(r.stdout);
  if (m) return m[1]!;
  if (r.exitCode !== 0) return `unknown: ${node}: cat /proc/drbd exited ${r.exitCode ?? 'without status'}${firstLine(r.stderr) ? `: ${firstLine(r.stderr)}` : ''}`;
  return `unknown: ${node}: /proc/drbd has no "version:" line${firstLine(r.stdout) ? ` (it begins ${JSON.stringify(firstLine(r.stdout))})` : ' (empty)'}`;
}

/** A node as far as reading /proc/drbd goes (a started node, a scenario node). */
export interface ProcDrbdReader {
  name: string;
  exec(command: string, opts: { check: false; timeoutMs: number }): Promise<{ stdout: string; stderr: string; exitCode: number | null }>;
}

/**
 * `{"/proc/drbd": version or "unknown: <why>"}` from `node`. The lab failing under the read
 * (an SSH connection lost: kind infrastructure) is thrown: a snapshot saved then is suspect, and
 * a cached "unknown" would outlive the hiccup. What the node answers, or a read that hangs, is
 * DRBD's side: said as unknown, and the scenarios give the verdict.
 */
export async function readProcDrbd(node: ProcDrbdReader | undefined): Promise<Record<string, string>> {
  if (!node) return { [PROC_DRBD]: 'unknown: the lab has no node to read /proc/drbd on' };
  const r: ProcDrbdRead = await node.exec('cat /proc/drbd', { check: false, timeoutMs: 20_000 }).catch((err: unknown) => {
    if (err instanceof DrbdlabError && err.kind === 'infrastructure') throw err;
    return { error: err instanceof Error ? err.message : String(err) };
  });
  return { [PROC_DRBD]: procDrbdVersion(node.name, r) };
}

const isEntry = (v: unknown): v is VersionsEntry => {
  const e = v as Partial<VersionsEntry> | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.timestamp === 'string' &&
    typeof e.profile === 'string' &&
    typeof e.versions === 'object' &&
    e.versions !== null &&
    Object.values(e.versions).every((x) => typeof x === 'string')
  );
};

/** versions.jsonl → entries, oldest first. Lines that do not parse are returned apart, not fatal. */
export function parseVersionsHistory(text: string): { entries: VersionsEntry[]; badLines: number[] } {
  const entries: VersionsEntry[] = [];
  const badLines: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    try {
      const v: unknown = JSON.parse(line);
      if (isEntry(v)) entries.push(v);
      else badLines.push(i + 1);
    } catch {
      badLines.push(i + 1);
    }
  });
  return { entries, badLines };
}

const recordedAny = (v: Versions) => Object.keys(v).length > 0;

/**
 * The run to compare with: the newest earlier run of the same line (profiles differ by design; a
 * variant's runs are compared with that variant's alone) that recorded versions. A run whose lab
 * never came up recorded none: comparing with it would list every package of the next run as "added".
 */
export function previousEntry(entries: readonly VersionsEntry[], line: RunLine): VersionsEntry | undefined {
  for (let i = entries.length - 1; i >= 0; i--) if (sameLine(entries[i]!, line) && recordedAny(entries[i]!.versions)) return entries[i];
  return undefined;
}

/**
 * This run against the history: the run compared with and what changed. A run that recorded no
 * versions compares with nothing (else every package would read "removed").
 */
export function compareWithHistory(
  entries: readonly VersionsEntry[],
  line: RunLine,
  current: Versions,
): { previous: VersionsEntry | undefined; changes: VersionChange[] } {
  const previous = previousEntry(entries, line);
  return { previous, changes: recordedAny(current) ? diffVersions(previous?.versions, current) : [] };
}

export async function readVersionsHistory(file: string): Promise<{ entries: VersionsEntry[]; badLines: number[] }> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  return parseVersionsHistory(text);
}

/** Append one run (one line) to versions.jsonl, creating the file and its directory. */
export async function appendVersionsEntry(file: string, entry: VersionsEntry): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await appendFile(file, `${JSON.stringify(entry)}\n`);
}

/** The sentence at the top of a report: what changed since when, or that nothing did. */
export function changeHeadline(changes: readonly VersionChange[], previous: VersionsEntry | undefined, current?: Versions): string {
  if (current && !recordedAny(current)) return 'this run recorded no package versions (its lab did not come up): nothing to compare';
  if (!previous) return 'first run of this profile: no earlier versions to compare with';
  if (changes.length === 0) return `package versions unchanged since ${previous.timestamp}`;
  return `package versions changed since ${previous.timestamp}: ${changes.map(formatChange).join('; ')}`;
}

/**
 * Allure 3 report variables (the "Variables" block on the report's first page): the change
 * banner first (`CHANGED …` / `ADDED …` / `REMOVED …`, or one `package versions` line), then
 * every version of this run.
 */
export function versionVariables(
  changes: readonly VersionChange[],
  previous: VersionsEntry | undefined,
  current: Versions,
  profile: string,
): Record<string, string> {
  const vars: Record<string, string> = {};
  if (changes.length === 0) vars['package versions'] = changeHeadline(changes, previous, current);
  for (const c of changes) {
    if (c.kind === 'changed') vars[`CHANGED ${c.name}`] = `${c.from} → ${c.to}`;
    else if (c.kind === 'added') vars[`ADDED ${c.name}`] = c.to;
    else vars[`REMOVED ${c.name}`] = `was ${c.from}`;
  }
  if (changes.length > 0 && previous) vars['compared with'] = `${lineName(previous)} run of ${previous.timestamp}`;
  vars.profile = profile;
  for (const name of Object.keys(current).sort()) vars[name] = current[name]!;
  return vars;
}

/** The newest recording (by mtime) in `dir`: its profile and its labels' versions. */
export async function versionsFromNewestRecording(dir: string): Promise<{ file: string; profile: string; versions: Versions } | undefined> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json'));
  const withTimes = await Promise.all(names.map(async (f) => ({ file: join(dir, f), mtime: (await stat(join(dir, f))).mtimeMs })));
  const newest = withTimes.sort((a, b) => b.mtime - a.mtime)[0];
  if (!newest) return undefined;
  const rec = JSON.parse(await readFile(newest.file, 'utf8')) as { profile?: string; labels?: Record<string, string> };
  return { file: newest.file, profile: rec.profile ?? rec.labels?.profile ?? 'unknown', versions: versionsFromLabels(rec.labels ?? {}) };
}
