import { create } from 'xmlbuilder2';
import type { Owner } from '../host/owner.js';

export const LAB_XMLNS = 'https://github.com/drbdlab/drbdlab/xmlns/1';
const QEMU_XMLNS = 'http://libvirt.org/schemas/domain/qemu/1.0';

export type Accel = 'kvm' | 'tcg';

/** The guest CPU under KVM: the host's own, else a named model (nested KVM may refuse one). */
export type KvmCpu = 'host-passthrough' | { model: string };

/** The <cpu> element for a hypervisor choice; TCG emulates a plain qemu64. */
export function cpuElement(accel: Accel, cpu: KvmCpu = 'host-passthrough'): Record<string, unknown> {
  if (accel === 'tcg') return { '@mode': 'custom', '@match': 'exact', model: 'qemu64' };
  if (cpu === 'host-passthrough') return { '@mode': 'host-passthrough' };
  // check='none': QEMU, not libvirt's CPU map, decides which features the nested host lacks.
  return { '@mode': 'custom', '@match': 'exact', '@check': 'none', model: { '@fallback': 'forbid', '#': cpu.model } };
}

export type OwnerTag = Owner;

/**
 * The kernel command line a direct boot gets. Under TCG every character the kernel and systemd
 * write to the emulated serial port is guest CPU, so the console keeps only the kernel's errors
 * and worse and systemd's failures (`quiet`); the rest stays in dmesg and the journal. Under KVM
 * the boot check reads the kernel's `Run /init` line from the console: it stays verbose there.
 */
function kernelCmdline(accel: Accel, cmdline: string): string {
  if (accel !== 'tcg' || cmdline.split(/\s+/).includes('quiet')) return cmdline;
  return `${cmdline} quiet`;
}

export type BootSpec =
  /** Kernel and initrd handed to QEMU directly: the Debian image has no bootloader. */
  | { kind: 'direct'; kernel: string; initrd: string; cmdline: string }
  /** The image's own bootloader (Ubuntu cloud images). */
  | { kind: 'disk' };

export interface DomainSpec {
  name: string;
  /** Fixed per node: a re-define (new port, KVM→TCG) then updates the domain in place. */
  uuid?: string;
  labId: string;
  node: string;
  accel: Accel;
  /** Under KVM: the CPU mode the probe found to boot. */
  cpu?: KvmCpu;
  owner: OwnerTag;
  /** The lab's folder, so a reaper in another checkout can remove it too. */
  labDir: string;
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
    os.cmdline = kernelCmdline(spec.accel, spec.boot.cmdline);
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
      ...(spec.uuid ? { uuid: spec.uuid } : {}),
      title: `drbdlab ${spec.labId} ${spec.node}`,
      metadata: {
        'drbdlab:lab': labMetadata(spec.labId, spec.node, spec.owner, spec.labDir),
      },
      memory: { '@unit': 'MiB', '#': spec.memoryMiB },
      vcpu: spec.cpus,
      os,
      features,
      cpu: cpuElement(spec.accel, spec.cpu),
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
        // No USB controller (libvirt adds a UHCI one otherwise, which the guest's driver polls) and no
        // guest-agent channel (nothing in the lab talks to the agent): fewer devices to emulate and
        // to set up at every boot under TCG.
        controller: { '@type': 'usb', '@model': 'none' },
        interface: {
          '@type': 'network',
          mac: { '@address': spec.repl.mac },
          source: { '@network': spec.repl.network },
          model: { '@type': 'virtio' },
        },
        // The serial console, kept in a file (truncated at each start by libvirt).
        serial: { '@type': 'pty', log: { '@file': spec.consoleLog, '@append': 'off' }, target: { '@port': 0 } },
        console: { '@type': 'pty', target: { '@type': 'serial', '@port': 0 } },
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

/** The metadata element every drbdlab domain carries: the lab, the node, the owner, the folder. */
export function labMetadata(labId: string, node: string, owner: OwnerTag, labDir: string): Record<string, unknown> {
  return {
    '@xmlns:drbdlab': LAB_XMLNS,
    '@id': labId,
    '@node': node,
    '@dir': labDir,
    // Attributes, not child elements: libvirt keeps only the one namespaced element as written.
    '@owner-kind': owner.kind,
    '@owner-pid': owner.pid,
    '@owner-start': owner.startTime,
    '@owner-boot': owner.bootId,
  };
}
