// Bad input at the CLI's edge: one line, exit 2, before any lab work (no libvirt is asked).
import { execa } from 'execa';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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

  it('a value a variable cannot take: one line naming it, exit 2', async () => {
    const r = await cli(['status'], { DRBDLAB_KEEP: 'yes' });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe('drbdlab: DRBDLAB_KEEP=yes: use 1, 0, (empty)');
  });

  it('--suite a profile cannot add: one line naming the profiles that can, exit 2, before any lab work', async () => {
    const r = await cli(['nightly', '--profile', 'ubuntu1804-drbd9', '--suite', 'proposed-updates']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe('drbdlab: --suite proposed-updates: ubuntu1804-drbd9 adds no suites; profiles that do: debian12-drbd84 (proposed-updates, backports)');
    const unknown = await cli(['up', '--profile', 'debian12-drbd84', '--suite', 'backports', '--suite', 'sid']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr.trim()).toBe('drbdlab: --suite sid: not a suite debian12-drbd84 can add; use proposed-updates, backports');
    const byVariable = await cli(['image', 'build'], { DRBDLAB_SUITE: 'experimental' });
    expect(byVariable.exitCode).toBe(2);
    expect(byVariable.stderr.trim()).toBe('drbdlab: DRBDLAB_SUITE=experimental: experimental: use proposed-updates, backports (a comma list), or leave it unset');
  });

  it('a lab.yaml mistake in the file DRBDLAB_CONFIG names: one line with the file, the key and the fix, exit 2', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'drbdlab-cli-')), 'lab.yaml');
    await writeFile(file, (await readFile(join(ROOT, 'lab/lab.yaml'), 'utf8')).replace(/^memoryMiB: \d+/m, 'memoryMiB: 64'));
    const r = await cli(['status'], { DRBDLAB_CONFIG: file });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe(`drbdlab: ${file}: memoryMiB: DRBD guests need at least 256 MiB`);
    // --config wins over the variable: the same file named by the flag fails the same way.
    const byFlag = await cli(['--config', file, 'status'], { DRBDLAB_CONFIG: '/nonexistent/lab.yaml' });
    expect(byFlag.stderr.trim()).toBe(`drbdlab: ${file}: memoryMiB: DRBD guests need at least 256 MiB`);
  });

  it('a handed-down configuration that is not one: one line naming the variable, exit 2', async () => {
    const r = await cli(['status'], { DRBDLAB_RUN_CONFIG: '{"lab":1}' });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^drbdlab: DRBDLAB_RUN_CONFIG: /);
  });

  it('an unknown flag: commander\'s line and the help, exit 2; --help exits 0', async () => {
    const r = await cli(['up', '--bogus']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe("error: unknown option '--bogus'");
    expect((await cli(['up', '--help'])).exitCode).toBe(0);
  });
});
