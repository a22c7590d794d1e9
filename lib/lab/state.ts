import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import type { LabConfig } from '../config/lab-schema.js';
import type { ProfileName } from '../image/profile-names.js';
import type { Accel, KvmCpu } from '../libvirt/domain-xml.js';
import type { Owner } from '../host/owner.js';
import { labPaths } from './paths.js';

/** What a started lab writes down, so another process (`ssh`, `down`) can attach to it. */
export interface LabState {
  labId: string;
  phase: 'starting' | 'up' | 'failed';
  createdAt: string;
  profile: ProfileName;
  accel: Accel;
  accelReason: string;
  /** Under KVM: the CPU mode in use. */
  cpu?: KvmCpu;
  /** Whose lab this is: the reaper removes a process-owned lab whose process is gone. */
  owner?: Owner;
  libvirtUri: string;
  user: string;
  network: string;
  image: { dir: string; digest: string; versions: Record<string, string> };
  config: LabConfig;
  /** Restored from a cached cluster snapshot rather than booted fresh. */
  snapshot?: { dir: string; digest: string; point: string };
  nodes: { name: string; id: number; domain: string; uuid: string; sshPort: number; replicationIp: string; hostKey: string }[];
}

/** `labs`: the labs folder (the run's Config.paths.state, LabHost.folders.state). */
export async function writeState(labs: string, state: LabState): Promise<void> {
  await writeFile(labPaths(labs, state.labId).state, JSON.stringify(state, null, 2));
}

export async function readState(labs: string, labId: string): Promise<LabState | undefined> {
  const f = labPaths(labs, labId).state;
  return existsSync(f) ? (JSON.parse(await readFile(f, 'utf8')) as LabState) : undefined;
}

/** Lab ids that have a folder here, newest first. */
export async function listLabIds(labs: string): Promise<string[]> {
  if (!existsSync(labs)) return [];
  const ids = (await readdir(labs)).filter((d) => /^[0-9a-f]{6}$/.test(d));
  const withTime = await Promise.all(
    ids.map(async (id) => ({ id, t: (await readState(labs, id))?.createdAt ?? '' })),
  );
  return withTime.sort((a, b) => b.t.localeCompare(a.t)).map((x) => x.id);
}
