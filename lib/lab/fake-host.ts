// Test support, never imported by production code: the rest of a host around a FakeLibvirt —
// a process table whose owners a test makes live, exit, reuse or reboot; a clock whose waits
// take no time; node files written as placeholders (no qemu-img, genisoimage, ssh-keygen); and
// guests that are ready when their domain runs with the forwarded port the lab recorded.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SeedFiles } from '../cloud-init/render.js';
import { labSchema, type LabConfig } from '../config/lab-schema.js';
import type { BaseImage, GuestProfile } from '../image/profile.js';
import { CloudInitError, DrbdlabError, WaitTimeoutError } from '../errors.js';
import { hostBootId, labOwner, processStartTime, type Owner, type ProcessTable } from '../host/owner.js';
import type { AccelChoice, AccelHost } from '../libvirt/accel.js';
import { FakeLibvirt } from '../libvirt/fake-libvirt.js';
import type { ExecResult } from '../ssh/session.js';
import type { Clock } from '../wait/poll.js';
import type { Guests, LabFolders, LabHost } from './lab-host.js';
import type { NodeFiles } from './node-files.js';
import type { LabPlan } from './run-plan.js';
import type { StartedNode } from './started-node.js';

/**
 * This machine's process table (this process stays alive as itself), plus processes a test
 * makes up: pids above the kernel's pid_max, so none is ever a real one.
 */
export class FakeProcesses implements ProcessTable {
  private boot = hostBootId();
  private readonly made = new Map<number, string | undefined>();
  private nextPid = 2 ** 22 + 100;

  bootId(): string {
    return this.boot;
  }

  startTime(pid: number): string | undefined {
    return this.made.has(pid) ? this.made.get(pid) : processStartTime(pid);
  }

  /** A live process, as an owner. */
  spawn(): Owner {
    const pid = this.nextPid++;
    const startTime = String(1000 + pid);
    this.made.set(pid, startTime);
    return { kind: 'process', pid, startTime, bootId: this.boot };
  }

  exit(pid: number): void {
    this.made.set(pid, undefined);
  }

  /** The pid now names another process (it started later). */
  reuse(pid: number): void {
    this.made.set(pid, String(Number(this.made.get(pid) ?? '0') + 7));
  }

  /** The host rebooted: a new boot id, and every process made up so far gone with the old boot. */
  reboot(): void {
    this.boot = `${this.boot.slice(0, 8)}-rebooted-${randomBytes(2).toString('hex')}`;
  }
}

/** Virtual time: a sleep moves the clock on at once (after letting other work run). */
export class InstantClock implements Clock {
  private t = Date.now();
  now(): number {
    return this.t;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    await new Promise((r) => setImmediate(r));
    this.t += ms;
  }
}

/** Placeholder node files; a backing file must exist, as qemu-img demands. */
export class FakeNodeFiles implements NodeFiles {
  readonly made: string[] = [];
  /** The next call of this kind fails (a full disk, a missing tool). */
  failNext?: 'keyPair' | 'overlay' | 'dataDisk' | 'seedIso';

  private check(what: NonNullable<FakeNodeFiles['failNext']>, target: string): void {
    if (this.failNext !== what) return;
    this.failNext = undefined;
    throw new DrbdlabError(`fake ${what} failed for ${target}`);
  }

  async keyPair(path: string, comment: string) {
    this.check('keyPair', path);
    if (!existsSync(path)) {
      const blob = Buffer.concat([Buffer.from('\0\0\0\x0bssh-ed25519\0\0\0\x20', 'latin1'), randomBytes(32)]).toString('base64');
      await writeFile(path, `-----BEGIN OPENSSH PRIVATE KEY-----\n(synthetic ${comment})\n-----END OPENSSH PRIVATE KEY-----\n`, { mode: 0o600 });
      await writeFile(`${path}.pub`, `ssh-ed25519 ${blob} ${comment}\n`);
      this.made.push(path);
    }
    return { privatePath: path, privateKey: await readFile(path, 'utf8'), publicKey: (await readFile(`${path}.pub`, 'utf8')).trim() };
  }

  async overlay(backing: string, target: string): Promise<void> {
    this.check('overlay', target);
    if (!existsSync(backing)) throw new DrbdlabError(`qemu-img: ${target}: Could not open backing file '${backing}': No such file or directory`);
    await writeFile(target, `qcow2 overlay on ${backing}\n`);
    this.made.push(target);
  }

  async dataDisk(image: { dataDisk?: string }, target: string, sizeGiB: number): Promise<void> {
    this.check('dataDisk', target);
    if (image.dataDisk) return this.overlay(image.dataDisk, target);
    await writeFile(target, `qcow2 blank ${sizeGiB} GiB\n`);
    this.made.push(target);
  }

  async seedIso(files: SeedFiles, target: string): Promise<void> {
    this.check('seedIso', target);
    await writeFile(target, JSON.stringify(files));
    this.made.push(target);
  }
}

/**
 * A guest is ready once its domain runs in the fake libvirt and forwards SSH from the port the
 * lab recorded for it (a lab that re-chose a port but kept the old one in its state never is).
 */
export class FakeGuests implements Guests {
  readonly commands: string[] = [];
  /** Nodes whose cloud-init never finishes: their wait ends when the start is aborted. */
  readonly neverReady = new Set<string>();
  /** Nodes whose cloud-init finishes with errors. */
  readonly cloudInitFails = new Set<string>();
  /** Nodes whose readiness was awaited, in order. */
  readonly awaited: string[] = [];

  constructor(private readonly libvirt: FakeLibvirt) {}

  async waitReady(node: StartedNode, signal: AbortSignal): Promise<void> {
    this.awaited.push(node.name);
    if (this.cloudInitFails.has(node.name)) throw new CloudInitError(node.name, ['modules:final: package install failed']);
    if (this.neverReady.has(node.name)) {
      await new Promise((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    }
    const status = await this.libvirt.domainState(node.info.domain);
    const port = this.libvirt.forwardedPort(node.info.domain);
    if (status !== 'running' || port !== node.info.sshPort) {
      throw new WaitTimeoutError('SSH and cloud-init', 300_000, `domain ${status ?? 'gone'}, forwarding ${port ?? 'nothing'} (state says ${node.info.sshPort})`, node.name, 'infrastructure', 'boot');
    }
  }

  async setClock(node: StartedNode): Promise<number> {
    this.commands.push(`${node.name}: set clock`);
    return 0;
  }

  async exec(node: StartedNode, command: string): Promise<ExecResult> {
    this.commands.push(`${node.name}: ${command}`);
    if ((await this.libvirt.domainState(node.info.domain)) !== 'running') throw new DrbdlabError(`${node.name}: not running`);
    const stdout = command === 'cat /proc/drbd' ? 'version: 8.4.11 (api:1/proto:86-101)\nsrcversion: 0000\n' : '';
    return { stdout, stderr: '', exitCode: 0, durationMs: 1 };
  }
}

export interface FakeHost extends LabHost {
  libvirt: FakeLibvirt;
  processes: FakeProcesses;
  clock: InstantClock;
  files: FakeNodeFiles;
  guests: FakeGuests;
}

/** A whole fake host around one fake libvirt (at its URI; any other URI is refused). */
function fakeHost(libvirt: FakeLibvirt, folders: LabFolders): FakeHost {
  const processes = new FakeProcesses();
  const accel: AccelHost = { bootId: () => processes.bootId(), kvmDevice: () => '0:993 660', kvmDeviceProblem: async () => undefined };
  return {
    folders,
    libvirt,
    connect: (uri) => {
      if (uri !== libvirt.uri) throw new Error(`fake host: no libvirt at ${uri} (the fake is at ${libvirt.uri})`);
      return libvirt;
    },
    processes,
    owner: (ownerPid) => labOwner(ownerPid),
    clock: new InstantClock(),
    files: new FakeNodeFiles(),
    guests: new FakeGuests(libvirt),
    accel,
  };
}

/** A lab definition, a profile whose image is a placeholder file, folders of their own: all a LabStarter needs. */
export interface FakeWorld {
  root: string;
  libvirt: FakeLibvirt;
  host: FakeHost;
  config: LabConfig;
  profile: GuestProfile;
  image: BaseImage;
  /** Every progress line of every start. */
  said: string[];
  progress: (m: string) => void;
  /** Loopback ports handed out in order (a test may hand out a held one first). */
  pickPort: () => Promise<number>;
  /** A plan on the placeholder image with a hypervisor choice a test makes up (not the host's verdict). */
  plan(accel: AccelChoice): LabPlan;
  /** Remove the folders. */
  dispose(): Promise<void>;
}

export async function fakeWorld(libvirt: FakeLibvirt = new FakeLibvirt()): Promise<FakeWorld> {
  const root = await mkdtemp(join(tmpdir(), 'drbdlab-fake-'));
  // Labs live under folders libvirt's QEMU user can cross.
  await chmod(root, 0o711);
  // The world's own folders, handed to the lab logic through its host (as a run's configuration would).
  const folders: LabFolders = { state: join(root, 'labs'), cache: join(root, 'cache'), snapshots: join(root, 'cache', 'snapshots') };
  const imageDir = join(root, 'cache', 'images', 'debian12-drbd84-fake');
  await mkdir(imageDir, { recursive: true });
  const image: BaseImage = {
    profile: 'debian12-drbd84',
    disk: join(imageDir, 'disk.qcow2'),
    digest: 'f'.repeat(64),
    dir: imageDir,
    boot: { kind: 'direct', kernel: join(imageDir, 'vmlinuz'), initrd: join(imageDir, 'initrd.img'), cmdline: 'root=/dev/vda rw console=ttyS0' },
    versions: { 'drbd-utils': '9.22.0-1' },
    built: false,
  };
  for (const f of [image.disk, image.boot.kind === 'direct' ? image.boot.kernel : '']) if (f) await writeFile(f, 'placeholder\n');
  const profile: GuestProfile = { name: 'debian12-drbd84', stack: 'drbdadm', checkAvailable: async () => {}, ensureImage: async () => ({ ...image }) };
  const config = labSchema.parse({
    libvirtUri: libvirt.uri,
    memoryMiB: 512,
    cpus: 1,
    dataDiskGiB: 2,
    replicationNetwork: '10.255.255.0/24',
    nodes: [1, 2, 3].map((id) => ({ name: `drbd${id}`, id, replicationIp: `10.255.255.${100 + id}` })),
  });
  const said: string[] = [];
  let port = 40_000 + Math.floor(Math.random() * 10_000);
  return {
    root,
    libvirt,
    host: fakeHost(libvirt, folders),
    config,
    profile,
    image,
    said,
    progress: (m) => said.push(m),
    pickPort: async () => port++,
    plan: (accel) => ({ profile: profile.name, image: { ...image }, accel }),
    dispose: async () => {
      await rm(root, { recursive: true, force: true });
    },
  };
}
