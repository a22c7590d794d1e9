// Cached cluster snapshots: made once per identity (fresh up → ready → save), restored as often as
// needed, each restore a new lab with its own names, ports, network and disks.
import { createHash } from 'node:crypto';
import lockfile from 'proper-lockfile';
import { loadTemplates } from '../cloud-init/render.js';
import { UsageError } from '../errors.js';
import { buildAtomically, canonicalJson } from '../image/cache.js';
import { silent, type Progress } from '../image/progress.js';
import type { Lab } from '../lab/lab.js';
import { LabStarter, type SavedCluster, type StartOptions } from '../lab/lab-starter.js';
import type { StartedLab } from '../lab/started-lab.js';
import type { LabHost } from '../lab/lab-host.js';
import type { LabPlan, RunPlan } from '../lab/run-plan.js';
import type { BaseImage } from '../image/profile.js';
import type { AccelChoice } from '../libvirt/accel.js';
import { readProcDrbd } from '../report/versions.js';
import { POINT_PATTERN, snapshotDigest, type SnapshotInputs } from './identity.js';
import { saveCluster } from './save-cluster.js';
import { markUsed, pruneSnapshots, readSnapshot, snapshotDir, snapshotPaths, type SnapshotManifest } from './store.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/** A cached snapshot of a ready cluster: `restore()` gives a StartedLab in seconds. */
export class ClusterSnapshot {
  constructor(
    readonly dir: string,
    readonly manifest: SnapshotManifest,
    /** Where its restores run (a fake host in tests). */
    readonly host: LabHost,
  ) {}

  static async load(where: string, host: LabHost): Promise<ClusterSnapshot> {
    // Absolute: the restored disks name it as their backing file.
    const dir = resolve(where);
    const m = await readSnapshot(dir);
    if (!m) throw new UsageError(`no usable cluster snapshot in ${dir} (gone, or its base image was pruned): run \`npm run lab -- up --snapshot\` to make one`);
    return new ClusterSnapshot(dir, m, host);
  }

  /** The snapshot a run plan names, still the one it was when planned (same identity, same image, same hypervisor). */
  static async ofPlan(plan: RunPlan, host: LabHost): Promise<ClusterSnapshot> {
    const s = await ClusterSnapshot.load(plan.snapshot.dir, host);
    const m = s.manifest;
    const differs =
      m.digest !== plan.snapshot.digest ? `its identity is ${m.digest.slice(0, 12)}, the plan's ${plan.snapshot.digest.slice(0, 12)}`
      : m.image.digest !== plan.image.digest ? `its image is ${m.image.digest.slice(0, 12)}, the plan's ${plan.image.digest.slice(0, 12)}`
      : m.accel !== plan.accel.accel ? `it was saved under ${m.accel}, the plan says ${plan.accel.accel}`
      : undefined;
    if (differs) throw new UsageError(`snapshot ${s.dir} is not the one this run planned (${differs}): start the run again`);
    return s;
  }

  get point(): string {
    return this.manifest.point;
  }

  /** What a restore reads of it. */
  saved(): SavedCluster {
    const m = this.manifest;
    const p = snapshotPaths(this.dir);
    return {
      dir: this.dir,
      digest: m.digest,
      point: m.point,
      profile: m.profile,
      image: m.image,
      accel: m.accel,
      ...(m.cpu ? { cpu: m.cpu } : {}),
      nodes: m.nodes,
      files: { userKey: p.userKey, rootDisk: p.rootDisk, dataDisk: p.dataDisk, seedIso: p.seedIso, memory: p.memory },
    };
  }

  /** A new lab from this snapshot: own names, ports, network and overlays; ready when returned. */
  async restore(opts: StartOptions = {}): Promise<StartedLab> {
    await markUsed(this.dir);
    return new LabStarter(this.manifest.config, opts, this.host).restore(this.saved());
  }
}

/** The plan of a run over a snapshot someone else made: everything it needs is in its manifest. */
export function planOfSnapshot(s: ClusterSnapshot): RunPlan {
  const m = s.manifest;
  return {
    profile: m.profile,
    image: m.image,
    accel: { accel: m.accel, ...(m.cpu ? { cpu: m.cpu } : {}), mode: 'forced', reason: `as snapshot ${m.point} ${m.digest.slice(0, 12)} was made` },
    snapshot: { dir: s.dir, digest: m.digest, point: m.point },
  };
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
  /** Whose the lab that makes it is (StartOptions.ownerPid). */
  ownerPid?: number;
  /** The snapshot cache's bound in bytes (the run's DRBDLAB_SNAPSHOT_CACHE_GIB), kept after one is made; unset: nothing pruned. */
  cacheMaxBytes?: number;
}

async function templatesDigest(): Promise<string> {
  return createHash('sha256').update(canonicalJson(await loadTemplates())).digest('hex');
}

export interface Ensured {
  snapshot: ClusterSnapshot;
  created: boolean;
}

/**
 * A run's plan, resolved once: the image and hypervisor (`lab.plan()`, the only place they are
 * asked), then the ready snapshot on them (cached, or made now by one fresh up). Every scenario
 * process of the run is handed this and asks neither again.
 */
export async function planRun(lab: Lab, opts: Omit<EnsureOptions, 'step'> = {}): Promise<Ensured & { plan: RunPlan }> {
  const labPlan = await lab.plan(opts);
  const made = await ensureSnapshot(lab, labPlan, opts);
  const m = made.snapshot.manifest;
  // A lab that fell back while the snapshot was made: the run is on what the snapshot ran on.
  const accel: AccelChoice =
    m.accel === labPlan.accel.accel
      ? labPlan.accel
      : { accel: m.accel, ...(m.cpu ? { cpu: m.cpu } : {}), mode: 'auto', reason: `KVM fell back to TCG while snapshot ${m.point} ${m.digest.slice(0, 12)} was made`, ...(labPlan.accel.hostVerdict ? { hostVerdict: true } : {}) };
  return { ...made, plan: { ...labPlan, accel, snapshot: { dir: made.snapshot.dir, digest: m.digest, point: m.point } } };
}

/**
 * A scenario's cluster, as its run planned it: a restore of the plan's snapshot, or of the later
 * starting point `step` on top of it (made now from it if the cache has none). No upstream is
 * asked and no hypervisor probed: the plan and the snapshots say both.
 */
export async function restorePlanned(plan: RunPlan, o: StartOptions & { step?: SnapshotStep; host: LabHost; cacheMaxBytes?: number }): Promise<StartedLab> {
  const { step, host, cacheMaxBytes, ...opts } = o;
  const ready = await ClusterSnapshot.ofPlan(plan, host);
  const snapshot = step ? (await ensureStepSnapshot(ready, step, { progress: opts.progress, signal: opts.signal, ...(opts.ownerPid ? { ownerPid: opts.ownerPid } : {}), ...(cacheMaxBytes !== undefined ? { cacheMaxBytes } : {}) })).snapshot : ready;
  return snapshot.restore(opts);
}

/**
 * The snapshot of `lab` at a starting point, on what `plan` resolved, from the cache or made
 * now. Two processes asking for the same one at once: one makes it, the other waits for it (a
 * lock next to the folder).
 */
export async function ensureSnapshot(lab: Lab, plan: LabPlan, opts: EnsureOptions = {}): Promise<Ensured> {
  if (opts.step) {
    checkPoint(opts.step.point);
    const parent = (await ensureSnapshot(lab, plan, { ...opts, step: undefined })).snapshot;
    return ensureStepSnapshot(parent, opts.step, opts);
  }
  const inputs: SnapshotInputs = {
    profile: plan.profile,
    imageDigest: plan.image.digest,
    config: lab.config,
    templatesDigest: await templatesDigest(),
    accel: plan.accel.accel,
    ...(plan.accel.cpu ? { cpu: plan.accel.cpu } : {}),
    point: 'ready',
  };
  return ensureAt(inputs, lab.host, plan.image, opts, { what: 'fresh up', start: () => lab.start(plan, { progress: opts.progress, signal: opts.signal, ...(opts.ownerPid ? { ownerPid: opts.ownerPid } : {}) }) });
}

/** A later starting point: `parent` restored, the step's steps run, saved; its identity is the parent's plus the steps'. */
async function ensureStepSnapshot(parent: ClusterSnapshot, step: SnapshotStep, opts: Omit<EnsureOptions, 'step'> = {}): Promise<Ensured> {
  checkPoint(step.point);
  const inputs: SnapshotInputs = {
    ...parent.manifest.inputs,
    point: step.point,
    pointDigest: createHash('sha256').update(step.source).digest('hex'),
    parent: parent.manifest.digest,
  };
  return ensureAt(inputs, parent.host, parent.manifest.image, opts, {
    what: `restore ${parent.point}, run its steps`,
    start: () => parent.restore({ progress: opts.progress, signal: opts.signal, ...(opts.ownerPid ? { ownerPid: opts.ownerPid } : {}) }),
    step,
    keep: parent.dir,
  });
}

function checkPoint(point: string): void {
  if (!POINT_PATTERN.test(point)) throw new UsageError(`snapshot point "${point}": use lower-case letters, digits and dashes`);
}

interface Making {
  /** For the progress line: how the lab is made. */
  what: string;
  start(): Promise<StartedLab>;
  step?: SnapshotStep;
  /** A snapshot the prune must leave (the parent). */
  keep?: string;
}

async function ensureAt(inputs: SnapshotInputs, host: LabHost, image: BaseImage, opts: Omit<EnsureOptions, 'step'>, make: Making): Promise<Ensured> {
  const progress = opts.progress ?? silent;
  const point = inputs.point;
  const t0 = Date.now();
  const digest = snapshotDigest(inputs);
  const dir = snapshotDir(host.folders.snapshots, inputs.profile, point, digest);
  const cached = await readSnapshot(dir);
  if (cached) {
    await markUsed(dir);
    progress(`snapshot ${point} ${digest.slice(0, 12)} cached`);
    return { snapshot: new ClusterSnapshot(dir, cached, host), created: false };
  }

  const ensured = await locked(dir, async () => {
    const made = await readSnapshot(dir);
    if (made) return { snapshot: new ClusterSnapshot(dir, made, host), created: false };
    progress(`snapshot ${point} ${digest.slice(0, 12)}: making it (${make.what}, then save)`);
    const started = await make.start();
    try {
      const ran = asRan(inputs, started);
      if (ran === inputs) return await save(started, dir, { digest, inputs, image, t0 }, make, host);
      // The lab fell back (KVM → TCG) while starting: a snapshot is only ever what it ran on, so
      // it is saved under that identity, the one the host's corrected verdict plans from now on.
      const ranDigest = snapshotDigest(ran);
      const ranDir = snapshotDir(host.folders.snapshots, ran.profile, point, ranDigest);
      progress(`snapshot ${point}: the lab fell back from ${inputs.accel} to ${ran.accel} while it was made; saved as what it ran on, ${ranDigest.slice(0, 12)}`);
      return await locked(ranDir, async () => {
        const there = await readSnapshot(ranDir);
        if (there) return { snapshot: new ClusterSnapshot(ranDir, there, host), created: false };
        return save(started, ranDir, { digest: ranDigest, inputs: ran, image, t0 }, make, host);
      });
    } finally {
      await started.down();
    }
  });
  if (ensured.created) {
    const maxBytes = opts.cacheMaxBytes;
    if (maxBytes !== undefined) for (const removed of await pruneSnapshots({ root: host.folders.snapshots, maxBytes, keep: [ensured.snapshot.dir, ...(make.keep ? [make.keep] : [])] })) progress(`snapshot cache: pruned ${removed}`);
    progress(`snapshot ${point} ${ensured.snapshot.manifest.digest.slice(0, 12)} saved (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  return ensured;
}

/** The inputs as the started lab really ran: `inputs` itself, unless its hypervisor changed. */
function asRan(inputs: SnapshotInputs, started: StartedLab): SnapshotInputs {
  if (started.state.accel === inputs.accel) return inputs;
  const { cpu: _planned, ...rest } = inputs;
  return { ...rest, accel: started.state.accel, ...(started.state.cpu ? { cpu: started.state.cpu } : {}) };
}

/** `fn` while holding the lock beside `dir`: another process making the same snapshot waits for it (a fresh up takes minutes). */
async function locked<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(dirname(dir), { recursive: true, mode: 0o711 });
  const release = await lockfile.lock(dir, {
    realpath: false,
    lockfilePath: `${dir}.lock`,
    retries: { retries: 1800, factor: 1, minTimeout: 1000, maxTimeout: 1000 },
    stale: 30_000,
  });
  try {
    return await fn();
  } finally {
    await release();
  }
}

/** The started lab, its steps run, synced and saved into `dir` (it is left shut off for the caller to remove). */
async function save(started: StartedLab, dir: string, s: { digest: string; inputs: SnapshotInputs; image: BaseImage; t0: number }, make: Making, host: LabHost): Promise<Ensured> {
  const timings: Record<string, number> = { ...started.timings };
  if (make.step) {
    const t = Date.now();
    await make.step.run(started);
    timings.steps = (Date.now() - t) / 1000;
  }
  // A starting point holds nothing only in memory: a scenario that cuts a node's power right
  // after the restore must find on disk what was written before the save (ext4 keeps new
  // files' data in the page cache for up to 30 s; power-loss once found data.bin empty).
  await Promise.all(started.nodeList.map((n) => host.guests.exec(n, 'sync')));
  // The loaded module's version, as /proc/drbd says (a failed DKMS build leaves 8.4 there), or why not.
  const first = started.nodeList[0];
  const versions = { ...s.image.versions, ...(await readProcDrbd(first && { name: first.name, exec: (c, o) => host.guests.exec(first, c, o) })) };
  timings.total = (Date.now() - s.t0) / 1000;
  let manifest: SnapshotManifest | undefined;
  await buildAtomically(dir, async (scratch) => {
    manifest = await saveCluster(started, scratch, { digest: s.digest, inputs: s.inputs, image: s.image, versions, timings });
    // What the steps ran, kept with the snapshot they made.
    const records = (started.transcript as { records?: unknown[] }).records;
    if (make.step && records) await writeFile(join(scratch, 'steps-transcript.json'), JSON.stringify(records, null, 1));
  });
  return { snapshot: new ClusterSnapshot(dir, manifest!, host), created: true };
}
