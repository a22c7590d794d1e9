// Bad input at the CLI's edge: one line, exit 2, before any lab work (no libvirt is asked).
import { execa } from 'execa';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const cli = (args: string[], env: Record<string, string> = {}) =>
  execa('node', ['--import', 'tsx', 'lib/cli/main.ts', ...args], { cwd: ROOT, env, reject: false, all: true });

describe('the CLI on bad input', () => {
  it('a DRBDLAB_* typo: one line naming it and its closest variable, exit 2', async () => {
    const r = await cli(['status'], { DRBDLAB_CLUSTER: '2' });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe('drbdlab: DRBDLAB_CLUSTER: not a drbdlab variable (did you mean DRBDLAB_CLUSTERS?); unset it (docs/configuration.md lists them)');
  });

  it('an unknown flag: commander\'s line and the help, exit 2; --help exits 0', async () => {
    const r = await cli(['up', '--bogus']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe("error: unknown option '--bogus'");
    expect((await cli(['up', '--help'])).exitCode).toBe(0);
  });
});
