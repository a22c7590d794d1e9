// `npm run lab -- --shard …` through the CLI as a child process: bad input ends while the
// arguments are parsed (exit 2, one line), before reaping or any lab work. Only bad values
// here (a good one would start the nightly job and its lab); the forms are in shard.test.ts.

import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../paths.js';
import { EXIT } from '../exit-codes.js';

// A lab definition that does not exist: should parsing ever let a bad value through, the run
// stops at loading it (another message, the test fails) instead of building a lab.
const lab = (...args: string[]) =>
  execa(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', '--config', '/nonexistent/lab.yaml', ...args], {
    cwd: PROJECT_ROOT,
    reject: false,
    env: { DRBDLAB_DEBUG: '' },
  });

describe('npm run lab -- --shard', () => {
  it.each([
    ['x', /^drbdlab: --shard "x": expected <index>\/<count> with 1 ≤ index ≤ count, e\.g\. --shard 1\/2$/],
    ['1/99', /^drbdlab: --shard 1\/99: only \d+ scenario files to split: use at most \d+ shards, e\.g\. --shard 1\/2$/],
  ])('--shard %s: exit 2 (usage), one line, nothing else done', async (value, line) => {
    const r = await lab('--shard', value, '--profile', 'debian12-drbd84');
    expect(r.exitCode).toBe(EXIT.usage);
    expect(r.stderr).toMatch(line);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe(''); // no profile line, no reaping: the nightly never started
  });
});
