// Pieces the fault scenarios share: DRBD 8.4's own one-word states (cstate, dstate, role), a
// mark in each node's kernel log and what DRBD logged about a resync since, the events2 stream
// around a reconnect, and a switch of primaries.
import * as allure from 'allure-js-commons';
import { expect } from 'vitest';
import { RemoteCommandError } from '../../../lib/errors.js';
import { parseEvents2 } from '../../../lib/drbd/events2.js';
import { Events2Watch } from '../../../lib/drbd/events2-watch.js';
import { MARK_COMMAND, parseKernelLogMark, sinceCommand, type KernelLogMark } from '../../../lib/drbd/kernel-log.js';
import { parseResyncLog, resyncVerdict, type DeviceResyncLog, type ResyncVerdict } from '../../../lib/drbd/resync-log.js';
import { describeSettle, traceSettle, type SettleTrace } from '../../../lib/drbd/resync-trace.js';
import { SETUP, type ScenarioLab, type ScenarioNode } from '../../../lib/scenario/scenario-lab.js';
import { pollUntil, scaled } from '../../../lib/wait/poll.js';
import { DEVICE, MINOR, MOUNT, RES, writeFileCommand } from './cluster.js';
import { dataChecksum } from './start.js';

/** `drbdadm cstate|dstate|role r0`: 8.4's words, e.g. `WFConnection`, `UpToDate/DUnknown`, `Primary/Unknown`. */
export async function drbdWord(node: ScenarioNode, what: 'cstate' | 'dstate' | 'role'): Promise<string> {
  return node.output(`sudo drbdadm ${what} ${RES}`);
}

/** Until `drbdadm cstate r0` on `node` is `want`; the states passed through on the way are returned. */
export async function waitCstate(lab: ScenarioLab, node: ScenarioNode, want: string, timeoutMs = scaled(60_000)): Promise<string[]> {
  const seen: string[] = [];
  await pollUntil(
    `${RES} connection state ${want}`,
    async () => {
      const cs = await drbdWord(node, 'cstate');
      if (seen.at(-1) !== cs) seen.push(cs);
      // StandAlone is final: DRBD gave up the connection and will not retry; waiting cannot help.
      if (want !== 'StandAlone') expect(cs, `${node.name}: ${RES} went StandAlone (${seen.join(' → ')}): it will not reconnect by itself`).not.toBe('StandAlone');
      return { done: cs === want, seen: `cstate ${seen.join(' → ')}` };
    },
    { timeoutMs, intervalMs: 1_000, clock: lab.clock, target: node.name, kind: 'product' },
  );
  return seen;
}

/** Where each node's kernel log stands now, to read what DRBD logs after it. */
export async function markLogs(nodes: readonly ScenarioNode[]): Promise<Map<string, KernelLogMark>> {
  const marks = new Map<string, KernelLogMark>();
  for (const n of nodes) {
    const out = await n.output(MARK_COMMAND);
    const mark = parseKernelLogMark(out);
    if (!mark) throw new RemoteCommandError(n.name, MARK_COMMAND, 0, out, 'expected a boot id and a line count');
    marks.set(n.name, mark);
  }
  return marks;
}

/** The kernel log of each node since its mark, drbd100's lines parsed; attached. */
export async function resyncSince(nodes: readonly ScenarioNode[], marks: Map<string, KernelLogMark>, title: string): Promise<{ logs: { node: string; log: DeviceResyncLog; text: string }[]; verdict: ResyncVerdict }> {
  const logs = [];
  for (const n of nodes) {
    const text = await n.output(sinceCommand(marks.get(n.name)!));
    const log = parseResyncLog(text, MINOR);
    await allure.attachment(`${n.name}: kernel log ${title}`, `${text}\n`, 'text/plain');
    logs.push({ node: n.name, log, text });
  }
  return { logs, verdict: resyncVerdict(logs) };
}

/**
 * Arm an events2 watcher on `node`, run `act` (the link back, a node's `up`), and follow the
 * stream until Established UpToDate/UpToDate. Returns the trace and the seconds it took; the
 * stream is attached, also when the wait fails.
 */
export async function settleAfter(lab: ScenarioLab, node: ScenarioNode, what: string, act: () => Promise<void>): Promise<{ trace: SettleTrace; seconds: number }> {
  const watch = await Events2Watch.start(node, RES, lab.clock);
  try {
    const t0 = lab.clock.now();
    await act();
    const trace = await pollUntil(
      `${RES} Established UpToDate/UpToDate in the events2 stream after ${what}`,
      async () => {
        const t = traceSettle(parseEvents2(await watch.read()), RES);
        return { done: t.settledAt >= 0, value: t, seen: describeSettle(t) };
      },
      { timeoutMs: scaled(180_000), intervalMs: 2_000, clock: lab.clock, target: node.name, kind: 'product' },
    );
    const seconds = (lab.clock.now() - t0) / 1000;
    await allure.attachment(`drbdsetup events2 ${RES} on ${node.name} after ${what}`, await watch.stop(), 'text/plain');
    expect(trace.skipped, 'events dropped by the kernel: the stream may miss a state').toBe(0);
    return { trace, seconds };
  } finally {
    if (watch.running) {
      const seen = await watch.stop().catch((err: unknown) => `events2 watcher not stopped: ${String(err)}`);
      await allure.attachment(`drbdsetup events2 ${RES} on ${node.name} after ${what} (step failed)`, seen, 'text/plain');
    }
  }
}

/**
 * The replication NIC keeps its address while it has no carrier. systemd-networkd's default
 * (netplan's too) removes a static address when the carrier goes; DRBD 8.4 then cannot bind its
 * listener (`bind before listen failed, err = -99`) and goes StandAlone for good: a pulled cable
 * would never heal by itself (measured here on the first link cut, 2026-11-28). A DRBD node's
 * replication NIC is configured to keep its address, as here, with a drop-in to netplan's unit.
 */
export const KEEP_ADDRESS_DROPIN = '/etc/systemd/network/10-netplan-repl.network.d/50-drbdlab-keep-address.conf';
export async function keepReplicationAddress(lab: ScenarioLab, node: ScenarioNode): Promise<void> {
  await node.exec(`sudo mkdir -p ${KEEP_ADDRESS_DROPIN.replace(/\/[^/]+$/u, '')}`, SETUP);
  await node.exec(writeFileCommand(KEEP_ADDRESS_DROPIN, '[Network]\nConfigureWithoutCarrier=yes\nIgnoreCarrierLoss=yes\n'), SETUP);
  await node.exec('sudo networkctl reload', SETUP);
  await pollUntil(
    `${node.name}: ${node.replicationIp} configured again after networkctl reload`,
    async () => {
      const has = await hasReplicationAddress(node);
      return { done: has, seen: has ? 'address present' : 'address absent' };
    },
    { timeoutMs: scaled(30_000), intervalMs: 1_000, clock: lab.clock, target: node.name, kind: 'infrastructure' },
  );
}

export async function hasReplicationAddress(node: ScenarioNode): Promise<boolean> {
  return (await node.output(`ip -o -4 addr show to ${node.replicationIp}/32`)).includes(`inet ${node.replicationIp}/`);
}

/** Unmount and demote `from`, promote and mount `to`: the data now read through the other replica. */
export async function switchPrimary(from: ScenarioNode, to: ScenarioNode): Promise<void> {
  await from.exec(`sudo umount ${MOUNT}`);
  await from.exec(`sudo drbdadm secondary ${RES}`);
  await to.exec(`sudo drbdadm primary ${RES}`);
  await to.exec(`sudo mount ${DEVICE} ${MOUNT}`);
}

/** The r0-up starting point as a fault scenario finds it on its primary: Connected, both UpToDate, Primary; returns the data's checksum. */
export async function expectR0Up(primary: ScenarioNode): Promise<string> {
  expect(await drbdWord(primary, 'cstate')).toBe('Connected');
  expect(await drbdWord(primary, 'dstate')).toBe('UpToDate/UpToDate');
  expect(await drbdWord(primary, 'role')).toBe('Primary/Secondary');
  return dataChecksum(primary);
}
