// The state of an image's upstreams: a digest per source the build reads from (an apt
// source's InRelease/Release, a cloud image's SHA256SUMS entry). An image's identity is its
// recipe digest plus these, so a new kernel or drbd-utils in the archive gives a new image.
// Each is one small GET with a short timeout: cheap enough to ask on every run.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { UpstreamUnavailableError } from '../errors.js';
import { releaseUrls, sourceName, type AptSource } from './apt-source.js';
import { canonicalJson } from './canonical-json.js';
import { parseSha256Sums } from './sha256sums.js';

export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

/** One upstream as it is now. */
export interface UpstreamDigest {
  /** `http://deb.debian.org/debian bookworm`, `…/SHA256SUMS#bionic-server-cloudimg-amd64.img` */
  name: string;
  /** What was read (InRelease, or Release where there is none). */
  url: string;
  sha256: string;
}

export interface UpstreamCheck {
  name: string;
  read(fetchImpl: FetchLike, timeoutMs: number): Promise<UpstreamDigest>;
}

const UPSTREAM_TIMEOUT_MS = 15_000;
const OFFLINE_HINT = '--offline (DRBDLAB_OFFLINE=1) uses the cached image without asking';

function hostOf(url: string): string {
  try {
    return new URL(url).host || url;
  } catch {
    return url;
  }
}

/** The body of `url`, or undefined on 404 (the caller may try another file); anything else throws. */
async function getBody(url: string, name: string, fetchImpl: FetchLike, timeoutMs: number): Promise<Buffer | undefined> {
  if (url.startsWith('file:')) {
    return readFile(fileURLToPath(url)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw new UpstreamUnavailableError(name, `cannot read ${url}: ${err.message}`);
    });
  }
  let res: Response;
  try {
    res = await fetchImpl(url, { redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : (e.cause?.code ?? e.message);
    throw new UpstreamUnavailableError(name, `cannot reach ${hostOf(url)} for ${url} (${why}); ${OFFLINE_HINT}`);
  }
  if (res.status === 404) return undefined;
  if (!res.ok) throw new UpstreamUnavailableError(name, `${url}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}; ${OFFLINE_HINT}`);
  return Buffer.from(await res.arrayBuffer());
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** An apt source: the sha256 of its InRelease (Release where it has none). */
export function aptReleaseCheck(source: AptSource): UpstreamCheck {
  const name = sourceName(source);
  return {
    name,
    async read(fetchImpl, timeoutMs) {
      for (const url of releaseUrls(source)) {
        const body = await getBody(url, name, fetchImpl, timeoutMs);
        if (body) return { name, url, sha256: sha256(body) };
      }
      throw new UpstreamUnavailableError(name, `neither InRelease nor Release is published (${releaseUrls(source).join(', ')}: 404)`);
    },
  };
}

/** A file published with a SHA256SUMS beside it: the digest its line gives (a new build, a new line). */
export function sha256sumsEntryCheck(sumsUrl: string, file: string): UpstreamCheck {
  const name = `${sumsUrl}#${file}`;
  return {
    name,
    async read(fetchImpl, timeoutMs) {
      const body = await getBody(sumsUrl, name, fetchImpl, timeoutMs);
      if (!body) throw new UpstreamUnavailableError(sumsUrl, 'HTTP 404: no longer published there');
      const entry = parseSha256Sums(body.toString('utf8'), sumsUrl).get(file);
      if (!entry) throw new UpstreamUnavailableError(name, `${sumsUrl} no longer lists ${file}`);
      return { name, url: sumsUrl, sha256: entry };
    },
  };
}

/**
 * Every upstream now (asked at once), sorted by name. One that cannot be read fails the lot:
 * the first in the order given, whichever answered first.
 */
export async function readUpstreamState(
  checks: readonly UpstreamCheck[],
  opts: { fetch?: FetchLike; timeoutMs?: number } = {},
): Promise<UpstreamDigest[]> {
  const fetchImpl = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? UPSTREAM_TIMEOUT_MS;
  const settled = await Promise.allSettled(checks.map((c) => c.read(fetchImpl, timeoutMs)));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  const state = settled.map((s) => (s as PromiseFulfilledResult<UpstreamDigest>).value);
  return state.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * An image's identity: its recipe and the state of its upstreams. Only names and digests
 * count (not which of InRelease/Release was read, nor the order they were asked in).
 */
export function imageIdentity(recipeDigest: string, upstreams: readonly UpstreamDigest[]): string {
  const state = [...upstreams].map((u) => [u.name, u.sha256]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
  return sha256(canonicalJson({ recipe: recipeDigest, upstreams: state }));
}

/** What differs from an earlier state, one phrase each: `http://… bookworm 1a2b3c4d… → 5e6f7a8b…`. */
export function upstreamChanges(before: readonly UpstreamDigest[], now: readonly UpstreamDigest[]): string[] {
  const old = new Map(before.map((u) => [u.name, u.sha256]));
  const cur = new Map(now.map((u) => [u.name, u.sha256]));
  const short = (h: string) => h.slice(0, 12);
  const out: string[] = [];
  for (const [name, h] of cur) {
    const was = old.get(name);
    if (was === undefined) out.push(`${name} new`);
    else if (was !== h) out.push(`${name} ${short(was)} → ${short(h)}`);
  }
  for (const name of old.keys()) if (!cur.has(name)) out.push(`${name} no longer used`);
  return out;
}
