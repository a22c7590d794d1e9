import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamUnavailableError } from '../errors.js';
import { parseSourcesLine } from './apt-source.js';
import { aptReleaseCheck, imageIdentity, readUpstreamState, sha256sumsEntryCheck, upstreamChanges, type UpstreamDigest } from './upstream-state.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** A loopback server: path → body (200), or 'hang' (never answers); anything else 404. */
const routes = new Map<string, string>();
const requests: string[] = [];
let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const body = routes.get(req.url ?? '');
    if (body === 'hang') return;
    if (body === '500') return void res.writeHead(500).end();
    if (body === undefined) return void res.writeHead(404).end();
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('aptReleaseCheck', () => {
  it('hashes the InRelease body, in one request', async () => {
    routes.clear();
    requests.length = 0;
    routes.set('/debian/dists/bookworm/InRelease', 'Origin: Debian\nSuite: stable\n');
    const d = await aptReleaseCheck(parseSourcesLine(`deb ${base}/debian bookworm main`)).read(fetch, 2_000);
    expect(d).toEqual({ name: `${base}/debian bookworm`, url: `${base}/debian/dists/bookworm/InRelease`, sha256: sha('Origin: Debian\nSuite: stable\n') });
    expect(requests).toEqual(['GET /debian/dists/bookworm/InRelease']);
  });

  it('no InRelease (404): the Release file instead', async () => {
    routes.clear();
    routes.set('/repo/Release', 'Date: today\n');
    const d = await aptReleaseCheck(parseSourcesLine(`deb [trusted=yes] ${base}/repo ./`)).read(fetch, 2_000);
    expect(d).toEqual({ name: `${base}/repo ./`, url: `${base}/repo/Release`, sha256: sha('Date: today\n') });
  });

  it('neither, an HTTP error, no answer in time, nobody listening: UpstreamUnavailableError naming the source and --offline', async () => {
    routes.clear();
    routes.set('/err/dists/s/InRelease', '500');
    routes.set('/slow/dists/s/InRelease', 'hang');
    const check = (uri: string) => aptReleaseCheck(parseSourcesLine(`deb ${uri} s main`)).read(fetch, 500).catch((e: unknown) => e);
    const none = await check(`${base}/none`);
    expect(none).toBeInstanceOf(UpstreamUnavailableError);
    expect((none as Error).message).toBe(`upstream unavailable: ${base}/none s: neither InRelease nor Release is published (${base}/none/dists/s/InRelease, ${base}/none/dists/s/Release: 404)`);
    expect((await check(`${base}/err`) as Error).message).toBe(
      `upstream unavailable: ${base}/err s: ${base}/err/dists/s/InRelease: HTTP 500 Internal Server Error; --offline (DRBDLAB_OFFLINE=1) uses the cached image without asking`,
    );
    expect((await check(`${base}/slow`) as Error).message).toMatch(/: cannot reach 127\.0\.0\.1:\d+ for .*\/slow\/dists\/s\/InRelease \(no answer within 0\.5 s\); --offline/);
    // A port nobody listens on: take one from the OS and close it again.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const refused = await check(`http://127.0.0.1:${port}/x`);
    expect(refused).toBeInstanceOf(UpstreamUnavailableError);
    expect((refused as Error).message).toMatch(/cannot reach 127\.0\.0\.1:\d+ .*\(ECONNREFUSED\)/);
  });
});

describe('sha256sumsEntryCheck', () => {
  it('the entry of the file, not the digest of the whole list (other images may change beside it)', async () => {
    routes.clear();
    routes.set('/rel/SHA256SUMS', `${'a'.repeat(64)} *img.img\n${'b'.repeat(64)} *other.img\n`);
    const c = sha256sumsEntryCheck(`${base}/rel/SHA256SUMS`, 'img.img');
    expect(await c.read(fetch, 2_000)).toEqual({ name: `${base}/rel/SHA256SUMS#img.img`, url: `${base}/rel/SHA256SUMS`, sha256: 'a'.repeat(64) });
    routes.set('/rel/SHA256SUMS', `${'a'.repeat(64)} *img.img\n${'e'.repeat(64)} *other.img\n`);
    expect((await c.read(fetch, 2_000)).sha256).toBe('a'.repeat(64));
    await expect(sha256sumsEntryCheck(`${base}/rel/SHA256SUMS`, 'gone.img').read(fetch, 2_000)).rejects.toThrow(`no longer lists gone.img`);
  });
});

describe('readUpstreamState', () => {
  it('sorted by name; one that fails fails the lot, the first in the order given', async () => {
    routes.clear();
    routes.set('/b/dists/s/InRelease', 'B');
    routes.set('/a/dists/s/InRelease', 'A');
    const src = (p: string) => aptReleaseCheck(parseSourcesLine(`deb ${base}/${p} s main`));
    expect((await readUpstreamState([src('b'), src('a')])).map((u) => u.name)).toEqual([`${base}/a s`, `${base}/b s`]);
    await expect(readUpstreamState([src('a'), src('gone1'), src('gone2')])).rejects.toThrow(`upstream unavailable: ${base}/gone1 s:`);
  });
});

describe('imageIdentity', () => {
  const up = (name: string, h: string, url = `${name}/InRelease`): UpstreamDigest => ({ name, url, sha256: h.repeat(64) });
  const recipe = 'f'.repeat(64);
  const state = [up('http://deb.debian.org/debian bookworm', 'a'), up('http://127.0.0.1:1/repo ./', 'b')];

  it('same recipe and same upstream digests: same identity, whatever the order or which file was read', () => {
    const id = imageIdentity(recipe, state);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(imageIdentity(recipe, [...state].reverse())).toBe(id);
    expect(imageIdentity(recipe, [state[0]!, up('http://127.0.0.1:1/repo ./', 'b', 'http://127.0.0.1:1/repo/Release')])).toBe(id);
  });

  it('a new digest of any upstream, another upstream, or another recipe: another identity', () => {
    const id = imageIdentity(recipe, state);
    expect(imageIdentity(recipe, [state[0]!, up('http://127.0.0.1:1/repo ./', 'c')])).not.toBe(id);
    expect(imageIdentity(recipe, [up('http://deb.debian.org/debian bookworm', 'd'), state[1]!])).not.toBe(id);
    expect(imageIdentity(recipe, state.slice(0, 1))).not.toBe(id);
    expect(imageIdentity('e'.repeat(64), state)).not.toBe(id);
    expect(imageIdentity(recipe, [])).not.toBe(recipe); // never the bare recipe digest of images made before
  });

  it('upstreamChanges: what moved, in words', () => {
    expect(upstreamChanges(state, [up('http://deb.debian.org/debian bookworm', 'c'), up('http://x s', 'd')])).toEqual([
      `http://deb.debian.org/debian bookworm ${'a'.repeat(12)} → ${'c'.repeat(12)}`,
      'http://x s new',
      'http://127.0.0.1:1/repo ./ no longer used',
    ]);
    expect(upstreamChanges(state, state)).toEqual([]);
  });
});
