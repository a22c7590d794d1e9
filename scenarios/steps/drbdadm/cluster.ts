// Shared pieces of the drbdadm stack (profile debian12-drbd84: in-tree DRBD 8.4, drbd-utils 9).
import { expect } from 'vitest';
import { RemoteCommandError } from '../../../lib/errors.js';
import { readResourceStatus } from '../../../lib/drbd/drbdadm-status.js';
import type { DrbdResourceStatus } from '../../../lib/drbd/drbdsetup-status.js';
import { AL_EXTENTS_MIN, renderResFile } from '../../../lib/drbd/res-file.js';
import { isConnected, isUpToDateEverywhere } from '../../../lib/drbd/state.js';
import { waitForResource } from '../../../lib/scenario/drbd-wait.js';
import type { ScenarioContext } from '../../../lib/scenario/define-scenario.js';
import { SETUP, type ScenarioLab, type ScenarioNode } from '../../../lib/scenario/scenario-lab.js';
import { scaled } from '../../../lib/wait/poll.js';

export const RES = 'r0';
export const MINOR = 100; // as drbdmanage gives the walkthrough's r0
export const PORT = 7000;
export const DEVICE = `/dev/drbd${MINOR}`;
export const MOUNT = '/mnt/r0';
export const LV_SIZE = '1G';
/**
 * r0's activity log, in 4 MiB extents: DRBD 8.4's smallest (268 MiB). A primary that loses power
 * marks its activity log out of sync; with the default (1237 extents) that covers the whole 1 GiB
 * and every such return is a full resync, so power loss could not tell a bitmap-based resync from
 * a full one. With this size it can, and bounds the resync by it.
 */
export const AL_EXTENTS = AL_EXTENTS_MIN;
/** DRBD 8.4 replicates to one peer: r0 lives on the first two nodes, the third stays out. */
export const replicas = (lab: ScenarioLab): [ScenarioNode, ScenarioNode] => [lab.nodes[0]!, lab.nodes[1]!];

/**
 * A fault to inject on purpose (DRBDLAB_FAULT=wrong-peer-ip): r0.res names a wrong address for
 * the second replica. Proves that a failure says which step, which node and what DRBD showed last.
 * (A wrong address in one node's copy only is not enough: 8.4 accepts the peer's connection.)
 * The lab carries it (the run's configuration), so a test that injects it cannot leak it into the next.
 */
export function resFile(lab: ScenarioLab): string {
  const [a, b] = replicas(lab);
  const faulty = lab.fault === 'wrong-peer-ip';
  return renderResFile({
    name: RES,
    minor: MINOR,
    port: PORT,
    disk: `/dev/drbdpool/${RES}`,
    hosts: [
      { name: a.name, ip: a.replicationIp },
      { name: b.name, ip: faulty ? '10.255.255.199' : b.replicationIp },
    ],
    resyncRate: '100M',
    alExtents: AL_EXTENTS,
  });
}

/** Write a file on a node; the content is part of the command, so recordings hold it. */
export function writeFileCommand(path: string, content: string): string {
  return `sudo tee ${path} >/dev/null <<'DRBDLAB_EOF'\n${content.replace(/\n$/, '')}\nDRBDLAB_EOF`;
}

/**
 * r0's status on a node, or undefined when r0 is down there (`r0: No such resource`, exit 10).
 * Any other answer of drbdadm is thrown with its output: "down" cannot hide a broken drbdadm.
 */
export async function status(node: ScenarioNode): Promise<DrbdResourceStatus | undefined> {
  const command = `sudo drbdadm status ${RES}`;
  return readResourceStatus(node.name, command, RES, await node.exec(command, { check: false }));
}

/** Is r0 configured on the node (its .res file there)? `test` answers 0 or 1; anything else is thrown. */
async function configured(node: ScenarioNode): Promise<boolean> {
  const command = `test -e /etc/drbd.d/${RES}.res`;
  const r = await node.exec(command, { check: false });
  if (r.exitCode !== 0 && r.exitCode !== 1) throw new RemoteCommandError(node.name, command, r.exitCode, r.stdout, r.stderr, 'infrastructure');
  return r.exitCode === 0;
}

export const connected = (res: DrbdResourceStatus) => res.peers.length === 1 && isConnected(res.peers[0]!);
export const upToDate = (res: DrbdResourceStatus) => res.peers.length === 1 && isUpToDateEverywhere(res);

export function waitConnected(lab: ScenarioLab, node: ScenarioNode) {
  return waitForResource(node, RES, 'connected to its peer', connected, { clock: lab.clock, timeoutMs: scaled(60_000, lab.timeoutScale) });
}

export function waitUpToDate(lab: ScenarioLab, node: ScenarioNode) {
  return waitForResource(node, RES, 'UpToDate on both replicas', upToDate, { clock: lab.clock, timeoutMs: scaled(180_000, lab.timeoutScale) });
}

/** Prepare the drbdpool VG as the walkthrough's template did (partition, pvcreate, vgcreate). */
export async function ensureStorage(node: ScenarioNode): Promise<void> {
  const vg = await node.exec('sudo vgs --noheadings -o vg_name drbdpool', { check: false });
  if (vg.exitCode === 0) return;
  await node.exec(`echo ',,L' | sudo sfdisk --quiet /dev/vdb`, SETUP);
  await node.exec('sudo udevadm settle', SETUP);
  await node.exec('sudo pvcreate /dev/vdb1', SETUP);
  await node.exec('sudo vgcreate drbdpool /dev/vdb1', SETUP);
}

/**
 * Bring r0 to the state the walkthrough ends in (Connected, UpToDate, a file system with a
 * file on it, first node Primary and mounted), on a pristine cluster or a lab where r0 exists.
 */
export async function ensureR0(ctx: ScenarioContext): Promise<{ checksum: string }> {
  const { lab, step } = ctx;
  const [a, b] = replicas(lab);
  return step('precondition: r0 connected and UpToDate with data on it', async () => {
    for (const n of [a, b]) {
      // Not configured (a pristine cluster) or down: set up. drbdadm asked about a resource it
      // has no config for refuses, which status() throws; so the file is looked for first.
      if (!(await configured(n)) || !(await status(n))) {
        await ensureStorage(n);
        const lv = await n.exec(`sudo lvs --noheadings drbdpool/${RES}`, { check: false });
        if (lv.exitCode !== 0) {
          await n.exec(`sudo lvcreate --yes --wipesignatures y -n ${RES} -L ${LV_SIZE} drbdpool`, SETUP);
        }
        await n.exec(writeFileCommand(`/etc/drbd.d/${RES}.res`, resFile(lab)), SETUP);
        const md = await n.exec(`sudo drbdadm dump-md ${RES}`, { check: false });
        if (md.exitCode !== 0) await n.exec(`sudo drbdadm create-md --force ${RES}`);
        await n.exec(`sudo drbdadm up ${RES}`);
      }
    }
    await waitConnected(lab, a);
    let res = (await status(a))!;
    if (res.volumes[0]?.disk === 'Inconsistent' && res.peers[0]?.volumes[0]?.peerDisk === 'Inconsistent') {
      await a.exec(`sudo drbdadm primary --force ${RES}`);
      await a.exec(`sudo mkfs.ext4 -q ${DEVICE}`);
    }
    res = await waitUpToDate(lab, a);
    const other = res.role === 'Primary' ? a : (await status(b))?.role === 'Primary' ? b : undefined;
    if (other && other !== a) {
      await other.exec(`sudo umount ${MOUNT}`, { check: false });
      await other.exec(`sudo drbdadm secondary ${RES}`);
    }
    await a.exec(`sudo drbdadm primary ${RES}`);
    // Both replicas have the mount point, as after the walkthrough (it mounts r0 on each in turn).
    for (const n of [a, b]) await n.exec(`sudo mkdir -p ${MOUNT}`, SETUP);
    const mounted = await a.exec(`mountpoint -q ${MOUNT}`, { check: false });
    if (mounted.exitCode !== 0) await a.exec(`sudo mount ${DEVICE} ${MOUNT}`);
    const f = await a.exec(`test -f ${MOUNT}/data.bin`, { check: false });
    // On disk before anything cuts a node's power: on a lab that is up no snapshot save syncs it.
    if (f.exitCode !== 0) await a.exec(`sudo dd if=/dev/urandom of=${MOUNT}/data.bin bs=1M count=16 conv=fsync status=none && sync`, SETUP);
    const checksum = (await a.output(`sudo sha256sum ${MOUNT}/data.bin`)).split(/\s+/)[0]!;
    expect(checksum).toMatch(/^[0-9a-f]{64}$/);
    return { checksum };
  });
}

/**
 * Unmount and demote: a mounted Primary at reboot crashes the resource and forces a full resync.
 * Looks first and acts only where needed, so a umount or secondary that fails is a failure.
 */
export async function quiesce(node: ScenarioNode): Promise<void> {
  // mountpoint -q: 0 a mount point, 32 not one; anything else (1: no such directory) is unexpected here.
  const mounted = await node.exec(`mountpoint -q ${MOUNT}`, { check: false });
  if (mounted.exitCode !== 0 && mounted.exitCode !== 32) {
    throw new RemoteCommandError(node.name, `mountpoint -q ${MOUNT}`, mounted.exitCode, mounted.stdout, mounted.stderr);
  }
  if (mounted.exitCode === 0) await node.exec(`sudo umount ${MOUNT}`);
  // 8.4 prints local/peer, e.g. "Primary/Secondary".
  const role = (await node.output(`sudo drbdadm role ${RES}`)).split('/')[0];
  expect(role, `${node.name}: drbdadm role ${RES}`).toMatch(/^(Primary|Secondary)$/);
  if (role === 'Primary') await node.exec(`sudo drbdadm secondary ${RES}`);
}
