// The nightly's follow-up of a red run over a reports folder and a package store on disk, with
// fake probe ports (the real ones build images and boot VMs): which results it follows up, what
// it compares with, and what it writes back into the results and the JUnit file.
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AttributionPorts } from '../../attribution/attribute.js';
import { resolveConfig } from '../../config/config.js';
import { packageSetId, type PackageEntry, type PackageSetManifest } from '../../image/package-set.js';
import type { RunPlan } from '../../lab/run-plan.js';
import { PROJECT_ROOT } from '../../paths.js';
import type { AllureResult } from '../../report/classify.js';
import { followUpRedRun } from './follow-up.js';

const entry = (pkg: string, version: string): PackageEntry => ({ package: pkg, version, arch: 'amd64', source: pkg, sourceVersion: version, sha256: `${pkg.length}${version}`.replace(/[^0-9]/g, '1').padEnd(64, 'a'), size: 1 });
const set = (entries: PackageEntry[]): PackageSetManifest => ({ id: packageSetId(entries), profile: 'debian12-drbd84', createdAt: '2026-12-01T05:00:00.000Z', entries });
const GOOD = set([entry('drbd-utils', '9.22.0-1'), entry('tzdata', '2025b-0')]);
const BAD = set([entry('drbd-utils', '9.22.0-2'), entry('tzdata', '2025c-0')]);

const result = (uuid: string, name: string, file: string, status: AllureResult['status'], kind?: string): AllureResult => ({
  uuid,
  name,
  fullName: `drbdlab:${file}#${name}`,
  historyId: uuid,
  status,
  labels: kind ? [{ name: 'failureKind', value: kind }] : [],
  steps: [],
});

const JUNIT = '<testsuites><testsuite><testcase classname="a" name="reboot" time="1"><failure/></testcase><testcase classname="b" name="walkthrough" time="1"/></testsuite></testsuites>';

describe('followUpRedRun', () => {
  let work: string;
  let reports: string;
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'drbdlab-follow-up-'));
    reports = join(work, 'reports');
    vi.stubEnv('DRBDLAB_CACHE', join(work, 'cache'));
    await mkdir(join(reports, 'allure-results'), { recursive: true });
    await mkdir(join(reports, 'history'), { recursive: true });
    await mkdir(join(work, 'cache', 'packages', 'sets'), { recursive: true });
    for (const s of [GOOD, BAD]) await writeFile(join(work, 'cache', 'packages', 'sets', `${s.id}.json`), JSON.stringify(s));
    await writeFile(join(reports, 'history', 'versions.jsonl'), `${JSON.stringify({ timestamp: '2026-12-01T05:00:00.000Z', profile: 'debian12-drbd84', versions: { x: '1' }, packageSet: GOOD.id, green: true })}\n`);
    const results = [
      result('r1', 'reboot', 'scenarios/02-reboot-persistence.test.ts', 'broken', 'product'),
      result('r2', 'link-cut', 'scenarios/05-link-cut.test.ts', 'broken', 'infrastructure'),
      result('r3', 'walkthrough', 'scenarios/01-walkthrough.test.ts', 'passed'),
    ];
    for (const r of results) await writeFile(join(reports, 'allure-results', `${r.uuid}-result.json`), JSON.stringify(r));
    await writeFile(join(reports, 'junit.xml'), JUNIT);
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await rm(work, { recursive: true, force: true });
  });

  const LAB_YAML = readFileSync(join(PROJECT_ROOT, 'lab', 'lab.yaml'), 'utf8');
  const config = () => resolveConfig(LAB_YAML, { root: PROJECT_ROOT, env: { DRBDLAB_REPORTS: reports, DRBDLAB_CACHE: join(work, 'cache') } });
  const plan = { profile: 'debian12-drbd84', image: { profile: 'debian12-drbd84', dir: '/i', disk: '/i/disk.qcow2' }, accel: { accel: 'tcg' } } as unknown as RunPlan;

  /** A world where drbd-utils' update breaks the scenario; each probe's scenario and set recorded. */
  function fake(runs: string[][]) {
    return (c: { scenario: { files: string[]; name?: string } }): AttributionPorts<string, string> => ({
      images: { good: false, bad: true },
      now: () => 0,
      layer: async (req) => ({ kind: 'image', image: req.target.find((e) => e.package === 'drbd-utils')!.version }),
      snapshot: async (image) => image,
      runScenario: async (drbdUtils) => {
        runs.push([...c.scenario.files, c.scenario.name ?? '', drbdUtils]);
        return drbdUtils === '9.22.0-2' ? 'failed' : 'passed';
      },
    });
  }

  it('follows up the DRBD failure only, on its own file and name, and writes the verdict into its result and the JUnit file', async () => {
    const runs: string[][] = [];
    const said: string[] = [];
    const out = await followUpRedRun({ config: await config(), profile: { name: 'debian12-drbd84' } as never, plan, redSet: BAD.id, reports, signal: new AbortController().signal, say: (m) => said.push(m), ports: fake(runs) as never });
    expect(out.map((a) => [a.scenario, a.verdict.kind])).toEqual([['reboot', 'introduced']]);
    expect(runs).toEqual([
      ['scenarios/02-reboot-persistence.test.ts', 'reboot', '9.22.0-2'],
      ['scenarios/02-reboot-persistence.test.ts', 'reboot', '9.22.0-1'],
      // drbd-utils' update without tzdata's: red, so it is drbd-utils.
      ['scenarios/02-reboot-persistence.test.ts', 'reboot', '9.22.0-2'],
    ]);
    expect(said).toContain('reboot red: introduced by drbd-utils 9.22.0-1 → 9.22.0-2 (drbd-utils)');
    const r1 = JSON.parse(await readFile(join(reports, 'allure-results', 'r1-result.json'), 'utf8')) as AllureResult;
    expect(r1.steps!.at(-1)!.name).toBe('Attribution: introduced by drbd-utils 9.22.0-1 → 9.22.0-2 (drbd-utils)');
    const files = await readdir(join(reports, 'allure-results'));
    expect(files.filter((f) => f.startsWith('r1-attribution-')).length).toBe(4);
    const r2 = JSON.parse(await readFile(join(reports, 'allure-results', 'r2-result.json'), 'utf8')) as AllureResult;
    expect(r2.steps).toEqual([]);
    expect(await readFile(join(reports, 'junit.xml'), 'utf8')).toBe(
      JUNIT.replace('name="reboot" time="1">', 'name="reboot" time="1"><properties><property name="attribution" value="introduced by drbd-utils 9.22.0-1 → 9.22.0-2 (drbd-utils)"/></properties>'),
    );
  });

  it('nothing to compare with (no green run with a kept set): says why, runs nothing, writes nothing', async () => {
    await writeFile(join(reports, 'history', 'versions.jsonl'), '');
    const runs: string[][] = [];
    const said: string[] = [];
    const out = await followUpRedRun({ config: await config(), profile: { name: 'debian12-drbd84' } as never, plan, redSet: BAD.id, reports, signal: new AbortController().signal, say: (m) => said.push(m), ports: fake(runs) as never });
    expect(out).toEqual([]);
    expect(runs).toEqual([]);
    expect(said).toEqual(['attribution: no green run of debian12-drbd84 with a kept package set yet: nothing to compare']);
    expect(await readFile(join(reports, 'junit.xml'), 'utf8')).toBe(JUNIT);
  });

  it("a variant's red run goes back to its own line's last green run only: the plain profile's green run is none of its", async () => {
    const runs: string[][] = [];
    const said: string[] = [];
    const profile = { name: 'debian12-drbd84', variant: 'proposed-updates' } as never;
    const out = await followUpRedRun({ config: await config(), profile, plan, redSet: BAD.id, reports, signal: new AbortController().signal, say: (m) => said.push(m), ports: fake(runs) as never });
    expect([out, runs]).toEqual([[], []]);
    expect(said).toEqual(['attribution: no green run of debian12-drbd84+proposed-updates with a kept package set yet: nothing to compare']);
  });
});
