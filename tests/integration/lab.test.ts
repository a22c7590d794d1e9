// The real thing: three VMs on this host's libvirt, reached over 127.0.0.1 only.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLabConfig } from '../../lib/config/load-lab.js';
import type { LabConfig } from '../../lib/config/lab-schema.js';
import { DEFAULT_CONFIG } from '../../lib/cli/context.js';
import { loadConfig, profileSettings } from '../../lib/config/config.js';
import { Debian12Profile } from '../../lib/image/debian12-profile.js';
import { Lab } from '../../lib/lab/lab.js';
import { realHost } from '../../lib/lab/lab-host.js';
import { labPaths } from '../../lib/lab/paths.js';
import type { StartedLab } from '../../lib/lab/started-lab.js';
import { Virsh } from '../../lib/libvirt/virsh.js';
import { freeLoopbackPort } from '../../lib/lab/ports.js';
import { restartLibvirtd } from '../support/libvirtd.js';

let config: LabConfig;
let lab: StartedLab | undefined;
/** The labs folder of the run's configuration. */
let labs: string;
const said: string[] = [];
/** A loopback port another process holds: handed to drbd1 as if taken between choice and start. */
let squatter: Server;
let squatted: number;
let libvirtdRestarted: Promise<void> | undefined;

beforeAll(async () => {
  config = await loadLabConfig(DEFAULT_CONFIG);
  squatter = createServer();
  await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
  squatted = (squatter.address() as { port: number }).port;
  let handedOut = false;
  // One start exercises three faults of the start path: a taken port, a KVM choice that
  // cannot boot (a CPU model no host has: libvirt refuses it anywhere) and libvirtd restarted
  // while the nodes boot.
  const run = await loadConfig();
  labs = run.paths.state;
  const profile = Debian12Profile.create(profileSettings(run));
  const image = await profile.ensureImage((m) => console.log(`[lab] ${m}`));
  const accel = { accel: 'kvm', cpu: { model: 'drbdlab-no-such-cpu' }, mode: 'auto', reason: 'test: as if the probe had passed' } as const;
  lab = await new Lab(config, profile, realHost(run.paths)).start({ profile: profile.name, image, accel }, {
    progress: (m) => {
      said.push(m);
      console.log(`[lab] ${m}`);
      if (/waiting for SSH and cloud-init/.test(m)) libvirtdRestarted = restartLibvirtd(config.libvirtUri);
    },
    pickPort: async () => {
      if (handedOut) return freeLoopbackPort();
      handedOut = true;
      return squatted;
    },
  });
  await libvirtdRestarted;
  console.log(`[lab] timings ${JSON.stringify(lab.timings)}`);
});

afterAll(async () => {
  squatter?.close();
  await lab?.[Symbol.asyncDispose]();
});

describe('the start path under faults', () => {
  it('a forwarded port taken by someone else between choice and start gets a new port, not a failure', async () => {
    const drbd1 = lab!.state.nodes.find((n) => n.name === 'drbd1')!;
    expect(said.some((m) => m.includes(`127.0.0.1:${squatted} was taken by another process`))).toBe(true);
    expect(drbd1.sshPort).not.toBe(squatted);
    expect(await lab!.node('drbd1').output('hostname')).toBe('drbd1');
  });

  it('a KVM choice that does not boot falls the whole lab back to TCG once, and says so', async () => {
    expect(said.filter((m) => /falling back to TCG for every node/.test(m))).toHaveLength(1);
    expect(lab!.state.accel).toBe('tcg');
    expect(lab!.state.accelReason).toMatch(/^KVM fell back to TCG: /);
    const virsh = new Virsh(config.libvirtUri);
    for (const n of lab!.state.nodes) expect(await virsh.run(['dumpxml', n.domain])).toMatch(/<domain type='qemu'/);
  });

  it('libvirtd restarted while the nodes booted: the lab completed and libvirt still knows its domains', async () => {
    expect(libvirtdRestarted).toBeDefined();
    const virsh = new Virsh(config.libvirtUri);
    for (const n of lab!.state.nodes) expect(await virsh.domainState(n.domain)).toBe('running');
  });
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
    expect(existsSync(labPaths(labs, id).dir)).toBe(false);
    // Idempotent: a second down finds nothing and does not fail.
    expect(await lab!.down()).toEqual([]);
  });
});

function fingerprintSource(pubLine: string): string {
  return pubLine.trim().split(/\s+/)[1]!;
}
