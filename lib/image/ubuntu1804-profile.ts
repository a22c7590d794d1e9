import { existsSync } from 'node:fs';
import type { ImageFolders } from './fresh-image.js';
import { join } from 'node:path';
import { UpstreamUnavailableError } from '../errors.js';
import { loadPinnedSet } from './pinning.js';
import type { BaseImage, GuestProfile, ProfileFacts, ProfileSettings } from './profile.js';
import type { Progress } from './progress.js';
import { ensureUbuntuImage, type UbuntuBuildDeps } from './ubuntu1804-build.js';
import { ubuntu1804Recipe, type UbuntuRecipe } from './ubuntu1804-recipe.js';
import { probeHosts, type HostProbe } from './upstream-probe.js';
import type { AccelSetting } from '../libvirt/accel.js';

export const UBUNTU_UPSTREAMS = ['cloud-images.ubuntu.com', 'archive.ubuntu.com', 'ppa.launchpadcontent.net'];

export interface Ubuntu1804Options {
  /** The run's image cache and labs folder (Config.paths). */
  folders: ImageFolders;
  /** The recipe to build (default: the walkthrough's, pinned when a pinned set is given). */
  recipe?: UbuntuRecipe;
  /** A saved pinned set (manifest.json + debs) to install instead of the PPA (the run's DRBDLAB_PIN_DIR). */
  pinnedDir?: string;
  /** The cached template as it is, no upstream asked, not even the probe (the run's --offline). */
  offline?: boolean;
  /** The run's DRBDLAB_ACCEL, for the provisioning boot. */
  accel?: AccelSetting;
  /** Test seams of the build (fetch, accel, …); checkUpstream is always the profile's own check. */
  build?: Omit<Partial<UbuntuBuildDeps>, 'checkUpstream' | 'pinnedDir' | 'offline' | 'folders'>;
}

/** The walkthrough as written: Ubuntu 18.04 cloud image + LINBIT PPA (DRBD 9, drbdmanage). */
export class Ubuntu1804Profile implements GuestProfile {
  static readonly facts = {
    name: 'ubuntu1804-drbd9',
    stack: 'drbdmanage',
    recipe: 'Ubuntu 18.04 cloud image, DRBD 9 and drbdmanage from the LINBIT PPA (or a pinned set)',
    walkthrough: true,
    // The walkthrough's archive and PPA as they are: no stream to add.
    suites: [],
  } as const satisfies ProfileFacts;
  readonly name = Ubuntu1804Profile.facts.name;
  readonly stack = Ubuntu1804Profile.facts.stack;
  constructor(
    private readonly probe: HostProbe = probeHosts,
    private readonly options: Ubuntu1804Options,
  ) {}

  /** The profile of a run (lib/image/profiles.ts): the real probe, the run's settings. */
  static create(settings: ProfileSettings): Ubuntu1804Profile {
    return new Ubuntu1804Profile(probeHosts, { folders: settings.folders, offline: settings.offline, accel: settings.accel, ...(settings.pinDir ? { pinnedDir: settings.pinDir } : {}) });
  }

  async checkAvailable(): Promise<void> {
    // Offline nothing is sent: every upstream counts as unreachable.
    const unreachable = this.options.offline ? UBUNTU_UPSTREAMS : await this.probe(UBUNTU_UPSTREAMS);
    if (unreachable.length > 0) {
      throw new UpstreamUnavailableError(
        unreachable.join(', '),
        `the ${this.name} profile needs network access to ${unreachable.join(', ')}; use --profile debian12-drbd84 to run offline`,
      );
    }
  }

  /**
   * The cached template for the upstreams as they are now, or a cold build: download, verify,
   * one provisioning boot, flatten. Reading the upstreams' state and every network step of a
   * build ask checkAvailable first; offline, a cached template needs no network at all.
   */
  async ensureImage(progress: Progress): Promise<BaseImage> {
    const pinnedDir = this.options.pinnedDir;
    let recipe = this.options.recipe;
    if (!recipe) {
      const pinnedDebs = pinnedDir ? await loadPinnedSet(pinnedDir) : undefined;
      recipe = ubuntu1804Recipe(pinnedDebs ? { pinnedDebs } : {});
    }
    if (recipe.pinnedDebs) progress(`pinned to ${recipe.pinnedDebs.debs.length} saved debs from ${pinnedDir}`);
    const img = await ensureUbuntuImage(recipe, progress, {
      ...this.options.build,
      folders: this.options.folders,
      offline: this.options.offline ?? false,
      ...(this.options.accel ? { accelSetting: this.options.accel } : {}),
      checkUpstream: () => this.checkAvailable(),
      ...(pinnedDir ? { pinnedDir } : {}),
    });
    // The build keeps the provisioned second disk (VG drbdpool on vdb1) beside disk.qcow2.
    const dataDisk = join(img.dir, 'data.qcow2');
    return {
      profile: this.name,
      disk: img.disk,
      ...(existsSync(dataDisk) ? { dataDisk } : {}),
      digest: img.digest,
      dir: img.dir,
      boot: { kind: 'disk' },
      versions: img.versions,
      built: img.built,
      offline: img.offline,
      ...(img.upstreams ? { upstreams: img.upstreams } : {}),
      ...(img.builtAt ? { builtAt: img.builtAt } : {}),
    };
  }
}
