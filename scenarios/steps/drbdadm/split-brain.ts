// Scenario 7 on drbdadm: split brain, made on purpose. The link is cut from the host, the
// secondary promoted too, both write; when the link returns DRBD compares the data generations,
// finds both changed, logs it (drbd_receiver.c, drbd_sync_handshake(): `Split-Brain detected but
// unresolved, dropping connection!`) and refuses the connection (StandAlone): r0 has no
// after-sb policy, so nothing is resolved automatically. The documented manual recovery picks a
// victim whose writes are thrown away, by design, and the survivor's data wins on both.
import * as allure from 'allure-js-commons';
import { expect } from 'vitest';
import type { ScenarioContext } from '../../../lib/scenario/define-scenario.js';
import type { ScenarioNode } from '../../../lib/scenario/scenario-lab.js';
import { DEVICE, MINOR, MOUNT, RES, replicas, writeFileCommand } from './cluster.js';
import { drbdWord, keepReplicationAddress, resyncSince, switchPrimary, waitCstate } from './faults.js';
import { settleAfter } from './settle.js';
import { markKernelLogs } from '../../../lib/scenario/kernel-health.js';
import { dataChecksum } from './start.js';

/** DRBD 8.4's alert, as the in-tree module of Debian 12's kernel prints it for r0's minor. */
const SPLIT_BRAIN_LINE = `block drbd${MINOR}: Split-Brain detected but unresolved, dropping connection!`;

/** A file written on one side only while split: its name says whose, its content is checked after. */
async function writeOwn(node: ScenarioNode): Promise<{ file: string; sum: string }> {
  const file = `${MOUNT}/split-${node.name}.txt`;
  await node.exec(writeFileCommand(file, `written on ${node.name} while split from its peer\n`));
  await node.exec('sync');
  return { file, sum: (await node.output(`sudo sha256sum ${file}`)).split(/\s+/)[0]! };
}

export async function drbdadmSplitBrain(ctx: ScenarioContext): Promise<void> {
  const { lab, step } = ctx;
  // drbd1 keeps its data (survivor); drbd2's writes while split are discarded (victim).
  const [survivor, victim] = replicas(lab);
  let own: { survivor: { file: string; sum: string }; victim: { file: string; sum: string } };

  const checksum = await step('precondition: r0 Connected, UpToDate/UpToDate, drbd1 Primary with data (restored at r0-up); replication NICs keep their address without carrier', async () => {
    for (const n of [survivor, victim]) await keepReplicationAddress(lab, n);
    await waitCstate(lab, survivor, 'Connected');
    expect(await drbdWord(survivor, 'dstate')).toBe('UpToDate/UpToDate');
    expect(await drbdWord(survivor, 'role')).toBe('Primary/Secondary');
    return dataChecksum(survivor);
  });

  await step(`1. cut ${survivor.name}'s replication link from the host: both sides wait for a connection`, async () => {
    await survivor.replicationLink('down');
    await waitCstate(lab, survivor, 'WFConnection');
    await waitCstate(lab, victim, 'WFConnection');
  });

  await step(`2. promote ${victim.name} too: two primaries, each writes its own file`, async () => {
    await victim.exec(`sudo drbdadm primary ${RES}`);
    await victim.exec(`sudo mount ${DEVICE} ${MOUNT}`);
    expect(await drbdWord(survivor, 'role')).toBe('Primary/Unknown');
    expect(await drbdWord(victim, 'role')).toBe('Primary/Unknown');
    own = { survivor: await writeOwn(survivor), victim: await writeOwn(victim) };
    // The victim leaves the device as the recovery needs it: unmounted, Secondary.
    await victim.exec(`sudo umount ${MOUNT}`);
    await victim.exec(`sudo drbdadm secondary ${RES}`);
  });

  const marks = await step('3. restore the link: DRBD detects the split brain, says so in the kernel log, and refuses to connect (StandAlone)', async () => {
    const m = await markKernelLogs([survivor, victim]);
    await survivor.replicationLink('up');
    await waitCstate(lab, victim, 'StandAlone');
    await waitCstate(lab, survivor, 'StandAlone');
    const { logs } = await resyncSince([survivor, victim], m, 'since the link came back (split brain)');
    for (const { node, text } of logs) {
      const alerts = text.split('\n').filter((l) => l.trim() === SPLIT_BRAIN_LINE).length;
      expect(alerts, `${node}: lines "${SPLIT_BRAIN_LINE}" in the kernel log`).toBeGreaterThanOrEqual(1);
    }
    // Both still UpToDate on their own: neither gave up its data by itself.
    expect(await drbdWord(survivor, 'dstate')).toBe('UpToDate/DUnknown');
    expect(await drbdWord(victim, 'dstate')).toBe('UpToDate/DUnknown');
    return m;
  });

  await step(`4. manual recovery: ${victim.name} connects with --discard-my-data, ${survivor.name} connects; both UpToDate`, async () => {
    await victim.exec(`sudo drbdadm connect --discard-my-data ${RES}`);
    const { trace, seconds } = await settleAfter(lab, survivor, 'the manual recovery', () => survivor.exec(`sudo drbdadm connect ${RES}`).then(() => undefined));
    await allure.parameter('connect → Established UpToDate/UpToDate (s)', seconds.toFixed(1));
    await allure.parameter('events2: max out-of-sync (KiB)', String(trace.maxOutOfSyncKiB));
    expect(await drbdWord(victim, 'dstate')).toBe('UpToDate/UpToDate');
    expect(await drbdWord(victim, 'role')).toBe('Secondary/Primary');
    const { logs, verdict } = await resyncSince([survivor, victim], marks, 'since the link came back, through the recovery');
    // DRBD says which way it resolved the split brain it had refused (drbd_sync_handshake()'s --discard-my-data branch).
    for (const [node, from] of [[survivor.name, 'this'], [victim.name, 'peer']] as const) {
      const line = `block drbd${MINOR}: Split-Brain detected, manually solved. Sync from ${from} node`;
      expect(logs.find((l) => l.node === node)!.text.split('\n').filter((l) => l.trim() === line).length, `${node}: lines "${line}" in the kernel log`).toBe(1);
    }
    await allure.attachment(`resync of the recovery: ${verdict.kind}, ${verdict.kib} KB`, verdict.summary.join('\n'), 'text/plain');
    await allure.parameter('resync of the recovery (KB, kernel log)', String(verdict.kib));
  });

  await step(`5. ${victim.name} has ${survivor.name}'s data: the survivor's write is there, the victim's was discarded`, async () => {
    await switchPrimary(survivor, victim);
    expect((await victim.output(`sudo sha256sum ${own.survivor.file}`)).split(/\s+/)[0]).toBe(own.survivor.sum);
    const gone = await victim.exec(`test -e ${own.victim.file}`, { check: false });
    expect(gone.exitCode, `${own.victim.file} (written on ${victim.name} while split) after the recovery`).toBe(1);
    expect((await victim.output(`sudo sha256sum ${MOUNT}/data.bin`)).split(/\s+/)[0]).toBe(checksum);
    await allure.attachment(
      'writes discarded by the recovery (by design)',
      `${victim.name}: ${own.victim.file} (sha256 ${own.victim.sum}), written while split, is gone\n${survivor.name}: ${own.survivor.file} (sha256 ${own.survivor.sum}) kept on both\n`,
      'text/plain',
    );
  });
}
