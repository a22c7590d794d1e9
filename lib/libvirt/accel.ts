import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { DrbdlabError } from '../errors.js';
import { hostBootId } from '../host/owner.js';
import type { Accel, BootSpec, KvmCpu } from './domain-xml.js';
import { cpuName, probeKvmBoot, type ProbeResult } from './kvm-probe.js';
import type { Libvirt } from './libvirt.js';

export interface AccelChoice {
  accel: Accel;
  /** Under KVM: the CPU mode that booted the probe. */
  cpu?: KvmCpu;
  reason: string;
  /** forced = DRBDLAB_ACCEL named it (never falls back); auto = the probe chose. */
  mode: 'forced' | 'auto';
  /** This host's verdict (probed, or remembered): a lab that falls back corrects it. A choice a test makes up is not. */
  hostVerdict?: boolean;
}

export type AccelSetting = 'auto' | 'kvm' | 'tcg';

/** What a verdict depends on: this host boot, the QEMU and libvirt in use, /dev/kvm's access. */
export interface VerdictKey {
  bootId: string;
  versions: string;
  kvmDevice: string;
}

interface CachedVerdict {
  key: VerdictKey;
  choice: AccelChoice;
  probes: ProbeResult[];
  at: string;
}

const PROBE_TIMEOUT_MS = 20_000;

function verdictFile(cacheDir: string): string {
  return join(cacheDir, 'hypervisor.json');
}

function kvmDeviceDescription(): string {
  if (!existsSync('/dev/kvm')) return 'absent';
  const st = statSync('/dev/kvm');
  return `${st.uid}:${st.gid} ${(st.mode & 0o777).toString(8)}`;
}

/** What a verdict reads of the host besides libvirt (a fake host in tests). */
export interface AccelHost {
  bootId(): string;
  /** /dev/kvm's owner and mode, or 'absent'. */
  kvmDevice(): string;
  /** Why libvirt's QEMU user cannot use /dev/kvm, if it cannot. */
  kvmDeviceProblem(): Promise<string | undefined>;
}

export const realAccelHost: AccelHost = { bootId: hostBootId, kvmDevice: kvmDeviceDescription, kvmDeviceProblem };

async function verdictKey(virsh: Libvirt, host: AccelHost = realAccelHost): Promise<VerdictKey> {
  return { bootId: host.bootId(), versions: (await virsh.version({ timeoutMs: 20_000 })).replace(/\s+/g, ' ').trim(), kvmDevice: host.kvmDevice() };
}

/** The user and groups libvirt runs QEMU as (qemu.conf; Debian's default libvirt-qemu:kvm). */
async function qemuIdentity(): Promise<{ user: string; uid: number; gids: number[] }> {
  // No qemu.conf (libvirt's defaults then apply): Debian's libvirt-qemu.
  const conf = await readFile('/etc/libvirt/qemu.conf', 'utf8').catch(() => '');
  const user = /^\s*user\s*=\s*"([^"]+)"/m.exec(conf)?.[1] ?? 'libvirt-qemu';
  const uid = await execa('id', ['-u', user], { reject: false });
  const gids = await execa('id', ['-G', user], { reject: false });
  return { user, uid: Number(uid.stdout), gids: String(gids.stdout).split(/\s+/).filter(Boolean).map(Number) };
}

/**
 * Can libvirt's QEMU user open /dev/kvm? Without udev the device stays root:root 0600: KVM then
 * fails with "Permission denied" and libvirt re-probes QEMU on every define (72 s each).
 */
async function kvmDeviceProblem(): Promise<string | undefined> {
  if (!existsSync('/dev/kvm')) return '/dev/kvm does not exist (no KVM on this host)';
  const st = statSync('/dev/kvm');
  const id = await qemuIdentity();
  const rw = (bits: number) => (bits & 0o6) === 0o6;
  const ok = id.uid === 0 || (st.uid === id.uid && rw(st.mode >> 6)) || (id.gids.includes(st.gid) && rw(st.mode >> 3)) || rw(st.mode);
  if (ok) return undefined;
  return `/dev/kvm is ${kvmDeviceDescription()} and libvirt runs QEMU as ${id.user}, which cannot open it (no udev here): run \`bash scripts/host-setup.sh\``;
}

/** CPU modes to try under KVM: the host's own, then the named model libvirt would use, then qemu64. */
async function cpuCandidates(virsh: Libvirt): Promise<KvmCpu[]> {
  const out: KvmCpu[] = ['host-passthrough'];
  // Without domain capabilities there is just no named host model to try.
  const caps = await virsh.domainCapabilities('kvm').catch(() => '');
  const named = /<mode name='host-model' supported='yes'>\s*<model[^>]*>([^<]+)<\/model>/.exec(caps)?.[1];
  if (named) out.push({ model: named });
  out.push({ model: 'qemu64' });
  return out;
}

export interface ChooseAccelOptions {
  virsh: Libvirt;
  /** /dev/kvm and the boot id (default: this host's). */
  host?: AccelHost;
  /** Where the verdict is remembered (the image cache folder). */
  cacheDir: string;
  /** How the nodes boot: the probe boots the same kernel (or disk) the same way. */
  boot: BootSpec;
  disk?: string;
  progress?: (m: string) => void;
  /** Ignore a remembered verdict (doctor --reprobe, the verdict-agreement check). */
  reprobe?: boolean;
  /** The run's DRBDLAB_ACCEL (its configuration's `accel`): kvm and tcg are forced, auto probes. */
  setting: AccelSetting;
  /** Ctrl-C: no further probe starts (the one running removes its guest first). */
  signal?: AbortSignal;
}

/**
 * KVM only when a guest booted through libvirt, with the domain type and CPU mode the nodes
 * will use, reaches its kernel's /init; remembered per host boot and QEMU/libvirt version.
 */
export async function chooseAccel(o: ChooseAccelOptions): Promise<AccelChoice> {
  const setting = o.setting;
  if (setting === 'tcg') return { accel: 'tcg', mode: 'forced', reason: 'DRBDLAB_ACCEL=tcg' };
  const host = o.host ?? realAccelHost;
  const device = await host.kvmDeviceProblem();
  if (device) {
    if (setting === 'kvm') throw new DrbdlabError(`DRBDLAB_ACCEL=kvm but ${device}`);
    return { accel: 'tcg', mode: 'auto', reason: `KVM unusable: ${device}` };
  }
  const key = await verdictKey(o.virsh, host);
  const remembered = o.reprobe ? undefined : await readVerdict(o.cacheDir, key);
  if (remembered && (setting === 'auto' || remembered.choice.accel === 'kvm')) {
    return { ...remembered.choice, mode: setting === 'kvm' ? 'forced' : 'auto', reason: `${remembered.choice.reason} (verdict of ${remembered.at})` };
  }
  const probes = await probeAll(o, await cpuCandidates(o.virsh));
  const good = probes.find((p) => p.ok);
  const summary = probes.map((p) => `${cpuName(p.cpu)}: ${p.detail}`).join('; ');
  if (!good && setting === 'kvm') throw new DrbdlabError(`DRBDLAB_ACCEL=kvm but no KVM guest boots here (${summary}); unset DRBDLAB_ACCEL to use TCG`);
  const choice: AccelChoice = good
    ? { accel: 'kvm', cpu: good.cpu, mode: setting === 'kvm' ? 'forced' : 'auto', reason: `a KVM guest booted its kernel (CPU ${cpuName(good.cpu)})` }
    : { accel: 'tcg', mode: 'auto', reason: `KVM unusable (${summary})` };
  await writeVerdict(o.cacheDir, { key, choice, probes, at: new Date().toISOString() });
  return choice;
}

/**
 * Every CPU mode probed at once (a host without working KVM waits one probe's silence, not one
 * per mode), the answer still the first mode in order of preference that boots: a later mode's
 * probe is stopped as soon as an earlier one booted and every one before that has ended.
 * The results of the modes that were needed, in that order.
 */
async function probeAll(o: ChooseAccelOptions, cpus: KvmCpu[]): Promise<ProbeResult[]> {
  o.signal?.throwIfAborted();
  const workDir = join(o.cacheDir, 'probes');
  o.progress?.(`KVM probe: booting the lab's kernel with CPU ${cpus.map(cpuName).join(', ')} at once`);
  const stops = cpus.map(() => new AbortController());
  const results: (ProbeResult | undefined)[] = cpus.map(() => undefined);
  const settle = () => {
    // The first mode (in order) that booted, once every mode before it has its answer.
    const i = results.findIndex((r) => r === undefined || r.ok);
    if (i >= 0 && results[i]?.ok) for (const s of stops.slice(i + 1)) s.abort();
  };
  // allSettled: every probe has removed its guest before anything is thrown.
  const ended = await Promise.allSettled(
    cpus.map(async (cpu, i) => {
      const signal = o.signal ? AbortSignal.any([o.signal, stops[i]!.signal]) : stops[i]!.signal;
      try {
        results[i] = await probeKvmBoot(o.virsh, o.boot, cpu, { workDir, timeoutMs: PROBE_TIMEOUT_MS, disk: o.disk, signal });
        o.progress?.(`KVM probe: ${cpuName(cpu)}: ${results[i]!.detail}`);
      } catch (err) {
        // Stopped because an earlier mode booted: not needed. Ctrl-C or anything else: thrown.
        if (!(stops[i]!.signal.aborted && !o.signal?.aborted)) throw err;
      } finally {
        settle();
      }
    }),
  );
  o.signal?.throwIfAborted();
  const failed = ended.find((e) => e.status === 'rejected');
  if (failed) throw failed.reason;
  const needed = results.findIndex((r) => r?.ok);
  return results.slice(0, needed >= 0 ? needed + 1 : undefined).filter((r): r is ProbeResult => r !== undefined);
}

/** A lab fell back from KVM to TCG: later runs on this host boot go straight to TCG. */
export async function rememberFallback(virsh: Libvirt, cacheDir: string, reason: string, host: AccelHost = realAccelHost): Promise<void> {
  const key = await verdictKey(virsh, host);
  await writeVerdict(cacheDir, { key, choice: { accel: 'tcg', mode: 'auto', reason: `KVM fell back: ${reason}` }, probes: [], at: new Date().toISOString() });
}

async function readVerdict(cacheDir: string, key: VerdictKey): Promise<CachedVerdict | undefined> {
  // No file yet: nothing remembered.
  const text = existsSync(verdictFile(cacheDir)) ? await readFile(verdictFile(cacheDir), 'utf8') : undefined;
  if (!text) return undefined;
  const v = JSON.parse(text) as CachedVerdict;
  return JSON.stringify(v.key) === JSON.stringify(key) ? v : undefined;
}

async function writeVerdict(cacheDir: string, v: CachedVerdict): Promise<void> {
  await mkdir(cacheDir, { recursive: true });
  await writeFile(verdictFile(cacheDir), JSON.stringify(v, null, 2));
}

/** The remembered verdict for this host boot, if any (doctor, status). */
export async function rememberedVerdict(virsh: Libvirt, cacheDir: string, host: AccelHost = realAccelHost): Promise<CachedVerdict | undefined> {
  return readVerdict(cacheDir, await verdictKey(virsh, host));
}
