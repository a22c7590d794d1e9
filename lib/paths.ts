// Where the project keeps its files: the checkout, reports, the image cache, snapshots, labs.
// Every room below uses these; none of them is about images or labs in particular.
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Where a run leaves its reports; DRBDLAB_REPORTS gives two jobs on one host a folder each. */
export function reportsRoot(): string {
  return resolve(process.env.DRBDLAB_REPORTS ?? join(PROJECT_ROOT, 'reports'));
}

/**
 * Images are cached content-addressed by identity (recipe + the state of its upstreams, see
 * image/upstream-state.ts): same recipe and same archive, same folder, no rebuild.
 */
export function cacheRoot(): string {
  return resolve(process.env.DRBDLAB_CACHE ?? join(PROJECT_ROOT, '.cache'));
}

/** DRBDLAB_SNAPSHOTS: another snapshot cache (the bench makes a snapshot of its own there). */
export function snapshotsRoot(): string {
  return resolve(process.env.DRBDLAB_SNAPSHOTS ?? join(cacheRoot(), 'snapshots'));
}

/** Where running labs keep their files: `<root>/<labId>/…`. */
export function labsRoot(): string {
  return resolve(process.env.DRBDLAB_STATE ?? join(PROJECT_ROOT, '.lab'));
}
