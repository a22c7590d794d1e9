// Upstream freshness end to end, with real mmdebstrap builds: a loopback apt repository stands
// in for the archive (the recipe's test-only extra source installs its canary package into the
// image). Publishing a new canary version changes the repository's Release digest, so the
// image identity changes, the next ensureImage makes a new image (an upgrade layer on the
// first, full build), and the report's banner shows it. One mmdebstrap build (≈ 70–260 s here,
// depending on load) and one layer (≈ 20 s).

import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamUnavailableError } from '../../lib/errors.js';
import { recipeDigest } from '../../lib/image/cache.js';
import { ensureDebianImage, type DebianImage } from '../../lib/image/debian12-build.js';
import { debian12Recipe, extraFromEnv, type DebianRecipe } from '../../lib/image/debian12-recipe.js';
import { imageIdentity } from '../../lib/image/upstream-state.js';
import { publishReport } from '../../lib/report/publish.js';
import { buildDeb, debsIn, indexFlatRepo, serveDir } from '../support/apt-repo.js';

const CANARY = 'drbdlab-canary';
let work: string;
let repo: string;
let server: Awaited<ReturnType<typeof serveDir>>;
let recipe: DebianRecipe;
const said: string[] = [];
const progress = (m: string) => {
  said.push(m);
  console.log(`[freshness] ${m}`);
};
/** Pruning as after a nightly, but with no grace period: an old image goes at once. */
const prune = { graceMs: 0 };
/** The test's own image cache (and a labs folder no lab is in). */
const folders = () => ({ cache: join(work, 'cache'), state: join(work, 'labs') });

/** A file of an image's root file system (ext4 in qcow2), read with debugfs. */
async function catInImage(disk: string, path: string): Promise<string> {
  const raw = join(work, 'peek.raw');
  await execa('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', disk, raw]);
  try {
    return (await execa('debugfs', ['-R', `cat ${path}`, raw])).stdout;
  } finally {
    await rm(raw, { force: true });
  }
}

/** A new version in the repository; the next ensureImage is a new run (it asks the upstreams afresh). */
async function publishCanary(version: string): Promise<void> {
  for (const d of await debsIn(repo)) await rm(join(repo, d));
  await buildDeb(CANARY, version, repo);
  await indexFlatRepo(repo);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'drbdlab-freshness-'));
  await chmod(work, 0o755);
  repo = join(work, 'repo');
  await mkdir(repo);
  await publishCanary('1.0');
  server = await serveDir(repo);
  // The variables the recipe's extra source is read from, given here rather than set in this process.
  recipe = debian12Recipe(undefined, undefined, extraFromEnv({ DRBDLAB_EXTRA_APT_SOURCE: `deb [trusted=yes] ${server.url}/ ./`, DRBDLAB_EXTRA_PACKAGES: CANARY }));
});

afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** A run's report: the image's versions against the history, as the nightly publishes them. */
async function report(name: string, versions: Record<string, string>, now: string) {
  const results = join(work, `${name}-results`);
  await mkdir(results, { recursive: true });
  return publishReport({
    run: { versions, profile: recipe.profile },
    resultsDir: results,
    outDir: join(work, `${name}-html`),
    historyDir: join(work, 'history'),
    summaryPath: join(work, `${name}-summary.md`),
    now: new Date(now),
  });
}

describe('upstream freshness with a loopback apt repository', () => {
  let first: DebianImage;
  let second: DebianImage;
  const source = () => `${server.url} ./`;

  it('first build: the canary from 127.0.0.1 is in the image; its identity is the recipe plus every source\'s Release digest', async () => {
    first = await ensureDebianImage(recipe, progress, { folders: folders(), prune });
    expect(first.built).toBe(true);
    expect(first.versions[CANARY]).toBe('1.0');
    expect(first.upstreams?.map((u) => u.name)).toEqual([
      source(),
      'http://deb.debian.org/debian bookworm',
      'http://deb.debian.org/debian bookworm-updates',
      'http://deb.debian.org/debian-security bookworm-security',
    ]);
    // Where each tracked package came from: the canary from the loopback (flat) repository.
    expect(first.origins?.[CANARY]).toBe(source());
    expect(first.origins?.['drbd-utils']).toBe('bookworm');
    expect(first.origins?.kernel).toMatch(/^bookworm(-security|-updates)?$/u);
    expect(first.upstreams?.find((u) => u.name === source())?.url).toBe(`${server.url}/Release`);
    expect(first.digest).toBe(imageIdentity(recipeDigest(recipe), first.upstreams!));
    expect(basename(first.dir)).toBe(`debian12-drbd84-${first.digest.slice(0, 16)}`);
    await report('first', first.versions, '2026-11-26T02:00:00.000Z');
    await report('broken', {}, '2026-11-27T02:00:00.000Z'); // a night whose lab never came up
  });

  it('repository unchanged: the next run asks it once more and reuses the image', async () => {
    const before = server.requests.length;
    const again = await ensureDebianImage(recipe, progress, { folders: folders(), prune });
    expect(again).toMatchObject({ built: false, dir: first.dir, digest: first.digest });
    expect(server.requests.slice(before)).toEqual(['GET /InRelease', 'GET /Release']);
  });

  it('canary 1.1 published: new Release digest → new identity → a new image with 1.1 (a layer on the first), the banner says 1.0 → 1.1', async () => {
    await publishCanary('1.1');
    said.length = 0;
    second = await ensureDebianImage(recipe, progress, { folders: folders(), prune });
    expect(second.built).toBe(true);
    expect(second.digest).not.toBe(first.digest);
    expect(second.digest).toBe(imageIdentity(recipeDigest(recipe), second.upstreams!));
    expect(second.versions[CANARY]).toBe('1.1');
    expect(second.versions.kernel).toBe(first.versions.kernel);
    const moved = `${source()} ${first.upstreams!.find((u) => u.name === source())!.sha256.slice(0, 12)} → ${second.upstreams!.find((u) => u.name === source())!.sha256.slice(0, 12)}`;
    expect(said).toContain(`image debian12-drbd84 ${second.digest.slice(0, 12)}: building (upstream changed since image ${first.digest.slice(0, 12)}: ${moved})`);
    // The upgrade layer on the first image, which stays as its base (a full build is the base of every layer).
    expect(said.some((m) => m.startsWith(`upgrade layer on image ${first.digest.slice(0, 12)} (full build of ${first.builtAt}`))).toBe(true);
    expect(said.filter((m) => /^mmdebstrap /.test(m))).toEqual([]);
    expect(second.layeredOn).toBe(first.digest);
    expect(existsSync(first.dir)).toBe(true);
    // What the manifest says is what the disk holds.
    expect(await catInImage(second.disk, '/usr/share/drbdlab-canary/version')).toBe('1.1');
    expect(await catInImage(second.disk, '/etc/resolv.conf')).toBe('');

    const r = await report('second', second.versions, '2026-11-28T02:00:00.000Z');
    // Compared with the last run that recorded versions (the first), not the broken one.
    expect(r.previous?.timestamp).toBe('2026-11-26T02:00:00.000Z');
    expect(r.changes).toContainEqual({ kind: 'changed', name: CANARY, from: '1.0', to: '1.1' });
    expect(r.changes.filter((c) => c.kind === 'added')).toEqual([]);
    const md = await readFile(r.summaryPath, 'utf8');
    expect(md).toContain(`- ${CANARY} 1.0 → 1.1`);
    const title = (JSON.parse(await readFile(join(r.reportDir, 'summary.json'), 'utf8')) as { name: string }).name;
    expect(title).toMatch(new RegExp(`package versions changed: .*${CANARY} 1\\.0 → 1\\.1`));
  });

  it('canary 1.2: the next layer goes on the full build again, and the previous layer is pruned', async () => {
    await publishCanary('1.2');
    said.length = 0;
    const third = await ensureDebianImage(recipe, progress, { folders: folders(), prune });
    expect(third).toMatchObject({ built: true, layeredOn: first.digest });
    expect(third.versions[CANARY]).toBe('1.2');
    expect(said).toContain(`pruned old image ${second.dir}`);
    expect([existsSync(first.dir), existsSync(second.dir), existsSync(third.dir)]).toEqual([true, false, true]);
    second = third;
  });

  it('offline: the repository gone, the cached image is used without asking, and it says so; online it is "upstream unavailable"', async () => {
    await server.close();
    said.length = 0;
    const offline = await ensureDebianImage(recipe, progress, { folders: folders(), offline: true, prune });
    expect(offline).toMatchObject({ built: false, offline: true, dir: second.dir });
    expect(said).toEqual([`offline: upstreams not asked; image debian12-drbd84 ${second.digest.slice(0, 12)} as cached (built ${second.builtAt})`]);
    const err = await ensureDebianImage(recipe, progress, { folders: folders(), prune }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamUnavailableError);
    expect((err as Error).message).toMatch(new RegExp(`^upstream unavailable: ${source().replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: cannot reach 127\\.0\\.0\\.1:\\d+ .*--offline`));
  });
});
