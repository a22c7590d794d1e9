// The reaper, as testcontainers' Ryuk is for containers: a lab made by the nightly job or the
// tests belongs to its process; once that process is gone, the next drbdlab command removes it.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { removeTree } from '../image/remove-tree.js';
import { parseLabMetadata } from '../libvirt/lab-metadata.js';
import { isLabDomain, networkName } from './identity.js';
import { ownerStatus, type Owner, type ProcessTable } from '../host/owner.js';
import type { LabHost } from './lab-host.js';
import { listLabIds, readState } from './state.js';
import { labIdsInLibvirt, teardownLab } from './teardown.js';
import { knownLabs } from './whose.js';

export interface Reaped {
  labId: string;
  why: string;
  removed: string[];
  /** Removal failed this time (a process still writing there): the next command tries again. */
  failed?: string;
}

/** Reaping must never stop the command that does it: a failure is reported, and retried later. */
async function reap(labId: string, why: string, remove: () => Promise<string[]>): Promise<Reaped> {
  try {
    return { labId, why, removed: await remove() };
  } catch (err) {
    return { labId, why, removed: [], failed: (err as Error).message.split('\n').slice(0, 2).join(' ') };
  }
}

/** Labs (and half-built images) whose owner is gone. A user's lab and a lab of before owners stay. */
export async function reapOrphans(uri: string, host: LabHost): Promise<Reaped[]> {
  const virsh = host.connect(uri);
  const labs = await knownLabs(uri, host);
  const reaped: Reaped[] = [];
  for (const k of labs) {
    if (!k.owner || ownerStatus(k.owner, host.processes).kind !== 'orphaned') continue;
    reaped.push(await reap(k.labId, `its owner, pid ${k.owner.pid}, is gone`, () => teardownLab(k.labId, uri, { dir: k.dir, host })));
  }
  // A network outlives its lab only after a kill mid-teardown: domains are defined before it.
  const networks = await virsh.listNetworks();
  for (const id of await labIdsInLibvirt(uri, host)) {
    if (labs.some((k) => k.labId === id) || !networks.includes(networkName(id))) continue;
    reaped.push(await reap(id, 'a network without domains or owner', () => teardownLab(id, uri, { host })));
  }
  reaped.push(...(await reapImageScratch(host)));
  return reaped;
}

/** Labs that `owner` still has (a job sweeping its workers' clusters after an interrupt). */
export async function sweepLabsOf(owner: Owner, uri: string, host: LabHost): Promise<Reaped[]> {
  const out: Reaped[] = [];
  const virsh = host.connect(uri);
  const ids = new Set<string>();
  for (const d of (await virsh.listDomains()).filter((n) => isLabDomain(n))) {
    const meta = parseLabMetadata((await virsh.domainXml(d)) ?? '');
    if (meta?.owner && sameOwner(meta.owner, owner)) ids.add(meta.labId);
  }
  for (const id of await listLabIds(host.folders.state)) {
    const o = (await readState(host.folders.state, id))?.owner;
    if (o && sameOwner(o, owner)) ids.add(id);
  }
  for (const id of ids) out.push(await reap(id, 'left by this run', () => teardownLab(id, uri, { host })));
  return out;
}

const sameOwner = (a: Owner, b: Owner) => a.kind === 'process' && a.pid === b.pid && a.startTime === b.startTime && a.bootId === b.bootId;

/** `<image or snapshot>.building-<pid>-<start>` folders of builds whose process is gone (killed mid-build). */
async function reapImageScratch(host: LabHost): Promise<Reaped[]> {
  const out: Reaped[] = [];
  out.push(...(await reapScratchIn(join(host.folders.cache, 'images'), 'an image build', host.processes)));
  out.push(...(await reapScratchIn(host.folders.snapshots, 'a snapshot save', host.processes)));
  return out;
}

async function reapScratchIn(root: string, what: string, procs: ProcessTable): Promise<Reaped[]> {
  if (!existsSync(root)) return [];
  const out: Reaped[] = [];
  for (const name of await readdir(root)) {
    const m = /\.building-(\d+)-(\d+)$/.exec(name);
    if (!m) continue;
    // The name holds pid and start time of this host boot; a folder from an earlier boot has none alive.
    if (ownerStatus({ kind: 'process', pid: Number(m[1]), startTime: m[2]!, bootId: procs.bootId() }, procs).kind === 'running') continue;
    const dir = join(root, name);
    out.push(await reap(name, `${what} of pid ${m[1]} that is gone`, async () => (await removeTree(dir), [`folder ${dir}`])));
  }
  return out;
}

export function describeReaped(r: Reaped): string {
  if (r.failed) return `could not reap ${r.labId.length === 6 ? `lab ${r.labId}` : r.labId} yet (${r.why}): ${r.failed}`;
  return `reaped ${r.labId.length === 6 ? `lab ${r.labId}` : r.labId} (${r.why}): removed ${r.removed.join(', ') || 'nothing'}`;
}
