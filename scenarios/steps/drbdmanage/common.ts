// Helpers shared by the drbdmanage scenarios (profile ubuntu1804-drbd9).

import { expect } from 'vitest';
import {
  describe as describeResource,
  isUpToDateEverywhere,
  parseDrbdmanageResult,
  parseListAssignments,
  parseDrbdsetupStatus,
  parseListNodes,
  type DrbdmanageNode,
  type DrbdmanageResult,
  type DrbdResourceStatus,
} from '../../../lib/drbd/index.js';
import { RemoteCommandError } from '../../../lib/errors.js';
import type { ScenarioContext } from '../../../lib/scenario/define-scenario.js';
import { ReplayMismatchError } from '../../../lib/scenario/replay-lab.js';
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
 * A drbdmanage listing inside a wait: the error lines drbdmanage prints while its server is busy
 * are "not yet" (as in waitForNodes); any other failed exit ends the wait with a RemoteCommandError.
 */
export async function dmListing(node: ScenarioNode, command: string): Promise<{ stdout: string } | { notYet: string }> {
  const r = await node.exec(command, { check: false, timeoutMs: 120_000 });
  const errors = parseDrbdmanageResult(r.stdout, r.stderr).errors;
  if (errors.length > 0) return { notYet: errors.join('; ') };
  if (r.exitCode !== 0) throw new RemoteCommandError(node.name, command, r.exitCode, r.stdout, r.stderr);
  return { stdout: r.stdout };
}

/** drbdmanage said `Operation completed successfully` and printed no error line. */
export function expectDmOk(run: DmRun, what: string): void {
  const tail = `${run.stdout}\n${run.stderr}`.trim().split('\n').slice(-4).join(' | ');
  expect(run.result.ok, `${what}: drbdmanage did not report success (errors: ${run.result.errors.join('; ') || 'none'}; exit ${run.exitCode}; output: ${tail})`).toBe(true);
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
  timeoutMs = scaled(180_000),
): Promise<DrbdmanageNode[]> {
  return pollStrict(
    lab,
    what,
    async () => {
      const r = await node.exec(cmd.listNodes, { check: false, timeoutMs: 120_000 });
      const errors = parseDrbdmanageResult(r.stdout, r.stderr).errors;
      if (errors.length > 0) return { done: false, seen: errors.join('; ') };
      const nodes = parseListNodes(r.stdout);
      return { done: done(nodes), value: nodes, seen: describeNodes(nodes) };
    },
    { timeoutMs, intervalMs: 5_000, target: node.name },
  );
}

/** Exactly these nodes, each `ok`. */
export function allOk(names: readonly string[]): (nodes: DrbdmanageNode[]) => boolean {
  return (nodes) => nodes.length === names.length && names.every((n) => nodes.some((x) => x.name === n && x.ok));
}

/** `drbdsetup status` (all resources) until `done(resources)`; returns the last parse. */
export async function waitForStatus(
  lab: ScenarioLab,
  node: ScenarioNode,
  what: string,
  done: (resources: DrbdResourceStatus[]) => boolean,
  opts: { command?: string; timeoutMs?: number; intervalMs?: number } = {},
): Promise<DrbdResourceStatus[]> {
  return pollStrict(
    lab,
    what,
    async () => {
      const r = await node.exec(opts.command ?? cmd.status, { check: false, timeoutMs: 30_000 });
      if (r.exitCode !== 0) return { done: false, seen: (r.stderr.trim() || r.stdout.trim() || `exit ${r.exitCode}`).split('\n')[0]! };
      const resources = parseDrbdsetupStatus(r.stdout);
      return {
        done: done(resources),
        value: resources,
        seen: resources.length === 0 ? '(no resources)' : resources.map(describeResource).join('; '),
      };
    },
    { timeoutMs: opts.timeoutMs ?? scaled(120_000), intervalMs: opts.intervalMs ?? 2_000, target: node.name },
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

/** `systemctl is-enabled` / `is-active` answer (they exit non-zero for disabled / inactive). */
export async function unitAnswer(node: ScenarioNode, command: string): Promise<string> {
  const r = await node.exec(command, { check: false, timeoutMs: 30_000 });
  return r.stdout.trim();
}

/** `systemctl show -p A,B unit` → { A: …, B: … } (systemd prints them in its own order). */
export function parseShow(stdout: string): Record<string, string> {
  return Object.fromEntries(
    stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

/** Is r0 deployed and ok on all three nodes (the walkthrough's end state)? */
export async function r0DeployedEverywhere(ctx: ScenarioContext): Promise<boolean> {
  const r = await ctx.lab.node('drbd1').exec(cmd.listAssignments, { check: false, timeoutMs: 120_000 });
  if (parseDrbdmanageResult(r.stdout, r.stderr).errors.length > 0) return false;
  try {
    const rows = parseListAssignments(r.stdout).filter((a) => a.resource === 'r0' && a.volumeId === null);
    return NODE_NAMES.every((n) => rows.some((a) => a.node === n && a.ok));
  } catch {
    return false;
  }
}
