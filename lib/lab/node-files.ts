// A node's files on the host: key pairs, copy-on-write disks, the cloud-init seed. Behind an
// interface so the start logic runs in tests without qemu-img, genisoimage or ssh-keygen.
import type { SeedFiles } from '../cloud-init/render.js';
import { buildSeedIso } from '../cloud-init/seed-iso.js';
import { run } from '../exec/run.js';
import type { BaseImage } from '../image/profile.js';
import { ensureKeyPair, type KeyPair } from '../ssh/keys.js';
import { nodeDataDiskArgs } from './node-disks.js';

export interface NodeFiles {
  /** An ed25519 key pair at `path` (made once, then read). */
  keyPair(path: string, comment: string): Promise<KeyPair>;
  /** A qcow2 overlay on `backing`. */
  overlay(backing: string, target: string): Promise<void>;
  /** A node's second disk (an overlay on the image's own, or a blank one of `sizeGiB`). */
  dataDisk(image: Pick<BaseImage, 'dataDisk'>, target: string, sizeGiB: number): Promise<void>;
  /** A NoCloud seed ISO. */
  seedIso(files: SeedFiles, target: string): Promise<void>;
}

export const realNodeFiles: NodeFiles = {
  keyPair: ensureKeyPair,
  overlay: async (backing, target) => {
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', backing, target]);
  },
  dataDisk: async (image, target, sizeGiB) => {
    await run('qemu-img', nodeDataDiskArgs(image, target, sizeGiB));
  },
  seedIso: buildSeedIso,
};
