// scripts/test.sh (`npm test`, and `.ci/run` through it) says which profile its real scenarios
// run on and why, first and last, as the nightly does, and hands that choice to the scenarios
// phase. Run in a copy of the script's folder where host setup, tsc and vitest are stand-ins that
// say what they were given; the profile choice is the real one (scripts/test-profile.ts).
import { chmod, copyFile, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../lib/exit-codes.js';
import { PROJECT_ROOT } from '../../lib/paths.js';

/** `vitest`: `echo` says what it was given; `real` runs vitest itself. */
async function sandbox(vitest: 'echo' | 'real' = 'echo'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'test-script-'));
  await mkdir(join(dir, 'scripts'));
  await mkdir(join(dir, 'bin'));
  await copyFile(join(PROJECT_ROOT, 'scripts/test.sh'), join(dir, 'scripts/test.sh'));
  await copyFile(join(PROJECT_ROOT, 'scripts/plain-output.sh'), join(dir, 'scripts/plain-output.sh'));
  await symlink(join(PROJECT_ROOT, 'scripts/test-profile.ts'), join(dir, 'scripts/test-profile.ts'));
  await symlink(join(PROJECT_ROOT, 'node_modules'), join(dir, 'node_modules'));
  await writeFile(join(dir, 'scripts/host-setup.sh'), 'echo "(host setup)"\n');
  const npx = [
    '#!/bin/sh',
    'case "$1" in',
    '  tsc) exit 0 ;;',
    '  tsx) shift; exec node --import tsx "$@" ;;',
    vitest === 'real'
      ? '  vitest) shift; exec node node_modules/vitest/vitest.mjs "$@" ;;'
      : '  vitest) shift; echo "(vitest $*) choice=${DRBDLAB_PROFILE_CHOICE-unset}"; mkdir -p reports; exit 0 ;;',
    'esac',
    'exit 99',
  ];
  await writeFile(join(dir, 'bin/npx'), `${npx.join('\n')}\n`);
  await chmod(join(dir, 'bin/npx'), 0o755);
  return dir;
}

const run = (dir: string, env: Record<string, string>) =>
  execa('bash', [join(dir, 'scripts/test.sh')], {
    cwd: dir,
    env: { PATH: `${join(dir, 'bin')}:${process.env.PATH}`, HOME: process.env.HOME ?? '/root', DRBDLAB_CONFIG: join(PROJECT_ROOT, 'lab/lab.yaml'), ...env },
    extendEnv: false,
    reject: false,
    all: true,
  });

describe('npm test says its profile', () => {
  it('first and last, as the nightly does; the scenarios phase gets that choice, the others not', async () => {
    const dir = await sandbox();
    const r = await run(dir, { DRBDLAB_PROFILE: 'debian12-drbd84', DRBDLAB_OFFLINE: '1' });
    expect(r.exitCode, r.all).toBe(0);
    // Each phase's wall time (how long is not this test's business: any number of seconds).
    const lines = r.all.split('\n').map((l) => l.replace(/\b\d+ s\b/g, 'N s'));
    const said = 'profile: debian12-drbd84 (named by DRBDLAB_PROFILE)';
    const choice = '{"profile":"debian12-drbd84","reason":"named by DRBDLAB_PROFILE","explicit":true}';
    expect(lines).toEqual([
      '(host setup)',
      said,
      'offline: upstreams not asked; the cached image is used as it is',
      '== fast',
      '(vitest run --project unit --project replay) choice=unset',
      '== fast: N s wall',
      '== lab',
      '(vitest run --project integration) choice=unset',
      '== lab: N s wall',
      '== lifecycle',
      '(vitest run --project lifecycle) choice=unset',
      '== lifecycle: N s wall',
      '== scenarios',
      `(vitest run --project scenarios) choice=${choice}`,
      '== scenarios: N s wall',
      'phases: fast N s, lab N s, lifecycle N s, scenarios N s',
      '0 passed, 0 failed, 0 skipped',
      said,
      'offline: upstreams not asked; the cached image is used as it is',
    ]);
  });

  it('a profile that does not exist stops the run before any phase (exit 2)', async () => {
    const dir = await sandbox();
    const r = await run(dir, { DRBDLAB_PROFILE: 'debian13' });
    expect(r.exitCode, r.all).toBe(EXIT.usage);
    expect(r.all).toContain('DRBDLAB_PROFILE=debian13: use debian12-drbd84, ubuntu1804-drbd9');
    expect(r.all).not.toContain('== fast');
  });
});

describe('npm test on a pipe (a CI log)', () => {
  // CI set and stdout not a terminal: vitest's colour library colours anyway, unless told not to.
  async function tinyRun(env: Record<string, string>) {
    const dir = await sandbox('real');
    await writeFile(join(dir, 'tiny.config.mjs'), "export default { cacheDir: '.vite-cache', test: { include: ['tiny.test.mjs'], reporters: ['default'] } };\n");
    await writeFile(join(dir, 'tiny.test.mjs'), "import { expect, it } from 'vitest';\nit('says hello', () => { console.log('hello from the test'); expect(1).toBe(1); });\n");
    return execa('bash', [join(dir, 'scripts/test.sh'), '--config', 'tiny.config.mjs'], {
      cwd: dir,
      env: { PATH: `${join(dir, 'bin')}:${process.env.PATH}`, HOME: process.env.HOME ?? '/root', CI: '1', ...env },
      extendEnv: false,
      reject: false,
      all: true,
    });
  }

  it("vitest's output is plain: no escape sequence, the test's own output and the totals readable", async () => {
    const r = await tinyRun({});
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toContain('stdout | tiny.test.mjs > says hello');
    expect(r.all).toContain('hello from the test');
    expect(r.all).toMatch(/Tests +1 passed \(1\)/);
    expect(r.all).not.toContain('\u001b[');
  });

  it('FORCE_COLOR keeps the colour (and so the plain run above is plain because of npm test, not by chance)', async () => {
    const r = await tinyRun({ FORCE_COLOR: '1' });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toContain('\u001b[');
  });
});
