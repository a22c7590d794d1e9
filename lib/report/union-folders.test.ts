import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MergeConflictError } from '../errors.js';
import { unionApart, unionFolders, type Source } from './union-folders.js';

let work: string;
let a: Source;
let b: Source;

const put = async (file: string, text: string) => {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
};
const tree = async (dir: string) => ((await readdir(dir, { recursive: true })) as string[]).sort();

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'drbdlab-union-'));
  a = { label: 'shard 1/2 (a)', folderName: 'shard-1-of-2', dir: join(work, 'a') };
  b = { label: 'shard 2/2 (b)', folderName: 'shard-2-of-2', dir: join(work, 'b') };
});
afterEach(() => rm(work, { recursive: true, force: true }));

describe('unionFolders', () => {
  it('copies every runner\'s files, sub-folders included; a folder a runner lacks is skipped', async () => {
    await put(join(a.dir, 'runs', 't1', 'walkthrough', 'commands.jsonl'), 'a');
    await put(join(b.dir, 'runs', 't2', 'reboot', 'commands.jsonl'), 'b');
    expect(await unionFolders([a, b], 'runs', join(work, 'out'))).toBe(2);
    expect(await tree(join(work, 'out'))).toEqual(['t1', 't1/walkthrough', 't1/walkthrough/commands.jsonl', 't2', 't2/reboot', 't2/reboot/commands.jsonl']);
    expect(await unionFolders([a, b], 'recordings', join(work, 'none'))).toBe(0);
  });

  it('the same file with the same bytes is kept once', async () => {
    await put(join(a.dir, 'allure-results', 'environment.properties'), 'x=1');
    await put(join(b.dir, 'allure-results', 'environment.properties'), 'x=1');
    expect(await unionFolders([a, b], 'allure-results', join(work, 'out'))).toBe(1);
  });

  it('the same name with other bytes fails loudly, naming the file and both runners; nothing overwritten', async () => {
    await put(join(a.dir, 'allure-results', 'u-1-attachment.txt'), 'from a');
    await put(join(b.dir, 'allure-results', 'u-1-attachment.txt'), 'from b');
    const err = await unionFolders([a, b], 'allure-results', join(work, 'out')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MergeConflictError);
    expect((err as Error).message).toBe(
      'allure-results/u-1-attachment.txt differs between shard 1/2 (a) and shard 2/2 (b): not shards of one run (a result or attachment would be lost); merge each run\'s shards apart',
    );
    expect(await readFile(join(work, 'out', 'u-1-attachment.txt'), 'utf8')).toBe('from a');
  });
});

describe('unionApart', () => {
  it('names several runners have go to a folder per runner; the others stay where they were', async () => {
    for (const s of [a, b]) for (const n of ['drbd1.log', 'drbd2.log']) await put(join(s.dir, 'console', n), `${s.folderName} ${n}`);
    await put(join(b.dir, 'console', 'only-b.log'), 'b');
    expect(await unionApart([a, b], 'console', join(work, 'out'))).toBe(5);
    expect(await tree(join(work, 'out'))).toEqual([
      'only-b.log',
      'shard-1-of-2',
      'shard-1-of-2/drbd1.log',
      'shard-1-of-2/drbd2.log',
      'shard-2-of-2',
      'shard-2-of-2/drbd1.log',
      'shard-2-of-2/drbd2.log',
    ]);
    expect(await readFile(join(work, 'out', 'shard-2-of-2', 'drbd1.log'), 'utf8')).toBe('shard-2-of-2 drbd1.log');
  });

  it('per-scenario folders (console/<scenario>/<node>.log) of different shards do not collide', async () => {
    await put(join(a.dir, 'console', 'walkthrough', 'drbd1.log'), 'a');
    await put(join(b.dir, 'console', 'reboot', 'drbd1.log'), 'b');
    expect(await unionApart([a, b], 'console', join(work, 'out'))).toBe(2);
    expect(await tree(join(work, 'out'))).toEqual(['reboot', 'reboot/drbd1.log', 'walkthrough', 'walkthrough/drbd1.log']);
  });
});
