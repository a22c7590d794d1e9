import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadTemplates, mergeCloudConfig, renderEtcHosts, renderSeed } from '../cloud-init/render.js';
import { buildPinManifest, pinDigestPart, type PinManifest } from './pinning.js';
import {
  dataPartition,
  imageFileName,
  PROVISION_DONE,
  renderProvisioningSeed,
  renderUbuntuProvisioning,
  ubuntu1804Recipe,
  ubuntuRecipeDigest,
  WALKTHROUGH_HOSTS,
} from './ubuntu1804-recipe.js';

type Obj = Record<string, any>;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

function pinned(dkmsVersion = '9.0.32-1ppa1~bionic1'): PinManifest {
  const dpkg = `drbd-utils\t9.22.0-1ppa1~bionic1\tamd64\npython-drbdmanage\t0.99.18-1ppa1~bionic1\tall\ndrbd-dkms\t${dkmsVersion}\tall\ndkms\t2.3-3ubuntu9.7\tall\n`;
  const names = [
    'drbd-utils_9.22.0-1ppa1~bionic1_amd64.deb',
    'python-drbdmanage_0.99.18-1ppa1~bionic1_all.deb',
    `drbd-dkms_${dkmsVersion}_all.deb`,
    'dkms_2.3-3ubuntu9.7_all.deb',
  ];
  return buildPinManifest(dpkg, names.map((filename) => ({ filename, sha256: sha(filename) })));
}

/** The runcmd lines as cloud-init runs them: one /bin/sh script. */
const script = (cfg: Obj) => `#!/bin/sh\n${(cfg.runcmd as string[]).join('\n')}\n`;

describe('ubuntu1804Recipe', () => {
  it('is the walkthrough: bionic cloud image + SHA256SUMS, the LINBIT PPA, the three packages, the second disk', () => {
    const r = ubuntu1804Recipe();
    expect(r).toEqual({
      profile: 'ubuntu1804-drbd9',
      imageUrl: 'https://cloud-images.ubuntu.com/releases/bionic/release/bionic-server-cloudimg-amd64.img',
      sha256sumsUrl: 'https://cloud-images.ubuntu.com/releases/bionic/release/SHA256SUMS',
      ppa: 'ppa:linbit/linbit-drbd9-stack',
      packages: ['drbd-utils', 'python-drbdmanage', 'drbd-dkms'],
      dataDisk: '/dev/vdb',
      dataDiskGiB: 2,
      exportDisk: '/dev/vdc',
      diskSizeGiB: 8,
      hosts: WALKTHROUGH_HOSTS,
    });
    expect(imageFileName(r)).toBe('bionic-server-cloudimg-amd64.img');
    expect(dataPartition(r)).toBe('/dev/vdb1');
    expect(dataPartition({ ...r, dataDisk: '/dev/nvme1n1' })).toBe('/dev/nvme1n1p1');
    expect(ubuntu1804Recipe({ pinnedDebs: pinned() }).pinnedDebs).toEqual(pinned());
  });
});

describe('renderUbuntuProvisioning', () => {
  const cfg = renderUbuntuProvisioning(ubuntu1804Recipe()) as Obj;
  const run = cfg.runcmd as string[];
  const at = (line: string) => {
    const i = run.indexOf(line);
    expect(i, `runcmd has: ${line}`).toBeGreaterThanOrEqual(0);
    return i;
  };

  it('is valid cloud-config (YAML round trip, the keys cloud-init knows)', () => {
    const text = `#cloud-config\n${stringify(cfg, { version: '1.1', lineWidth: 0 })}`;
    expect(parse(text)).toEqual(cfg);
    expect(Object.keys(cfg).sort()).toEqual(['bootcmd', 'manage_etc_hosts', 'power_state', 'runcmd', 'write_files']);
  });

  it('runs the walkthrough\'s steps 3–8 in order, as the walkthrough writes them', () => {
    const order = [
      `printf 'label: dos\\n,,L\\n' | sfdisk /dev/vdb`,
      'apt-get update',
      'apt-get -y upgrade',
      'apt-get -y dist-upgrade',
      'apt -y autoremove',
      'add-apt-repository -y ppa:linbit/linbit-drbd9-stack',
      'apt-get install -y drbd-utils python-drbdmanage drbd-dkms',
      'pvcreate /dev/vdb1',
      'vgcreate drbdpool /dev/vdb1',
    ].map(at);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(run.findIndex((l) => l.endsWith('> /etc/hosts'))).toBeGreaterThan(at('apt -y autoremove'));
    expect(run.findIndex((l) => l.endsWith('> /etc/hosts'))).toBeLessThan(at('add-apt-repository -y ppa:linbit/linbit-drbd9-stack'));
  });

  it('is unattended: set -e, DEBIAN_FRONTEND, postfix preseeded with "No configuration", conffiles kept', () => {
    expect(run[0]).toBe('set -eux');
    const install = at('apt-get install -y drbd-utils python-drbdmanage drbd-dkms');
    expect(at('export DEBIAN_FRONTEND=noninteractive')).toBeLessThan(at('apt-get update'));
    expect(at(`echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections`)).toBeLessThan(install);
    expect(cfg.write_files).toContainEqual({
      path: '/etc/apt/apt.conf.d/90-drbdlab-noninteractive',
      permissions: '0644',
      content: 'Dpkg::Options { "--force-confdef"; "--force-confold"; };\n',
    });
    expect(cfg.bootcmd[0]).toMatch(/^systemctl mask --now apt-daily\.timer apt-daily-upgrade\.timer/);
  });

  it('writes /etc/hosts exactly as renderEtcHosts does', () => {
    const line = run.find((l) => l.endsWith(' > /etc/hosts'))!;
    const out = execFileSync('sh', ['-c', line.replace(/ > \/etc\/hosts$/, '')], { encoding: 'utf8' });
    expect(out).toBe(renderEtcHosts(WALKTHROUGH_HOSTS));
    expect(out).toContain('10.255.255.103 drbd3\n');
  });

  it('records versions and /proc/drbd, saves the installed debs, exports them, then says it is done', () => {
    const query = at(`dpkg-query -W drbd-utils python-drbdmanage drbd-dkms 'linux-image-*' > /var/lib/drbdlab/versions.txt`);
    const modprobe = at('modprobe drbd');
    const proc = at('cat /proc/drbd > /var/lib/drbdlab/proc-drbd.txt');
    const clean = at('apt-get clean');
    const save = at('cp /var/cache/apt/archives/*.deb /var/lib/drbdlab/pinned/');
    const exp = at('tar -C /var/lib/drbdlab -cf /dev/vdc .');
    expect(clean).toBeLessThan(at('apt-get install -y drbd-utils python-drbdmanage drbd-dkms'));
    expect(at('vgcreate drbdpool /dev/vdb1')).toBeLessThan(query);
    expect(modprobe).toBeLessThan(proc);
    expect(save).toBeLessThan(exp);
    expect(run.at(-1)).toBe(`printf '%s\\n' '${PROVISION_DONE}'`);
    expect(run).toContain(`dpkg-query -W -f '\${Package}\\t\${Version}\\t\${Architecture}\\n' > /var/lib/drbdlab/dpkg-all.tsv`);
  });

  it('powers off afterwards, whatever runcmd did', () => {
    expect(cfg.power_state).toMatchObject({ mode: 'poweroff', condition: true });
  });

  it('the runcmd script is valid sh (sh -n)', () => {
    expect(() => execFileSync('sh', ['-n'], { input: script(cfg) })).not.toThrow();
  });

  it('the trap reports a failed step with its exit status, and nothing on success', () => {
    const trap = run.find((l) => l.startsWith('trap '))!;
    const r = (body: string) => {
      try {
        return execFileSync('sh', ['-c', `set -e\n${trap}\n${body}`], { encoding: 'utf8' });
      } catch (e) {
        return (e as { stdout: string }).stdout;
      }
    };
    expect(r('exit 100')).toBe('drbdlab: provisioning failed (exit 100)\n');
    expect(r('true')).toBe('');
  });

  it('merges into the base user-data with mergeCloudConfig', async () => {
    const templates = await loadTemplates();
    const seed = renderSeed(templates, {
      hostname: 'drbd1',
      instanceId: 'i-1',
      user: 'drbdlab',
      authorizedKey: 'ssh-ed25519 AAAA user',
      hostKeyPrivate: 'PRIVATE',
      hostKeyPublic: 'ssh-ed25519 AAAA host',
      mgmtMac: '52:54:00:00:01:01',
      mgmtAddress: '10.0.2.15/24',
      replMac: '52:54:00:00:02:01',
      replAddress: '10.255.255.101/24',
      hosts: WALKTHROUGH_HOSTS,
      extraUserData: renderUbuntuProvisioning(ubuntu1804Recipe()),
    });
    const ud = parse(seed['user-data']) as Obj;
    // The lab's own runcmd (cloud-init disables itself after the first boot) comes first.
    expect(ud.runcmd).toEqual([['touch', '/etc/cloud/cloud-init.disabled'], ...run]);
    expect(ud.power_state).toEqual(cfg.power_state);
    expect((ud.write_files as Obj[]).map((f) => f.path)).toEqual(['/etc/hosts', '/etc/apt/apt.conf.d/90-drbdlab-noninteractive']);
    expect(ud.users[0].name).toBe('drbdlab');
    expect(ud.manage_etc_hosts).toBe(false);
    // And by hand: lists concatenate, nothing of the base is lost.
    const base = parse(templates.userData) as Obj;
    mergeCloudConfig(base, renderUbuntuProvisioning(ubuntu1804Recipe()));
    expect(base.hostname).toBe('${hostname}');
    expect(base.write_files).toHaveLength(2);
  });
});

describe('renderUbuntuProvisioning, pinned', () => {
  const cfg = renderUbuntuProvisioning(ubuntu1804Recipe({ pinnedDebs: pinned() })) as Obj;
  const run = cfg.runcmd as string[];

  it('installs the saved versions from the local repo instead of the PPA', () => {
    expect(run.join('\n')).not.toContain('add-apt-repository');
    expect(run).toContain('apt-get install -y drbd-utils=9.22.0-1ppa1~bionic1 python-drbdmanage=0.99.18-1ppa1~bionic1 drbd-dkms=9.0.32-1ppa1~bionic1');
    expect(run).toContain('apt-mark hold drbd-utils python-drbdmanage drbd-dkms');
    expect(run).toContain('cp /opt/drbdlab-pinned/*.deb /var/lib/drbdlab/pinned/');
    expect(run).not.toContain('apt-get clean');
    expect(run.indexOf('apt -y autoremove')).toBeLessThan(run.indexOf('cp /mnt/drbdlab-seed/pinned/*.deb /opt/drbdlab-pinned/'));
    expect(run.indexOf('apt-mark hold drbd-utils python-drbdmanage drbd-dkms')).toBeLessThan(run.indexOf('pvcreate /dev/vdb1'));
    expect((cfg.write_files as Obj[]).map((f) => f.path)).toEqual([
      '/etc/apt/apt.conf.d/90-drbdlab-noninteractive',
      '/opt/drbdlab-pinned/SHA256SUMS',
      '/etc/apt/preferences.d/90-drbdlab-pinned',
    ]);
    expect(() => execFileSync('sh', ['-n'], { input: script(cfg) })).not.toThrow();
  });
});

describe('ubuntuRecipeDigest', () => {
  it('is stable, and changes with the pinned set (via pinDigestPart) and with any field', () => {
    const base = ubuntu1804Recipe();
    const d = ubuntuRecipeDigest(base);
    expect(d).toMatch(/^[0-9a-f]{64}$/);
    expect(ubuntuRecipeDigest(ubuntu1804Recipe())).toBe(d);
    const p1 = ubuntuRecipeDigest(ubuntu1804Recipe({ pinnedDebs: pinned() }));
    const p2 = ubuntuRecipeDigest(ubuntu1804Recipe({ pinnedDebs: pinned('9.0.33-1ppa1~bionic1') }));
    expect(new Set([d, p1, p2]).size).toBe(3);
    expect(pinDigestPart(pinned())).not.toBe(pinDigestPart(pinned('9.0.33-1ppa1~bionic1')));
    expect(ubuntuRecipeDigest({ ...base, dataDisk: '/dev/sdb' })).not.toBe(d);
    expect(ubuntuRecipeDigest({ ...base, ppa: 'ppa:linbit/linbit-drbd9-stack-rc' })).not.toBe(d);
    expect(ubuntuRecipeDigest({ ...base, hosts: WALKTHROUGH_HOSTS.slice(0, 2) })).not.toBe(d);
  });
});

describe('renderProvisioningSeed', () => {
  const seed = renderProvisioningSeed(ubuntu1804Recipe(), 'drbdlab-template-abc');

  it('user-data: the provisioning, no users (no lab key in the template)', () => {
    expect(seed['user-data'].startsWith('#cloud-config\n')).toBe(true);
    const ud = parse(seed['user-data']) as Obj;
    expect(ud.users).toEqual([]);
    expect(ud.ssh_pwauth).toBe(false);
    expect(ud.runcmd).toEqual(renderUbuntuProvisioning(ubuntu1804Recipe()).runcmd);
  });

  it('meta-data and a DHCP network-config for the one NIC, matched by MAC (quoted for YAML 1.1)', () => {
    expect(parse(seed['meta-data'])).toEqual({ 'instance-id': 'drbdlab-template-abc', 'local-hostname': 'drbdlab-template' });
    expect(seed['network-config']).toContain('"52:54:00:00:01:00"');
    expect(parse(seed['network-config'])).toEqual({
      version: 2,
      ethernets: { nic0: { match: { macaddress: '52:54:00:00:01:00' }, dhcp4: true, dhcp6: false, 'accept-ra': false } },
    });
  });
});
