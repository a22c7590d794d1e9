// `bisect` on bad input, through the CLI as a user runs it: each missing thing is one line naming
// it, exit 2, before any lab work (no libvirt asked, nothing made).
import { execa } from 'execa';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageSetId, type PackageEntry, type PackageSetManifest } from '../../image/package-set.js';
import { PROJECT_ROOT } from '../../paths.js';

const entry = (pkg: string, version: string): PackageEntry => ({ package: pkg, version, arch: 'amd64', source: pkg, sourceVersion: version, sha256: `${pkg}${version}`.replace(/[^0-9a-f]/g, 'a').padEnd(64, '0'), size: 1 });
const set = (entries: PackageEntry[]): PackageSetManifest => ({ id: packageSetId(entries), profile: 'debian12-drbd84', createdAt: '2026-12-01T05:00:00.000Z', entries });

const GREEN = set([entry('drbd-utils', '9.22.0-1')]);
const RED = set([entry('drbd-utils', '9.22.0-2')]);
const PRUNED = set([entry('drbd-utils', '9.22.0-3')]);
const run = (timestamp: string, packageSet?: string, green = false) => ({ timestamp, profile: 'debian12-drbd84', versions: { 'drbd-utils': '9' }, ...(packageSet ? { packageSet } : {}), ...(green ? { green } : {}) });

describe('npm run lab -- bisect on bad input', { timeout: 60_000 }, () => {
  let work: string;
  let env: Record<string, string>;
  const bisect = async (...args: string[]) => {
    const r = await execa('node', ['--import', 'tsx', 'lib/cli/main.ts', 'bisect', ...args], { cwd: PROJECT_ROOT, env, reject: false, all: true });
    return { exitCode: r.exitCode, stderr: r.stderr.trim(), all: String(r.all ?? '') };
  };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'drbdlab-bisect-'));
    env = { DRBDLAB_REPORTS: join(work, 'reports'), DRBDLAB_CACHE: join(work, 'cache') };
    await mkdir(join(work, 'reports', 'history'), { recursive: true });
    await mkdir(join(work, 'cache', 'packages', 'sets'), { recursive: true });
    for (const s of [GREEN, RED]) await writeFile(join(work, 'cache', 'packages', 'sets', `${s.id}.json`), JSON.stringify(s));
    const history = [
      { ...run('2026-11-29T05:00:00.000Z', GREEN.id, true), variant: 'proposed-updates' },
      run('2026-11-30T05:00:00.000Z'),
      run('2026-12-01T05:00:00.000Z', GREEN.id, true),
      run('2026-12-02T05:00:00.000Z', PRUNED.id),
      run('2026-12-03T05:00:00.000Z', RED.id),
      run('2026-12-03T06:00:00.000Z', RED.id),
    ];
    await writeFile(join(work, 'reports', 'history', 'versions.jsonl'), history.map((h) => JSON.stringify(h)).join('\n') + '\n');
  });

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  const history = () => join(work, 'reports', 'history', 'versions.jsonl');

  it('an unknown run: one line naming it and where run ids come from, exit 2', async () => {
    const r = await bisect('--good', '2025-01-01', '--bad', '2026-12-03T05');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(`drbdlab: --good 2025-01-01: no recorded run has that id (run ids are the timestamps in ${history()}, the newest 2026-12-03T06:00:00.000Z)`);
  });

  it('a start of an id that names two runs: give more of it', async () => {
    const r = await bisect('--good', '2026-12-01', '--bad', '2026-12-03');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe('drbdlab: --bad 2026-12-03: 2 recorded runs start so: give more of its timestamp');
  });

  it('a run that recorded no package set', async () => {
    const r = await bisect('--good', '2026-11-30', '--bad', '2026-12-03T05');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe('drbdlab: --good 2026-11-30: that run recorded no package set (its image was made before sets were kept, or its lab never came up)');
  });

  it('a set pruned from the package store: which run, which set', async () => {
    const r = await bisect('--good', '2026-12-01', '--bad', '2026-12-02');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(`drbdlab: --bad 2026-12-02: its package set ${PRUNED.id.slice(0, 12)} is no longer in the package store (pruned to its bound, DRBDLAB_PACKAGE_CACHE_GIB): nothing to go back to`);
  });

  it('runs of two lines (a plain run, a proposed-updates run): one line naming both, exit 2', async () => {
    const r = await bisect('--good', '2026-11-29', '--bad', '2026-12-03T05');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe('drbdlab: --good and --bad are runs of different variants (debian12-drbd84+proposed-updates, debian12-drbd84): bisect between two runs of one line');
  });

  it('two runs of the same set: nothing to bisect', async () => {
    const r = await bisect('--good', '2026-12-03T05', '--bad', '2026-12-03T06');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(`drbdlab: --good and --bad ran the same package set ${RED.id.slice(0, 12)}: no update between them to bisect`);
  });

  it('both sets kept but no image of either cached: says so, exit 2, and nothing is made', async () => {
    const r = await bisect('--good', '2026-12-01', '--bad', '2026-12-03T05');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(`drbdlab: no cached image of either run's package set (${GREEN.id.slice(0, 12)}, ${RED.id.slice(0, 12)}): probes are layers on one of them; run the nightly again to make one`);
    expect((await readdir(join(work, 'cache'))).sort()).toEqual(['packages']);
    expect((await readdir(join(work, 'reports'))).sort()).toEqual(['history']);
  });

  it('a budget that is no number of minutes: one line, exit 2', async () => {
    const r = await bisect('--good', '2026-12-01', '--bad', '2026-12-03T05', '--attribution-budget', 'soon');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe('drbdlab: --attribution-budget soon: give minutes, a number above 0 (e.g. 90)');
  });

  it('without --good or --bad: commander\'s line, exit 2', async () => {
    const r = await bisect('--bad', '2026-12-03T05');
    expect(r.exitCode).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe("error: required option '--good <run>' not specified");
  });
});
