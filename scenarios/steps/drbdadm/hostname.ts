// Scenario 3 on drbdadm: the walkthrough's warning (step 10) that a hostname may only change
// until DRBD is configured. drbdadm picks the `on <host>` section named after `uname -n`:
// - before: a node renamed first and then configured under its new name (create-md, up) works.
//   drbd3, which has no r0 on 8.4, is that node, with a scratch resource shared with drbd1.
// - after: drbd2, r0's Secondary, renamed. drbdadm refuses r0 at once while the kernel keeps it
//   connected (lab-notes); where it bites is the next start: after a reboot the node cannot
//   bring r0 up and its peer waits for it.
import * as allure from 'allure-js-commons';
import { expect } from 'vitest';
import { commandErrorLines, notDefinedForThisHost } from '../../../lib/drbd/drbdadm-messages.js';
import { parseEvents2, type ConnectionEvent } from '../../../lib/drbd/events2.js';
import { Events2Watch } from '../../../lib/scenario/events2-watch.js';
import { parseProcDrbd } from '../../../lib/drbd/proc-drbd.js';
import { isConnected } from '../../../lib/drbd/state.js';
import { renderResFile } from '../../../lib/drbd/res-file.js';
import { waitForResource } from '../../../lib/scenario/drbd-wait.js';
import type { ScenarioContext } from '../../../lib/scenario/define-scenario.js';
import { onEach } from '../../../lib/scenario/on-each.js';
import { SETUP, type ScenarioNode } from '../../../lib/scenario/scenario-lab.js';
import type { ExecResult } from '../../../lib/ssh/session.js';
import { scaled } from '../../../lib/wait/poll.js';
import { MINOR, RES, connected, ensureStorage, replicas, status, waitConnected, waitUpToDate, writeFileCommand } from './cluster.js';

/** The scratch resource of the "before" case: its own minor and port beside r0. */
const SCRATCH = { name: 'r1', minor: MINOR + 1, port: 7001, size: '64M' } as const;
/** Polls of the peer's state while the renamed node cannot come back: 6 × 5 s spans DRBD's connect-int (10 s) three times. */
const WINDOW_POLLS = 6;
const WINDOW_INTERVAL_MS = 5_000;

export async function drbdadmHostnamePitfall(ctx: ScenarioContext): Promise<void> {
  const { lab, step } = ctx;
  const [primary, secondary] = replicas(lab);
  const third = lab.nodes[2]!;
  const early = `${third.name}x`;
  const late = `${secondary.name}x`;

  await step(`10. before DRBD is configured: ${third.name} renamed ${early}, then create-md and up under the new name work`, async () => {
    await ensureStorage(third);
    await third.exec(`sudo hostnamectl set-hostname ${early}`, SETUP);
    expect(await third.output('hostname')).toBe(early);
    const res = renderResFile({
      name: SCRATCH.name, minor: SCRATCH.minor, port: SCRATCH.port, disk: `/dev/drbdpool/${SCRATCH.name}`,
      hosts: [{ name: primary.name, ip: primary.replicationIp }, { name: early, ip: third.replicationIp }],
    });
    await onEach([primary, third], async (n) => {
      await n.exec(`sudo lvcreate --yes --wipesignatures y -n ${SCRATCH.name} -L ${SCRATCH.size} drbdpool`, SETUP);
      await n.exec(writeFileCommand(`/etc/drbd.d/${SCRATCH.name}.res`, res), SETUP);
    });
    // The res file names the new host, and drbdadm on the renamed node finds itself in it.
    const dump = await third.output(`sudo drbdadm dump ${SCRATCH.name}`);
    expect(dump, `drbdadm dump ${SCRATCH.name} on ${early}`).toMatch(new RegExp(`\\bon ${early}\\s*\\{`, 'u'));
    expect(dump, `drbdadm dump ${SCRATCH.name} on ${early}`).not.toMatch(new RegExp(`\\bon ${third.name}\\s*\\{`, 'u'));
    await onEach([third, primary], async (n) => {
      const md = await n.exec(`sudo drbdadm create-md --force ${SCRATCH.name}`);
      expect(md.stdout + md.stderr, `${n.name}: create-md`).toMatch(/New drbd meta data block successfully created/);
      await n.exec(`sudo drbdadm up ${SCRATCH.name}`);
    });
    for (const n of [third, primary]) {
      const r = await waitForResource(n, SCRATCH.name, 'connected to its peer', connected, { clock: lab.clock, timeoutMs: scaled(60_000, lab.timeoutScale) });
      // Fresh metadata on both ends: connected, nothing synced yet.
      expect(r.volumes[0]?.disk, `${n.name}: ${SCRATCH.name} disk`).toBe('Inconsistent');
    }
  });

  // A restored cluster is thrown away after the scenario: only a lab that goes on needs this
  // (the scratch resource has its own minor and port: r0 below does not see it).
  if (ctx.shared) {
    await step(`restore: ${SCRATCH.name} removed, ${early} named ${third.name} again`, async () => {
      for (const n of [third, primary]) {
        await n.exec(`sudo drbdadm down ${SCRATCH.name}`);
        await n.exec(`sudo rm /etc/drbd.d/${SCRATCH.name}.res`, SETUP);
        await n.exec(`sudo lvremove --yes drbdpool/${SCRATCH.name}`, SETUP);
      }
      await third.exec(`sudo hostnamectl set-hostname ${third.name}`, SETUP);
      expect(await third.output('hostname')).toBe(third.name);
    });
  }

  await step(`10. after DRBD runs: ${secondary.name} renamed ${late}; drbdadm no longer finds ${RES}, the kernel keeps it connected`, async () => {
    await secondary.exec(`sudo hostnamectl set-hostname ${late}`, SETUP);
    expect(await secondary.output('hostname')).toBe(late);
    for (const verb of ['status', 'down', 'adjust']) {
      expectNotDefined(await secondary.exec(`sudo drbdadm ${verb} ${RES}`, { check: false }), `drbdadm ${verb} ${RES} on ${late}`);
    }
    // The kernel does not care about the name, and the failed down/adjust changed nothing (lab-notes).
    expect(await connectionState(secondary), `${late}: /proc/drbd minor ${MINOR}`).toBe('Connected');
    const seen = await status(primary);
    expect(seen && connected(seen), `${primary.name} still sees its peer`).toBe(true);
  });

  await step(`10. where it bites: ${late} reboots and cannot bring ${RES} up; ${primary.name} keeps waiting for its peer`, async () => {
    await secondary.reboot();
    // The name hostnamectl wrote to /etc/hostname survives: cloud-init, which would set it from its
    // metadata, disabled itself after the first boot (and kept a changed name anyway, lab-notes).
    expect(await secondary.output('hostname'), 'the new name survives the reboot').toBe(late);
    expect(await connectionState(secondary), `${late}: /proc/drbd minor ${MINOR} after the reboot`).toBeNull();
    const watch = await Events2Watch.start(primary, RES, lab.clock, lab.timeoutScale);
    try {
      expectNotDefined(await secondary.exec(`sudo drbdadm up ${RES}`, { check: false }), `drbdadm up ${RES} on ${late}`);
      expect(await connectionState(secondary), `${late}: /proc/drbd minor ${MINOR} after the failed up`).toBeNull();
      for (let i = 1; i <= WINDOW_POLLS; i++) {
        const peer = (await status(primary))?.peers[0];
        // drbdadm prints no `connection:` while Connected: said as such, not as undefined.
        const connection = peer && isConnected(peer) ? 'Connected' : peer?.connection;
        expect(connection, `${primary.name}: ${RES} peer connection, look ${i} of ${WINDOW_POLLS}`).toBe('Connecting');
        if (i < WINDOW_POLLS) await lab.clock.sleep(WINDOW_INTERVAL_MS);
      }
      const stream = await watch.stop();
      await allure.attachment(`drbdsetup events2 ${RES} on ${primary.name} while ${late} cannot come back`, stream, 'text/plain');
      // The stream saw every connection change meanwhile: waiting when armed, never connected since.
      const conns = parseEvents2(stream).filter((e): e is ConnectionEvent => e.kind === 'connection' && e.name === RES && e.connection !== undefined);
      expect(conns[0]?.action, `${primary.name}: ${RES} connection in the initial dump`).toBe('exists');
      expect(conns.map((c) => c.connection), `${primary.name}: ${RES} connection states in the events2 stream`).toEqual(conns.map(() => 'Connecting'));
    } finally {
      // The watcher must not outlive a failed step; what it saw (or why it could not stop) goes into the report.
      if (watch.running) {
        const seen = await watch.stop().catch((err: unknown) => `events2 watcher not stopped: ${String(err)}`);
        await allure.attachment(`drbdsetup events2 ${RES} on ${primary.name} (step failed)`, seen, 'text/plain');
      }
    }
  });

  await step(`restore the hostname ${secondary.name}: drbdadm finds the node again, ${RES} reconnects and catches up`, async () => {
    await secondary.exec(`sudo hostnamectl set-hostname ${secondary.name}`, SETUP);
    expect(await secondary.output('hostname')).toBe(secondary.name);
    await secondary.exec(`sudo drbdadm up ${RES}`);
    await waitConnected(lab, secondary);
    await waitUpToDate(lab, primary);
    expect((await status(secondary))?.volumes[0]?.disk).toBe('UpToDate');
  });
}

/** drbdadm's exact refusal: exit 1, that one line (and sudo's name-lookup notice, if any). */
function expectNotDefined(r: ExecResult, what: string): void {
  expect(r.exitCode, `${what}: exit code`).toBe(1);
  // One line, that one: compared as text, so a report shows what drbdadm said instead.
  expect(commandErrorLines(r.stderr).join('\n'), `${what}: stderr`).toBe(notDefinedForThisHost(RES));
  expect(r.stdout.trim(), `${what}: stdout`).toBe('');
}

/** `cs:` of r0's minor in /proc/drbd, null when the kernel has no such minor. */
async function connectionState(node: ScenarioNode): Promise<string | null> {
  const proc = parseProcDrbd(await node.output('cat /proc/drbd'));
  return proc.minors.find((m) => m.minor === MINOR)?.connectionState ?? null;
}
