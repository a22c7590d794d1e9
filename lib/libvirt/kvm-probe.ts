import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WaitTimeoutError } from '../errors.js';
import { run } from '../exec/run.js';
import { randomBytes } from 'node:crypto';
import { currentOwner } from '../host/owner.js';
import { pollUntil } from '../wait/poll.js';
import type { BootSpec, KvmCpu } from './domain-xml.js';
import { renderProbeDomainXml } from './probe-xml.js';
import { ifPresent, type Libvirt } from './libvirt.js';
import { VirshError } from './virsh-error.js';

/** The kernel has handed over to the initrd: it really ran, not just printed its banner. */
export const KERNEL_RAN = /Run \/init as init process/;
/** The first line any Linux kernel prints on its console. */
const KERNEL_FIRST_LINE = /Linux version \d/;

export interface ProbeResult {
  ok: boolean;
  cpu: KvmCpu;
  /** What was seen: "kernel ran in 1.2 s", "qemu died: …", "silent for 20 s". */
  detail: string;
}

export function cpuName(cpu: KvmCpu): string {
  return typeof cpu === 'string' ? cpu : cpu.model;
}

/**
 * Boot a throwaway guest under KVM through libvirt, exactly as the nodes will be booted, and
 * watch its serial console until the kernel has run (or QEMU dies, or it stays silent).
 */
export async function probeKvmBoot(
  virsh: Libvirt,
  boot: BootSpec,
  cpu: KvmCpu,
  opts: { workDir: string; timeoutMs: number; disk?: string; signal?: AbortSignal },
): Promise<ProbeResult> {
  const id = randomBytes(3).toString('hex'); // a lab id of its own: the reaper knows the pattern
  const name = `drbdlab-${id}-kvmprobe`;
  const dir = join(opts.workDir, `probe-${id}`);
  await mkdir(dir, { recursive: true });
  const consoleLog = join(dir, 'console.log');
  let overlay: string | undefined;
  if (boot.kind === 'disk') {
    if (!opts.disk) throw new Error('probe: a disk boot needs the image disk');
    overlay = join(dir, 'overlay.qcow2');
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', opts.disk, overlay]);
  }
  const xmlFile = join(dir, 'domain.xml');
  await writeFile(xmlFile, renderProbeDomainXml({ name, labId: id, cpu, boot, disk: overlay, consoleLog, owner: currentOwner(), dir }));
  const t0 = Date.now();
  try {
    await virsh.define(xmlFile);
    try {
      await virsh.start(name);
    } catch (err) {
      if (!(err instanceof VirshError)) throw err;
      return { ok: false, cpu, detail: `did not start: ${err.stderr.trim().split('\n').pop()}` };
    }
    const seen = await pollUntil(
      `the probe's kernel to run (${cpuName(cpu)})`,
      async () => {
        const out = existsSync(consoleLog) ? await readFile(consoleLog, 'utf8') : '';
        if (KERNEL_RAN.test(out)) return { done: true, value: 'ran' as const, seen: 'kernel ran' };
        const state = await virsh.domainState(name);
        if (state !== 'running') return { done: true, value: 'died' as const, seen: `domain ${state ?? 'gone'}` };
        return { done: false, seen: KERNEL_FIRST_LINE.test(out) ? 'kernel banner only' : 'console silent' };
      },
      // Aborted (Ctrl-C, or its answer no longer needed): the guest is removed below, then it throws.
      { timeoutMs: opts.timeoutMs, intervalMs: 250, signal: opts.signal },
    ).catch((err: unknown) => {
      if (err instanceof WaitTimeoutError) return 'silent' as const;
      throw err;
    });
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    if (seen === 'ran') return { ok: true, cpu, detail: `kernel ran in ${secs} s` };
    if (seen === 'died') return { ok: false, cpu, detail: `QEMU died: ${(await virsh.qemuLogTail(name)) || 'no log'}` };
    const out = existsSync(consoleLog) ? await readFile(consoleLog, 'utf8') : '';
    return { ok: false, cpu, detail: KERNEL_FIRST_LINE.test(out) ? `kernel hung after its banner (${secs} s)` : `console silent for ${secs} s` };
  } finally {
    await ifPresent(virsh.destroy(name));
    await ifPresent(virsh.undefine(name));
    await rm(dir, { recursive: true, force: true });
  }
}
