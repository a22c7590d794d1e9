// Waits on the cluster as crm_mon and corosync-quorumtool show it, on one node.
import { ClusterResourceError, RemoteCommandError } from '../errors.js';
import type { RemoteShell } from '../ssh/remote-shell.js';
import { pollUntil, type Clock } from '../wait/poll.js';
import { describeCrm, parseCrmMon, type CrmStatus } from './crm-mon.js';
import { parseQuorumtool, type QuorumStatus } from './quorumtool.js';

export const CRM_MON_XML = 'sudo crm_mon -1 --output-as=xml';
export const QUORUMTOOL = 'sudo corosync-quorumtool -s';

/**
 * Pacemaker's CRM_EX_DISCONNECT (include/crm/common/results.h): crm_mon could not reach the
 * cluster — pacemaker not (yet) running or still starting. The only exit that means "not yet".
 */
const CRM_EX_DISCONNECT = 102;

/** What a command said, in one line: stderr's first line, else Pacemaker's XML error text, else stdout's first line. */
function firstWords(r: { stdout: string; stderr: string }): string {
  const err = r.stderr.trim().split('\n')[0];
  if (err) return err;
  const xml = /<error>([^<]*)<\/error>/u.exec(r.stdout)?.[1] ?? /<status code="\d+" message="([^"]*)"/u.exec(r.stdout)?.[1];
  return (xml ?? r.stdout.trim().split('\n')[0] ?? '').trim();
}

export interface ClusterWaitOptions {
  clock: Clock;
  timeoutMs: number;
  intervalMs?: number;
}

/** A state from which the wait cannot succeed any more: what and where (see ClusterResourceError). */
export interface Hopeless {
  resource: string;
  node: string;
  reason: string;
}

/**
 * Poll crm_mon on `node` until `predicate` holds. crm_mon that cannot reach the cluster yet
 * (CRM_EX_DISCONNECT, 102) is "not yet"; any other exit ends the wait at once with its output
 * (a RemoteCommandError: Pacemaker's own tool failed); XML it cannot read ends the wait
 * (harness); `hopeless` ends it at once as a product failure instead of running out the timeout.
 */
export function waitForCluster(
  node: RemoteShell,
  what: string,
  predicate: (s: CrmStatus) => boolean,
  o: ClusterWaitOptions & { hopeless?: (s: CrmStatus) => Hopeless | undefined },
): Promise<{ status: CrmStatus; xml: string }> {
  return pollUntil(
    what,
    async () => {
      const r = await node.exec(CRM_MON_XML, { check: false, timeoutMs: 60_000 });
      if (r.exitCode === CRM_EX_DISCONNECT) return { done: false, seen: `crm_mon exit ${r.exitCode} (CRM_EX_DISCONNECT): ${firstWords(r)}` };
      if (r.exitCode !== 0) throw new RemoteCommandError(node.name, CRM_MON_XML, r.exitCode, r.stdout, r.stderr, 'product');
      const status = parseCrmMon(r.stdout);
      const seen = describeCrm(status);
      const lost = o.hopeless?.(status);
      if (lost) throw new ClusterResourceError(lost.resource, lost.node, lost.reason, seen);
      return { done: predicate(status), value: { status, xml: r.stdout }, seen };
    },
    { timeoutMs: o.timeoutMs, intervalMs: o.intervalMs ?? 2_000, clock: o.clock, target: node.name, kind: 'product' },
  );
}

/** Poll corosync-quorumtool on `node` until the membership is quorate with `votes` votes. */
export function waitForQuorum(node: RemoteShell, votes: number, o: ClusterWaitOptions): Promise<QuorumStatus> {
  return pollUntil(
    `corosync quorate with ${votes} votes`,
    async () => {
      // Exit 0 quorate, 2 not quorate; 1: corosync not (yet) answering. Anything else ends the wait.
      const r = await node.exec(QUORUMTOOL, { check: false, timeoutMs: 30_000 });
      if (r.exitCode === 1) return { done: false, seen: `corosync-quorumtool exit 1: ${firstWords(r)}` };
      if (r.exitCode !== 0 && r.exitCode !== 2) throw new RemoteCommandError(node.name, QUORUMTOOL, r.exitCode, r.stdout, r.stderr, 'product');
      const q = parseQuorumtool(r.stdout);
      return { done: q.quorate && q.totalVotes === votes, value: q, seen: `${q.quorate ? 'quorate' : 'not quorate'}, ${q.totalVotes}/${q.expectedVotes} votes, members ${q.members.join(' ')}` };
    },
    { timeoutMs: o.timeoutMs, intervalMs: o.intervalMs ?? 2_000, clock: o.clock, target: node.name, kind: 'product' },
  );
}
