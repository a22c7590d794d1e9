// Cached cluster snapshots: made once per identity (fresh up → ready → save), restored as often as
// needed, each restore a new lab with its own names, ports, network and disks.
import { createHash } from 'node:crypto';
import lockfile from 'proper-lockfile';
import { loadTemplates } from '../cloud-init/render.js';
import { UsageError } from '../errors.js';
import { buildAtomically, canonicalJson } from '../image/cache.js';
import { cacheRoot } from '../paths.js';
import type { GuestProfile } from '../image/profile.js';
import { profileByName } from '../image/profiles.js';
import { silent, type Progress } from '../image/progress.js';
import type { Lab } from '../lab/lab.js';
import type { StartOptions } from '../lab/lab-starter.js';
import { LabStarter } from '../lab/lab-starter.js';
import type { StartedLab } from '../lab/started-lab.js';
import { realHost, type LabHost } from '../lab/lab-host.js';
import { chooseAccel } from '../libvirt/accel.js';
import { readProcDrbd } from '../report/versions.js';
import { POINT_PATTERN, snapshotDigest, type SnapshotInputs } from './identity.js';
import { saveCluster } from './save-cluster.js';
import { markUsed, pruneSnapshots, readSnapshot, snapshotDir, type SnapshotManifest } from './store.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/** A cached snapshot of a ready cluster: `restore()` gives a StartedLab in seconds. */
export class ClusterSnapshot {
  constructor(
    readonly dir: string,
    readonly manifest: SnapshotManifest,
    /** Where its restores run (a fake host in tests). */
    readonly host: LabHost = realHost,
  ) {}

  static async load(where: string, host: LabHost = realHost): Promise<ClusterSnapshot> {
    // Absolute: the restored disks name it as their backing file.
    const dir = resolve(where);
    const m = await readSnapshot(dir);
    if (!m) throw new UsageError(`no usable cluster snapshot in ${dir} (gone, or its base image was pruned): run \`npm run lab -- up --snapshot\` to make one`);
    return new ClusterSnapshot(dir, m, host);
  }

  get point(): string {
    return this.manifest.point;
  }

  /** A new lab from this snapshot: own names, ports, network and overlays; ready when returned. */
  async restore(opts: Omit<StartOptions, 'from' | 'accel'> = {}, profile?: GuestProfile): Promise<StartedLab> {
    await markUsed(this.dir);
    const p = profile ?? profileByName(this.manifest.profile);
    return new LabStarter(this.manifest.config, p, { ...opts, from: { dir: this.dir, manifest: this.manifest } }, this.host).start();
  }
}

/** Steps that bring a restored 'ready' cluster to a later starting point, made into its own snapshot. */
export interface SnapshotStep {
  point: string;
  /** What identifies the steps' code (their source text, say): a change makes a new snapshot. */
  source: string;
  run(lab: StartedLab): Promise<void>;
}

export interface EnsureOptions {
  progress?: Progress;
  signal?: AbortSignal;
  /** A later starting point; default 'ready'. */
  step?: SnapshotStep;
}

async function templatesDigest(): Promise<string> {
  return createHash('sha256').update(canonicalJson(await loadTemplates())).digest('hex');
}

/**
 * The snapshot of `lab` at a starting point, from the cache or made now. Two processes asking
 * for the same one at once: one makes it, the other waits for it (a lock next to the folder).
 */
export async function ensureSnapshot(lab: Lab, opts: EnsureOptions = {}): Promise<{ snapshot: ClusterSnapshot; created: boolean }> {
  const progress = opts.progress ?? silent;
  const point = opts.step?.point ?? 'ready';
  if (!POINT_PATTERN.test(point)) throw new UsageError(`snapshot point "${point}": use lower-case letters, digits and dashes`);
  const parent = opts.step ? (await ensureSnapshot(lab, { ...opts, step: undefined })).snapshot : undefined;

  const t0 = Date.now();
  await lab.profile.checkAvailable();
  const image = await lab.profile.ensureImage(progress, opts.signal);
  const accel = await chooseAccel({ virsh: lab.host.connect(lab.config.libvirtUri), host: lab.host.accel, cacheDir: cacheRoot(), boot: image.boot, disk: image.disk, progress, signal: opts.signal });
  const inputs: SnapshotInputs = {
    profile: lab.profile.name,
    imageDigest: image.digest,
    config: lab.config,
    templatesDigest: await templatesDigest(),
    accel: accel.accel,
    ...(accel.cpu ? { cpu: accel.cpu } : {}),
    point,
    ...(opts.step ? { pointDigest: createHash('sha256').update(opts.step.source).digest('hex'), parent: parent!.manifest.digest } : {}),
  };
  const digest = snapshotDigest(inputs);
  const dir = snapshotDir(lab.profile.name, point, digest);
  const cached = await readSnapshot(dir);
  if (cached) {
    await markUsed(dir);
    progress(`snapshot ${point} ${digest.slice(0, 12)} cached`);
    return { snapshot: new ClusterSnapshot(dir, cached, lab.host), created: false };
  }

  await mkdir(dirname(dir), { recursive: true, mode: 0o711 });
  const release = await lockfile.lock(dir, {
    realpath: false,
    lockfilePath: `${dir}.lock`,
    // Another process making the same snapshot: wait for it (a fresh up takes minutes).
    retries: { retries: 1800, factor: 1, minTimeout: 1000, maxTimeout: 1000 },
    stale: 30_000,
  });
  try {
    const made = await readSnapshot(dir);
    if (made) return { snapshot: new ClusterSnapshot(dir, made, lab.host), created: false };
    progress(`snapshot ${point} ${digest.slice(0, 12)}: making it (${parent ? `restore ${parent.point}, run its steps` : 'fresh up'}, then save)`);
    const started = parent
      ? await parent.restore({ progress, signal: opts.signal }, lab.profile)
      : await lab.start({ progress, signal: opts.signal });
    let manifest: SnapshotManifest | undefined;
    try {
      if (started.state.accel !== inputs.accel) {
        // The lab fell back (KVM → TCG) while starting: the snapshot is what it really ran on.
        throw new UsageError(`the hypervisor changed while the snapshot was made (${inputs.accel} → ${started.state.accel}): run again`);
      }
      const timings: Record<string, number> = { ...started.timings };
      if (opts.step) {
        const t = Date.now();
        await opts.step.run(started);
        timings.steps = (Date.now() - t) / 1000;
      }
      // A starting point holds nothing only in memory: a scenario that cuts a node's power right
      // after the restore must find on disk what was written before the save (ext4 keeps new
      // files' data in the page cache for up to 30 s; power-loss once found data.bin empty).
      await Promise.all(started.nodeList.map((n) => lab.host.guests.exec(n, 'sync')));
      // The loaded module's version, as /proc/drbd says (a failed DKMS build leaves 8.4 there), or why not.
      const first = started.nodeList[0];
      const versions = { ...image.versions, ...(await readProcDrbd(first && { name: first.name, exec: (c, o) => lab.host.guests.exec(first, c, o) })) };
      timings.total = (Date.now() - t0) / 1000;
      await buildAtomically(dir, async (scratch) => {
        manifest = await saveCluster(started, scratch, { digest, inputs, image, versions, timings });
        // What the steps ran, kept with the snapshot they made.
        const records = (started.transcript as { records?: unknown[] }).records;
        if (opts.step && records) await writeFile(join(scratch, 'steps-transcript.json'), JSON.stringify(records, null, 1));
      });
    } finally {
      await started.down();
    }
    for (const removed of await pruneSnapshots({ keep: [dir, ...(parent ? [parent.dir] : [])] })) progress(`snapshot cache: pruned ${removed}`);
    progress(`snapshot ${point} ${digest.slice(0, 12)} saved (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    return { snapshot: new ClusterSnapshot(dir, manifest!, lab.host), created: true };
  } finally {
    await release();
  }
}

