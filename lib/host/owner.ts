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
 * Whom a lab made here belongs to: this process, or the job that started it when it says so
 * (DRBDLAB_OWNER_PID: the nightly, for the labs of its vitest workers), so that killing the job
 * gets every lab of its run reaped, and the job can sweep them when it is interrupted.
 */
export function labOwner(env = process.env): Owner {
  const pid = Number(env.DRBDLAB_OWNER_PID);
  const startTime = pid > 0 ? processStartTime(pid) : undefined;
  return startTime ? { kind: 'process', pid, startTime, bootId: hostBootId() } : currentOwner('process');
}

/**
 * Is the owner still there? A 'user' lab always is (it stays until `down`). A process owner is
 * gone when the host rebooted, the pid is free, or the pid now names another process.
 */
export function ownerAlive(o: Owner, bootId = hostBootId(), startTimeOf = processStartTime): boolean {
  if (o.kind === 'user') return true;
  if (o.bootId !== bootId) return false;
  return startTimeOf(o.pid) === o.startTime;
}

export function describeOwner(o: Owner): string {
  return o.kind === 'user' ? 'kept for the user' : `owned by pid ${o.pid}`;
}
