import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { labImageDirsHere } from '../image/prune.js';
import { labPaths } from './paths.js';
import { writeState, type LabState } from './state.js';

let dir: string;
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Image pruning reads lab states as bare JSON (images sit below labs); this ties it to what
// writeState writes, so a change to either shows here.
it('image pruning sees the image folder of every lab state writeState wrote, and skips what is no lab state', async () => {
  dir = await mkdtemp(join(tmpdir(), 'drbdlab-state-'));
  const state = (labId: string, image: string) => ({ labId, image: { dir: image, digest: 'd', versions: {} } }) as unknown as LabState;
  for (const [id, image] of [['a1b2c3', '/cache/images/one'], ['d4e5f6', '/cache/images/two']] as const) {
    await mkdir(labPaths(dir, id).dir, { recursive: true });
    await writeState(dir, state(id, image));
  }
  await mkdir(join(dir, 'half-made'), { recursive: true });
  await writeFile(join(dir, 'stray-file'), 'x');
  expect((await labImageDirsHere(dir)).sort()).toEqual(['/cache/images/one', '/cache/images/two']);
});
