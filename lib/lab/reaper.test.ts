// The reaper's decisions against a fake libvirt and a fake process table: which labs it removes
// (owner gone: exited, pid reused, other boot) and which it leaves (owner alive, the user's,
// made before owners).
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Owner } from '../host/owner.js';
import { renderNetworkXml } from '../libvirt/network-xml.js';
import { fakeWorld, type FakeWorld } from './fake-host.js';
import { Lab } from './lab.js';
import { keepForUser, setLabOwner } from './ownership.js';
import { labPaths } from './paths.js';
import { reapOrphans, sweepLabsOf } from './reaper.js';
import type { StartedLab } from './started-lab.js';

let w: FakeWorld;

beforeEach(async () => {
  w = await fakeWorld();
});
afterEach(async () => {
  await w.dispose();
});

function start(): Promise<StartedLab> {
  return new Lab(w.config, w.profile, w.host).start(w.plan({ accel: 'tcg', mode: 'forced', reason: 'test' }), { progress: w.progress, pickPort: w.pickPort });
}

async function labOwnedBy(owner: Owner): Promise<StartedLab> {
  const lab = await start();
  await setLabOwner(lab.state, owner, w.host);
  return lab;
}

const reap = () => reapOrphans(w.config.libvirtUri, w.host);
const left = (lab: StartedLab) => w.libvirt.leftovers(lab.id).length + (existsSync(labPaths(w.host.folders.state, lab.id).dir) ? 1 : 0);

describe('the reaper decides by owner', () => {
  it('removes the labs whose owner exited, whose pid now names another process, or that are of another boot; leaves the live, the user\'s and those of before owners', async () => {
    const procs = w.host.processes;
    // All up first: each start reaps too, and must not decide for this test.
    const [alive, exited, reused, otherBoot, users, beforeOwners] = [await start(), await start(), await start(), await start(), await start(), await start()] as const;
    await setLabOwner(alive.state, procs.spawn(), w.host);
    const exitedOwner = procs.spawn();
    await setLabOwner(exited.state, exitedOwner, w.host);
    const reusedOwner = procs.spawn();
    await setLabOwner(reused.state, reusedOwner, w.host);
    await setLabOwner(otherBoot.state, { ...procs.spawn(), bootId: 'an-earlier-boot' }, w.host);
    await keepForUser(users.state, w.host);
    await setLabOwner(beforeOwners.state, procs.spawn(), w.host);
    await withoutOwner(beforeOwners);
    procs.exit(exitedOwner.pid);
    procs.reuse(reusedOwner.pid);
    procs.exit(beforeOwners.state.owner!.pid);

    const reaped = await reap();

    expect(reaped.map((r) => r.labId).sort()).toEqual([exited.id, reused.id, otherBoot.id].sort());
    expect(reaped.find((r) => r.labId === exited.id)).toMatchObject({ why: `its owner, pid ${exitedOwner.pid}, is gone` });
    expect(reaped.filter((r) => r.failed)).toEqual([]);
    expect(reaped.find((r) => r.labId === exited.id)!.removed).toEqual(
      expect.arrayContaining([`domain drbdlab-${exited.id}-drbd1`, `network drbdlab-${exited.id}-repl`, `folder ${labPaths(w.host.folders.state, exited.id).dir}`]),
    );
    for (const gone of [exited, reused, otherBoot]) expect(left(gone)).toBe(0);
    for (const kept of [alive, users, beforeOwners]) expect(left(kept)).toBe(5);
  });

  it("the metadata libvirt shows decides: a user's lab stays after the process that started it is gone", async () => {
    const starter = w.host.processes.spawn();
    w.host.owner = () => starter;
    const lab = await start();
    // `up` hands the lab over once it is ready: the running domains must show the new owner.
    await keepForUser(lab.state, w.host);
    w.host.processes.exit(starter.pid);
    expect(await reap()).toEqual([]);
    expect(left(lab)).toBe(5);
  });

  it('a lab known only to libvirt (its folder gone) is reaped by the owner in its metadata', async () => {
    const owner = w.host.processes.spawn();
    const lab = await labOwnedBy(owner);
    const { rm } = await import('node:fs/promises');
    await rm(labPaths(w.host.folders.state, lab.id).dir, { recursive: true });
    w.host.processes.exit(owner.pid);
    const [r] = await reap();
    expect(r).toMatchObject({ labId: lab.id, why: `its owner, pid ${owner.pid}, is gone` });
    expect(w.libvirt.leftovers(lab.id)).toEqual([]);
  });

  it('a network without domains or owner (a kill mid-teardown) is reaped', async () => {
    const file = join(w.root, 'net.xml');
    await writeFile(file, renderNetworkXml({ name: 'drbdlab-0bad00-repl', bridge: 'dlab-0bad00' }));
    await w.libvirt.defineNetwork(file);
    await w.libvirt.startNetwork('drbdlab-0bad00-repl');
    const reaped = await reap();
    expect(reaped).toEqual([{ labId: '0bad00', why: 'a network without domains or owner', removed: ['network drbdlab-0bad00-repl'] }]);
    expect(w.libvirt.leftovers()).toEqual([]);
  });

  it('half-built image and snapshot folders: those of a gone build are removed, a live build\'s stay', async () => {
    const live = w.host.processes.spawn();
    const dead = w.host.processes.spawn();
    w.host.processes.exit(dead.pid);
    const images = join(w.host.folders.cache, 'images');
    const liveDir = join(images, `debian12-drbd84-aaaa.building-${live.pid}-${live.startTime}`);
    const deadDir = join(images, `debian12-drbd84-bbbb.building-${dead.pid}-${dead.startTime}`);
    for (const d of [liveDir, deadDir]) await mkdir(d, { recursive: true });
    const reaped = await reap();
    expect(reaped.map((r) => r.why)).toEqual([`an image build of pid ${dead.pid} that is gone`]);
    expect(existsSync(liveDir)).toBe(true);
    expect(existsSync(deadDir)).toBe(false);
  });

  it('a removal that fails is reported, not thrown at the command that reaps, and done by the next one', async () => {
    const owner = w.host.processes.spawn();
    const lab = await labOwnedBy(owner);
    w.host.processes.exit(owner.pid);
    w.libvirt.fail('undefine', { name: /-drbd2$/, stderr: "error: Failed to undefine domain 'x'\nerror: internal error: cannot remove nvram" });
    const [first] = await reap();
    expect(first).toMatchObject({ labId: lab.id, removed: [], failed: expect.stringMatching(/cannot remove nvram/) });
    expect(w.libvirt.leftovers(lab.id)).not.toEqual([]);
    const [again] = await reap();
    expect(again).toMatchObject({ labId: lab.id });
    expect(again!.failed).toBeUndefined();
    expect(left(lab)).toBe(0);
  });
});

describe('sweepLabsOf', () => {
  it('removes every lab of one owner, alive or not, and only those', async () => {
    const job = w.host.processes.spawn();
    const mine = [await labOwnedBy(job), await labOwnedBy(job)];
    const other = await labOwnedBy(w.host.processes.spawn());
    const swept = await sweepLabsOf(job, w.config.libvirtUri, w.host);
    expect(swept.map((r) => r.labId).sort()).toEqual(mine.map((l) => l.id).sort());
    for (const l of mine) expect(left(l)).toBe(0);
    expect(left(other)).toBe(5);
  });
});

/** As a lab made before owners were recorded: no owner in its state or its domains' metadata. */
async function withoutOwner(lab: StartedLab): Promise<void> {
  const file = labPaths(w.host.folders.state, lab.id).state;
  const state = JSON.parse(await readFile(file, 'utf8'));
  delete state.owner;
  await writeFile(file, JSON.stringify(state));
  for (const n of lab.state.nodes) {
    const d = w.libvirt.domains.get(n.domain)!;
    const strip = (x?: string) => x?.replace(/ owner-(kind|pid|start|boot)="[^"]*"/g, '');
    d.config = strip(d.config);
    d.live = strip(d.live);
  }
}
