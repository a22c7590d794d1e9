import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostCommandError } from '../errors.js';
import { ifPresent } from './libvirt.js';
import { classifyVirshError, Virsh, VirshError } from './virsh.js';

// Error text as libvirt 9's virsh prints it.
const MSG = {
  domainNotFound: "error: failed to get domain 'drbdlab-abc123-drbd1'\nerror: Domain not found: no domain with matching name 'drbdlab-abc123-drbd1'",
  networkNotFound: "error: failed to get network 'drbdlab-abc123-repl'\nerror: Network not found: no network with matching name 'drbdlab-abc123-repl'",
  alreadyExists: "error: Failed to define domain from /tmp/d.xml\nerror: operation failed: domain 'drbdlab-abc123-drbd1' already exists with uuid 0f8fad5b-d9cb-469f-a165-70867728950e",
  notRunning: "error: Failed to destroy domain 'drbdlab-abc123-drbd1'\nerror: Requested operation is not valid: domain is not running",
  networkNotActive: "error: Failed to destroy network drbdlab-abc123-repl\nerror: Requested operation is not valid: network is not active",
  daemonDown: "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory",
  modularDaemonDown: "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/var/run/libvirt/virtqemud-sock': No such file or directory",
  portInUse:
    "error: Failed to start domain 'drbdlab-abc123-drbd1'\nerror: internal error: qemu unexpectedly closed the monitor: 2024-05-02T10:11:12.123456Z qemu-system-x86_64: -netdev user,id=mgmt0,restrict=on,hostfwd=tcp:127.0.0.1:2222-:22: Could not set up host forwarding rule 'tcp:127.0.0.1:2222-:22'",
  socketPermission: "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/var/run/libvirt/libvirt-sock': Permission denied",
  polkit: "error: failed to connect to the hypervisor\nerror: authentication unavailable: no polkit agent available to authenticate action 'org.libvirt.unix.manage'",
  // Seen here with DRBDLAB_STATE under a 0700 temporary folder.
  storageAccess:
    "error: Failed to start domain 'drbdlab-023f1c-drbd1'\nerror: Cannot access storage file '/tmp/drbdlab-lifecycle-state-W2QX4Y/023f1c/nodes/drbd1/data.qcow2' (as uid:64055, gid:64055): Permission denied",
  other: "error: Failed to start domain 'x'\nerror: unsupported configuration: Emulator '/usr/bin/qemu-system-x86_64' does not support virt type 'kvm'",
};

describe('classifyVirshError', () => {
  it.each([
    ['domainNotFound', 'not-found'],
    ['networkNotFound', 'not-found'],
    ['alreadyExists', 'already-exists'],
    ['notRunning', 'not-running'],
    ['networkNotActive', 'not-running'],
    ['daemonDown', 'daemon-down'],
    ['modularDaemonDown', 'daemon-down'],
    ['portInUse', 'port-in-use'],
    ['socketPermission', 'permission'],
    ['polkit', 'permission'],
    ['storageAccess', 'storage-access'],
    ['other', 'other'],
  ] as const)('%s -> %s', (key, failure) => {
    expect(classifyVirshError(MSG[key])).toBe(failure);
  });
});

describe('Virsh against a fake virsh on PATH', () => {
  let dir: string;
  let savedPath: string | undefined;

  /** A `virsh` that logs its argv, prints `stdout`/`stderr` and exits with `code`. */
  async function fakeVirsh(o: { stdout?: string; stderr?: string; code: number }): Promise<void> {
    await writeFile(join(dir, 'stdout.txt'), o.stdout ?? '');
    await writeFile(join(dir, 'stderr.txt'), o.stderr ?? '');
    const script = `#!/bin/sh
printf '%s\\n' "$@" > '${dir}/argv.txt'
cat '${dir}/stdout.txt'
cat '${dir}/stderr.txt' >&2
exit ${o.code}
`;
    await writeFile(join(dir, 'virsh'), script);
    await chmod(join(dir, 'virsh'), 0o755);
  }
  const argv = async () => (await readFile(join(dir, 'argv.txt'), 'utf8')).trim().split('\n');

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drbdlab-virsh-'));
    savedPath = process.env.PATH;
    process.env.PATH = `${dir}${delimiter}${savedPath ?? ''}`;
  });
  afterEach(async () => {
    process.env.PATH = savedPath;
    await rm(dir, { recursive: true, force: true });
  });

  it('passes the URI and -q, and returns stdout', async () => {
    await fakeVirsh({ stdout: 'drbdlab-abc123-drbd1\n\ndrbdlab-abc123-drbd2\n', code: 0 });
    const v = new Virsh('qemu:///system');
    expect(await v.listDomains()).toEqual(['drbdlab-abc123-drbd1', 'drbdlab-abc123-drbd2']);
    expect(await argv()).toEqual(['-c', 'qemu:///system', '-q', 'list', '--all', '--name']);
  });

  it('a failure rejects with a classified VirshError carrying command, exit code and stderr', async () => {
    await fakeVirsh({ stderr: MSG.daemonDown, code: 1 });
    const err = await new Virsh('qemu:///system').run(['domstate', 'drbdlab-abc123-drbd1']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VirshError);
    expect(err).toBeInstanceOf(HostCommandError);
    const e = err as VirshError;
    expect(e.name).toBe('VirshError');
    expect(e.command).toBe('virsh -c qemu:///system -q domstate drbdlab-abc123-drbd1');
    expect(e.exitCode).toBe(1);
    expect(e.stderr).toBe(MSG.daemonDown);
    expect(e.failure).toBe('daemon-down');
    expect(e.message).toContain('command failed (exit 1): virsh -c qemu:///system');
    expect(e.message).toContain('hint: libvirtd is not running');
    expect(e).toMatchObject({ timedOut: false, canceled: false, kind: 'infrastructure' });
  });

  it('a virsh call that timed out or was cancelled stays so once classified', () => {
    const hung = new VirshError(new HostCommandError('virsh save x', undefined, '', '', { timedOut: true, signal: 'SIGTERM' }), 'other');
    expect(hung).toMatchObject({ timedOut: true, canceled: false, signal: 'SIGTERM', kind: 'infrastructure' });
    const stopped = new VirshError(new HostCommandError('virsh save x', undefined, '', '', { canceled: true }), 'other');
    expect(stopped).toMatchObject({ canceled: true, kind: 'interrupted' });
  });

  it('runIfExists returns undefined when the object is missing', async () => {
    await fakeVirsh({ stderr: MSG.domainNotFound, code: 1 });
    const v = new Virsh('qemu:///system');
    expect(await v.runIfExists(['undefine', 'drbdlab-abc123-drbd1'])).toBeUndefined();
    expect(await v.domainState('drbdlab-abc123-drbd1')).toBeUndefined();
  });

  it('runIfExists returns undefined when the domain is not running', async () => {
    await fakeVirsh({ stderr: MSG.notRunning, code: 1 });
    expect(await new Virsh('qemu:///system').runIfExists(['destroy', 'x'])).toBeUndefined();
  });

  it('runIfExists rethrows every other failure', async () => {
    await fakeVirsh({ stderr: MSG.portInUse, code: 1 });
    const v = new Virsh('qemu:///system');
    await expect(v.runIfExists(['start', 'drbdlab-abc123-drbd1'])).rejects.toMatchObject({
      name: 'VirshError',
      failure: 'port-in-use',
      exitCode: 1,
      command: 'virsh -c qemu:///system -q start drbdlab-abc123-drbd1',
    });
  });

  // The port's methods are the virsh commands the lab always ran: pinned here, argument for argument.
  it.each([
    ['version', (v: Virsh) => v.version(), ['version']],
    ['domainCapabilities', (v: Virsh) => v.domainCapabilities('kvm'), ['domcapabilities', '--virttype', 'kvm']],
    ['domainXml', (v: Virsh) => v.domainXml('d'), ['dumpxml', 'd']],
    ['define', (v: Virsh) => v.define('/x/domain.xml'), ['define', '/x/domain.xml']],
    ['undefine', (v: Virsh) => v.undefine('d'), ['undefine', 'd']],
    ['undefine --nvram', (v: Virsh) => v.undefine('d', { nvram: true }), ['undefine', 'd', '--nvram']],
    ['start', (v: Virsh) => v.start('d'), ['start', 'd']],
    ['destroy', (v: Virsh) => v.destroy('d'), ['destroy', 'd']],
    ['suspend', (v: Virsh) => v.suspend('d'), ['suspend', 'd']],
    ['resume', (v: Virsh) => v.resume('d'), ['resume', 'd']],
    ['save', (v: Virsh) => v.save('d', '/x/memory.save'), ['save', 'd', '/x/memory.save']],
    ['restore', (v: Virsh) => v.restore('/x/memory.save', '/x/domain.xml', { paused: true }), ['restore', '/x/memory.save', '--xml', '/x/domain.xml', '--paused']],
    ['setMetadata', (v: Virsh) => v.setMetadata('d', 'https://ns', 'drbdlab', '<lab/>', { live: false }), ['metadata', 'd', 'https://ns', '--key', 'drbdlab', '--set', '<lab/>', '--config']],
    ['setMetadata live', (v: Virsh) => v.setMetadata('d', 'https://ns', 'drbdlab', '<lab/>', { live: true }), ['metadata', 'd', 'https://ns', '--key', 'drbdlab', '--set', '<lab/>', '--config', '--live']],
    ['setLink', (v: Virsh) => v.setLink('d', '52:54:00:00:02:01', 'down'), ['domif-setlink', 'd', '52:54:00:00:02:01', 'down']],
    ['linkState', (v: Virsh) => v.linkState('d', '52:54:00:00:02:01'), ['domif-getlink', 'd', '52:54:00:00:02:01']],
    ['listNetworks', (v: Virsh) => v.listNetworks(), ['net-list', '--all', '--name']],
    ['listNetworks active', (v: Virsh) => v.listNetworks({ activeOnly: true }), ['net-list', '--name']],
    ['defineNetwork', (v: Virsh) => v.defineNetwork('/x/network.xml'), ['net-define', '/x/network.xml']],
    ['startNetwork', (v: Virsh) => v.startNetwork('n'), ['net-start', 'n']],
    ['destroyNetwork', (v: Virsh) => v.destroyNetwork('n'), ['net-destroy', 'n']],
    ['undefineNetwork', (v: Virsh) => v.undefineNetwork('n'), ['net-undefine', 'n']],
  ] as const)('%s: the virsh arguments the lab always sent', async (_name, call, args) => {
    await fakeVirsh({ code: 0 });
    await call(new Virsh('qemu:///system'));
    expect(await argv()).toEqual(['-c', 'qemu:///system', '-q', ...args]);
  });

  it('ifPresent: false for a missing object or a stopped domain, true when it acted, other failures thrown', async () => {
    const v = new Virsh('qemu:///system');
    await fakeVirsh({ stderr: MSG.domainNotFound, code: 1 });
    expect(await ifPresent(v.undefine('d'))).toBe(false);
    await fakeVirsh({ stderr: MSG.notRunning, code: 1 });
    expect(await ifPresent(v.destroy('d'))).toBe(false);
    await fakeVirsh({ code: 0 });
    expect(await ifPresent(v.destroy('d'))).toBe(true);
    await fakeVirsh({ stderr: MSG.portInUse, code: 1 });
    await expect(ifPresent(v.start('d'))).rejects.toMatchObject({ failure: 'port-in-use' });
  });

  it('runIfExists returns stdout on success', async () => {
    await fakeVirsh({ stdout: 'running\n', code: 0 });
    expect(await new Virsh('qemu:///system').domainState('drbdlab-abc123-drbd1')).toBe('running');
  });
});
