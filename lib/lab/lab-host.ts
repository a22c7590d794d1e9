// What the lab logic needs of the host, in one object: libvirt (by URI), the process table
// (whose labs are alive), a clock for its waits, the node files, readiness over SSH, /dev/kvm,
// and the folders the run's configuration names for labs, images and snapshots. The edges (CLI,
// scenario setup, scripts) make the real host from their configuration; tests hand in fakes
// (lib/libvirt/fake-libvirt.ts, lib/lab/fake-host.ts) and run the same logic without VMs.
import type { Folders } from '../paths.js';
import { labOwner, thisHostsProcesses, type Owner, type ProcessTable } from '../host/owner.js';
import { realAccelHost, type AccelHost } from '../libvirt/accel.js';
import type { Libvirt } from '../libvirt/libvirt.js';
import { Virsh } from '../libvirt/virsh.js';
import { systemClock, type Clock } from '../wait/poll.js';
import { realNodeFiles, type NodeFiles } from './node-files.js';
import type { ExecOptions, ExecResult } from '../ssh/session.js';
import type { StartedNode } from './started-node.js';

/** What starting and saving a lab ask of its guests (over SSH on the real host). */
export interface Guests {
  /** SSH answers with the pinned host key and cloud-init has finished. */
  waitReady(node: StartedNode, signal: AbortSignal): Promise<void>;
  /** Set a restored guest's clock to the host's; the offset corrected, in seconds. */
  setClock(node: StartedNode): Promise<number>;
  /** One command on the guest (a sync before a save, the loaded DRBD version). */
  exec(node: StartedNode, command: string, opts?: ExecOptions): Promise<ExecResult>;
}

/** The folders of a run that the lab logic uses (Config.paths). */
export type LabFolders = Pick<Folders, 'state' | 'cache' | 'snapshots'>;

export interface LabHost {
  /** Labs (`state`), the image cache with the hypervisor verdict (`cache`), cluster snapshots. */
  folders: LabFolders;
  /** libvirt at this URI. */
  connect(uri: string): Libvirt;
  processes: ProcessTable;
  /** Whom a lab made now belongs to: this process, or the job given (its pid) that started it. */
  owner(ownerPid?: number): Owner;
  clock: Clock;
  files: NodeFiles;
  guests: Guests;
  /** /dev/kvm and the boot id, for the hypervisor verdict. */
  accel: AccelHost;
}

/** This machine: virsh, /proc, real time, qemu-img and friends, SSH; the run's folders. */
export const realHost = (folders: LabFolders): LabHost => ({
  folders,
  connect: (uri) => new Virsh(uri),
  processes: thisHostsProcesses,
  owner: (ownerPid) => labOwner(ownerPid),
  clock: systemClock,
  files: realNodeFiles,
  guests: {
    waitReady: (node, signal) => node.waitReady(undefined, signal),
    setClock: (node) => node.setClockFromHost(),
    exec: (node, command, opts) => node.exec(command, opts),
  },
  accel: realAccelHost,
});
