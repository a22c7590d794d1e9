// Attribution end to end on real VMs (issue 18, docs/attribution.md): the nightly as a user runs
// it (the CLI as a child process), with labs, images and reports of its own, three canary
// packages from a loopback apt repository (installed by the host-side image build; the guests
// never reach it) and a cheap scenario of the tests' own (tests/scenarios/drbd-canary.test.ts:
// DRBD's module loads on each node of a two-node lab). Four nightlies, in the order that reuses
// images and snapshots:
//   1. canaries 1.0: green — the run every follow-up compares with;
//   2. canaries 1.1 (harmless), the lab broken by a persistent fault switch: "not the packages";
//   3. canaries 1.1, a fault that breaks one run only: "flaky";
//   4. canaries 2.0, where drbdlab-canary-b refuses DRBD's module: "introduced by
//      drbdlab-canary-b 1.0 → 2.0", within ⌈log2 3⌉ + 2 = 4 probes.
// Each red run's follow-up is real: probe layers of kept .debs, ready snapshots of them, the
// scenario rerun on each. Then `bisect` by hand between runs 1 and 4, on what the follow-up
// cached. Wall times, each probe's time and the package store's size are printed for the bench
// notes.

import { execSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Attribution } from '../../lib/attribution/attribute.js';
import { probeBound } from '../../lib/attribution/plan.js';
import { loadConfig } from '../../lib/config/config.js';
import { PROJECT_ROOT } from '../../lib/paths.js';
import { reportStatus, type AllureResult } from '../../lib/report/classify.js';
import { buildDeb, debsIn, indexFlatRepo, serveDir } from '../support/apt-repo.js';
import { setCanaryFault, type CanaryFault } from '../support/drbd-canary.js';

const CANARIES = ['drbdlab-canary-a', 'drbdlab-canary-b', 'drbdlab-canary-c'];
const SCENARIO_FILE = 'tests/scenarios/drbd-canary.test.ts';
/** The failing test as the report names it: the scenario on the profile's real target. */
const SCENARIO = 'drbd-canary [debian12-drbd84]';
/** What canary-b 2.0 ships: a rule that refuses an explicit `modprobe drbd` (a `blacklist` line would not). */
const REFUSE_DRBD = { '/etc/modprobe.d/drbdlab-canary-b.conf': 'install drbd /bin/false\n' };

let work: string;
let repo: string;
let server: Awaited<ReturnType<typeof serveDir>>;
const folders = () => ({ state: join(work, 'labs'), cache: join(work, 'cache'), reports: join(work, 'reports') });
/** Each nightly's wall time and what its follow-up said, for the bench notes. */
const timings: string[] = [];

/** Publish the canaries at `version` (canary-b with `bFiles`), replacing what the repository held. */
async function publish(version: string, bFiles: Record<string, string> = {}): Promise<void> {
  for (const d of await debsIn(repo)) await rm(join(repo, d));
  for (const name of CANARIES) await buildDeb(name, version, repo, name === 'drbdlab-canary-b' ? bFiles : {});
  await indexFlatRepo(repo);
}

/** The CLI as a user runs it, with the test's folders, repository and scenarios; its exit and output. */
async function cli(args: string[]): Promise<{ exitCode: number | undefined; output: string }> {
  const f = folders();
  // This process's DRBDLAB_* (npm test's phase JUnit file, a lab, a fault) are not the CLI's;
  // the hypervisor setting and the mirrors are the host's and pass on.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DRBDLAB_') || ['DRBDLAB_ACCEL', 'DRBDLAB_DEBIAN_MIRROR', 'DRBDLAB_DEBIAN_SECURITY_MIRROR'].includes(k)));
  Object.assign(env, {
    NO_COLOR: '1',
    DRBDLAB_STATE: f.state,
    DRBDLAB_CACHE: f.cache,
    DRBDLAB_REPORTS: f.reports,
    DRBDLAB_JUNIT: join(f.reports, 'junit.xml'),
    DRBDLAB_CONFIG: join(work, 'lab.yaml'),
    DRBDLAB_EXTRA_APT_SOURCE: `deb [trusted=yes] ${server.url}/ ./`,
    DRBDLAB_EXTRA_PACKAGES: CANARIES.join(' '),
    DRBDLAB_TEST_SCENARIOS: '1',
  });
  const r = await execa('node', ['--import', 'tsx', 'lib/cli/main.ts', ...args], {
    cwd: PROJECT_ROOT,
    env,
    extendEnv: false,
    all: true,
    reject: false,
    // Kept for the assertions and shown as it goes.
    stdout: ['pipe', 'inherit'],
    stderr: ['pipe', 'inherit'],
    timeout: 90 * 60_000,
    forceKillAfterDelay: 60_000,
  });
  return { exitCode: r.exitCode, output: String(r.all ?? '') };
}

/** One nightly on the canary scenario only, with the fault switch set as given; its wall time noted. */
async function nightly(what: string, fault?: CanaryFault): Promise<{ exitCode: number | undefined; output: string }> {
  await setCanaryFault(folders().state, fault);
  console.log(`[attribution-canary] nightly ${what}`);
  const t0 = Date.now();
  const r = await cli(['nightly', '--profile', 'debian12-drbd84', SCENARIO_FILE]);
  timings.push(`${what}: exit ${r.exitCode}, ${Math.round((Date.now() - t0) / 1000)} s`);
  return r;
}

/** The run record the nightly left (reports/versions.json), its summary.md, JUnit file and history. */
async function records() {
  const f = folders();
  const run = JSON.parse(await readFile(join(f.reports, 'versions.json'), 'utf8')) as { attributions?: Attribution[]; image?: { packageSet?: string } };
  const summary = (await readFile(join(f.reports, 'summary.md'), 'utf8')).split('\n');
  const junit = await readFile(join(f.reports, 'junit.xml'), 'utf8');
  const history = (await readFile(join(f.reports, 'history', 'versions.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { timestamp: string; packageSet?: string; green?: boolean; attribution?: { scenario: string; verdict: string; sentence: string }[] });
  // The first line after the heading: what the run says before anything else.
  const firstSaid = summary.slice(1).find((l) => l.trim() !== '');
  // The scenario's Allure result (the one test of the run), as the report shows it.
  const results = join(f.reports, 'allure-results');
  const allure = readdirSync(results)
    .filter((n) => n.endsWith('-result.json'))
    .map((n) => JSON.parse(readFileSync(join(results, n), 'utf8')) as AllureResult)
    .filter((r) => r.name === SCENARIO);
  return { run, firstSaid, junit, history, allure };
}

/** What the Allure result says of attribution: its status, label, the Attribution step (one step per probe), whether it is marked flaky. */
function allureAttribution(results: AllureResult[]) {
  expect(results).toHaveLength(1);
  const r = results[0]!;
  const step = r.steps?.find((s) => s.name?.startsWith('Attribution: '));
  // The status as the report shows it (failed: DRBD's), from the result's failure labels.
  return { status: reportStatus(r), label: r.labels?.find((l) => l.name === 'attribution')?.value, step: step?.name, probes: step?.steps?.length, flaky: r.statusDetails?.flaky };
}

/**
 * A red run's verdict where a user reads it: the nightly's output, the first line of summary.md,
 * the JUnit property, the Allure result and the history entry (a red run has no `green`).
 */
function expectVerdictShown(r: { output: string }, rec: Awaited<ReturnType<typeof records>>, v: { sentence: string; kind: string; probes: number; flaky: boolean }) {
  expect(r.output).toContain(`${SCENARIO} red: ${v.sentence}`);
  expect(rec.firstSaid).toBe(`**${SCENARIO} red: ${v.sentence}**`);
  expect(rec.junit).toContain(`<property name="attribution" value="${v.sentence}"/>`);
  expect(allureAttribution(rec.allure)).toEqual({ status: 'failed', label: v.sentence, step: `Attribution: ${v.sentence}`, probes: v.probes, flaky: v.flaky });
  expect(rec.history.at(-1)).toMatchObject({ attribution: [{ scenario: SCENARIO, verdict: v.kind, sentence: v.sentence }] });
  expect(rec.history.at(-1)?.green).toBeUndefined();
}

const probeTimes = (a: Attribution) => a.probes.map((p, i) => `probe ${i + 1} (${p.role}${p.role === 'bisect' ? ` ${p.applied.join('+')}` : ''}) ${p.outcome} in ${Math.round((p.ms ?? 0) / 1000)} s`).join('; ');

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'drbdlab-attribution-canary-'));
  // o+x: libvirt's QEMU user reaches the disks in there.
  await chmod(work, 0o711);
  for (const d of Object.values(folders())) await mkdir(d, { recursive: true });
  repo = join(work, 'repo');
  await mkdir(repo);
  server = await serveDir(repo);
  // Two nodes (the fewest a DRBD lab takes): the scenario needs no more, and each probe's fresh
  // cluster boots faster. The rest as the checkout's lab.
  const config = await loadConfig();
  const lab = config.lab;
  await writeFile(join(work, 'lab.yaml'), JSON.stringify({ ...lab, profile: 'debian12-drbd84', nodes: lab.nodes.slice(0, 2) }, null, 2));
  // The host's hypervisor verdict where the checkout's cache has one (it is keyed by this boot,
  // libvirt's version and /dev/kvm: one that does not fit is probed again).
  const verdict = join(config.paths.cache, 'hypervisor.json');
  if (existsSync(verdict)) await copyFile(verdict, join(folders().cache, 'hypervisor.json'));
});

afterAll(async () => {
  await server?.close();
  if (timings.length) console.log(`[attribution-canary] nightlies: ${timings.join('; ')}`);
  if (work) await rm(work, { recursive: true, force: true });
});

describe('a red nightly followed up on real VMs, canaries from a loopback apt repository', () => {
  it('canaries 1.0: the nightly is green, and its package set is the last green one', { timeout: 90 * 60_000 }, async () => {
    await publish('1.0');
    const r = await nightly('1.0 (green)');
    expect(r.exitCode, r.output.slice(-3000)).toBe(0);
    const { run, history } = await records();
    expect(run.attributions).toBeUndefined();
    expect(history.at(-1)).toMatchObject({ green: true, packageSet: run.image?.packageSet });
    expect(run.image?.packageSet).toMatch(/^[0-9a-f]{64}$/u);
  });

  it('canaries 1.1 (harmless), the lab broken on every run: red, "not the packages" after two reruns', { timeout: 90 * 60_000 }, async () => {
    await publish('1.1');
    const r = await nightly('1.1, lab broken (persistent fault)', 'persistent');
    const rec = await records();
    const { run } = rec;
    const a = run.attributions?.[0];
    if (a) timings.push(`not the packages: ${probeTimes(a)}`);
    expect(r.exitCode, r.output.slice(-3000)).toBe(1);
    const sentence = 'not the packages: red on the last green package set too (the lab, the host or the scenario changed)';
    expectVerdictShown(r, rec, { sentence, kind: 'not-the-packages', probes: 2, flaky: false });
    expect(run.attributions).toHaveLength(1);
    expect(a).toMatchObject({ scenario: SCENARIO, verdict: { kind: 'not-the-packages' } });
    expect(a!.changes.map((c) => `${c.source} ${c.from.join('/')} → ${c.to.join('/')}`)).toEqual(CANARIES.map((c) => `${c} 1.0 → 1.1`));
    expect(a!.probes.map((p) => [p.role, p.outcome])).toEqual([
      ['same', 'failed'],
      ['good', 'failed'],
    ]);
  });

  it('canaries 1.1, a fault that breaks one run only: red, "flaky" after one rerun', { timeout: 90 * 60_000 }, async () => {
    const r = await nightly('1.1, one-shot fault', 'once');
    const rec = await records();
    const a = rec.run.attributions?.[0];
    if (a) timings.push(`flaky: ${probeTimes(a)}`);
    expect(r.exitCode, r.output.slice(-3000)).toBe(1);
    const sentence = 'flaky: green when run again on the same package set (failure not reproduced)';
    // Still reported failed (the failure happened), and marked flaky because the rerun said so.
    expectVerdictShown(r, rec, { sentence, kind: 'flaky', probes: 1, flaky: true });
    expect(a).toMatchObject({ scenario: SCENARIO, verdict: { kind: 'flaky' } });
    expect(a!.probes.map((p) => [p.role, p.outcome])).toEqual([['same', 'passed']]);
  });

  it('canaries 2.0, canary-b refusing DRBD\'s module: red, "introduced by drbdlab-canary-b 1.0 → 2.0" within the bound', { timeout: 120 * 60_000 }, async () => {
    await publish('2.0', REFUSE_DRBD);
    const r = await nightly('2.0, canary-b breaks DRBD');
    const rec = await records();
    const a = rec.run.attributions?.[0];
    if (a) timings.push(`introduced: ${probeTimes(a)}, ${Math.round(a.ms / 1000)} s in all`);
    // What the package store keeps for these runs (every set shares the debs they have in common).
    const store = join(folders().cache, 'packages');
    const du = execSync(`du -sh ${store}`, { encoding: 'utf8' }).trim().split(/\s/u)[0];
    timings.push(`package store: ${du} for ${readdirSync(join(store, 'sets')).filter((f) => f.endsWith('.json')).length} sets, ${readdirSync(join(store, 'debs')).length} debs`);
    expect(r.exitCode, r.output.slice(-3000)).toBe(1);
    const sentence = 'introduced by drbdlab-canary-b 1.0 → 2.0 (drbdlab-canary-b)';
    expectVerdictShown(r, rec, { sentence, kind: 'introduced', probes: 4, flaky: false });
    expect(a).toMatchObject({ scenario: SCENARIO, verdict: { kind: 'introduced', change: { source: 'drbdlab-canary-b', from: ['1.0'], to: ['2.0'] } } });
    expect(a!.changes.map((c) => c.source)).toEqual(CANARIES);
    expect(a!.bound).toBe(probeBound(3));
    expect(a!.probes.length).toBeLessThanOrEqual(4);
    // The reruns, then a bisection in source order: a alone is green, a and b red.
    expect(a!.probes.map((p) => [p.role, p.applied.join('+'), p.outcome])).toEqual([
      ['same', CANARIES.join('+'), 'failed'],
      ['good', '', 'passed'],
      ['bisect', 'drbdlab-canary-a', 'passed'],
      ['bisect', 'drbdlab-canary-a+drbdlab-canary-b', 'failed'],
    ]);
    // Each probe's own results and what its scenario run printed, in its folder.
    for (const k of [1, 2, 3, 4]) {
      const dir = join(folders().reports, 'attribution', '1', `probe-${k}`);
      expect(readdirSync(dir)).toEqual(expect.arrayContaining(['allure-results', 'junit.xml', 'output.log', 'run-plan.json']));
      expect(readFileSync(join(dir, 'output.log'), 'utf8')).toContain(SCENARIO);
    }
  });

  it('bisect by hand between the green run and the red one: the same verdict, from the probes cached by the follow-up', { timeout: 60 * 60_000 }, async () => {
    const { history } = await records();
    const good = history.find((e) => e.green)!;
    const bad = history.at(-1)!;
    const t0 = Date.now();
    const r = await cli(['bisect', '--good', good.timestamp, '--bad', bad.timestamp, SCENARIO_FILE]);
    timings.push(`bisect: exit ${r.exitCode}, ${Math.round((Date.now() - t0) / 1000)} s`);
    expect(r.exitCode, r.output.slice(-3000)).toBe(0);
    expect(r.output).toContain(`${SCENARIO_FILE} red: introduced by drbdlab-canary-b 1.0 → 2.0 (drbdlab-canary-b)`);
    expect(r.output).toMatch(/^\s*4\. last green set \+ drbdlab-canary-a 2\.0, drbdlab-canary-b 2\.0 \(set [0-9a-f]{12}\): failed in \d+ s$/mu);
  });

  it('every nightly and probe removed its clusters: no lab left in the labs folder', () => {
    expect(readdirSync(folders().state).filter((d) => /^[0-9a-f]{6}$/u.test(d))).toEqual([]);
  });
});
