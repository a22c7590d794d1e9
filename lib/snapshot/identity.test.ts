import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLabConfig } from '../config/load-lab.js';
import { snapshotDigest, type SnapshotInputs } from './identity.js';
import { ABANDONED_LOCK_MS, pruneSnapshots } from './store.js';

const config = await loadLabConfig(join(import.meta.dirname, '../../lab/lab.yaml'));
const base: SnapshotInputs = { profile: 'debian12-drbd84', imageDigest: 'a'.repeat(64), config, templatesDigest: 'b'.repeat(64), accel: 'tcg', point: 'ready' };

describe('snapshot identity', () => {
  it('is stable for the same inputs, whatever the key order', () => {
    const reordered = Object.fromEntries(Object.entries(base).reverse()) as unknown as SnapshotInputs;
    expect(snapshotDigest(reordered)).toBe(snapshotDigest(base));
  });

  it('changes with the image digest', () => {
    expect(snapshotDigest({ ...base, imageDigest: 'c'.repeat(64) })).not.toBe(snapshotDigest(base));
  });

  it('changes with lab.yaml (a node\'s memory, a replication address)', () => {
    expect(snapshotDigest({ ...base, config: { ...config, memoryMiB: 768 } })).not.toBe(snapshotDigest(base));
    const nodes = config.nodes.map((n, i) => (i === 2 ? { ...n, replicationIp: '10.255.255.113' } : n));
    expect(snapshotDigest({ ...base, config: { ...config, nodes } })).not.toBe(snapshotDigest(base));
  });

  it('changes with the cloud-init templates, the hypervisor and the starting point', () => {
    expect(snapshotDigest({ ...base, templatesDigest: 'd'.repeat(64) })).not.toBe(snapshotDigest(base));
    expect(snapshotDigest({ ...base, accel: 'kvm' })).not.toBe(snapshotDigest(base));
    expect(snapshotDigest({ ...base, point: 'r0-up', pointDigest: 'e'.repeat(64), parent: 'f' })).not.toBe(snapshotDigest(base));
  });
});

describe('snapshot cache bound', () => {
  async function fakeSnapshot(root: string, name: string, bytes: number, usedAt: number, imageDisk: string) {
    const dir = join(root, name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ image: { disk: imageDisk } }));
    await writeFile(join(dir, 'memory.save'), Buffer.alloc(bytes, 1));
    const used = join(dir, 'last-used');
    await writeFile(used, '');
    await utimes(used, usedAt / 1000, usedAt / 1000);
    return dir;
  }

  it('prunes the least recently used first, those whose image is gone before all, and keeps the ones in use', async () => {
    const root = await mkdtemp(join(tmpdir(), 'snaps-'));
    try {
      const image = join(root, 'disk.qcow2');
      await writeFile(image, '');
      const old = await fakeSnapshot(root, 'old', 400_000, 1_000_000, image);
      const inUse = await fakeSnapshot(root, 'in-use', 400_000, 2_000_000, image);
      const orphan = await fakeSnapshot(root, 'orphan', 10_000, 9_000_000, join(root, 'gone.qcow2'));
      const recent = await fakeSnapshot(root, 'recent', 400_000, 3_000_000, image);
      const removed = await pruneSnapshots({ root, maxBytes: 900_000, keep: [inUse] });
      expect(removed.sort()).toEqual([old, orphan].sort());
      expect(removed).not.toContain(recent);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('removes a lock left by a killed maker, not one in use', async () => {
    const root = await mkdtemp(join(tmpdir(), 'snaps-'));
    try {
        const abandoned = join(root, 'debian12-drbd84-r0-up-0123456789abcdef.lock');
      const held = join(root, 'debian12-drbd84-ready-0123456789abcdef.lock');
      for (const l of [abandoned, held]) await mkdir(l);
      const old = (Date.now() - ABANDONED_LOCK_MS - 60_000) / 1000;
      await utimes(abandoned, old, old);
      const removed = await pruneSnapshots({ root, maxBytes: 1 });
      expect(removed).toEqual([abandoned]);
      expect(existsSync(held)).toBe(true);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
