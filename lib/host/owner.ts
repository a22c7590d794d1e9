// Who owns a lab, as testcontainers' Ryuk knows which session a container belongs to: a
// process, identified so that a reused pid or a rebooted host is not mistaken for it.
import { readFileSync } from 'node:fs';
/** Who owns a lab: its reaper removes it when a 'process' owner is gone. */
export interface Owner {
  kind: 'user' | 'process';
  pid: number;
  startTime: string;
  bootId: string;
}

/** Field 22 of /proc/<pid>/stat: the process's start time in clock ticks since boot. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export function hostBootId(): string {
  return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
}

/** This process as an owner. */
export function currentOwner(kind: Owner['kind'] = 'process'): Owner {
  return { kind, pid: process.pid, startTime: processStartTime(process.pid) ?? '?', bootId: hostBootId() };
}

/**
 * Whom a lab made here belongs to: this process, or the job that started it when it is given
 * (the run configuration's ownerPid: the nightly, for the labs of its vitest workers), so that
 * killing the job gets every lab of its run reaped, and the job can sweep them when it is
 * interrupted. A job that is gone already: this process.
 */
export function labOwner(ownerPid?: number): Owner {
  const pid = ownerPid ?? 0;
  const startTime = pid > 0 ? processStartTime(pid) : undefined;
  return startTime ? { kind: 'process', pid, startTime, bootId: hostBootId() } : currentOwner('process');
}

/** What an owner's liveness is judged by (a fake process table in tests). */
export interface ProcessTable {
  bootId(): string;
  /** Start time of the process with this pid now, undefined when there is none. */
  startTime(pid: number): string | undefined;
}

export const thisHostsProcesses: ProcessTable = { bootId: hostBootId, startTime: processStartTime };

/**
 * Whose a lab is now: the user's (stays until `down`), a live process's, or nobody's (orphaned,
 * and why: the host rebooted, the process ended, or its pid now names another process).
 */
export type OwnerStatus =
  | { kind: 'user' }
  | { kind: 'running'; pid: number }
  | { kind: 'orphaned'; pid: number; why: 'rebooted' | 'exited' | 'pid-reused' };

export function ownerStatus(o: Owner, procs: ProcessTable = thisHostsProcesses): OwnerStatus {
  if (o.kind === 'user') return { kind: 'user' };
  if (o.bootId !== procs.bootId()) return { kind: 'orphaned', pid: o.pid, why: 'rebooted' };
  const now = procs.startTime(o.pid);
  if (now === o.startTime) return { kind: 'running', pid: o.pid };
  return { kind: 'orphaned', pid: o.pid, why: now === undefined ? 'exited' : 'pid-reused' };
}

