// The guest CPU meter of npm test's phases (tests/support/guest-cpu.ts): which QEMU processes it
// counts, and that a process counts with its last sample once.
import { describe, expect, it } from 'vitest';
import { descendsFrom, GuestCpuMeter, labIdOf, parseProcStat, qemuDomain } from '../support/guest-cpu.js';

describe('reading /proc', () => {
  it('takes the parent and utime + stime after the command name, even one with spaces and parentheses', () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
    const stat = '4242 (qemu (x) y) S 1 4242 4242 0 -1 4194624 100 0 0 0 1234 567 0 0 20 0 5 0 9876 0 0';
    expect(parseProcStat(stat)).toEqual({ ppid: 1, cpuTicks: 1801 });
    expect(parseProcStat('4242 (short) S')).toBeUndefined();
  });

  it("names the drbdlab domain of a QEMU command line, and no other guest's", () => {
    expect(qemuDomain(['/usr/bin/qemu-system-x86_64', '-name', 'guest=drbdlab-0a1b2c-drbd2,debug-threads=on', '-S'])).toBe('drbdlab-0a1b2c-drbd2');
    expect(qemuDomain(['/usr/bin/qemu-system-x86_64', '-name', 'guest=other-vm,debug-threads=on'])).toBeUndefined();
    expect(qemuDomain(['/usr/bin/qemu-system-x86_64', '-S'])).toBeUndefined();
    expect(labIdOf('drbdlab-0a1b2c-drbd2')).toBe('0a1b2c');
    expect(labIdOf('drbdlab-0a1b2c-kvmprobe')).toBe('0a1b2c');
    expect(labIdOf('drbdlab-probe')).toBeUndefined();
  });
});

describe('whose lab', () => {
  // 1 ← 10 (npm test) ← 20 (vitest) ← 30 (a worker); 1 ← 40 (another job)
  const parents: Record<number, number> = { 10: 1, 20: 10, 30: 20, 40: 1 };
  const parentOf = (pid: number) => parents[pid];

  it('a lab whose owner descends from the phase root is the phase\'s; another job\'s is not', () => {
    expect(descendsFrom(30, 10, parentOf)).toBe(true);
    expect(descendsFrom(10, 10, parentOf)).toBe(true);
    expect(descendsFrom(40, 10, parentOf)).toBe(false);
    // An owner already gone (its parent unknown) is not the phase's.
    expect(descendsFrom(99, 10, parentOf)).toBe(false);
  });
});

describe('the meter', () => {
  it("sums the last sample of each of the phase's QEMU processes, judging each lab once", () => {
    const asked: string[] = [];
    const meter = new GuestCpuMeter((labId) => {
      asked.push(labId);
      return labId === 'aaaaaa';
    });
    meter.sample([
      { pid: 1, domain: 'drbdlab-aaaaaa-drbd1', cpuTicks: 100 },
      { pid: 2, domain: 'drbdlab-aaaaaa-drbd2', cpuTicks: 50 },
      { pid: 3, domain: 'drbdlab-bbbbbb-drbd1', cpuTicks: 1000 },
    ]);
    // pid 1 ran on; pid 2 exited (its last sample stays); drbd1 powered on again as a new process.
    meter.sample([
      { pid: 1, domain: 'drbdlab-aaaaaa-drbd1', cpuTicks: 300 },
      { pid: 4, domain: 'drbdlab-aaaaaa-drbd2', cpuTicks: 20 },
      { pid: 3, domain: 'drbdlab-bbbbbb-drbd1', cpuTicks: 2000 },
    ]);
    expect(meter.ticks()).toBe(300 + 50 + 20);
    expect(asked).toEqual(['aaaaaa', 'bbbbbb']);
  });
});
