// The author's warning (steps.md step 10): the hostname may only be changed until drbdmanage
// runs; changing it afterwards breaks the cluster. Here drbd3 is renamed once the cluster
// exists, as the captures did (drbd3 → drbd3-new, drbdmanage 0.99.18 on Debian 12 guests), and
// what breaks is asserted as the real programs showed it:
// - At once, nothing visible to drbdmanage: the running server fixed its node name at start-up
//   (server.py: `self._instance_node_name = os.uname()[1]`), and DRBD's resources keep running.
//   drbdadm, which reads the `on <host>` sections drbdmanage wrote, no longer finds this host:
//   `drbdadm adjust all` exits 1, "no normal resources defined for this host (drbd3-new)".
// - drbdmanaged restarted under the new name cannot adjust .drbdctrl ("'.drbdctrl' not defined
//   in your config (for this host)." in its journal), and drbdmanage on the node answers, after
//   its own retries, `Error: Satellite could not request control volume from leader` (exit 0).
// - Rebooted under the new name, DRBD does not come up on the node at all and its peers list
//   it OFFLINE. The rest of the cluster only ever knows it as drbd3.
// - The old name and a reboot bring it back.

import { expect } from 'vitest';
import { commandErrorLines } from '../../../lib/drbd/drbdadm-messages.js';
import { NO_DRBD_CONFIGURED, noResourcesForThisHost } from '../../../lib/drbd/drbdmanage-node-outputs.js';
import { NOT_READY_ERRORS } from '../../../lib/drbd/drbdmanage-result.js';
import { parseListNodes } from '../../../lib/drbd/drbdmanage-table.js';
import type { ScenarioContext } from '../../../lib/scenario/define-scenario.js';
import type { ScenarioNode } from '../../../lib/scenario/scenario-lab.js';
import { scaled } from '../../../lib/wait/poll.js';
import { cmd, DRBDMANAGED, REBOOTED, RENAMED } from './commands.js';
import { allOk, describeNodes, dm, dmListing, find, NODE_NAMES, peersOf, r0DeployedEverywhere, upToDateWith, waitForNodes, waitForStatus } from './common.js';
import { drbdmanageWalkthrough } from './walkthrough.js';

export async function drbdmanageHostnamePitfall(ctx: ScenarioContext): Promise<void> {
  const { lab, step } = ctx;
  const drbd1 = lab.node('drbd1');
  const node = lab.node(REBOOTED);
  const others = peersOf(REBOOTED);

  await step('0. Before: the walkthrough\'s cluster, drbd1, drbd2, drbd3 ok', async () => {
    if (!(await r0DeployedEverywhere(ctx))) await drbdmanageWalkthrough(ctx);
    await waitForNodes(lab, drbd1, 'drbd1, drbd2, drbd3 ok', allOk(NODE_NAMES));
  });

  await step(`10. ${REBOOTED} renamed ${RENAMED} once the cluster exists: its running server and DRBD do not notice, drbdadm no longer finds this host`, async () => {
    const names = (await node.output(cmd.rename(RENAMED), { kind: 'infrastructure' })).split('\n').map((l) => l.trim());
    expect(names, 'hostname; uname -n after the rename').toEqual([RENAMED, RENAMED]);
    await waitForNodes(lab, node, `list-nodes on ${RENAMED}: the running server still says ok`, allOk(NODE_NAMES));
    await waitForStatus(lab, node, `r0 still UpToDate on ${RENAMED} with ${others.join(', ')}`, (rs) => upToDateWith(find(rs, 'r0'), others), { command: cmd.drbdadmStatusAll });
    const adjust = await node.exec(cmd.adjustAll, { check: false, timeoutMs: 60_000 });
    expect(adjust.exitCode, `drbdadm adjust all on ${RENAMED}: exit code`).toBe(1);
    expect(commandErrorLines(adjust.stderr), `drbdadm adjust all on ${RENAMED}: stderr`).toEqual(noResourcesForThisHost(RENAMED));
  });

  await step(`10. drbdmanaged restarted under the new name cannot take part: "Satellite could not request control volume from leader" after its retries (the blog only warns)`, async () => {
    await restartDrbdmanaged(node);
    // Not a server still starting: drbdmanage retried by itself ("Waiting for server: ...") before it gave up.
    const list = await dm(node, cmd.listNodes, { timeoutMs: 300_000 });
    const output = `${list.stdout}${list.stderr}`.trim();
    expect(list.result.errors, `list-nodes on ${RENAMED}: error lines (output: ${output})`).toEqual([NOT_READY_ERRORS[2]]);
    expect(list.stderr, `list-nodes on ${RENAMED}: drbdmanage's own retries`).toMatch(/^Waiting for server: \.{10,}$/mu);
    expect(parseListNodes(list.stdout), `list-nodes on ${RENAMED}: no nodes`).toEqual([]);
    expect(list.exitCode, `list-nodes on ${RENAMED}: exit code (drbdmanage exits 0 after a server error)`).toBe(0);
    const journal = await node.output(cmd.journalTail);
    expect(journal, `drbdmanaged's journal on ${RENAMED}`).toMatch(new RegExp(`initializing on node '${RENAMED}'`, 'u'));
    expect(journal, `drbdmanaged's journal on ${RENAMED}`).toMatch(/'\.drbdctrl' not defined in your config \(for this host\)\./u);
    // The cluster knows the node by its old name only.
    const listing = await dmListing(drbd1, cmd.listNodes);
    const names = 'stdout' in listing ? parseListNodes(listing.stdout) : [];
    expect(names.map((n) => n.name).sort(), `list-nodes on drbd1 (${describeNodes(names)})`).toEqual([...NODE_NAMES]);
  });

  await step(`10. ${RENAMED} rebooted: the name stays, DRBD does not come up on it, the others see ${REBOOTED} OFFLINE`, async () => {
    await node.reboot();
    expect(await node.output(cmd.hostname), 'hostname after the reboot').toBe(RENAMED);
    const adm = await node.exec(cmd.drbdadmStatusAll, { timeoutMs: 30_000 });
    expect(adm.stdout.trim(), `drbdadm status on ${RENAMED} after the reboot`).toBe(NO_DRBD_CONFIGURED);
    await waitForNodes(lab, drbd1, `${REBOOTED} OFFLINE in drbd1's list-nodes`, (nodes) =>
      nodes.some((n) => n.name === REBOOTED && /OFFLINE/iu.test(n.state)) && others.every((o) => nodes.some((n) => n.name === o && n.ok)),
    scaled(300_000, lab.timeoutScale));
  });

  await step(`10. Hostname restored and ${REBOOTED} rebooted: back in the cluster`, async () => {
    expect((await node.output(cmd.renameBack(REBOOTED), { kind: 'infrastructure' })).trim(), 'hostname').toBe(REBOOTED);
    await node.reboot();
    // A drbdmanage call starts the server even where no unit does (see the reboot scenario).
    await waitForNodes(lab, node, `list-nodes on ${REBOOTED}: all ok`, allOk(NODE_NAMES), scaled(300_000, lab.timeoutScale));
    await waitForStatus(lab, node, `r0 UpToDate on ${REBOOTED} with ${others.join(', ')}`, (rs) => upToDateWith(find(rs, 'r0'), others), {
      command: cmd.drbdadmStatusAll,
      timeoutMs: scaled(300_000, lab.timeoutScale),
      intervalMs: 5_000,
    });
    await waitForNodes(lab, drbd1, 'drbd1, drbd2, drbd3 ok', allOk(NODE_NAMES), scaled(300_000, lab.timeoutScale));
  });
}

/**
 * Restart drbdmanaged so it reads the hostname again. Under systemd (enabled by the reboot
 * scenario) through systemctl, so the unit stays the one running it; otherwise (D-Bus-activated,
 * as after init) with `drbdmanage restart -q`.
 */
async function restartDrbdmanaged(node: ScenarioNode): Promise<void> {
  const active = await node.exec(cmd.isActive(DRBDMANAGED), { check: false, timeoutMs: 30_000 });
  if (active.stdout.trim() === 'active') {
    await node.exec(cmd.restartUnit(DRBDMANAGED), { timeoutMs: 120_000 });
  } else {
    // cmd_restart → cmd_startup prints this once the new server answers a ping.
    const r = await node.exec(cmd.dmRestart, { check: false, timeoutMs: 180_000 });
    expect(r.stdout, `drbdmanage restart on ${node.name}`).toMatch(/server is running and reachable/u);
  }
}
