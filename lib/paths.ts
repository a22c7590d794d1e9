// Where the project is (the checkout) and the shape of a run's folders. Which folders a run uses
// is its configuration's to say (lib/config/config.ts, Config.paths), read once at the edge and
// passed down: nothing here reads the environment.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

/**
 * The folders of a run, as its configuration says (Config.paths: DRBDLAB_STATE, DRBDLAB_CACHE,
 * DRBDLAB_SNAPSHOTS, DRBDLAB_REPORTS): read once at the edge and handed down as values.
 */
export interface Folders {
  /** Running labs: `<state>/<labId>/…`. */
  state: string;
  /** Images (content-addressed by identity), downloads, the package store, the hypervisor verdict. */
  cache: string;
  /** The cluster snapshot cache. */
  snapshots: string;
  /** Where a run leaves its reports. */
  reports: string;
}

/** The folders when nothing says otherwise: under a checkout (a test: under a folder of its own). */
export function defaultFolders(root: string): Folders {
  const cache = join(root, '.cache');
  return { state: join(root, '.lab'), cache, snapshots: join(cache, 'snapshots'), reports: join(root, 'reports') };
}
