import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { formatStore, packagesCommand } from './packages.js';

describe('formatStore', () => {
  it('one line per set, then the total on disk against what separate copies would take', () => {
    const MiB = 1024 ** 2;
    const lines = formatStore(
      {
        sets: [
          { id: 'a'.repeat(64), profile: 'debian12-drbd84', createdAt: '2026-12-07T05:23:00.000Z', lastUsed: Date.UTC(2026, 11, 7, 6), debs: 293, bytes: 130 * MiB, ownBytes: 2 * MiB },
          { id: 'b'.repeat(64), profile: 'debian12-drbd84', createdAt: '2026-12-01T05:23:00.000Z', lastUsed: Date.UTC(2026, 11, 1, 6), debs: 290, bytes: 129 * MiB, ownBytes: 1 * MiB },
        ],
        bytes: 131 * MiB,
        debs: 296,
      },
      4 * 1024 * MiB,
    );
    expect(lines).toEqual([
      'aaaaaaaaaaaa  debian12-drbd84   293 debs   130 MiB (own 2 MiB)  made 2026-12-07T05:23:00.000Z  last used 2026-12-07T06:00:00.000Z',
      'bbbbbbbbbbbb  debian12-drbd84   290 debs   129 MiB (own 1 MiB)  made 2026-12-01T05:23:00.000Z  last used 2026-12-01T06:00:00.000Z',
      '2 sets, 296 debs, 131 MiB on disk (259 MiB if each set had its own copies); bound 4096 MiB (DRBDLAB_PACKAGE_CACHE_GIB)',
    ]);
  });
});

describe('packagesCommand', () => {
  it("says the bound it was given (the run's DRBDLAB_PACKAGE_CACHE_GIB), not the environment's", async () => {
    const cache = await mkdtemp(join(tmpdir(), 'drbdlab-packages-'));
    vi.stubEnv('DRBDLAB_PACKAGE_CACHE_GIB', '9');
    try {
      const said: string[] = [];
      await packagesCommand({ maxBytes: 2 * 1024 ** 3, folders: { cache, reports: join(cache, 'reports') } }, (l) => said.push(l));
      expect(said.at(-1)).toMatch(/^0 sets, 0 debs, .*; bound 2048 MiB \(DRBDLAB_PACKAGE_CACHE_GIB\)$/);
    } finally {
      vi.unstubAllEnvs();
      await rm(cache, { recursive: true, force: true });
    }
  });
});
