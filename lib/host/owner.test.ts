import { describe, expect, it } from 'vitest';
import { currentOwner, hostBootId, ownerAlive, processStartTime } from './owner.js';

describe('owner', () => {
  it('this process is alive as its own owner', () => {
    const me = currentOwner();
    expect(me.pid).toBe(process.pid);
    expect(me.startTime).toMatch(/^\d+$/);
    expect(ownerAlive(me)).toBe(true);
  });

  it('a reused pid (other start time), a rebooted host or a free pid means the owner is gone', () => {
    const me = currentOwner();
    expect(ownerAlive({ ...me, startTime: String(Number(me.startTime) + 1) })).toBe(false);
    expect(ownerAlive({ ...me, bootId: 'another-boot' })).toBe(false);
    expect(ownerAlive({ ...me, pid: 2 ** 22 + 1 })).toBe(false);
    expect(processStartTime(2 ** 22 + 1)).toBeUndefined();
  });

  it("a user's lab is never gone by owner", () => {
    expect(ownerAlive({ kind: 'user', pid: 1, startTime: 'x', bootId: 'old' }, hostBootId(), () => undefined)).toBe(true);
  });
});
