// What the failover step decides from crm_mon: done (promoted and mounted on the survivor) or
// hopeless (a start failed on the only node left for it). Pure, so both are unit-tested.
import { crmIds } from './crm-config.js';
import { promotedOn, startedOn, type CrmStatus } from './crm-mon.js';
import type { Hopeless } from './wait.js';

/** r0 promoted and its file system started on `node`, and nowhere else. */
export function servesOn(s: CrmStatus, resource: string, node: string): boolean {
  const id = crmIds(resource);
  const promoted = promotedOn(s, id.promotable);
  const fs = startedOn(s, id.fs);
  return promoted.length === 1 && promoted[0] === node && fs.length === 1 && fs[0] === node;
}

/**
 * A failed start of DRBD or the file system on `node`. Pacemaker's start-failure-is-fatal
 * (default true) bans the resource from that node; with the other replica down and the quorum
 * node excluded there is nowhere left: the failover will not happen.
 */
export function failoverHopeless(s: CrmStatus, resource: string, node: string): Hopeless | undefined {
  const id = crmIds(resource);
  for (const rsc of [id.fs, id.drbd]) {
    const f = s.failures.find((x) => x.node === node && (x.opKey === `${rsc}_start_0` || x.opKey.startsWith(`${rsc}:`) && x.opKey.endsWith('_start_0')));
    if (f) return { resource: rsc, node, reason: `start failed (${f.opKey}${f.exitReason ? `: ${f.exitReason}` : ''}${f.exitStatus ? `, ${f.exitStatus}` : ''}); it may not start there again` };
  }
  return undefined;
}
