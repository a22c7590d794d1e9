// `status`, `down` and doctor's lab check: whose each lab is, in one line, and never an offer to
// remove a lab a live process owns (a nightly's, a test run's). `down --all` spares those unless
// told --force; `down --lab` of one refuses without --force.
import { UsageError } from '../../errors.js';
import type { LabHost } from '../../lab/lab-host.js';
import { StartedLab } from '../../lab/started-lab.js';
import { listLabIds } from '../../lab/state.js';
import { teardownLab } from '../../lab/teardown.js';
import { describeWhose, labsOnHost, ownedByLiveProcess, type LabOnHost } from '../../lab/whose.js';
import type { Check } from './doctor-check.js';

const downHint = (labId: string) => `npm run lab -- down --lab ${labId}`;

/** What `status` says of a lab before its nodes: phase, profile, whose; or that only libvirt has it. */
function statusHeader(l: LabOnHost): string[] {
  const s = l.state;
  if (!s) {
    const what = `lab ${l.labId}  in libvirt only (no folder here)  ${describeWhose(l.whose)}`;
    return [ownedByLiveProcess(l.whose) ? what : `${what}  (remove: ${downHint(l.labId)})`];
  }
  return [`lab ${l.labId}  ${s.phase}  profile ${s.profile}  since ${s.createdAt}  ${describeWhose(l.whose)}`, `  hypervisor ${s.accel.toUpperCase()}: ${s.accelReason}`];
}

/** Each node's line (SSH: uptime), for a lab with a folder here. */
async function nodeLinesOverSsh(l: LabOnHost, host: LabHost): Promise<string[]> {
  const lab = await StartedLab.attach(l.labId, host);
  const out: string[] = [];
  for (const n of lab.nodeList) {
    const up = await n.output('uptime -p', { timeoutMs: 10_000 }).catch((e: Error) => `unreachable (${e.message.split('\n')[0]})`);
    out.push(`  ${n.name.padEnd(8)} 127.0.0.1:${n.info.sshPort}  ${n.info.replicationIp}  ${up}`);
    n.close();
  }
  return out;
}

export interface StatusOptions {
  /** This machine with the run's folders (a fake host in tests). */
  host: LabHost;
  /** How a lab's nodes are described (over SSH by default). */
  nodeLines?: (l: LabOnHost) => Promise<string[]>;
}

/** `status`: every lab here (newest first), then those only libvirt has. */
export async function statusCommand(uri: string, log: (line: string) => void, o: StatusOptions): Promise<void> {
  const host = o.host;
  const nodeLines = o.nodeLines ?? ((l: LabOnHost) => nodeLinesOverSsh(l, host));
  const labs = await labsOnHost(uri, host);
  const order = await listLabIds(host.folders.state);
  const rank = (l: LabOnHost) => (l.state ? order.indexOf(l.labId) : order.length);
  if (labs.length === 0) log('no lab here');
  for (const l of [...labs].sort((a, b) => rank(a) - rank(b))) {
    for (const line of statusHeader(l)) log(line);
    if (l.state) for (const line of await nodeLines(l)) log(line);
  }
}

/** Doctor: one check per lab; only a lab nobody owns is a failure, with the command that removes it. */
export function labChecks(labs: readonly LabOnHost[]): Check[] {
  if (labs.length === 0) return [{ name: 'leftover labs', ok: true, detail: 'none' }];
  return labs.map((l) => {
    const name = `lab ${l.labId}`;
    switch (l.whose.kind) {
      case 'running':
        return { name, ok: true, detail: `${describeWhose(l.whose)}; left alone` };
      case 'user':
        return { name, ok: true, detail: `${describeWhose(l.whose)} (\`${downHint(l.labId)}\` when done)` };
      default:
        return { name, ok: false, detail: `left over: ${describeWhose(l.whose)}`, fix: downHint(l.labId) };
    }
  });
}

export interface DownOptions {
  lab?: string;
  all?: boolean;
  /** Remove labs a live process owns too. */
  force?: boolean;
}

interface DownPlan {
  remove: string[];
  /** Labs left alone, each with the line that says why. */
  spared: string[];
}

/**
 * Which labs `down` removes. --all: every lab here and in libvirt, but a live process's only
 * with --force. --lab, or the newest here by default: that one; a live process's is refused
 * (one line, exit 2) unless --force.
 */
function planDown(labs: readonly LabOnHost[], newest: string | undefined, o: DownOptions): DownPlan {
  const whoseOf = (id: string) => labs.find((l) => l.labId === id)?.whose ?? { kind: 'unknown' as const };
  if (o.all) {
    const plan: DownPlan = { remove: [], spared: [] };
    for (const l of labs) {
      if (ownedByLiveProcess(l.whose) && !o.force) plan.spared.push(`lab ${l.labId}: left alone, ${describeWhose(l.whose)} (--force removes it too)`);
      else plan.remove.push(l.labId);
    }
    return plan;
  }
  const id = o.lab ?? newest;
  if (!id) return { remove: [], spared: [] };
  const w = whoseOf(id);
  if (ownedByLiveProcess(w) && !o.force) {
    throw new UsageError(`lab ${id} is ${describeWhose(w)} and is removed when it ends; to remove it now anyway: npm run lab -- down --lab ${id} --force`);
  }
  return { remove: [id], spared: [] };
}

/** `down`: remove what the plan says, say what was spared. */
export async function downCommand(uri: string, o: DownOptions, log: (line: string) => void, host: LabHost): Promise<void> {
  const plan = planDown(await labsOnHost(uri, host), (await listLabIds(host.folders.state))[0], o);
  if (plan.remove.length === 0 && plan.spared.length === 0) log('nothing to remove');
  for (const id of plan.remove) {
    const removed = await teardownLab(id, uri, { host });
    log(`lab ${id}: ${removed.length ? `removed ${removed.join(', ')}` : 'nothing left'}`);
  }
  for (const line of plan.spared) log(line);
}
