import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { PROJECT_ROOT } from '../paths.js';
import { BENCH_USAGE, parseAccelVerdictsArgs, parseBenchArgs, parseTestProfileArgs } from './script-args.js';

describe("the scripts' arguments, parsed before anything starts", () => {
  it('bench: its flags, --restores as a number, 3 restores unless told', () => {
    expect(parseBenchArgs([])).toEqual({ help: false, cold: false, restores: 3, nightly: true, boots: false });
    expect(parseBenchArgs(['--cold', '--restores', '5', '--no-nightly', '--boots'])).toEqual({ help: false, cold: true, restores: 5, nightly: false, boots: true });
    expect(parseBenchArgs(['--restores=2'])).toMatchObject({ restores: 2 });
    expect(parseBenchArgs(['--boots', '--help'])).toEqual({ help: true });
  });

  it('bench: an unknown flag, a stray argument or a bad --restores is one line naming it and the usage', () => {
    expect(() => parseBenchArgs(['--nope'])).toThrow(new UsageError(`--nope: not an option of this script; ${BENCH_USAGE}`));
    expect(() => parseBenchArgs(['-x'])).toThrow(/^-x: not an option of this script; usage: npm run bench/);
    expect(() => parseBenchArgs(['cold'])).toThrow(/^cold: not an argument of this script; usage/);
    expect(() => parseBenchArgs(['--restores'])).toThrow(/^--restores: needs a value; usage/);
    expect(() => parseBenchArgs(['--restores', 'three'])).toThrow(/^--restores three: give a whole number, 1 or more; usage/);
    expect(() => parseBenchArgs(['--restores', '0'])).toThrow(/^--restores 0: give a whole number/);
    expect(() => parseBenchArgs(['--cold=yes'])).toThrow(/^--cold=yes: takes no value; usage/);
  });

  it('accel-verdicts: N probes, 10 unless given; test-profile: its one file', () => {
    expect(parseAccelVerdictsArgs([])).toEqual({ help: false, probes: 10 });
    expect(parseAccelVerdictsArgs(['4'])).toEqual({ help: false, probes: 4 });
    expect(() => parseAccelVerdictsArgs(['--nope'])).toThrow(/^--nope: not an option of this script; usage: npx tsx scripts\/accel-verdicts.ts/);
    expect(() => parseAccelVerdictsArgs(['ten'])).toThrow(/^N ten: give a whole number/);
    expect(parseTestProfileArgs(['/tmp/choice'])).toEqual({ help: false, file: '/tmp/choice' });
    expect(parseTestProfileArgs(['--help'])).toEqual({ help: true });
    expect(() => parseTestProfileArgs([])).toThrow(/^the choice file is missing; usage/);
    expect(() => parseTestProfileArgs(['--choice', 'f'])).toThrow(/^--choice: not an option of this script/);
  });

  // The scripts themselves: each ends at its arguments, so nothing (no configuration, no image) is touched.
  it('npm run bench -- --help prints the usage, exit 0; an unknown flag one line, exit 2; the same in test-profile', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'script-args-'));
    try {
      const script = (name: string, ...args: string[]) => execa(join(PROJECT_ROOT, 'node_modules/.bin/tsx'), [join(PROJECT_ROOT, 'scripts', name), ...args], { cwd: dir, reject: false });
      const help = await script('bench.ts', '--help');
      expect([help.exitCode, help.stdout, help.stderr]).toEqual([0, BENCH_USAGE, '']);
      const bad = await script('bench.ts', '--restores', 'x', '--cold');
      expect([bad.exitCode, bad.stdout, bad.stderr]).toEqual([2, '', `--restores x: give a whole number, 1 or more; ${BENCH_USAGE}`]);
      const profile = await script('test-profile.ts', '--help');
      expect(profile.exitCode).toBe(0);
      expect(existsSync(join(dir, '--help'))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('npm run mutation -- --help: its own usage, exit 0, nothing run; --mutate without a glob: one line, exit 2', async () => {
    const mutation = (...args: string[]) => execa(join(PROJECT_ROOT, 'node_modules/.bin/tsx'), [join(PROJECT_ROOT, 'scripts/mutation.ts'), ...args], { cwd: tmpdir(), reject: false });
    const help = await mutation('--help');
    expect([help.exitCode, help.stderr]).toEqual([0, '']);
    expect(help.stdout).toMatch(/^usage: npm run mutation \[-- --check-only\] \[--mutate <globs>\]/);
    const bare = await mutation('--mutate', '--check-only');
    expect([bare.exitCode, bare.stdout]).toEqual([2, '']);
    expect(bare.stderr).toMatch(/^--mutate needs a glob, e\.g\. --mutate "lib\/wait\/\*\*"; usage: npm run mutation/);
  }, 60_000);
});
