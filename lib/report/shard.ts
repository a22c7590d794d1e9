// One part of the scenario files, as vitest's `--shard <index>/<count>` picks it (by a hash of
// each file's path: the same part on every machine). Recorded in versions.json so a merge of
// several runners' reports knows what it merged and what is missing.

import { UsageError } from '../errors.js';

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

const EXPECTED = 'expected <index>/<count> with 1 ≤ index ≤ count, e.g. --shard 1/2';

/** `--shard 1/2` → { index: 1, count: 2 }; anything else is a one-line UsageError. */
export function parseShard(text: string): Shard {
  const m = /^([1-9]\d*)\/([1-9]\d*)$/.exec(text.trim());
  if (!m) throw new UsageError(`--shard ${JSON.stringify(text)}: ${EXPECTED}`);
  const shard = { index: Number(m[1]), count: Number(m[2]) };
  if (shard.index > shard.count) throw new UsageError(`--shard ${text}: index ${shard.index} is past count ${shard.count}; ${EXPECTED}`);
  return shard;
}

/** `1/2`: as vitest takes it. */
export const formatShard = (s: Shard): string => `${s.index}/${s.count}`;

/** `shard-1-of-2`: a folder name for what one runner brought (console logs that collide). */
export const shardFolderName = (s: Shard): string => `shard-${s.index}-of-${s.count}`;

/**
 * The shards of one merge must be one split, complete, each once: otherwise the merged report
 * would silently lack (or double) scenario files. Throws a UsageError naming what is wrong.
 */
export function checkShardSet(shards: readonly { source: string; shard: Shard | undefined }[]): void {
  const unsharded = shards.find((s) => !s.shard);
  if (unsharded) {
    throw new UsageError(`${unsharded.source}: its versions.json records no shard (not a \`npm run lab -- --shard i/n\` run): merge only the shards of one run`);
  }
  const counts = [...new Set(shards.map((s) => s.shard!.count))];
  if (counts.length > 1) {
    throw new UsageError(`the folders come from different splits (${shards.map((s) => `${s.source}: ${formatShard(s.shard!)}`).join(', ')}): merge only the shards of one run`);
  }
  const count = counts[0]!;
  const byIndex = new Map<number, string>();
  for (const s of shards) {
    const seen = byIndex.get(s.shard!.index);
    if (seen) throw new UsageError(`shard ${formatShard(s.shard!)} given twice (${seen} and ${s.source}): pass each shard's folder once`);
    byIndex.set(s.shard!.index, s.source);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (missing.length) {
    throw new UsageError(`shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing: pass the report folders of all ${count} shards`);
  }
}

/**
 * vitest refuses more shards than files, but only once the lab is up: say so before anything
 * is built. (Scenario files named on the command line split fewer; vitest checks those.)
 */
export function checkShardFits(shard: Shard, files: number): Shard {
  if (shard.count > files) {
    throw new UsageError(`--shard ${formatShard(shard)}: only ${files} scenario files to split: use at most ${files} shards, e.g. --shard 1/${Math.min(2, files)}`);
  }
  return shard;
}
