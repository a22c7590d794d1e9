import { ensureDebianImage } from './debian12-build.js';
import type { ImageFolders } from './fresh-image.js';
import { debian12Recipe } from './debian12-recipe.js';
import type { BaseImage, GuestProfile, ProfileFacts, ProfileSettings } from './profile.js';
import type { Progress } from './progress.js';

/** Offline profile: Debian 12 from Debian's archive, in-tree DRBD 8.4, drbd-utils. */
export class Debian12Profile implements GuestProfile {
  static readonly facts = {
    name: 'debian12-drbd84',
    stack: 'drbdadm',
    recipe: 'Debian 12 from Debian\'s archive (mmdebstrap), in-tree DRBD 8.4, drbd-utils',
    walkthrough: false,
    // Streams before they land: the next point release's (proposed-updates), and backports.
    suites: ['proposed-updates', 'backports'],
  } as const satisfies ProfileFacts;
  readonly name = Debian12Profile.facts.name;
  readonly stack = Debian12Profile.facts.stack;
  /** The added suites' variant (the recipe's), when there is one. */
  get variant(): string | undefined {
    return this.recipe.added?.variant;
  }
  constructor(
    readonly recipe = debian12Recipe(),
    private readonly options: { offline?: boolean; folders: ImageFolders },
  ) {}

  /** The profile of a run (lib/image/profiles.ts): the recipe on the run's sources, offline or not. */
  static create(settings: ProfileSettings): Debian12Profile {
    const d = settings.debian;
    const recipe = d ? debian12Recipe(d.mirror, d.securityMirror, d.extra, settings.suites) : debian12Recipe(undefined, undefined, undefined, settings.suites);
    return new Debian12Profile(recipe, { offline: settings.offline, folders: settings.folders });
  }

  async checkAvailable(): Promise<void> {
    // Debian's archive is asked by ensureImage (its InRelease digests), which says itself when
    // it cannot be reached; --offline asks nothing.
  }

  async ensureImage(progress: Progress, signal?: AbortSignal): Promise<BaseImage> {
    const img = await ensureDebianImage(this.recipe, progress, { folders: this.options.folders, signal, offline: this.options.offline ?? false });
    return {
      profile: this.name,
      disk: img.disk,
      digest: img.digest,
      dir: img.dir,
      boot: { kind: 'direct', kernel: img.kernel!, initrd: img.initrd!, cmdline: this.recipe.cmdline },
      versions: img.versions,
      ...(img.origins ? { origins: img.origins } : {}),
      built: img.built,
      offline: img.offline,
      ...(img.upstreams ? { upstreams: img.upstreams } : {}),
      ...(img.builtAt ? { builtAt: img.builtAt } : {}),
    };
  }
}
