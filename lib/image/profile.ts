import type { AccelSetting } from '../libvirt/accel.js';
import type { ImageFolders } from './fresh-image.js';
import type { BootSpec } from '../libvirt/domain-xml.js';
import type { ProfileName } from './profile-names.js';
import type { Progress } from './progress.js';
import type { UpstreamDigest } from './upstream-state.js';
import type { AddedSuite } from './variant.js';

/** A base image ready to be cloned: disk, how to boot it, what is installed. */
export interface BaseImage {
  profile: ProfileName;
  disk: string;
  /**
   * The template's second disk, when it has one (ubuntu1804-drbd9: partition and VG drbdpool on
   * it, walkthrough steps 3 and 8): each node's data disk is an overlay on it, as in step 9.
   */
  dataDisk?: string;
  digest: string;
  dir: string;
  boot: BootSpec;
  versions: Record<string, string>;
  /** Package → the archive suite its installed version came from, where the profile knows it. */
  origins?: Record<string, string>;
  built: boolean;
  /** Taken from the cache without asking the upstreams (--offline, DRBDLAB_OFFLINE=1). */
  offline?: boolean;
  /** The upstream state the image was built from (absent in images made before it was kept). */
  upstreams?: UpstreamDigest[];
  builtAt?: string;
}

/**
 * The DRBD stack a profile's nodes run, which is also its scenario step set
 * (`scenarios/steps/<stack>/`, and `stacks:`/`from:` of defineScenario).
 */
export type Stack = 'drbdadm' | 'drbdmanage';

/** What a profile is, as data: known without building or probing anything (lib/image/profiles.ts maps names to these). */
export interface ProfileFacts {
  readonly name: ProfileName;
  /** The DRBD stack scenarios drive on it: its step set. */
  readonly stack: Stack;
  /** What its recipe builds, in a few words (the recipe itself is the profile's). */
  readonly recipe: string;
  /** The walkthrough's own profile: an automatic choice runs it where its upstreams answer. */
  readonly walkthrough: boolean;
  /** The archive suites a run may add to its recipe (`--suite`, a variant: lib/image/variant.ts); none: no variant. */
  readonly suites: readonly AddedSuite[];
}

/**
 * What a profile takes of the run's configuration, given by the edge (the CLI, the scenarios'
 * global setup, a script) from its Config; no profile reads the environment itself.
 */
export interface ProfileSettings {
  /** The run's image cache and labs folder (Config.paths.cache, .state). */
  folders: ImageFolders;
  /** The cached image as it is, no upstream asked (--offline, DRBDLAB_OFFLINE=1). */
  offline: boolean;
  /** ubuntu1804-drbd9: a saved pinned set (manifest.json + debs) installed instead of the PPA (DRBDLAB_PIN_DIR). */
  pinDir?: string;
  /** DRBDLAB_ACCEL, for a build's provisioning boot (ubuntu1804-drbd9). */
  accel: AccelSetting;
  /** The suites added to the profile's (--suite, DRBDLAB_SUITE): a variant; checked against the profile's facts by lib/config. */
  suites?: readonly AddedSuite[];
  /** debian12-drbd84's sources (DRBDLAB_DEBIAN_MIRROR, DRBDLAB_DEBIAN_SECURITY_MIRROR, DRBDLAB_EXTRA_APT_SOURCE, DRBDLAB_EXTRA_PACKAGES); unset: Debian's own archive. */
  debian?: DebianSources;
}

/** Where debian12-drbd84's recipe takes its packages from. */
export interface DebianSources {
  mirror: string;
  securityMirror: string;
  /** A test's extra apt source and the packages to install from it (the freshness test's loopback repository). */
  extra?: { sources: string[]; packages: string[] };
}

/** A guest profile: how its template is built and what its nodes run. */
export interface GuestProfile {
  readonly name: ProfileName;
  /** The DRBD stack scenarios drive on it: its step set. */
  readonly stack: Stack;
  /** Its variant (the suites added, lib/image/variant.ts), when it runs one: a line of its own. */
  readonly variant?: string;
  /** Fails fast with UpstreamUnavailableError when a source it needs cannot be reached. */
  checkAvailable(): Promise<void>;
  /**
   * The image for the recipe and its upstreams as they are now (cached, or built); offline, the
   * cached one as it is. A signal stops a build half-way; the cache then keeps nothing of it.
   */
  ensureImage(progress: Progress, signal?: AbortSignal): Promise<BaseImage>;
}
