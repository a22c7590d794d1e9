// A cluster snapshot is content-addressed like an image: same inputs, same snapshot; any change
// (image, lab.yaml, cloud-init templates, hypervisor, starting point or the code that makes it)
// gives a new one.
import { createHash } from 'node:crypto';
import type { LabConfig } from '../config/lab-schema.js';
import { canonicalJson } from '../image/cache.js';
import type { ProfileName } from '../image/profile-names.js';
import type { Accel, KvmCpu } from '../libvirt/domain-xml.js';

/**
 * Bump when what a snapshot folder holds, or how it is restored, changes, the domain's devices
 * among it (lib/libvirt/domain-xml.ts): a saved memory image restores only into the devices it
 * was saved from. 2: no USB controller, no guest-agent channel. 3: a quiet console under TCG
 * (the snapshot's nodes booted with the command line they reboot with).
 */
const SNAPSHOT_FORMAT = 3;

/** 'ready': three nodes just ready. Later points name the steps run on top of 'ready'. */
export type SnapshotPoint = string;

export interface SnapshotInputs {
  profile: ProfileName;
  imageDigest: string;
  config: LabConfig;
  /** Digest of the cloud-init templates the nodes were seeded from. */
  templatesDigest: string;
  accel: Accel;
  cpu?: KvmCpu;
  point: SnapshotPoint;
  /** For a later point: digest of the code that brings 'ready' to it. */
  pointDigest?: string;
  /** For a later point: the snapshot it starts from. */
  parent?: string;
}

export function snapshotDigest(i: SnapshotInputs): string {
  return createHash('sha256')
    .update(canonicalJson({ format: SNAPSHOT_FORMAT, ...i }))
    .digest('hex');
}

export function snapshotDirName(profile: ProfileName, point: SnapshotPoint, digest: string): string {
  return `${profile}-${point}-${digest.slice(0, 16)}`;
}

export const POINT_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;
