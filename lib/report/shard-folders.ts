// The report folders a merge is given: each one runner's reports/ (as its CI job uploaded it),
// checked before anything is written: a folder, allure-results/, versions.json with a shard,
// and together every shard of one split once.

import { realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { readRunInfo, type RunInfo } from './run-info.js';
import { checkShardSet, formatShard, shardFolderName, type Shard } from './shard.js';
import type { Source } from './union-folders.js';

export interface ShardFolder extends Source {
  shard: Shard;
  run: RunInfo;
}

const isDir = (p: string) => stat(p).then((s) => s.isDirectory(), () => false);

/** The folders in shard order; a UsageError (one line, what to do) for anything unfit. */
export async function readShardFolders(dirs: readonly string[], into: string): Promise<ShardFolder[]> {
  if (dirs.length === 0) throw new UsageError('--merge: no folder given: pass the report folder of every shard, e.g. --merge shards/1 shards/2');
  const intoReal = await realpath(resolve(into)).catch(() => resolve(into));
  const seen = new Map<string, string>();
  const out: ShardFolder[] = [];
  for (const d of dirs) {
    const dir = resolve(d);
    if (!(await isDir(dir))) throw new UsageError(`${d}: no such folder: pass the report folders the shard jobs uploaded`);
    const real = await realpath(dir);
    if (seen.has(real)) throw new UsageError(`${d}: given twice (also as ${seen.get(real)}): pass each shard's folder once`);
    seen.set(real, d);
    if (real === intoReal) throw new UsageError(`${d}: is also the output folder: merge into another one (--into <dir>)`);
    if (!(await isDir(join(dir, 'allure-results')))) throw new UsageError(`${d}: no allure-results/: not the report folder of a \`npm run lab\` run`);
    const run = await readRunInfo(join(dir, 'versions.json'));
    out.push({ dir, run, shard: run.shard!, label: d, folderName: '' });
  }
  checkShardSet(out.map((f) => ({ source: f.label, shard: f.run.shard })));
  return out
    .map((f) => ({ ...f, label: `shard ${formatShard(f.shard)} (${f.label})`, folderName: shardFolderName(f.shard) }))
    .sort((a, b) => a.shard.index - b.shard.index);
}
