// Pieces the fault scenarios share: DRBD 8.4's own one-word states (cstate, dstate, role), what
// DRBD logged about a resync since a kernel-log mark, the replication NIC's address without
// carrier, and a switch of primaries. (Following events2 to a settled resource: settle.ts.)
import * as allure from 'allure-js-commons';
import { expect } from 'vitest';
import { sinceCommand, type KernelLogMark } from '../../../lib/drbd/kernel-log.js';
import { parseResyncLog, resyncVerdict, type DeviceResyncLog, type ResyncVerdict } from '../../../lib/drbd/resync-log.js';
import { SETUP, type ScenarioLab, type ScenarioNode } from '../../../lib/scenario/scenario-lab.js';
import { pollUntil, scaled } from '../../../lib/wait/poll.js';
import { DEVICE, MINOR, MOUNT, RES, writeFileCommand } from './cluster.js';
import { dataChecksum } from './start.js';

/** `drbdadm cstate|dstate|role r0`: 8.4's words, e.g. `WFConnection`, `UpToDate/DUnknown`, `Primary/Unknown`. */
export async function drbdWord(node: ScenarioNode, what: 'cstate' | 'dstate' | 'role'): Promise<string> {
  return node.output(`sudo drbdadm ${what} ${RES}`);
}

/** Until `drbdadm cstate r0` on `node` is `want`; the states passed through on the way are returned. */
export async function waitCstate(lab: ScenarioLab, node: ScenarioNode, want: string, timeoutMs = scaled(60_000, lab.timeoutScale)): Promise<string[]> {
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

/** The kernel log of each node since its mark, drbd100's lines parsed; attached. */
export async function resyncSince(nodes: readonly ScenarioNode[], marks: Map<string, KernelLogMark>, title: string): Promise<{ logs: { node: string; log: DeviceResyncLog; text: string }[]; verdict: ResyncVerdict }> {
  const logs = [];
  for (const n of nodes) {
    const text = await n.output(sinceCommand(marks.get(n.name)!), { kind: 'infrastructure' });
    const log = parseResyncLog(text, MINOR);
    await allure.attachment(`${n.name}: kernel log ${title}`, `${text}\n`, 'text/plain');
    logs.push({ node: n.name, log, text });
  }
  return { logs, verdict: resyncVerdict(logs) };
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
    { timeoutMs: scaled(30_000, lab.timeoutScale), intervalMs: 1_000, clock: lab.clock, target: node.name, kind: 'infrastructure' },
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
