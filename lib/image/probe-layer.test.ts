import { execa } from 'execa';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HostCommandError } from '../errors.js';
import type { PackageEntry } from './package-set.js';
import { ensureProbeImage, expectedAfter, lastAptError, PROBE_REFUSED_EXIT, probeImageDigest, probeLayerScript, setMismatch, type RunCommand } from './probe-layer.js';

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

describe('expectedAfter', () => {
  it('what was installed, the installed ones put in (another version replaced), the removed ones out', () => {
    const p = (pkg: string, version: string) => ({ package: pkg, version, arch: 'amd64' });
    expect(expectedAfter([p('drbd-utils', '2'), p('udev', '1'), p('lvm2', '1')], [p('drbd-utils', '1'), p('canary', '1')], ['udev:amd64'])).toEqual([p('drbd-utils', '1'), p('lvm2', '1'), p('canary', '1')]);
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

describe('ensureProbeImage (host commands faked)', () => {
  const entry = (pkg: string, version: string, sha: string): PackageEntry => ({ package: pkg, version, arch: 'amd64', source: pkg, sourceVersion: version, sha256: sha, size: 1 });
  const TARGET = [entry('drbd-utils', '9.22.0-1', SHA_A), entry('systemd', '252.38-1', SHA_B)];
  const installedLine = (e: PackageEntry) => `${e.package}\t${e.version}\t${e.arch}\t${e.source}\t${e.sourceVersion}\tii \n`;
  let work: string;
  let calls: { file: string; args: readonly string[]; debs?: string[] }[];

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'drbdlab-probe-layer-'));
    await mkdir(join(work, 'store', 'debs'), { recursive: true });
    await writeFile(join(work, 'store', 'debs', `${SHA_A}.deb`), 'deb a');
    calls = [];
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await rm(work, { recursive: true, force: true });
  });

  /** qemu-img writes its output; the layer's script does `layer` (apt's outcome). */
  const fakeRun = (layer: 'ok' | 'refused' | 'other-set'): RunCommand => async (file, args) => {
    if (file === 'qemu-img') {
      await writeFile(args.at(-1)!, 'disk');
    } else {
      const w = args[5]!;
      calls.push({ file, args, debs: await readdir(join(w, 'debs')) });
      if (layer === 'refused') throw new HostCommandError(`bash -c …`, PROBE_REFUSED_EXIT, 'E: Unable to correct problems, you have held broken packages.\n', ' drbd-utils : Depends: libsystemd0 (>= 252.39) but 252.38-1 is to be installed\n');
      // Before: drbd-utils at another version, udev (to be removed); after, as apt left it.
      await writeFile(join(w, 'before.tsv'), [entry('drbd-utils', '9.22.0-2', SHA_B), TARGET[1]!, entry('udev', '252.38-1', SHA_B)].map(installedLine).join(''));
      const installed = layer === 'ok' ? TARGET : [...TARGET, entry('udev', '252.38-1', SHA_B)];
      await writeFile(join(w, 'installed.tsv'), installed.map(installedLine).join(''));
      await mkdir(join(w, 'boot'), { recursive: true });
      for (const f of ['vmlinuz-6.1.0-41-amd64', 'initrd.img-6.1.0-41-amd64']) await writeFile(join(w, 'boot', f), f);
    }
    return { stdout: '', stderr: '' };
  };
  const make = (layer: 'ok' | 'refused' | 'other-set') =>
    ensureProbeImage({
      base: { disk: join(work, 'base.qcow2'), digest: 'c'.repeat(64), versions: { 'drbd-utils': '9.22.0-2', kernel: '6.1.0-41-amd64' } },
      profile: 'debian12-drbd84',
      storeRoot: join(work, 'store'), cache: join(work, 'cache'),
      install: [TARGET[0]!],
      remove: ['udev:amd64'],
      target: TARGET,
      setId: 'd'.repeat(64),
      run: fakeRun(layer),
    });

  it('an image of the set, the kept debs handed to the layer, cached: never a recipe\'s image nor a layer base', async () => {
    const r = await make('ok');
    expect(r.kind).toBe('image');
    if (r.kind !== 'image') return;
    expect(calls.map((c) => c.debs)).toEqual([[`${SHA_A}.deb`]]);
    expect(r.image).toMatchObject({ packageSet: 'd'.repeat(64), layeredOn: 'c'.repeat(64), versions: { 'drbd-utils': '9.22.0-1', kernel: '6.1.0-41-amd64' } });
    expect(r.image.recipeDigest).toBeUndefined();
    expect(await readdir(r.image.dir)).toEqual(expect.arrayContaining(['disk.qcow2', 'vmlinuz', 'initrd.img', 'manifest.json']));
    expect(await readdir(r.image.dir)).not.toContain('layer');
    // Asked again: the cached image, no command run.
    expect((await make('ok')).kind).toBe('image');
    expect(calls).toHaveLength(1);
  });

  it("apt refusing is the probe's refused with apt's own lines, and leaves nothing in the cache", async () => {
    expect(await make('refused')).toEqual({ kind: 'refused', detail: 'drbd-utils : Depends: libsystemd0 (>= 252.39) but 252.38-1 is to be installed; E: Unable to correct problems, you have held broken packages.' });
    expect(await readdir(join(work, 'cache', 'images')).catch(() => [])).toEqual([]);
  });

  it('apt making another set than the probe\'s (a dependent removed or pulled in) is refused too, naming the difference', async () => {
    expect(await make('other-set')).toEqual({ kind: 'refused', detail: "apt made another set than the probe's: +udev 252.38-1 amd64" });
  });

  it('another failure of the layer is the lab\'s: thrown', async () => {
    const failing: RunCommand = async (file) => {
      if (file === 'bash') throw new HostCommandError('bash -c …', 32, 'mount: /mnt: failed to setup loop device', '');
      return { stdout: '', stderr: '' };
    };
    await expect(ensureProbeImage({ base: { disk: 'b', digest: 'c'.repeat(64), versions: {} }, profile: 'debian12-drbd84', storeRoot: join(work, 'store'), cache: join(work, 'cache'), install: [TARGET[0]!], remove: [], target: TARGET, setId: 'e'.repeat(64), run: failing })).rejects.toBeInstanceOf(HostCommandError);
  });
});
