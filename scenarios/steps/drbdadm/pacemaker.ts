// Scenario 8 on drbdadm: the walkthrough's step 26, "Pacemaker next". r0 handed over to
// Pacemaker (corosync on the replication network, drbd3 as the third vote), the promoted
// replica powered off from the host, and the time until the other replica has r0 promoted and
// mounted; the probe's acknowledged records are there; the failed node returns and the
// cluster settles with no split brain and the survivor still promoted (resource-stickiness).
import * as allure from 'allure-js-commons';
import { expect } from 'vitest';
import type { ScenarioContext } from '../../../lib/scenario/define-scenario.js';
import { SETUP, type ScenarioNode } from '../../../lib/scenario/scenario-lab.js';
import { renderCorosyncConf } from '../../../lib/pacemaker/corosync-conf.js';
import { crmIds, renderCrmConfig } from '../../../lib/pacemaker/crm-config.js';
import { cloneRunningOn, promotedOn, startedOn } from '../../../lib/pacemaker/crm-mon.js';
import { failoverHopeless, servesOn } from '../../../lib/pacemaker/failover.js';
import { settledWith } from '../../../lib/pacemaker/settle.js';
import { splitBrainLines } from '../../../lib/pacemaker/split-brain.js';
import { waitForCluster, waitForQuorum } from '../../../lib/pacemaker/wait.js';
import { scaled } from '../../../lib/wait/poll.js';
import { DEVICE, MOUNT, RES, quiesce, replicas, status, waitUpToDate, writeFileCommand } from './cluster.js';
import { dataChecksum } from './start.js';
import { attachAcks, checkProbe, startWriter, waitAcked } from './probe.js';

const UNITS = ['corosync.service', 'pacemaker.service'];
const AUTHKEY = '/etc/corosync/authkey';
const CRM_FILE = '/root/r0.crm';
/** corosync's token timeout here (see renderCorosyncConf: TCG guests stall). */
const TOKEN_MS = 5_000;
const ids = crmIds(RES);
const PROBE_RECORDS_BEFORE_CUT = 20;

/** corosync and pacemaker journals of this boot, as an attachment. */
async function attachJournals(node: ScenarioNode, title: string): Promise<void> {
  const j = await node.exec('sudo journalctl -b -u corosync -u pacemaker --no-pager -o short-precise', { check: false });
  await allure.attachment(`${title}: corosync and pacemaker journal on ${node.name}`, j.stdout.split('\n').slice(-400).join('\n'), 'text/plain');
}

export async function drbdadmPacemakerFailover(ctx: ScenarioContext): Promise<void> {
  const { lab, step } = ctx;
  const [drbd1, drbd2] = replicas(lab);
  const quorumNode = lab.nodes[2]!;
  const all = lab.nodes;
  const checksum = await step('precondition: r0 up, data on it (restored at r0-up)', () => dataChecksum(drbd1));

  await step('26. corosync and pacemaker installed, not enabled (the image leaves them off)', async () => {
    for (const n of all) {
      const r = await n.exec(`systemctl is-enabled ${UNITS.join(' ')}`, { check: false });
      expect(r.stdout.trim().split('\n'), `${n.name}: systemctl is-enabled ${UNITS.join(' ')}`).toEqual(['disabled', 'disabled']);
      expect((await n.exec(`systemctl is-active ${UNITS.join(' ')}`, { check: false })).stdout.trim().split('\n')).toEqual(['inactive', 'inactive']);
    }
    for (const n of [drbd1, drbd2]) await n.exec('test -x /usr/lib/ocf/resource.d/linbit/drbd');
  });

  await step('26. hand r0 over to Pacemaker: unmount, secondary, down; drbd.service stays disabled', async () => {
    for (const n of [drbd1, drbd2]) await quiesce(n);
    for (const n of [drbd1, drbd2]) await n.exec(`sudo drbdadm down ${RES}`);
    for (const n of [drbd1, drbd2]) {
      expect(await status(n), `${n.name}: ${RES} down before Pacemaker starts it`).toBeUndefined();
      expect(await n.output('systemctl is-enabled drbd.service', { check: false })).toBe('disabled');
    }
  });

  await step('26. corosync.conf (knet on the replication network) and one authkey on the three nodes', async () => {
    const conf = renderCorosyncConf({
      clusterName: 'drbdlab',
      members: all.map((n, i) => ({ name: n.name, nodeid: i + 1, ip: n.replicationIp })),
      tokenMs: TOKEN_MS,
    });
    await allure.attachment('corosync.conf', conf, 'text/plain');
    for (const n of all) await n.exec(writeFileCommand('/etc/corosync/corosync.conf', conf), SETUP);
    // The key travels drbd1 → host → drbd2/drbd3 over the SSH sessions (stdout, stdin); it is
    // redacted from transcripts and recordings, its checksum is compared instead.
    await drbd1.exec(`sudo corosync-keygen`, { ...SETUP, timeoutMs: 60_000 });
    const key = await drbd1.output(`sudo base64 -w0 ${AUTHKEY}`, SETUP);
    await ctx.redact(key);
    for (const n of all.slice(1)) {
      await n.exec(`sudo sh -c 'umask 077; base64 -d > ${AUTHKEY}.new && mv ${AUTHKEY}.new ${AUTHKEY}'`, { ...SETUP, stdin: key });
    }
    const sums = [];
    for (const n of all) sums.push((await n.output(`sudo sha256sum ${AUTHKEY}`)).split(/\s+/)[0]);
    expect(new Set(sums).size, `one authkey on ${all.map((n) => n.name).join(', ')}`).toBe(1);
    expect(sums[0]).toMatch(/^[0-9a-f]{64}$/);
  });

  await step(`26. start corosync and pacemaker on the three: quorate with ${all.length} votes`, async () => {
    for (const n of all) await n.exec(`sudo systemctl start ${UNITS.join(' ')}`, { timeoutMs: scaled(120_000, lab.timeoutScale) });
    const q = await waitForQuorum(drbd1, all.length, { clock: lab.clock, timeoutMs: scaled(120_000, lab.timeoutScale) });
    expect(q.members.sort()).toEqual(all.map((n) => n.name).sort());
    await waitForCluster(drbd1, 'pacemaker: a DC, all nodes online', (s) => s.dc !== undefined && s.nodes.length === all.length && s.nodes.every((n) => n.online), {
      clock: lab.clock,
      timeoutMs: scaled(180_000, lab.timeoutScale),
    });
  });

  let primary: ScenarioNode | undefined;
  await step('26. load the r0 configuration (crmsh): Pacemaker promotes one replica and mounts r0 there', async () => {
    const crm = renderCrmConfig({ resource: RES, device: DEVICE, mount: MOUNT, fstype: 'ext4', replicas: [drbd1.name, drbd2.name], quorumOnly: [quorumNode.name] });
    await allure.attachment('r0.crm', crm, 'text/plain');
    await drbd1.exec(writeFileCommand(CRM_FILE, crm), SETUP);
    await drbd1.exec(`sudo crm configure load update ${CRM_FILE}`, { timeoutMs: scaled(60_000, lab.timeoutScale) });
    const { status: s, xml } = await waitForCluster(
      drbd1,
      `${ids.promotable} promoted on one replica and ${ids.fs} started there`,
      (x) => promotedOn(x, ids.promotable).length === 1 && servesOn(x, RES, promotedOn(x, ids.promotable)[0]!) && cloneRunningOn(x, ids.promotable).length === 2,
      { clock: lab.clock, timeoutMs: scaled(300_000, lab.timeoutScale) },
    );
    await allure.attachment('crm_mon after the configuration', xml, 'application/xml');
    const name = promotedOn(s, ids.promotable)[0]!;
    expect([drbd1.name, drbd2.name]).toContain(name);
    expect(cloneRunningOn(s, ids.promotable).map((r) => r.node).sort()).toEqual([drbd1.name, drbd2.name]);
    primary = lab.node(name);
    expect(await primary.output(`findmnt -n -o SOURCE ${MOUNT}`)).toBe(DEVICE);
    expect((await primary.output(`sudo drbdadm role ${RES}`)).split('/')[0]).toBe('Primary');
    expect(await dataChecksum(primary), 'data.bin as the starting point wrote it').toBe(checksum);
    await waitUpToDate(lab, primary);
  });
  const failed = primary!;
  const survivor = failed === drbd1 ? drbd2 : drbd1;

  await step(`26. integrity probe writing on ${failed.name} (fsync'd records, acknowledgements on its root disk)`, async () => {
    await startWriter(lab, failed);
    // Enough records that the power cut lands in the middle of a stream of writes.
    await waitAcked(lab, failed, PROBE_RECORDS_BEFORE_CUT, `${PROBE_RECORDS_BEFORE_CUT} records acknowledged before the power cut`);
  });

  await step(`26. power off ${failed.name} from the host; Pacemaker promotes ${survivor.name} and mounts r0 there`, async () => {
    await failed.powerOff();
    const t0 = lab.clock.now();
    const { status: s, xml } = await waitForCluster(
      survivor,
      `${ids.promotable} promoted and ${ids.fs} started on ${survivor.name} after ${failed.name} lost power`,
      (x) => servesOn(x, RES, survivor.name),
      { clock: lab.clock, timeoutMs: scaled(240_000, lab.timeoutScale), intervalMs: 2_000, hopeless: (x) => failoverHopeless(x, RES, survivor.name) },
    );
    const failoverMs = lab.clock.now() - t0;
    await allure.attachment('crm_mon after the failover', xml, 'application/xml');
    await allure.attachment(`failover time: ${(failoverMs / 1000).toFixed(1)} s`, `power-off of ${failed.name} (virsh destroy) to ${MOUNT} mounted on ${survivor.name} as crm_mon shows it: ${(failoverMs / 1000).toFixed(1)} s (crm_mon polled every 2 s; corosync token ${TOKEN_MS} ms)\n`, 'text/plain');
    await allure.parameter('failover seconds', (failoverMs / 1000).toFixed(1));
    expect(s.nodes.find((n) => n.name === failed.name)?.online, `${failed.name} offline in crm_mon`).toBe(false);
    expect(await survivor.output(`findmnt -n -o SOURCE ${MOUNT}`)).toBe(DEVICE);
    expect((await survivor.output(`sudo drbdadm role ${RES}`)).split('/')[0]).toBe('Primary');
    await attachJournals(survivor, 'failover');
  });

  await step(`26. data intact on ${survivor.name}: data.bin as written`, async () => {
    expect(await dataChecksum(survivor)).toBe(checksum);
  });

  await step(`26. ${failed.name} powered on: the cluster stack stays off until started by hand, then rejoins`, async () => {
    await failed.powerOn();
    expect((await failed.exec(`systemctl is-active ${UNITS.join(' ')}`, { check: false })).stdout.trim().split('\n')).toEqual(['inactive', 'inactive']);
    expect(await status(failed), `${RES} not up on ${failed.name} before Pacemaker starts it`).toBeUndefined();
    await failed.exec(`sudo systemctl start ${UNITS.join(' ')}`, { timeoutMs: scaled(120_000, lab.timeoutScale) });
    await waitForQuorum(survivor, all.length, { clock: lab.clock, timeoutMs: scaled(120_000, lab.timeoutScale) });
  });

  await step(`26. every record the probe acknowledged on ${failed.name} is intact on ${survivor.name}`, async () => {
    // The acknowledgements survived the power cut on the root disk of the node that wrote them.
    const acks = await attachAcks(failed);
    expect(acks.stopped, 'the writer died with the power, it did not stop').toBe(false);
    expect(acks.acked).toBeGreaterThanOrEqual(PROBE_RECORDS_BEFORE_CUT);
    await checkProbe(survivor, acks);
  });

  await step(`26. the cluster settles: ${RES} connected, UpToDate on both, ${survivor.name} still promoted, no split brain`, async () => {
    const { status: settled, xml } = await waitForCluster(
      survivor,
      `${failed.name} back as unpromoted, ${survivor.name} promoted with ${ids.fs}`,
      (x) => settledWith(x, RES, survivor.name, failed.name),
      { clock: lab.clock, timeoutMs: scaled(300_000, lab.timeoutScale) },
    );
    await allure.attachment('crm_mon after the return', xml, 'application/xml');
    const res = await waitUpToDate(lab, survivor);
    expect(res.role).toBe('Primary');
    expect(startedOn(settled, ids.fs)).toEqual([survivor.name]);
    for (const n of [survivor, failed]) {
      const hits = splitBrainLines(await n.output('sudo dmesg --notime'));
      expect(hits, `${n.name}: Split-Brain in the kernel log`).toEqual([]);
    }
    // Failed actions are reported, not judged: on a loaded TCG host a monitor can time out on a healthy resource.
    await allure.attachment('failed actions in crm_mon after the return', settled.failures.map((f) => `${f.opKey} on ${f.node}: ${f.exitStatus} ${f.exitReason}`).join('\n') || 'none', 'text/plain');
    await attachJournals(failed, 'return');
  });
}
