// publishReport over the fixture results (tests/fixtures/allure-results: four replayed
// scenarios) plus three failures built from them: runs the real `allure generate`.

import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../paths.js';
import { brokenLabResult } from './broken-result.js';
import { failureFields, RemoteCommandError, UpstreamUnavailableError, WaitTimeoutError, type DrbdlabError } from '../errors.js';
import { StepError } from '../scenario/step.js';
import { FAILURE_KIND_LABEL, failureLabels, type AllureResult } from './classify.js';
import { stageResults, stripAnalytics } from './allure-report.js';
import { GUEST_CPU_LABEL } from './cost.js';
import { latestPerTest, publishReport, publishRun, reportTitle, summaryMarkdown, type PublishResult } from './publish.js';
import { readRunInfo, type RunInfo } from './run-info.js';
import { diffVersions } from './versions.js';

const FIXTURES = join(PROJECT_ROOT, 'tests', 'fixtures', 'allure-results');
const REBOOT = '5e034ae4-5139-43fb-9e58-9330d84d02bb-result.json';

// The real errors; their fields go into the labels as defineScenario writes them.
const productErr = new StepError('0. DRBD stack', new RemoteCommandError('drbd1', 'drbdadm --version', 1, '', 'bash: drbdadm: command not found'));
const bootErr = new StepError('24. reboot', new WaitTimeoutError('SSH and cloud-init', 240_000, 'connection refused', 'drbd2', 'infrastructure', 'boot'));
const upstreamErr = new UpstreamUnavailableError('ppa.launchpad.net', 'HTTP 404: no longer published there');
const productMsg = productErr.message;
const upstreamMsg = upstreamErr.message;
const labelsOf = (err: DrbdlabError) => Object.fromEntries(failureLabels(failureFields(err)!).map((l) => [l.name, l.value]));

/** A failure as allure-vitest writes it: both "broken" (a StepError is no assertion). */
function failing(base: AllureResult, id: string, name: string, message: string, labels: Record<string, string>): AllureResult {
  return {
    ...base,
    uuid: id,
    historyId: id,
    testCaseId: id,
    name,
    fullName: `drbdlab:${name}`,
    status: 'broken',
    statusDetails: { message, trace: `StepError: ${message}` },
    labels: [...(base.labels ?? []).filter((l) => l.name !== 'feature'), { name: 'feature', value: name.split(' ')[0]! }, ...Object.entries(labels).map(([n, value]) => ({ name: n, value }))],
    steps: [{ ...base.steps![0]!, status: 'broken', statusDetails: { message } }, ...base.steps!.slice(1)],
  };
}

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

describe('publishReport', () => {
  let work: string;
  let results: string;
  let out: PublishResult;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'drbdlab-publish-'));
    results = join(work, 'allure-results');
    await cp(FIXTURES, results, { recursive: true });
    const reboot = await readJson<AllureResult>(join(results, REBOOT));
    const extra = [
      failing(reboot, 'aaaa0001', 'walkthrough [debian12-drbd84]', productMsg, labelsOf(productErr)),
      failing(reboot, 'aaaa0002', 'reboot [debian12-drbd84]', bootErr.message, labelsOf(bootErr)),
      brokenLabResult(upstreamMsg, { profile: 'debian12-drbd84' }, 1_795_738_736_000, 1_795_738_737_000, failureFields(upstreamErr)) as unknown as AllureResult,
    ];
    for (const r of extra) await writeFile(join(results, `${r.uuid}-result.json`), JSON.stringify(r));
    // The previous nightly of this profile had an older drbd-utils.
    await mkdir(join(work, 'history'));
    await writeFile(
      join(work, 'history', 'versions.jsonl'),
      `${JSON.stringify({ timestamp: '2026-11-25T02:00:00.000Z', profile: 'debian12-drbd84', versions: { 'drbd-utils': '9.21.0-1', kernel: '6.1.0-50-cloud-amd64' } })}\n`,
    );
    out = await publishReport({
      run: { versions: { 'drbd-utils': '9.22.0-1', kernel: '6.1.0-50-cloud-amd64' }, profile: 'debian12-drbd84' },
      resultsDir: results,
      outDir: join(work, 'html'),
      historyDir: join(work, 'history'),
      now: new Date('2026-11-26T02:00:00.000Z'),
    });
  }, 120_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('returns the paths it wrote', async () => {
    expect(out.indexHtml).toBe(join(work, 'html', 'index.html'));
    expect(out.summaryPath).toBe(join(work, 'summary.md'));
    expect(out.allureHistoryPath).toBe(join(work, 'history', 'history.jsonl'));
    expect(out.versionsHistoryPath).toBe(join(work, 'history', 'versions.jsonl'));
    for (const f of [out.indexHtml, out.summaryPath, out.allureHistoryPath, out.versionsHistoryPath]) await expect(readFile(f)).resolves.toBeTruthy();
  });

  it('reports product errors as failed and infrastructure errors as broken, leaving the raw results alone', async () => {
    const byName = new Map<string, AllureResult>();
    for (const f of await readdir(join(work, 'html', 'data', 'test-results'))) {
      const r = await readJson<AllureResult>(join(work, 'html', 'data', 'test-results', f));
      byName.set(r.name, r);
    }
    expect(byName.get('walkthrough [debian12-drbd84]')?.status).toBe('failed');
    expect(byName.get('walkthrough [debian12-drbd84]')?.steps?.[0]?.status).toBe('failed'); // the step it failed in, too
    expect(byName.get('reboot [debian12-drbd84]')?.status).toBe('broken');
    expect(byName.get('lab setup')?.status).toBe('broken');
    expect(byName.get('walkthrough [replay walkthrough.ubuntu1804-drbd9.json]')?.status).toBe('passed');
    expect((await readJson<AllureResult>(join(results, 'aaaa0001-result.json'))).status).toBe('broken');
    expect(out.stats).toEqual({ total: 7, passed: 4, failed: 1, broken: 2 });
  });

  it('puts each failure in its category: DRBD failed, boot timeout, upstream unavailable', async () => {
    const cats = await readJson<{ roots: string[]; nodes: Record<string, { name: string; type: string; childrenIds?: string[] }> }>(
      join(work, 'html', 'widgets', 'categories.json'),
    );
    const testsUnder = (id: string): string[] => {
      const n = cats.nodes[id]!;
      return n.type === 'tr' ? [n.name] : (n.childrenIds ?? []).flatMap(testsUnder);
    };
    const byCategory = Object.fromEntries(cats.roots.map((id) => [cats.nodes[id]!.name, testsUnder(id)]));
    expect(byCategory).toEqual({
      'Failed (DRBD): DRBD behaved unlike the walkthrough': ['walkthrough [debian12-drbd84]'],
      'Broken (infrastructure): upstream unavailable — package source unreachable, PPA no longer publishing': ['lab setup'],
      'Broken (infrastructure): boot timeout — a node did not answer on SSH': ['reboot [debian12-drbd84]'],
    });
  });

  it('shows the version change in the title and the variables, and records the run', async () => {
    expect(out.changes).toEqual([{ kind: 'changed', name: 'drbd-utils', from: '9.21.0-1', to: '9.22.0-1' }]);
    const summary = await readJson<{ name: string }>(join(work, 'html', 'summary.json'));
    expect(summary.name).toBe('drbdlab debian12-drbd84 — package versions changed: drbd-utils 9.21.0-1 → 9.22.0-1');
    const vars = await readJson<Record<string, string>>(join(work, 'html', 'widgets', 'variables.json'));
    expect(Object.entries(vars)[0]).toEqual(['CHANGED drbd-utils', '9.21.0-1 → 9.22.0-1']);
    const lines = (await readFile(out.versionsHistoryPath, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[1]!)).toEqual({
      timestamp: '2026-11-26T02:00:00.000Z',
      profile: 'debian12-drbd84',
      versions: { 'drbd-utils': '9.22.0-1', kernel: '6.1.0-50-cloud-amd64' },
    });
    expect((await readFile(out.allureHistoryPath, 'utf8')).trim().split('\n')).toHaveLength(1);
  });

  it('writes summary.md with the change first and what did not pass', async () => {
    const md = await readFile(out.summaryPath, 'utf8');
    const lines = md.split('\n');
    expect(lines[0]).toBe('# drbdlab report: debian12-drbd84, 2026-11-26T02:00:00.000Z');
    expect(lines[2]).toMatch(/^\*\*Package versions changed\*\* since the debian12-drbd84 run of 2026-11-25T02:00:00.000Z/);
    expect(lines[4]).toBe('- drbd-utils 9.21.0-1 → 9.22.0-1');
    expect(md).toContain('Results: 7 tests: 4 passed, 1 failed (DRBD behaved unlike the walkthrough), 2 broken (infrastructure or harness).');
    expect(md).toContain('Report: html/index.html');
    expect(md).toContain('- **failed** walkthrough [debian12-drbd84]: step "0. DRBD stack" failed: drbd1: `drbdadm --version` exited 1\n');
    expect(md).toContain(`- **broken** lab setup: ${upstreamMsg}`);
  });

  it('sends nothing to Google: the analytics tag is gone', async () => {
    const html = await readFile(out.indexHtml, 'utf8');
    expect(html).not.toMatch(/googletagmanager|gtag\(/);
    expect(html).toContain('<div id="app"></div>');
  });

  it('single-file mode: one index.html with the data inside, no analytics, history left alone', async () => {
    const historyBefore = await readFile(out.allureHistoryPath, 'utf8');
    const single = await publishReport({
      run: { versions: { 'drbd-utils': '9.22.0-1' }, profile: 'debian12-drbd84' },
      resultsDir: results,
      outDir: join(work, 'single'),
      historyDir: join(work, 'history'),
      singleFile: true,
      appendHistory: false,
    });
    expect((await readdir(single.reportDir)).filter((f) => f !== 'summary.json' && f !== 'test-results.json')).toEqual(['index.html']);
    const html = await readFile(single.indexHtml, 'utf8');
    expect(html).toContain('data/test-results/');
    expect(html).not.toMatch(/googletagmanager|gtag\(/);
    expect(await readFile(out.allureHistoryPath, 'utf8')).toBe(historyBefore);
    expect((await readFile(out.versionsHistoryPath, 'utf8')).trim().split('\n')).toHaveLength(2);
  });

  it('a substituted profile is said in the title, first in the variables and at the top of summary.md', async () => {
    const sentence = 'ubuntu1804-drbd9 not run: ppa.launchpadcontent.net unavailable; debian12-drbd84 ran instead';
    const sub = await publishReport({
      run: {
        profile: 'debian12-drbd84',
        versions: { 'drbd-utils': '9.23.0-1', kernel: '6.1.0-50-cloud-amd64' }, // the last run recorded had 9.22.0-1
        substituted: { wanted: 'ubuntu1804-drbd9', reason: 'ppa.launchpadcontent.net unavailable' },
      },
      resultsDir: results,
      outDir: join(work, 'substituted'),
      historyDir: join(work, 'history'),
      summaryPath: join(work, 'substituted-summary.md'),
      appendHistory: false,
    });
    const summary = await readJson<{ name: string }>(join(sub.reportDir, 'summary.json'));
    expect(summary.name).toBe(`drbdlab debian12-drbd84 — ${sentence} — package versions changed: drbd-utils 9.22.0-1 → 9.23.0-1`);
    const vars = await readJson<Record<string, string>>(join(sub.reportDir, 'widgets', 'variables.json'));
    expect(Object.entries(vars)[0]).toEqual(['NOT RUN', sentence]);
    const lines = (await readFile(sub.summaryPath, 'utf8')).split('\n');
    expect(lines[0]).toBe(`# drbdlab report: debian12-drbd84, ${lines[0]!.split(', ')[1]}`);
    expect(lines[2]).toBe(`**${sentence}.**`);
  });

  it('refuses to replace a directory that is not a report', async () => {
    const notReport = join(work, 'precious');
    await mkdir(notReport);
    await writeFile(join(notReport, 'notes.txt'), 'keep me');
    await expect(
      publishReport({ run: { versions: {}, profile: 'p' }, resultsDir: results, outDir: notReport, historyDir: join(work, 'h2'), appendHistory: false }),
    ).rejects.toThrow(/not empty and holds no report/);
    expect(await readFile(join(notReport, 'notes.txt'), 'utf8')).toBe('keep me');
  });

  it('a broken run records no change; the next compares with the last run that recorded versions, not "everything added"', async () => {
    const broken = await publishReport({
      run: { profile: 'debian12-drbd84', versions: {} }, // the lab never came up
      resultsDir: results,
      outDir: join(work, 'broken'),
      historyDir: join(work, 'history'),
      summaryPath: join(work, 'broken-summary.md'),
      now: new Date('2026-11-27T02:00:00.000Z'),
    });
    expect(broken.changes).toEqual([]);
    expect(await readFile(broken.summaryPath, 'utf8')).toContain('Package versions: this run recorded no package versions (its lab did not come up): nothing to compare.');
    const image = { identity: 'ab'.repeat(32), builtAt: '2026-11-26T01:00:00.000Z' };
    const next = await publishReport({
      run: { versions: { 'drbd-utils': '9.22.0-1', kernel: '6.1.0-51-cloud-amd64' }, profile: 'debian12-drbd84', offline: true, image },
      resultsDir: results,
      outDir: join(work, 'after-broken'),
      historyDir: join(work, 'history'),
      summaryPath: join(work, 'after-broken-summary.md'),
      now: new Date('2026-11-28T02:00:00.000Z'),
    });
    expect(next.previous?.timestamp).toBe('2026-11-26T02:00:00.000Z');
    expect(next.changes).toEqual([{ kind: 'changed', name: 'kernel', from: '6.1.0-50-cloud-amd64', to: '6.1.0-51-cloud-amd64' }]);
    // Offline is said at the top of summary.md, in the variables and in the history.
    const offline = `Offline run: upstreams not asked; image ${'ab'.repeat(6)} (built 2026-11-26T01:00:00.000Z) used as cached.`;
    expect((await readFile(next.summaryPath, 'utf8')).split('\n')[2]).toBe(`**${offline}**`);
    const vars = await readJson<Record<string, string>>(join(next.reportDir, 'widgets', 'variables.json'));
    expect(vars.OFFLINE).toBe(offline);
    const lines = (await readFile(next.versionsHistoryPath, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.slice(-2)).toEqual([
      { timestamp: '2026-11-27T02:00:00.000Z', profile: 'debian12-drbd84', versions: {} },
      { timestamp: '2026-11-28T02:00:00.000Z', profile: 'debian12-drbd84', versions: { 'drbd-utils': '9.22.0-1', kernel: '6.1.0-51-cloud-amd64' }, offline: true, image: image.identity },
    ]);
  });

  it('a variant\'s run: named in the title, summary and variables, recorded with its variant, compared with its own line only', async () => {
    const history = join(work, 'history-variant');
    const plain = { profile: 'debian12-drbd84', versions: { 'drbd-utils': '9.22.0-1', kernel: '6.1.0-50-cloud-amd64' } };
    const pu = { profile: 'debian12-drbd84', variant: 'proposed-updates', origins: { 'drbd-utils': 'bookworm-proposed-updates', kernel: 'bookworm-security' } };
    const publish = (run: RunInfo, name: string, at: string) =>
      publishReport({ run, resultsDir: results, outDir: join(work, name), historyDir: history, summaryPath: join(work, `${name}.md`), now: new Date(at) });
    await publish(plain, 'plain', '2026-12-01T02:00:00.000Z');
    // Its first run: the plain run (other versions) is no earlier run of this line.
    const first = await publish({ ...pu, versions: { 'drbd-utils': '9.22.1-1', kernel: '6.1.0-50-cloud-amd64' } }, 'pu-1', '2026-12-01T03:00:00.000Z');
    expect(first.previous).toBeUndefined();
    expect((await readJson<{ name: string }>(join(first.reportDir, 'summary.json'))).name).toBe('drbdlab debian12-drbd84+proposed-updates');
    const md = (await readFile(first.summaryPath, 'utf8')).split('\n');
    expect(md[0]).toBe('# drbdlab report: debian12-drbd84+proposed-updates, 2026-12-01T03:00:00.000Z');
    expect(md).toContain('| drbd-utils | 9.22.1-1 | bookworm-proposed-updates |');
    expect((await readJson<Record<string, string>>(join(first.reportDir, 'widgets', 'variables.json'))).variant).toBe("proposed-updates (suites added to debian12-drbd84's)");
    const next = await publish({ ...pu, versions: { 'drbd-utils': '9.22.1-1', kernel: '6.1.0-51-cloud-amd64' } }, 'pu-2', '2026-12-02T03:00:00.000Z');
    expect(next.previous?.timestamp).toBe('2026-12-01T03:00:00.000Z');
    expect(next.changes).toEqual([{ kind: 'changed', name: 'kernel', from: '6.1.0-50-cloud-amd64', to: '6.1.0-51-cloud-amd64' }]);
    expect((await readFile(next.summaryPath, 'utf8')).split('\n')).toContain('**Package versions changed** since the debian12-drbd84+proposed-updates run of 2026-12-01T03:00:00.000Z:');
    const lines = (await readFile(next.versionsHistoryPath, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.variant)).toEqual([undefined, 'proposed-updates', 'proposed-updates']);
    // The plain line's next run still compares with the plain run, not the variant's newer one.
    expect((await publish(plain, 'plain-2', '2026-12-03T02:00:00.000Z')).previous?.timestamp).toBe('2026-12-01T02:00:00.000Z');
  });

  it('records the run\'s package set, and green only when every scenario passed', async () => {
    const passing = join(work, 'all-passed');
    await cp(FIXTURES, passing, { recursive: true });
    const image = { identity: 'cd'.repeat(32), packageSet: 'ef'.repeat(32) };
    const history = join(work, 'history-sets');
    const common = { historyDir: history, run: { versions: { 'drbd-utils': '9.22.0-1' }, profile: 'debian12-drbd84', image } };
    const green = await publishReport({ ...common, resultsDir: passing, outDir: join(work, 'green'), summaryPath: join(work, 'green.md') });
    await publishReport({ ...common, resultsDir: results, outDir: join(work, 'red'), summaryPath: join(work, 'red.md') });
    const lines = (await readFile(green.versionsHistoryPath, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect((await readJson<Record<string, string>>(join(green.reportDir, 'widgets', 'variables.json')))['package set']).toBe('ef'.repeat(6));
    expect(lines.map((l) => [l.packageSet, l.green])).toEqual([
      [image.packageSet, true],
      [image.packageSet, undefined],
    ]);
  });
});

describe('publishRun: the nightly\'s hand-off, in-process', () => {
  it('writes the run record and the report from the same record; a report that cannot be made is false, said', async () => {
    const reports = await mkdtemp(join(tmpdir(), 'drbdlab-publish-run-'));
    try {
      await cp(FIXTURES, join(reports, 'allure-results'), { recursive: true });
      const run: RunInfo = { profile: 'debian12-drbd84', versions: { 'drbd-utils': '9.22.0-1' }, shard: { index: 1, count: 2 }, cancelled: { signal: 'SIGTERM', at: '2026-11-28T21:00:00.000Z' } };
      const said: string[] = [];
      const pruned: string[] = [];
      const prune = async (history: string, log: (m: string) => void) => { pruned.push(history); log('pruned'); };
      expect(await publishRun(reports, run, (m) => said.push(m), prune)).toBe(true);
      // The run is recorded before the package store is pruned against the history it joined.
      expect(pruned).toEqual([join(reports, 'history', 'versions.jsonl')]);
      expect(said.slice(-2)).toEqual([`report: ${join(reports, 'html', 'index.html')}`, 'pruned']);
      expect(await readRunInfo(join(reports, 'versions.json'))).toEqual(run);
      const md = await readFile(join(reports, 'summary.md'), 'utf8');
      expect(md).toContain('**Run cancelled by SIGTERM at 2026-11-28T21:00:00.000Z');
      expect(md).toContain('**This report is shard 1/2 of the scenario files only');

      // A reports folder whose scenarios left no results: no report, said in one line.
      const empty = await mkdtemp(join(tmpdir(), 'drbdlab-publish-run-'));
      const failed: string[] = [];
      expect(await publishRun(empty, run, (m) => failed.push(m), prune)).toBe(false);
      expect(failed).toEqual([expect.stringMatching(/^report generation failed: .*allure-results: no allure-results directory/)]);
      await rm(empty, { recursive: true, force: true });
    } finally {
      await rm(reports, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('report helpers', () => {
  it('stripAnalytics removes exactly the gtag loader and its config script', () => {
    const html = [
      '<body>',
      '    <div id="app"></div>',
      '    <script async src="https://www.googletagmanager.com/gtag/js?id=G-X"></script>',
      '    <script>',
      '        window.dataLayer = window.dataLayer || [];',
      "        function gtag(){dataLayer.push(arguments);}",
      "        gtag('js', new Date());",
      '    </script>',
      '    <script>window.allure = {};</script>',
      '</body>',
    ].join('\n');
    expect(stripAnalytics(html)).toBe(['<body>', '    <div id="app"></div>', '    <script>window.allure = {};</script>', '</body>'].join('\n'));
    expect(stripAnalytics('<p>nothing</p>')).toBe('<p>nothing</p>');
  });

  it('counts the newest result of each test (older ones are retries)', () => {
    const r = (uuid: string, historyId: string, status: AllureResult['status'], stop: number): AllureResult => ({ uuid, name: historyId, historyId, status, stop });
    expect(latestPerTest([r('1', 'a', 'broken', 1), r('2', 'a', 'passed', 2), r('3', 'b', 'failed', 1)]).map((x) => x.uuid)).toEqual(['2', '3']);
  });

  it('title: the profile, with at most three changes', () => {
    expect(reportTitle('p', [])).toBe('drbdlab p');
    const many = diffVersions({ a: '1', b: '1', c: '1', d: '1' }, { a: '2', b: '2', c: '2', d: '2' });
    expect(reportTitle('p', many)).toBe('drbdlab p — package versions changed: a 1 → 2; b 1 → 2; c 1 → 2; and 1 more (see Variables)');
  });

  it('title and summary with a substituted profile: the sentence first', () => {
    const substituted = { wanted: 'ubuntu1804-drbd9' as const, reason: 'archive.ubuntu.com unavailable' };
    const sentence = 'ubuntu1804-drbd9 not run: archive.ubuntu.com unavailable; debian12-drbd84 ran instead';
    expect(reportTitle('debian12-drbd84', [], substituted)).toBe(`drbdlab debian12-drbd84 — ${sentence}`);
    const md = summaryMarkdown({ run: { profile: 'debian12-drbd84', substituted, versions: {} }, timestamp: 't', changes: [], previous: undefined, results: [], reportPath: 'r' });
    expect(md.split('\n').slice(0, 4)).toEqual(['# drbdlab report: debian12-drbd84, t', '', `**${sentence}.**`, '']);
  });

  it("summary: each real scenario's guest CPU beside its wall time, and the run's floor on the cores it ran on", () => {
    const results = [{ uuid: '1', name: 'reboot [debian12-drbd84]', status: 'passed' as const, start: 0, stop: 100_000, labels: [{ name: GUEST_CPU_LABEL, value: '150.0' }] }];
    const md = summaryMarkdown({ run: { profile: 'p', versions: { drbd: '8.4' }, hostCores: 2 }, timestamp: 't', changes: [], previous: undefined, results, reportPath: 'r' });
    const cost = md.slice(md.indexOf('## Cost'), md.indexOf('## Versions'));
    expect(cost).toContain('| reboot [debian12-drbd84] | 100 | 150 |');
    expect(cost).toContain('on 2 cores the floor is 75 s: wall / floor = 1.33.');
  });

  it('title and summary of an attributed run: the verdict first, before anything else the run says', () => {
    const change = { source: 'linux-signed-amd64', kind: 'changed' as const, from: ['6.1.170-1'], to: ['6.1.176-1'], binaries: [{ package: 'linux-image-amd64', arch: 'amd64', from: '6.1.170-1', to: '6.1.176-1' }] };
    const attributions = [{ scenario: 'reboot', good: 'a'.repeat(64), bad: 'b'.repeat(64), changes: [change], probes: [], verdict: { kind: 'introduced' as const, change }, bound: 2, ms: 0 }];
    const line = 'reboot red: introduced by linux-signed-amd64 6.1.170-1 → 6.1.176-1 (linux-image-amd64)';
    const shard = { index: 1, count: 2 };
    expect(reportTitle('p', [], undefined, { attributions })).toBe(`drbdlab p — ${line}`);
    const md = summaryMarkdown({ run: { profile: 'p', shard, versions: {}, attributions }, timestamp: 't', changes: [], previous: undefined, results: [], reportPath: 'r' });
    expect(md.split('\n').slice(2, 4)).toEqual([`**${line}**`, '']);
  });

  it('title and summary of one shard: not to be taken for the whole run', () => {
    const shard = { index: 1, count: 2 };
    expect(reportTitle('p', [], undefined, { shard })).toBe('drbdlab p — shard 1/2 of the scenario files only (the merged report has them all)');
    const md = summaryMarkdown({ run: { profile: 'p', shard, versions: {} }, timestamp: 't', changes: [], previous: undefined, results: [], reportPath: 'r' });
    expect(md.split('\n')[2]).toBe('**This report is shard 1/2 of the scenario files only (the merged report has them all).**');
  });

  it('title and summary of a merge: which shards; where they disagree, first and plainly', () => {
    const agreed = { shards: [{ index: 1, count: 2 }, { index: 2, count: 2 }], disagreements: [] };
    expect(reportTitle('p', [], undefined, { merged: agreed })).toBe('drbdlab p');
    const md = summaryMarkdown({ run: { profile: 'p', merged: agreed, versions: {} }, timestamp: 't', changes: [], previous: undefined, results: [], reportPath: 'r' });
    expect(md.split('\n').slice(2, 4)).toEqual(['Merged from shards 1/2, 2/2.', '']);

    const d = 'drbd-utils: 9.22.0-1 (shard 1/2), 9.21.0-1 (shard 2/2)';
    const merged = { ...agreed, disagreements: [d] };
    expect(reportTitle('p', [], undefined, { merged })).toBe(`drbdlab p — shards disagree: ${d}`);
    const md2 = summaryMarkdown({ run: { profile: 'p', merged, versions: {} }, timestamp: 't', changes: [], previous: undefined, results: [], reportPath: 'r' });
    expect(md2.split('\n').slice(2, 7)).toEqual([
      "**The shards of this run disagree** (nothing was picked; each shard's value is named):",
      '',
      `- ${d}`,
      '',
      'Merged from shards 1/2, 2/2.',
    ]);
  });

  it('staging an interrupted run: what the signal cut short is cancelled, an earlier DRBD failure stays failed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'drbdlab-cancel-'));
    try {
      const at = '2026-11-28T21:00:00.000Z';
      const base = { labels: [{ name: FAILURE_KIND_LABEL, value: 'product' }], steps: [] };
      const before: AllureResult = { ...base, uuid: 'b', name: 'walkthrough', status: 'broken', stop: Date.parse(at) - 60_000, statusDetails: { message: productMsg } };
      const after: AllureResult = { ...base, uuid: 'a', name: 'reboot', status: 'broken', stop: Date.parse(at) + 2_000, statusDetails: { message: 'drbd1: `x`: SSH connection failed: reset' } };
      await mkdir(join(dir, 'in'));
      for (const r of [before, after]) await writeFile(join(dir, 'in', `${r.uuid}-result.json`), JSON.stringify(r));
      const { results } = await stageResults(join(dir, 'in'), join(dir, 'out'), { signal: 'SIGINT', at });
      const status = Object.fromEntries(results.map((r) => [r.name, r.status]));
      expect(status).toEqual({ walkthrough: 'failed', reboot: 'skipped' });
      // Without a cancellation the same results are judged as ever.
      const plain = await stageResults(join(dir, 'in'), join(dir, 'plain'));
      expect(Object.fromEntries(plain.results.map((r) => [r.name, r.status]))).toEqual({ walkthrough: 'failed', reboot: 'failed' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('title and summary of an interrupted run: cancelled, no verdict, first', () => {
    const cancelled = { signal: 'SIGINT', at: '2026-11-28T21:00:00.000Z' };
    const sentence = 'cancelled by SIGINT at 2026-11-28T21:00:00.000Z: no verdict (neither failed nor broken)';
    expect(reportTitle('p', [], undefined, { cancelled })).toBe(`drbdlab p — ${sentence}`);
    const skipped: AllureResult = { uuid: 'u', name: 'reboot', status: 'skipped', labels: [{ name: 'cancelled', value: 'SIGINT' }] };
    const passed: AllureResult = { uuid: 'v', name: 'walkthrough', status: 'passed' };
    const md = summaryMarkdown({ run: { profile: 'p', cancelled, versions: {} }, timestamp: 't', changes: [], previous: undefined, results: [skipped, passed], reportPath: 'r' });
    expect(md.split('\n')[2]).toBe(`**Run ${sentence}. Scenarios it cut short are shown skipped (cancelled) or have no result.**`);
    expect(md).toContain('Results: 2 tests: 1 passed, 1 skipped (1 cancelled).');
    expect(md).not.toMatch(/## Not passed/);
  });

  it('summary for a first run says so and lists nothing as not passed', () => {
    const md = summaryMarkdown({ run: { profile: 'p', versions: { a: '1' } }, timestamp: 't', changes: [], previous: undefined, results: [], reportPath: 'html/index.html' });
    expect(md).toBe('# drbdlab report: p, t\n\nPackage versions: first run of this profile: no earlier versions to compare with.\n\nResults: 0 tests.\nReport: html/index.html\n\n## Versions\n\n| package | version |\n| --- | --- |\n| a | 1 |\n');
  });

  it('summary of a run with upstreams checked names the image and the upstream digests it was built from', () => {
    const image = { identity: 'cd'.repeat(32), builtAt: 'b', upstreams: [{ name: 'http://deb.debian.org/debian bookworm', url: 'u', sha256: 'ef'.repeat(32) }] };
    const md = summaryMarkdown({ run: { profile: 'p', image, versions: { a: '1' } }, timestamp: 't', changes: [], previous: undefined, results: [], reportPath: 'r' });
    expect(md.split('\n')[2]).toBe(`Upstreams checked: image ${'cd'.repeat(6)} (built b), built from http://deb.debian.org/debian bookworm ${'ef'.repeat(6)}.`);
  });
});

describe('the versions table says where each package came from', () => {
  it('a `from` column when the image recorded origins: the security kernel shows as such', () => {
    const md = summaryMarkdown({
      run: {
        profile: 'debian12-drbd84',
        versions: { kernel: '6.1.0-41-cloud-amd64', 'drbd-utils': '9.22.0-1', systemd: '252.39-1~deb12u1' },
        origins: { kernel: 'bookworm-security', 'drbd-utils': 'bookworm' },
      },
      timestamp: 't', changes: [], previous: undefined, results: [], reportPath: 'r',
    });
    expect(md).toContain('| package | version | from |');
    expect(md).toContain('| kernel | 6.1.0-41-cloud-amd64 | bookworm-security |');
    expect(md).toContain('| drbd-utils | 9.22.0-1 | bookworm |');
    expect(md).toContain('| systemd | 252.39-1~deb12u1 | — |');
  });
});

