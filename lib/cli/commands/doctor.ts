import { statfsSync } from 'node:fs';
import { execa } from 'execa';
import { detectAccel } from '../../libvirt/accel.js';
import { Virsh } from '../../libvirt/virsh.js';
import { labIdsInLibvirt } from '../../lab/teardown.js';
import { cacheRoot } from '../../image/cache.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

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
export async function runDoctor(uri: string): Promise<Check[]> {
  const checks: Check[] = [];
  const major = Number(process.versions.node.split('.')[0]);
  checks.push({ name: 'node', ok: major >= 20, detail: `v${process.versions.node}`, fix: 'install Node.js 20 or newer' });
  for (const [tool, pkg] of TOOLS) {
    const r = await execa('sh', ['-c', `command -v ${tool} || test -x /usr/sbin/${tool}`], { reject: false });
    checks.push({ name: tool, ok: r.exitCode === 0, detail: r.exitCode === 0 ? 'found' : 'missing', fix: `bash scripts/host-setup.sh (installs ${pkg})` });
  }
  const virsh = new Virsh(uri);
  let libvirtOk = false;
  try {
    await virsh.run(['version'], { timeoutMs: 10_000 });
    libvirtOk = true;
    checks.push({ name: 'libvirt daemon', ok: true, detail: `answers on ${uri}` });
  } catch (err) {
    checks.push({ name: 'libvirt daemon', ok: false, detail: (err as Error).message.split('\n').slice(-1)[0]!.trim(), fix: 'bash scripts/host-setup.sh (starts virtlogd and libvirtd)' });
  }
  if (libvirtOk) {
    const active = (await virsh.run(['net-list', '--name'])).split('\n').map((s) => s.trim());
    checks.push({
      name: 'network rule',
      ok: !active.includes('default'),
      detail: active.includes('default') ? "libvirt's NAT network 'default' is active" : "libvirt's NAT network is not running",
      fix: `virsh -c ${uri} net-destroy default && virsh -c ${uri} net-autostart default --disable`,
    });
    const leftovers = await labIdsInLibvirt(uri);
    checks.push({
      name: 'leftover labs',
      ok: leftovers.length === 0,
      detail: leftovers.length ? `libvirt still has labs ${leftovers.join(', ')}` : 'none',
      fix: `npm run lab -- down --all`,
    });
  }
  const accel = await detectAccel();
  checks.push({ name: 'hypervisor', ok: true, detail: `${accel.accel.toUpperCase()}: ${accel.reason}` });
  try {
    const st = statfsSync(cacheRoot().replace(/\/\.cache$/, ''));
    const freeGiB = (st.bavail * st.bsize) / 2 ** 30;
    checks.push({ name: 'disk space', ok: freeGiB >= 8, detail: `${freeGiB.toFixed(0)} GiB free`, fix: 'free at least 8 GiB for the image and three clones' });
  } catch {
    /* the folder may not exist yet */
  }
  return checks;
}
