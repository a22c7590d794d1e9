// mergeReports' refusals: checked before anything is written, and a merge that fails half-way
// leaves the output folder as it was (no stage left beside it). The successful merge, with the
// real report generator, is tests/unit/shard-merge.test.ts.

import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MergeConflictError, UsageError } from '../errors.js';
import { mergeReports } from './merge.js';

let work: string;
let into: string;

/** A shard's report folder as a runner leaves it. */
async function shardFolder(name: string, index: number, files: Record<string, string> = {}, count = 2): Promise<string> {
  const dir = join(work, name);
  await mkdir(join(dir, 'allure-results'), { recursive: true });
  await writeFile(join(dir, 'versions.json'), JSON.stringify({ profile: 'debian12-drbd84', versions: {}, shard: { index, count } }));
  for (const [f, text] of Object.entries(files)) await writeFile(join(dir, f), text);
  return dir;
}

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'drbdlab-merge-'));
  into = join(work, 'reports');
  // The output folder has a README and an earlier run's report: both must survive a failed merge.
  await mkdir(join(into, 'html'), { recursive: true });
  await writeFile(join(into, 'README.md'), 'readme');
  await writeFile(join(into, 'html', 'index.html'), 'last night');
});
afterEach(() => rm(work, { recursive: true, force: true }));

const untouched = async () => {
  expect((await readdir(into)).sort()).toEqual(['README.md', 'html']);
  expect(await readFile(join(into, 'html', 'index.html'), 'utf8')).toBe('last night');
  expect((await readdir(work)).filter((f) => f.includes('merging'))).toEqual([]);
};

describe('mergeReports refuses', () => {
  it('a real conflict: the same attachment name with other bytes in two shards', async () => {
    const a = await shardFolder('a', 1, { 'allure-results/u1-attachment.txt': 'one' });
    const b = await shardFolder('b', 2, { 'allure-results/u1-attachment.txt': 'other' });
    const err = await mergeReports({ sources: [a, b], into }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MergeConflictError);
    expect((err as Error).message).toMatch(/^allure-results\/u1-attachment\.txt differs between shard 1\/2 \(.*\/a\) and shard 2\/2 \(.*\/b\)/);
    await untouched();
  });

  it('a missing shard, a folder given twice, the output as an input', async () => {
    const a = await shardFolder('a', 1);
    await expect(mergeReports({ sources: [a], into })).rejects.toThrow(/^shard 2\/2 missing: pass the report folders of all 2 shards$/);
    await expect(mergeReports({ sources: [a, `${a}/`], into })).rejects.toThrow(/given twice/);
    await expect(mergeReports({ sources: [a], into: a })).rejects.toThrow(/is also the output folder/);
    await untouched();
  });

  it('a folder that is no report folder, or whose versions.json is missing or records no shard', async () => {
    const a = await shardFolder('a', 1);
    await mkdir(join(work, 'empty'));
    await expect(mergeReports({ sources: [a, join(work, 'nope')], into })).rejects.toThrow(/nope: no such folder: pass the report folders the shard jobs uploaded$/);
    await expect(mergeReports({ sources: [a, join(work, 'empty')], into })).rejects.toThrow(/empty: no allure-results\/: not the report folder of a `npm run lab` run$/);
    const b = await shardFolder('b', 2);
    await rm(join(b, 'versions.json'));
    await expect(mergeReports({ sources: [a, b], into })).rejects.toThrow(/b\/versions\.json: missing: not the report folder of a `npm run lab` run/);
    await writeFile(join(b, 'versions.json'), JSON.stringify({ profile: 'debian12-drbd84', versions: {} }));
    await expect(mergeReports({ sources: [a, b], into })).rejects.toThrow(/b: its versions\.json records no shard/);
    await writeFile(join(b, 'versions.json'), '{');
    const err = await mergeReports({ sources: [a, b], into }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/b\/versions\.json: not JSON/);
    await untouched();
  });

  it('a JUnit file that does not parse, naming it', async () => {
    const a = await shardFolder('a', 1, { 'junit.xml': '<testsuites><testsuite' });
    const b = await shardFolder('b', 2);
    await expect(mergeReports({ sources: [a, b], into })).rejects.toThrow(/a\/junit\.xml: not JUnit XML/);
    await untouched();
  });
});
