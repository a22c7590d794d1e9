import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { reapGroup, signalGroup } from './process-group.js';

/** A shell in its own group with a grandchild, as vitest with its fork workers; resolves once the script says "ready". */
async function group(script: string): Promise<number> {
  const child = spawn('sh', ['-c', script], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  return child.pid!;
}

describe('process groups', () => {
  it('a signal to the group reaches the grandchild too; the group is then gone', async () => {
    const pgid = await group('sleep 300 & echo ready; sleep 300; wait');
    expect(signalGroup(pgid, 0)).toBe(true);
    signalGroup(pgid, 'SIGTERM');
    await expect(reapGroup(pgid, { graceMs: 5_000 })).resolves.toBe('gone');
    expect(signalGroup(pgid, 0)).toBe(false);
  });

  it('what ignores SIGTERM is killed after the grace period', async () => {
    const pgid = await group("trap '' TERM; sleep 300 & echo ready; sleep 300; wait");
    signalGroup(pgid, 'SIGTERM');
    await expect(reapGroup(pgid, { graceMs: 500 })).resolves.toBe('killed');
    expect(signalGroup(pgid, 0)).toBe(false);
  });

  it('a group with no process left is gone at once', async () => {
    expect(signalGroup(2 ** 22 - 3, 0)).toBe(false);
    await expect(reapGroup(2 ** 22 - 3, { graceMs: 1_000 })).resolves.toBe('gone');
  });
});
