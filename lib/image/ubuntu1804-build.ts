// The ubuntu1804-drbd9 image build: download the bionic cloud image (verified against
// SHA256SUMS), boot a copy-on-write overlay of it once with the provisioning seed (the
// walkthrough's steps 3–8 as cloud-config), wait for it to power off, read back what it
// recorded, and flatten the overlay into the image cache.
//
// Every step that needs the network first asks the profile's upstream check, so a machine
// without the Ubuntu archive and the LINBIT PPA fails at once with UpstreamUnavailableError.
// The provisioning boot runs QEMU directly with user networking (not restricted: apt needs the
// archive and the PPA); libvirt and the lab's isolated networks are not involved.

import { createWriteStream, existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import stripAnsi from 'strip-ansi';
import type { SeedFiles } from '../cloud-init/render.js';
import { drbdVersion } from '../drbd/proc-drbd.js';
import { DrbdlabError, HostCommandError, UpstreamUnavailableError, UsageError, WaitTimeoutError, type FailureKind } from '../errors.js';
import { run } from '../exec/run.js';
import { chooseAccel, type AccelChoice, type AccelSetting } from '../libvirt/accel.js';
import { Virsh } from '../libvirt/virsh.js';
import type { Accel } from '../libvirt/domain-xml.js';
import { buildAtomically, imageDir, readCachedImage, type CachedImage } from './cache.js';
import { afterBuild, planImage, type ImageFolders } from './fresh-image.js';
import type { PruneDeps } from './prune.js';
import type { FetchLike } from './upstream-state.js';
import { buildPinManifest, hashDebs, parseDpkgQuery, PIN_MANIFEST_FILE, PINNED_SEED_DIR, writePinnedSet, type PinManifest } from './pinning.js';
import type { Progress } from './progress.js';
import { ChecksumMismatchError, parseSha256Sums, verifySha256 } from './sha256sums.js';
import {
  imageFileName,
  LINBIT_PPA,
  PROVISION_DONE,
  PROVISION_FAILED,
  PROVISIONING_MAC,
  renderProvisioningSeed,
  ubuntuRecipeDigest,
  ubuntuUpstreamChecks,
  type UbuntuRecipe,
} from './ubuntu1804-recipe.js';

// ---------------------------------------------------------------------------------------------
// The provisioning console log: did it get through, and if not, whose fault is it?

export type ProvisioningVerdict =
  | { outcome: 'complete' }
  /** A source the walkthrough needs is gone or unreachable: not DRBD's fault. */
  | { outcome: 'upstream'; resource: string; detail: string; evidence: string }
  /** The DRBD stack itself failed (the DKMS module did not build or load): a finding. */
  | { outcome: 'product'; detail: string; evidence: string }
  /** Stopped without a known cause (a failed step, a hang, a crash). */
  | { outcome: 'incomplete'; detail: string; evidence: string };

export interface ClassifyOptions {
  ppa?: string;
  /** Packages only the PPA publishes: "unable to locate" one of them means the PPA dropped it. */
  ppaPackages?: readonly string[];
  release?: string;
}

const PPA_HOSTS = /(^|\.)(ppa\.launchpad\.net|ppa\.launchpadcontent\.net)$/;

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/**
 * Console text as lines: ANSI sequences, carriage returns and NULs (serial noise) removed, and
 * the `[   48.61] cloud-init[1012]: ` prefix Ubuntu's console puts before cloud-init output.
 */
function consoleLines(text: string): string[] {
  return stripAnsi(text)
    .replace(/\0/g, '')
    .split('\n')
    .map((l) =>
      l
        .replace(/\r+$/, '')
        .replace(/^.*\r(?=.)/, '')
        .replace(/^\[\s*\d+\.\d+\]\s+/, '')
        .replace(/^cloud-init\[\d+\]:\s?/, ''),
    );
}

/**
 * Classify a provisioning console log. Pure. A DKMS build failure wins over everything (it is
 * the regression the lab exists to catch); then a completed run; then the signs of a source
 * that no longer publishes or cannot be reached; anything else is "incomplete".
 */
export function classifyProvisioningLog(text: string, opts: ClassifyOptions = {}): ProvisioningVerdict {
  const ppa = opts.ppa ?? LINBIT_PPA;
  const ppaPackages = opts.ppaPackages ?? ['drbd-dkms', 'python-drbdmanage', 'drbd-utils'];
  const release = opts.release ?? 'bionic';
  const lines = consoleLines(text);
  const find = (re: RegExp): { m: RegExpExecArray; line: string; index: number } | undefined => {
    for (let i = 0; i < lines.length; i++) {
      const m = re.exec(lines[i]!);
      if (m) return { m, line: lines[i]!.trim(), index: i };
    }
    return undefined;
  };

  // Product: the DRBD 9 module from drbd-dkms.
  const dkms = find(/Error! Bad return status for module build on kernel: (\S+)/);
  if (dkms) {
    const makeLog = find(/Consult (\S+make\.log)/)?.m[1];
    const module = find(/Loading new (\S+) DKMS files/)?.m[1] ?? 'the DRBD module';
    return {
      outcome: 'product',
      detail: `drbd-dkms: DKMS could not build ${module} for kernel ${dkms.m[1]}${makeLog ? ` (see ${makeLog} in the guest)` : ''}`,
      evidence: dkms.line,
    };
  }
  const headers = find(/Error! Your kernel headers for kernel (\S+) cannot be found/);
  if (headers) return { outcome: 'product', detail: `drbd-dkms: no kernel headers for ${headers.m[1]}, so no DRBD 9 module`, evidence: headers.line };
  const modprobe = find(/modprobe: (?:ERROR: could not insert 'drbd'|FATAL: Module drbd not found)/);
  if (modprobe) return { outcome: 'product', detail: 'the drbd module does not load', evidence: modprobe.line };

  if (lines.some((l) => l.trim() === PROVISION_DONE)) return { outcome: 'complete' };

  // Upstream: packages, suites or files the sources no longer publish.
  const locate = find(/E: (?:Unable to locate package (\S+)|Package '([^']+)' has no installation candidate)/);
  if (locate) {
    const pkg = (locate.m[1] ?? locate.m[2])!;
    return ppaPackages.includes(pkg)
      ? { outcome: 'upstream', resource: ppa, detail: `the PPA no longer publishes ${pkg} for ${release}`, evidence: locate.line }
      : { outcome: 'upstream', resource: 'archive.ubuntu.com', detail: `the Ubuntu archive no longer publishes ${pkg} for ${release}`, evidence: locate.line };
  }
  const noRelease = find(/The repository '(\S+) (\S+) Release' does not have a Release file/);
  if (noRelease) {
    const [, url, suite] = noRelease.m as unknown as [string, string, string];
    const host = hostOf(url);
    return PPA_HOSTS.test(host)
      ? { outcome: 'upstream', resource: ppa, detail: `the PPA no longer publishes a ${suite} release (${url})`, evidence: noRelease.line }
      : { outcome: 'upstream', resource: host, detail: `${url} no longer publishes ${suite}`, evidence: noRelease.line };
  }
  const notFound = find(/(?:E: Failed to fetch|Err:\d+) (\S+).*?\b404\s+Not Found/) ?? twoLine404(lines);
  if (notFound) {
    const url = notFound.m[1]!;
    const host = hostOf(url);
    const file = basename(url);
    return PPA_HOSTS.test(host)
      ? { outcome: 'upstream', resource: ppa, detail: `the PPA no longer publishes ${file} (404 Not Found)`, evidence: notFound.line }
      : { outcome: 'upstream', resource: host, detail: `${host} no longer has ${file} (404 Not Found)`, evidence: notFound.line };
  }
  const noPpa = find(/Cannot add PPA: '([^']+)'/);
  if (noPpa) return { outcome: 'upstream', resource: ppa, detail: `Launchpad no longer has ${noPpa.m[1]}`, evidence: noPpa.line };
  const net = find(/(?:Temporary failure resolving|Could not resolve) '([^']+)'|(?:Could not connect to|Failed to connect to|Cannot initiate the connection to|Unable to connect to) ([A-Za-z0-9.-]+)/);
  if (net) {
    const host = (net.m[1] ?? net.m[2])!;
    return { outcome: 'upstream', resource: host, detail: `the provisioning VM needs network access to ${host}`, evidence: net.line };
  }
  const keyserver = find(/gpg: keyserver receive failed/);
  if (keyserver) return { outcome: 'upstream', resource: 'keyserver.ubuntu.com', detail: `add-apt-repository needs network access to keyserver.ubuntu.com for the PPA's key`, evidence: keyserver.line };

  const failed = find(new RegExp(`^${PROVISION_FAILED} \\(exit (\\d+)\\)`));
  if (failed) {
    // The last command xtrace showed before the failure is the step that failed.
    const step = lines.slice(0, failed.index).reverse().find((l) => /^\+ /.test(l.trim()));
    return { outcome: 'incomplete', detail: `a provisioning step failed (exit ${failed.m[1]})${step ? `: ${step.trim().slice(2)}` : ''}`, evidence: failed.line };
  }
  const last = lines.map((l) => l.trim()).filter(Boolean).slice(-1)[0] ?? '(empty console log)';
  return { outcome: 'incomplete', detail: 'the guest powered off before provisioning completed', evidence: last };
}

/** apt's `Err:7 <url> …` then `  404  Not Found [IP: …]` on the next line. */
function twoLine404(lines: string[]): { m: RegExpExecArray; line: string; index: number } | undefined {
  for (let i = 1; i < lines.length; i++) {
    if (/^\s*404\s+Not Found/.test(lines[i]!)) {
      const m = /Err:\d+ (\S+)/.exec(lines[i - 1]!);
      if (m) return { m, line: `${lines[i - 1]!.trim()} ${lines[i]!.trim()}`, index: i };
    }
  }
  return undefined;
}

/** The provisioning boot did not produce a template. */
export class ProvisioningError extends DrbdlabError {
  override readonly kind: FailureKind;
  constructor(
    readonly detail: string,
    readonly evidence: string,
    readonly consoleLog: string,
    kind: FailureKind,
  ) {
    super(`image provisioning: ${detail}\n  ${evidence}\n  console log: ${consoleLog}`);
    this.kind = kind;
  }
}

/** The error a verdict stands for (undefined: complete). */
export function provisioningFailure(verdict: ProvisioningVerdict, consoleLog: string): DrbdlabError | undefined {
  switch (verdict.outcome) {
    case 'complete':
      return undefined;
    case 'upstream':
      return new UpstreamUnavailableError(verdict.resource, `${verdict.detail} (${verdict.evidence}; console log: ${consoleLog})`);
    case 'product':
      return new ProvisioningError(verdict.detail, verdict.evidence, consoleLog, 'product');
    case 'incomplete':
      return new ProvisioningError(verdict.detail, verdict.evidence, consoleLog, 'infrastructure');
  }
}

// ---------------------------------------------------------------------------------------------
// Downloads

export type { FetchLike };

async function get(url: string, fetchImpl: FetchLike): Promise<Response> {
  let res: Response;
  try {
    res = await fetchImpl(url, { redirect: 'follow' });
  } catch (err) {
    const why = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new UpstreamUnavailableError(hostOf(url), `needs network access to ${hostOf(url)} to download ${url} (${why})`);
  }
  if (!res.ok || !res.body) {
    throw new UpstreamUnavailableError(url, `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}: no longer published there`);
  }
  return res;
}

export async function fetchText(url: string, fetchImpl: FetchLike = fetch): Promise<string> {
  return (await get(url, fetchImpl)).text();
}

/** Stream a download into `<dest>.part` and rename it into place only when complete. */
export async function downloadTo(url: string, dest: string, fetchImpl: FetchLike = fetch): Promise<void> {
  const res = await get(url, fetchImpl);
  await mkdir(dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  const out = createWriteStream(part);
  try {
    await pipeline(Readable.fromWeb(res.body as unknown as NodeReadableStream<Uint8Array>), out);
  } catch (err) {
    // A break-off before the file was even open still opens (creates) it: remove it after that.
    if (!out.closed) await new Promise<void>((r) => out.once('close', () => r()));
    await rm(part, { force: true });
    throw new UpstreamUnavailableError(hostOf(url), `the download of ${url} broke off: ${(err as Error).message}`);
  }
  await rename(part, dest);
}

function downloadsDir(cache: string): string {
  return join(cache, 'downloads', 'ubuntu1804');
}

// ---------------------------------------------------------------------------------------------
// The provisioning boot

export interface ProvisioningVm {
  accel: Accel;
  memoryMiB: number;
  cpus: number;
  rootDisk: string;
  dataDisk: string;
  exportDisk: string;
  seedIso: string;
  consoleLog: string;
  mac: string;
}

/** QEMU's -drive/-serial take comma-separated options: a comma in a path is written twice. */
const qemuPath = (p: string) => p.replace(/,/g, ',,');

/**
 * QEMU arguments of the one provisioning boot. Pure. Disk order gives vda (root), vdb (data,
 * the walkthrough's sdb), vdc (export); the seed is an IDE CD-ROM. `-no-reboot`: a reboot ends
 * QEMU as a power-off does, so "QEMU exited" is "the guest is down".
 */
export function provisioningQemuArgs(vm: ProvisioningVm): string[] {
  return [
    '-accel', vm.accel,
    '-machine', 'pc',
    '-cpu', vm.accel === 'kvm' ? 'host' : 'qemu64',
    '-m', String(vm.memoryMiB),
    '-smp', String(vm.cpus),
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-drive', `file=${qemuPath(vm.rootDisk)},format=qcow2,if=virtio,cache=unsafe,discard=unmap`,
    '-drive', `file=${qemuPath(vm.dataDisk)},format=qcow2,if=virtio,cache=unsafe`,
    '-drive', `file=${qemuPath(vm.exportDisk)},format=raw,if=virtio,cache=unsafe`,
    '-drive', `file=${qemuPath(vm.seedIso)},format=raw,media=cdrom,readonly=on`,
    '-netdev', 'user,id=net0',
    '-device', `virtio-net-pci,netdev=net0,mac=${vm.mac}`,
    '-device', 'virtio-rng-pci',
    '-serial', `file:${qemuPath(vm.consoleLog)}`,
  ];
}

/** A NoCloud seed ISO; with a pinned set, its debs go under pinned/ beside the three files. */
async function buildProvisioningSeedIso(
  files: SeedFiles,
  isoPath: string,
  pinned?: { manifest: PinManifest; dir: string },
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'drbdlab-seed-'));
  try {
    for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
    if (pinned) {
      await mkdir(join(dir, PINNED_SEED_DIR));
      for (const d of pinned.manifest.debs) await copyFile(join(pinned.dir, d.filename), join(dir, PINNED_SEED_DIR, d.filename));
    }
    // Rock Ridge keeps deb names as they are (`+`, `~`, `%3a`); -joliet-long for names over 64.
    await run('genisoimage', ['-quiet', '-output', isoPath, '-volid', 'cidata', '-joliet', '-joliet-long', '-rock', '.'], { cwd: dir });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What the guest recorded (the export disk's tar stream, unpacked). */
export interface ProvisioningRecord {
  versions: Record<string, string>;
  manifest: PinManifest;
  debsDir: string;
}

/** versions.txt (dpkg-query -W), uname -r and /proc/drbd → the run's tracked versions. */
export function recordedVersions(versionsTxt: string, unameR: string, procDrbd: string): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const [pkg, v] of parseDpkgQuery(versionsTxt)) versions[pkg] = v.version;
  if (unameR.trim()) versions.kernel = unameR.trim();
  try {
    versions['drbd-module-loaded'] = drbdVersion(procDrbd).raw;
  } catch {
    // No /proc/drbd: the record says so by leaving the key out.
  }
  return versions;
}

async function readRecord(recordDir: string, requested: readonly string[]): Promise<ProvisioningRecord> {
  const text = (f: string) => readFile(join(recordDir, f), 'utf8').catch(() => '');
  const versions = recordedVersions(await text('versions.txt'), await text('uname-r.txt'), await text('proc-drbd.txt'));
  const debsDir = join(recordDir, 'pinned');
  const manifest = buildPinManifest(await text('dpkg-all.tsv'), await hashDebs(debsDir), requested, `${recordDir}/dpkg-all.tsv`);
  return { versions, manifest, debsDir };
}

export interface UbuntuBuildDeps {
  /** The run's image cache and labs folder (Config.paths), given by the profile. */
  folders: ImageFolders;
  /** The profile's upstream check: called before every step that needs the network. */
  checkUpstream: (step: string) => Promise<void>;
  fetch?: FetchLike;
  accel?: () => Promise<AccelChoice>;
  /** The run's DRBDLAB_ACCEL, for the provisioning boot's hypervisor choice (default auto: probe). */
  accelSetting?: AccelSetting;
  /** Where a pinned recipe's debs are (the folder of its manifest.json). */
  pinnedDir?: string;
  memoryMiB?: number;
  cpus?: number;
  /** Use the cached template without asking any upstream (the run's --offline, given by the profile). */
  offline?: boolean;
  prune?: PruneDeps;
}

export type UbuntuImage = CachedImage & { built: boolean; pinnedDir: string; offline: boolean };

/**
 * The cached template for this recipe and its upstreams as they are now (reachable first, by the
 * profile's rule), built first when there is none; offline, the newest of the recipe.
 */
export async function ensureUbuntuImage(recipe: UbuntuRecipe, progress: Progress, deps: UbuntuBuildDeps): Promise<UbuntuImage> {
  const { cache } = deps.folders;
  const plan = await planImage({
    cache,
    profile: recipe.profile,
    recipeDigest: ubuntuRecipeDigest(recipe),
    checks: ubuntuUpstreamChecks(recipe),
    progress,
    offline: deps.offline ?? false,
    fetch: deps.fetch,
    beforeAsking: () => deps.checkUpstream('read the upstreams\' state'),
  });
  if (plan.kind === 'cached') return { ...plan.image, built: false, pinnedDir: join(plan.image.dir, 'pinned'), offline: plan.offline };
  const digest = plan.identity;
  const dir = imageDir(cache, recipe.profile, digest);
  if (recipe.pinnedDebs && !deps.pinnedDir) {
    throw new UsageError('a pinned ubuntu1804-drbd9 recipe needs the folder of its debs (DRBDLAB_PIN_DIR)');
  }
  const fetchImpl = deps.fetch ?? fetch;

  // 1. The cloud image, verified against the SHA256SUMS published beside it.
  const downloads = downloadsDir(cache);
  const name = imageFileName(recipe);
  const image = join(downloads, name);
  await deps.checkUpstream(`download ${recipe.sha256sumsUrl}`);
  const sums = parseSha256Sums(await fetchText(recipe.sha256sumsUrl, fetchImpl), recipe.sha256sumsUrl);
  if (existsSync(image)) {
    try {
      await verifySha256(image, sums, name, recipe.sha256sumsUrl);
      progress(`${name}: downloaded before, sha256 matches`);
    } catch (err) {
      if (!(err instanceof ChecksumMismatchError)) throw err;
      progress(`${name}: sha256 no longer matches SHA256SUMS (a newer build): downloading again`);
      await rm(image, { force: true });
    }
  }
  if (!existsSync(image)) {
    await deps.checkUpstream(`download ${recipe.imageUrl}`);
    progress(`downloading ${recipe.imageUrl}`);
    await downloadTo(recipe.imageUrl, image, fetchImpl);
    await verifySha256(image, sums, name, recipe.sha256sumsUrl);
  }

  // 2. One boot of an overlay with the provisioning seed; 3. read back, flatten, cache.
  await buildAtomically(dir, async (scratch) => {
    const work = join(scratch, 'work');
    await mkdir(join(work, 'record'), { recursive: true });
    const root = join(work, 'root.qcow2');
    const data = join(work, 'data.qcow2');
    const exp = join(work, 'export.raw');
    const seed = join(work, 'seed.iso');
    const consoleLog = join(scratch, 'provisioning-console.log');
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', resolve(image), root, `${recipe.diskSizeGiB}G`]);
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', data, `${recipe.dataDiskGiB}G`]);
    await writeFile(exp, '');
    await truncate(exp, 4 * 1024 ** 3);
    const pinned = recipe.pinnedDebs && deps.pinnedDir ? { manifest: recipe.pinnedDebs, dir: deps.pinnedDir } : undefined;
    await buildProvisioningSeedIso(renderProvisioningSeed(recipe, `drbdlab-template-${digest.slice(0, 12)}`), seed, pinned);

    await deps.checkUpstream('provisioning boot (apt from the Ubuntu archive and the LINBIT PPA)');
    // The verdict of a guest booted from this very cloud image under KVM (or TCG).
    const accel = await (deps.accel ?? (() => chooseAccel({ virsh: new Virsh('qemu:///system'), cacheDir: cache, boot: { kind: 'disk' }, disk: resolve(image), progress, setting: deps.accelSetting ?? 'auto' })))();
    // Upgrade, toolchain, DKMS build: about 20 min under KVM; TCG is several times slower.
    const timeoutMs = (accel.accel === 'tcg' ? 4 : 1) * 60 * 60_000;
    progress(`provisioning boot (${accel.accel.toUpperCase()}): walkthrough steps 3-8, up to ${Math.round(timeoutMs / 60_000)} min`);
    const args = provisioningQemuArgs({
      accel: accel.accel,
      memoryMiB: deps.memoryMiB ?? 2048,
      cpus: deps.cpus ?? 2,
      rootDisk: root,
      dataDisk: data,
      exportDisk: exp,
      seedIso: seed,
      consoleLog,
      mac: PROVISIONING_MAC,
    });
    const keptLog = join(downloads, `provisioning-console-${digest.slice(0, 12)}.log`);
    let bootError: unknown;
    try {
      await run('qemu-system-x86_64', args, { timeoutMs, hint: `the guest's console log: ${keptLog}` });
    } catch (err) {
      bootError = err;
    }
    const log = await readFile(consoleLog, 'utf8').catch(() => '');
    const verdict = classifyProvisioningLog(log, { ppa: recipe.ppa, ppaPackages: recipe.packages });
    const failure = provisioningFailure(verdict, keptLog);
    // Keep the console log where a failed build can still be read (the scratch folder goes).
    if (failure || bootError) await copyFile(consoleLog, keptLog).catch(() => undefined);
    if (failure && verdict.outcome !== 'incomplete') throw failure;
    if (bootError instanceof HostCommandError && bootError.timedOut) {
      throw new WaitTimeoutError('the provisioning VM to power off', timeoutMs, verdict.outcome === 'incomplete' ? verdict.evidence : 'complete');
    }
    if (bootError) throw bootError;
    if (failure) throw failure;

    await run('tar', ['-x', '-f', exp, '-C', join(work, 'record')]);
    const record = await readRecord(join(work, 'record'), recipe.packages);
    await writePinnedSet(record.manifest, record.debsDir, join(scratch, 'pinned'));
    for (const f of ['versions.txt', 'proc-drbd.txt', 'uname-r.txt', 'dkms-status.txt', 'dpkg-all.tsv']) {
      await copyFile(join(work, 'record', f), join(scratch, f)).catch(() => undefined);
    }

    progress('flattening the provisioned overlay into the cache');
    await run('qemu-img', ['convert', '-O', 'qcow2', root, join(scratch, 'disk.qcow2')], { timeoutMs: 20 * 60_000 });
    // The template's second disk (partition, PV, VG drbdpool), for clones that copy it as the walkthrough's did.
    await run('qemu-img', ['convert', '-O', 'qcow2', data, join(scratch, 'data.qcow2')], { timeoutMs: 10 * 60_000 });
    await rm(work, { recursive: true, force: true });

    const manifest: Omit<CachedImage, 'dir'> = {
      digest,
      recipeDigest: plan.recipeDigest,
      upstreams: plan.upstreams,
      builtAt: new Date().toISOString(),
      disk: join(dir, 'disk.qcow2'),
      versions: record.versions,
    };
    const { pinnedDebs, ...plain } = recipe;
    await writeFile(join(scratch, 'recipe.json'), JSON.stringify({ ...plain, pinned: pinnedDebs ? PIN_MANIFEST_FILE : undefined }, null, 2));
    await writeFile(join(scratch, 'manifest.json'), JSON.stringify(manifest, null, 2));
  });
  const built = await readCachedImage(cache, recipe.profile, digest);
  if (!built) throw new Error(`image build finished but ${dir}/manifest.json is missing`);
  await afterBuild(deps.folders, recipe.profile, [dir], progress, deps.prune);
  progress(`pinned set of this build: ${join(dir, 'pinned')} (DRBDLAB_PIN_DIR=${join(dir, 'pinned')} pins a later run to it)`);
  return { ...built, built: true, pinnedDir: join(dir, 'pinned'), offline: false };
}
