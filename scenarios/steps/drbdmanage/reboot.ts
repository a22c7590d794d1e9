// The walkthrough's closing warning (steps.md E, 24-25): "after rebooting the servers the DRBD
// service is not started, and the nodes are offline", until drbdmanaged.service is enabled.
// What the real programs do (captured, drbdmanage 0.99.18 on Debian 12 guests): as installed,
// drbdmanaged runs without its unit, started by D-Bus activation at the first drbdmanage call;
// a rebooted node brings nothing of DRBD back by itself and its peers list it OFFLINE, but the
// first drbdmanage command on it starts the server again and everything comes back. With the
// unit enabled, the boot starts the server, which brings .drbdctrl and then r0 back. One node
// (drbd3) is rebooted, so that the others can be asked what they see of it.

import * as allure from 'allure-js-commons';
import { expect } from 'vitest';
import { createdSymlinks, NO_DRBD_CONFIGURED, parseIsEnabled, parseProcesses, parseSystemctlStatus } from '../../../lib/drbd/drbdmanage-node-outputs.js';
import { parseDrbdsetupStatus } from '../../../lib/drbd/drbdsetup-status.js';
import { WHOLE_BOOT_COMMAND } from '../../../lib/drbd/kernel-log.js';
import { AL_EXTENT_KIB, assertBitmapResync, parseResyncLog, resyncVerdict } from '../../../lib/drbd/resync-log.js';
import type { ScenarioContext } from '../../../lib/scenario/define-scenario.js';
import { SETUP, type ScenarioNode } from '../../../lib/scenario/scenario-lab.js';
import { scaled } from '../../../lib/wait/poll.js';
import { cmd, deviceOf, DRBDMANAGED, REBOOT_FILE, REBOOTED } from './commands.js';
import {
  allOk,
  find,
  NODE_NAMES,
  peersOf,
  primaries,
  r0DeployedEverywhere,
  r0Minor,
  upToDateWith,
  waitForNodes,
  waitForStatus,
} from './common.js';
import { drbdmanageWalkthrough } from './walkthrough.js';

/** The D-Bus-activated server's command line (scripts/dbus-drbdmanaged-service). */
const SERVER = /\/dbus-drbdmanaged-service$/u;

export async function drbdmanageRebootPersistence(ctx: ScenarioContext): Promise<void> {
  const { lab, step } = ctx;
  const drbd1 = lab.node('drbd1');
  const rebooted = lab.node(REBOOTED);
  const others = peersOf(REBOOTED);
  let checksum = '';
  let minor = 0;

  await step('0. Before: the walkthrough\'s r0 on three nodes, in sync, data written on drbd1, unmounted', async () => {
    // Normally the walkthrough scenario ran on this lab just before; otherwise build it first.
    if (!(await r0DeployedEverywhere(ctx))) await drbdmanageWalkthrough(ctx);
    minor = await r0Minor(drbd1);
    await waitForStatus(lab, drbd1, 'r0 UpToDate on drbd1, drbd2, drbd3', (rs) => upToDateWith(find(rs, 'r0'), ['drbd2', 'drbd3']), {
      command: cmd.drbdadmStatus('r0'),
      // The walkthrough's 37 GiB take minutes to resync.
      timeoutMs: scaled(45 * 60_000, lab.timeoutScale),
      intervalMs: 10_000,
    });
    await drbd1.exec(cmd.ensureMounted(deviceOf(minor)), { timeoutMs: 60_000 });
    await drbd1.exec(cmd.writeRebootFile, { ...SETUP, timeoutMs: 120_000 });
    checksum = sha256Of(await drbd1.output(cmd.sha256(REBOOT_FILE)));
    await unmountedSecondary(drbd1);
  });

  await step('24. As installed: drbd.service and drbdmanaged.service disabled, yet drbdmanaged runs, started by D-Bus (not by its unit)', async () => {
    // The package's own default, observed before anything changes it.
    for (const name of NODE_NAMES) {
      const node = lab.node(name);
      await expectUnitsDisabled(node);
      const unit = await node.exec(cmd.statusUnit(DRBDMANAGED), { check: false });
      expect([unit.exitCode, parseSystemctlStatus(unit.stdout).active], `${name}: systemctl status ${DRBDMANAGED}`).toEqual([3, 'inactive (dead)']);
      expect(await serverRuns(node), `${name}: a drbdmanaged server (dbus-drbdmanaged-service) runs`).toBe(true);
    }
  });

  await step(`24. ${REBOOTED} rebooted with the units as installed: nothing of DRBD comes back by itself, the others see it OFFLINE (the blog reboots every server)`, async () => {
    await rebooted.reboot();
    await expectUnitsDisabled(rebooted);
    const adm = await rebooted.exec(cmd.drbdadmStatusAll, { timeoutMs: 30_000 });
    expect(adm.stdout.trim(), `${REBOOTED}: drbdadm status after the reboot`).toBe(NO_DRBD_CONFIGURED);
    expect(await serverRuns(rebooted), `${REBOOTED}: no drbdmanaged server after the reboot`).toBe(false);
    const r0 = find(parseDrbdsetupStatus((await drbd1.exec(cmd.drbdadmStatusAll, { timeoutMs: 30_000 })).stdout), 'r0');
    const peer = r0?.peers.find((p) => p.name === REBOOTED);
    expect(peer?.connection, `drbd1: r0's connection to ${REBOOTED}`).toBe('Connecting');
    await waitForNodes(lab, drbd1, `${REBOOTED} OFFLINE in drbd1's list-nodes`, (nodes) =>
      nodes.some((n) => n.name === REBOOTED && /OFFLINE/iu.test(n.state)) && others.every((o) => nodes.some((n) => n.name === o && n.ok)),
    );
  });

  await step(`24. The first drbdmanage command on ${REBOOTED} starts drbdmanaged through D-Bus, and ${REBOOTED} comes back (the blog: offline until drbdmanaged.service is enabled)`, async () => {
    await waitForNodes(lab, rebooted, 'drbd1, drbd2, drbd3 ok', allOk(NODE_NAMES), scaled(300_000, lab.timeoutScale));
    expect(await serverRuns(rebooted), `${REBOOTED}: the drbdmanaged server D-Bus started`).toBe(true);
    await waitForStatus(lab, rebooted, `.drbdctrl and r0 UpToDate on ${REBOOTED} with ${others.join(', ')}`, (rs) => upToDateWith(find(rs, '.drbdctrl'), others) && upToDateWith(find(rs, 'r0'), others), {
      command: cmd.drbdadmStatusAll,
      timeoutMs: scaled(300_000, lab.timeoutScale),
      intervalMs: 5_000,
    });
    await waitForNodes(lab, drbd1, 'drbd1, drbd2, drbd3 ok', allOk(NODE_NAMES), scaled(300_000, lab.timeoutScale));
  });

  await step(`25. systemctl enable ${DRBDMANAGED} on ${REBOOTED} (the blog enables it everywhere), reboot: the boot starts drbdmanaged, which brings .drbdctrl and then r0 back`, async () => {
    const enable = await rebooted.exec(cmd.enable(DRBDMANAGED));
    // systemctl writes it to stderr: the blog's line.
    expect(createdSymlinks(`${enable.stdout}${enable.stderr}`), `${REBOOTED}: systemctl enable ${DRBDMANAGED}`).toEqual([
      { link: '/etc/systemd/system/multi-user.target.wants/drbdmanaged.service', target: '/lib/systemd/system/drbdmanaged.service' },
    ]);
    await rebooted.reboot();
    const unit = parseSystemctlStatus((await rebooted.exec(cmd.statusUnit(DRBDMANAGED), { check: false })).stdout);
    expect([unit.unitFile?.enablement, unit.active], `${REBOOTED}: ${DRBDMANAGED} after the reboot`).toEqual(['enabled', 'active (running)']);
    const resources = await waitForStatus(
      lab,
      rebooted,
      `.drbdctrl and r0 UpToDate on ${REBOOTED} with ${others.join(', ')}`,
      (rs) => upToDateWith(find(rs, '.drbdctrl'), others) && upToDateWith(find(rs, 'r0'), others),
      { command: cmd.drbdadmStatusAll, timeoutMs: scaled(600_000, lab.timeoutScale), intervalMs: 5_000 },
    );
    expect(primaries(find(resources, '.drbdctrl')!, REBOOTED), '.drbdctrl Primaries').toHaveLength(1);
    const journal = await rebooted.output(cmd.journalThisBoot);
    expect(journal, `${REBOOTED}: drbdmanaged's journal of this boot`).toMatch(new RegExp(`initializing on node '${REBOOTED}'`, 'u'));
    expect(journal, `${REBOOTED}: drbdmanaged's journal of this boot`).toMatch(/starting resource 'r0'/u);
    await waitForNodes(lab, drbd1, 'drbd1, drbd2, drbd3 ok after the reboot', allOk(NODE_NAMES), scaled(300_000, lab.timeoutScale));
  });

  await step(`25. after the reboot DRBD resynced only what its bitmap held, not the whole r0 (${REBOOTED}'s kernel log)`, async () => {
    // r0 was unmounted before the reboots (auto-demote made it Secondary): no crashed primary,
    // so no activity-log extents and no full resync. The rebooted node logs every handshake and
    // any resync, with both peers.
    const log = parseResyncLog(await rebooted.output(WHOLE_BOOT_COMMAND), minor);
    await allure.attachment(`${REBOOTED}: drbd${minor} in this boot's kernel log`, log.lines.join('\n'), 'text/plain');
    expect(log.handshakes.map((h) => h.peer).sort(), `${REBOOTED}: sync handshakes of drbd${minor} in this boot's kernel log`).toEqual([...others].sort());
    const verdict = resyncVerdict([{ node: REBOOTED, log }]);
    await allure.attachment(`resync after the reboot: ${verdict.kind}, ${verdict.kib} KB`, verdict.summary.join('\n'), 'text/plain');
    assertBitmapResync('r0', verdict, AL_EXTENT_KIB);
  });

  await step('25. r0\'s data intact after the reboots', async () => {
    await drbd1.exec(cmd.ensureMounted(deviceOf(minor)), { timeoutMs: 60_000 });
    expect(sha256Of(await drbd1.output(cmd.sha256(REBOOT_FILE))), `${REBOOT_FILE} after the reboots`).toBe(checksum);
    await unmountedSecondary(drbd1);
  });
}

/** `systemctl is-enabled drbd.service drbdmanaged.service`: both disabled, exit 1 (0 when either is enabled). */
async function expectUnitsDisabled(node: ScenarioNode): Promise<void> {
  const r = await node.exec(cmd.isEnabledBoth, { check: false, timeoutMs: 30_000 });
  expect([parseIsEnabled(r.stdout), r.exitCode], `${node.name}: ${cmd.isEnabledBoth}`).toEqual([['disabled', 'disabled'], 1]);
}

async function serverRuns(node: ScenarioNode): Promise<boolean> {
  const r = await node.exec(cmd.serverProcesses, { check: false, timeoutMs: 30_000 });
  return parseProcesses(r.stdout).some((p) => SERVER.test(p.args));
}

/** Unmounted cleanly, and DRBD 9's auto-demote made drbd1 Secondary again. */
async function unmountedSecondary(drbd1: ScenarioNode): Promise<void> {
  const r = await drbd1.exec(cmd.umountAndStatus, { timeoutMs: 60_000 });
  expect(find(parseDrbdsetupStatus(r.stdout), 'r0')?.role, 'r0 on drbd1 after umount').toBe('Secondary');
}

function sha256Of(line: string): string {
  const m = /^([0-9a-f]{64})\s/u.exec(line);
  expect(m, `sha256sum output: ${line}`).not.toBeNull();
  return m![1]!;
}
