import { describe, expect, it } from 'vitest';
import { onEach, settleEach } from './on-each.js';

const later = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('onEach', () => {
  it('runs on every node at once and returns results in node order', async () => {
    const started: string[] = [];
    const out = await onEach(['a', 'b', 'c'], async (n) => {
      started.push(n);
      await later(n === 'a' ? 30 : 1);
      return n.toUpperCase();
    });
    expect(out).toEqual(['A', 'B', 'C']);
    // All three started before the slow first one ended.
    expect(started).toEqual(['a', 'b', 'c']);
  });

  it('waits for every node before it throws, and throws the failure that came first', async () => {
    const finished: string[] = [];
    const run = onEach(['a', 'b', 'c'], async (n) => {
      await later(n === 'a' ? 30 : n === 'c' ? 10 : 1);
      finished.push(n);
      if (n !== 'b') throw new Error(`${n} failed`);
    });
    // c failed at 10 ms, a (first in node order) at 30 ms: c is the cause.
    await expect(run).rejects.toThrow('c failed');
    expect(finished.sort()).toEqual(['a', 'b', 'c']);
  });
});

describe('settleEach', () => {
  it('runs on every node at once and gives every outcome in node order, failures included', async () => {
    const started: string[] = [];
    const out = await settleEach(['a', 'b', 'c'], async (n) => {
      started.push(n);
      await later(n === 'a' ? 30 : 1);
      if (n === 'b') throw new Error('b failed');
      return n.toUpperCase();
    });
    expect(started).toEqual(['a', 'b', 'c']);
    expect(out).toEqual([
      { node: 'a', ok: true, value: 'A' },
      { node: 'b', ok: false, error: new Error('b failed') },
      { node: 'c', ok: true, value: 'C' },
    ]);
  });

  it('two failures: both kept, neither thrown', async () => {
    const out = await settleEach(['a', 'b'], async (n) => {
      throw new Error(`${n} failed`);
    });
    expect(out.map((o) => (o.ok ? o.value : (o.error as Error).message))).toEqual(['a failed', 'b failed']);
  });
});
