import { create } from 'xmlbuilder2';
import { describe, expect, it } from 'vitest';
import { LAB_XMLNS, renderDomainXml, type DomainSpec } from './domain-xml.js';

const QEMU_XMLNS = 'http://libvirt.org/schemas/domain/qemu/1.0';

/** The bits of xmlbuilder2's DOM the tests use (the project compiles without lib "dom"). */
interface El {
  localName: string;
  namespaceURI: string | null;
  nodeType: number;
  textContent: string | null;
  childNodes: ArrayLike<El>;
  getAttribute(name: string): string | null;
  getElementsByTagName(name: string): ArrayLike<El>;
  getElementsByTagNameNS(ns: string, name: string): ArrayLike<El>;
}

/** Parse with a real XML parser: entities are decoded, namespaces resolved. */
function parse(xml: string): El {
  return create(xml).root().node as unknown as El;
}
function children(el: El, name: string): El[] {
  return Array.from(el.childNodes).filter((c) => c.nodeType === 1 && c.localName === name);
}
function child(el: El, name: string): El {
  const [c, ...more] = children(el, name);
  if (!c || more.length) throw new Error(`expected exactly one <${name}> in <${el.localName}>, got ${children(el, name).length}`);
  return c;
}
function all(el: El, name: string): El[] {
  return Array.from(el.getElementsByTagName(name));
}

function spec(over: Partial<DomainSpec> = {}): DomainSpec {
  return {
    name: 'drbdlab-abc123-drbd1',
    labId: 'abc123',
    node: 'drbd1',
    accel: 'tcg',
    memoryMiB: 512,
    cpus: 2,
    boot: { kind: 'direct', kernel: '/cache/img/vmlinuz', initrd: '/cache/img/initrd.img', cmdline: 'root=/dev/vda rw console=ttyS0' },
    rootDisk: '/run/lab/drbd1-root.qcow2',
    dataDisk: '/run/lab/drbd1-data.qcow2',
    seedIso: '/run/lab/drbd1-seed.iso',
    consoleLog: '/run/lab/drbd1-console.log',
    mgmt: { mac: '52:54:00:00:01:01', sshPort: 40123 },
    repl: { mac: '52:54:00:00:02:01', network: 'drbdlab-abc123-repl' },
    owner: { kind: 'process', pid: 4242, startTime: '123456', bootId: 'b00t' },
    labDir: '/work/.lab/abc123',
    ...over,
  };
}

describe('renderDomainXml', () => {
  it('tcg: domain type qemu, a 128 MiB tb-cache and a qemu64 cpu', () => {
    const d = parse(renderDomainXml(spec({ accel: 'tcg' })));
    expect(d.localName).toBe('domain');
    expect(d.getAttribute('type')).toBe('qemu');
    const tb = child(child(child(d, 'features'), 'tcg'), 'tb-cache');
    expect(tb.getAttribute('unit')).toBe('MiB');
    expect(tb.textContent).toBe('128');
    expect(child(d, 'cpu').getAttribute('mode')).toBe('custom');
  });

  it('kvm: domain type kvm, no tcg element, host-passthrough cpu', () => {
    const d = parse(renderDomainXml(spec({ accel: 'kvm' })));
    expect(d.getAttribute('type')).toBe('kvm');
    expect(all(d, 'tcg')).toHaveLength(0);
    expect(all(d, 'tb-cache')).toHaveLength(0);
    expect(child(d, 'cpu').getAttribute('mode')).toBe('host-passthrough');
  });

  it('name, memory and vcpu', () => {
    const d = parse(renderDomainXml(spec({ memoryMiB: 768, cpus: 3 })));
    expect(child(d, 'name').textContent).toBe('drbdlab-abc123-drbd1');
    const mem = child(d, 'memory');
    expect(mem.getAttribute('unit')).toBe('MiB');
    expect(mem.textContent).toBe('768');
    expect(child(d, 'vcpu').textContent).toBe('3');
  });

  it('metadata carries lab id and node in the LAB_XMLNS namespace', () => {
    const d = parse(renderDomainXml(spec()));
    const labs = Array.from(child(d, 'metadata').getElementsByTagNameNS(LAB_XMLNS, 'lab'));
    expect(labs).toHaveLength(1);
    expect(labs[0]!.namespaceURI).toBe(LAB_XMLNS);
    expect(labs[0]!.getAttribute('id')).toBe('abc123');
    expect(labs[0]!.getAttribute('node')).toBe('drbd1');
  });

  it('metadata names the owner (kind, pid, process start, host boot) and the lab folder, for the reaper', () => {
    const lab = Array.from(child(parse(renderDomainXml(spec())), 'metadata').getElementsByTagNameNS(LAB_XMLNS, 'lab'))[0]!;
    expect(lab.getAttribute('owner-kind')).toBe('process');
    expect(lab.getAttribute('owner-pid')).toBe('4242');
    expect(lab.getAttribute('owner-start')).toBe('123456');
    expect(lab.getAttribute('owner-boot')).toBe('b00t');
    expect(lab.getAttribute('dir')).toBe('/work/.lab/abc123');
  });

  it('kvm with a named model: custom cpu that forbids falling back to another model', () => {
    const cpu = child(parse(renderDomainXml(spec({ accel: 'kvm', cpu: { model: 'Skylake-Client' } }))), 'cpu');
    expect(cpu.getAttribute('mode')).toBe('custom');
    expect(child(cpu, 'model').textContent).toBe('Skylake-Client');
    expect(child(cpu, 'model').getAttribute('fallback')).toBe('forbid');
  });

  it('direct boot: kernel, initrd and cmdline, no <boot>', () => {
    const os = child(parse(renderDomainXml(spec())), 'os');
    expect(child(os, 'type').textContent).toBe('hvm');
    expect(child(os, 'kernel').textContent).toBe('/cache/img/vmlinuz');
    expect(child(os, 'initrd').textContent).toBe('/cache/img/initrd.img');
    expect(child(os, 'cmdline').textContent).toBe('root=/dev/vda rw console=ttyS0 quiet');
    expect(children(os, 'boot')).toHaveLength(0);
  });

  it('direct boot: a quiet console under TCG only; KVM keeps the kernel lines the boot check reads', () => {
    const cmdline = (accel: 'kvm' | 'tcg', c = 'root=/dev/vda rw console=ttyS0') =>
      child(child(parse(renderDomainXml(spec({ accel, boot: { kind: 'direct', kernel: '/k', initrd: '/i', cmdline: c } }))), 'os'), 'cmdline').textContent;
    expect(cmdline('tcg')).toBe('root=/dev/vda rw console=ttyS0 quiet');
    expect(cmdline('kvm')).toBe('root=/dev/vda rw console=ttyS0');
    expect(cmdline('tcg', 'root=/dev/vda quiet rw'), 'not twice').toBe('root=/dev/vda quiet rw');
    expect(cmdline('tcg', 'root=/dev/vda rw quietly=1')).toBe('root=/dev/vda rw quietly=1 quiet');
  });

  it('disk boot: <boot dev="hd"/>, no kernel, initrd or cmdline', () => {
    const os = child(parse(renderDomainXml(spec({ boot: { kind: 'disk' } }))), 'os');
    expect(child(os, 'boot').getAttribute('dev')).toBe('hd');
    for (const n of ['kernel', 'initrd', 'cmdline']) expect(children(os, n)).toHaveLength(0);
  });

  it('vda is the qcow2 overlay, vdb the data disk, the cdrom the seed', () => {
    const disks = children(child(parse(renderDomainXml(spec())), 'devices'), 'disk');
    const summary = disks.map((disk) => ({
      device: disk.getAttribute('device'),
      format: child(disk, 'driver').getAttribute('type'),
      file: child(disk, 'source').getAttribute('file'),
      dev: child(disk, 'target').getAttribute('dev'),
      readonly: children(disk, 'readonly').length === 1,
    }));
    expect(summary).toEqual([
      { device: 'disk', format: 'qcow2', file: '/run/lab/drbd1-root.qcow2', dev: 'vda', readonly: false },
      { device: 'disk', format: 'qcow2', file: '/run/lab/drbd1-data.qcow2', dev: 'vdb', readonly: false },
      { device: 'cdrom', format: 'raw', file: '/run/lab/drbd1-seed.iso', dev: 'hdc', readonly: true },
    ]);
  });

  it('no device a node does not use: no USB controller, no guest-agent channel', () => {
    const d = parse(renderDomainXml(spec()));
    const devices = child(d, 'devices');
    expect(children(devices, 'controller').map((c) => [c.getAttribute('type'), c.getAttribute('model')])).toEqual([['usb', 'none']]);
    expect(children(devices, 'channel')).toHaveLength(0);
  });

  it('one libvirt interface: the replication network with the given MAC', () => {
    const ifaces = children(child(parse(renderDomainXml(spec())), 'devices'), 'interface');
    expect(ifaces).toHaveLength(1);
    const i = ifaces[0]!;
    expect(i.getAttribute('type')).toBe('network');
    expect(child(i, 'source').getAttribute('network')).toBe('drbdlab-abc123-repl');
    expect(child(i, 'mac').getAttribute('address')).toBe('52:54:00:00:02:01');
    expect(child(i, 'model').getAttribute('type')).toBe('virtio');
  });

  it('serial console logs to a file, truncated at each start', () => {
    const log = child(child(child(parse(renderDomainXml(spec())), 'devices'), 'serial'), 'log');
    expect(log.getAttribute('file')).toBe('/run/lab/drbd1-console.log');
    expect(log.getAttribute('append')).toBe('off');
  });

  it('mgmt NIC: restricted slirp forwarding SSH from 127.0.0.1 only, fixed PCI slot and MAC', () => {
    const xml = renderDomainXml(spec());
    const d = parse(xml);
    const cmd = Array.from(d.getElementsByTagNameNS(QEMU_XMLNS, 'commandline'));
    expect(cmd).toHaveLength(1);
    const args = Array.from(cmd[0]!.getElementsByTagNameNS(QEMU_XMLNS, 'arg')).map((a) => a.getAttribute('value'));
    expect(args).toEqual([
      '-netdev',
      'user,id=mgmt0,restrict=on,hostfwd=tcp:127.0.0.1:40123-:22',
      '-device',
      'virtio-net-pci,netdev=mgmt0,mac=52:54:00:00:01:01,bus=pci.0,addr=0x1e',
    ]);
    // No other host address anywhere (no 0.0.0.0, no bare hostfwd=tcp::port).
    const ipv4s = xml.match(/\b\d{1,3}(?:\.\d{1,3}){3}\b/g) ?? [];
    expect(new Set(ipv4s)).toEqual(new Set(['127.0.0.1']));
    expect(xml).not.toContain('hostfwd=tcp::');
  });

  it('escapes special characters in paths so they round-trip', () => {
    const weird = {
      kernel: "/srv/R&D/it's/vmlinuz",
      root: '/srv/R&D/<root> "1".qcow2',
      data: "/srv/o'brien & co/data.qcow2",
      seed: '/srv/a>b/seed.iso',
      log: "/srv/it's/console.log",
    };
    const d = parse(
      renderDomainXml(
        spec({
          boot: { kind: 'direct', kernel: weird.kernel, initrd: '/i', cmdline: "quiet x='1&2'" },
          rootDisk: weird.root,
          dataDisk: weird.data,
          seedIso: weird.seed,
          consoleLog: weird.log,
        }),
      ),
    );
    const os = child(d, 'os');
    expect(child(os, 'kernel').textContent).toBe(weird.kernel);
    expect(child(os, 'cmdline').textContent).toBe("quiet x='1&2'");
    const files = all(d, 'disk').map((disk) => child(disk, 'source').getAttribute('file'));
    expect(files).toEqual([weird.root, weird.data, weird.seed]);
    expect(all(d, 'log')[0]!.getAttribute('file')).toBe(weird.log);
  });

  it('is deterministic', () => {
    expect(renderDomainXml(spec())).toBe(renderDomainXml(spec()));
  });
});
