// The two looks a lab takes at a node while it boots: is cloud-init done, and which boot is it.
// Apart from StartedNode so they can be run against a fake session and a fake clock.

import { CloudInitError, CommandTimeoutError } from '../errors.js';
import type { NodeSession } from '../ssh/session.js';
import type { Observation } from '../wait/poll.js';

export type ProbeSession = Pick<NodeSession, 'node' | 'connected' | 'connect' | 'exec'>;

/**
 * First boot: result.json appears when cloud-init's last stage ends; `cloud-init status` says how
 * far it got until then. Later boots: the node's user-data disabled cloud-init once it had given
 * the node its identity (lab/cloud-init/user-data.yaml; its four Python stages cost a minute or
 * more per boot under TCG), so a reboot or power-on is ready when systemd says the boot is over —
 * provided cloud-init did finish once (boot-finished), else the disabling came from elsewhere.
 * Which boot this is, cloud-init's generator decided at its start (run/cloud-init/enabled): the
 * marker file appears while the first boot's cloud-final still runs (its runcmd writes it), so
 * the marker alone would call that first boot a later one that never finished.
 * `root` only moves the paths (tests run the command against a made-up file tree).
 */
export function cloudInitCommand(root = ''): string {
  const firstBoot = `cat ${root}/run/cloud-init/result.json 2>/dev/null || cloud-init status 2>/dev/null`;
  return (
    `if [ -e ${root}/run/cloud-init/enabled ]; then ${firstBoot}; ` +
    `elif [ -e ${root}/etc/cloud/cloud-init.disabled ]; then echo "cloud-init: disabled"; ` +
    `[ -e ${root}/var/lib/cloud/instance/boot-finished ] && echo "first boot: finished" && systemctl is-system-running --wait; ` +
    `else ${firstBoot}; fi`
  );
}

export const CLOUD_INIT_COMMAND = cloudInitCommand();

/**
 * What the cloud-init command printed: done, not yet, or errors (thrown: they stay). A
 * result.json that does not parse is thrown too (SyntaxError): cloud-init writes it atomically.
 */
export function readCloudInit(node: string, stdout: string): Observation<void> {
  if (stdout.startsWith('cloud-init: disabled')) {
    if (!stdout.includes('\nfirst boot: finished')) throw new CloudInitError(node, ['cloud-init is disabled but never finished a first boot here: the node has no identity from it']);
    // `is-system-running --wait` answers once the boot is over: running, or degraded (a unit failed, which a scenario may mean to see).
    const state = stdout.trim().split('\n').pop()!.trim();
    if (state === 'running' || state === 'degraded') return { done: true, seen: `boot finished (${state}; cloud-init disabled after the first boot)` };
    return { done: false, seen: `SSH up, systemd ${state === 'first boot: finished' ? 'starting' : state}` };
  }
  if (stdout.includes('"v1"')) {
    const errors = (JSON.parse(stdout) as { v1: { errors?: string[] } }).v1.errors ?? [];
    if (errors.length > 0) throw new CloudInitError(node, errors);
    return { done: true, seen: 'cloud-init done' };
  }
  const status = /^status: (.+)$/m.exec(stdout)?.[1]?.trim();
  if (status === 'error') throw new CloudInitError(node, [stdout.trim().split('\n').join(' | ')]);
  return { done: false, seen: `SSH up, cloud-init ${stdout.trim() || 'running'}` };
}

/**
 * A probe command, or undefined when it missed its deadline. Here only that is "not yet": a
 * node going down may take the command and never answer, and under TCG `cloud-init status`
 * (Python) can take longer than the deadline while cloud-init runs. Elsewhere a command past
 * its deadline ends a wait.
 */
async function probe(session: ProbeSession, command: string, check: boolean) {
  if (!session.connected) await session.connect(15_000);
  try {
    // The lab's own polling: not in the transcript.
    return await session.exec(command, { timeoutMs: 15_000, check, kind: 'infrastructure' }, false);
  } catch (err) {
    if (err instanceof CommandTimeoutError && err.node === session.node) return undefined;
    throw err;
  }
}

const NO_ANSWER = 'no answer within 15 s';

/** SSH up (transport errors are thrown: "not yet" to pollUntil) and cloud-init finished. */
export function cloudInitProbe(session: ProbeSession): () => Promise<Observation<void>> {
  return async () => {
    const r = await probe(session, CLOUD_INIT_COMMAND, false);
    return r ? readCloudInit(session.node, r.stdout) : { done: false, seen: `SSH up, cloud-init: ${NO_ANSWER}` };
  };
}

export const BOOT_ID_COMMAND = 'cat /proc/sys/kernel/random/boot_id';

/** Back with a boot_id other than `before`. A failed `cat` ends the wait (it cannot fail on Linux). */
export function newBootProbe(session: ProbeSession, before: string): () => Promise<Observation<string>> {
  return async () => {
    const r = await probe(session, BOOT_ID_COMMAND, true);
    if (!r) return { done: false, seen: NO_ANSWER };
    const now = r.stdout.trim();
    return { done: now !== before, value: now, seen: now === before ? 'old boot_id (not yet rebooted)' : 'new boot_id' };
  };
}
