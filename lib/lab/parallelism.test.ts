import { describe, expect, it } from 'vitest';
import { clustersFor } from './parallelism.js';

const GIB = 1024 ** 3;
const lab = { nodes: 3, memoryMiB: 512 };

describe('clusters at once', () => {
  it('one per core where memory allows', () => {
    expect(clustersFor({ cpus: 2, memBytes: 24 * GIB }, lab)).toBe(2);
  });
  it('memory bounds it on a small host', () => {
    expect(clustersFor({ cpus: 16, memBytes: 6 * GIB }, lab)).toBe(2);
  });
  it('never below one', () => {
    expect(clustersFor({ cpus: 1, memBytes: 1 * GIB }, lab)).toBe(1);
  });
  it('DRBDLAB_CLUSTERS (the configuration\'s clusters) wins', () => {
    expect(clustersFor({ cpus: 2, memBytes: 24 * GIB }, lab, 1)).toBe(1);
    expect(clustersFor({ cpus: 1, memBytes: 1 * GIB }, lab, 3)).toBe(3);
  });
});
