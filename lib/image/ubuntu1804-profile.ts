import { UpstreamUnavailableError } from '../errors.js';
import type { BaseImage, GuestProfile } from './profile.js';
import type { Progress } from './progress.js';
import { probeHosts, type HostProbe } from './upstream-probe.js';

export const UBUNTU_IMAGE_BASE = 'https://cloud-images.ubuntu.com/releases/bionic/release/';
export const UBUNTU_IMAGE_FILE = 'bionic-server-cloudimg-amd64.img';
export const UBUNTU_UPSTREAMS = ['cloud-images.ubuntu.com', 'archive.ubuntu.com', 'ppa.launchpadcontent.net'];

/** The walkthrough as written: Ubuntu 18.04 cloud image + LINBIT PPA (DRBD 9, drbdmanage). */
export class Ubuntu1804Profile implements GuestProfile {
  readonly name = 'ubuntu1804-drbd9' as const;
  readonly stack = 'drbdmanage' as const;
  constructor(private readonly probe: HostProbe = probeHosts) {}

  async checkAvailable(): Promise<void> {
    const unreachable = await this.probe(UBUNTU_UPSTREAMS);
    if (unreachable.length > 0) {
      throw new UpstreamUnavailableError(
        unreachable.join(', '),
        `the ${this.name} profile needs network access to ${unreachable.join(', ')}; use --profile debian12-drbd84 to run offline`,
      );
    }
  }

  async ensureImage(_progress: Progress): Promise<BaseImage> {
    await this.checkAvailable();
    throw new UpstreamUnavailableError(UBUNTU_IMAGE_BASE, 'image download is not implemented in this build');
  }
}
