import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { checkEnvironment, closestVariable, VARIABLES } from './environment.js';

const ROOT = join(import.meta.dirname, '../..');

describe('DRBDLAB_* variables, checked once at the edge', () => {
  it('a typo is one line naming it and the variable it is closest to', () => {
    expect(() => checkEnvironment({ DRBDLAB_CLUSTER: '2' })).toThrow(new UsageError('DRBDLAB_CLUSTER: not a drbdlab variable (did you mean DRBDLAB_CLUSTERS?); unset it (docs/configuration.md lists them)'));
    expect(() => checkEnvironment({ DRBDLAB_NONSENSE_XYZ: '1' })).toThrow(/^DRBDLAB_NONSENSE_XYZ: not a drbdlab variable; unset it/);
    expect(closestVariable('DRBDLAB_PROFLE')).toBe('DRBDLAB_PROFILE');
  });

  it('a value a variable cannot take is one line naming both', () => {
    expect(() => checkEnvironment({ DRBDLAB_PROFILE: 'debian12' })).toThrow(/^DRBDLAB_PROFILE=debian12: use debian12-drbd84, ubuntu1804-drbd9, \(empty\)$/);
    expect(() => checkEnvironment({ DRBDLAB_CLUSTERS: 'two' })).toThrow('DRBDLAB_CLUSTERS=two: give a whole number, 1 or more');
    expect(() => checkEnvironment({ DRBDLAB_ACCEL: 'KVM' })).toThrow(/^DRBDLAB_ACCEL=KVM: use kvm, tcg, auto/);
    expect(() => checkEnvironment({ DRBDLAB_FAULT: 'wrong-peer' })).toThrow(/^DRBDLAB_FAULT=wrong-peer: use wrong-peer-ip, kernel-bug-before-reboot/);
    expect(() => checkEnvironment({ DRBDLAB_SNAPSHOT_CACHE_GIB: '6G' })).toThrow('DRBDLAB_SNAPSHOT_CACHE_GIB=6G: give a size in GiB, e.g. 6');
  });

  it('good values and other variables pass', () => {
    expect(() => checkEnvironment({ DRBDLAB_PROFILE: 'debian12-drbd84', DRBDLAB_CLUSTERS: '2', DRBDLAB_OFFLINE: '1', DRBDLAB_KEEP: '1', PATH: '/bin', DRBDLABX: 'y' })).not.toThrow();
  });

  it('every DRBDLAB_* name the code reads is known, and every known one is documented', () => {
    const out = execFileSync('grep', ['-rhoE', 'DRBDLAB_[A-Z0-9_]+', 'lib', 'scripts', 'scenarios', 'vitest.config.ts', 'stryker.config.mjs', 'vitest.mutation.config.ts', '--include=*.ts', '--include=*.mjs', '--include=*.sh', '--exclude=*.test.ts'], { cwd: ROOT, encoding: 'utf8' });
    // Not variables: the report's category list and a heredoc marker.
    const read = new Set(out.split('\n').filter((n) => n && !['DRBDLAB_CATEGORIES', 'DRBDLAB_EOF'].includes(n)));
    expect([...read].filter((n) => !(n in VARIABLES)).sort()).toEqual([]);
    const doc = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8');
    expect(Object.keys(VARIABLES).filter((n) => !doc.includes(`\`${n}\``))).toEqual([]);
  });
});

/** Non-test TypeScript and JavaScript under a folder, recursively (fixtures aside). */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'fixtures' ? [] : sources(path);
    return /\.(ts|mjs)$/.test(e.name) && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

// The environment is configuration: read once, at the edge, by lib/config/ (loadConfig,
// resolveConfig, resolveLabless, checkEnvironment; vitest.config.ts and the global setups call
// those), and passed down. Anywhere else a read is a second, hidden configuration.
const ENV_READERS: Readonly<Record<string, string>> = {
  'lib/cli/main.ts': 'DRBDLAB_DEBUG when resolving the configuration is itself what failed: the stack of that error',
  'scenarios/support/global-setup-real.ts': "the scenario runner's edge: DRBDLAB_PLAN (the nightly's plan file) and the profile npm test chose (DRBDLAB_PROFILE_CHOICE), beside its configuration",
  'scripts/test-profile.ts': "npm test's edge: DRBDLAB_PROFILE and DRBDLAB_PROFILE_CHOICE for the profile choice it hands its scenarios phase",
  'scripts/mutation.ts': 'forwards --mutate to Stryker and its child processes as DRBDLAB_MUTATE',
  'stryker.config.mjs': 'the mutation slice scripts/mutation.ts forwards (DRBDLAB_MUTATE)',
};

/** `file:line: text` of every line that touches process.env. */
function envReads(root: string, files: string[]): string[] {
  return files.flatMap((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .flatMap((line, i) => (/\bprocess\.env\b/.test(line) ? [`${relative(root, f)}:${i + 1}: ${line.trim()}`] : [])),
  );
}

describe('the environment is read in lib/config/ only', () => {
  const files = () => [...['lib', 'scenarios', 'scripts', 'tests/support'].flatMap((d) => sources(join(ROOT, d))), ...readdirSync(ROOT).filter((f) => /\.(ts|mjs)$/.test(f)).map((f) => join(ROOT, f))];
  const fileOf = (read: string) => read.slice(0, read.indexOf(':'));

  it('no file outside lib/config/ reads process.env but those listed, each with its reason', () => {
    const reads = envReads(ROOT, files()).filter((r) => !r.startsWith('lib/config/'));
    expect(reads.filter((r) => !(fileOf(r) in ENV_READERS))).toEqual([]);
    // A listed file that no longer reads it leaves the list.
    expect(Object.keys(ENV_READERS).filter((f) => !reads.some((r) => fileOf(r) === f))).toEqual([]);
  });

  it('the scan sees a read where it is planted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'env-scan-'));
    try {
      const file = join(dir, 'planted.ts');
      writeFileSync(file, "const a = 1;\nconst c = process.env.DRBDLAB_CACHE ?? '.cache';\nconst { DRBDLAB_STATE } = process.env;\n// process environment, not a read\n");
      expect(envReads(dir, [file])).toEqual(["planted.ts:2: const c = process.env.DRBDLAB_CACHE ?? '.cache';", 'planted.ts:3: const { DRBDLAB_STATE } = process.env;']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
