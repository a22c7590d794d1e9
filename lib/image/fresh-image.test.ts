import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { imageDir, LAST_USED_FILE, recipeDigest } from './cache.js';
import { afterBuild, NoCachedImageError, planImage, type PlanOptions } from './fresh-image.js';
import { openPathsOnHost, pruneImages } from './prune.js';
import { open } from 'node:fs/promises';
import { aptReleaseCheck, imageIdentity, type FetchLike, type UpstreamCheck, type UpstreamDigest } from './upstream-state.js';
import { debian12Recipe, debianAptSources } from './debian12-recipe.js';

let cache: string;
/** The cache under test, and a labs folder (pruning's seam stands in for the labs here). */
const folders = () => ({ cache, state: join(cache, 'labs') });
beforeEach(async () => {
  cache = await mkdtemp(join(tmpdir(), 'drbdlab-fresh-'));
});
afterEach(async () => {
  await rm(cache, { recursive: true, force: true });
});

const P = 'debian12-drbd84';
const RECIPE = '1'.repeat(64);
const SRC = 'http://deb.debian.org/debian bookworm';

/** An upstream whose digest the test sets; counts how often it was read. */
function upstream(name: string, digest: { h: string }, reads: { n: number }): UpstreamCheck {
  return { name, read: async () => (reads.n++, { name, url: `${name}/InRelease`, sha256: digest.h.repeat(64) }) };
}

async function cacheImage(digest: string, extra: Record<string, unknown> = {}): Promise<string> {
  const dir = imageDir(cache, P, digest);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'manifest.json'), JSON.stringify({ digest, disk: join(dir, 'disk.qcow2'), versions: {}, ...extra }));
  return dir;
}

describe('planImage', () => {
  const archive = { h: 'a' };
  const reads = { n: 0 };
  const said: string[] = [];
  const opts = (o: Partial<PlanOptions> = {}): PlanOptions => ({
    cache,
    profile: P,
    recipeDigest: RECIPE,
    checks: [upstream(SRC, archive, reads)],
    progress: (m) => said.push(m),
    offline: false,
    ...o,
  });
  beforeEach(() => {
    archive.h = 'a';
    reads.n = 0;
    said.length = 0;
  });
  const stateOf = (h: string): UpstreamDigest[] => [{ name: SRC, url: `${SRC}/InRelease`, sha256: h.repeat(64) }];

  it('nothing cached: build, under the identity of recipe + upstreams (not the recipe alone)', async () => {
    const plan = await planImage(opts());
    expect(plan).toEqual({ kind: 'build', identity: imageIdentity(RECIPE, stateOf('a')), recipeDigest: RECIPE, upstreams: stateOf('a') });
    expect(plan.kind === 'build' && plan.identity).not.toBe(RECIPE);
    expect(reads.n).toBe(1);
    expect(said.at(-1)).toMatch(/: building \(no cached image of this recipe\)$/);
  });

  it('upstreams unchanged: the cached image, stamped as used', async () => {
    const dir = await cacheImage(imageIdentity(RECIPE, stateOf('a')), { recipeDigest: RECIPE, upstreams: stateOf('a') });
    const plan = await planImage(opts());
    expect(plan).toMatchObject({ kind: 'cached', offline: false, image: { dir } });
    expect(existsSync(join(dir, LAST_USED_FILE))).toBe(true);
    expect(said).toEqual([`upstream ${SRC}: InRelease sha256 ${'a'.repeat(12)}`, `image ${P} ${imageIdentity(RECIPE, stateOf('a')).slice(0, 12)} cached (recipe and upstreams unchanged)`]);
  });

  it('an upstream changed: the old image is not reused; the build says which upstream moved', async () => {
    const old = imageIdentity(RECIPE, stateOf('a'));
    await cacheImage(old, { recipeDigest: RECIPE, upstreams: stateOf('a') });
    archive.h = 'b';
    const plan = await planImage(opts());
    expect(plan).toMatchObject({ kind: 'build', identity: imageIdentity(RECIPE, stateOf('b')) });
    expect(said.at(-1)).toBe(
      `image ${P} ${imageIdentity(RECIPE, stateOf('b')).slice(0, 12)}: building (upstream changed since image ${old.slice(0, 12)}: ${SRC} ${'a'.repeat(12)} → ${'b'.repeat(12)})`,
    );
  });

  it('an image made before upstream tracking (folder = recipe digest) is rebuilt once online', async () => {
    await cacheImage(RECIPE);
    const plan = await planImage(opts());
    expect(plan.kind).toBe('build');
    expect(said.at(-1)).toMatch(new RegExp(`building \\(image ${RECIPE.slice(0, 12)} recorded no upstream state\\)$`));
  });

  it('offline: the newest image of the recipe, upstreams never read, and it says so', async () => {
    await cacheImage(imageIdentity(RECIPE, stateOf('a')), { recipeDigest: RECIPE, upstreams: stateOf('a'), builtAt: '2026-11-01T00:00:00.000Z' });
    const newest = await cacheImage(imageIdentity(RECIPE, stateOf('b')), { recipeDigest: RECIPE, upstreams: stateOf('b'), builtAt: '2026-11-20T00:00:00.000Z' });
    await cacheImage(imageIdentity('2'.repeat(64), stateOf('c')), { recipeDigest: '2'.repeat(64), builtAt: '2026-11-27T00:00:00.000Z' }); // another recipe
    const plan = await planImage(opts({ offline: true }));
    expect(plan).toMatchObject({ kind: 'cached', offline: true, image: { dir: newest } });
    expect(reads.n).toBe(0);
    expect(said).toEqual([`offline: upstreams not asked; image ${P} ${imageIdentity(RECIPE, stateOf('b')).slice(0, 12)} as cached (built 2026-11-20T00:00:00.000Z)`]);
  });

  it('offline with nothing cached for the recipe: one UsageError line saying what to do', async () => {
    await cacheImage(imageIdentity('2'.repeat(64), stateOf('c')), { recipeDigest: '2'.repeat(64) });
    const err = await planImage(opts({ offline: true })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoCachedImageError);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(
      `--offline: no cached ${P} image for this recipe in ${join(cache, 'images')}: run \`npm run lab -- image build --profile ${P}\` once with network access (or drop --offline / DRBDLAB_OFFLINE)`,
    );
    expect(reads.n).toBe(0);
  });

  it('every call asks the upstreams (a run calls it once, for its plan): after the archive moved, another image', async () => {
    const first = await planImage(opts());
    archive.h = 'b';
    const second = await planImage(opts());
    expect(reads.n).toBe(2);
    expect(second).toMatchObject({ kind: 'build', identity: imageIdentity(RECIPE, stateOf('b')) });
    expect(second).not.toEqual(first);
  });

  it('a failed read is not remembered: the next call asks again', async () => {
    let fail = true;
    const flaky: UpstreamCheck = {
      name: SRC,
      read: async () => {
        reads.n++;
        if (fail) throw new Error('timeout');
        return { name: SRC, url: 'u', sha256: 'a'.repeat(64) };
      },
    };
    await expect(planImage(opts({ checks: [flaky] }))).rejects.toThrow('timeout');
    fail = false;
    expect((await planImage(opts({ checks: [flaky] }))).kind).toBe('build');
    expect(reads.n).toBe(2);
  });

  it('reachability is asked first: an unreachable profile reads no upstream', async () => {
    const err = new Error('unreachable');
    await expect(planImage(opts({ beforeAsking: async () => Promise.reject(err) }))).rejects.toBe(err);
    expect(reads.n).toBe(0);
  });
});

describe('pruneImages', () => {
  const nothingOpen = async () => new Set<string>();
  const noLabs = async () => [] as string[];
  const hoursAgo = async (dir: string, h: number) => {
    const t = new Date(Date.now() - h * 3_600_000);
    await writeFile(join(dir, LAST_USED_FILE), '');
    await utimes(join(dir, LAST_USED_FILE), t, t);
  };

  it('after a build the profile\'s other images go; other profiles and half-built folders stay', async () => {
    const fresh = await cacheImage('b'.repeat(64));
    const old = await cacheImage('a'.repeat(64));
    await hoursAgo(old, 25);
    const building = `${imageDir(cache, P, 'c'.repeat(64))}.building-1-2`;
    await mkdir(building, { recursive: true });
    const other = join(cache, 'images', `ubuntu1804-drbd9-${'d'.repeat(16)}`);
    await mkdir(other, { recursive: true });
    await writeFile(join(other, 'manifest.json'), '{"digest":"d","disk":"x","versions":{}}');
    const said: string[] = [];
    await afterBuild(folders(), P, [fresh], (m) => said.push(m), { openPaths: nothingOpen, labImageDirs: noLabs });
    expect(said).toEqual([`pruned old image ${old}`]);
    expect([existsSync(fresh), existsSync(old), existsSync(building), existsSync(other)]).toEqual([true, false, true, true]);
    expect(await readFile(join(fresh, LAST_USED_FILE), 'utf8')).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('kept: open by a process (a running lab\'s QEMU), named by a lab state, used within the grace period, or when not every process can be seen', async () => {
    const keep = await cacheImage('0'.repeat(64));
    const open = await cacheImage('a'.repeat(64));
    const lab = await cacheImage('b'.repeat(64));
    const recent = await cacheImage('c'.repeat(64));
    for (const d of [open, lab]) await hoursAgo(d, 48);
    await hoursAgo(recent, 0.5);
    const r = await pruneImages(folders(), P, keep, { openPaths: async () => new Set([join(open, 'disk.qcow2')]), labImageDirs: async () => [lab] });
    expect(r.removed).toEqual([]);
    expect(Object.fromEntries(r.kept.map((k) => [k.dir, k.why]))).toEqual({
      [open]: 'a process has it open (a running lab)',
      [lab]: 'a lab here was cloned from it',
      [recent]: 'used 30 min ago',
    });
    const blind = await pruneImages(folders(), P, keep, { openPaths: async () => undefined, labImageDirs: noLabs });
    expect(blind.removed).toEqual([]);
    expect(blind.kept.map((k) => k.why)).toEqual(Array(3).fill("not every process's open files can be seen (run as root to prune)"));
  });

  it('a variant\'s images are a line of their own: a plain build leaves them, a variant\'s build prunes only its own', async () => {
    const plainOld = await cacheImage('a'.repeat(64));
    const puOld = await cacheImage('b'.repeat(64), { variant: 'proposed-updates' });
    const bpoOld = await cacheImage('c'.repeat(64), { variant: 'backports' });
    for (const d of [plainOld, puOld, bpoOld]) await hoursAgo(d, 25);
    const deps = { openPaths: nothingOpen, labImageDirs: noLabs };
    const plainNew = await cacheImage('d'.repeat(64));
    expect((await pruneImages(folders(), P, plainNew, deps)).removed).toEqual([plainOld]);
    const puNew = await cacheImage('e'.repeat(64), { variant: 'proposed-updates' });
    const said: string[] = [];
    await afterBuild(folders(), P, [puNew], (m) => said.push(m), deps, 'proposed-updates');
    expect(said).toEqual([`pruned old image ${puOld}`]);
    expect([plainNew, puNew, bpoOld].map((d) => existsSync(d))).toEqual([true, true, true]);
  });

  it('openPathsOnHost sees what a process holds open (here: this one)', async () => {
    const f = join(cache, 'held.qcow2');
    await writeFile(f, '');
    const h = await open(f, 'r');
    try {
      const paths = await openPathsOnHost();
      // As root every process can be looked at; as another user the answer is "cannot see all".
      if (process.getuid?.() === 0) expect(paths?.has(f)).toBe(true);
      else expect(paths === undefined || paths.has(f)).toBe(true);
    } finally {
      await h.close();
    }
  });
});

describe('the real Debian recipe\'s upstreams', () => {
  it('a new bookworm-security Release (a kernel security update) makes the next run build, naming it', async () => {
    const recipe = debian12Recipe('http://deb.debian.org/debian', 'http://deb.debian.org/debian-security');
    const bodies: Record<string, string> = {
      'http://deb.debian.org/debian/dists/bookworm/InRelease': 'release',
      'http://deb.debian.org/debian/dists/bookworm-updates/InRelease': 'updates',
      'http://deb.debian.org/debian-security/dists/bookworm-security/InRelease': 'security 1',
    };
    const asked: string[] = [];
    const fetch: FetchLike = async (url) => (asked.push(url), url in bodies ? new Response(bodies[url]) : new Response('', { status: 404 }));
    const said: string[] = [];
    const opts = (): PlanOptions => ({ cache, profile: P, recipeDigest: RECIPE, checks: debianAptSources(recipe).map(aptReleaseCheck), progress: (m) => said.push(m), offline: false, fetch });
    const first = await planImage(opts());
    expect(asked.sort()).toEqual(Object.keys(bodies).sort());
    if (first.kind !== 'build') throw new Error('expected a build');
    await cacheImage(first.identity, { recipeDigest: RECIPE, upstreams: first.upstreams });
    expect((await planImage(opts())).kind).toBe('cached');
    bodies['http://deb.debian.org/debian-security/dists/bookworm-security/InRelease'] = 'security 2';
    const next = await planImage(opts());
    expect(next.kind).toBe('build');
    expect(said.at(-1)).toMatch(/upstream changed since image .*: http:\/\/deb\.debian\.org\/debian-security bookworm-security /);
  });

  it('a proposed-updates variant: its own identity (the suite\'s Release digest in it); a new proposed-updates Release builds the variant, not the plain line', async () => {
    const bodies: Record<string, string> = {
      'http://deb.debian.org/debian/dists/bookworm/InRelease': 'release',
      'http://deb.debian.org/debian/dists/bookworm-updates/InRelease': 'updates',
      'http://deb.debian.org/debian-security/dists/bookworm-security/InRelease': 'security',
      'http://deb.debian.org/debian/dists/bookworm-proposed-updates/InRelease': 'proposed 1',
    };
    const fetch: FetchLike = async (url) => (url in bodies ? new Response(bodies[url]) : new Response('', { status: 404 }));
    const said: string[] = [];
    const planOf = (suites?: ['proposed-updates']) => {
      const recipe = debian12Recipe('http://deb.debian.org/debian', 'http://deb.debian.org/debian-security', undefined, suites);
      return planImage({ cache, profile: P, recipeDigest: recipeDigest(recipe), checks: debianAptSources(recipe).map(aptReleaseCheck), progress: (m) => said.push(m), offline: false, fetch });
    };
    const plain = await planOf();
    const variant = await planOf(['proposed-updates']);
    if (plain.kind !== 'build' || variant.kind !== 'build') throw new Error('expected builds');
    expect(variant.identity).not.toBe(plain.identity);
    expect(variant.upstreams.map((u) => u.name)).toContain('http://deb.debian.org/debian bookworm-proposed-updates');
    expect(plain.upstreams.map((u) => u.name)).not.toContain('http://deb.debian.org/debian bookworm-proposed-updates');
    for (const p of [plain, variant]) await cacheImage(p.identity, { recipeDigest: p.recipeDigest, upstreams: p.upstreams });
    bodies['http://deb.debian.org/debian/dists/bookworm-proposed-updates/InRelease'] = 'proposed 2';
    expect((await planOf()).kind).toBe('cached');
    expect((await planOf(['proposed-updates'])).kind).toBe('build');
    expect(said.at(-1)).toMatch(/upstream changed since image .*: http:\/\/deb\.debian\.org\/debian bookworm-proposed-updates /);
  });
});

