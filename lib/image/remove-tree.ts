import { existsSync, readFileSync } from 'node:fs';
import { run } from '../exec/run.js';

/**
 * Remove a build folder that may still hold a chroot's mounts (proc, sys, devpts after an
 * interrupted mmdebstrap): unmount them first, and never cross into another file system.
 */
export async function removeTree(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((m): m is string => !!m && (m === dir || m.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await run('umount', ['--lazy', m]).catch(() => undefined);
  await run('rm', ['-rf', '--one-file-system', dir]);
}
