// Whose each lab on this host is, as the reaper judges it: the commands that talk to people
// (doctor, status, down) say the same, and never offer to remove a lab a live process owns.
import { ownerStatus, type Owner, type OwnerStatus, type ProcessTable } from '../host/owner.js';
import { parseLabMetadata } from '../libvirt/lab-metadata.js';
import { isLabDomain } from './identity.js';
import type { LabHost } from './lab-host.js';
import { listLabIds, readState, type LabState } from './state.js';
import { labIdsInLibvirt } from './teardown.js';

/** A lab as the reaper sees it: from its domains' metadata and its folder here. */
export interface KnownLab {
  labId: string;
  /** What libvirt's metadata says first (any checkout's reaper looks there), else the state file. */
  owner?: Owner;
  /** The lab's folder, as its metadata names it (maybe another checkout's). */
  dir?: string;
  /** Its state file here, if it has a folder here. */
  state?: LabState;
}

/** Labs with drbdlab metadata in libvirt or a folder here, newest folders first. */
export async function knownLabs(uri: string, host: LabHost): Promise<KnownLab[]> {
  const virsh = host.connect(uri);
  const labs = new Map<string, KnownLab>();
  const known = (labId: string) => labs.get(labId) ?? labs.set(labId, { labId }).get(labId)!;
  for (const d of (await virsh.listDomains()).filter((n) => isLabDomain(n))) {
    const meta = parseLabMetadata((await virsh.domainXml(d)) ?? '');
    if (!meta) continue;
    const k = known(meta.labId);
    k.owner ??= meta.owner;
    k.dir ??= meta.dir;
  }
  for (const id of await listLabIds(host.folders.state)) {
    const k = known(id);
    k.state = await readState(host.folders.state, id);
    k.owner ??= k.state?.owner;
  }
  return [...labs.values()];
}

/** Whose a lab is: an owner's status, or unknown (a lab of before owners, or only a network left). */
export type Whose = OwnerStatus | { kind: 'unknown' };

function whose(owner: Owner | undefined, procs: ProcessTable): Whose {
  return owner ? ownerStatus(owner, procs) : { kind: 'unknown' };
}

/** A live process owns it: a nightly or a test run is using it right now. */
export function ownedByLiveProcess(w: Whose): w is { kind: 'running'; pid: number } {
  return w.kind === 'running';
}

/** One line: whose it is. */
export function describeWhose(w: Whose): string {
  switch (w.kind) {
    case 'user':
      return 'kept for the user';
    case 'running':
      return `in use: its owner, pid ${w.pid}, is running`;
    case 'orphaned':
      return w.why === 'exited'
        ? `orphaned: its owner, pid ${w.pid}, has ended`
        : w.why === 'pid-reused'
          ? `orphaned: its owner, pid ${w.pid}, has ended (the pid now names another process)`
          : `orphaned: its owner, pid ${w.pid}, ran before the host rebooted`;
    case 'unknown':
      return 'owner unknown (made before owners were recorded, or only its network is left)';
  }
}

/** Every lab here and in libvirt, with whose it is. */
export interface LabOnHost extends KnownLab {
  whose: Whose;
}

export async function labsOnHost(uri: string, host: LabHost): Promise<LabOnHost[]> {
  const labs: LabOnHost[] = (await knownLabs(uri, host)).map((k) => ({ ...k, whose: whose(k.owner, host.processes) }));
  for (const labId of await labIdsInLibvirt(uri, host)) {
    if (!labs.some((l) => l.labId === labId)) labs.push({ labId, whose: { kind: 'unknown' } });
  }
  return labs;
}
