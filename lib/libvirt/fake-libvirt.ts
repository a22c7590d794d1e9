// Test support, never imported by production code: an in-memory libvirt, as virter tests its
// logic against a fake LibvirtConnection. It keeps domains and networks as libvirt does (defined
// or transient, shut off / running / paused, one QEMU per running domain holding its forwarded
// port), records every call, and fails on request the way libvirt fails: with a VirshError whose
// stderr is libvirt's own wording, classified by the same classifyVirshError as the real one.
import { readFile, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { HostCommandError } from '../errors.js';
import { shellQuote } from '../exec/run.js';
import type { Libvirt, LinkState } from './libvirt.js';
import { classifyVirshError, VirshError } from './virsh-error.js';
import { parseCpuTotal } from './domstats.js';

export type DomainStatus = 'shut off' | 'running' | 'paused';

export interface FakeDomain {
  name: string;
  uuid: string;
  /** The persistent definition; undefined for a transient domain (undefined while running). */
  config?: string;
  /** What the running QEMU was started from (dumpxml shows it while the domain runs). */
  live?: string;
  status: DomainStatus;
  links: Map<string, LinkState>;
  /** What QEMU last wrote to libvirt's per-domain log. */
  log: string;
}

export type FakeOp =
  | 'version'
  | 'domainCapabilities'
  | 'listDomains'
  | 'domainState'
  | 'domainXml'
  | 'define'
  | 'undefine'
  | 'start'
  | 'destroy'
  | 'suspend'
  | 'resume'
  | 'save'
  | 'cpuSeconds'
  | 'restore'
  | 'setMetadata'
  | 'setLink'
  | 'linkState'
  | 'listNetworks'
  | 'defineNetwork'
  | 'startNetwork'
  | 'destroyNetwork'
  | 'undefineNetwork';

/** What a KVM guest does on this fake host when started. */
export type KvmBehaviour =
  /** Its kernel runs (the console shows it reach /init). */
  | 'boots'
  /** libvirt refuses the definition (a CPU model the host lacks). */
  | 'refused-at-define'
  /** libvirt refuses to start it (QEMU cannot create the VM). */
  | 'refused-at-start'
  /** QEMU starts, then dies (the domain is shut off). */
  | 'dies'
  /** QEMU runs, the console stays silent (a kernel that hangs before any output). */
  | 'silent';

interface Failure {
  op: FakeOp;
  name?: string | RegExp;
  stderr: (subject: string) => string;
  times: number;
  /** Also done when it fails (e.g. QEMU killed during a save). */
  effect?: (subject: string) => void;
}

/** libvirt's wording for the failures the lab tells apart (captured from virsh; see virsh.test.ts). */
export const LIBVIRT_SAYS = {
  noDomain: (d: string) => `error: failed to get domain '${d}'\nerror: Domain not found: no domain with matching name '${d}'`,
  noNetwork: (n: string) => `error: failed to get network '${n}'\nerror: Network not found: no network with matching name '${n}'`,
  notRunning: (what: string, d: string) => `error: Failed to ${what} domain '${d}'\nerror: Requested operation is not valid: domain is not running`,
  alreadyActive: (d: string) => `error: Failed to start domain '${d}'\nerror: Requested operation is not valid: domain is already active`,
  otherUuid: (d: string, uuid: string) => `error: Failed to define domain from ${d}\nerror: operation failed: domain '${d}' already exists with uuid ${uuid}`,
  networkNotActive: (n: string) => `error: Failed to destroy network ${n}\nerror: Requested operation is not valid: network is not active`,
  networkAlreadyActive: (n: string) => `error: Failed to start network ${n}\nerror: Requested operation is not valid: network is already active`,
  domainNetworkInactive: (d: string, n: string) => `error: Failed to start domain '${d}'\nerror: Requested operation is not valid: network '${n}' is not active`,
  portInUse: (d: string, port: number) =>
    `error: Failed to start domain '${d}'\nerror: internal error: qemu unexpectedly closed the monitor: 2024-05-02T10:11:12.123456Z qemu-system-x86_64: -netdev user,id=mgmt0,restrict=on,hostfwd=tcp:127.0.0.1:${port}-:22: Could not set up host forwarding rule 'tcp:127.0.0.1:${port}-:22'`,
  cpuRefused: (file: string) => `error: Failed to define domain from ${file}\nerror: unsupported configuration: Unknown CPU model drbdlab-no-such-cpu`,
  kvmRefused: (d: string) => `error: Failed to start domain '${d}'\nerror: internal error: process exited while connecting to monitor: ioctl(KVM_CREATE_VM) failed: 12 Cannot allocate memory`,
  restoreMismatch: (file: string, a: string, b: string) =>
    `error: Failed to restore domain from ${file}\nerror: operation failed: cannot restore domain '${a}' uuid from a file which belongs to domain '${b}'`,
  saveKilled: (d: string, file: string) => `error: Failed to save domain '${d}' to ${file}\nerror: operation failed: domain is not running`,
  notSaveImage: (file: string) => `error: Failed to restore domain from ${file}\nerror: operation failed: image magic is incorrect`,
} as const;

export class FakeLibvirt implements Libvirt {
  readonly domains = new Map<string, FakeDomain>();
  readonly networks = new Map<string, { config?: string; active: boolean }>();
  /** Every call, as `<op> <arguments>` (e.g. `start drbdlab-0a1b2c-drbd1`). */
  readonly calls: string[] = [];
  /** Loopback ports another process holds: a QEMU forwarding one of them does not start. */
  readonly heldPorts = new Set<number>();
  /** Guest CPU seconds of a running domain's QEMU, as a test sets them (0 until then). */
  readonly cpu = new Map<string, number>();
  /** What a KVM guest does here (TCG guests always boot). */
  kvm: KvmBehaviour = 'boots';
  /** Per CPU mode of a KVM guest ('host-passthrough', or a model's name): what it does instead of `kvm`. */
  kvmByCpu: Record<string, KvmBehaviour> = {};
  private failures: Failure[] = [];
  private before: { op: FakeOp; fn: (subject: string) => void | Promise<void> }[] = [];

  constructor(readonly uri = 'qemu:///system') {}

  // ---- telling it to fail -------------------------------------------------------------------

  /** The next `times` calls of `op` (on a name that matches) fail with libvirt's `stderr`. */
  fail(op: FakeOp, o: { name?: string | RegExp; stderr: string | ((subject: string) => string); times?: number; effect?: (subject: string) => void }): this {
    const text = o.stderr;
    const stderr = typeof text === 'string' ? () => text : text;
    this.failures.push({ op, name: o.name, stderr, times: o.times ?? 1, effect: o.effect });
    return this;
  }

  /** libvirt refuses the next define of a matching domain (e.g. its CPU model). */
  refuseDefine(name?: string | RegExp, times = 1): this {
    return this.fail('define', { name, times, stderr: (file) => LIBVIRT_SAYS.cpuRefused(file) });
  }

  /** Another process holds this loopback port: a QEMU that forwards it fails to start. */
  holdPort(port: number): this {
    this.heldPorts.add(port);
    return this;
  }

  /** The domain's QEMU dies (OOM killer, a crash): the domain is shut off, its port freed. */
  killQemu(name: string, log = 'qemu-system-x86_64: terminating on signal 9 from pid 1'): void {
    const d = this.domains.get(name);
    if (!d || d.status === 'shut off') return;
    d.log = log;
    this.stop(d);
  }

  /** QEMU dies while the next save of a matching domain writes its memory. */
  dieDuringSave(name?: string | RegExp): this {
    return this.fail('save', {
      name,
      stderr: (d) => LIBVIRT_SAYS.saveKilled(d, '<file>'),
      effect: (d) => this.killQemu(d, 'qemu-system-x86_64: terminating on signal 9 during migration'),
    });
  }

  /** Run `fn` just before each call of `op` (a signal arriving in the middle of a phase). */
  beforeCall(op: FakeOp, fn: (subject: string) => void | Promise<void>): this {
    this.before.push({ op, fn });
    return this;
  }

  // ---- what a test looks at -----------------------------------------------------------------

  /** The domains and networks whose names contain `text` (a lab id): what a lab left behind. */
  leftovers(text = 'drbdlab-'): string[] {
    return [...this.domains.keys(), ...this.networks.keys()].filter((n) => n.includes(text)).sort();
  }

  /** The calls of one operation (`start`, `define`, …), in order. */
  callsOf(op: FakeOp): string[] {
    return this.calls.filter((c) => c === op || c.startsWith(`${op} `));
  }

  /** The loopback port a domain's definition forwards SSH from. */
  forwardedPort(name: string): number | undefined {
    const d = this.domains.get(name);
    return d ? portOf(d.live ?? d.config ?? '') : undefined;
  }

  // ---- Libvirt ------------------------------------------------------------------------------

  async version(): Promise<string> {
    await this.enter('version', '');
    return 'Compiled against library: libvirt 9.0.0\nUsing library: libvirt 9.0.0\nUsing API: QEMU 9.0.0\nRunning hypervisor: QEMU 7.2.0';
  }

  async domainCapabilities(virtType: 'kvm'): Promise<string> {
    await this.enter('domainCapabilities', virtType);
    return `<domainCapabilities>\n  <cpu>\n    <mode name='host-model' supported='yes'>\n      <model fallback='forbid'>Skylake-Client-IBRS</model>\n    </mode>\n  </cpu>\n</domainCapabilities>`;
  }

  async listDomains(): Promise<string[]> {
    await this.enter('listDomains', '');
    return [...this.domains.keys()];
  }

  async domainState(name: string): Promise<string | undefined> {
    await this.enter('domainState', name);
    return this.domains.get(name)?.status;
  }

  async domainXml(name: string): Promise<string | undefined> {
    await this.enter('domainXml', name);
    const d = this.domains.get(name);
    return d ? (d.status !== 'shut off' ? d.live : d.config) : undefined;
  }

  async define(xmlFile: string): Promise<void> {
    const xmlText = await readFile(xmlFile, 'utf8');
    const name = nameOf(xmlText);
    await this.enter('define', xmlFile, name);
    const uuid = /<uuid>([^<]+)<\/uuid>/.exec(xmlText)?.[1];
    if (this.kvmOf(xmlText) === 'refused-at-define' && isKvm(xmlText)) throw this.error('define', [xmlFile], LIBVIRT_SAYS.cpuRefused(xmlFile));
    const had = this.domains.get(name);
    if (had && uuid && had.uuid !== uuid) throw this.error('define', [xmlFile], LIBVIRT_SAYS.otherUuid(name, had.uuid));
    if (had) {
      had.config = xmlText;
      return;
    }
    this.domains.set(name, { name, uuid: uuid ?? randomUUID(), config: xmlText, status: 'shut off', links: new Map(), log: '' });
  }

  async undefine(name: string, opts: { nvram?: boolean } = {}): Promise<void> {
    await this.enter('undefine', [name, ...(opts.nvram ? ['--nvram'] : [])].join(' '), name);
    const d = this.existing('undefine', name);
    // A running domain becomes transient: it goes once its QEMU does.
    if (d.status === 'shut off') this.domains.delete(name);
    else d.config = undefined;
  }

  async start(name: string): Promise<void> {
    await this.enter('start', name);
    const d = this.existing('start', name);
    if (d.status !== 'shut off') throw this.error('start', [name], LIBVIRT_SAYS.alreadyActive(name));
    await this.launch(d, d.config!, 'start', [name]);
    if (isKvm(d.live!) && this.kvmOf(d.live!) === 'dies') this.killQemu(name, 'kvm: kvm_init_vcpu: kvm_arch_init_vcpu failed (0): Invalid argument');
  }

  async destroy(name: string): Promise<void> {
    await this.enter('destroy', name);
    const d = this.existing('destroy', name);
    if (d.status === 'shut off') throw this.error('destroy', [name], LIBVIRT_SAYS.notRunning('destroy', name));
    this.stop(d);
  }

  async suspend(name: string): Promise<void> {
    await this.enter('suspend', name);
    const d = this.existing('suspend', name);
    if (d.status !== 'running') throw this.error('suspend', [name], LIBVIRT_SAYS.notRunning('suspend', name));
    d.status = 'paused';
  }

  async resume(name: string): Promise<void> {
    await this.enter('resume', name);
    const d = this.existing('resume', name);
    if (d.status === 'shut off') throw this.error('resume', [name], LIBVIRT_SAYS.notRunning('resume', name));
    d.status = 'running';
  }

  async save(name: string, file: string): Promise<void> {
    await this.enter('save', `${name} ${file}`, name);
    const d = this.existing('save', name);
    if (d.status === 'shut off') throw this.error('save', [name, file], LIBVIRT_SAYS.saveKilled(name, file));
    await writeFile(file, libvirtSaveImage(d.live!, `QEVM memory of ${name}`));
    this.stop(d);
  }

  async restore(file: string, xmlFile: string, opts: { paused: boolean }): Promise<void> {
    const args = [file, '--xml', xmlFile, ...(opts.paused ? ['--paused'] : [])];
    const xmlText = await readFile(xmlFile, 'utf8');
    await this.enter('restore', args.join(' '), nameOf(xmlText));
    const saved = readSaveImageXml(await readFile(file));
    if (saved === undefined) throw this.error('restore', args, LIBVIRT_SAYS.notSaveImage(file));
    const name = nameOf(xmlText);
    const uuid = /<uuid>([^<]+)<\/uuid>/.exec(xmlText)?.[1];
    // libvirt refuses an XML that names another domain than the one saved in the image.
    if (nameOf(saved) !== name || /<uuid>([^<]+)<\/uuid>/.exec(saved)?.[1] !== uuid) throw this.error('restore', args, LIBVIRT_SAYS.restoreMismatch(file, name, nameOf(saved)));
    let d = this.domains.get(name);
    if (d && d.status !== 'shut off') throw this.error('restore', args, LIBVIRT_SAYS.alreadyActive(name));
    if (!d) {
      d = { name, uuid: uuid ?? randomUUID(), status: 'shut off', links: new Map(), log: '' };
      this.domains.set(name, d);
    }
    await this.launch(d, xmlText, 'restore', args, { fromSave: true });
    if (opts.paused) d.status = 'paused';
  }

  async setMetadata(name: string, uri: string, key: string, xml: string, opts: { live: boolean }): Promise<void> {
    await this.enter('setMetadata', [name, uri, '--key', key, '--set', xml, '--config', ...(opts.live ? ['--live'] : [])].join(' '), name);
    const d = this.existing('setMetadata', name);
    const element = xml.replace(/^<lab\b/, `<${key}:lab xmlns:${key}="${uri}"`);
    const swap = (text: string) => text.replace(new RegExp(`<[\\w-]+:lab\\b[^>]*xmlns:[\\w-]+="${escapeRe(uri)}"[^>]*/>`), element);
    if (d.config !== undefined) d.config = swap(d.config);
    if (opts.live && d.status !== 'shut off') d.live = swap(d.live!);
  }

  async setLink(name: string, mac: string, state: LinkState): Promise<void> {
    await this.enter('setLink', `${name} ${mac} ${state}`, name);
    const d = this.existing('setLink', name);
    if (d.status === 'shut off') throw this.error('domif-setlink', [name, mac, state], LIBVIRT_SAYS.notRunning('set link state of', name));
    d.links.set(mac.toLowerCase(), state);
  }

  async linkState(name: string, mac: string): Promise<string> {
    await this.enter('linkState', `${name} ${mac}`, name);
    const d = this.existing('linkState', name);
    return `vnet0 ${d.status === 'shut off' ? 'down' : (d.links.get(mac.toLowerCase()) ?? 'up')}`;
  }

  async cpuSeconds(name: string): Promise<number> {
    await this.enter('cpuSeconds', name);
    const d = this.existing('domstats', name);
    // As virsh prints it: a domain that is not running has no CPU counter, only its state.
    const ns = BigInt(Math.round((this.cpu.get(name) ?? 0) * 1e9));
    return parseCpuTotal(d.status === 'shut off' ? `Domain: '${name}'\n  state.state=5\n` : `Domain: '${name}'\n  cpu.time=${ns}\n  cpu.user=0\n`);
  }

  async qemuLogTail(name: string): Promise<string> {
    return this.domains.get(name)?.log ?? '';
  }

  async listNetworks(opts: { activeOnly?: boolean } = {}): Promise<string[]> {
    await this.enter('listNetworks', opts.activeOnly ? '--active' : '--all');
    return [...this.networks].filter(([, n]) => !opts.activeOnly || n.active).map(([name]) => name);
  }

  async defineNetwork(xmlFile: string): Promise<void> {
    const xmlText = await readFile(xmlFile, 'utf8');
    const name = nameOf(xmlText);
    await this.enter('defineNetwork', xmlFile, name);
    const had = this.networks.get(name);
    if (had) had.config = xmlText;
    else this.networks.set(name, { config: xmlText, active: false });
  }

  async startNetwork(name: string): Promise<void> {
    await this.enter('startNetwork', name);
    const n = this.networks.get(name);
    if (!n) throw this.error('net-start', [name], LIBVIRT_SAYS.noNetwork(name));
    if (n.active) throw this.error('net-start', [name], LIBVIRT_SAYS.networkAlreadyActive(name));
    n.active = true;
  }

  async destroyNetwork(name: string): Promise<void> {
    await this.enter('destroyNetwork', name);
    const n = this.networks.get(name);
    if (!n) throw this.error('net-destroy', [name], LIBVIRT_SAYS.noNetwork(name));
    if (!n.active) throw this.error('net-destroy', [name], LIBVIRT_SAYS.networkNotActive(name));
    n.active = false;
    if (n.config === undefined) this.networks.delete(name);
  }

  async undefineNetwork(name: string): Promise<void> {
    await this.enter('undefineNetwork', name);
    const n = this.networks.get(name);
    if (!n) throw this.error('net-undefine', [name], LIBVIRT_SAYS.noNetwork(name));
    if (n.active) n.config = undefined;
    else this.networks.delete(name);
  }

  consoleCommand(name: string): [string, string[]] {
    return ['echo', [`(fake console of ${name})`]];
  }

  // ---- how it works -------------------------------------------------------------------------

  /**
   * Record the call, run what a test hooked before it, and fail it if told to. `subject` is the
   * domain or network the call is about (a failure's `name` matches it).
   */
  private async enter(op: FakeOp, args: string, subject = args): Promise<void> {
    this.calls.push(args ? `${op} ${args}` : op);
    for (const b of this.before.filter((x) => x.op === op)) await b.fn(subject);
    const f = this.failures.find((x) => x.op === op && x.times > 0 && matches(x.name, subject));
    if (!f) return;
    f.times--;
    f.effect?.(subject);
    throw this.error(op, args.split(' '), f.stderr(op === 'define' || op === 'defineNetwork' ? args : subject));
  }

  private existing(op: string, name: string): FakeDomain {
    const d = this.domains.get(name);
    if (!d) throw this.error(op, [name], LIBVIRT_SAYS.noDomain(name));
    return d;
  }

  /** Start a QEMU for `d` from `xml`: its network must be up, its forwarded port free. */
  private async launch(d: FakeDomain, xml: string, op: string, args: string[], o: { fromSave?: boolean } = {}): Promise<void> {
    const net = /<source network=["']([^"']+)["']/.exec(xml)?.[1];
    if (net && !this.networks.get(net)?.active) throw this.error(op, args, LIBVIRT_SAYS.domainNetworkInactive(d.name, net));
    const port = portOf(xml);
    if (port !== undefined && (this.heldPorts.has(port) || this.portOfRunning(port))) throw this.error(op, args, LIBVIRT_SAYS.portInUse(d.name, port));
    if (isKvm(xml) && this.kvmOf(xml) === 'refused-at-start') throw this.error(op, args, LIBVIRT_SAYS.kvmRefused(d.name));
    d.live = xml;
    d.status = 'running';
    d.log = '';
    d.links = new Map();
    // virtlogd (re)creates the serial log at each start; a restored guest prints nothing new.
    const consoleLog = /<log file=["']([^"']+)["']/.exec(xml)?.[1];
    const kernelRuns = !o.fromSave && !(isKvm(xml) && (this.kvmOf(xml) === 'silent' || this.kvmOf(xml) === 'dies'));
    if (consoleLog) await writeFile(consoleLog, kernelRuns ? KERNEL_CONSOLE : '');
  }

  private kvmOf(xml: string): KvmBehaviour {
    const cpu = /<cpu\b[^>]*\bmode=["']host-passthrough["']/.test(xml) ? 'host-passthrough' : /<cpu\b[\s\S]*?<model\b[^>]*>([^<]+)<\/model>/.exec(xml)?.[1];
    return (cpu !== undefined ? this.kvmByCpu[cpu] : undefined) ?? this.kvm;
  }

  private portOfRunning(port: number): boolean {
    return [...this.domains.values()].some((x) => x.status !== 'shut off' && portOf(x.live ?? '') === port);
  }

  private stop(d: FakeDomain): void {
    d.status = 'shut off';
    d.live = undefined;
    // Its QEMU is gone, and its CPU counter with it: the next start counts from zero.
    this.cpu.delete(d.name);
    if (d.config === undefined) this.domains.delete(d.name);
  }

  private error(op: string, args: readonly string[], stderr: string): VirshError {
    const command = ['virsh', '-c', this.uri, '-q', VIRSH_COMMAND[op as FakeOp] ?? op, ...args].map(shellQuote).join(' ');
    return new VirshError(new HostCommandError(command, 1, stderr, ''), classifyVirshError(stderr));
  }
}

/** The virsh command behind each operation (for the command an error names). */
const VIRSH_COMMAND: Partial<Record<FakeOp, string>> = {
  domainCapabilities: 'domcapabilities',
  listDomains: 'list',
  domainState: 'domstate',
  domainXml: 'dumpxml',
  setMetadata: 'metadata',
  setLink: 'domif-setlink',
  linkState: 'domif-getlink',
  listNetworks: 'net-list',
  defineNetwork: 'net-define',
  startNetwork: 'net-start',
  destroyNetwork: 'net-destroy',
  undefineNetwork: 'net-undefine',
};

/** What a guest's serial console shows once its kernel ran (see kvm-probe.ts KERNEL_RAN). */
const KERNEL_CONSOLE = '[    0.000000] Linux version 6.1.0-18-amd64\n[    1.234567] Run /init as init process\n';

function nameOf(xml: string): string {
  const name = /<name>([^<]+)<\/name>/.exec(xml)?.[1];
  if (!name) throw new Error('fake libvirt: an XML without <name>');
  return name;
}

function isKvm(xml: string): boolean {
  return /<domain\b[^>]*\btype=["']kvm["']/.test(xml);
}

function portOf(xml: string): number | undefined {
  const m = /hostfwd=tcp:127\.0\.0\.1:(\d+)-:22/.exec(xml);
  return m ? Number(m[1]) : undefined;
}

function matches(pattern: string | RegExp | undefined, subject: string): boolean {
  if (pattern === undefined) return true;
  return typeof pattern === 'string' ? subject === pattern : pattern.test(subject);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// libvirt's save image (src/qemu/qemu_saveimage.h): magic[16], then uint32 version, data_len,
// was_running, compressed, cookieOffset, unused[14]; then the domain XML (NUL-padded to
// data_len), then QEMU's migration stream. Written here from that layout, independently of the
// reader in lib/libvirt/save-image.ts.
const SAVE_MAGIC = 'LibvirtQemudSave';
const SAVE_HEADER_BYTES = 16 + 4 * 19;

/** A save image as libvirt writes it, around a domain XML. Synthetic. */
export function libvirtSaveImage(xml: string, stream = 'QEVM'): Buffer {
  const data = Buffer.alloc(xml.length + 64);
  data.write(xml, 0, 'latin1');
  const head = Buffer.alloc(SAVE_HEADER_BYTES);
  head.write(SAVE_MAGIC, 0, 'latin1');
  head.writeUInt32LE(2, 16);
  head.writeUInt32LE(data.length, 20);
  head.writeUInt32LE(1, 24);
  return Buffer.concat([head, data, Buffer.from(stream, 'latin1')]);
}

function readSaveImageXml(image: Buffer): string | undefined {
  if (image.subarray(0, 16).toString('latin1') !== SAVE_MAGIC) return undefined;
  const len = image.readUInt32LE(20);
  return image.subarray(SAVE_HEADER_BYTES, SAVE_HEADER_BYTES + len).toString('latin1').replace(/\0+$/, '');
}
