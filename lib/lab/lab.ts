import { loadLabConfig } from '../config/load-lab.js';
import type { LabConfig } from '../config/lab-schema.js';
import type { GuestProfile } from '../image/profile.js';
import { realHost, type LabHost } from './lab-host.js';
import { LabStarter, type StartOptions } from './lab-starter.js';
import type { StartedLab } from './started-lab.js';

export type { StartOptions } from './lab-starter.js';

/**
 * A lab definition (lab.yaml + a guest profile). `start()` turns it into a StartedLab:
 * fresh copy-on-write clones of the cached template, booted in parallel, ready over SSH.
 */
export class Lab {
  constructor(
    readonly config: LabConfig,
    readonly profile: GuestProfile,
    /** libvirt and the rest of the host (fakes in tests). */
    readonly host: LabHost = realHost,
  ) {}

  static async fromFile(file: string, profile: GuestProfile): Promise<Lab> {
    return new Lab(await loadLabConfig(file), profile);
  }

  start(opts: StartOptions = {}): Promise<StartedLab> {
    return new LabStarter(this.config, this.profile, opts, this.host).start();
  }
}
