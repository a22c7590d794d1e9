// Scenario 6 on drbdadm: the primary loses power (`virsh destroy` from the host) while the probe
// writes. Protocol C acknowledges a write only once the peer has it, so the secondary, promoted,
// holds every record the writer had acknowledged. The old primary boots, rejoins as secondary,
// resyncs from the new primary (the extents its activity log held — r0 has DRBD 8.4's smallest,
// 67 extents of 4 MiB, see AL_EXTENTS — and what the new primary wrote alone), and holds them
// too after a switch back.
import * as allure from 'allure-js-commons';
import { expect } from 'vitest';
import { crashResyncBounds, crashResyncProblems } from '../../../lib/drbd/crash-resync.js';
import { commandErrorLines } from '../../../lib/drbd/drbdadm-messages.js';
import { alMarkedKiB } from '../../../lib/drbd/resync-log.js';
import type { ScenarioContext } from '../../../lib/scenario/define-scenario.js';
import { AL_EXTENTS, DEVICE, MINOR, MOUNT, RES, replicas } from './cluster.js';
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
    // Down is one answer: the kernel has no minor for r0 (exit 10). Any other failure is drbdadm's own, not "down".
    const r = await primary.exec(`sudo drbdadm cstate ${RES}`, { check: false });
    expect(r.exitCode, `${primary.name}: drbdadm cstate ${RES} after the boot: exit code (stderr: ${r.stderr.trim()})`).toBe(10);
    expect(commandErrorLines(r.stderr)[0], `${primary.name}: drbdadm cstate ${RES} after the boot`).toBe(`${MINOR}: Failure: (127) Device minor not allocated`);
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

  await step(`7. the resync went from ${secondary.name} to ${primary.name}: the crashed primary's activity log (${AL_EXTENTS} extents) and what ${secondary.name} wrote alone, no full sync`, async () => {
    const { logs, verdict } = await resyncSince([primary, secondary], marks, `since ${primary.name} came back`);
    await allure.attachment(`resync after ${primary.name} came back: ${verdict.kind}, ${verdict.kib} KB`, `drbdadm up on ${primary.name}: ${upOutput.trim()}\n${verdict.summary.join('\n')}`, 'text/plain');
    await allure.parameter('resync (KB, kernel log)', String(verdict.kib));
    const target = logs.find((l) => l.node === primary.name)!.log;
    const source = logs.find((l) => l.node === secondary.name)!.log;
    expect(target.resyncs.map((r) => r.as), `${primary.name}: began resync as …`).toEqual(['SyncTarget']);
    expect(source.resyncs.map((r) => r.as), `${secondary.name}: began resync as …`).toEqual(['SyncSource']);
    // A crashed primary resyncs every extent its activity log held (drbdmeta apply-al says how
    // much), at most al-extents × 4 MiB: a quarter of the device here, so a full sync is a failure.
    const alKiB = alMarkedKiB(upOutput);
    expect(alKiB, `drbdadm up on ${primary.name}: "Marked additional … as out-of-sync based on AL."`).not.toBeNull();
    const attachBits = target.attachBits.at(-1);
    expect(attachBits, `${primary.name}: "… bits marked out-of-sync by on disk bit-map" at attach`).toBeDefined();
    const ownBits = source.handshakes.at(-1)?.selfBits;
    expect(ownBits, `${secondary.name}: its bits at the sync handshake`).toEqual(expect.any(Number));
    const facts = { alExtents: AL_EXTENTS, alMarkedKiB: alKiB!, targetAttachBits: attachBits!, sourceOwnBits: ownBits!, verdict };
    const bounds = crashResyncBounds(facts);
    await allure.parameter(`activity log of the crashed ${primary.name} (KB marked, at most ${bounds.alMaxKiB})`, String(alKiB));
    await allure.parameter('resync bounds (KB): the larger bitmap … both bitmaps', `${bounds.minKiB} … ${bounds.maxKiB}`);
    // The problems in the message itself: the assertion's own text shortens an array to its length.
    const problems = crashResyncProblems(facts);
    expect(problems, `resync after ${primary.name} lost power: ${problems.join('; ') || 'as bounded'} (${verdict.summary.join('; ')})`).toEqual([]);
  });

  await step(`8. switch primaries back: ${primary.name} holds every acknowledged record too`, async () => {
    await switchPrimary(secondary, primary);
    await checkProbe(primary, acks);
    expect((await primary.output(`sudo sha256sum ${MOUNT}/data.bin`)).split(/\s+/)[0]).toBe(checksum);
  });
}
