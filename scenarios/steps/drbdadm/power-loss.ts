// Scenario 6 on drbdadm: the primary loses power (`virsh destroy` from the host) while the probe
// writes. Protocol C acknowledges a write only once the peer has it, so the secondary, promoted,
// holds every record the writer had acknowledged. The old primary boots, rejoins as secondary,
// resyncs from the new primary (the extents its activity log held: here the whole 1 GiB), and
// holds them too after a switch back.
import * as allure from 'allure-js-commons';
import { expect } from 'vitest';
import { alMarkedKiB } from '../../../lib/drbd/resync-log.js';
import type { ScenarioContext } from '../../../lib/scenario/define-scenario.js';
import { DEVICE, MOUNT, RES, replicas } from './cluster.js';
import { drbdWord, expectR0Up, resyncSince, switchPrimary, waitCstate } from './faults.js';
import { settleAfter } from './settle.js';
import { markKernelLogs } from '../../../lib/scenario/kernel-health.js';
import { attachAcks, checkProbe, readAcks, startWriter, waitAcked } from './probe.js';

export async function drbdadmPowerLoss(ctx: ScenarioContext): Promise<void> {
  const { lab, step } = ctx;
  const [primary, secondary] = replicas(lab);
  let ackedSeen = 0;
  let poweredOffAt = 0;

  const checksum = await step('precondition: r0 Connected, UpToDate/UpToDate, drbd1 Primary with data (restored at r0-up)', async () => {
    return expectR0Up(primary);
  });

  await step('1. the probe writes on the primary, each record acknowledged after fsync', async () => {
    await startWriter(lab, primary);
    await waitAcked(lab, primary, 20, 'the probe writer acknowledged 20 records');
  });

  await step(`2. power off ${primary.name} from the host (virsh destroy) while it writes: ${secondary.name} loses its peer, its disk stays UpToDate`, async () => {
    // What the host knows was acknowledged before the cut; the writer's own log (read after the boot) has the rest.
    ackedSeen = (await readAcks(primary)).log.acked;
    poweredOffAt = lab.clock.now();
    await primary.powerOff();
    await waitCstate(lab, secondary, 'WFConnection');
    await allure.parameter('power off → secondary WFConnection (s)', ((lab.clock.now() - poweredOffAt) / 1000).toFixed(1));
    expect(await drbdWord(secondary, 'dstate')).toBe('UpToDate/DUnknown');
    expect(await drbdWord(secondary, 'role')).toBe('Secondary/Unknown');
  });

  await step(`3. promote ${secondary.name} and mount r0 (ext4 replays its journal)`, async () => {
    await secondary.exec(`sudo drbdadm primary ${RES}`);
    await secondary.exec(`sudo mount ${DEVICE} ${MOUNT}`);
    await allure.parameter('power off → mounted on the new primary (s)', ((lab.clock.now() - poweredOffAt) / 1000).toFixed(1));
    expect(await drbdWord(secondary, 'role')).toBe('Primary/Unknown');
  });

  const acks = await step(`4. power ${primary.name} on: it boots, r0 stays down (drbd.service disabled as installed); its writer's ack log survived on its root disk`, async () => {
    await primary.powerOn();
    const r = await primary.exec(`sudo drbdadm cstate ${RES}`, { check: false });
    expect(r.exitCode, `${primary.name}: drbdadm cstate ${RES} after the boot`).not.toBe(0);
    const log = await attachAcks(primary);
    // The writer was killed, not stopped: no `stopped` line; at least what the host saw before the cut.
    expect(log.stopped).toBe(false);
    expect(log.errors).toEqual([]);
    expect(log.acked).toBeGreaterThanOrEqual(ackedSeen);
    await allure.parameter('records acknowledged before the power cut', String(log.acked));
    return log;
  });

  await step(`5. every acknowledged record is on ${secondary.name}, the new primary, intact`, async () => {
    await checkProbe(secondary, acks);
    expect((await secondary.output(`sudo sha256sum ${MOUNT}/data.bin`)).split(/\s+/)[0]).toBe(checksum);
  });

  let upOutput = '';
  const marks = await step(`6. ${primary.name} rejoins as secondary and resyncs from ${secondary.name}; both UpToDate`, async () => {
    const m = await markKernelLogs([primary, secondary]);
    const { trace, seconds } = await settleAfter(lab, secondary, `${primary.name} came back`, async () => {
      const r = await primary.exec(`sudo drbdadm up ${RES}`);
      upOutput = `${r.stdout}${r.stderr}`;
    });
    await allure.parameter(`${primary.name} up → Established UpToDate/UpToDate (s)`, seconds.toFixed(1));
    await allure.parameter('events2: max out-of-sync (KiB)', String(trace.maxOutOfSyncKiB));
    expect(await drbdWord(primary, 'role')).toBe('Secondary/Primary');
    expect(await drbdWord(primary, 'dstate')).toBe('UpToDate/UpToDate');
    return m;
  });

  await step(`7. the resync went from ${secondary.name} to ${primary.name}: the crashed primary's activity log and what ${secondary.name} wrote alone`, async () => {
    const { logs, verdict } = await resyncSince([primary, secondary], marks, `since ${primary.name} came back`);
    await allure.attachment(`resync after ${primary.name} came back: ${verdict.kind}, ${verdict.kib} KB`, `drbdadm up on ${primary.name}: ${upOutput.trim()}\n${verdict.summary.join('\n')}`, 'text/plain');
    await allure.parameter('resync (KB, kernel log)', String(verdict.kib));
    const target = logs.find((l) => l.node === primary.name)!.log;
    const source = logs.find((l) => l.node === secondary.name)!.log;
    expect(target.resyncs.map((r) => r.as), `${primary.name}: began resync as …`).toEqual(['SyncTarget']);
    expect(source.resyncs.map((r) => r.as), `${secondary.name}: began resync as …`).toEqual(['SyncSource']);
    // A crashed primary resyncs every extent its activity log held (drbdmeta apply-al says how much):
    // with 8.4's default al-extents (1237 of 4 MiB) a 1 GiB device is covered whole, so the
    // resync is as large as the device, by design. Beyond that only the new primary's own writes.
    const alKiB = alMarkedKiB(upOutput);
    expect(alKiB, `drbdadm up on ${primary.name}: "Marked additional … as out-of-sync based on AL."`).not.toBeNull();
    await allure.parameter(`activity log of the crashed ${primary.name} (KB marked)`, String(alKiB));
    const ownBits = source.handshakes.at(-1)?.selfBits ?? 0;
    expect(verdict.kib, `resync ≤ AL ${alKiB} KB + ${secondary.name}'s ${ownBits} bits of its own writes`).toBeLessThanOrEqual(alKiB! + ownBits * 4);
  });

  await step(`8. switch primaries back: ${primary.name} holds every acknowledged record too`, async () => {
    await switchPrimary(secondary, primary);
    await checkProbe(primary, acks);
    expect((await primary.output(`sudo sha256sum ${MOUNT}/data.bin`)).split(/\s+/)[0]).toBe(checksum);
  });
}
