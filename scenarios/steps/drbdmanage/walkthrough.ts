// The walkthrough (shared/walkthrough/steps.md) on the drbdmanage stack: DRBD 9 and drbdmanage
// from the LINBIT PPA on Ubuntu 18.04, three nodes, one replicated volume r0. Where the real
// programs behave otherwise than the blog shows (captured: drbdmanage 0.99.18, DRBD 9.2.18 on
// Debian 12 guests, scenarios/recordings/captures/), the steps follow the programs and say how
// the blog differs.

import { expect } from 'vitest';
import { parseMachineReadableNodes, parseMachineReadableVolumes } from '../../../lib/drbd/drbdmanage-machine-readable.js';
import { DrbdmanageError, parseJoinCommand, type JoinCommand } from '../../../lib/drbd/drbdmanage-result.js';
import { parseListAssignments, parseListNodes, parseListVolumes, type DrbdmanageNode, type DrbdmanageVolume } from '../../../lib/drbd/drbdmanage-table.js';
import { drbdVersion } from '../../../lib/drbd/proc-drbd.js';
import { parseLvmReports, parseLvmSize, parseMkfs } from '../../../lib/drbd/drbdmanage-node-outputs.js';
import type { ScenarioContext } from '../../../lib/scenario/define-scenario.js';
import { SETUP } from '../../../lib/scenario/scenario-lab.js';
import { scaled } from '../../../lib/wait/poll.js';
import {
  cmd,
  DATA_PARTITION,
  deviceOf,
  joinCommandToRun,
  POOL_VG,
  SMALL_VOLUME,
  SMALL_VOLUME_MIB,
  WALKTHROUGH_FILE,
  WALKTHROUGH_MINOR,
  WALKTHROUGH_TEXT,
  WALKTHROUGH_VOLUME,
  WALKTHROUGH_VOLUME_MIB,
} from './commands.js';
import { allOk, dm, dmListing, expectDmOk, find, NODE_NAMES, pollStrict, primaries, upToDateWith, waitForNodes, waitForStatus } from './common.js';

/** The two 4 MiB control volumes (.drbdctrl_0, .drbdctrl_1) every node carves from drbdpool. */
const DRBDCTRL_MIB = 8;

export async function drbdmanageWalkthrough(ctx: ScenarioContext): Promise<void> {
  const { lab, step } = ctx;
  const drbd1 = lab.node('drbd1');
  const vgMiB = new Map<string, ReturnType<typeof parseLvmSize>>();
  const nodeIds = new Set<number>([0]); // drbd1 is node id 0 (init)
  let nodes: DrbdmanageNode[] = [];

  await step('7. DRBD 9 from the LINBIT PPA (drbd-dkms): the loaded module is DRBD 9', async () => {
    for (const name of NODE_NAMES) {
      const node = lab.node(name);
      await node.exec(cmd.modprobe, { timeoutMs: 60_000 });
      const proc = await node.output(cmd.procDrbd);
      // A failed DKMS build leaves the in-tree 8.4 module, which modprobe loads just the same.
      expect(proc, `${name}: /proc/drbd must come from the drbd-dkms module`).toMatch(/^version: 9\./);
      expect(drbdVersion(proc).major, `${name}: DRBD major version`).toBe(9);
    }
  });

  await step(`8. LVM on the partition: the template's ${POOL_VG} VG on ${DATA_PARTITION} is there on every node`, async () => {
    for (const name of NODE_NAMES) {
      const node = lab.node(name);
      // The template made it (steps 3, 8) and each clone's second disk is an overlay on the
      // template's (step 9), so it is observed here, not created: a missing VG is a lab bug.
      const r = await node.exec(cmd.vgsPvs, { ...SETUP, check: false });
      expect(r.exitCode, `${name}: vgs; pvs (the clone's data disk must be the template's): ${r.stderr.trim()}`).toBe(0);
      const [vgs = [], pvs = []] = parseLvmReports(r.stdout);
      expect(vgs.map((v) => v['VG']), `${name}: volume groups`).toEqual([POOL_VG]);
      expect(pvs.map((p) => [p['PV'], p['VG']]), `${name}: PVs`).toEqual([[DATA_PARTITION, POOL_VG]]);
      const size = parseLvmSize(vgs[0]!['VSize']!);
      expect(size.mib, `${name}: ${POOL_VG} size (MiB)`).toBeGreaterThan(DRBDCTRL_MIB);
      vgMiB.set(name, size);
    }
  });

  await step('10. Hostnames drbd1..drbd3, set before drbdmanage runs', async () => {
    for (const name of NODE_NAMES) expect(await lab.node(name).output(cmd.hostname), `hostname of ${name}`).toBe(name);
  });

  await step(`11. drbdmanage init ${drbd1.replicationIp} on drbd1, confirmed with yes`, async () => {
    const init = await dm(drbd1, cmd.init(drbd1.replicationIp), { timeoutMs: 300_000 });
    expectDmOk(init, 'drbdmanage init');
    // The blog shows both streams together; the control volumes go to stdout (the first right
    // after the prompt, which ends in no newline), the result to stderr.
    expect(init.stdout, 'init: stdout').toMatch(/Empty drbdmanage control volume initialized on '\/dev\/drbd0'\.\nEmpty drbdmanage control volume initialized on '\/dev\/drbd1'\.$/mu);
  });

  await step('12. drbdmanage list-nodes: drbd1 ok, its pool is drbdpool less the control volumes', async () => {
    nodes = await waitForNodes(lab, drbd1, 'drbd1 ok in list-nodes', allOk(['drbd1']));
    await expectPools(ctx, nodes, ['drbd1'], vgMiB);
  });

  const addAndJoin = async (name: string, members: string[], [addStep, joinStep, listStep]: [string, string, string]): Promise<void> => {
    const node = lab.node(name);
    let join: JoinCommand | undefined;
    await step(`${addStep}. add-node ${name} ${node.replicationIp} on drbd1 prints the join command; ${name} is listed, not yet joined`, async () => {
      const add = await dm(drbd1, cmd.addNode(name, node.replicationIp));
      // drbdmanage tries to run the join on the new node over ssh itself; without a known host
      // key ssh says "Host key verification failed." among the success lines (blog and capture
      // alike) and the join command is printed for the user to run.
      expectDmOk(add, `add-node ${name}`);
      join = parseJoinCommand(add.stdout);
      await ctx.redact(join.secret);
      expect(join.forNode, 'join command for').toBe(name);
      expect(join.localIp, 'join: address of the new node').toBe(node.replicationIp);
      expect(join.leaderName, 'join: peer to contact').toBe('drbd1');
      expect(join.leaderIp, 'join: address of the peer').toBe(drbd1.replicationIp);
      // The blog shows node id 1 for drbd3 too (a copy slip; the captured run gave 2): the line printed is the one to run.
      expect(nodeIds.has(join.nodeId), `node id ${join.nodeId} for ${name} is already taken`).toBe(false);
      nodeIds.add(join.nodeId);
      // The blog shows this state after the join (step 15); the real program shows it between
      // add-node and the join, and "ok" at once after the join.
      const row = parseListNodes(await listingText(ctx, cmd.listNodes)).find((n) => n.name === name);
      expect(row, `${name} in list-nodes after add-node`).toBeDefined();
      expect(row!.ok, `${name} before its join (${row!.state})`).toBe(false);
    });
    await step(`${joinStep}. On ${name}: the join command add-node printed, confirmed with yes`, async () => {
      const run = await dm(node, joinCommandToRun(join!), { timeoutMs: 300_000 });
      expectDmOk(run, `join on ${name}`);
      expect(run.stdout, `join on ${name}: stdout`).toMatch(/Waiting for server to start up \(can take up to 1 min\)/u);
    });
    await step(`${listStep}. list-nodes on drbd1: ${[...members, name].join(', ')} ok`, async () => {
      nodes = await waitForNodes(lab, drbd1, `${[...members, name].join(', ')} ok in list-nodes`, allOk([...members, name]), scaled(300_000, lab.timeoutScale));
    });
  };

  await addAndJoin('drbd2', ['drbd1'], ['13', '14', '15']);
  await addAndJoin('drbd3', ['drbd1', 'drbd2'], ['16', '16', '16']);

  await step('16. All three nodes ok, each pool free = size - 8 MiB, in list-nodes and in list-nodes -m', async () => {
    await expectPools(ctx, nodes, NODE_NAMES, vgMiB);
  });

  await step('17. drbdsetup status: .drbdctrl UpToDate on all three nodes, one Primary', async () => {
    const resources = await waitForStatus(
      lab,
      drbd1,
      '.drbdctrl UpToDate on drbd1, drbd2, drbd3',
      (rs) => {
        const ctrl = find(rs, '.drbdctrl');
        return upToDateWith(ctrl, ['drbd2', 'drbd3']) && primaries(ctrl!, 'drbd1').length === 1;
      },
    );
    const ctrl = find(resources, '.drbdctrl')!;
    expect(ctrl.volumes.map((v) => v.volume), '.drbdctrl volumes').toEqual([0, 1]);
    // The leader holds the control volume Primary; it need not stay drbd1.
    expect(primaries(ctrl, 'drbd1'), '.drbdctrl Primaries').toHaveLength(1);
  });

  await step('18. add-resource r0; list-volumes --show Port: r0 on port 7000, no volume yet', async () => {
    expectDmOk(await dm(drbd1, cmd.addResource), 'add-resource r0');
    const r0 = (await listVolumes(ctx)).find((v) => v.resource === 'r0');
    expect(r0, 'r0 in list-volumes').toBeDefined();
    expect(r0!.port, 'r0 port').toBe(7000);
    expect(r0!.volumeId, 'r0 has no volume yet').toBeNull();
  });

  await step(`19. add-volume r0 ${WALKTHROUGH_VOLUME}: volume 0, 37.25 GiB, minor ${WALKTHROUGH_MINOR}, port 7000`, async () => {
    // drbdmanage defines the volume whatever the pools hold: the blog's 40GB is accepted on any disk.
    expectDmOk(await dm(drbd1, cmd.addVolume(WALKTHROUGH_VOLUME)), `add-volume r0 ${WALKTHROUGH_VOLUME}`);
    const vol = await volumeOk(ctx);
    expect(vol.minor, 'r0/0 minor').toBe(WALKTHROUGH_MINOR);
    expect(vol.port, 'r0 port').toBe(7000);
    expect(vol.size, 'r0/0 size').toBe('37.25 GiB');
  });

  const free = Math.min(...nodes.map((n) => n.poolFreeMiB ?? 0));
  let volume = { arg: WALKTHROUGH_VOLUME, mib: WALKTHROUGH_VOLUME_MIB, minor: WALKTHROUGH_MINOR };
  if (free >= WALKTHROUGH_VOLUME_MIB) {
    await step('20. deploy-resource r0 3; list-assignments: r0 ok on all three nodes', async () => {
      expectDmOk(await dm(drbd1, cmd.deploy), 'deploy-resource r0 3');
      await assignmentsOk(ctx);
    });
  } else {
    await step(`20. deploy-resource r0 3 on pools of ${free} MiB: "Error: Not enough free space" with exit 0, nothing assigned (the blog's disk is 40 GiB)`, async () => {
      const deploy = await dm(drbd1, cmd.deploy);
      expect(deploy.result.errors, 'deploy-resource r0 3: error lines').toEqual(['Error: Not enough free space']);
      expect(deploy.result.ok, 'deploy-resource r0 3: success').toBe(false);
      expect(deploy.exitCode, 'deploy-resource r0 3: exit code (drbdmanage exits 0 after a server error)').toBe(0);
      expect(parseListAssignments(await listingText(ctx, cmd.listAssignments)).filter((a) => a.resource === 'r0'), 'r0 assignments').toEqual([]);
    });
    await step(`20. r0 again with ${SMALL_VOLUME}: remove-resource r0 (confirmed), add-resource, add-volume; drbdmanage gives it the next minor, not ${WALKTHROUGH_MINOR}`, async () => {
      expectDmOk(await dm(drbd1, cmd.removeResource), 'remove-resource r0');
      expectDmOk(await dm(drbd1, cmd.addResource), 'add-resource r0');
      expectDmOk(await dm(drbd1, cmd.addVolume(SMALL_VOLUME)), `add-volume r0 ${SMALL_VOLUME}`);
      const vol = await volumeOk(ctx);
      // Minors are not reused at once: the removed 40GB volume's minor stays taken.
      expect(vol.minor, 'r0/0 minor after remove and add').toBe(WALKTHROUGH_MINOR + 1);
      expect(vol.port, 'r0 port').toBe(7000);
      const m = parseMachineReadableVolumes(await listingText(ctx, cmd.listVolumesMachine)).find((v) => v.resource === 'r0');
      // drbdmanage rounds up to whole KiB: 500 MB = 488281.25 KiB → 488282.
      expect(m?.sizeKiB, `r0/0 size in KiB for ${SMALL_VOLUME}`).toBe(Math.ceil(SMALL_VOLUME_MIB * 1024));
      volume = { arg: SMALL_VOLUME, mib: SMALL_VOLUME_MIB, minor: vol.minor! };
    });
    await step('20. deploy-resource r0 3; list-assignments: r0 ok on all three nodes', async () => {
      expectDmOk(await dm(drbd1, cmd.deploy), 'deploy-resource r0 3');
      await assignmentsOk(ctx);
    });
  }

  const device = deviceOf(volume.minor);
  await step(`21. mkfs -t ext4 ${device} on drbd1 (DRBD 9 promotes it for the time of mkfs)`, async () => {
    if (volume.minor !== WALKTHROUGH_MINOR) {
      // The blog's own command names /dev/drbd100: on this cluster it does not exist.
      const blog = await drbd1.exec(cmd.mkfs(deviceOf(WALKTHROUGH_MINOR)), { check: false, timeoutMs: 60_000 });
      expect(blog.exitCode, `mkfs on the blog's ${deviceOf(WALKTHROUGH_MINOR)}`).toBe(1);
      expect(blog.stderr, `mkfs on the blog's ${deviceOf(WALKTHROUGH_MINOR)}`).toMatch(/does not exist and no size was specified\./u);
    }
    const mkfs = await drbd1.exec(cmd.mkfs(device), { timeoutMs: 600_000 });
    const made = parseMkfs(mkfs.stdout);
    expect(made, 'mkfs: "Creating filesystem with N Xk blocks"').not.toBeNull();
    // The device has the size add-volume asked for (mke2fs picks 1k blocks for a small file system, 4k otherwise).
    expect(Math.abs((made!.blocks * made!.blockKiB) / 1024 - volume.mib), `${made!.blocks} ${made!.blockKiB}k blocks for ${volume.arg}`).toBeLessThanOrEqual(4);
    // mke2fs draws its progress (`0/60`) with backspaces, to a pipe too.
    expect(mkfs.stdout).toMatch(/Writing superblocks and filesystem accounting information:[\s\d/\b]*done/u);
  });

  await step('22. drbdsetup status: r0 on drbd1 with drbd2 and drbd3, resyncing or in sync', async () => {
    const resources = (await waitForStatus(lab, drbd1, 'r0 connected to drbd2 and drbd3', (rs) => {
      const r0 = find(rs, 'r0');
      return !!r0 && r0.peers.length === 2 && r0.peers.every((p) => p.volumes.length > 0);
    }))!;
    const r0 = find(resources, 'r0')!;
    expect(r0.peers.map((p) => p.name).sort(), 'r0 peers').toEqual(['drbd2', 'drbd3']);
    const peerVolumes = r0.peers.flatMap((p) => p.volumes.map((v) => ({ peer: p.name, ...v })));
    // DRBD 9.2 resyncs one peer at a time (the other PausedSyncS, resync-suspended:peer); the
    // blog shows both SyncSource at once.
    const resyncing = peerVolumes.filter((v) => /Sync/u.test(v.replication ?? '') && v.donePercent !== undefined);
    if (volume.mib >= 4096) {
      // 37 GiB do not resync in the seconds since deploy: the walkthrough's picture.
      expect(resyncing.length, `resync visible in drbdsetup status (${JSON.stringify(peerVolumes)})`).toBeGreaterThan(0);
    } else {
      // A small volume may be through already: resyncing or up to date, nothing else.
      for (const v of peerVolumes) {
        expect(resyncing.includes(v) || (v.replication === undefined && v.peerDisk === 'UpToDate'), `${v.peer}: ${JSON.stringify(v)}`).toBe(true);
      }
    }
    expect(upToDateWith(find(resources, '.drbdctrl'), ['drbd2', 'drbd3']), '.drbdctrl still UpToDate everywhere').toBe(true);
  });

  await step(`23. Mount ${device} on the primary and use it`, async () => {
    await drbd1.exec(cmd.mkdirMountPoint, SETUP);
    await drbd1.exec(cmd.mount(device), { timeoutMs: 60_000 });
    expect(await drbd1.output(cmd.writeWalkthroughFile), 'tee').toBe(WALKTHROUGH_TEXT);
    await drbd1.exec(cmd.sync, { timeoutMs: 60_000 });
    expect(await drbd1.output(cmd.cat(WALKTHROUGH_FILE)), `${WALKTHROUGH_FILE} read back`).toBe(WALKTHROUGH_TEXT);
    // DRBD 9 auto-promote: the mount made drbd1 Primary for r0.
    const r0 = find(await waitForStatus(lab, drbd1, 'r0 Primary on drbd1', (rs) => find(rs, 'r0')?.role === 'Primary', { command: cmd.drbdadmStatus('r0') }), 'r0')!;
    expect(primaries(r0, 'drbd1'), 'r0 Primaries').toEqual(['drbd1']);
  });
}

/** Pools in list-nodes: the VG's size (within lvm2's rounding), less the control volumes; list-nodes -m says the same in KiB. */
async function expectPools(ctx: ScenarioContext, nodes: DrbdmanageNode[], names: readonly string[], vgMiB: Map<string, ReturnType<typeof parseLvmSize>>): Promise<void> {
  const machine = parseMachineReadableNodes(await listingText(ctx, cmd.listNodesMachine));
  expect(machine.map((m) => m.name).sort(), 'nodes in list-nodes -m').toEqual([...names].sort());
  for (const name of names) {
    const node = nodes.find((n) => n.name === name);
    expect(node, `${name} in list-nodes`).toBeDefined();
    expect(node!.poolSizeMiB, `${name}: pool size known`).not.toBeNull();
    const vg = vgMiB.get(name);
    // 40956 / 40948 on the walkthrough's 40 GiB disk: the pool is the VG, minus the control volumes.
    if (vg) expect(Math.abs(node!.poolSizeMiB! - vg.mib), `${name}: pool size ${node!.poolSizeMiB} MiB = ${POOL_VG} size ~${vg.mib} MiB`).toBeLessThanOrEqual(vg.precisionMiB);
    expect(node!.poolFreeMiB, `${name}: pool free = size - ${DRBDCTRL_MIB}`).toBe(node!.poolSizeMiB! - DRBDCTRL_MIB);
    const m = machine.find((x) => x.name === name)!;
    expect(m.address, `${name}: address in list-nodes -m`).toBe(ctx.lab.node(name).replicationIp);
    expect([m.poolSizeKiB, m.poolFreeKiB], `${name}: pool in KiB (list-nodes -m)`).toEqual([node!.poolSizeMiB! * 1024, node!.poolFreeMiB! * 1024]);
  }
}

async function listVolumes(ctx: ScenarioContext): Promise<DrbdmanageVolume[]> {
  return parseListVolumes(await listingText(ctx, cmd.listVolumesPort));
}

/** A listing on drbd1 outside a wait: the server must answer (a not-ready error fails here too). */
async function listingText(ctx: ScenarioContext, command: string): Promise<string> {
  const listing = await dmListing(ctx.lab.node('drbd1'), command);
  if ('notYet' in listing) throw new DrbdmanageError('drbd1', command, 0, '', listing.notYet, [listing.notYet]);
  return listing.stdout;
}

/** r0's volume 0, once list-volumes says ok. */
function volumeOk(ctx: ScenarioContext): Promise<DrbdmanageVolume> {
  return pollStrict<DrbdmanageVolume>(
    ctx.lab,
    'r0 volume 0 ok in list-volumes',
    async () => {
      const listing = await dmListing(ctx.lab.node('drbd1'), cmd.listVolumesPort);
      if ('notYet' in listing) return { done: false, seen: listing.notYet };
      const vols = parseListVolumes(listing.stdout);
      const v = vols.find((x) => x.resource === 'r0' && x.volumeId === 0);
      return { done: v?.ok ?? false, value: v, seen: vols.map((x) => `${x.resource}/${x.volumeId ?? '*'}:${x.state}`).join(', ') };
    },
    { timeoutMs: scaled(60_000, ctx.lab.timeoutScale), intervalMs: 2_000, target: 'drbd1' },
  );
}

/** list-assignments until r0 is ok on the three nodes (the first listing after deploy may take the server a while). */
async function assignmentsOk(ctx: ScenarioContext): Promise<void> {
  await pollStrict(
    ctx.lab,
    'r0 assignments ok on drbd1, drbd2, drbd3',
    async () => {
      const listing = await dmListing(ctx.lab.node('drbd1'), cmd.listAssignments);
      if ('notYet' in listing) return { done: false, seen: listing.notYet };
      const rows = parseListAssignments(listing.stdout).filter((a) => a.resource === 'r0');
      const perResource = rows.filter((a) => a.volumeId === null);
      const done = rows.every((a) => a.ok) && NODE_NAMES.every((n) => perResource.some((a) => a.node === n && a.ok));
      return { done, seen: rows.map((a) => `${a.node}/${a.volumeId ?? '*'}:${a.state}`).join(', ') || '(no assignments)' };
    },
    { timeoutMs: scaled(300_000, ctx.lab.timeoutScale), intervalMs: 5_000, target: 'drbd1' },
  );
}
