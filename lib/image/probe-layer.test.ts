import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { PackageEntry } from './package-set.js';
import { lastAptError, PROBE_REFUSED_EXIT, probeImageDigest, probeLayerScript, setMismatch } from './probe-layer.js';

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);

describe('probeLayerScript', () => {
  const script = probeLayerScript([`${SHA_A}.deb`, `${SHA_B}.deb`], ['linux-image-6.1.0-42-amd64:amd64']);
  const apt = script.split('\n').find((l) => l.includes('apt-get') && l.includes(' install '))!;

  it('installs the kept debs and removes what the target has not, in one apt transaction, downgrades allowed', () => {
    expect(apt).toContain(`install '/tmp/drbdlab-probe/${SHA_A}.deb' '/tmp/drbdlab-probe/${SHA_B}.deb' 'linux-image-6.1.0-42-amd64:amd64-'`);
    expect(apt).toContain('--allow-downgrades');
    expect(apt).toMatch(/^if ! chroot "\$mnt" apt-get /);
  });

  it('fetches nothing: no sources, no lists, no update', () => {
    expect(apt).toContain('-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=/nonexistent');
    expect(script).not.toMatch(/apt-get[^\n]* update/);
    expect(script).not.toContain('resolv.conf');
  });

  it('exits with the refused status when apt will not, after unmounting', () => {
    const lines = script.split('\n');
    const i = lines.indexOf(apt);
    expect(lines.slice(i + 1, i + 4)).toEqual(['  umount -R "$mnt"', `  exit ${PROBE_REFUSED_EXIT}`, 'fi']);
  });

  it('the debs come from the work folder into the guest tree, and go before the image is saved', () => {
    expect(script).toContain(`find "$work/debs" -maxdepth 1 -name '*.deb' -exec cp -t "$mnt/tmp/drbdlab-probe" {} +`);
    expect(script.indexOf('rm -rf "$mnt/tmp/drbdlab-probe"')).toBeGreaterThan(script.indexOf(apt));
    expect(script.trimEnd().split('\n').pop()).toBe('umount -R "$mnt"');
  });

  it('nothing to install or remove: no apt transaction at all', () => {
    expect(probeLayerScript([], [])).not.toContain(' install ');
  });

  it('is valid bash, quotes what it is given', async () => {
    const odd = probeLayerScript(["x'y.deb"], []);
    expect(odd).toContain(`'/tmp/drbdlab-probe/x'\\''y.deb'`);
    for (const s of [script, odd]) expect((await execa('bash', ['-n', '-c', s], { reject: false })).exitCode).toBe(0);
  });
});

describe('setMismatch', () => {
  const e = (pkg: string, version: string): PackageEntry => ({ package: pkg, version, arch: 'amd64', source: pkg, sourceVersion: version, sha256: SHA_A, size: 1 });
  it('empty when apt made the set; otherwise what it added (+) and what is missing (-)', () => {
    const target = [e('drbd-utils', '9.22.0-1'), e('systemd', '252.38-1')];
    expect(setMismatch(target, target)).toEqual([]);
    expect(setMismatch([e('drbd-utils', '9.22.0-1')], target)).toEqual(['-systemd 252.38-1 amd64']);
    expect(setMismatch([...target, e('udev', '252.38-1')], target)).toEqual(['+udev 252.38-1 amd64']);
  });
});

describe('lastAptError', () => {
  it("apt's dependency line and its last E: line", () => {
    const stdout = 'Reading package lists...\nThe following packages have unmet dependencies:\n drbd-utils : Depends: libsystemd0 (>= 252.39) but 252.38-1 is to be installed\n';
    const stderr = 'E: Unable to correct problems, you have held broken packages.\n';
    expect(lastAptError(stderr, stdout)).toBe('drbd-utils : Depends: libsystemd0 (>= 252.39) but 252.38-1 is to be installed; E: Unable to correct problems, you have held broken packages.');
    expect(lastAptError('dpkg: error processing archive x.deb\n')).toBe('dpkg: error processing archive x.deb');
  });
});

describe('probeImageDigest', () => {
  it('names the base image and the set: either differing gives another image', () => {
    const d = probeImageDigest(SHA_A, SHA_B);
    expect(d).toMatch(/^[0-9a-f]{64}$/);
    expect(probeImageDigest(SHA_B, SHA_B)).not.toBe(d);
    expect(probeImageDigest(SHA_A, SHA_A)).not.toBe(d);
  });
});
