import { mkdir, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadTemplates, renderSeed } from '../cloud-init/render.js';
import { buildSeedIso } from '../cloud-init/seed-iso.js';
import { loadLabConfig } from '../config/load-lab.js';
import { prefixLength, type LabConfig } from '../config/lab-schema.js';
import { run } from '../exec/run.js';
import type { GuestProfile } from '../image/profile.js';
import { silent, type Progress } from '../image/progress.js';
import { detectAccel, type AccelChoice } from '../libvirt/accel.js';
import { renderDomainXml } from '../libvirt/domain-xml.js';
import { renderNetworkXml } from '../libvirt/network-xml.js';
import { Virsh } from '../libvirt/virsh.js';
import type { CommandSink } from '../report/command-record.js';
import { Transcript } from '../report/transcript.js';
import { ensureKeyPair, knownHostsLine } from '../ssh/keys.js';
import { setTimeoutScale } from '../wait/poll.js';
import { bridgeName, domainName, macFor, MGMT_GUEST_IP, networkName, newLabId } from './identity.js';
import { labPaths } from './paths.js';
import { freeLoopbackPort } from './ports.js';
import { StartedLab } from './started-lab.js';
import { writeState, type LabState } from './state.js';
import { teardownLab } from './teardown.js';

export const LAB_USER = 'drbdlab';

export interface StartOptions {
  progress?: Progress;
  /** Ctrl-C: abort the start and clean up what was made. */
  signal?: AbortSignal;
  /** Keep the VMs when disposing the started lab. */
  keep?: boolean;
  /** Keep what was made when start() itself fails (a user's --keep); otherwise remove it. */
  keepOnFailure?: boolean;
  sink?: CommandSink;
  accel?: AccelChoice;
}

/**
 * A lab definition (lab.yaml + a guest profile). `start()` turns it into a StartedLab:
 * fresh copy-on-write clones of the cached template, booted in parallel, ready over SSH.
 */
export class Lab {
  constructor(
    readonly config: LabConfig,
    readonly profile: GuestProfile,
  ) {}

  static async fromFile(file: string, profile: GuestProfile): Promise<Lab> {
    return new Lab(await loadLabConfig(file), profile);
  }

  async start(opts: StartOptions = {}): Promise<StartedLab> {
    const progress = opts.progress ?? silent;
    const timings: Record<string, number> = {};
    const t0 = Date.now();
    const mark = (phase: string, since: number) => (timings[phase] = (Date.now() - since) / 1000);
    const accel = opts.accel ?? (await detectAccel());
    setTimeoutScale(accel.accel === 'tcg' ? 3 : 1);
    progress(`hypervisor: ${accel.accel.toUpperCase()} (${accel.reason})`);
    await this.profile.checkAvailable();
    const tImage = Date.now();
    const image = await this.profile.ensureImage(progress);
    mark(image.built ? 'imageBuild' : 'imageCached', tImage);
    opts.signal?.throwIfAborted();

    const labId = newLabId();
    const p = labPaths(labId);
    const virsh = new Virsh(this.config.libvirtUri);
    let started: StartedLab | undefined;
    const state: LabState = {
      labId,
      phase: 'starting',
      createdAt: new Date().toISOString(),
      profile: this.profile.name,
      accel: accel.accel,
      accelReason: accel.reason,
      libvirtUri: this.config.libvirtUri,
      user: LAB_USER,
      network: networkName(labId),
      image: { dir: image.dir, digest: image.digest, versions: image.versions },
      config: this.config,
      nodes: [],
    };
    try {
      await mkdir(join(p.dir, 'keys'), { recursive: true });
      await writeState(state); // first, so `down` can find a lab that dies half-way
      const userKey = await ensureKeyPair(p.userKey, `drbdlab-${labId}`);
      const templates = await loadTemplates();
      const hosts = this.config.nodes.map((n) => ({ ip: n.replicationIp, name: n.name }));
      const prefix = prefixLength(this.config.replicationNetwork);

      const tClone = Date.now();
      progress(`lab ${labId}: cloning ${this.config.nodes.length} nodes from ${image.profile} ${image.digest.slice(0, 12)}`);
      for (const n of this.config.nodes) {
        await mkdir(p.nodeDir(n.name), { recursive: true });
        const hostKey = await ensureKeyPair(p.hostKey(n.name), `${n.name}-host`);
        const sshPort = await freeLoopbackPort();
        state.nodes.push({ name: n.name, id: n.id, domain: domainName(labId, n.name), sshPort, replicationIp: n.replicationIp, hostKey: hostKey.publicKey });
        await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', image.disk, p.rootDisk(n.name)]);
        await run('qemu-img', ['create', '-q', '-f', 'qcow2', p.dataDisk(n.name), `${this.config.dataDiskGiB * 1024}M`]);
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
        await buildSeedIso(seed, p.seedIso(n.name));
      }
      mark('clone', tClone);
      await writeFile(p.knownHosts, state.nodes.map((n) => knownHostsLine(n.sshPort, n.hostKey)).join('\n') + '\n');
      await writeState(state);

      await writeFile(p.networkXml, renderNetworkXml({ name: state.network, bridge: bridgeName(labId) }));
      await virsh.run(['net-define', p.networkXml]);
      await virsh.run(['net-start', state.network]);

      for (const n of state.nodes) {
        const xml = renderDomainXml({
          name: n.domain,
          labId,
          node: n.name,
          accel: accel.accel,
          memoryMiB: this.config.memoryMiB,
          cpus: this.config.cpus,
          boot: image.boot,
          rootDisk: p.rootDisk(n.name),
          dataDisk: p.dataDisk(n.name),
          seedIso: p.seedIso(n.name),
          consoleLog: p.consoleLog(n.name),
          mgmt: { mac: macFor('mgmt', n.id), sshPort: n.sshPort },
          repl: { mac: macFor('repl', n.id), network: state.network },
        });
        await writeFile(p.domainXml(n.name), xml);
        await virsh.run(['define', p.domainXml(n.name)]);
      }
      opts.signal?.throwIfAborted();
      progress(`lab ${labId}: starting ${state.nodes.map((n) => n.name).join(', ')}`);
      const tBoot = Date.now();
      await Promise.all(state.nodes.map((n) => virsh.run(['start', n.domain])));

      const key = await readFile(p.userKey, 'utf8');
      started = new StartedLab(state, key, opts.sink ?? new Transcript(p.transcript), opts.keep ?? false);
      // One node failing (or Ctrl-C) stops the others' waits too: nothing keeps polling a lab
      // that is being removed.
      const stopWaits = new AbortController();
      opts.signal?.addEventListener('abort', () => stopWaits.abort(opts.signal?.reason), { once: true });
      started.stopOnFailure = stopWaits;
      await Promise.all(
        started.nodeList.map(async (node) => {
          try {
            await raceAbort(node.waitReady(undefined, stopWaits.signal), opts.signal);
          } catch (err) {
            stopWaits.abort(err);
            throw err;
          }
          mark(`ready.${node.name}`, tBoot);
          progress(`${node.name}: ready (SSH + cloud-init) after ${timings[`ready.${node.name}`]!.toFixed(0)} s`);
        }),
      );
      mark('up', t0);
      started.timings = timings;
      state.phase = 'up';
      await writeState(state);
      return started;
    } catch (err) {
      state.phase = 'failed';
      started?.stopOnFailure?.abort(err);
      for (const n of started?.nodeList ?? []) n.close();
      if (opts.keepOnFailure) {
        await writeState(state).catch(() => undefined);
        progress(`lab ${labId}: start failed, kept for inspection (npm run lab -- down --lab ${labId})`);
      } else {
        progress(`lab ${labId}: start failed, removing what was made`);
        await teardownLab(labId, this.config.libvirtUri).catch(() => undefined);
      }
      throw err;
    }
  }
}

function raceAbort<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error('aborted'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
