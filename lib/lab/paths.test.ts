import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { ensureLabsRoot } from './paths.js';

describe('ensureLabsRoot', () => {
  let dir: string;
  const saved = process.env.DRBDLAB_STATE;
  afterEach(async () => {
    if (saved === undefined) delete process.env.DRBDLAB_STATE;
    else process.env.DRBDLAB_STATE = saved;
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a labs folder under a folder closed to others, naming it and the fix', async () => {
    dir = await mkdtemp(join(tmpdir(), 'drbdlab-paths-')); // 0700, as mkdtemp makes it
    process.env.DRBDLAB_STATE = join(dir, 'labs');
    const err = await ensureLabsRoot().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(`${dir} is closed to libvirt's QEMU user (labs live in ${join(dir, 'labs')}): run \`chmod o+x ${dir}\` or set DRBDLAB_STATE to another folder`);
  });

  it('makes the labs folder traversable when the way there is open', async () => {
    dir = await mkdtemp(join(tmpdir(), 'drbdlab-paths-'));
    await chmod(dir, 0o711);
    process.env.DRBDLAB_STATE = join(dir, 'labs');
    expect(await ensureLabsRoot()).toBe(join(dir, 'labs'));
  });
});
