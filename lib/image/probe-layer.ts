// A probe layer (attribution, docs/attribution.md): an image of one package set made from a
// cached image of another, by installing the kept .debs that differ (an upgrade or a downgrade)
// and removing the packages the target has not, in one apt transaction. The .debs come from the
// package store, copied into the guest tree; apt is given no sources and no package lists, so it
// fetches nothing and resolves only against what is installed and the files given: an update that
// needs another the probe leaves out is refused (the probe's "cannot tell"). Cached like images,
// by the base image and the target set.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HostCommandError } from '../errors.js';
import { run, type RunOptions, type RunResult } from '../exec/run.js';
import { buildAtomically, imageDir, readCachedImage, type CachedImage } from './cache.js';
import { newestKernel } from './debian12-layer.js';
import { INSTALLED_FORMAT, parseInstalled, type PackageEntry } from './package-set.js';
import { debPathIn } from './package-store.js';
import { removeTree } from './remove-tree.js';

/** The script's exit status when apt/dpkg would not make the set (the probe is refused, not broken). */
export const PROBE_REFUSED_EXIT = 65;

/** Where the .debs are in the guest tree while apt installs them. */
const GUEST_DEBS = '/tmp/drbdlab-probe';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The layer's script, for `bash -c` in its own mount and PID namespace. $1 raw image, $2 mount
 * point, $3 work folder (its debs/ holds `files`). Installs `files` (names in debs/) and removes
 * `remove` (`name:arch`) in one apt transaction, downgrades allowed; exits PROBE_REFUSED_EXIT when
 * apt will not; lists what is installed and copies /boot's kernels out.
 */
export function probeLayerScript(files: readonly string[], remove: readonly string[]): string {
  const args = [...files.map((f) => `${GUEST_DEBS}/${f}`), ...remove.map((r) => `${r}-`)].map(quote).join(' ');
  return [
    'set -eu',
    'raw=$1; mnt=$2; work=$3',
    'mount -o loop "$raw" "$mnt"',
    'mount --bind /proc "$mnt/proc"; mount --bind /sys "$mnt/sys"; mount --rbind /dev "$mnt/dev"',
    `mkdir -p "$mnt${GUEST_DEBS}"`,
    `find "$work/debs" -maxdepth 1 -name '*.deb' -exec cp -t "$mnt${GUEST_DEBS}" {} +`,
    'export DEBIAN_FRONTEND=noninteractive',
    `chroot "$mnt" dpkg-query -W -f '${INSTALLED_FORMAT}' > "$work/before.tsv"`,
    // No sources, no lists: nothing is fetched; apt resolves against the installed and the given files.
    ...(args
      ? [
          `if ! chroot "$mnt" apt-get -q -y --allow-downgrades --no-install-recommends -o Dpkg::Options::=--force-confold -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=/nonexistent install ${args}; then`,
          '  umount -R "$mnt"',
          `  exit ${PROBE_REFUSED_EXIT}`,
          'fi',
        ]
      : []),
    `chroot "$mnt" dpkg-query -W -f '${INSTALLED_FORMAT}' > "$work/installed.tsv"`,
    `rm -rf "$mnt${GUEST_DEBS}"`,
    'chroot "$mnt" apt-get clean',
    'mkdir -p "$work/boot"',
    'cp "$mnt"/boot/vmlinuz-* "$mnt"/boot/initrd.img-* "$work/boot/"',
    'umount -R "$mnt"',
    '',
  ].join('\n');
}

const exact = (p: { package: string; version: string; arch: string }) => `${p.package} ${p.version} ${p.arch}`;

type Installed = { package: string; version: string; arch: string };

/** What should be installed after the layer: what was, with `install` put in and `remove` (`name:arch`) taken out. */
export function expectedAfter(before: readonly Installed[], install: readonly Installed[], remove: readonly string[]): Installed[] {
  const key = (p: Installed) => `${p.package}:${p.arch}`;
  const out = new Map(before.map((p) => [key(p), p]));
  for (const r of remove) out.delete(r);
  for (const p of install) out.set(key(p), p);
  return [...out.values()];
}

/**
 * How what apt installed differs from what the layer should give (`+` installed but not wanted,
 * `-` wanted but not installed); empty when it is that. apt may remove a dependent package with
 * one the probe removes, or pull one in: then the image is not the probe's set.
 */
export function setMismatch(installed: readonly Installed[], target: readonly Installed[]): string[] {
  const have = new Set(installed.map(exact));
  const want = new Set(target.map(exact));
  return [...[...have].filter((x) => !want.has(x)).map((x) => `+${x}`), ...[...want].filter((x) => !have.has(x)).map((x) => `-${x}`)].sort();
}

/** The identity of a probe image: its base image and the set it is made into. */
export const probeImageDigest = (baseDigest: string, setId: string): string => createHash('sha256').update(`probe\n${baseDigest}\n${setId}\n`).digest('hex');

export type ProbeImage = { kind: 'image'; image: CachedImage } | { kind: 'refused'; detail: string };

/** How host commands run (qemu-img, the layer's script): `run`, or a fake in tests. */
export type RunCommand = (file: string, args: readonly string[], opts?: RunOptions) => Promise<RunResult>;

/**
 * The image of `setId` made from `base` by `install` (from the store at `storeRoot`) and `remove`,
 * cached; refused when apt will not make it or makes another set. (Nothing to install or remove:
 * the caller runs on `base` itself.)
 */
export async function ensureProbeImage(o: {
  base: Pick<CachedImage, 'disk' | 'digest' | 'versions'>;
  profile: string;
  storeRoot: string;
  install: readonly PackageEntry[];
  remove: readonly string[];
  /** The set it makes (its id names the image; its versions go to the image's record). */
  target: readonly PackageEntry[];
  setId: string;
  signal?: AbortSignal;
  run?: RunCommand;
  /** The image cache the probe image goes to (the run's `paths.cache`). */
  cache: string;
}): Promise<ProbeImage> {
  const exec = o.run ?? run;
  const digest = probeImageDigest(o.base.digest, o.setId);
  const cached = await readCachedImage(o.cache, o.profile, digest);
  if (cached) return { kind: 'image', image: cached };
  for (const e of o.install) {
    // The caller checked the sets are kept; a deb gone since is the store's bound at work.
    if (!existsSync(debPathIn(o.storeRoot, e.sha256))) throw new Error(`${e.package} ${e.version}: its .deb is no longer in the package store (${debPathIn(o.storeRoot, e.sha256)})`);
  }
  const dir = imageDir(o.cache, o.profile, digest);
  let refused: string | undefined;
  await buildAtomically(dir, async (scratch) => {
    const work = join(scratch, 'layer');
    const mnt = join(work, 'mnt');
    await mkdir(join(work, 'debs'), { recursive: true });
    await mkdir(mnt, { recursive: true });
    for (const e of o.install) await copyFile(debPathIn(o.storeRoot, e.sha256), join(work, 'debs', `${e.sha256}.deb`));
    const raw = join(work, 'root.raw');
    await exec('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', o.base.disk, raw], { timeoutMs: 10 * 60_000, signal: o.signal, dieWithParent: true });
    try {
      await exec('bash', ['-c', probeLayerScript(o.install.map((e) => `${e.sha256}.deb`), o.remove), 'drbdlab-probe-layer', raw, mnt, work], {
        timeoutMs: 20 * 60_000,
        signal: o.signal,
        isolated: true,
        hint: 'a probe layer needs loop devices (as an upgrade layer does)',
      });
    } catch (err) {
      // apt would not: the probe's answer (refused), not the lab's failure. Nothing is kept.
      if (err instanceof HostCommandError && err.exitCode === PROBE_REFUSED_EXIT) refused = lastAptError(err.stderr, err.stdout);
      throw err;
    }
    // Checked against what was installed before (a set may lack the odd package no .deb was kept for).
    const before = parseInstalled(await readFile(join(work, 'before.tsv'), 'utf8'));
    const mismatch = setMismatch(parseInstalled(await readFile(join(work, 'installed.tsv'), 'utf8')), expectedAfter(before, o.install, o.remove));
    if (mismatch.length) {
      refused = `apt made another set than the probe's: ${mismatch.slice(0, 5).join(', ')}${mismatch.length > 5 ? ` and ${mismatch.length - 5} more` : ''}`;
      throw new Error(refused);
    }
    const boot = newestKernel(await readdir(join(work, 'boot')));
    if (!boot) throw new Error(`probe layer: no kernel/initrd pair in ${work}/boot`);
    await copyFile(join(work, 'boot', boot.kernel), join(scratch, 'vmlinuz'));
    await copyFile(join(work, 'boot', boot.initrd), join(scratch, 'initrd.img'));
    await chmod(join(scratch, 'initrd.img'), 0o644);
    await exec('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, join(scratch, 'disk.qcow2')], { timeoutMs: 10 * 60_000, signal: o.signal, dieWithParent: true });
    await removeTree(work);
    const versions = { ...o.base.versions, ...Object.fromEntries(o.target.filter((e) => e.package in o.base.versions).map((e) => [e.package, e.version])), kernel: boot.version };
    // No recipe digest and a base: never taken as a recipe's newest image, nor as a layer's base.
    const manifest: Omit<CachedImage, 'dir'> = {
      digest,
      builtAt: new Date().toISOString(),
      layeredOn: o.base.digest,
      disk: join(dir, 'disk.qcow2'),
      kernel: join(dir, 'vmlinuz'),
      initrd: join(dir, 'initrd.img'),
      versions,
      packageSet: o.setId,
    };
    await writeFile(join(scratch, 'manifest.json'), JSON.stringify(manifest, null, 2));
  }).catch((err: unknown) => {
    if (refused === undefined) throw err;
  });
  if (refused !== undefined) return { kind: 'refused', detail: refused };
  const made = await readCachedImage(o.cache, o.profile, digest);
  if (!made) throw new Error(`probe layer finished but ${dir}/manifest.json is missing`);
  return { kind: 'image', image: made };
}

/** apt's own reason, for the report: its last `E:` line, else the last line it printed. */
export function lastAptError(stderr: string, stdout = ''): string {
  const lines = `${stdout}\n${stderr}`.split('\n').map((l) => l.trim()).filter(Boolean);
  const e = lines.filter((l) => l.startsWith('E: ')).pop();
  const dep = lines.filter((l) => / : Depends: /u.test(l)).pop();
  return [dep, e].filter(Boolean).join('; ') || lines.pop() || 'apt refused the layer';
}
