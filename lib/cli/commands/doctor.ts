import { statfsSync } from 'node:fs';
import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseAccel, rememberedVerdict, type AccelSetting } from '../../libvirt/accel.js';
import type { DebianSources } from '../../image/profile.js';
import { isKvmCheck, parseVirtHostValidate } from '../../host/virt-host-validate.js';
import { debian12Recipe } from '../../image/debian12-recipe.js';
import { newestImageOfRecipe, recipeDigest } from '../../image/cache.js';
import { ifPresent, type Libvirt } from '../../libvirt/libvirt.js';
import type { LabHost } from '../../lab/lab-host.js';
import { labsOnHost } from '../../lab/whose.js';
import type { Check } from './doctor-check.js';
import { labChecks } from './labs.js';

export type { Check } from './doctor-check.js';

const TOOLS: [string, string][] = [
  ['virsh', 'libvirt-clients'],
  ['libvirtd', 'libvirt-daemon-system'],
  ['qemu-system-x86_64', 'qemu-system-x86'],
  ['qemu-img', 'qemu-utils'],
  ['mmdebstrap', 'mmdebstrap'],
  ['mkfs.ext4', 'e2fsprogs'],
  ['genisoimage', 'genisoimage'],
  ['ssh-keygen', 'openssh-client'],
];

/** What the lab needs from this host, each with the exact fix. */
export async function runDoctor(uri: string, opts: { reprobe?: boolean; /** This machine with the run's folders. */ host: LabHost; accel: AccelSetting; debian?: DebianSources }): Promise<Check[]> {
  const host = opts.host;
  const checks: Check[] = [];
  const major = Number(process.versions.node.split('.')[0]);
  checks.push({ name: 'node', ok: major >= 20, detail: `v${process.versions.node}`, fix: 'install Node.js 20 or newer' });
  for (const [tool, pkg] of TOOLS) {
    const r = await execa('sh', ['-c', `command -v ${tool} || test -x /usr/sbin/${tool}`], { reject: false });
    checks.push({ name: tool, ok: r.exitCode === 0, detail: r.exitCode === 0 ? 'found' : 'missing', fix: `bash scripts/host-setup.sh (installs ${pkg})` });
  }
  const virsh = host.connect(uri);
  let libvirtOk = false;
  try {
    await virsh.version({ timeoutMs: 10_000 });
    libvirtOk = true;
    checks.push({ name: 'libvirt daemon', ok: true, detail: `answers on ${uri}` });
  } catch (err) {
    checks.push({ name: 'libvirt daemon', ok: false, detail: (err as Error).message.split('\n').slice(-1)[0]!.trim(), fix: 'bash scripts/host-setup.sh (starts virtlogd and libvirtd)' });
  }
  if (libvirtOk) {
    const active = await virsh.listNetworks({ activeOnly: true });
    checks.push({
      name: 'network rule',
      ok: !active.includes('default'),
      detail: active.includes('default') ? "libvirt's NAT network 'default' is active" : "libvirt's NAT network is not running",
      fix: `virsh -c ${uri} net-destroy default && virsh -c ${uri} net-autostart default --disable`,
    });
    // Whose each lab is: a lab a live process uses is no leftover, and no fix removes it.
    checks.push(...labChecks(await labsOnHost(uri, host)));
  }
  const validate = await execa('virt-host-validate', ['qemu'], { reject: false, all: true });
  for (const l of parseVirtHostValidate(String(validate.all ?? ''))) {
    if (l.status === 'PASS') continue;
    // KVM's own checks decide KVM or TCG (the hypervisor line), not whether the lab can run.
    checks.push({ name: 'virt-host-validate', ok: l.status === 'WARN' || isKvmCheck(l), detail: `${l.status} ${l.check}${l.detail ? `: ${l.detail}` : ''}` });
  }
  const device = await host.accel.kvmDeviceProblem();
  checks.push({ name: '/dev/kvm access', ok: !device || device.includes('does not exist'), detail: device ?? "libvirt's QEMU user can open it", fix: 'bash scripts/host-setup.sh (gives /dev/kvm the group and mode udev would)' });
  if (libvirtOk) {
    checks.push(await timedDefine(virsh, device));
    checks.push(await hypervisorCheck(virsh, host, opts.reprobe ?? false, opts.accel, opts.debian));
  }
  try {
    const st = statfsSync(host.folders.cache.replace(/\/\.cache$/, ''));
    const freeGiB = (st.bavail * st.bsize) / 2 ** 30;
    checks.push({ name: 'disk space', ok: freeGiB >= 8, detail: `${freeGiB.toFixed(0)} GiB free`, fix: 'free at least 8 GiB for the image and three clones' });
  } catch {
    /* the folder may not exist yet */
  }
  return checks;
}

/**
 * A throwaway define/undefine, timed: while /dev/kvm is unusable for libvirt's QEMU user,
 * libvirt re-probes QEMU's capabilities on every define (36 QEMU launches, 72 s each).
 */
async function timedDefine(virsh: Libvirt, deviceProblem: string | undefined): Promise<Check> {
  const dir = await mkdtemp(join(tmpdir(), 'drbdlab-doctor-'));
  const name = `drbdlab-doctor-${process.pid}`;
  const file = join(dir, 'domain.xml');
  await writeFile(file, `<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><os><type arch='x86_64' machine='pc'>hvm</type></os></domain>\n`);
  const t = Date.now();
  try {
    await virsh.define(file, { timeoutMs: 300_000 });
    const secs = (Date.now() - t) / 1000;
    const slow = secs > 5;
    return {
      name: 'libvirt define',
      ok: !slow,
      detail: slow
        ? `a define took ${secs.toFixed(0)} s: libvirt re-probes QEMU's capabilities on every define${deviceProblem ? ` because ${deviceProblem}` : ''}`
        : `${secs.toFixed(2)} s`,
      fix: 'bash scripts/host-setup.sh, then restart libvirtd (pkill -x libvirtd; libvirtd -d)',
    };
  } finally {
    await ifPresent(virsh.undefine(name));
    await rm(dir, { recursive: true, force: true });
  }
}

/** The remembered verdict, or a probe when the offline image is cached (it boots that kernel). */
async function hypervisorCheck(virsh: Libvirt, host: LabHost, reprobe: boolean, setting: AccelSetting, debian?: DebianSources): Promise<Check> {
  const remembered = reprobe ? undefined : await rememberedVerdict(virsh, host.folders.cache, host.accel);
  if (remembered) return { name: 'hypervisor', ok: true, detail: `${remembered.choice.accel.toUpperCase()}: ${remembered.choice.reason} (verdict of ${remembered.at})` };
  // The run's recipe (its mirrors are part of its digest).
  const recipe = debian ? debian12Recipe(debian.mirror, debian.securityMirror, debian.extra) : debian12Recipe();
  // Any image of the recipe will do (the kernel of the newest): doctor asks no upstream.
  const img = await newestImageOfRecipe(host.folders.cache, recipe.profile, recipeDigest(recipe));
  if (!img?.kernel || !img.initrd) {
    return { name: 'hypervisor', ok: true, detail: `not probed yet: the probe boots the lab's kernel (npm run lab -- image build; images in ${join(host.folders.cache, 'images')})` };
  }
  const c = await chooseAccel({ virsh, host: host.accel, cacheDir: host.folders.cache, boot: { kind: 'direct', kernel: img.kernel, initrd: img.initrd, cmdline: recipe.cmdline }, reprobe: true, setting });
  return { name: 'hypervisor', ok: true, detail: `${c.accel.toUpperCase()}: ${c.reason}` };
}
