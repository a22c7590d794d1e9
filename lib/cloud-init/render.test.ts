import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadTemplates, mergeCloudConfig, renderEtcHosts, renderSeed, type SeedInputs, type Templates } from './render.js';

const templates = await loadTemplates();

const HOST_KEY_PRIVATE = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nQUJDRA==\n-----END OPENSSH PRIVATE KEY-----\n';

function inputs(over: Partial<SeedInputs> = {}): SeedInputs {
  return {
    hostname: 'drbd1',
    instanceId: 'drbdlab-abc123-drbd1',
    user: 'lab',
    authorizedKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIUser lab@host\n',
    hostKeyPrivate: HOST_KEY_PRIVATE,
    hostKeyPublic: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHost drbd1\n',
    mgmtMac: '52:54:00:00:01:01',
    mgmtAddress: '10.0.2.15/24',
    replMac: '52:54:00:00:02:01',
    replAddress: '10.255.255.101/24',
    hosts: [
      { ip: '10.255.255.101', name: 'drbd1' },
      { ip: '10.255.255.102', name: 'drbd2' },
      { ip: '10.255.255.103', name: 'drbd3' },
    ],
    ...over,
  };
}

type Obj = Record<string, any>;
const userData = (i = inputs()) => parse(renderSeed(templates, i)['user-data']) as Obj;

describe('user-data', () => {
  it('starts with #cloud-config and sets the hostname', () => {
    const text = renderSeed(templates, inputs())['user-data'];
    expect(text.startsWith('#cloud-config\n')).toBe(true);
    expect(userData().hostname).toBe('drbd1');
    expect(userData().preserve_hostname).toBe(false);
  });

  it('one key-only user: authorized key, locked password, no password auth', () => {
    const ud = userData();
    expect(ud.users).toEqual([
      {
        name: 'lab',
        gecos: 'drbdlab',
        shell: '/bin/bash',
        sudo: 'ALL=(ALL) NOPASSWD:ALL',
        lock_passwd: true,
        ssh_authorized_keys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIUser lab@host'],
      },
    ]);
    expect(ud.ssh_pwauth).toBe(false);
    expect(ud.disable_root).toBe(true);
    const text = renderSeed(templates, inputs())['user-data'];
    for (const k of ['password', 'passwd', 'chpasswd', 'plain_text_passwd', 'hashed_passwd']) {
      expect(text).not.toMatch(new RegExp(`^\\s*-?\\s*${k}:`, 'm'));
    }
  });

  it('injects the host key pair and generates no other key type', () => {
    const ud = userData();
    expect(ud.ssh_keys).toEqual({
      ed25519_private: HOST_KEY_PRIVATE,
      ed25519_public: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHost drbd1',
    });
    expect(ud.ssh_genkeytypes).toEqual(['ed25519']);
    expect(ud.ssh_deletekeys).toBe(true);
  });

  it('writes /etc/hosts exactly as the walkthrough does', () => {
    const files = userData().write_files as Obj[];
    expect(files).toHaveLength(1);
    expect(files[0]).toEqual({
      path: '/etc/hosts',
      permissions: '0644',
      content: [
        '127.0.0.1 localhost.localdomain localhost',
        '::1 localhost6.localdomain6 localhost6',
        '10.255.255.101 drbd1',
        '10.255.255.102 drbd2',
        '10.255.255.103 drbd3',
        '',
      ].join('\n'),
    });
    expect(userData().manage_etc_hosts).toBe(false);
  });

  it('a hostname with YAML-special characters stays one value (no injection)', () => {
    const evil = 'a: b\nssh_pwauth: true\n#';
    const ud = userData(inputs({ hostname: evil }));
    expect(ud.hostname).toBe(evil);
    expect(ud.ssh_pwauth).toBe(false);
    const md = parse(renderSeed(templates, inputs({ hostname: 'x: y' }))['meta-data']) as Obj;
    expect(md).toEqual({ 'instance-id': 'drbdlab-abc123-drbd1', 'local-hostname': 'x: y' });
  });

  it('merges extra cloud-config from the profile', () => {
    const ud = userData(
      inputs({ extraUserData: { runcmd: [['apt-get', 'update']], write_files: [{ path: '/etc/x', content: 'x\n' }], ssh_pwauth: false } }),
    );
    // The node disables cloud-init for later boots first (lab/cloud-init/user-data.yaml), then the profile's commands.
    expect(ud.runcmd).toEqual([['touch', '/etc/cloud/cloud-init.disabled'], ['apt-get', 'update']]);
    expect((ud.write_files as Obj[]).map((f) => f.path)).toEqual(['/etc/hosts', '/etc/x']);
  });
});

describe('meta-data and network-config', () => {
  it('meta-data has instance-id and local-hostname', () => {
    expect(parse(renderSeed(templates, inputs())['meta-data'])).toEqual({
      'instance-id': 'drbdlab-abc123-drbd1',
      'local-hostname': 'drbd1',
    });
  });

  it('network-config v2: both NICs by MAC, static, no RA, no gateway or routes', () => {
    const text = renderSeed(templates, inputs())['network-config'];
    const nc = parse(text) as Obj;
    const nic = (mac: string, address: string) => ({
      match: { macaddress: mac },
      addresses: [address],
      dhcp4: false,
      dhcp6: false,
      'accept-ra': false,
    });
    expect(nc).toEqual({
      version: 2,
      ethernets: {
        mgmt: nic('52:54:00:00:01:01', '10.0.2.15/24'),
        repl: nic('52:54:00:00:02:01', '10.255.255.101/24'),
      },
    });
    expect(text).not.toMatch(/gateway|routes|nameservers/);
  });

  it('is read the same under YAML 1.1, as cloud-init (PyYAML) reads it', () => {
    // 52:54:00:00:01:01 is a base-60 integer in YAML 1.1 unless quoted; so is 0644 octal.
    const seed = renderSeed(templates, inputs({ hostname: 'on' }));
    const nc = parse(seed['network-config'], { version: '1.1' }) as Obj;
    expect(nc.ethernets.mgmt.match.macaddress).toBe('52:54:00:00:01:01');
    expect(nc.ethernets.repl.match.macaddress).toBe('52:54:00:00:02:01');
    const ud = parse(seed['user-data'], { version: '1.1' }) as Obj;
    expect(ud.hostname).toBe('on');
    expect(ud.write_files[0].permissions).toBe('0644');
    expect(ud.ssh_pwauth).toBe(false);
  });
});

describe('templates and helpers', () => {
  it('an unknown ${placeholder} in a template throws, naming it and the file', () => {
    const bad: Templates = { ...templates, metaData: 'instance-id: ${instanceId}\nfoo: ${nosuch}\n' };
    expect(() => renderSeed(bad, inputs())).toThrow('cloud-init template meta-data: unknown placeholder ${nosuch}');
  });

  it('renderEtcHosts ends with a newline', () => {
    expect(renderEtcHosts([{ ip: '10.0.0.1', name: 'n1' }])).toBe(
      '127.0.0.1 localhost.localdomain localhost\n::1 localhost6.localdomain6 localhost6\n10.0.0.1 n1\n',
    );
  });

  it('mergeCloudConfig: lists concatenate, maps merge, scalars are replaced', () => {
    const base: Obj = { packages: ['a'], apt: { sources: { x: { source: 'deb x' } }, preserve: true }, hostname: 'h1' };
    mergeCloudConfig(base, { packages: ['b', 'c'], apt: { sources: { y: { source: 'deb y' } } }, hostname: 'h2', runcmd: ['r'] });
    expect(base).toEqual({
      packages: ['a', 'b', 'c'],
      apt: { sources: { x: { source: 'deb x' }, y: { source: 'deb y' } }, preserve: true },
      hostname: 'h2',
      runcmd: ['r'],
    });
  });

  it('is deterministic: same inputs, same bytes', () => {
    expect(renderSeed(templates, inputs())).toEqual(renderSeed(templates, inputs()));
    expect(renderSeed(templates, inputs({ hostname: 'drbd2' }))['meta-data']).not.toEqual(
      renderSeed(templates, inputs())['meta-data'],
    );
  });
});
