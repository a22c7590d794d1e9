// Cluster snapshots against a fake libvirt: made once (fresh up, sync, save), restored as many
// labs at once (each its own names: the save images are retargeted, and the fake libvirt refuses
// an image that names another domain, as libvirt does), invalidated by their inputs, pruned.
import { existsSync, readdirSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeWorld, type FakeWorld } from '../lab/fake-host.js';
import { Lab } from '../lab/lab.js';
import { labPaths } from '../lab/paths.js';
import type { StartedLab } from '../lab/started-lab.js';
import { LIBVIRT_SAYS } from '../libvirt/fake-libvirt.js';
import { ClusterSnapshot, ensureSnapshot, planRun, restorePlanned } from './cluster-snapshot.js';
import { snapshotPaths } from './store.js';

let w: FakeWorld;
let lab: Lab;
let restored: StartedLab[];

beforeEach(async () => {
  w = await fakeWorld();
  lab = new Lab(w.config, w.profile, w.host, 'tcg');
  restored = [];
});
afterEach(async () => {
  for (const l of restored) await l.down();
  await w.dispose();
});

/** One run's making: its plan (image, hypervisor), then the ready snapshot on it. */
const make = (l = lab) => planRun(l, { progress: w.progress });
const restore = (s: ClusterSnapshot) => s.restore({ progress: w.progress, pickPort: w.pickPort }).then((l) => (restored.push(l), l));

/** Nothing of any lab in the fake libvirt, and no lab folder. */
function noLabLeft(): void {
  expect(w.libvirt.leftovers()).toEqual([]);
  expect(existsSync(w.host.folders.state) ? readdirSync(w.host.folders.state) : []).toEqual([]);
}

function cacheFolders(): string[] {
  return existsSync(w.host.folders.snapshots) ? readdirSync(w.host.folders.snapshots).filter((f) => !f.endsWith('.lock')) : [];
}

describe('ensureSnapshot', () => {
  it('makes a ready snapshot once: a fresh up, every node synced, saved; the lab that made it is gone', async () => {
    const { snapshot, created } = await make();
    expect(created).toBe(true);
    const m = snapshot.manifest;
    expect(m).toMatchObject({ point: 'ready', accel: 'tcg', profile: 'debian12-drbd84', user: 'drbdlab' });
    expect(m.versions).toMatchObject({ 'drbd-utils': '9.22.0-1', '/proc/drbd': '8.4.11' });
    expect(w.host.guests.commands.filter((c) => c.endsWith(': sync')).sort()).toEqual(['drbd1: sync', 'drbd2: sync', 'drbd3: sync']);
    // All paused before the first save: one consistent cut across the nodes.
    const calls = w.libvirt.calls.filter((c) => /^(suspend|save) /.test(c)).map((c) => c.split(' ')[0]);
    expect(calls).toEqual(['suspend', 'suspend', 'suspend', 'save', 'save', 'save']);
    for (const n of m.nodes) {
      const p = snapshotPaths(snapshot.dir);
      expect((await readFile(p.memory(n.name))).toString('latin1')).toContain(`<name>${n.savedName}</name>`);
      expect(existsSync(p.rootDisk(n.name)) && existsSync(p.dataDisk(n.name)) && existsSync(p.seedIso(n.name))).toBe(true);
    }
    expect(cacheFolders()).toEqual([snapshot.dir.split('/').pop()]);
    noLabLeft();
  });

  it('the second time it is cached: no lab is started', async () => {
    const first = await make();
    const defines = w.libvirt.callsOf('define').length;
    const second = await make();
    expect(second.created).toBe(false);
    expect(second.snapshot.dir).toBe(first.snapshot.dir);
    expect(w.libvirt.callsOf('define')).toHaveLength(defines);
  });

  it('its inputs invalidate it: another lab.yaml makes another snapshot; a pruned base image makes it unusable', async () => {
    const a = (await make()).snapshot;
    const bigger = new Lab({ ...w.config, memoryMiB: 768 }, w.profile, w.host);
    const b = await make(bigger);
    expect(b.created).toBe(true);
    expect(b.snapshot.dir).not.toBe(a.dir);
    await rm(w.image.disk);
    await expect(ClusterSnapshot.load(a.dir, w.host)).rejects.toThrow(`no usable cluster snapshot in ${a.dir} (gone, or its base image was pruned): run \`npm run lab -- up --snapshot\` to make one`);
  });

  it('over the cache bound the least recently used is pruned; the one just made stays', async () => {
    const a = (await make()).snapshot;
    // The bound given by the run, whatever the environment says.
    vi.stubEnv('DRBDLAB_SNAPSHOT_CACHE_GIB', '100');
    const b = (await planRun(new Lab({ ...w.config, memoryMiB: 768 }, w.profile, w.host, 'tcg'), { progress: w.progress, cacheMaxBytes: 0 }).finally(() => vi.unstubAllEnvs())).snapshot;
    expect(w.said).toContain(`snapshot cache: pruned ${a.dir}`);
    expect(cacheFolders()).toEqual([b.dir.split('/').pop()]);
  });

  it('QEMU dies mid-save: no snapshot (not even a half one), no lab left', async () => {
    w.libvirt.dieDuringSave(/-drbd2$/);
    await expect(make()).rejects.toMatchObject({ name: 'VirshError', stderr: expect.stringMatching(/domain is not running/) });
    expect(cacheFolders()).toEqual([]);
    noLabLeft();
    // The next run makes it.
    expect((await make()).created).toBe(true);
  });

  it('a lab that fell back to TCG while the snapshot was made is saved as what it ran on: TCG, under the identity the next run plans', async () => {
    lab = new Lab(w.config, w.profile, w.host, 'auto');
    // The probe boots under KVM; the lab's drbd3 does not.
    w.libvirt.fail('start', { name: /-drbd3$/, stderr: (d) => LIBVIRT_SAYS.kvmRefused(d) });
    const first = await make();
    expect(first.created).toBe(true);
    expect(first.snapshot.manifest).toMatchObject({ accel: 'tcg', inputs: { accel: 'tcg' } });
    expect(first.snapshot.manifest.inputs.cpu).toBeUndefined();
    // The run goes on with the snapshot's hypervisor, not the one it planned.
    expect(first.plan.accel).toMatchObject({ accel: 'tcg', reason: expect.stringMatching(/^KVM fell back to TCG while snapshot ready /) });
    expect(w.said).toContainEqual(expect.stringMatching(/^snapshot ready: the lab fell back from kvm to tcg while it was made; saved as what it ran on, [0-9a-f]{12}$/));
    expect(cacheFolders()).toEqual([first.snapshot.dir.split('/').pop()]);
    noLabLeft();
    // The host's verdict is TCG now: the next run plans TCG and finds that very snapshot.
    const again = await make();
    expect(again.created).toBe(false);
    expect(again.snapshot.dir).toBe(first.snapshot.dir);
    expect(again.plan.accel.accel).toBe('tcg');
    // …and the run's scenarios restore it on the plan it gave.
    const l = await restorePlanned(first.plan, { host: w.host, progress: w.progress, pickPort: w.pickPort });
    restored.push(l);
    expect(l.state.accel).toBe('tcg');
  });

  it('a later starting point is made from the ready one: restored, its steps run, saved', async () => {
    const steps: string[] = [];
    const step = { point: 'r0-up', source: 'drbdadm up r0', run: async (l: StartedLab) => void steps.push(`on ${l.id}`) };
    const { snapshot } = await ensureSnapshot(lab, await lab.plan(), { progress: w.progress, step });
    expect(snapshot.manifest.point).toBe('r0-up');
    expect(snapshot.manifest.inputs.parent).toMatch(/^[0-9a-f]{64}$/);
    expect(steps).toHaveLength(1);
    expect(cacheFolders()).toHaveLength(2);
    noLabLeft();
  });
});

describe('ClusterSnapshot.restore', () => {
  it('two labs from one snapshot at once: own names and ports, every node resumed only after all were loaded', async () => {
    const { snapshot } = await make();
    const [a, b] = await Promise.all([restore(snapshot), restore(snapshot)]);
    expect(a!.id).not.toBe(b!.id);
    for (const l of [a!, b!]) {
      expect(l.state.snapshot).toMatchObject({ point: 'ready', digest: snapshot.manifest.digest });
      for (const n of l.state.nodes) {
        expect(await w.libvirt.domainState(n.domain)).toBe('running');
        expect(w.libvirt.forwardedPort(n.domain)).toBe(n.sshPort);
        // The memory copy is removed once the node runs.
        expect(existsSync(labPaths(w.host.folders.state, l.id).memory(n.name))).toBe(false);
      }
      const mine = w.libvirt.calls.filter((c) => c.includes(l.id) && /^(restore|resume) /.test(c)).map((c) => c.split(' ')[0]);
      expect(mine).toEqual(['restore', 'restore', 'restore', 'resume', 'resume', 'resume']);
    }
    expect(w.host.guests.commands.filter((c) => c.endsWith('set clock'))).toHaveLength(6);
  });

  it('a forwarded port taken on restore: the node gets a new one', async () => {
    const { snapshot } = await make();
    const taken = 31_400;
    w.libvirt.holdPort(taken);
    let first = true;
    const l = await snapshot.restore({ progress: w.progress, pickPort: async () => (first ? ((first = false), taken) : w.pickPort()) });
    restored.push(l);
    const drbd1 = l.state.nodes[0]!;
    expect(drbd1.sshPort).not.toBe(taken);
    expect(w.said).toContain(`drbd1: 127.0.0.1:${taken} was taken by another process; forwarding SSH from 127.0.0.1:${drbd1.sshPort} instead`);
    expect(await w.libvirt.domainState(drbd1.domain)).toBe('running');
  });

  it('a restore that fails leaves no lab, and the snapshot as it was', async () => {
    const { snapshot } = await make();
    const before = (await readFile(snapshotPaths(snapshot.dir).memory('drbd3'))).toString('latin1');
    w.libvirt.fail('restore', { name: /-drbd3$/, stderr: 'error: Failed to restore domain\nerror: internal error: qemu unexpectedly closed the monitor' });
    await expect(restore(snapshot)).rejects.toThrow(/closed the monitor/);
    noLabLeft();
    expect((await readFile(snapshotPaths(snapshot.dir).memory('drbd3'))).toString('latin1')).toBe(before);
    expect((await restore(snapshot)).state.phase).toBe('up');
  });
});
