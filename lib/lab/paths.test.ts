import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { ensureLabsRoot } from './paths.js';

describe('ensureLabsRoot', () => {
  let dir: string;
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a labs folder under a folder closed to others, naming it and the fix', async () => {
    dir = await mkdtemp(join(tmpdir(), 'drbdlab-paths-')); // 0700, as mkdtemp makes it
    const err = await ensureLabsRoot(join(dir, 'labs')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(`${dir} is closed to libvirt's QEMU user (labs live in ${join(dir, 'labs')}): run \`chmod o+x ${dir}\` or set DRBDLAB_STATE to another folder`);
  });

  it('makes the labs folder traversable when the way there is open', async () => {
    dir = await mkdtemp(join(tmpdir(), 'drbdlab-paths-'));
    await chmod(dir, 0o711);
    expect(await ensureLabsRoot(join(dir, 'labs'))).toBe(join(dir, 'labs'));
  });
});
