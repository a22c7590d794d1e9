import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
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
