import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../exec/run.js';
import type { SeedFiles } from './render.js';

/** Write a NoCloud seed: an ISO 9660 volume labelled "cidata". */
export async function buildSeedIso(files: SeedFiles, isoPath: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'drbdlab-seed-'));
  try {
    for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
    await run('genisoimage', ['-quiet', '-output', isoPath, '-volid', 'cidata', '-joliet', '-rock', ...Object.keys(files)], {
      cwd: dir,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
