// The author's warning (steps.md step 10): the hostname may only be changed until drbdmanage
// runs; changing it afterwards breaks the cluster. Here drbd3 is renamed once the cluster
// exists, the failure is asserted, and the old name brings the node back.
//
// What fails, and how that was derived (LINBIT/drbdmanage and drbd-utils sources):
// - drbdmanage names nodes after `uname -n`: the client's init/join use get_uname(), and the
//   server fixes its own node name once, at start-up (server.py DrbdManageServer.__init__:
//   `self._instance_node_name = os.uname()[1]`). get_instance_node() looks that name up in the
//   node table of the control volume; a name that is not there gives None. So a running server
//   does not notice a rename; the next start (a reboot, or `drbdmanage restart`) does. Restarting
//   drbdmanaged is that start without a reboot. (On the offline profile cloud-init 22.4 kept a
//   renamed node's name across a reboot, "assuming user maintained hostname"; bionic's is unmeasured.)
// - update-pool is the plainest call that needs the local node: server.py update_pool() →
//   update_pool_data() returns DM_ENOENT when get_instance_node() is None, and the client prints
//   return codes >= 100 as "Error: " + dm_exc_text(), i.e. `Error: Object not found` (on stderr,
//   exit 0: drbdmanage_client.py error_msg_text). Success is read from that text. The walkthrough
//   shows no output for a renamed node: this exact line comes from drbdmanage's source, and the
//   replay is of a synthetic recording.
// - drbd-utils: the resource files drbdmanage writes (drbdmanage_r0.res, drbdctrl.res) have an
//   `on drbd3 { … }` section per node. drbdadm only uses the section named after this host, so
//   under the new name `drbdadm status r0` refuses at once with `'r0' not defined in your config
//   (for this host).` (drbdadm_main.c). Every `drbdadm adjust` drbdmanaged runs for this node
//   fails the same way.
// - The rest of the cluster still knows the node only as drbd3: list-nodes on drbd1 has no drbd3x.

import { expect } from 'vitest';
import { commandErrorLines, notDefinedForThisHost } from '../../../lib/drbd/drbdadm-messages.js';
import { parseDrbdsetupStatus, parseListNodes } from '../../../lib/drbd/index.js';
import type { ScenarioContext } from '../../../lib/scenario/define-scenario.js';
import { SETUP, type ScenarioNode } from '../../../lib/scenario/scenario-lab.js';
import type { ExecResult } from '../../../lib/ssh/session.js';
import { scaled } from '../../../lib/wait/poll.js';
import { cmd, DRBDMANAGED, RENAMED } from './commands.js';
import { allOk, describeNodes, dm, expectDmOk, type DmRun, NODE_NAMES, pollStrict, r0DeployedEverywhere, unitAnswer, waitForNodes } from './common.js';
import { drbdmanageWalkthrough } from './walkthrough.js';

export async function drbdmanageHostnamePitfall(ctx: ScenarioContext): Promise<void> {
  const { lab, step } = ctx;
  const drbd1 = lab.node('drbd1');
  const drbd3 = lab.node('drbd3');

  await step('0. Before: the walkthrough\'s cluster, drbd1, drbd2, drbd3 ok', async () => {
    if (!(await r0DeployedEverywhere(ctx))) await drbdmanageWalkthrough(ctx);
    await waitForNodes(lab, drbd1, 'drbd1, drbd2, drbd3 ok', allOk(NODE_NAMES));
  });

  await step(`10. Hostname changed after drbdmanage init: drbd3 becomes ${RENAMED}, and drbdmanage no longer knows the node, for good`, async () => {
    await drbd3.exec(cmd.setHostname(RENAMED), SETUP);
    expect(await drbd3.output(cmd.hostname), 'hostname').toBe(RENAMED);

    expectNotDefined(await drbd3.exec(cmd.drbdadmStatus('r0'), { check: false }), `drbdadm status r0 on ${RENAMED}`);

    // drbdmanaged picks up the new name when it starts.
    await restartDrbdmanaged(ctx, drbd3);
    expectObjectNotFound(await dm(drbd3, cmd.dmUpdatePool), `update-pool on ${RENAMED}`);
    // Not a server still starting up: a while later the node is still unknown, and nothing renamed it in the cluster.
    await lab.clock.sleep(STILL_BROKEN_AFTER_MS);
    expectObjectNotFound(await dm(drbd3, cmd.dmUpdatePool), `update-pool on ${RENAMED}, ${STILL_BROKEN_AFTER_MS / 1000} s later`);
    expectNotDefined(await drbd3.exec(cmd.drbdadmStatus('r0'), { check: false }), `drbdadm status r0 on ${RENAMED}, ${STILL_BROKEN_AFTER_MS / 1000} s later`);
    const list = parseListNodes((await drbd1.exec(cmd.listNodes, { timeoutMs: 120_000 })).stdout);
    expect(list.map((n) => n.name).sort(), `list-nodes on drbd1 (${describeNodes(list)})`).toEqual([...NODE_NAMES]);
  });

  await step('10. Hostname restored: drbd3 is back in the cluster', async () => {
    await drbd3.exec(cmd.setHostname('drbd3'), SETUP);
    expect(await drbd3.output(cmd.hostname), 'hostname').toBe('drbd3');
    await restartDrbdmanaged(ctx, drbd3);
    expectDmOk(await dm(drbd3, cmd.dmUpdatePool), 'update-pool on drbd3');
    const adm = await drbd3.exec(cmd.drbdadmStatus('r0'), { timeoutMs: 30_000 });
    expect(parseDrbdsetupStatus(adm.stdout).map((r) => r.name), 'drbdadm status r0 on drbd3 again').toEqual(['r0']);
    await waitForNodes(lab, drbd1, 'drbd1, drbd2, drbd3 ok', allOk(NODE_NAMES), scaled(300_000));
  });
}

/** How long the renamed node is left before it is checked again: it does not heal by itself. */
const STILL_BROKEN_AFTER_MS = 30_000;

/**
 * drbdmanage's answer to a node name missing from its tables: exactly `Error: Object not found`
 * (dm_exc_text(DM_ENOENT), printed on stderr; the client exits 0), no success line. This text is
 * drbdmanage's, from its source: the walkthrough itself shows no output for this case.
 */
function expectObjectNotFound(run: DmRun, what: string): void {
  const output = `${run.stdout}${run.stderr}`.trim();
  expect(run.result.errors, `${what}: error lines (output: ${output})`).toEqual(['Error: Object not found']);
  expect(run.result.ok, `${what}: no success (output: ${output})`).toBe(false);
  expect(run.exitCode, `${what}: exit code (drbdmanage exits 0 after a server error)`).toBe(0);
}

/** drbdadm's exact refusal of r0 on a host its res files do not name. */
function expectNotDefined(r: ExecResult, what: string): void {
  expect(r.exitCode, `${what}: exit code`).toBe(1);
  expect(commandErrorLines(r.stderr), `${what}: stderr`).toEqual([notDefinedForThisHost('r0')]);
}

/**
 * Restart drbdmanaged so it reads the hostname again. Under systemd (enabled by the reboot
 * scenario) through systemctl, so the unit stays the one running it, then wait until it owns its
 * D-Bus name (a drbdmanage call before that would D-Bus-activate a second server). Otherwise
 * (D-Bus-activated, as after init) with `drbdmanage restart -q`.
 */
async function restartDrbdmanaged(ctx: ScenarioContext, node: ScenarioNode): Promise<void> {
  if ((await unitAnswer(node, cmd.isActive(DRBDMANAGED))) === 'active') {
    await node.exec(cmd.restartUnit(DRBDMANAGED), { timeoutMs: 120_000 });
    await pollStrict(
      ctx.lab,
      `drbdmanaged back on D-Bus`,
      async () => {
        const r = await node.exec(cmd.nameHasOwner, { check: false, timeoutMs: 30_000 });
        const owner = /boolean (true|false)/u.exec(r.stdout);
        return { done: owner?.[1] === 'true', seen: owner?.[0] ?? (r.stderr.trim() || `exit ${r.exitCode}`) };
      },
      { timeoutMs: scaled(120_000), intervalMs: 2_000, target: node.name },
    );
  } else {
    const r = await node.exec(cmd.dmRestart, { check: false, timeoutMs: 180_000 });
    // cmd_restart → cmd_startup prints this once the new server answers a ping.
    expect(r.stdout, `drbdmanage restart on ${node.name}`).toMatch(/server is running and reachable/);
  }
}
