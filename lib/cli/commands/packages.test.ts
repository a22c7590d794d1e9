import { describe, expect, it } from 'vitest';
import { formatStore } from './packages.js';

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
