// Guest CPU of one test phase: what the QEMU processes of the labs the phase started used. QEMU
// runs as a daemon of libvirt (its parent is init), so its CPU time is gone once it exits: it is
// sampled while it runs and the last sample of each process counts. A lab is the phase's when its
// owner (the process that started it, named in the domain's metadata) descends from the phase's
// root process: labs of another job on the host are left out.
//
// Usage: node --import tsx tests/support/guest-cpu.ts <root-pid> <out-file>
// Runs until SIGTERM (or until the root process is gone), then writes the seconds to <out-file>.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { DEFAULT_CONFIG } from '../../lib/cli/context.js';
import { loadLabConfig } from '../../lib/config/load-lab.js';
import { parseLabMetadata } from '../../lib/libvirt/lab-metadata.js';

export interface ProcStat {
  ppid: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
}

/** /proc/<pid>/stat: the parent and the CPU time (the command name may hold spaces and parentheses). */
export function parseProcStat(text: string): ProcStat | undefined {
  const fields = text.slice(text.lastIndexOf(')') + 2).trim().split(/\s+/u);
  // After the name: state(3) ppid(4) … utime(14) stime(15), numbered from 1 with pid and name.
  const [ppid, utime, stime] = [fields[1], fields[11], fields[12]].map(Number);
  if (![ppid, utime, stime].every((n) => Number.isInteger(n))) return undefined;
  return { ppid: ppid!, cpuTicks: utime! + stime! };
}

/** The libvirt domain a QEMU command line runs (`-name guest=<name>,…`), if it is one of drbdlab's. */
export function qemuDomain(cmdline: string[]): string | undefined {
  const i = cmdline.indexOf('-name');
  const m = i >= 0 ? /^guest=(drbdlab-[^,]+)/u.exec(cmdline[i + 1] ?? '') : null;
  return m?.[1];
}

/** The lab id in a drbdlab domain name (`drbdlab-<id>-<node>`). */
export function labIdOf(domain: string): string | undefined {
  return /^drbdlab-([0-9a-f]{6})-/u.exec(domain)?.[1];
}

/** Whether `pid` is `root` or one of its descendants, following `parentOf` up to pid 1. */
export function descendsFrom(pid: number, root: number, parentOf: (pid: number) => number | undefined): boolean {
  for (let p: number | undefined = pid, hops = 0; p !== undefined && p > 1 && hops < 64; p = parentOf(p), hops++) {
    if (p === root) return true;
  }
  return false;
}

/**
 * Keeps the last CPU sample of each QEMU process of the phase's labs. A lab is judged once, at
 * its first sighting (its owner may exit later: `up` leaves a user's lab running).
 */
export class GuestCpuMeter {
  private readonly last = new Map<number, number>();
  private readonly ours = new Map<string, boolean>();

  constructor(private readonly isPhaseLab: (labId: string, domain: string) => boolean) {}

  sample(procs: readonly { pid: number; domain: string; cpuTicks: number }[]): void {
    for (const p of procs) {
      const labId = labIdOf(p.domain);
      if (!labId) continue;
      if (!this.ours.has(labId)) this.ours.set(labId, this.isPhaseLab(labId, p.domain));
      if (this.ours.get(labId)) this.last.set(p.pid, Math.max(this.last.get(p.pid) ?? 0, p.cpuTicks));
    }
  }

  ticks(): number {
    return [...this.last.values()].reduce((a, b) => a + b, 0);
  }
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined; // gone between the listing and the read
  }
}

function qemuProcesses(): { pid: number; domain: string; cpuTicks: number }[] {
  const out: { pid: number; domain: string; cpuTicks: number }[] = [];
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/u.test(n))) {
    const pid = Number(name);
    const cmdline = readProc(pid, 'cmdline');
    if (!cmdline?.includes('guest=drbdlab-')) continue;
    const domain = qemuDomain(cmdline.split('\0'));
    const stat = readProc(pid, 'stat');
    const parsed = stat === undefined ? undefined : parseProcStat(stat);
    if (domain && parsed) out.push({ pid, domain, cpuTicks: parsed.cpuTicks });
  }
  return out;
}

async function main(root: number, outFile: string): Promise<void> {
  const uri = (await loadLabConfig(DEFAULT_CONFIG)).libvirtUri;
  const parentOf = (pid: number) => {
    const s = readProc(pid, 'stat');
    return s === undefined ? undefined : parseProcStat(s)?.ppid;
  };
  const meter = new GuestCpuMeter((_labId, domain) => {
    let xml = '';
    try {
      xml = execFileSync('virsh', ['-c', uri, 'dumpxml', domain], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 });
    } catch {
      return false;
    }
    const owner = parseLabMetadata(xml)?.owner;
    return owner !== undefined && descendsFrom(owner.pid, root, parentOf);
  });
  const hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  let stop = false;
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => (stop = true));
  while (!stop && readProc(root, 'stat') !== undefined) {
    meter.sample(qemuProcesses());
    await delay(2_000);
  }
  meter.sample(qemuProcesses());
  writeFileSync(outFile, `${Math.round(meter.ticks() / hz)}\n`);
}

if (process.argv[1]?.endsWith('guest-cpu.ts')) {
  const [root, outFile] = [Number(process.argv[2]), process.argv[3]];
  if (!Number.isInteger(root) || !outFile) {
    console.error('usage: node --import tsx tests/support/guest-cpu.ts <root-pid> <out-file>');
    process.exit(2);
  }
  main(root, outFile).catch((err: unknown) => {
    console.error(`guest CPU: ${(err as Error).message}`);
    process.exit(1);
  });
}
