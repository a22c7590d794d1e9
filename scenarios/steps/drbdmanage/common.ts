// Helpers shared by the drbdmanage scenarios (profile ubuntu1804-drbd9).

import { expect } from 'vitest';
import { parseMachineReadableVolumes } from '../../../lib/drbd/drbdmanage-machine-readable.js';
import { DrbdmanageError, onlyNotReady, parseDrbdmanageResult, type DrbdmanageResult } from '../../../lib/drbd/drbdmanage-result.js';
import { parseListAssignments, parseListNodes, type DrbdmanageNode } from '../../../lib/drbd/drbdmanage-table.js';
import { parseDrbdsetupStatus, type DrbdResourceStatus } from '../../../lib/drbd/drbdsetup-status.js';
import { describe as describeResource, isUpToDateEverywhere } from '../../../lib/drbd/state.js';
import { RemoteCommandError } from '../../../lib/errors.js';
import type { ScenarioContext } from '../../../lib/scenario/define-scenario.js';
import type { ScenarioLab, ScenarioNode } from '../../../lib/scenario/scenario-lab.js';
import type { ExecOptions, ExecResult } from '../../../lib/ssh/session.js';
import { pollUntil, scaled, type Observation } from '../../../lib/wait/poll.js';
import { cmd } from './commands.js';

export const NODE_NAMES = ['drbd1', 'drbd2', 'drbd3'] as const;

/** A drbdmanage run: its output and what the text says (drbdmanage exits 0 after most errors). */
export interface DmRun extends ExecResult {
  result: DrbdmanageResult;
}

/** Runs a drbdmanage command; success is read from the text, never from the exit code alone. */
export async function dm(node: ScenarioNode, command: string, opts: ExecOptions = {}): Promise<DmRun> {
  const r = await node.exec(command, { timeoutMs: 180_000, ...opts, check: false });
  return { ...r, result: parseDrbdmanageResult(r.stdout, r.stderr) };
}

/**
 * A drbdmanage listing inside a wait. "Not yet" is only what drbdmanage itself retries: its
 * server not ready (starting up, no quorum yet, a satellite still asking for the control
 * volume), printed after its own `Waiting for server: ...` retries. Any other error line, or a
 * failed exit (D-Bus unreachable: 1, a refused argument: 2), ends the wait at once with the
 * command's output (DrbdmanageError, a product failure).
 */
export async function dmListing(node: ScenarioNode, command: string): Promise<{ stdout: string } | { notYet: string }> {
  const r = await node.exec(command, { check: false, timeoutMs: 120_000 });
  const result = parseDrbdmanageResult(r.stdout, r.stderr);
  if (r.exitCode === 0 && onlyNotReady(result)) return { notYet: result.notReady.join('; ') };
  if (result.errors.length > 0 || r.exitCode !== 0) throw new DrbdmanageError(node.name, command, r.exitCode, r.stdout, r.stderr, result.errors);
  return { stdout: r.stdout };
}

/** drbdmanage said `Operation completed successfully`, printed no error line and exited 0. */
export function expectDmOk(run: DmRun, what: string): void {
  const tail = `${run.stdout}\n${run.stderr}`.trim().split('\n').slice(-4).join(' | ');
  expect(run.result.errors, `${what}: drbdmanage printed errors (exit ${run.exitCode}; output: ${tail})`).toEqual([]);
  expect(run.result.ok, `${what}: drbdmanage did not report success (exit ${run.exitCode}; output: ${tail})`).toBe(true);
  expect(run.exitCode, `${what}: exit code`).toBe(0);
}

/** pollUntil on the lab's clock (virtual in replay), DRBD timeouts counted as product failures. */
export function pollStrict<T>(
  lab: ScenarioLab,
  what: string,
  observe: () => Promise<Observation<T>>,
  opts: { timeoutMs: number; intervalMs?: number; target?: string },
): Promise<T> {
  // Only SSH transport errors are "not yet": a ReplayMismatchError or a failed command ends it.
  return pollUntil(what, observe, { ...opts, clock: lab.clock, kind: 'product' });
}

export function describeNodes(nodes: DrbdmanageNode[]): string {
  return nodes.length === 0 ? '(no nodes)' : nodes.map((n) => `${n.name}:${n.state}`).join(', ');
}

/** `drbdmanage list-nodes` until `done(nodes)`; returns the last list. */
export async function waitForNodes(
  lab: ScenarioLab,
  node: ScenarioNode,
  what: string,
  done: (nodes: DrbdmanageNode[]) => boolean,
  timeoutMs = scaled(180_000, lab.timeoutScale),
): Promise<DrbdmanageNode[]> {
  return pollStrict(
    lab,
    what,
    async () => {
      const listing = await dmListing(node, cmd.listNodes);
      if ('notYet' in listing) return { done: false, seen: listing.notYet };
      const nodes = parseListNodes(listing.stdout);
      return { done: done(nodes), value: nodes, seen: describeNodes(nodes) };
    },
    { timeoutMs, intervalMs: 5_000, target: node.name },
  );
}

/** Exactly these nodes, each `ok`. */
export function allOk(names: readonly string[]): (nodes: DrbdmanageNode[]) => boolean {
  return (nodes) => nodes.length === names.length && names.every((n) => nodes.some((x) => x.name === n && x.ok));
}

/**
 * What drbd-utils answers for a resource that is not (yet) there on this node, as captured with
 * drbd-utils 9.22: `drbdsetup status R` exits 10 with `R: No such resource`; `drbdadm status R`
 * exits 1 with `'R' not defined in your config (for this host).` until drbdmanage has written
 * the node's res file (seen right after deploy-resource).
 */
function resourceNotThereYet(r: ExecResult): string | null {
  const line = r.stderr.trim().split('\n').filter((l) => !/^sudo: /u.test(l)).join('\n');
  if (r.exitCode === 10 && /^\S+: No such resource$/u.test(line)) return line;
  if (r.exitCode === 1 && /^'\S+' not defined in your config \(for this host\)\.$/u.test(line)) return line;
  return null;
}

/**
 * `drbdsetup status` (all resources, or `opts.command`) until `done(resources)`; returns the
 * last parse. "Not yet" is a resource that is not there yet; any other failure ends the wait
 * with the command's output, and an output no parser knows is a harness error.
 */
export async function waitForStatus(
  lab: ScenarioLab,
  node: ScenarioNode,
  what: string,
  done: (resources: DrbdResourceStatus[]) => boolean,
  opts: { command?: string; timeoutMs?: number; intervalMs?: number } = {},
): Promise<DrbdResourceStatus[]> {
  const command = opts.command ?? cmd.status;
  return pollStrict(
    lab,
    what,
    async () => {
      const r = await node.exec(command, { check: false, timeoutMs: 30_000 });
      if (r.exitCode !== 0) {
        const notThere = resourceNotThereYet(r);
        if (notThere === null) throw new RemoteCommandError(node.name, command, r.exitCode, r.stdout, r.stderr);
        return { done: false, seen: notThere };
      }
      const resources = parseDrbdsetupStatus(r.stdout);
      return {
        done: done(resources),
        value: resources,
        seen: resources.length === 0 ? r.stdout.trim() || '(no resources)' : resources.map(describeResource).join('; '),
      };
    },
    { timeoutMs: opts.timeoutMs ?? scaled(120_000, lab.timeoutScale), intervalMs: opts.intervalMs ?? 2_000, target: node.name },
  );
}

/** Up to date on this node and on every one of `peers` (by connection name). */
export function upToDateWith(res: DrbdResourceStatus | undefined, peers: readonly string[]): boolean {
  if (!res || !isUpToDateEverywhere(res)) return false;
  const names = res.peers.map((p) => p.name).sort();
  return names.length === peers.length && [...peers].sort().every((p, i) => names[i] === p);
}

/** Primaries of a resource as one node sees it: itself plus the roles of its connected peers. */
export function primaries(res: DrbdResourceStatus, self: string): string[] {
  return [
    ...(res.role === 'Primary' ? [self] : []),
    ...res.peers.filter((p) => p.role === 'Primary').map((p) => p.name ?? '?'),
  ];
}

export function find(resources: DrbdResourceStatus[], name: string): DrbdResourceStatus | undefined {
  return resources.find((r) => r.name === name);
}

/** The other nodes. */
export const peersOf = (name: string) => NODE_NAMES.filter((n) => n !== name);

/**
 * Is r0 deployed and ok on all three nodes (the walkthrough's end state)? An empty list is
 * "no"; a drbdmanage error or an output no parser knows is a failure, not a reason to build the
 * cluster again.
 */
export async function r0DeployedEverywhere(ctx: ScenarioContext): Promise<boolean> {
  const drbd1 = ctx.lab.node('drbd1');
  const listing = await dmListing(drbd1, cmd.listAssignments);
  if ('notYet' in listing) throw new DrbdmanageError('drbd1', cmd.listAssignments, 0, '', listing.notYet, [listing.notYet]);
  const rows = parseListAssignments(listing.stdout).filter((a) => a.resource === 'r0' && a.volumeId === null);
  return NODE_NAMES.every((n) => rows.some((a) => a.node === n && a.ok));
}

/** r0's minor, from drbdmanage's own list (100 as in the blog, or the one it gave instead). */
export async function r0Minor(node: ScenarioNode): Promise<number> {
  const listing = await dmListing(node, cmd.listVolumesMachine);
  if ('notYet' in listing) throw new DrbdmanageError(node.name, cmd.listVolumesMachine, 0, '', listing.notYet, [listing.notYet]);
  const r0 = parseMachineReadableVolumes(listing.stdout).find((v) => v.resource === 'r0' && v.volumeId === 0);
  expect(r0?.minor, `r0 volume 0 in list-volumes -m on ${node.name}`).toBeTypeOf('number');
  return r0!.minor!;
}
