// The walkthrough on the offline profile: the same shape with plain drbd-utils on DRBD 8.4.
import * as allure from 'allure-js-commons';
import { expect } from 'vitest';
import { drbdVersion } from '../../../lib/drbd/proc-drbd.js';
import { renderResFile } from '../../../lib/drbd/res-file.js';
import { syncProgress } from '../../../lib/drbd/state.js';
import { parseEvents2 } from '../../../lib/drbd/events2.js';
import { Events2Watch } from '../../../lib/scenario/events2-watch.js';
import { describeTrace, traceResync } from '../../../lib/drbd/resync-trace.js';
import type { ScenarioContext } from '../../../lib/scenario/define-scenario.js';
import { onEach } from '../../../lib/scenario/on-each.js';
import { SETUP } from '../../../lib/scenario/scenario-lab.js';
import { pollUntil, scaled } from '../../../lib/wait/poll.js';
import {
  DEVICE, LV_SIZE, MINOR, MOUNT, PORT, RES, ensureStorage, replicas, resFile, status, upToDate, waitConnected, writeFileCommand,
} from './cluster.js';

export async function drbdadmWalkthrough({ lab, step }: ScenarioContext): Promise<void> {
  const [primary, secondary] = replicas(lab);
  const third = lab.nodes[2];

  await step('0. DRBD stack: in-tree 8.4 module and drbd-utils', async () => {
    await onEach(lab.nodes, async (n) => {
      const v = drbdVersion(await n.output('cat /proc/drbd'));
      expect(v.major, `${n.name} /proc/drbd`).toBe(8);
      expect(v.minor).toBe(4);
      expect(await n.output('sudo drbdadm --version | grep DRBDADM_VERSION=')).toMatch(/^DRBDADM_VERSION=9\./);
    });
  });

  await step('3. second disk: one primary partition over the whole disk', async () => {
    await onEach(lab.nodes, async (n) => {
      await ensureStorage(n);
      expect(await n.output('lsblk -no TYPE /dev/vdb1')).toBe('part');
    });
  });

  await step('5. /etc/hosts names the nodes by their replication addresses', async () => {
    await onEach(lab.nodes, async (n) => {
      const hosts = await n.output('cat /etc/hosts');
      for (const m of lab.nodes) expect(hosts).toContain(`${m.replicationIp} ${m.name}`);
    });
  });

  await step('8. LVM: VG drbdpool on the partition', async () => {
    await onEach(lab.nodes, async (n) => {
      expect(await n.output('sudo vgs --noheadings -o vg_name,pv_count drbdpool')).toMatch(/^drbdpool\s+1$/);
      expect(await n.output('sudo pvs --noheadings -o pv_name,vg_name')).toMatch(/\/dev\/vdb1\s+drbdpool/);
    });
  });

  await step(`10. hostnames are drbd1..3 before DRBD is configured`, async () => {
    await onEach(lab.nodes, async (n) => expect(await n.output('hostname')).toBe(n.name));
  });

  await step(`18. resource ${RES}: a logical volume on each replica and /etc/drbd.d/${RES}.res`, async () => {
    await onEach([primary, secondary], async (n) => {
      await n.exec(`sudo lvcreate --yes --wipesignatures y -n ${RES} -L ${LV_SIZE} drbdpool`, SETUP);
      await n.exec(writeFileCommand(`/etc/drbd.d/${RES}.res`, resFile(lab)), SETUP);
      // drbdadm parses the whole config and must find this host in it.
      const dump = await n.output(`sudo drbdadm dump ${RES}`);
      expect(dump).toContain(`on ${primary.name}`);
      expect(dump).toMatch(new RegExp(`address\\s+ipv4 ${primary.replicationIp.replace(/\./g, '\\.')}:${PORT};`));
      expect(await n.output(`sudo drbdadm sh-minor ${RES}`)).toBe(String(MINOR));
    });
  });

  await step('20. three replicas: not possible on DRBD 8.4 (stated, not hidden)', async () => {
    // deploy-resource r0 3 has no 8.4 counterpart: try it with a scratch resource r3.
    const three = renderResFile({
      name: 'r3', minor: 101, port: 7001, disk: '/dev/drbdpool/r3',
      hosts: lab.nodes.map((n) => ({ name: n.name, ip: n.replicationIp })),
    });
    await primary.exec('sudo lvcreate --yes --wipesignatures y -n r3 -L 64M drbdpool', SETUP);
    await primary.exec(writeFileCommand('/tmp/r3.res', three), SETUP);
    await primary.exec('sudo drbdadm -c /tmp/r3.res create-md --force r3');
    const up = await primary.exec('sudo drbdadm -c /tmp/r3.res up r3', { check: false });
    expect(up.exitCode).not.toBe(0);
    expect(up.stderr).toContain('There are multiple host sections for the peer node.');
    expect(up.stderr).toContain('cannot configure network without knowing my peer');
    // The disk attaches, the network never does: the resource stays StandAlone.
    expect(await primary.output('cat /proc/drbd')).toMatch(/101: cs:StandAlone/);
    await primary.exec('sudo drbdadm -c /tmp/r3.res down r3 && sudo lvremove --yes drbdpool/r3 && sudo rm -f /tmp/r3.res');
    await allure.attachment(
      'DRBD 8.4 and the third node',
      `The walkthrough deploys r0 to three nodes (drbdmanage on DRBD 9: deploy-resource r0 3).\n` +
        `DRBD 8.4 connects a resource to exactly one peer; with three 'on' sections, drbdadm up says:\n\n${up.stderr}\n` +
        `So here r0 lives on ${primary.name} and ${secondary.name}; ${third?.name ?? 'the third node'} keeps its drbdpool VG and no r0.`,
      'text/plain',
    );
  });

  await step(`20. create-md and up on ${primary.name} and ${secondary.name}`, async () => {
    await onEach([primary, secondary], async (n) => {
      const md = await n.exec(`sudo drbdadm create-md --force ${RES}`);
      expect(md.stdout + md.stderr).toMatch(/New drbd meta data block successfully created/);
      await n.exec(`sudo drbdadm up ${RES}`);
    });
    const res = await waitConnected(lab, primary);
    expect(res.role).toBe('Secondary');
    expect(res.volumes[0]!.disk).toBe('Inconsistent');
    expect(res.peers[0]!.volumes[0]!.peerDisk).toBe('Inconsistent');
  });

  // Armed before primary --force: on this hardware the initial sync can end during mkfs, so
  // only a stream started beforehand can show it ran (lab-notes: "Fresh machines …").
  let watch: Events2Watch | undefined;
  try {
    await step(`21. initial primary on ${primary.name}, mkfs -t ext4 ${DEVICE}`, async () => {
      watch = await Events2Watch.start(primary, RES, lab.clock, lab.timeoutScale);
      await primary.exec(`sudo drbdadm primary --force ${RES}`);
      const mkfs = await primary.exec(`sudo mkfs -t ext4 ${DEVICE}`);
      // 1 GiB less DRBD metadata: the walkthrough's 40 GB volume showed 9765625 4k blocks.
      expect(mkfs.stdout).toMatch(/Creating filesystem with 2621\d\d 4k blocks/);
      expect(mkfs.stdout).toMatch(/Writing superblocks and filesystem accounting information:[^\n]*done/);
    });

    await step('22. resync visible: replication:SyncSource, then Established UpToDate/UpToDate', async () => {
      const w = watch!;
      const trace = await pollUntil(
        `${RES} resync in the events2 stream`,
        async () => {
          const t = traceResync(parseEvents2(await w.read()), RES);
          // An UpToDate pair with no SyncSource before it will not turn into a seen resync: stop looking.
          return { done: t.finishedAt >= 0 || t.settledWithoutSyncAt >= 0, value: t, seen: describeTrace(t) };
        },
        { timeoutMs: scaled(180_000, lab.timeoutScale), intervalMs: 2_000, clock: lab.clock, target: primary.name, kind: 'product' },
      );
      const stream = await w.stop();
      await allure.attachment(`drbdsetup events2 ${RES} on ${primary.name}`, stream, 'text/plain');
      expect(trace.skipped, 'events dropped by the kernel: the stream may miss a state').toBe(0);
      expect(trace.syncSourceAt, `replication:SyncSource in the stream (${describeTrace(trace)})`).toBeGreaterThanOrEqual(0);
      expect(trace.finishedAt, 'Established with UpToDate/UpToDate after SyncSource').toBeGreaterThan(trace.syncSourceAt);
      // 8.4 prints no done:, --statistics gives out-of-sync: either way progress must not go backwards.
      expect(trace.regressions).toEqual([]);
      const res = await status(primary);
      expect(res?.role).toBe('Primary');
      expect(res && upToDate(res)).toBe(true);
      expect(syncProgress(res!)).toBe(100);
      const peer = await status(secondary);
      expect(peer?.role).toBe('Secondary');
      expect(peer?.volumes[0]?.disk).toBe('UpToDate');
    });
  } catch (err) {
    // The watcher must not outlive a failed step; a failure to stop it goes into the report.
    if (watch?.running) await watch.stop().catch((stopErr: unknown) => allure.attachment('events2 watcher not stopped', String(stopErr), 'text/plain'));
    throw err;
  }

  let checksum = '';
  await step(`23. mount ${DEVICE} on the primary and use it`, async () => {
    await primary.exec(`sudo mkdir -p ${MOUNT} && sudo mount ${DEVICE} ${MOUNT}`);
    await primary.exec(`sudo dd if=/dev/urandom of=${MOUNT}/data.bin bs=1M count=16 status=none && sync`, SETUP);
    checksum = (await primary.output(`sudo sha256sum ${MOUNT}/data.bin`)).split(/\s+/)[0]!;
    expect(checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  await step(`switch primary to ${secondary.name} and read the data back`, async () => {
    await primary.exec(`sudo umount ${MOUNT}`);
    await primary.exec(`sudo drbdadm secondary ${RES}`);
    await secondary.exec(`sudo drbdadm primary ${RES}`);
    await secondary.exec(`sudo mkdir -p ${MOUNT} && sudo mount ${DEVICE} ${MOUNT}`);
    expect((await secondary.output(`sudo sha256sum ${MOUNT}/data.bin`)).split(/\s+/)[0]).toBe(checksum);
    // And back, so the next scenario finds the walkthrough's end state: first node Primary.
    await secondary.exec(`sudo umount ${MOUNT}`);
    await secondary.exec(`sudo drbdadm secondary ${RES}`);
    await primary.exec(`sudo drbdadm primary ${RES}`);
    await primary.exec(`sudo mount ${DEVICE} ${MOUNT}`);
    const res = await status(primary);
    expect(res?.role).toBe('Primary');
    expect(res?.peers[0]?.role).toBe('Secondary');
  });
}
