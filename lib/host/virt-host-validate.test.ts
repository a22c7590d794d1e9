import { describe, expect, it } from 'vitest';
import { isKvmCheck, parseVirtHostValidate } from './virt-host-validate.js';

// Verbatim from this kind of machine (nested, no udev), 2026-11-28.
const OUT = `  QEMU: Checking for hardware virtualization                                 : FAIL (Host not compatible with KVM; HW virtualization CPU features not found. Only emulated CPUs are available; performance will be significantly limited)
  QEMU: Checking if device /dev/vhost-net exists                             : WARN (Load the 'vhost_net' module to improve performance of virtio networking)
  QEMU: Checking if device /dev/net/tun exists                               : PASS
  QEMU: Checking for cgroup 'memory' controller support                      : PASS
`;

describe('parseVirtHostValidate', () => {
  it('reads check, status and detail of each line', () => {
    const lines = parseVirtHostValidate(OUT);
    expect(lines.map((l) => l.status)).toEqual(['FAIL', 'WARN', 'PASS', 'PASS']);
    expect(lines[0]!.check).toBe('hardware virtualization');
    expect(lines[0]!.detail).toMatch(/^Host not compatible with KVM/);
    expect(lines[1]!.check).toBe('device /dev/vhost-net exists');
    expect(lines[2]!.detail).toBe('');
  });

  it('tells KVM checks (TCG still works) from the others', () => {
    const lines = parseVirtHostValidate(OUT);
    expect(lines.filter(isKvmCheck).map((l) => l.check)).toEqual(['hardware virtualization']);
  });
});
