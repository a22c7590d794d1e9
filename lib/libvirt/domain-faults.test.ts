import { describe, expect, it } from 'vitest';
import { parseLinkState, replicationMac } from './domain-faults.js';

// As `virsh dumpxml` prints a restored node (trimmed): the replication NIC is the only <interface>.
const XML = `<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>drbdlab-abc123-drbd1</name>
  <devices>
    <interface type='network'>
      <mac address='52:54:00:00:02:01'/>
      <source network='drbdlab-abc123-repl' portid='2b0c' bridge='dl-abc123'/>
      <target dev='vnet3'/>
      <model type='virtio'/>
      <link state='down'/>
    </interface>
  </devices>
  <qemu:commandline>
    <qemu:arg value='virtio-net-pci,netdev=mgmt0,mac=52:54:00:00:01:01,bus=pci.0,addr=0x1e'/>
  </qemu:commandline>
</domain>`;

describe('replicationMac', () => {
  it('finds the NIC on the replication network', () => {
    expect(replicationMac(XML, 'drbdlab-abc123-repl')).toBe('52:54:00:00:02:01');
  });
  it('does not take the slirp management NIC, which libvirt does not manage', () => {
    expect(() => replicationMac(XML, 'drbdlab-other-repl')).toThrow(/found 0/);
  });
  it('refuses two NICs on the network (which one to cut would be a guess)', () => {
    const two = XML.replace('</devices>', `<interface type="network"><mac address="52:54:00:00:02:09"/><source network="drbdlab-abc123-repl"/></interface></devices>`);
    expect(() => replicationMac(two, 'drbdlab-abc123-repl')).toThrow(/found 2/);
  });
  it('does not read a network name as a pattern', () => {
    expect(() => replicationMac(XML, 'drbdlab.abc123.repl')).toThrow(/found 0/);
  });
});

describe('parseLinkState', () => {
  it('reads domif-getlink', () => {
    expect(parseLinkState('vnet3 down\n')).toBe('down');
    expect(parseLinkState('52:54:00:00:02:01 up')).toBe('up');
  });
  it('anything else is unknown', () => {
    expect(parseLinkState('')).toBeUndefined();
    expect(parseLinkState('vnet3 default')).toBeUndefined();
  });
});
