import { create } from 'xmlbuilder2';

export const LAB_XMLNS = 'https://github.com/drbdlab/drbdlab/xmlns/1';
const QEMU_XMLNS = 'http://libvirt.org/schemas/domain/qemu/1.0';

export type Accel = 'kvm' | 'tcg';

export type BootSpec =
  /** Kernel and initrd handed to QEMU directly: the Debian image has no bootloader. */
  | { kind: 'direct'; kernel: string; initrd: string; cmdline: string }
  /** The image's own bootloader (Ubuntu cloud images). */
  | { kind: 'disk' };

export interface DomainSpec {
  name: string;
  labId: string;
  node: string;
  accel: Accel;
  memoryMiB: number;
  cpus: number;
  boot: BootSpec;
  rootDisk: string; // qcow2 overlay
  dataDisk: string; // qcow2, the second disk
  seedIso: string; // NoCloud seed
  consoleLog: string;
  mgmt: { mac: string; sshPort: number };
  repl: { mac: string; network: string };
}

/**
 * Render a libvirt domain. NIC 1 is QEMU slirp through <qemu:commandline>: Debian's libvirt 9
 * has passt disabled and ignores <portForward> on type='user' (see lab-notes.md). restrict=on
 * gives the guest no way out; SSH is forwarded to a 127.0.0.1 port only.
 */
export function renderDomainXml(spec: DomainSpec): string {
  const os: Record<string, unknown> = {
    type: { '@arch': 'x86_64', '@machine': 'pc', '#': 'hvm' },
  };
  if (spec.boot.kind === 'direct') {
    os.kernel = spec.boot.kernel;
    os.initrd = spec.boot.initrd;
    os.cmdline = spec.boot.cmdline;
  } else {
    os.boot = { '@dev': 'hd' };
  }
  const features: Record<string, unknown> = { acpi: {}, apic: {} };
  // A smaller TCG translation cache keeps a 512 MiB guest's QEMU near 530 MB RSS instead of 1.2+ GB.
  if (spec.accel === 'tcg') features.tcg = { 'tb-cache': { '@unit': 'MiB', '#': 128 } };

  const disk = (file: string, dev: string, format: string) => ({
    '@type': 'file',
    '@device': 'disk',
    // cache=unsafe: throwaway clones; the fsync cost under TCG buys nothing here.
    driver: { '@name': 'qemu', '@type': format, '@cache': 'unsafe', '@discard': 'unmap' },
    source: { '@file': file },
    target: { '@dev': dev, '@bus': 'virtio' },
  });

  const doc = {
    domain: {
      '@type': spec.accel === 'kvm' ? 'kvm' : 'qemu',
      '@xmlns:qemu': QEMU_XMLNS,
      name: spec.name,
      title: `drbdlab ${spec.labId} ${spec.node}`,
      metadata: {
        'drbdlab:lab': { '@xmlns:drbdlab': LAB_XMLNS, '@id': spec.labId, '@node': spec.node },
      },
      memory: { '@unit': 'MiB', '#': spec.memoryMiB },
      vcpu: spec.cpus,
      os,
      features,
      cpu: spec.accel === 'kvm' ? { '@mode': 'host-passthrough' } : { '@mode': 'custom', '@match': 'exact', model: 'qemu64' },
      clock: { '@offset': 'utc' },
      on_poweroff: 'destroy',
      on_reboot: 'restart',
      on_crash: 'destroy',
      devices: {
        disk: [
          disk(spec.rootDisk, 'vda', 'qcow2'),
          disk(spec.dataDisk, 'vdb', 'qcow2'),
          {
            '@type': 'file',
            '@device': 'cdrom',
            driver: { '@name': 'qemu', '@type': 'raw' },
            source: { '@file': spec.seedIso },
            target: { '@dev': 'hdc', '@bus': 'ide' },
            readonly: {},
          },
        ],
        interface: {
          '@type': 'network',
          mac: { '@address': spec.repl.mac },
          source: { '@network': spec.repl.network },
          model: { '@type': 'virtio' },
        },
        // The serial console, kept in a file (truncated at each start by libvirt).
        serial: { '@type': 'pty', log: { '@file': spec.consoleLog, '@append': 'off' }, target: { '@port': 0 } },
        console: { '@type': 'pty', target: { '@type': 'serial', '@port': 0 } },
        channel: {
          '@type': 'unix',
          target: { '@type': 'virtio', '@name': 'org.qemu.guest_agent.0' },
        },
        rng: { '@model': 'virtio', backend: { '@model': 'random', '#': '/dev/urandom' } },
        memballoon: { '@model': 'none' },
      },
      'qemu:commandline': {
        'qemu:arg': [
          { '@value': '-netdev' },
          { '@value': `user,id=mgmt0,restrict=on,hostfwd=tcp:127.0.0.1:${spec.mgmt.sshPort}-:22` },
          { '@value': '-device' },
          // An explicit addr= is required, else "PCI: slot 2 function 0 not available".
          { '@value': `virtio-net-pci,netdev=mgmt0,mac=${spec.mgmt.mac},bus=pci.0,addr=0x1e` },
        ],
      },
    },
  };
  return create(doc).end({ prettyPrint: true, headless: true }) + '\n';
}
