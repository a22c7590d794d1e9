import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadTemplates, renderSeed } from '../cloud-init/render.js';
import { prefixLength, type LabConfig } from '../config/lab-schema.js';
import { WaitTimeoutError } from '../errors.js';
import type { BaseImage } from '../image/profile.js';
import type { ProfileName } from '../image/profile-names.js';
import { silent, type Progress } from '../image/progress.js';
import { rememberFallback, type AccelChoice } from '../libvirt/accel.js';
import { renderDomainXml, type Accel, type KvmCpu } from '../libvirt/domain-xml.js';
import { cpuName, KERNEL_RAN } from '../libvirt/kvm-probe.js';
import { ifPresent, type Libvirt } from '../libvirt/libvirt.js';
import { renderNetworkXml } from '../libvirt/network-xml.js';
import { copyRetargeted } from '../libvirt/save-image.js';
import { VirshError } from '../libvirt/virsh-error.js';
import type { CommandSink } from '../ssh/command-record.js';
import { Transcript } from '../ssh/transcript.js';
import { knownHostsLine } from '../ssh/keys.js';
import { pollUntil } from '../wait/poll.js';
import { bridgeName, domainName, macFor, MGMT_GUEST_IP, networkName, newLabId } from './identity.js';
import type { LabHost } from './lab-host.js';
import { keepForUser } from './ownership.js';
import { ensureLabsRoot, labPaths } from './paths.js';
import { freeLoopbackPort } from './ports.js';
import { describeReaped, reapOrphans } from './reaper.js';
import type { LabPlan, PlannedSnapshot } from './run-plan.js';
import { StartedLab } from './started-lab.js';
import type { StartedNode } from './started-node.js';
import { writeState, type LabState } from './state.js';
import { teardownLab } from './teardown.js';

const LAB_USER = 'drbdlab';

export interface StartOptions {
  progress?: Progress;
  /** Ctrl-C: abort the start and clean up what was made. */
  signal?: AbortSignal;
  /** Keep the VMs when disposing the started lab. */
  keep?: boolean;
  /** Keep what was made when start() itself fails (a user's --keep); otherwise remove it. */
  keepOnFailure?: boolean;
  sink?: CommandSink;
  /**
   * 'process' (default): the lab belongs to this process and is reaped once it is gone.
   * 'user' (`up`): it becomes the user's once ready, and stays until `down`.
   */
  owner?: 'process' | 'user';
  /** The job this process works for (the nightly, for its vitest workers): its labs are that job's, reaped when it is gone. */
  ownerPid?: number;
  /** Where a node's SSH forward goes (tests hand out a port somebody else holds). */
  pickPort?: () => Promise<number>;
}

/** One node of a saved cluster: what its saved guest already is. */
export interface SavedNode {
  name: string;
  id: number;
  /** The domain name and uuid inside its save image (what a restore rewrites). */
  savedName: string;
  savedUuid: string;
  replicationIp: string;
  hostKey: string;
}

/**
 * A saved cluster as a restore reads it (lib/snapshot makes one from a snapshot folder): which
 * image, hypervisor and nodes it was saved with, and where its files are.
 */
export interface SavedCluster extends PlannedSnapshot {
  profile: ProfileName;
  image: BaseImage;
  accel: Accel;
  cpu?: KvmCpu;
  nodes: SavedNode[];
  files: {
    userKey: string;
    rootDisk(node: string): string;
    dataDisk(node: string): string;
    seedIso(node: string): string;
    memory(node: string): string;
  };
}

/** Attempts at a free forwarded port when another process takes the chosen one first. */
const PORT_ATTEMPTS = 5;
/** Under KVM a node's kernel must run within this; else the lab falls back to TCG. */
const KVM_BOOT_DEADLINE_MS = 60_000;

type NodeState = LabState['nodes'][number];

/** What differs between a fresh start and a restore; every other phase is shared. */
interface StartPath {
  profile: ProfileName;
  image: BaseImage;
  accel: AccelChoice;
  /** The snapshot a restored lab came from (its state says so). */
  snapshot?: PlannedSnapshot;
  /** The nodes' files: keys, disks, seeds (and for a restore, the memory images). */
  prepare(): Promise<void>;
  /** The defined domains running. */
  boot(): Promise<void>;
  /** Once a node is ready. */
  whenReady?(node: StartedNode): Promise<void>;
}

/**
 * One start of a lab, phase by phase (as testcontainers' GenericContainer.start): lab folder,
 * node files, domains, network, boot, readiness. Two ways in: `fresh(plan)` clones the plan's
 * image and boots; `restore(saved)` resumes a saved cluster. Neither resolves an image or probes
 * the hypervisor: a fresh start takes both from its plan, a restore from what was saved.
 * Everything made is recorded in the lab's state first, so a failure or a signal at any phase
 * removes it all.
 */
export class LabStarter {
  private readonly progress: Progress;
  private readonly virsh: Libvirt;
  private readonly timings: Record<string, number> = {};
  private readonly t0 = Date.now();
  private image!: BaseImage;
  private accel!: AccelChoice;
  private state!: LabState;
  private started?: StartedLab;

  constructor(
    private readonly config: LabConfig,
    private readonly opts: StartOptions,
    /** libvirt, node files, readiness: the real host unless a test hands in fakes. */
    private readonly host: LabHost,
  ) {
    this.progress = opts.progress ?? silent;
    this.virsh = host.connect(config.libvirtUri);
  }

  /** Fresh copy-on-write clones of the plan's image, booted on the plan's hypervisor. */
  fresh(plan: LabPlan): Promise<StartedLab> {
    return this.run({
      profile: plan.profile,
      image: plan.image,
      accel: plan.accel,
      prepare: () => this.prepareNodes(),
      boot: () => this.bootNodes(),
    });
  }

  /** A saved cluster resumed: on its own image, and on the hypervisor and CPU it was saved on (a saved guest resumes only there). */
  restore(saved: SavedCluster): Promise<StartedLab> {
    return this.run({
      profile: saved.profile,
      image: { ...saved.image, built: false },
      accel: { accel: saved.accel, cpu: saved.cpu, mode: 'forced', reason: `as snapshot ${saved.point} ${saved.digest.slice(0, 12)} was made` },
      snapshot: { dir: saved.dir, digest: saved.digest, point: saved.point },
      prepare: () => this.prepareRestoredNodes(saved),
      boot: () => this.phase('restore', () => this.restoreNodes()),
      // A restored guest wakes at the time it was saved: it is ready once its clock is the host's.
      whenReady: async (node) => {
        this.timings[`clock.${node.name}`] = await this.host.guests.setClock(node);
      },
    });
  }

  private async run(path: StartPath): Promise<StartedLab> {
    this.image = path.image;
    this.accel = path.accel;
    await this.reapOrphans();
    this.announceHypervisor();
    await this.createLabFolder(path);
    try {
      await this.phase('clone', () => path.prepare());
      await this.withKvmFallback(() => this.defineDomains(), false);
      await this.startNetwork();
      const tBoot = Date.now();
      await path.boot();
      await this.waitUntilReady(tBoot, path.whenReady);
      this.timings.up = (Date.now() - this.t0) / 1000;
      this.state.phase = 'up';
      await writeState(this.labs, this.state);
      if (this.opts.owner === 'user') await keepForUser(this.state, this.host);
      this.started!.timings = this.timings;
      return this.started!;
    } catch (err) {
      await this.cleanUpAfter(err);
      throw err;
    }
  }

  private async phase(name: string, fn: () => Promise<void>): Promise<void> {
    this.opts.signal?.throwIfAborted();
    const t = Date.now();
    await fn();
    this.timings[name] = (Date.now() - t) / 1000;
  }

  /** Labs of processes that are gone (a killed nightly, a crashed test run) go first. */
  private async reapOrphans(): Promise<void> {
    for (const r of await reapOrphans(this.config.libvirtUri, this.host)) this.progress(describeReaped(r));
  }

  private announceHypervisor(): void {
    this.opts.signal?.throwIfAborted();
    const cpu = this.accel.cpu ? `, CPU ${cpuName(this.accel.cpu)}` : '';
    this.progress(`hypervisor: ${this.accel.accel.toUpperCase()}${cpu} (${this.accel.reason})`);
  }

  /** The state file comes first: from here on, `down` and the reaper can find this lab. */
  private async createLabFolder(path: StartPath): Promise<void> {
    this.opts.signal?.throwIfAborted();
    await ensureLabsRoot(this.labs);
    const labId = newLabId();
    this.state = {
      labId,
      phase: 'starting',
      createdAt: new Date().toISOString(),
      profile: path.profile,
      accel: this.accel.accel,
      accelReason: this.accel.reason,
      cpu: this.accel.cpu,
      owner: this.host.owner(this.opts.ownerPid),
      libvirtUri: this.config.libvirtUri,
      user: LAB_USER,
      network: networkName(labId),
      image: { dir: this.image.dir, digest: this.image.digest, versions: this.image.versions },
      config: this.config,
      ...(path.snapshot ? { snapshot: path.snapshot } : {}),
      nodes: [],
    };
    await mkdir(join(labPaths(this.labs, labId).dir, 'keys'), { recursive: true });
    await writeState(this.labs, this.state);
  }

  /** The labs folder of this run (its configuration's, through the host). */
  private get labs(): string {
    return this.host.folders.state;
  }

  private get paths() {
    return labPaths(this.labs, this.state.labId);
  }

  /** Keys, copy-on-write disks and cloud-init seeds: files only, nothing in libvirt yet. */
  private async prepareNodes(): Promise<void> {
    const p = this.paths;
    const labId = this.state.labId;
    this.progress(`lab ${labId}: cloning ${this.config.nodes.length} nodes from ${this.image.profile} ${this.image.digest.slice(0, 12)}`);
    const files = this.host.files;
    const userKey = await files.keyPair(p.userKey, `drbdlab-${labId}`);
    const templates = await loadTemplates();
    const hosts = this.config.nodes.map((n) => ({ ip: n.replicationIp, name: n.name }));
    const prefix = prefixLength(this.config.replicationNetwork);
    for (const n of this.config.nodes) {
      this.opts.signal?.throwIfAborted();
      await mkdir(p.nodeDir(n.name), { recursive: true });
      const hostKey = await files.keyPair(p.hostKey(n.name), `${n.name}-host`);
      this.state.nodes.push({
        name: n.name,
        id: n.id,
        domain: domainName(labId, n.name),
        uuid: randomUUID(),
        sshPort: await this.pickPort(),
        replicationIp: n.replicationIp,
        hostKey: hostKey.publicKey,
      });
      await files.overlay(this.image.disk, p.rootDisk(n.name));
      await files.dataDisk(this.image, p.dataDisk(n.name), this.config.dataDiskGiB);
      const seed = renderSeed(templates, {
        hostname: n.name,
        instanceId: `drbdlab-${labId}-${n.name}`,
        user: LAB_USER,
        authorizedKey: userKey.publicKey,
        hostKeyPrivate: hostKey.privateKey,
        hostKeyPublic: hostKey.publicKey,
        mgmtMac: macFor('mgmt', n.id),
        mgmtAddress: `${MGMT_GUEST_IP}/24`,
        replMac: macFor('repl', n.id),
        replAddress: `${n.replicationIp}/${prefix}`,
        hosts,
      });
      await files.seedIso(seed, p.seedIso(n.name));
    }
    await this.writeNodeState();
  }

  /**
   * A restore's node files: copy-on-write overlays on the snapshot's disks, its seed, and a copy
   * of its memory image under this lab's own domain name and uuid. The nodes keep their host keys
   * and the snapshot's user key (they are inside the saved guests).
   */
  private async prepareRestoredNodes(saved: SavedCluster): Promise<void> {
    const p = this.paths;
    const sf = saved.files;
    const labId = this.state.labId;
    this.progress(`lab ${labId}: restoring ${saved.nodes.length} nodes from snapshot ${saved.point} ${saved.digest.slice(0, 12)}`);
    await copyFile(sf.userKey, p.userKey);
    for (const n of saved.nodes) {
      this.opts.signal?.throwIfAborted();
      await mkdir(p.nodeDir(n.name), { recursive: true });
      const node: NodeState = {
        name: n.name,
        id: n.id,
        domain: domainName(labId, n.name),
        uuid: randomUUID(),
        sshPort: await this.pickPort(),
        replicationIp: n.replicationIp,
        hostKey: n.hostKey,
      };
      this.state.nodes.push(node);
      await this.host.files.overlay(sf.rootDisk(n.name), p.rootDisk(n.name));
      await this.host.files.overlay(sf.dataDisk(n.name), p.dataDisk(n.name));
      await copyFile(sf.seedIso(n.name), p.seedIso(n.name));
      await copyRetargeted(sf.memory(n.name), p.memory(n.name), { name: n.savedName, uuid: n.savedUuid }, { name: node.domain, uuid: node.uuid });
    }
    await this.writeNodeState();
  }

  /**
   * Restore every node paused, then resume them together (DRBD's and the guests' own timers see
   * one short pause, not three staggered ones). The clocks are set while readiness is awaited.
   */
  private async restoreNodes(): Promise<void> {
    this.opts.signal?.throwIfAborted();
    this.progress(`lab ${this.state.labId}: resuming ${this.state.nodes.map((n) => n.name).join(', ')} from memory`);
    let t = Date.now();
    const lap = (name: string) => {
      this.timings[`restore.${name}`] = (Date.now() - t) / 1000;
      t = Date.now();
    };
    await allSettled(this.state.nodes.map((n) => this.restoreNode(n)));
    lap('load');
    await Promise.all(this.state.nodes.map((n) => this.virsh.resume(n.domain)));
    lap('resume');
    await Promise.all(this.state.nodes.map((n) => rm(this.paths.memory(n.name), { force: true })));
  }

  private restoreNode(n: NodeState): Promise<void> {
    return this.withNewPortIfTaken(n, () => this.virsh.restore(this.paths.memory(n.name), this.paths.domainXml(n.name), { paused: true }));
  }

  private pickPort(): Promise<number> {
    return (this.opts.pickPort ?? freeLoopbackPort)();
  }

  private async writeNodeState(): Promise<void> {
    await writeFile(this.paths.knownHosts, this.state.nodes.map((n) => knownHostsLine(n.sshPort, n.hostKey)).join('\n') + '\n');
    await writeState(this.labs, this.state);
  }

  /** Domains before the network: a network without domains is then always an orphan. */
  private async defineDomains(): Promise<void> {
    this.opts.signal?.throwIfAborted();
    this.progress(`lab ${this.state.labId}: defining ${this.state.nodes.length} domains (${this.state.accel.toUpperCase()})`);
    for (const n of this.state.nodes) await this.defineDomain(n);
  }

  /** Define (or re-define in place: same name and uuid) one node's domain. */
  private async defineDomain(n: NodeState): Promise<void> {
    const p = this.paths;
    const xml = renderDomainXml({
      name: n.domain,
      uuid: n.uuid,
      labId: this.state.labId,
      node: n.name,
      accel: this.state.accel,
      cpu: this.state.cpu,
      owner: this.state.owner!,
      labDir: p.dir,
      memoryMiB: this.config.memoryMiB,
      cpus: this.config.cpus,
      boot: this.image.boot,
      rootDisk: p.rootDisk(n.name),
      dataDisk: p.dataDisk(n.name),
      seedIso: p.seedIso(n.name),
      consoleLog: p.consoleLog(n.name),
      mgmt: { mac: macFor('mgmt', n.id), sshPort: n.sshPort },
      repl: { mac: macFor('repl', n.id), network: this.state.network },
    });
    await writeFile(p.domainXml(n.name), xml);
    await this.virsh.define(p.domainXml(n.name));
  }

  private async startNetwork(): Promise<void> {
    this.opts.signal?.throwIfAborted();
    this.progress(`lab ${this.state.labId}: starting the replication network ${this.state.network}`);
    await writeFile(this.paths.networkXml, renderNetworkXml({ name: this.state.network, bridge: bridgeName(this.state.labId) }));
    await this.virsh.defineNetwork(this.paths.networkXml);
    await this.virsh.startNetwork(this.state.network);
  }

  /** Start every node; under an automatic KVM choice, a node that does not boot sends the lab to TCG. */
  private async bootNodes(): Promise<void> {
    this.opts.signal?.throwIfAborted();
    this.progress(`lab ${this.state.labId}: starting ${this.state.nodes.map((n) => n.name).join(', ')}`);
    await this.withKvmFallback(() => this.startNodes(), true);
    if (this.mayFallBack) {
      const silentNode = await this.firstNodeWhoseKernelDidNotRun();
      if (silentNode) await this.fallBackToTcg(silentNode, true);
    }
  }

  private async startNodes(): Promise<void> {
    await allSettled(this.state.nodes.map((n) => this.startNode(n)));
  }

  /** KVM chosen by the probe, not forced: a node that fails under it sends the lab to TCG, once. */
  private get mayFallBack(): boolean {
    return this.state.accel === 'kvm' && this.accel.mode === 'auto';
  }

  /** Run a define or start phase; libvirt refusing it under an automatic KVM choice means TCG. */
  private async withKvmFallback(fn: () => Promise<void>, thenStart: boolean): Promise<void> {
    try {
      await fn();
    } catch (err) {
      const libvirtRefused = err instanceof VirshError && err.failure !== 'port-in-use' && err.failure !== 'daemon-down';
      if (!(this.mayFallBack && libvirtRefused)) throw err;
      await this.fallBackToTcg(err.stderr.trim().split('\n').pop() ?? err.message, thenStart);
    }
  }

  /** `virsh start`, and a new forwarded port when someone took ours since we chose it. */
  private startNode(n: NodeState): Promise<void> {
    return this.withNewPortIfTaken(n, () => this.virsh.start(n.domain));
  }

  /** Run a start or restore; when another process took the node's forwarded port since we chose it, re-define with a new one and try again. */
  private async withNewPortIfTaken(n: NodeState, boot: () => Promise<unknown>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await boot();
        return;
      } catch (err) {
        if (!(err instanceof VirshError && err.failure === 'port-in-use') || attempt >= PORT_ATTEMPTS) throw err;
        const taken = n.sshPort;
        n.sshPort = await this.pickPort();
        this.progress(`${n.name}: 127.0.0.1:${taken} was taken by another process; forwarding SSH from 127.0.0.1:${n.sshPort} instead`);
        await this.writeNodeState();
        await this.defineDomain(n);
      }
    }
  }

  /** Under KVM: each node's kernel must reach /init; a dead or silent node names the failure. */
  private async firstNodeWhoseKernelDidNotRun(): Promise<string | undefined> {
    const verdicts = await Promise.all(
      this.state.nodes.map(async (n) => {
        try {
          return await pollUntil(
            `${n.name}'s kernel to run under KVM`,
            async () => {
              // virtlogd creates the file once QEMU runs: none yet is "silent so far".
              const log = await readFile(this.paths.consoleLog(n.name), 'utf8').catch(() => '');
              if (KERNEL_RAN.test(log)) return { done: true, value: undefined, seen: 'kernel ran' };
              const st = await this.virsh.domainState(n.domain);
              if (st !== 'running') return { done: true, value: `${n.name}: QEMU died (${(await this.virsh.qemuLogTail(n.domain)) || st})`, seen: st ?? 'gone' };
              return { done: false, seen: 'console silent' };
            },
            { timeoutMs: KVM_BOOT_DEADLINE_MS, intervalMs: 500, signal: this.opts.signal, clock: this.host.clock },
          );
        } catch (err) {
          if (err instanceof WaitTimeoutError) return `${n.name}: console silent for ${KVM_BOOT_DEADLINE_MS / 1000} s`;
          throw err;
        }
      }),
    );
    return verdicts.find((v): v is string => !!v);
  }

  /** Once per lab: every node goes to TCG, the run says so, and this host boot remembers it. */
  private async fallBackToTcg(why: string, thenStart: boolean): Promise<void> {
    this.progress(`KVM did not boot the lab (${why}): falling back to TCG for every node`);
    await Promise.all(this.state.nodes.map((n) => ifPresent(this.virsh.destroy(n.domain))));
    this.state.accel = 'tcg';
    this.state.cpu = undefined;
    this.state.accelReason = `KVM fell back to TCG: ${why}`;
    this.accel = { accel: 'tcg', mode: 'auto', reason: this.state.accelReason, ...(this.accel.hostVerdict ? { hostVerdict: true } : {}) };
    await writeState(this.labs, this.state);
    // Only the host's verdict is corrected; a choice a test made up is not the host's.
    if (this.accel.hostVerdict) await rememberFallback(this.virsh, this.host.folders.cache, why, this.host.accel);
    await this.defineDomains();
    if (thenStart) await this.startNodes();
  }

  /** Readiness = SSH answers with the pinned host key and cloud-init has finished, on every node. */
  private async waitUntilReady(tBoot: number, whenReady?: (node: StartedNode) => Promise<void>): Promise<void> {
    this.opts.signal?.throwIfAborted();
    const key = await readFile(this.paths.userKey, 'utf8');
    const started = new StartedLab(this.state, key, this.opts.sink ?? new Transcript(this.paths.transcript), this.opts.keep ?? false, this.host);
    this.started = started;
    this.progress(`lab ${this.state.labId}: waiting for SSH and cloud-init on ${this.state.nodes.map((n) => n.name).join(', ')}`);
    // One node failing (or Ctrl-C) stops the others' waits too: nothing keeps polling a lab
    // that is being removed.
    const stopWaits = new AbortController();
    this.opts.signal?.addEventListener('abort', () => stopWaits.abort(this.opts.signal?.reason), { once: true });
    started.stopOnFailure = stopWaits;
    await Promise.all(
      started.nodeList.map(async (node) => {
        try {
          await raceAbort(this.host.guests.waitReady(node, stopWaits.signal), this.opts.signal);
          await whenReady?.(node);
        } catch (err) {
          stopWaits.abort(err);
          throw err;
        }
        this.timings[`ready.${node.name}`] = (Date.now() - tBoot) / 1000;
        this.progress(`${node.name}: ready (SSH + cloud-init) after ${this.timings[`ready.${node.name}`]!.toFixed(0)} s`);
      }),
    );
  }

  private async cleanUpAfter(err: unknown): Promise<void> {
    this.state.phase = 'failed';
    this.started?.stopOnFailure?.abort(err);
    for (const n of this.started?.nodeList ?? []) n.close();
    if (this.opts.keepOnFailure) {
      await keepForUser(this.state, this.host);
      this.progress(`lab ${this.state.labId}: start failed, kept for inspection (npm run lab -- down --lab ${this.state.labId})`);
      return;
    }
    this.progress(`lab ${this.state.labId}: start failed, removing what was made`);
    try {
      for (const r of await teardownLab(this.state.labId, this.config.libvirtUri, { host: this.host })) this.progress(`  removed ${r}`);
    } catch (teardownErr) {
      // The start's own error is what the user needs; the leftover is named, and reaped later.
      this.progress(`lab ${this.state.labId}: removal failed too (${(teardownErr as Error).message.split('\n')[0]}); the next drbdlab command reaps it`);
    }
  }
}

/**
 * Wait for every node's start (or restore) to end, then fail with the first failure: a node still
 * in its port retry would otherwise re-define its domain after the teardown has looked, or write
 * into the lab folder while it is being removed.
 */
async function allSettled(starts: Promise<void>[]): Promise<void> {
  const failed = (await Promise.allSettled(starts)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

function raceAbort<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error('aborted'));
    // Handlers first: an abort that came before must not leave p's rejection unhandled.
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
