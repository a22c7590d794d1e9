// The start path against a fake libvirt (no VMs): the KVM→TCG fallback, the port retry, the
// teardown after a failure at each phase, two labs side by side.
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LIBVIRT_SAYS } from '../libvirt/fake-libvirt.js';
import type { AccelChoice } from '../libvirt/accel.js';
import { fakeWorld, type FakeWorld } from './fake-host.js';
import { Lab } from './lab.js';
import { labPaths } from './paths.js';
import type { StartOptions } from './lab-starter.js';
import type { StartedLab } from './started-lab.js';

const KVM_AUTO: AccelChoice = { accel: 'kvm', cpu: 'host-passthrough', mode: 'auto', reason: 'test: as if the probe had passed' };
const KVM_FORCED: AccelChoice = { ...KVM_AUTO, mode: 'forced', reason: 'DRBDLAB_ACCEL=kvm' };
const TCG: AccelChoice = { accel: 'tcg', mode: 'forced', reason: 'DRBDLAB_ACCEL=tcg' };

let w: FakeWorld;
let started: StartedLab[];

beforeEach(async () => {
  w = await fakeWorld();
  started = [];
});
afterEach(async () => {
  for (const lab of started) await lab.down();
  await w.dispose();
});

/** A fresh start on a made-up hypervisor choice (TCG unless given); `accel: undefined` plans it as a run does (the probe, or the host's verdict). */
async function start(o: StartOptions & { accel?: AccelChoice } = {}): Promise<StartedLab> {
  const { accel, ...opts } = o;
  const lab = new Lab(w.config, w.profile, w.host);
  const plan = 'accel' in o && accel === undefined ? await lab.plan({ progress: w.progress }) : w.plan(accel ?? TCG);
  return lab.start(plan, { progress: w.progress, pickPort: w.pickPort, ...opts }).then((l) => (started.push(l), l));
}

async function domainTypes(lab: StartedLab): Promise<string[]> {
  return Promise.all(lab.state.nodes.map(async (n) => /<domain\b[^>]*type="(\w+)"/.exec((await w.libvirt.domainXml(n.domain)) ?? '')?.[1] ?? 'none'));
}

/** Nothing of any lab in the fake libvirt, and no lab folder. */
function nothingLeft(): void {
  expect(w.libvirt.leftovers()).toEqual([]);
  expect(existsSync(w.host.folders.state) ? readdirSync(w.host.folders.state) : []).toEqual([]);
}

describe('a start on the fake host', () => {
  it('three domains running from their own files, one network; ready; down leaves nothing', async () => {
    const lab = await start();
    expect(lab.state.phase).toBe('up');
    expect(lab.nodeList.map((n) => n.name)).toEqual(['drbd1', 'drbd2', 'drbd3']);
    for (const n of lab.state.nodes) expect(await w.libvirt.domainState(n.domain)).toBe('running');
    expect(w.libvirt.networks.get(lab.state.network)?.active).toBe(true);
    expect(w.host.guests.awaited.sort()).toEqual(['drbd1', 'drbd2', 'drbd3']);
    // Domains are defined before the network: a network without domains is always an orphan.
    const order = w.libvirt.calls.filter((c) => /^(define|defineNetwork|startNetwork|start) /.test(c)).map((c) => c.split(' ')[0]);
    expect(order).toEqual(['define', 'define', 'define', 'defineNetwork', 'startNetwork', 'start', 'start', 'start']);
    await lab.down();
    started = [];
    nothingLeft();
  });
});

describe('guest CPU of a started lab', () => {
  it("per node, what each domain's QEMU has used; a node that is not running is an error, never 0", async () => {
    const lab = await start();
    const [d1, d2, d3] = lab.state.nodes.map((n) => n.domain);
    w.libvirt.cpu.set(d1!, 12.5).set(d2!, 3).set(d3!, 0.25);
    expect(await lab.guestCpu()).toEqual({ drbd1: 12.5, drbd2: 3, drbd3: 0.25 });
    // A power cut kills a QEMU; the cold boot's new one counts from zero: the killed one's CPU stays counted.
    await lab.node('drbd2').domain!.destroy();
    await expect(lab.guestCpu()).rejects.toMatchObject({ kind: 'parse', parser: 'virsh domstats' });
    await lab.node('drbd2').domain!.start();
    w.libvirt.cpu.set(d2!, 1.5);
    expect(await lab.guestCpu()).toEqual({ drbd1: 12.5, drbd2: 4.5, drbd3: 0.25 });
  });
});

describe('the fresh path', () => {
  it("boots on its plan's image and hypervisor: the profile's upstreams are not asked, the host's verdict not read", async () => {
    const asked: string[] = [];
    const profile = { ...w.profile, checkAvailable: async () => void asked.push('checkAvailable'), ensureImage: async () => (asked.push('ensureImage'), w.image) };
    const plan = w.plan(KVM_FORCED);
    const lab = await new Lab(w.config, profile, w.host).start(plan, { progress: w.progress, pickPort: w.pickPort });
    started.push(lab);
    expect(asked).toEqual([]);
    expect(w.libvirt.callsOf('version')).toEqual([]);
    expect(lab.state).toMatchObject({ accel: 'kvm', cpu: 'host-passthrough', accelReason: 'DRBDLAB_ACCEL=kvm', image: { digest: plan.image.digest, dir: plan.image.dir } });
    expect(lab.state.snapshot).toBeUndefined();
    expect(await domainTypes(lab)).toEqual(['kvm', 'kvm', 'kvm']);
    // Booted, not restored: no clock to set.
    expect(w.libvirt.callsOf('start')).toHaveLength(3);
    expect(w.libvirt.callsOf('restore')).toEqual([]);
    expect(w.host.guests.commands.filter((c) => c.endsWith('set clock'))).toEqual([]);
  });

  it('Lab.plan asks the profile once and the host once, and marks the choice as the host\'s verdict', async () => {
    const asked: string[] = [];
    const profile = { ...w.profile, checkAvailable: async () => void asked.push('checkAvailable'), ensureImage: async () => (asked.push('ensureImage'), w.image) };
    const plan = await new Lab(w.config, profile, w.host).plan({ progress: w.progress });
    expect(asked).toEqual(['checkAvailable', 'ensureImage']);
    expect(w.libvirt.callsOf('version')).toHaveLength(1);
    expect(plan).toMatchObject({ profile: 'debian12-drbd84', image: { digest: w.image.digest }, accel: { accel: 'kvm', mode: 'auto', hostVerdict: true } });
  });
});

describe('the job a lab belongs to (the nightly\'s pid) reaches its state from the start options', () => {
  it('ownerPid given: the lab is that job\'s; none: this process\'s, whatever DRBDLAB_OWNER_PID says', async () => {
    vi.stubEnv('DRBDLAB_OWNER_PID', String(process.ppid));
    try {
      expect((await start({ ownerPid: process.ppid })).state.owner).toMatchObject({ kind: 'process', pid: process.ppid });
      expect((await start()).state.owner).toMatchObject({ kind: 'process', pid: process.pid });
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('the run\'s DRBDLAB_ACCEL reaches the hypervisor choice from the edge', () => {
  it('Lab.plan chooses by the setting the lab was given, whatever DRBDLAB_ACCEL says now', async () => {
    vi.stubEnv('DRBDLAB_ACCEL', 'kvm');
    try {
      expect((await new Lab(w.config, w.profile, w.host, 'tcg').plan({ progress: w.progress })).accel).toEqual({ accel: 'tcg', mode: 'forced', reason: 'DRBDLAB_ACCEL=tcg', hostVerdict: true });
      // auto: the probe (KVM boots on the fake host), no remembered verdict was forced.
      expect((await new Lab(w.config, w.profile, w.host, 'auto').plan({ progress: w.progress })).accel).toMatchObject({ accel: 'kvm', mode: 'auto' });
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('KVM → TCG fallback', () => {
  it.each([
    ['libvirt refuses the KVM definition', 'refused-at-define', /Unknown CPU model/],
    ['libvirt refuses to start the KVM guest', 'refused-at-start', /KVM_CREATE_VM/],
    ["a KVM guest's QEMU dies after it started", 'dies', /QEMU died \(kvm: kvm_init_vcpu/],
    ["a KVM guest's console stays silent", 'silent', /console silent for 60 s/],
  ] as const)('%s: the whole lab goes to TCG once, and says so', async (_what, kvm, why) => {
    w.libvirt.kvm = kvm;
    const lab = await start({ accel: KVM_AUTO });
    const fallbacks = w.said.filter((m) => /falling back to TCG for every node/.test(m));
    expect(fallbacks).toHaveLength(1);
    expect(fallbacks[0]).toMatch(why);
    expect(lab.state.accel).toBe('tcg');
    expect(lab.state.accelReason).toMatch(/^KVM fell back to TCG: /);
    expect(lab.state.cpu).toBeUndefined();
    // Its waits are TCG's, scaled by 3: the lab's and every node's (one value, from its state).
    expect([lab.timeoutScale, ...lab.nodeList.map((n) => n.timeoutScale)]).toEqual([3, 3, 3, 3]);
    expect(await domainTypes(lab)).toEqual(['qemu', 'qemu', 'qemu']);
    for (const n of lab.state.nodes) expect(await w.libvirt.domainState(n.domain)).toBe('running');
    // What a later `status` or `down` reads says TCG too.
    expect(JSON.parse(await readFile(labPaths(w.host.folders.state, lab.id).state, 'utf8'))).toMatchObject({ accel: 'tcg' });
  });

  it("a made-up KVM choice (a test's, not the host's verdict) falls back without correcting the host's verdict", async () => {
    w.libvirt.kvm = 'refused-at-start';
    const lab = await start({ accel: KVM_AUTO });
    expect(lab.state.accel).toBe('tcg');
    expect(existsSync(join(w.host.folders.cache, 'hypervisor.json'))).toBe(false);
  });

  it('a KVM lab that boots stays KVM: no fallback', async () => {
    const lab = await start({ accel: KVM_AUTO });
    expect(lab.state.accel).toBe('kvm');
    expect([lab.timeoutScale, ...lab.nodeList.map((n) => n.timeoutScale)]).toEqual([1, 1, 1, 1]);
    expect(await domainTypes(lab)).toEqual(['kvm', 'kvm', 'kvm']);
    expect(w.said.filter((m) => /falling back/.test(m))).toEqual([]);
  });

  it('KVM named by DRBDLAB_ACCEL never falls back: the start fails and leaves nothing', async () => {
    w.libvirt.kvm = 'refused-at-start';
    await expect(start({ accel: KVM_FORCED })).rejects.toMatchObject({ name: 'VirshError', failure: 'other' });
    expect(w.said.filter((m) => /falling back/.test(m))).toEqual([]);
    nothingLeft();
  });

  it("the probe's verdict corrected: this host boot's later labs go straight to TCG", async () => {
    // The probe boots (host-passthrough), the lab's drbd2 does not.
    w.libvirt.fail('start', { name: /-drbd2$/, stderr: (d) => LIBVIRT_SAYS.kvmRefused(d) });
    const first = await start({ accel: undefined });
    expect(w.said).toContainEqual(expect.stringMatching(/^hypervisor: KVM, CPU host-passthrough/));
    expect(first.state.accel).toBe('tcg');
    const verdict = JSON.parse(await readFile(join(w.host.folders.cache, 'hypervisor.json'), 'utf8'));
    expect(verdict.choice).toMatchObject({ accel: 'tcg', reason: expect.stringMatching(/^KVM fell back: .*KVM_CREATE_VM/) });
    w.said.length = 0;
    const second = await start({ accel: undefined });
    expect(second.state.accel).toBe('tcg');
    expect(w.said).toContainEqual(expect.stringMatching(/^hypervisor: TCG \(KVM fell back: /));
    expect(w.said.filter((m) => /falling back/.test(m))).toEqual([]);
  });
});

describe('a forwarded port taken by another process', () => {
  it('between choice and start: the node gets a new port, re-defined, and the lab records it', async () => {
    const taken = 31_337;
    w.libvirt.holdPort(taken);
    let first = true;
    const lab = await start({ pickPort: async () => (first ? ((first = false), taken) : w.pickPort()) });
    const drbd1 = lab.state.nodes.find((n) => n.name === 'drbd1')!;
    expect(w.said).toContainEqual(`drbd1: 127.0.0.1:${taken} was taken by another process; forwarding SSH from 127.0.0.1:${drbd1.sshPort} instead`);
    expect(drbd1.sshPort).not.toBe(taken);
    expect(w.libvirt.forwardedPort(drbd1.domain)).toBe(drbd1.sshPort);
    expect(await readFile(labPaths(w.host.folders.state, lab.id).knownHosts, 'utf8')).toContain(`[127.0.0.1]:${drbd1.sshPort} ssh-ed25519 `);
    expect(JSON.parse(await readFile(labPaths(w.host.folders.state, lab.id).state, 'utf8')).nodes[0].sshPort).toBe(drbd1.sshPort);
    // Only drbd1 was started twice; the others once.
    expect(w.libvirt.callsOf('start').filter((c) => c.endsWith('-drbd1'))).toHaveLength(2);
    expect(w.libvirt.callsOf('start').filter((c) => c.endsWith('-drbd2'))).toHaveLength(1);
  });

  it('taken again at every attempt: after five the start fails with the port error and leaves nothing', async () => {
    const ports = [41_001, 41_002, 41_003, 41_004, 41_005, 41_006];
    for (const p of ports) w.libvirt.holdPort(p);
    let i = 0;
    await expect(start({ pickPort: async () => ports[Math.min(i++, ports.length - 1)]! })).rejects.toMatchObject({ failure: 'port-in-use' });
    expect(w.libvirt.callsOf('start').filter((c) => c.endsWith('-drbd1'))).toHaveLength(5);
    nothingLeft();
  });

  it('one node failing while another is still in its port retry: the teardown comes after the retry, nothing is left', async () => {
    w.libvirt.fail('start', { name: /-drbd1$/, stderr: "error: Failed to start domain 'x'\nerror: internal error: qemu exited" });
    const taken = 31_339;
    w.libvirt.holdPort(taken);
    let picks = 0;
    const pickPort = async () => (++picks === 2 ? taken : w.pickPort());
    // drbd1's failure comes while drbd2's re-define (new port) is still in libvirtd.
    w.libvirt.beforeCall('start', async (d) => {
      if (d.endsWith('-drbd1')) await new Promise((r) => setTimeout(r, 30));
    });
    let defines = 0;
    w.libvirt.beforeCall('define', async (d) => {
      if (d.endsWith('-drbd2') && ++defines === 2) await new Promise((r) => setTimeout(r, 100));
    });
    await expect(start({ pickPort })).rejects.toThrow(/qemu exited/);
    // Whatever was still in flight has landed by now.
    await new Promise((r) => setTimeout(r, 150));
    nothingLeft();
  });

  it('a port conflict is not a KVM failure: under an automatic KVM choice the port error ends the start, no fallback', async () => {
    const ports = [41_101, 41_102, 41_103, 41_104, 41_105, 41_106];
    for (const p of ports) w.libvirt.holdPort(p);
    let i = 0;
    await expect(start({ accel: KVM_AUTO, pickPort: async () => ports[Math.min(i++, ports.length - 1)]! })).rejects.toMatchObject({ failure: 'port-in-use' });
    expect(w.said.filter((m) => /falling back/.test(m))).toEqual([]);
    nothingLeft();
  });
});

describe('teardown after a failure at each phase', () => {
  it.each<[string, () => void]>([
    ['a node disk', () => (w.host.files.failNext = 'overlay')],
    ['a seed', () => (w.host.files.failNext = 'seedIso')],
    ['a define', () => void w.libvirt.fail('define', { name: /-drbd2$/, stderr: 'error: Failed to define domain\nerror: internal error: disk busy' })],
    ['the network define', () => void w.libvirt.fail('defineNetwork', { stderr: 'error: Failed to define network\nerror: internal error: bridge busy' })],
    ['the network start', () => void w.libvirt.fail('startNetwork', { stderr: 'error: Failed to start network\nerror: internal error: bridge busy' })],
    ['a node start', () => void w.libvirt.fail('start', { name: /-drbd3$/, stderr: 'error: Failed to start domain\nerror: internal error: qemu exited' })],
    ["a node's cloud-init", () => w.host.guests.cloudInitFails.add('drbd2')],
    ["a node's QEMU killed while the lab waits for it", () => void w.libvirt.beforeCall('domainState', (d) => (d.endsWith('-drbd1') ? w.libvirt.killQemu(d) : undefined))],
  ])('%s fails: nothing of the lab is left', async (_phase, breakIt) => {
    breakIt();
    await expect(start()).rejects.toThrow();
    expect(w.said).toContainEqual(expect.stringMatching(/start failed, removing what was made/));
    nothingLeft();
  });

  it('one node failing stops the waits of the others (nothing keeps polling a lab being removed)', async () => {
    w.host.guests.neverReady.add('drbd1').add('drbd3');
    w.host.guests.cloudInitFails.add('drbd2');
    await expect(start()).rejects.toMatchObject({ name: 'CloudInitError', node: 'drbd2' });
    nothingLeft();
  });

  it('Ctrl-C while the nodes start: the start ends with the interrupt and leaves nothing', async () => {
    const ac = new AbortController();
    w.libvirt.beforeCall('start', () => ac.abort(new Error('interrupted')));
    await expect(start({ signal: ac.signal })).rejects.toThrow('interrupted');
    nothingLeft();
  });

  it('--keep: a failed start is kept, handed to the user, and says how to remove it', async () => {
    w.host.guests.cloudInitFails.add('drbd2');
    await expect(start({ keepOnFailure: true })).rejects.toThrow(/cloud-init finished with errors/);
    const [id] = readdirSync(w.host.folders.state);
    expect(w.said).toContainEqual(`lab ${id}: start failed, kept for inspection (npm run lab -- down --lab ${id})`);
    const state = JSON.parse(await readFile(labPaths(w.host.folders.state, id!).state, 'utf8'));
    expect(state).toMatchObject({ phase: 'failed', owner: { kind: 'user' } });
    expect(w.libvirt.leftovers(id)).toHaveLength(4);
  });
});

describe('labs side by side', () => {
  it('one up, two more started at once: own names, networks and ports; none reaps another; one down leaves the others running', async () => {
    const a = await start();
    const [b, c] = await Promise.all([start(), start()]);
    const labs = [a, b!, c!];
    expect(new Set(labs.map((l) => l.id)).size).toBe(3);
    expect(new Set(labs.map((l) => l.state.network)).size).toBe(3);
    expect(new Set(labs.flatMap((l) => l.state.nodes.map((n) => n.sshPort))).size).toBe(9);
    // The later starts' reapers saw lab a: its owner, this process, is alive.
    expect(w.said.filter((m) => /reaped/.test(m))).toEqual([]);
    await b!.down();
    started = [a, c!];
    expect(w.libvirt.leftovers(b!.id)).toEqual([]);
    for (const l of [a, c!]) {
      expect(w.libvirt.leftovers(l.id)).toHaveLength(4);
      for (const n of l.state.nodes) expect(await w.libvirt.domainState(n.domain)).toBe('running');
      expect(existsSync(labPaths(w.host.folders.state, l.id).dir)).toBe(true);
    }
  });
});
