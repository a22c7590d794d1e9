import { describe, expect, it } from 'vitest';
import { renderDomainXml } from './domain-xml.js';
import { parseLabMetadata } from './lab-metadata.js';

const xml = renderDomainXml({
  name: 'drbdlab-abc123-drbd1',
  labId: 'abc123',
  node: 'drbd1',
  accel: 'tcg',
  owner: { kind: 'process', pid: 77, startTime: '991', bootId: 'boot-1' },
  labDir: '/w/.lab/abc123',
  memoryMiB: 512,
  cpus: 1,
  boot: { kind: 'disk' },
  rootDisk: '/r',
  dataDisk: '/d',
  seedIso: '/s',
  consoleLog: '/c',
  mgmt: { mac: '52:54:00:00:01:01', sshPort: 4000 },
  repl: { mac: '52:54:00:00:02:01', network: 'n' },
});

describe('parseLabMetadata', () => {
  it('reads back what renderDomainXml wrote: lab, node, folder, owner', () => {
    expect(parseLabMetadata(xml)).toEqual({
      labId: 'abc123',
      node: 'drbd1',
      dir: '/w/.lab/abc123',
      owner: { kind: 'process', pid: 77, startTime: '991', bootId: 'boot-1' },
    });
  });

  it('finds our element under whatever prefix libvirt prints', () => {
    const relabelled = xml.replace(/drbdlab:lab/g, 'ns0:lab').replace('xmlns:drbdlab', 'xmlns:ns0');
    expect(parseLabMetadata(relabelled)?.owner?.pid).toBe(77);
  });

  it('ignores a foreign namespace and a domain without metadata; a lab without owner has none', () => {
    expect(parseLabMetadata(xml.replace(/https:\/\/github.com\/drbdlab[^"]*/, 'urn:other'))).toBeUndefined();
    expect(parseLabMetadata('<domain><name>x</name></domain>')).toBeUndefined();
    expect(parseLabMetadata(xml.replace(/ owner-kind="process"/, ''))?.owner).toBeUndefined();
  });
});
