import { existsSync, readFileSync } from 'node:fs';
import { HostCommandError } from '../errors.js';
import { run } from '../exec/run.js';
import { pollUntil } from '../wait/poll.js';

/**
 * Remove a build folder that may still hold a chroot's mounts (proc, sys, devpts after an
 * interrupted mmdebstrap): unmount them first, and never cross into another file system.
 * A killed build's processes may still be writing for a moment ("Directory not empty"): try
 * again until the folder is gone.
 */
export async function removeTree(dir: string): Promise<void> {
  await pollUntil(
    `${dir} to be removed`,
    async () => {
      if (!existsSync(dir)) return { done: true, seen: 'gone' };
      try {
        // A mount may vanish between the look and the umount (its namespace died): look again.
        for (const m of mountsUnder(dir)) await run('umount', ['--lazy', m]);
        await run('rm', ['-rf', '--one-file-system', dir]);
      } catch (err) {
        if (!(err instanceof HostCommandError)) throw err;
        return { done: false, seen: err.stderr.trim().split('\n').pop() ?? 'rm failed' };
      }
      return { done: !existsSync(dir), seen: 'still there' };
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
}

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((m): m is string => !!m && (m === dir || m.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
}
