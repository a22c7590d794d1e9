import type { BootSpec } from '../libvirt/domain-xml.js';
import type { ProfileName } from './profile-names.js';
import type { Progress } from './progress.js';

/** A base image ready to be cloned: disk, how to boot it, what is installed. */
export interface BaseImage {
  profile: ProfileName;
  disk: string;
  digest: string;
  dir: string;
  boot: BootSpec;
  versions: Record<string, string>;
  built: boolean;
}

/** A guest profile: how its template is built and what its nodes run. */
export interface GuestProfile {
  readonly name: ProfileName;
  /** The DRBD stack scenarios drive on it. */
  readonly stack: 'drbdadm' | 'drbdmanage';
  /** Fails fast with UpstreamUnavailableError when a source it needs cannot be reached. */
  checkAvailable(): Promise<void>;
  /** A signal stops a build half-way; the cache then keeps nothing of it. */
  ensureImage(progress: Progress, signal?: AbortSignal): Promise<BaseImage>;
}
