// The union of several runners' folders of one kind (allure-results, recordings, runs, console).

import { cp, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { MergeConflictError } from '../errors.js';

export interface Source {
  /** How errors and folders name this runner: `shard 1/2 (shards/a)`, `shard-1-of-2`. */
  label: string;
  folderName: string;
  dir: string;
}

const exists = (p: string) => stat(p).then(() => true, () => false);

const sameBytes = async (a: string, b: string) => (await readFile(a)).equals(await readFile(b));

/**
 * Copy `<source>/<sub>` of every source into `dest`. Allure names results and attachments by
 * UUID, recordings by scenario, runs by time, so the shards of one run never share a path; a
 * shared path with the same bytes is kept once, with other bytes it is a MergeConflictError
 * (never one silently overwriting the other). Returns how many files were copied.
 */
export async function unionFolders(sources: readonly Source[], sub: string, dest: string): Promise<number> {
  const origin = new Map<string, string>();
  let copied = 0;
  for (const s of sources) {
    const from = join(s.dir, sub);
    if (!(await exists(from))) continue;
    await cp(from, dest, {
      recursive: true,
      force: false,
      errorOnExist: true, // the filter below decides first; this only guards against a race
      filter: async (src, to) => {
        if ((await stat(src)).isDirectory()) return true;
        const rel = join(sub, relative(dest, to));
        if (await exists(to)) {
          if (await sameBytes(src, to)) return false;
          throw new MergeConflictError(rel, origin.get(to) ?? 'an earlier folder', s.label);
        }
        origin.set(to, s.label);
        copied++;
        return true;
      },
    });
  }
  return copied;
}

/**
 * Copy `<source>/<sub>` of every source into `dest`, keeping files whose names collide apart:
 * each runner's copy goes to `dest/<folderName>/<name>` (every shard's lab has a drbd1.log).
 * Names only one runner has stay at `dest/<name>`.
 */
export async function unionApart(sources: readonly Source[], sub: string, dest: string): Promise<number> {
  const files = await Promise.all(
    sources.map(async (s) => {
      const from = join(s.dir, sub);
      const names = (await readdir(from, { recursive: true }).catch(() => [] as string[])) as string[];
      const onlyFiles = [];
      for (const n of names.sort()) if ((await stat(join(from, n))).isFile()) onlyFiles.push(n);
      return { s, from, names: onlyFiles };
    }),
  );
  const holders = new Map<string, number>();
  for (const f of files) for (const n of f.names) holders.set(n, (holders.get(n) ?? 0) + 1);
  let copied = 0;
  for (const f of files) {
    for (const n of f.names) {
      const to = holders.get(n)! > 1 ? join(dest, f.s.folderName, n) : join(dest, n);
      await mkdir(dirname(to), { recursive: true });
      await cp(join(f.from, n), to, { force: false, errorOnExist: true });
      copied++;
    }
  }
  return copied;
}
