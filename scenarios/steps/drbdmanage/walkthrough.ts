// The walkthrough (shared/walkthrough/steps.md) on the drbdmanage stack: DRBD 9 and drbdmanage
// from the LINBIT PPA on Ubuntu 18.04, three nodes, one replicated volume r0.

import { expect } from 'vitest';
import {
  drbdVersion,
  parseJoinCommand,
  parseListAssignments,
  parseListVolumes,
  type DrbdmanageNode,
  type DrbdmanageVolume,
  type JoinCommand,
} from '../../../lib/drbd/index.js';
import type { ScenarioContext } from '../../../lib/scenario/define-scenario.js';
import { SETUP } from '../../../lib/scenario/scenario-lab.js';
import { scaled } from '../../../lib/wait/poll.js';
import {
  cmd,
  DATA_PARTITION,
  joinCommandToRun,
  POOL_VG,
  R0_DEVICE,
  volumeSize,
  WALKTHROUGH_FILE,
  WALKTHROUGH_TEXT,
} from './commands.js';
import { allOk, dm, dmListing, expectDmOk, find, NODE_NAMES, pollStrict, primaries, upToDateWith, waitForNodes, waitForStatus } from './common.js';

/** The two 4 MiB control volumes (.drbdctrl_0, .drbdctrl_1) every node carves from drbdpool. */
const DRBDCTRL_MIB = 8;

export async function drbdmanageWalkthrough(ctx: ScenarioContext): Promise<void> {
  const { lab, step } = ctx;
  const drbd1 = lab.node('drbd1');
  const vgSizeMiB = new Map<string, number>();
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
      // template's (step 9), so it is observed here, not created: a blank disk is a lab bug.
      const vg = await node.exec(cmd.vgs, { check: false });
      expect(vg.exitCode, `${name}: vgs ${POOL_VG} (the clone's data disk must be the template's): ${vg.stderr.trim()}`).toBe(0);
      const rows = vg.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/u));
      expect(rows.map(([vgName, pv]) => [vgName, pv]), `${name}: PVs of ${POOL_VG}`).toEqual([[POOL_VG, DATA_PARTITION]]);
      const [, , size, free] = rows[0]!;
      expect(Number(size), `${name}: ${POOL_VG} size (MiB)`).toBeGreaterThan(DRBDCTRL_MIB);
      expect(Number(free)).toBeGreaterThan(DRBDCTRL_MIB);
      vgSizeMiB.set(name, Math.round(Number(size)));
    }
  });

  await step('10. Hostnames drbd1..drbd3, set before drbdmanage runs', async () => {
    for (const name of NODE_NAMES) expect(await lab.node(name).output(cmd.hostname), `hostname of ${name}`).toBe(name);
  });

  await step(`11. drbdmanage init ${drbd1.replicationIp} on drbd1`, async () => {
    const init = await dm(drbd1, cmd.init(drbd1.replicationIp), { timeoutMs: 300_000 });
    expectDmOk(init, 'drbdmanage init');
    expect(`${init.stdout}${init.stderr}`, 'init output').toMatch(/control volume initialized/i);
  });

  await step('12. drbdmanage list-nodes: drbd1 ok', async () => {
    nodes = await waitForNodes(lab, drbd1, 'drbd1 ok in list-nodes', allOk(['drbd1']));
    expectPool(nodes, 'drbd1', vgSizeMiB.get('drbd1'));
  });

  const addAndJoin = async (name: string, members: string[]): Promise<void> => {
    const node = lab.node(name);
    let join: JoinCommand | undefined;
    await step(`${name === 'drbd2' ? '13' : '16'}. add-node ${name} ${node.replicationIp} on drbd1 prints the join command`, async () => {
      const add = await dm(drbd1, cmd.addNode(name, node.replicationIp));
      expectDmOk(add, `add-node ${name}`);
      join = parseJoinCommand(`${add.stdout}\n${add.stderr}`);
      await ctx.redact(join.secret);
      expect(join.forNode, 'join command for').toBe(name);
      expect(join.localIp, 'join: address of the new node').toBe(node.replicationIp);
      expect(join.leaderName, 'join: peer to contact').toBe('drbd1');
      expect(join.leaderIp, 'join: address of the peer').toBe(drbd1.replicationIp);
      // The memo shows node id 1 for drbd3 too (a copy slip): the line printed is the one to run.
      expect(nodeIds.has(join.nodeId), `node id ${join.nodeId} for ${name} is already taken`).toBe(false);
      nodeIds.add(join.nodeId);
    });
    await step(`${name === 'drbd2' ? '14' : '16'}. On ${name}: run the join command add-node printed`, async () => {
      const run = await dm(node, joinCommandToRun(join!), { timeoutMs: 300_000 });
      expectDmOk(run, `join on ${name}`);
    });
    await step(`${name === 'drbd2' ? '15' : '16'}. list-nodes on drbd1: ${[...members, name].join(', ')} ok after a while`, async () => {
      nodes = await waitForNodes(lab, drbd1, `${[...members, name].join(', ')} ok in list-nodes`, allOk([...members, name]), scaled(300_000));
    });
  };

  await addAndJoin('drbd2', ['drbd1']);
  await addAndJoin('drbd3', ['drbd1', 'drbd2']);

  await step('16. All three nodes ok, each pool free = size - 8 MiB', async () => {
    for (const name of NODE_NAMES) expectPool(nodes, name, vgSizeMiB.get(name));
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

  let free = Infinity;
  await step('18. add-resource r0; list-volumes --show Port: r0 on port 7000', async () => {
    expectDmOk(await dm(drbd1, cmd.addResource), 'add-resource r0');
    const vols = parseListVolumes((await drbd1.exec(cmd.listVolumesPort)).stdout);
    const r0 = vols.find((v) => v.resource === 'r0');
    expect(r0, 'r0 in list-volumes').toBeDefined();
    expect(r0!.port, 'r0 port').toBe(7000);
    expect(r0!.volumeId, 'r0 has no volume yet').toBeNull();
    free = Math.min(...nodes.map((n) => n.poolFreeMiB ?? 0));
  });

  const size = volumeSize(free);
  await step(`19. add-volume r0 ${size.arg}: volume 0, minor 100, port 7000`, async () => {
    expectDmOk(await dm(drbd1, cmd.addVolume(size.arg)), `add-volume r0 ${size.arg}`);
    const vol = await pollStrict<DrbdmanageVolume>(
      lab,
      'r0 volume 0 ok in list-volumes',
      async () => {
        const listing = await dmListing(drbd1, cmd.listVolumesPort);
        if ('notYet' in listing) return { done: false, seen: listing.notYet };
        const vols = parseListVolumes(listing.stdout);
        const v = vols.find((x) => x.resource === 'r0' && x.volumeId === 0);
        return { done: v?.ok ?? false, value: v, seen: vols.map((x) => `${x.resource}/${x.volumeId ?? '*'}:${x.state}`).join(', ') };
      },
      { timeoutMs: scaled(60_000), intervalMs: 2_000, target: 'drbd1' },
    );
    expect(vol.minor, 'r0/0 minor').toBe(100);
    expect(vol.port, 'r0 port').toBe(7000);
    // list-volumes prints 2 decimals of GiB ("37.25 GiB" for 40 GB): within 6 MiB.
    expect(Math.abs(vol.sizeMiB! - size.expectMiB), `size ${vol.size} for ${size.arg}`).toBeLessThanOrEqual(Math.max(6, size.expectMiB * 0.002));
  });

  await step('20. deploy-resource r0 3; list-assignments: r0 ok on all three nodes', async () => {
    expectDmOk(await dm(drbd1, cmd.deploy), 'deploy-resource r0 3');
    await pollStrict(
      lab,
      'r0 assignments ok on drbd1, drbd2, drbd3',
      async () => {
        const listing = await dmListing(drbd1, cmd.listAssignments);
        if ('notYet' in listing) return { done: false, seen: listing.notYet };
        const rows = parseListAssignments(listing.stdout).filter((a) => a.resource === 'r0');
        const perResource = rows.filter((a) => a.volumeId === null);
        const done = rows.every((a) => a.ok) && NODE_NAMES.every((n) => perResource.some((a) => a.node === n && a.ok));
        return { done, seen: rows.map((a) => `${a.node}/${a.volumeId ?? '*'}:${a.state}`).join(', ') || '(no assignments)' };
      },
      { timeoutMs: scaled(300_000), intervalMs: 5_000, target: 'drbd1' },
    );
  });

  await step(`21. mkfs -t ext4 ${R0_DEVICE} on the primary (drbd1)`, async () => {
    const mkfs = await drbd1.exec(cmd.mkfs(R0_DEVICE), { timeoutMs: 600_000 });
    const blocks = /Creating filesystem with (\d+) 4k blocks/u.exec(mkfs.stdout);
    expect(blocks, 'mkfs: "Creating filesystem with N 4k blocks"').not.toBeNull();
    // 40 GB → 9765625 4k blocks: the device has the size add-volume asked for.
    expect(Math.abs((Number(blocks![1]) * 4) / 1024 - size.expectMiB), `${blocks![1]} 4k blocks for ${size.arg}`).toBeLessThanOrEqual(4);
    expect(mkfs.stdout).toMatch(/Writing superblocks and filesystem accounting information: done/);
  });

  await step('22. drbdsetup status: r0 resyncing to the peers', async () => {
    const resources = (await waitForStatus(lab, drbd1, 'r0 connected to drbd2 and drbd3', (rs) => {
      const r0 = find(rs, 'r0');
      return !!r0 && r0.peers.length === 2 && r0.peers.every((p) => p.volumes.length > 0);
    }))!;
    const r0 = find(resources, 'r0')!;
    expect(r0.peers.map((p) => p.name).sort(), 'r0 peers').toEqual(['drbd2', 'drbd3']);
    const peerVolumes = r0.peers.flatMap((p) => p.volumes.map((v) => ({ peer: p.name, ...v })));
    const resyncing = peerVolumes.filter((v) => /Sync/u.test(v.replication ?? '') && v.donePercent !== undefined);
    if (size.expectMiB >= 4096) {
      // 37 GiB do not resync in the seconds since deploy: the walkthrough's picture.
      expect(resyncing.length, `resync visible in drbdsetup status (${JSON.stringify(peerVolumes)})`).toBeGreaterThan(0);
    } else {
      // A small lab volume may be through already: resyncing or up to date, nothing else.
      for (const v of peerVolumes) {
        expect(resyncing.includes(v) || (v.replication === undefined && v.peerDisk === 'UpToDate'), `${v.peer}: ${JSON.stringify(v)}`).toBe(true);
      }
    }
    expect(upToDateWith(find(resources, '.drbdctrl'), ['drbd2', 'drbd3']), '.drbdctrl still UpToDate everywhere').toBe(true);
  });

  await step(`23. Mount ${R0_DEVICE} on the primary and use it`, async () => {
    await drbd1.exec(cmd.mkdirMountPoint, SETUP);
    await drbd1.exec(cmd.mount(R0_DEVICE), { timeoutMs: 60_000 });
    expect(await drbd1.output(cmd.writeWalkthroughFile), 'tee').toBe(WALKTHROUGH_TEXT);
    await drbd1.exec(cmd.sync, { timeoutMs: 60_000 });
    expect(await drbd1.output(cmd.cat(WALKTHROUGH_FILE)), `${WALKTHROUGH_FILE} read back`).toBe(WALKTHROUGH_TEXT);
    // DRBD 9 auto-promote: the mount made drbd1 Primary for r0.
    const r0 = find((await waitForStatus(lab, drbd1, 'r0 Primary on drbd1', (rs) => find(rs, 'r0')?.role === 'Primary', { command: cmd.statusOf('r0') })), 'r0')!;
    expect(primaries(r0, 'drbd1'), 'r0 Primaries').toEqual(['drbd1']);
  });
}

function expectPool(nodes: DrbdmanageNode[], name: string, vgMiB: number | undefined): void {
  const node = nodes.find((n) => n.name === name);
  expect(node, `${name} in list-nodes`).toBeDefined();
  expect(node!.poolSizeMiB, `${name}: pool size known`).not.toBeNull();
  // 40956 / 40948 on the walkthrough's 40 GiB disk: the pool is the VG, minus the control volumes.
  if (vgMiB !== undefined) expect(node!.poolSizeMiB, `${name}: pool size = ${POOL_VG} size`).toBe(vgMiB);
  expect(node!.poolFreeMiB, `${name}: pool free = size - ${DRBDCTRL_MIB}`).toBe(node!.poolSizeMiB! - DRBDCTRL_MIB);
}
