import { loadLabConfig } from '../config/load-lab.js';
import type { LabConfig } from '../config/lab-schema.js';
import type { GuestProfile } from '../image/profile.js';
import { silent, type Progress } from '../image/progress.js';
import { chooseAccel, type AccelSetting } from '../libvirt/accel.js';
import type { LabHost } from './lab-host.js';
import { LabStarter, type StartOptions } from './lab-starter.js';
import type { LabPlan } from './run-plan.js';
import type { StartedLab } from './started-lab.js';

export type { StartOptions } from './lab-starter.js';

/**
 * A lab definition (lab.yaml + a guest profile). `plan()` resolves, once, what a start needs
 * (the image, the hypervisor); `start(plan)` turns it into a StartedLab: fresh copy-on-write
 * clones of that image, booted in parallel, ready over SSH.
 */
export class Lab {
  constructor(
    readonly config: LabConfig,
    readonly profile: GuestProfile,
    /** libvirt, the run's folders and the rest of the host (fakes in tests). */
    readonly host: LabHost,
    /** The run's DRBDLAB_ACCEL (its configuration's `accel`), for the hypervisor choice of plan(). */
    readonly accel: AccelSetting = 'auto',
  ) {}

  static async fromFile(file: string, profile: GuestProfile, host: LabHost): Promise<Lab> {
    return new Lab(await loadLabConfig(file), profile, host);
  }

  /**
   * The image (its upstreams asked: cached, or built now) and the hypervisor (a remembered
   * verdict, or a probe booting that image's kernel). The only place a start asks either.
   */
  async plan(opts: { progress?: Progress; signal?: AbortSignal } = {}): Promise<LabPlan> {
    const progress = opts.progress ?? silent;
    opts.signal?.throwIfAborted();
    await this.profile.checkAvailable();
    const image = await this.profile.ensureImage(progress, opts.signal);
    opts.signal?.throwIfAborted();
    const virsh = this.host.connect(this.config.libvirtUri);
    const accel = await chooseAccel({ virsh, host: this.host.accel, cacheDir: this.host.folders.cache, boot: image.boot, disk: image.disk, progress, signal: opts.signal, setting: this.accel });
    return { profile: this.profile.name, image, accel: { ...accel, hostVerdict: true } };
  }

  /** A fresh lab on what `plan` resolved. */
  start(plan: LabPlan, opts: StartOptions = {}): Promise<StartedLab> {
    return new LabStarter(this.config, opts, this.host).fresh(plan);
  }
}
