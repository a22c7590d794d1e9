import { describe, expect, it, vi } from 'vitest';
import { currentOwner, labOwner, ownerStatus, processStartTime, thisHostsProcesses, type ProcessTable } from './owner.js';

describe('owner', () => {
  it('this process is running, as its own owner, by the real process table', () => {
    const me = currentOwner();
    expect(me.pid).toBe(process.pid);
    expect(me.startTime).toMatch(/^\d+$/);
    expect(ownerStatus(me, thisHostsProcesses)).toEqual({ kind: 'running', pid: process.pid });
  });

  it('a lab belongs to the job given (alive), else to this process; DRBDLAB_OWNER_PID is not read here', () => {
    vi.stubEnv('DRBDLAB_OWNER_PID', String(process.ppid));
    try {
      expect(labOwner()).toMatchObject({ kind: 'process', pid: process.pid });
      expect(labOwner(process.ppid)).toEqual({ kind: 'process', pid: process.ppid, startTime: processStartTime(process.ppid), bootId: currentOwner().bootId });
      // A job that is gone: this process.
      expect(labOwner(2 ** 22 + 1).pid).toBe(process.pid);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('a free pid, a reused pid (other start time), a rebooted host: orphaned, and which', () => {
    const me = currentOwner();
    expect(processStartTime(2 ** 22 + 1)).toBeUndefined();
    expect(ownerStatus({ ...me, pid: 2 ** 22 + 1 })).toEqual({ kind: 'orphaned', pid: 2 ** 22 + 1, why: 'exited' });
    expect(ownerStatus({ ...me, startTime: String(Number(me.startTime) + 1) })).toEqual({ kind: 'orphaned', pid: me.pid, why: 'pid-reused' });
    expect(ownerStatus({ ...me, bootId: 'another-boot' })).toEqual({ kind: 'orphaned', pid: me.pid, why: 'rebooted' });
  });

  it("a user's lab is the user's, whatever the process table says", () => {
    const nothing: ProcessTable = { bootId: () => 'new-boot', startTime: () => undefined };
    expect(ownerStatus({ kind: 'user', pid: 1, startTime: 'x', bootId: 'old' }, nothing)).toEqual({ kind: 'user' });
  });
});
