// Scenario 5 on drbdadm: the replication link cut under writes, from the host. With protocol C
// the primary keeps writing once DRBD has given up on the peer (the peer waits for a connection,
// its disk stays UpToDate); when the link returns DRBD resyncs only the blocks written meanwhile
// (the bitmap), and the peer then holds every record the writer had acknowledged.
import * as allure from 'allure-js-commons';
import { expect } from 'vitest';
import { assertBitmapResync } from '../../../lib/drbd/resync-log.js';
import { describeSettle } from '../../../lib/drbd/resync-trace.js';
import type { ScenarioContext } from '../../../lib/scenario/define-scenario.js';
import { MOUNT, RES, replicas } from './cluster.js';
import { drbdWord, expectR0Up, hasReplicationAddress, keepReplicationAddress, resyncSince, switchPrimary, waitCstate } from './faults.js';
import { settleAfter } from './settle.js';
import { markKernelLogs } from '../../../lib/scenario/kernel-health.js';
import { checkProbe, readAcks, startWriter, stopWriter, waitAcked } from './probe.js';

/**
 * A resync after the link returns copies what was written while it was down: the probe's ~40 KiB
 * a second plus ext4's journal and metadata. 64 MiB is far above that for the minute or two the
 * link is down here, and far below the 1 GiB a full resync copies.
 */
const LINK_CUT_RESYNC_LIMIT_KIB = 64 * 1024;
/** Records the primary must acknowledge while disconnected: it really kept writing. */
const WRITES_WHILE_CUT = 30;

export async function drbdadmLinkCut(ctx: ScenarioContext): Promise<void> {
  const { lab, step } = ctx;
  const [primary, peer] = replicas(lab);
  let ackedAtCut = 0;

  const checksum = await step('precondition: r0 Connected, UpToDate/UpToDate, drbd1 Primary with data (restored at r0-up); replication NICs keep their address without carrier', async () => {
    for (const n of [primary, peer]) await keepReplicationAddress(lab, n);
    // A reload may reconfigure the NIC: DRBD must be (back) on its feet before the fault.
    await waitCstate(lab, primary, 'Connected');
    return expectR0Up(primary);
  });

  await step('1. the probe writes on the primary, each record acknowledged after fsync', async () => {
    await startWriter(lab, primary);
    await waitAcked(lab, primary, 10, 'the probe writer acknowledged 10 records while connected');
  });

  await step(`2. cut ${primary.name}'s replication link from the host (virsh domif-setlink … down): both sides wait for a connection`, async () => {
    const t0 = lab.clock.now();
    await primary.replicationLink('down');
    const path = await waitCstate(lab, primary, 'WFConnection');
    await allure.parameter('link down → primary WFConnection (s)', ((lab.clock.now() - t0) / 1000).toFixed(1));
    await allure.attachment(`${primary.name}: connection states after the cut`, path.join(' → '), 'text/plain');
    await waitCstate(lab, peer, 'WFConnection');
    expect(await hasReplicationAddress(primary), `${primary.name} keeps ${primary.replicationIp} without carrier`).toBe(true);
  });

  await step('3. the primary keeps writing, both disks stay UpToDate', async () => {
    ackedAtCut = (await readAcks(primary)).log.acked;
    const acked = await waitAcked(lab, primary, ackedAtCut + WRITES_WHILE_CUT, `${WRITES_WHILE_CUT} more records acknowledged with the link down`);
    await allure.parameter('records acknowledged while the link was down (at least)', String(acked - ackedAtCut));
    expect(await drbdWord(primary, 'role')).toBe('Primary/Unknown');
    expect(await drbdWord(primary, 'dstate')).toBe('UpToDate/DUnknown');
    expect(await drbdWord(peer, 'role')).toBe('Secondary/Unknown');
    expect(await drbdWord(peer, 'dstate')).toBe('UpToDate/DUnknown');
    expect(await drbdWord(primary, 'cstate')).toBe('WFConnection');
  });

  const marks = await step('4. restore the link: DRBD reconnects and resyncs, both UpToDate', async () => {
    const m = await markKernelLogs([primary, peer]);
    const { trace, seconds } = await settleAfter(lab, primary, 'the link came back', () => primary.replicationLink('up'));
    await allure.parameter('link up → Established UpToDate/UpToDate (s)', seconds.toFixed(1));
    await allure.parameter('events2: max out-of-sync (KiB)', String(trace.maxOutOfSyncKiB));
    expect(trace.syncStates, `sync states in the stream: ${describeSettle(trace)}`).toContain('SyncSource');
    return m;
  });

  await step('5. only the blocks written while cut were resynced (bitmap, from the kernel log), not the whole device', async () => {
    const { logs, verdict } = await resyncSince([primary, peer], marks, 'since the link came back');
    await allure.attachment(`resync after the link came back: ${verdict.kind}, ${verdict.kib} KB`, verdict.summary.join('\n'), 'text/plain');
    await allure.parameter('resync (KB, kernel log)', String(verdict.kib));
    for (const { node, log } of logs) expect(log.handshakes.length, `${node}: a sync handshake of drbd100 in the kernel log since the link came back`).toBeGreaterThan(0);
    assertBitmapResync(RES, verdict, LINK_CUT_RESYNC_LIMIT_KIB, 'the link came back');
    // Something was written while cut: a resync of nothing would mean the writes never happened.
    expect(verdict.kind, verdict.summary.join('; ')).toBe('bitmap');
  });

  await step(`6. switch primaries: ${peer.name} holds every acknowledged record, and the data from before`, async () => {
    const acks = await stopWriter(lab, primary);
    expect(acks.acked).toBeGreaterThanOrEqual(ackedAtCut + WRITES_WHILE_CUT);
    await switchPrimary(primary, peer);
    await checkProbe(peer, acks);
    expect((await peer.output(`sudo sha256sum ${MOUNT}/data.bin`)).split(/\s+/)[0]).toBe(checksum);
    expect(await drbdWord(peer, 'dstate')).toBe('UpToDate/UpToDate');
  });
}
