// status, down and doctor's lab check on a fake host with fake owners: each says whose a lab is
// in one line, and none offers to remove a lab a live process uses.
import { rm } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../errors.js';
import { fakeWorld, type FakeWorld } from '../../lab/fake-host.js';
import { Lab } from '../../lab/lab.js';
import { keepForUser, setLabOwner } from '../../lab/ownership.js';
import { labPaths } from '../../lab/paths.js';
import type { StartedLab } from '../../lab/started-lab.js';
import { describeWhose, labsOnHost } from '../../lab/whose.js';
import { downCommand, labChecks, statusCommand } from './labs.js';

let w: FakeWorld;
let said: string[];
const log = (line: string) => said.push(line);

beforeEach(async () => {
  w = await fakeWorld();
  said = [];
});
afterEach(async () => {
  await w.dispose();
});

function start(): Promise<StartedLab> {
  return new Lab(w.config, w.profile, w.host).start(w.plan({ accel: 'tcg', mode: 'forced', reason: 'DRBDLAB_ACCEL=tcg' }), { pickPort: w.pickPort });
}

/** Four labs: the user's, one a live nightly uses, one whose process ended, one in libvirt only (folder gone) that a live process uses. */
async function fourLabs() {
  const users = await start();
  const nightly = await start();
  const ended = await start();
  const elsewhere = await start();
  await keepForUser(users.state, w.host);
  const job = w.host.processes.spawn();
  await setLabOwner(nightly.state, job, w.host);
  const gone = w.host.processes.spawn();
  await setLabOwner(ended.state, gone, w.host);
  w.host.processes.exit(gone.pid);
  await setLabOwner(elsewhere.state, job, w.host);
  await rm(labPaths(w.host.folders.state, elsewhere.id).dir, { recursive: true });
  return { users, nightly, ended, elsewhere, job, gone };
}

const exists = (lab: StartedLab) => w.libvirt.leftovers(lab.id).length > 0;

describe('whose a lab is, in one line', () => {
  it.each([
    [{ kind: 'user' } as const, 'kept for the user'],
    [{ kind: 'running', pid: 4242 } as const, 'in use: its owner, pid 4242, is running'],
    [{ kind: 'orphaned', pid: 4242, why: 'exited' } as const, 'orphaned: its owner, pid 4242, has ended'],
    [{ kind: 'orphaned', pid: 4242, why: 'pid-reused' } as const, 'orphaned: its owner, pid 4242, has ended (the pid now names another process)'],
    [{ kind: 'orphaned', pid: 4242, why: 'rebooted' } as const, 'orphaned: its owner, pid 4242, ran before the host rebooted'],
    [{ kind: 'unknown' } as const, 'owner unknown (made before owners were recorded, or only its network is left)'],
  ])('%j: %s', (whose, line) => {
    expect(describeWhose(whose)).toBe(line);
  });
});

describe('status', () => {
  it("says whose each lab is; offers `down` only for a lab no live process uses", async () => {
    const { users, nightly, ended, elsewhere, job, gone } = await fourLabs();
    await statusCommand(w.config.libvirtUri, log, { host: w.host, nodeLines: async (l) => [`  (nodes of ${l.labId})`] });
    const line = (lab: StartedLab) => said.find((l) => l.startsWith(`lab ${lab.id}  `));
    expect(line(users)).toMatch(new RegExp(`^lab ${users.id}  up  profile debian12-drbd84  since \\S+  kept for the user$`));
    expect(line(nightly)).toMatch(new RegExp(`  in use: its owner, pid ${job.pid}, is running$`));
    expect(line(ended)).toMatch(new RegExp(`  orphaned: its owner, pid ${gone.pid}, has ended$`));
    expect(line(elsewhere)).toBe(`lab ${elsewhere.id}  in libvirt only (no folder here)  in use: its owner, pid ${job.pid}, is running`);
    expect(said).toContain(`  (nodes of ${users.id})`);
    expect(said.filter((l) => l.includes('down'))).toEqual([]);
  });

  it('a lab only libvirt has, that no live process uses: says so and how to remove it', async () => {
    const lab = await start();
    const gone = w.host.processes.spawn();
    await setLabOwner(lab.state, gone, w.host);
    w.host.processes.exit(gone.pid);
    await rm(labPaths(w.host.folders.state, lab.id).dir, { recursive: true });
    await statusCommand(w.config.libvirtUri, log, { host: w.host, nodeLines: async () => [] });
    expect(said).toEqual([`lab ${lab.id}  in libvirt only (no folder here)  orphaned: its owner, pid ${gone.pid}, has ended  (remove: npm run lab -- down --lab ${lab.id})`]);
  });

  it('no lab: one line', async () => {
    await statusCommand(w.config.libvirtUri, log, { host: w.host });
    expect(said).toEqual(['no lab here']);
  });
});

describe("doctor's lab check", () => {
  it('fails only the lab nobody owns, with its own `down --lab`; a live process\'s lab passes, with no fix', async () => {
    const { users, nightly, ended, elsewhere, job } = await fourLabs();
    const checks = labChecks(await labsOnHost(w.config.libvirtUri, w.host));
    const of = (lab: StartedLab) => checks.find((c) => c.name === `lab ${lab.id}`);
    expect(of(nightly)).toEqual({ name: `lab ${nightly.id}`, ok: true, detail: `in use: its owner, pid ${job.pid}, is running; left alone` });
    expect(of(elsewhere)?.ok).toBe(true);
    expect(of(elsewhere)?.fix).toBeUndefined();
    expect(of(users)).toEqual({ name: `lab ${users.id}`, ok: true, detail: `kept for the user (\`npm run lab -- down --lab ${users.id}\` when done)` });
    expect(of(ended)).toMatchObject({ ok: false, fix: `npm run lab -- down --lab ${ended.id}` });
    expect(checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([`lab ${ended.id}`]);
    // Nothing anywhere tells anyone to remove every lab.
    expect(JSON.stringify(checks)).not.toMatch(/--all/);
  });

  it('no lab: "leftover labs: none"', async () => {
    expect(labChecks(await labsOnHost(w.config.libvirtUri, w.host))).toEqual([{ name: 'leftover labs', ok: true, detail: 'none' }]);
  });
});

describe('down', () => {
  it('--all removes every lab but those a live process uses, and says which it spared', async () => {
    const { users, nightly, ended, elsewhere, job } = await fourLabs();
    await downCommand(w.config.libvirtUri, { all: true }, log, w.host);
    expect(exists(users) || exists(ended)).toBe(false);
    expect(exists(nightly) && exists(elsewhere)).toBe(true);
    expect(said).toContain(`lab ${nightly.id}: left alone, in use: its owner, pid ${job.pid}, is running (--force removes it too)`);
    expect(said).toContain(`lab ${elsewhere.id}: left alone, in use: its owner, pid ${job.pid}, is running (--force removes it too)`);
  });

  it('--all --force removes those too', async () => {
    const { users, nightly, ended, elsewhere } = await fourLabs();
    await downCommand(w.config.libvirtUri, { all: true, force: true }, log, w.host);
    for (const lab of [users, nightly, ended, elsewhere]) expect(exists(lab)).toBe(false);
    expect(w.libvirt.leftovers()).toEqual([]);
  });

  it('--lab of a lab a live process uses: refused in one line (usage, exit 2), nothing removed; --force removes it', async () => {
    const { nightly, job } = await fourLabs();
    const err = await downCommand(w.config.libvirtUri, { lab: nightly.id }, log, w.host).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(
      `lab ${nightly.id} is in use: its owner, pid ${job.pid}, is running and is removed when it ends; to remove it now anyway: npm run lab -- down --lab ${nightly.id} --force`,
    );
    expect(exists(nightly)).toBe(true);
    await downCommand(w.config.libvirtUri, { lab: nightly.id, force: true }, log, w.host);
    expect(exists(nightly)).toBe(false);
  });

  it('by default the newest lab here; refused too when a live process uses it', async () => {
    const older = await start();
    await keepForUser(older.state, w.host);
    const newest = await start();
    await setLabOwner(newest.state, w.host.processes.spawn(), w.host);
    await expect(downCommand(w.config.libvirtUri, {}, log, w.host)).rejects.toThrow(`lab ${newest.id} is in use`);
    expect(exists(older) && exists(newest)).toBe(true);
  });

  it("--lab of the user's lab removes it: domains, network, folder", async () => {
    const lab = await start();
    await keepForUser(lab.state, w.host);
    await downCommand(w.config.libvirtUri, { lab: lab.id }, log, w.host);
    expect(said).toEqual([
      `lab ${lab.id}: removed domain drbdlab-${lab.id}-drbd1, domain drbdlab-${lab.id}-drbd2, domain drbdlab-${lab.id}-drbd3, network drbdlab-${lab.id}-repl, folder ${labPaths(w.host.folders.state, lab.id).dir}`,
    ]);
    expect(w.libvirt.leftovers()).toEqual([]);
  });
});
