import type { RemoteShell } from '../ssh/remote-shell.js';
import { pollUntil, type Clock } from '../wait/poll.js';
import { readResourceStatus } from '../drbd/drbdadm-status.js';
import type { DrbdResourceStatus } from '../drbd/drbdsetup-status.js';
import { describe } from '../drbd/state.js';

export interface DrbdWaitOptions {
  clock: Clock;
  /** Already scaled for the lab's hypervisor (the caller knows its lab). */
  timeoutMs: number;
  intervalMs?: number;
  /** The status command: `drbdadm status r0` (8.4 via drbd-utils 9) or `drbdsetup status r0` (9). */
  command?: string;
}

/**
 * Wait until a resource on a node satisfies `predicate`. "Not yet" is the resource not up
 * (exit 10, `<res>: No such resource`) or up in another state; any other answer — another exit,
 * output that does not parse, exit 0 without the resource — ends the wait at once with the
 * command's output (see readResourceStatus). A timeout is a product failure ("DRBD did not get
 * there") and says what the status showed last.
 */
export async function waitForResource(
  node: RemoteShell,
  resource: string,
  what: string,
  predicate: (res: DrbdResourceStatus) => boolean,
  o: DrbdWaitOptions,
): Promise<DrbdResourceStatus> {
  const command = o.command ?? `sudo drbdadm status ${resource}`;
  return pollUntil(
    `${resource} ${what}`,
    async () => {
      const r = await node.exec(command, { check: false, timeoutMs: 30_000 });
      const res = readResourceStatus(node.name, command, resource, r);
      if (!res) return { done: false, seen: `${resource}: No such resource (not up)` };
      return { done: predicate(res), value: res, seen: describe(res) };
    },
    { timeoutMs: o.timeoutMs, intervalMs: o.intervalMs ?? 2_000, clock: o.clock, target: node.name, kind: 'product' },
  );
}
