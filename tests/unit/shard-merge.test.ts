// Done-when of sharding: the scenarios replayed from their recordings as two shards (vitest's
// own --shard, each runner into its own reports folder), merged with `npm run report -- --merge`,
// give the report one unsharded run gives: the same tests, steps, statuses and attachments,
// the same summary, one history entry. Then a second night's merge adds one entry more (and its
// shards, made to disagree on a version, say so).
// No VMs: the replay project. Uuids, times and worker names are left out of the comparison.

import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/paths.js';
import { writeRunInfo } from '../../lib/report/run-info.js';
import type { Shard } from '../../lib/report/shard.js';

const PROFILE = 'debian12-drbd84';
const VERSIONS = { 'drbd-utils': '9.22.0-1', kernel: '6.1.0-50-cloud-amd64' };

/** This process's environment without vitest's, allure's and drbdlab's own variables. */
function childEnv(reports: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(VITEST|ALLURE|DRBDLAB_)|^(TEST|NODE_ENV)$/.test(k)));
  return { ...env, DRBDLAB_REPORTS: reports, DRBDLAB_JUNIT: join(reports, 'junit.xml'), NO_COLOR: '1' };
}

/** What the nightly does for its part: the scenario files (of one shard) into `reports`, then versions.json. */
async function replayRun(reports: string, shard?: Shard): Promise<void> {
  const args = [join(PROJECT_ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--project', 'replay', ...(shard ? ['--shard', `${shard.index}/${shard.count}`] : [])];
  const r = await execa(process.execPath, args, { cwd: PROJECT_ROOT, env: childEnv(reports), extendEnv: false, reject: false, all: true });
  // A scenario that fails (exit 1) is merged like one that passes; anything else is no run.
  if (r.exitCode !== 0 && r.exitCode !== 1) throw new Error(`replay ${shard ? `shard ${shard.index}/${shard.count}` : 'run'} exited ${r.exitCode}:\n${r.all}`);
  await writeRunInfo(join(reports, 'versions.json'), { profile: PROFILE, versions: VERSIONS, ...(shard ? { shard } : {}) });
}

/** `npm run report -- …` */
async function report(reports: string, ...args: string[]): Promise<string> {
  const r = await execa(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'lib/report/cli.ts'), ...args], {
    cwd: PROJECT_ROOT,
    env: childEnv(reports),
    extendEnv: false,
    reject: false,
    all: true,
  });
  if (r.exitCode !== 0) throw new Error(`npm run report -- ${args.join(' ')} exited ${r.exitCode}:\n${r.all}`);
  return r.all;
}

interface ReportStep {
  type?: string;
  name?: string;
  status?: string;
  steps?: ReportStep[];
  link?: { name: string; contentType: string; missed: boolean };
}

/**
 * A step as a reader sees it: name, status, sub-steps; an attachment by name and type, and
 * whether its file is there. The assertion steps allure-vitest adds (`expect(…)…`) of a step that
 * works on several nodes at once come in the order the nodes answered: compared as a set.
 */
const stepContent = (s: ReportStep): unknown => {
  if (s.type === 'attachment') return { attachment: s.link!.name, contentType: s.link!.contentType, missed: s.link!.missed };
  const subs = (s.steps ?? []).map(stepContent);
  const isAssertion = (x: unknown) => typeof (x as { name?: unknown }).name === 'string' && (x as { name: string }).name.startsWith('expect(');
  const assertions = subs.filter(isAssertion).map((x) => JSON.stringify(x)).sort();
  return { name: s.name, status: s.status, steps: subs.filter((x) => !isAssertion(x)), assertions };
};

const SHOWN_LABELS = new Set(['epic', 'feature', 'profile', 'evidence', 'mode', 'generator']);

/** The report's content, from the generated HTML report's data (what the page shows), by test. */
async function reportContent(reports: string) {
  const html = join(reports, 'html');
  const dir = join(html, 'data', 'test-results');
  const tests: Record<string, unknown> = {};
  for (const f of await readdir(dir)) {
    const t = JSON.parse(await readFile(join(dir, f), 'utf8')) as ReportStep & { fullName: string; labels: { name: string; value: string }[]; error?: { message?: string } };
    tests[t.fullName] = {
      name: t.name,
      status: t.status,
      error: t.error?.message,
      labels: t.labels.filter((l) => SHOWN_LABELS.has(l.name)).map((l) => `${l.name}=${l.value}`).sort(),
      steps: (t.steps ?? []).map(stepContent),
    };
  }
  const summary = JSON.parse(await readFile(join(html, 'summary.json'), 'utf8')) as { stats: unknown; status: string; name: string };
  const history = (await readFile(join(reports, 'history', 'history.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { testResults: Record<string, { status: string }> });
  const junit = await readFile(join(reports, 'junit.xml'), 'utf8');
  const transcripts = ((await readdir(join(reports, 'runs'), { recursive: true })) as string[]).map((p) => p.split('/').slice(1).join('/')).filter(Boolean).sort();
  return {
    tests,
    stats: summary.stats,
    status: summary.status,
    title: summary.name,
    attachments: (await readdir(join(html, 'data', 'attachments'))).length,
    history,
    historyEntry: (e: (typeof history)[number]) => Object.fromEntries(Object.entries(e.testResults).map(([id, r]) => [id, r.status])),
    junitCases: [...junit.matchAll(/<testcase classname="([^"]*)" name="([^"]*)"/g)].map((m) => `${m[1]} › ${m[2]}`).sort(),
    transcripts,
    /** summary.md without its time; a merge adds one line saying which shards. */
    summaryMd: (await readFile(join(reports, 'summary.md'), 'utf8')).replace(/^(# drbdlab report: .*), \S+$/m, '$1, <time>'),
  };
}

describe('two shards merged = one unsharded run (replayed scenarios)', () => {
  let work: string;
  let one: Awaited<ReturnType<typeof reportContent>>;
  let merged: Awaited<ReturnType<typeof reportContent>>;
  let mergeOutput: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'drbdlab-shard-merge-'));
    const [single, s1, s2, into] = ['single', 'shard-1', 'shard-2', 'merged'].map((d) => join(work, d)) as [string, string, string, string];
    await Promise.all([replayRun(single), replayRun(s1, { index: 1, count: 2 }), replayRun(s2, { index: 2, count: 2 })]);
    // The report of one run, as the nightly makes it; the merged one, as the merge job does.
    [, mergeOutput] = await Promise.all([report(single, '--versions', join(single, 'versions.json')), report(into, '--merge', s1, s2)]);
    [one, merged] = await Promise.all([reportContent(single), reportContent(into)]);
  }, 120_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('each shard ran a part, together every scenario file once', () => {
    expect(mergeOutput).toMatch(/^merged 1\/2, 2\/2: /m);
    expect(Object.keys(one.tests).length).toBeGreaterThanOrEqual(8);
  });

  it('same tests, same steps (names, statuses, attachments, none missing), same labels', () => {
    expect(Object.keys(merged.tests).sort()).toEqual(Object.keys(one.tests).sort());
    expect(merged.tests).toEqual(one.tests);
    expect(merged.stats).toEqual(one.stats);
    expect(merged.attachments).toBe(one.attachments);
    expect(JSON.stringify(merged.tests)).not.toMatch(/"missed":true/);
  });

  it('one history entry for the merged run, with every test, as for the unsharded run', () => {
    expect(one.history).toHaveLength(1);
    expect(merged.history).toHaveLength(1);
    expect(merged.historyEntry(merged.history[0]!)).toEqual(one.historyEntry(one.history[0]!));
  });

  it('same summary.md (but the line naming the shards), same JUnit test cases, every transcript', () => {
    expect(merged.summaryMd.replace('Merged from shards 1/2, 2/2.\n\n', '')).toBe(one.summaryMd);
    expect(merged.summaryMd).toContain('\nMerged from shards 1/2, 2/2.\n');
    expect(merged.junitCases).toEqual(one.junitCases);
    expect(merged.transcripts).toEqual(one.transcripts);
  });

  it('the next night\'s merge into the same folder: one history entry more; shards that disagree on a version say so', async () => {
    const into = join(work, 'merged');
    const s2 = join(work, 'shard-2');
    await writeFile(join(into, 'README.md'), 'kept');
    await writeRunInfo(join(s2, 'versions.json'), { profile: PROFILE, versions: { ...VERSIONS, 'drbd-utils': '9.23.0-1' }, shard: { index: 2, count: 2 } });
    const out = await report(into, '--merge', s2, join(work, 'shard-1'));
    const next = await reportContent(into);
    expect(next.history).toHaveLength(2);
    expect(next.tests).toEqual(one.tests);
    const disagreement = 'drbd-utils: 9.22.0-1 (shard 1/2), 9.23.0-1 (shard 2/2)';
    expect(out).toContain(`SHARDS DISAGREE: ${disagreement}`);
    expect(next.title).toContain(`— shards disagree: ${disagreement}`);
    expect(next.summaryMd).toContain(`**The shards of this run disagree** (nothing was picked; each shard's value is named):\n\n- ${disagreement}\n`);
    expect(await readFile(join(into, 'README.md'), 'utf8')).toBe('kept');
  }, 60_000);
});
