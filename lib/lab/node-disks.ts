import { resolve } from 'node:path';
import type { BaseImage } from '../image/profile.js';

/**
 * `qemu-img` arguments for a node's second disk. With the template's own (ubuntu1804-drbd9:
 * partition and VG drbdpool made once, walkthrough steps 3 and 8) a copy-on-write overlay on it,
 * so every clone starts with that VG, as step 9's clones did; it takes the template disk's size.
 * Without one, a blank disk of the lab's size that the scenarios partition themselves. Pure.
 */
export function nodeDataDiskArgs(image: Pick<BaseImage, 'dataDisk'>, target: string, sizeGiB: number): string[] {
  if (image.dataDisk) return ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', resolve(image.dataDisk), target];
  return ['create', '-q', '-f', 'qcow2', target, `${sizeGiB * 1024}M`];
}
