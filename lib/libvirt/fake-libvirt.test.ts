// The fake libvirt behaves as libvirt does where the lab logic depends on it; its errors are
// classified as the real ones are (the same classifyVirshError over libvirt's wording).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeLibvirt, libvirtSaveImage } from './fake-libvirt.js';
import { ifPresent } from './libvirt.js';

let dir: string;
let lv: FakeLibvirt;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drbdlab-fakelv-'));
  lv = new FakeLibvirt();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function domainFile(name: string, o: { port?: number; uuid?: string; network?: string } = {}): Promise<string> {
  const file = join(dir, `${name}.xml`);
  await writeFile(
    file,
    `<domain type="qemu">\n  <name>${name}</name>\n  <uuid>${o.uuid ?? '4fae32d8-0fab-4ca6-8276-55c085b26fb3'}</uuid>\n` +
      `  <metadata><drbdlab:lab xmlns:drbdlab="https://ns" id="abc123" owner-kind="process"/></metadata>\n` +
      (o.network ? `  <devices><interface type="network"><source network="${o.network}"/></interface></devices>\n` : '') +
      `  <qemu:commandline><qemu:arg value="user,id=mgmt0,restrict=on,hostfwd=tcp:127.0.0.1:${o.port ?? 2222}-:22"/></qemu:commandline>\n</domain>\n`,
  );
  return file;
}

describe('FakeLibvirt', () => {
  it('records every call, in order', async () => {
    await lv.define(await domainFile('d1'));
    await lv.start('d1');
    await ifPresent(lv.destroy('nope'));
    expect(lv.calls).toEqual([`define ${join(dir, 'd1.xml')}`, 'start d1', 'destroy nope']);
  });

  it('a missing domain, a stopped one: the errors teardown skips (not-found, not-running)', async () => {
    await expect(lv.start('nope')).rejects.toMatchObject({ name: 'VirshError', failure: 'not-found' });
    await lv.define(await domainFile('d1'));
    await expect(lv.destroy('d1')).rejects.toMatchObject({ failure: 'not-running' });
    await expect(lv.undefineNetwork('n')).rejects.toMatchObject({ failure: 'not-found' });
  });

  it('undefining a running domain leaves it running, transient, until it is destroyed', async () => {
    await lv.define(await domainFile('d1'));
    await lv.start('d1');
    await lv.undefine('d1', { nvram: true });
    expect(await lv.listDomains()).toEqual(['d1']);
    await lv.destroy('d1');
    expect(await lv.listDomains()).toEqual([]);
  });

  it('a held port fails the start as QEMU does (port-in-use); a running QEMU holds its own', async () => {
    lv.holdPort(2222);
    await lv.define(await domainFile('d1', { port: 2222 }));
    await expect(lv.start('d1')).rejects.toMatchObject({ failure: 'port-in-use', stderr: expect.stringContaining('Could not set up host forwarding rule') });
    await lv.define(await domainFile('d2', { port: 2223, uuid: '11111111-2222-4333-8444-555555555555' }));
    await lv.define(await domainFile('d3', { port: 2223, uuid: '21111111-2222-4333-8444-555555555555' }));
    await lv.start('d2');
    await expect(lv.start('d3')).rejects.toMatchObject({ failure: 'port-in-use' });
  });

  it("a domain on an inactive network does not start (libvirt's not-active error)", async () => {
    await lv.define(await domainFile('d1', { network: 'n1' }));
    await expect(lv.start('d1')).rejects.toMatchObject({ failure: 'not-running', stderr: expect.stringContaining("network 'n1' is not active") });
  });

  it('metadata set with --config only leaves the running domain as it was; --live changes it too', async () => {
    await lv.define(await domainFile('d1'));
    await lv.start('d1');
    await lv.setMetadata('d1', 'https://ns', 'drbdlab', '<lab id="abc123" owner-kind="user"/>', { live: false });
    expect(await lv.domainXml('d1')).toContain('owner-kind="process"');
    await lv.setMetadata('d1', 'https://ns', 'drbdlab', '<lab id="abc123" owner-kind="user"/>', { live: true });
    expect(await lv.domainXml('d1')).toContain('owner-kind="user"');
  });

  it('save writes an image naming the domain and stops it; restore refuses an XML of another domain', async () => {
    await lv.define(await domainFile('d1'));
    await lv.start('d1');
    const image = join(dir, 'd1.save');
    await lv.save('d1', image);
    expect(await lv.domainState('d1')).toBe('shut off');
    await expect(lv.restore(image, await domainFile('d2', { uuid: '11111111-2222-4333-8444-555555555555' }), { paused: true })).rejects.toThrow(/belongs to domain 'd1'/);
    await lv.restore(image, join(dir, 'd1.xml'), { paused: true });
    expect(await lv.domainState('d1')).toBe('paused');
    await writeFile(join(dir, 'bad.save'), libvirtSaveImage('<domain/>').subarray(4));
    await expect(lv.restore(join(dir, 'bad.save'), join(dir, 'd1.xml'), { paused: false })).rejects.toThrow(/image magic is incorrect/);
  });

  it('told to: refuses a define, kills a QEMU, dies mid-save', async () => {
    lv.refuseDefine(/d1/);
    await expect(lv.define(await domainFile('d1'))).rejects.toMatchObject({ failure: 'other', stderr: expect.stringContaining('Unknown CPU model') });
    await lv.define(await domainFile('d1'));
    await lv.start('d1');
    lv.killQemu('d1');
    expect(await lv.domainState('d1')).toBe('shut off');
    expect(await lv.qemuLogTail('d1')).toMatch(/terminating on signal 9/);
    await lv.start('d1');
    lv.dieDuringSave('d1');
    await expect(lv.save('d1', join(dir, 'x.save'))).rejects.toMatchObject({ stderr: expect.stringContaining('domain is not running') });
    expect(await lv.domainState('d1')).toBe('shut off');
  });
});
