import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { checkShardFits, checkShardSet, formatShard, parseShard, shardFolderName } from './shard.js';

describe('parseShard', () => {
  it('reads index/count as vitest takes it', () => {
    expect(parseShard('1/2')).toEqual({ index: 1, count: 2 });
    expect(parseShard('3/3')).toEqual({ index: 3, count: 3 });
    expect(formatShard(parseShard('2/4'))).toBe('2/4');
    expect(shardFolderName({ index: 2, count: 4 })).toBe('shard-2-of-4');
  });

  it.each(['', 'x', '1', '1/', '/2', '0/2', '1/0', '-1/2', '1.5/2', '1/2/3', 'a/b', '01/2'])('refuses %j with one line naming the expected form', (bad) => {
    const err = (() => {
      try {
        parseShard(bad);
      } catch (e) {
        return e as Error;
      }
      throw new Error('accepted');
    })();
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(/e\.g\. --shard 1\/2$/);
    expect(err.message).not.toContain('\n');
  });

  it('refuses an index past the count', () => {
    expect(() => parseShard('3/2')).toThrow(/--shard 3\/2: index 3 is past count 2; expected <index>\/<count>/);
  });

  it('refuses more shards than scenario files, before a lab is built', () => {
    expect(checkShardFits({ index: 1, count: 4 }, 4)).toEqual({ index: 1, count: 4 });
    expect(() => checkShardFits({ index: 1, count: 5 }, 4)).toThrow(/--shard 1\/5: only 4 scenario files to split: use at most 4 shards/);
  });
});

describe('checkShardSet', () => {
  const s = (source: string, index?: number, count = 2) => ({ source, shard: index ? { index, count } : undefined });

  it('accepts every shard of one split once, in any order', () => {
    expect(() => checkShardSet([s('b', 2), s('a', 1)])).not.toThrow();
    expect(() => checkShardSet([s('a', 1, 1)])).not.toThrow();
  });

  it('names a missing shard, a shard given twice, a different split, an unsharded folder', () => {
    expect(() => checkShardSet([s('a', 1, 3), s('c', 3, 3)])).toThrow(/^shard 2\/3 missing: pass the report folders of all 3 shards$/);
    expect(() => checkShardSet([s('a', 1), s('b', 1)])).toThrow(/^shard 1\/2 given twice \(a and b\)/);
    expect(() => checkShardSet([s('a', 1), s('b', 2, 3)])).toThrow(/different splits \(a: 1\/2, b: 2\/3\)/);
    expect(() => checkShardSet([s('a', 1), s('b')])).toThrow(/^b: its versions\.json records no shard/);
  });
});
