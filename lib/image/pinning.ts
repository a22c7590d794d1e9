// Reproducible old walkthroughs: a run of ubuntu1804-drbd9 saves the .deb files it installed
// for the DRBD stack (drbd-utils, python-drbdmanage, drbd-dkms and their dependencies) with a
// manifest; a later run can be pinned to exactly that set. The debs travel into the guest in
// the provisioning seed ISO under `pinned/`, become a local apt repository there, and the
// stack is installed at the recorded versions and held. No add-apt-repository: the PPA is
// not needed (and may no longer publish these packages for bionic).

import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DrbdlabError, type FailureKind } from '../errors.js';
import { canonicalJson } from './cache.js';
import { sha256File } from './sha256sums.js';

/** What the walkthrough installs in step 7 (in this order). */
export const DRBD_STACK_PACKAGES = ['drbd-utils', 'python-drbdmanage', 'drbd-dkms'] as const;
/** The local repository inside the guest. */
export const PINNED_REPO_DIR = '/opt/drbdlab-pinned';
/** The folder of the seed ISO that holds the debs. */
export const PINNED_SEED_DIR = 'pinned';
/** The manifest's file name, beside the debs (on the host and in the seed's pinned/). */
export const PIN_MANIFEST_FILE = 'manifest.json';

export interface PinnedDeb {
  package: string;
  version: string;
  arch: string;
  /** apt's archive name: `<package>_<version, ':' as %3a>_<arch>.deb`. */
  filename: string;
  sha256: string;
}

export interface PinManifest {
  format: 1;
  /** The packages installed by name (the rest of `debs` are their dependencies). */
  requested: string[];
  /** Sorted by package, then arch. */
  debs: PinnedDeb[];
}

/** A pinned set that cannot be used, with every problem found (not just the first). */
export class PinManifestError extends DrbdlabError {
  override readonly kind: FailureKind = 'usage';
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source}: the pinned .deb set is not usable:\n  ${problems.join('\n  ')}`);
  }
}

// Debian policy: package names [a-z0-9][a-z0-9+.-]+; versions [epoch:]upstream[-revision] of
// [A-Za-z0-9.+~:-]. Checked so every name and version is also safe on a shell line.
const PACKAGE_RE = /^[a-z0-9][a-z0-9+.-]+$/;
const VERSION_RE = /^(?:\d+:)?[0-9][A-Za-z0-9.+~:-]*$/;
const ARCH_RE = /^[a-z0-9][a-z0-9-]*$/;
const SHA256_RE = /^[0-9a-f]{64}$/;

/** apt's name for a downloaded deb (apt-pkg QuoteString(version, "_:")). */
export function debFileName(pkg: string, version: string, arch: string): string {
  return `${pkg}_${version.replace(/:/g, '%3a')}_${arch}.deb`;
}

/** `dkms_2.3-3ubuntu9.7_all.deb` → its package, version and arch; undefined if not a deb name. */
export function parseDebFileName(filename: string): { package: string; version: string; arch: string } | undefined {
  const m = /^([^_/]+)_([^_/]+)_([^_/]+)\.deb$/.exec(filename);
  if (!m) return undefined;
  const [, pkg, quoted, arch] = m as unknown as [string, string, string, string];
  const version = quoted.replace(/%3a/gi, ':');
  if (!PACKAGE_RE.test(pkg) || !VERSION_RE.test(version) || !ARCH_RE.test(arch)) return undefined;
  return { package: pkg, version, arch };
}

/**
 * Installed versions from `dpkg-query -W` output: `pkg<TAB>version` (the default format, where
 * pkg may be `pkg:arch`) or `pkg<TAB>version<TAB>arch`. Patterns such as `linux-image-*` also
 * list known but uninstalled packages with an empty version: those are left out.
 */
export function parseDpkgQuery(text: string): Map<string, { version: string; arch?: string }> {
  const out = new Map<string, { version: string; arch?: string }>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (!line.trim()) continue;
    const [name = '', version = '', archField = ''] = line.split('\t').map((s) => s.trim());
    if (!version) continue;
    const [pkg = name, archFromName] = name.split(':');
    const arch = archField || archFromName;
    out.set(pkg, arch ? { version, arch } : { version });
  }
  return out;
}

/**
 * The manifest of a provisioning run: every deb apt downloaded for the install (`debFiles`,
 * with the sha256 the host computed), less any whose package dpkg reports at another version
 * (a superseded download). Each requested package must be installed and have its deb.
 */
export function buildPinManifest(
  dpkgQueryOutput: string,
  debFiles: readonly { filename: string; sha256: string }[],
  requested: readonly string[] = DRBD_STACK_PACKAGES,
  source = 'provisioning run',
): PinManifest {
  const installed = parseDpkgQuery(dpkgQueryOutput);
  const problems: string[] = [];
  const debs: PinnedDeb[] = [];
  for (const f of debFiles) {
    const parsed = parseDebFileName(f.filename);
    if (!parsed) {
      problems.push(`${f.filename}: not a .deb file name of the form <package>_<version>_<arch>.deb`);
      continue;
    }
    const inst = installed.get(parsed.package);
    if (inst && inst.version !== parsed.version) continue; // downloaded, but another version is installed
    debs.push({ ...parsed, filename: f.filename, sha256: f.sha256.toLowerCase() });
  }
  for (const pkg of requested) {
    if (!installed.has(pkg)) problems.push(`missing package ${pkg}: dpkg-query does not list it as installed`);
  }
  if (problems.length) throw new PinManifestError(source, problems);
  return validatePinManifest({ format: 1, requested: [...requested], debs: sortDebs(debs) }, { source });
}

function sortDebs(debs: PinnedDeb[]): PinnedDeb[] {
  return [...debs].sort((a, b) => (a.package === b.package ? cmp(a.arch, b.arch) : cmp(a.package, b.package)));
}
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export interface ValidateOptions {
  /** Named in the error (a file path). */
  source?: string;
  /** The deb files actually at hand, file name → sha256: each entry must be there, unchanged. */
  present?: ReadonlyMap<string, string>;
}

/**
 * Check a manifest (parsed JSON from disk, or one just built): its shape, every requested
 * package present exactly once, names consistent, digests well-formed and, when `present` is
 * given, matching the files. Throws PinManifestError listing every problem.
 */
export function validatePinManifest(value: unknown, opts: ValidateOptions = {}): PinManifest {
  const source = opts.source ?? 'pin manifest';
  const problems: string[] = [];
  const m = value as Partial<PinManifest> | null;
  if (!m || typeof m !== 'object' || Array.isArray(m)) throw new PinManifestError(source, ['not a JSON object']);
  if (m.format !== 1) problems.push(`format: expected 1, got ${JSON.stringify(m.format)}`);
  if (!Array.isArray(m.requested) || m.requested.length === 0 || !m.requested.every((p) => typeof p === 'string')) {
    problems.push('requested: expected a non-empty list of package names');
  }
  if (!Array.isArray(m.debs)) problems.push('debs: expected a list');
  if (problems.length) throw new PinManifestError(source, problems);

  const byPackage = new Map<string, PinnedDeb>();
  const byFile = new Set<string>();
  m.debs!.forEach((d: Partial<PinnedDeb> | null, i) => {
    const where = `debs[${i}]`;
    if (!d || typeof d !== 'object') return problems.push(`${where}: not an object`);
    const missing = (['package', 'version', 'arch', 'filename', 'sha256'] as const).filter((k) => typeof d[k] !== 'string' || !d[k]);
    if (missing.length) return problems.push(`${where}: missing ${missing.join(', ')}`);
    const deb = d as PinnedDeb;
    const label = `${deb.package} ${deb.version}`;
    if (!PACKAGE_RE.test(deb.package)) problems.push(`${where}: bad package name ${JSON.stringify(deb.package)}`);
    if (!VERSION_RE.test(deb.version)) problems.push(`${where}: ${deb.package}: bad version ${JSON.stringify(deb.version)}`);
    if (!ARCH_RE.test(deb.arch)) problems.push(`${where}: ${deb.package}: bad architecture ${JSON.stringify(deb.arch)}`);
    const expectedName = debFileName(deb.package, deb.version, deb.arch);
    if (deb.filename !== expectedName) problems.push(`${label}: file name ${deb.filename} does not match (expected ${expectedName})`);
    if (!SHA256_RE.test(deb.sha256)) problems.push(`${label}: sha256 is not 64 lower-case hex digits: ${JSON.stringify(deb.sha256)}`);
    const key = `${deb.package}:${deb.arch}`;
    const dup = byPackage.get(key);
    if (dup) problems.push(`duplicate package ${deb.package} (${deb.arch}): ${dup.filename} and ${deb.filename}`);
    else byPackage.set(key, deb);
    if (byFile.has(deb.filename)) problems.push(`duplicate file ${deb.filename}`);
    byFile.add(deb.filename);
    if (opts.present) {
      const actual = opts.present.get(deb.filename);
      if (actual === undefined) problems.push(`missing file ${deb.filename}`);
      else if (actual.toLowerCase() !== deb.sha256) problems.push(`sha256 mismatch for ${deb.filename}: manifest ${deb.sha256}, file ${actual.toLowerCase()}`);
    }
  });
  const packages = new Set([...byPackage.values()].map((d) => d.package));
  for (const p of m.requested!) {
    if (!packages.has(p)) problems.push(`missing package ${p}: the set has no .deb for it`);
  }
  if (new Set(m.requested).size !== m.requested!.length) problems.push(`requested: a package is listed twice (${m.requested!.join(', ')})`);
  if (problems.length) throw new PinManifestError(source, problems);
  return { format: 1, requested: [...m.requested!], debs: sortDebs(m.debs as PinnedDeb[]) };
}

/** The version a requested package is pinned at. */
function pinnedVersion(manifest: PinManifest, pkg: string): string {
  const d = manifest.debs.find((x) => x.package === pkg);
  if (!d) throw new PinManifestError('pin manifest', [`missing package ${pkg}`]);
  return d.version;
}

/**
 * The part of the image cache key that stands for the pinned set: the same set (in any order,
 * wherever it is stored) gives the same string; any other version or digest, another.
 */
export function pinDigestPart(manifest: PinManifest): string {
  const content = {
    requested: [...manifest.requested].sort(),
    debs: sortDebs(manifest.debs).map((d) => [d.package, d.version, d.arch, d.sha256]),
  };
  return `pinned-debs:sha256:${createHash('sha256').update(canonicalJson(content)).digest('hex')}`;
}

export interface LocalRepoSteps {
  writeFiles: Record<string, unknown>[];
  runcmd: string[];
}

/** A single-quoted shell word (names and versions are validated; this is belt and braces). */
function sq(s: string): string {
  return /^[\w@%+=:,./~-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The steps that replace the walkthrough's steps 6–7 in a pinned run: copy the debs from the
 * seed ISO, check them, make them a local repository, install the exact versions and hold them.
 */
export function localRepoInstallSteps(manifest: PinManifest, repoDir = PINNED_REPO_DIR): LocalRepoSteps {
  const sums = manifest.debs.map((d) => `${d.sha256}  ${d.filename}`).join('\n') + '\n';
  const exact = manifest.requested.map((p) => `${p}=${pinnedVersion(manifest, p)}`);
  const mnt = '/mnt/drbdlab-seed';
  return {
    writeFiles: [
      { path: `${repoDir}/SHA256SUMS`, permissions: '0644', content: sums },
      {
        // Local (file:) repositories have origin "": prefer them over the archive for the
        // dependencies too, without downgrading anything installed (priority < 1000).
        path: '/etc/apt/preferences.d/90-drbdlab-pinned',
        permissions: '0644',
        content: 'Package: *\nPin: origin ""\nPin-Priority: 990\n',
      },
    ],
    runcmd: [
      `mkdir -p ${repoDir} ${mnt}`,
      `mount -o ro /dev/disk/by-label/cidata ${mnt}`,
      `cp ${mnt}/${PINNED_SEED_DIR}/*.deb ${repoDir}/`,
      `umount ${mnt}`,
      `(cd ${repoDir} && sha256sum --check --strict --quiet SHA256SUMS)`,
      `(cd ${repoDir} && apt-ftparchive packages . > Packages && gzip -9kf Packages && apt-ftparchive release . > Release)`,
      `echo 'deb [trusted=yes] file:${repoDir} ./' > /etc/apt/sources.list.d/drbdlab-pinned.list`,
      'apt-get update',
      `apt-get install -y ${exact.map(sq).join(' ')}`,
      `apt-mark hold ${manifest.requested.map(sq).join(' ')}`,
    ],
  };
}

/** Cloud-config for the pinned install on its own (renderUbuntuProvisioning embeds the same steps). */
export function renderLocalRepoProvisioning(manifest: PinManifest, repoDir = PINNED_REPO_DIR): Record<string, unknown> {
  const valid = validatePinManifest(manifest);
  const steps = localRepoInstallSteps(valid, repoDir);
  return {
    write_files: steps.writeFiles,
    runcmd: ['set -eux', 'export DEBIAN_FRONTEND=noninteractive', ...steps.runcmd],
  };
}

/** Every .deb in `dir` with its sha256 (host side, streaming). */
export async function hashDebs(dir: string): Promise<{ filename: string; sha256: string }[]> {
  const names = (await readdir(dir)).filter((f) => f.endsWith('.deb')).sort();
  return Promise.all(names.map(async (filename) => ({ filename, sha256: await sha256File(join(dir, filename)) })));
}

/** A pinned set on disk: `<dir>/manifest.json` and the debs beside it, checked file by file. */
export async function loadPinnedSet(dir: string): Promise<PinManifest> {
  const file = join(dir, PIN_MANIFEST_FILE);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new PinManifestError(file, [`cannot read it: ${(err as Error).message.split('\n')[0]}`]);
  }
  const present = new Map((await hashDebs(dir)).map((d) => [d.filename, d.sha256] as const));
  return validatePinManifest(parsed, { source: file, present });
}

/** Write a pinned set: the manifest's debs copied from `fromDir`, and manifest.json. */
export async function writePinnedSet(manifest: PinManifest, fromDir: string, toDir: string): Promise<void> {
  await mkdir(toDir, { recursive: true });
  for (const d of manifest.debs) await copyFile(join(fromDir, d.filename), join(toDir, d.filename));
  await writeFile(join(toDir, PIN_MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
}
