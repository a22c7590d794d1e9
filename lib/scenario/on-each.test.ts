import { describe, expect, it } from 'vitest';
import { onEach } from './on-each.js';

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
