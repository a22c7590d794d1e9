// Turn a ready, running lab into a cached snapshot: all nodes paused first (one consistent cut
// across the three), then each saved (memory) and its disks moved under the snapshot folder,
// where they become the read-only backing files of every restored cluster.
import { chmod, copyFile, mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { labPaths } from '../lab/paths.js';
import type { StartedLab } from '../lab/started-lab.js';
import type { BaseImage } from '../image/profile.js';
import type { SnapshotInputs } from './identity.js';
import { snapshotPaths, type SnapshotManifest } from './store.js';

/** rename(2), or copy and remove when the cache and the labs live on different file systems. */
async function move(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await copyFile(from, to);
    await unlink(from);
  }
}

export interface SaveInputs {
  digest: string;
  inputs: SnapshotInputs;
  image: BaseImage;
  /** Versions seen on the nodes (image packages, the loaded DRBD module). */
  versions: Record<string, string>;
  timings: Record<string, number>;
}

/**
 * Save `lab` into `dir` (a scratch folder the caller renames into place). The lab's domains are
 * left shut off; the caller removes them (`lab.down()`).
 */
export async function saveCluster(lab: StartedLab, dir: string, s: SaveInputs): Promise<SnapshotManifest> {
  const virsh = lab.host.connect(lab.state.libvirtUri);
  const p = snapshotPaths(dir);
  const lp = labPaths(lab.host.folders.state, lab.id);
  // No SSH connection may live on in a saved slirp stack.
  for (const n of lab.nodeList) n.close();
  const t = Date.now();
  await Promise.all(lab.state.nodes.map((n) => virsh.suspend(n.domain)));
  // Every node's save ends before a failure is thrown: the caller removes the half-made snapshot
  // then, and a save still under way would write into it again.
  await settleAll(
    lab.state.nodes.map(async (n) => {
      await mkdir(p.nodeDir(n.name), { recursive: true, mode: 0o711 });
      await virsh.save(n.domain, p.memory(n.name));
      await move(lp.rootDisk(n.name), p.rootDisk(n.name));
      await move(lp.dataDisk(n.name), p.dataDisk(n.name));
      await copyFile(lp.seedIso(n.name), p.seedIso(n.name));
      // libvirt's QEMU user reads the disks as backing files of every restored cluster.
      for (const f of [p.rootDisk(n.name), p.dataDisk(n.name), p.seedIso(n.name)]) await chmod(f, 0o644);
    }),
  );
  await mkdir(dirname(p.userKey), { recursive: true, mode: 0o700 });
  await copyFile(lp.userKey, p.userKey);
  await chmod(dir, 0o711);
  await chmod(dirname(p.nodeDir('x')), 0o711);
  const manifest: SnapshotManifest = {
    digest: s.digest,
    inputs: s.inputs,
    createdAt: new Date().toISOString(),
    profile: lab.state.profile,
    point: s.inputs.point,
    accel: lab.state.accel,
    ...(lab.state.cpu ? { cpu: lab.state.cpu } : {}),
    image: s.image,
    versions: s.versions,
    config: lab.state.config,
    user: lab.state.user,
    nodes: lab.state.nodes.map((n) => ({ name: n.name, id: n.id, savedName: n.domain, savedUuid: n.uuid, replicationIp: n.replicationIp, hostKey: n.hostKey })),
    timings: { ...s.timings, save: (Date.now() - t) / 1000 },
  };
  await writeFile(p.manifest, JSON.stringify(manifest, null, 2));
  return manifest;
}

/** Promise.all that waits for every promise before it throws the first rejection. */
async function settleAll(work: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(work)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
