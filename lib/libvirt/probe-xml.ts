import { create } from 'xmlbuilder2';
import { cpuElement, labMetadata, type BootSpec, type KvmCpu, type OwnerTag } from './domain-xml.js';

export interface ProbeSpec {
  name: string;
  labId: string;
  cpu: KvmCpu;
  boot: BootSpec;
  /** For a disk boot: a throwaway overlay of the image. */
  disk?: string;
  consoleLog: string;
  owner: OwnerTag;
  dir: string;
}

/**
 * A throwaway KVM guest that boots the lab's own kernel (or disk) the way a node does — same
 * domain type, same CPU mode, run by libvirt as its QEMU user — with no network and no disks
 * but the boot one. It only has to reach its kernel's console output.
 */
export function renderProbeDomainXml(spec: ProbeSpec): string {
  const os: Record<string, unknown> = { type: { '@arch': 'x86_64', '@machine': 'pc', '#': 'hvm' } };
  if (spec.boot.kind === 'direct') {
    os.kernel = spec.boot.kernel;
    os.initrd = spec.boot.initrd;
    // No root disk: the initrd waits for one, long after the marker the probe looks for.
    os.cmdline = 'console=ttyS0 panic=-1';
  } else {
    os.boot = { '@dev': 'hd' };
  }
  const devices: Record<string, unknown> = {
    serial: { '@type': 'pty', log: { '@file': spec.consoleLog, '@append': 'off' }, target: { '@port': 0 } },
    console: { '@type': 'pty', target: { '@type': 'serial', '@port': 0 } },
    memballoon: { '@model': 'none' },
  };
  if (spec.boot.kind === 'disk') {
    if (!spec.disk) throw new Error('probe: a disk boot needs an overlay disk');
    devices.disk = {
      '@type': 'file',
      '@device': 'disk',
      driver: { '@name': 'qemu', '@type': 'qcow2', '@cache': 'unsafe' },
      source: { '@file': spec.disk },
      target: { '@dev': 'vda', '@bus': 'virtio' },
    };
  }
  const doc = {
    domain: {
      '@type': 'kvm',
      name: spec.name,
      title: `drbdlab KVM probe (${typeof spec.cpu === 'string' ? spec.cpu : spec.cpu.model})`,
      metadata: { 'drbdlab:lab': labMetadata(spec.labId, 'kvmprobe', spec.owner, spec.dir) },
      memory: { '@unit': 'MiB', '#': 256 },
      vcpu: 1,
      os,
      features: { acpi: {}, apic: {} },
      cpu: cpuElement('kvm', spec.cpu),
      on_poweroff: 'destroy',
      on_reboot: 'destroy',
      on_crash: 'destroy',
      devices,
    },
  };
  return create(doc).end({ prettyPrint: true, headless: true }) + '\n';
}
