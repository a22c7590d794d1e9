// The real thing: three VMs on this host's libvirt, reached over 127.0.0.1 only.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLabConfig } from '../../lib/config/load-lab.js';
import type { LabConfig } from '../../lib/config/lab-schema.js';
import { DEFAULT_CONFIG } from '../../lib/cli/context.js';
import { Debian12Profile } from '../../lib/image/debian12-profile.js';
import { Lab } from '../../lib/lab/lab.js';
import { labPaths } from '../../lib/lab/paths.js';
import type { StartedLab } from '../../lib/lab/started-lab.js';
import { Virsh } from '../../lib/libvirt/virsh.js';

let config: LabConfig;
let lab: StartedLab | undefined;

beforeAll(async () => {
  config = await loadLabConfig(DEFAULT_CONFIG);
  lab = await new Lab(config, new Debian12Profile()).start({
    progress: (m) => console.log(`[lab] ${m}`),
  });
  console.log(`[lab] timings ${JSON.stringify(lab.timings)}`);
});

afterAll(async () => {
  await lab?.[Symbol.asyncDispose]();
});

describe('three-VM lab on libvirt', () => {
  it('answers SSH as the lab user on every node, with the hostname from lab.yaml', async () => {
    for (const n of config.nodes) {
      const node = lab!.node(n.name);
      expect(await node.output('id -un')).toBe('drbdlab');
      expect(await node.output('hostname')).toBe(n.name);
      // Password login is off: only the injected key gets in.
      expect(await node.output('sudo sshd -T | grep -i "^passwordauthentication"')).toBe('passwordauthentication no');
    }
  });

  it('each node reaches the other two over the replication network', async () => {
    for (const n of config.nodes) {
      const node = lab!.node(n.name);
      expect(await node.output(`ip -4 -o addr show | grep -c 'inet ${n.replicationIp}/24'`)).toBe('1');
      for (const peer of config.nodes.filter((p) => p.name !== n.name)) {
        const r = await node.exec(`ping -c 2 -W 5 ${peer.replicationIp}`, { timeoutMs: 30_000 });
        expect(r.stdout).toMatch(/2 packets transmitted, 2 received/);
        // /etc/hosts names the peers as the walkthrough writes them.
        expect(await node.output(`getent hosts ${peer.name}`)).toMatch(new RegExp(`^${peer.replicationIp.replace(/\./g, '\\.')}\\s+${peer.name}$`));
      }
    }
  });

  it('has the second disk with the size lab.yaml gives', async () => {
    for (const n of config.nodes) {
      const bytes = Number(await lab!.node(n.name).output('lsblk -bdno SIZE /dev/vdb'));
      expect(bytes).toBe(config.dataDiskGiB * 2 ** 30);
    }
  });

  it('keeps the serial console of every node in a file', async () => {
    for (const n of config.nodes) {
      expect(await lab!.node(n.name).consoleLog()).toMatch(new RegExp(`${n.name} login:`));
    }
  });

  it('comes back from `sudo reboot` with a new boot and the same pinned host key', async () => {
    const node = lab!.node('drbd2');
    const before = await node.bootId();
    const fingerprintBefore = await node.output('sudo ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub');
    await node.reboot();
    // reboot() reconnected through the session, which refuses any host key but the pinned one.
    expect(await node.bootId()).not.toBe(before);
    expect(await node.output('sudo ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub')).toBe(fingerprintBefore);
    expect(lab!.state.nodes.find((n) => n.name === 'drbd2')!.hostKey).toContain(fingerprintSource(await node.output('sudo cat /etc/ssh/ssh_host_ed25519_key.pub')));
  });

  it('down leaves no domain, network or file of the lab', async () => {
    const id = lab!.id;
    const virsh = new Virsh(config.libvirtUri);
    await lab!.down();
    expect((await virsh.listDomains()).filter((d) => d.includes(id))).toEqual([]);
    expect((await virsh.listNetworks()).filter((d) => d.includes(id))).toEqual([]);
    expect(existsSync(labPaths(id).dir)).toBe(false);
    // Idempotent: a second down finds nothing and does not fail.
    expect(await lab!.down()).toEqual([]);
  });
});

function fingerprintSource(pubLine: string): string {
  return pubLine.trim().split(/\s+/)[1]!;
}
