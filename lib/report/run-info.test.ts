import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { readRunInfo, writeRunInfo, type RunInfo } from './run-info.js';

describe('the run record (reports/versions.json)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drbdlab-run-info-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const write = (name: string, v: unknown) => writeFile(join(dir, name), JSON.stringify(v));

  it('reads back what the nightly writes: every field of the record', async () => {
    const run: RunInfo = {
      profile: 'debian12-drbd84',
      variant: 'proposed-updates',
      versions: { 'drbd-utils': '9.22.0-1', kernel: 'k' },
      origins: { kernel: 'bookworm-security' },
      substituted: { wanted: 'ubuntu1804-drbd9', reason: 'ppa.launchpadcontent.net unavailable' },
      shard: { index: 2, count: 2 },
      offline: true,
      image: { identity: 'ab'.repeat(32), builtAt: '2026-11-28T00:00:00.000Z', upstreams: [{ name: 'n', url: 'u', sha256: 'cd'.repeat(32) }] },
      cancelled: { signal: 'SIGINT', at: '2026-11-28T21:00:00.000Z' },
    };
    await writeRunInfo(join(dir, 'versions.json'), run);
    expect(await readRunInfo(join(dir, 'versions.json'))).toEqual(run);
    const merged = { shards: [{ index: 1, count: 2 }, { index: 2, count: 2 }], disagreements: ['drbd-utils: 1 (shard 1/2), 2 (shard 2/2)'] };
    await write('m.json', { profile: 'p', versions: {}, merged });
    expect(await readRunInfo(join(dir, 'm.json'))).toEqual({ profile: 'p', versions: {}, merged });
  });

  it('reads back the attributions of a red run, and refuses one whose verdict is none it knows', async () => {
    const change = { source: 'drbd-utils', kind: 'changed' as const, from: ['1'], to: ['2'], binaries: [{ package: 'drbd-utils', arch: 'amd64', from: '1', to: '2' }] };
    const attributions: RunInfo['attributions'] = [
      {
        scenario: 'reboot',
        good: 'ab'.repeat(32),
        bad: 'cd'.repeat(32),
        changes: [change],
        probes: [{ role: 'same', applied: ['drbd-utils'], outcome: 'failed', setId: 'cd'.repeat(32), ms: 1000 }, { role: 'good', applied: [], outcome: 'refused', detail: 'E: x' }],
        verdict: { kind: 'introduced', change },
        bound: 2,
        ms: 2000,
      },
    ];
    await write('a.json', { profile: 'debian12-drbd84', versions: {}, attributions });
    expect((await readRunInfo(join(dir, 'a.json'))).attributions).toEqual(attributions);
    await write('ab.json', { profile: 'debian12-drbd84', versions: {}, attributions: [{ ...attributions[0], verdict: { kind: 'guessed' } }] });
    await expect(readRunInfo(join(dir, 'ab.json'))).rejects.toThrow(/ab\.json: attributions\.0\.verdict\.kind: /);
  });

  it('reads the package set of the run\'s image, and refuses one that is not a sha256', async () => {
    const image = { identity: 'ab'.repeat(32), packageSet: 'cd'.repeat(32) };
    await write('ps.json', { profile: 'debian12-drbd84', versions: {}, image });
    expect((await readRunInfo(join(dir, 'ps.json'))).image).toEqual(image);
    await write('pb.json', { profile: 'debian12-drbd84', versions: {}, image: { ...image, packageSet: 'cd' } });
    await expect(readRunInfo(join(dir, 'pb.json'))).rejects.toThrow(/pb\.json: image\.?packageSet: expected a sha256 in hex/);
  });

  it('refuses a malformed record with one line naming the file and the field, as a usage error', async () => {
    await write('flat.json', { 'drbd-utils': '9.22.0-1' });
    await write('v.json', { profile: 'p', versions: { kernel: 6 } });
    await write('s.json', { profile: 'p', versions: {}, substituted: { wanted: 'x' } });
    await write('sh.json', { profile: 'p', versions: {}, shard: { index: 3, count: 2 } });
    await write('o.json', { profile: 'p', versions: {}, offline: 'yes' });
    await write('i.json', { profile: 'p', versions: {}, image: { builtAt: 'x' } });
    await writeFile(join(dir, 'x.json'), '{"profile":');
    await expect(readRunInfo(join(dir, 'flat.json'))).rejects.toThrow(/flat\.json: profile: /);
    await expect(readRunInfo(join(dir, 'v.json'))).rejects.toThrow(/v\.json: versions\.kernel: /);
    await expect(readRunInfo(join(dir, 's.json'))).rejects.toThrow(/s\.json: substituted\.wanted: /);
    await expect(readRunInfo(join(dir, 'sh.json'))).rejects.toThrow(/sh\.json: shard: shard index past its count/);
    await expect(readRunInfo(join(dir, 'o.json'))).rejects.toThrow(/o\.json: offline: /);
    await expect(readRunInfo(join(dir, 'i.json'))).rejects.toThrow(/i\.json: image\.identity: /);
    await expect(readRunInfo(join(dir, 'x.json'))).rejects.toThrow(/x\.json: not JSON/);
    await expect(readRunInfo(join(dir, 'missing.json'))).rejects.toThrow(/missing\.json: missing/);
    await expect(readRunInfo(join(dir, 'flat.json'))).rejects.toBeInstanceOf(UsageError);
  });
});
