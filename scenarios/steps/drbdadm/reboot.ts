// Scenario 2 on drbdadm: after a reboot with the boot service as installed the resource is
// down (the walkthrough's step 24); with drbd.service enabled it comes back, data intact, and
// resyncs only what its bitmap held: r0 was quiesced (unmounted, Secondary) before the first
// reboot, so no crashed primary's activity log and no full resync (lab-notes: rebooting a
// mounted Primary marks the whole 1 GiB out of sync).
import * as allure from 'allure-js-commons';
import { expect } from 'vitest';
import { ResyncAmountError } from '../../../lib/errors.js';
import { Events2Watch } from '../../../lib/scenario/events2-watch.js';
import { WHOLE_BOOT_COMMAND } from '../../../lib/drbd/kernel-log.js';
import { AL_EXTENT_KIB, assertBitmapResync, parseResyncLog, resyncVerdict } from '../../../lib/drbd/resync-log.js';
import { describeSettle, type SettleTrace } from '../../../lib/drbd/resync-trace.js';
import type { ScenarioContext } from '../../../lib/scenario/define-scenario.js';
import type { ScenarioLab, ScenarioNode } from '../../../lib/scenario/scenario-lab.js';
import { onEach } from '../../../lib/scenario/on-each.js';
import { DEVICE, MINOR, MOUNT, RES, quiesce, replicas, status, waitUpToDate } from './cluster.js';
import { dataChecksum } from './start.js';
import { followSettle } from './settle.js';

/**
 * A fault to inject on purpose (DRBDLAB_FAULT=kernel-bug-before-reboot): a line in the format of a
 * BUG_ON on Debian 12's kernel ("kernel BUG at <file>:<line>!"), written into the first replica's
 * kernel log just before step 24 reboots it. The reboot takes it out of dmesg: the scenario must
 * still end red, a product failure, with the line in the report (the kernel-log check reads a
 * node's log before it reboots: lib/scenario/kernel-health.ts). The lab carries it, from the run's configuration.
 */
export const KERNEL_BUG_FAULT_LINE = 'kernel BUG at drivers/block/drbd/drbd_main.c:1! (written on purpose: DRBDLAB_FAULT=kernel-bug-before-reboot)';
/** `<2>`: KERN_CRIT, as the kernel prints a BUG. */
export const KERNEL_BUG_FAULT_COMMAND = `echo '<2>${KERNEL_BUG_FAULT_LINE}' | sudo tee /dev/kmsg >/dev/null`;

export async function injectKernelBugBeforeReboot(lab: ScenarioLab, node: ScenarioNode): Promise<void> {
  if (lab.fault === 'kernel-bug-before-reboot') await node.exec(KERNEL_BUG_FAULT_COMMAND, { kind: 'infrastructure' });
}

export async function drbdadmRebootPersistence(ctx: ScenarioContext): Promise<void> {
  const { lab, step } = ctx;
  const [primary, secondary] = replicas(lab);
  // Restored at r0-up: the data the starting point wrote, as found before anything reboots.
  const checksum = await step('precondition: r0 up, data on it (restored at r0-up)', () => dataChecksum(primary));
  let settle: SettleTrace | undefined;

  await step('24. drbd.service is disabled as installed (observed before changing anything)', async () => {
    // The Debian package's default (lab-notes): the pitfall of step 24 comes from the package, not from us.
    await onEach([primary, secondary], async (n) => {
      const r = await n.exec('systemctl is-enabled drbd.service', { check: false });
      expect(r.stdout.trim(), `${n.name}: systemctl is-enabled drbd.service`).toBe('disabled');
      expect(r.exitCode).toBe(1);
    });
  });

  await step('24. reboot both replicas: the module loads, the resource stays down', async () => {
    await onEach([primary, secondary], quiesce);
    await injectKernelBugBeforeReboot(lab, primary);
    await onEach([primary, secondary], (n) => n.reboot());
    await onEach([primary, secondary], async (n) => {
      expect(await n.output('cat /proc/drbd')).toMatch(/^version: 8\.4\./);
      const r = await n.exec(`sudo drbdadm status ${RES}`, { check: false });
      expect(r.exitCode).toBe(10);
      expect(r.stderr + r.stdout).toMatch(new RegExp(`${RES}: No such resource`));
    });
  });

  await step('25. enable drbd.service (the drbdadm counterpart of drbdmanaged.service)', async () => {
    await onEach([primary, secondary], async (n) => {
      const r = await n.exec('sudo systemctl enable drbd.service 2>&1');
      expect(r.stdout).toMatch(/Created symlink|Synchronizing state of drbd.service/);
      expect(await n.output('systemctl is-enabled drbd.service')).toBe('enabled');
    });
  });

  await step('25. reboot again: r0 comes back connected and UpToDate by itself', async () => {
    await onEach([primary, secondary], (n) => n.reboot());
    // drbd.service brought r0 up during the boot, before SSH answers: the watcher sees the state it
    // finds and what follows; the kernel log (next step) holds the whole boot.
    ({ trace: settle } = await followSettle(lab, primary, await Events2Watch.start(primary, RES, lab.clock, lab.timeoutScale), 'the reboot'));
    const res = await waitUpToDate(lab, primary);
    expect(res.role).toBe('Secondary');
  });

  await step('25. after the reboot DRBD resynced only what its bitmap held, not the whole device', async () => {
    const read = await onEach([primary, secondary], async (n) => {
      const kernel = await n.output(WHOLE_BOOT_COMMAND);
      // drbdmeta apply-al (run by drbdadm before attach) reports a crashed primary's activity log here.
      const unit = await n.exec('sudo journalctl -b -u drbd.service --no-pager -o cat');
      return { node: n.name, log: parseResyncLog(kernel, MINOR), unit: unit.stdout };
    });
    const logs = [];
    for (const { node, log, unit } of read) {
      await allure.attachment(`${node}: drbd${MINOR} in this boot's kernel log, drbd.service's journal`, `${log.lines.join('\n')}\n\n${unit}`, 'text/plain');
      logs.push({ node, log });
    }
    const verdict = resyncVerdict(logs);
    await allure.attachment(
      `resync after the reboot: ${verdict.kind}, ${verdict.kib} KB`,
      [...verdict.summary, `events2 on ${primary.name}: ${describeSettle(settle!)}`].join('\n'),
      'text/plain',
    );
    // Without a handshake in the log there is nothing to measure: not a pass.
    for (const { node, log } of logs) expect(log.handshakes.length, `${node}: a sync handshake of drbd${MINOR} in this boot's kernel log`).toBeGreaterThan(0);
    assertBitmapResync(RES, verdict, AL_EXTENT_KIB);
    // The stream is a second witness: what it found still out of sync must be as small.
    if (settle!.maxOutOfSyncKiB >= AL_EXTENT_KIB) {
      const full = verdict.deviceKiB !== null && settle!.maxOutOfSyncKiB >= verdict.deviceKiB;
      throw new ResyncAmountError(RES, settle!.maxOutOfSyncKiB, full, AL_EXTENT_KIB, [`events2 on ${primary.name}: ${describeSettle(settle!)}`, ...verdict.summary]);
    }
  });

  await step('25. data intact after the reboot', async () => {
    await primary.exec(`sudo drbdadm primary ${RES}`);
    await primary.exec(`sudo mount ${DEVICE} ${MOUNT}`);
    expect((await primary.output(`sudo sha256sum ${MOUNT}/data.bin`)).split(/\s+/)[0]).toBe(checksum);
    expect((await status(secondary))?.volumes[0]?.disk).toBe('UpToDate');
  });

  // A restored cluster is thrown away after the scenario: only a lab that goes on needs this.
  if (ctx.shared) {
    await step('restore: drbd.service disabled again, as installed', async () => {
      for (const n of [primary, secondary]) {
        await n.exec('sudo systemctl disable drbd.service 2>&1');
        expect(await n.output('systemctl is-enabled drbd.service', { check: false })).toBe('disabled');
      }
    });
  }
}
