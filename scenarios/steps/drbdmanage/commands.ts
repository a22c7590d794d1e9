// The exact command lines the drbdmanage scenarios run. Shared with
// scripts/make-drbdmanage-recordings.ts so a recording and the scenario it replays cannot drift.

import type { JoinCommand } from '../../../lib/drbd/index.js';

/** The walkthrough's second disk (/dev/sdb there; virtio in the lab). */
export const DATA_DISK = '/dev/vdb';
/** Its one partition, which holds the template's PV (/dev/sdb1 in the walkthrough, step 3). */
export const DATA_PARTITION = `${DATA_DISK}1`;
/** drbdmanage's default pool: the walkthrough warns the name must not change. */
export const POOL_VG = 'drbdpool';
/** r0's device: minor 100, as step 19 asserts. */
export const R0_MINOR = 100;
export const R0_DEVICE = `/dev/drbd${R0_MINOR}`;
/** Where the walkthrough's volume is mounted on the primary. */
export const MOUNT_POINT = '/mnt/r0';
/** The file step 23 writes and reads back. */
export const WALKTHROUGH_FILE = `${MOUNT_POINT}/walkthrough.txt`;
export const WALKTHROUGH_TEXT = 'drbdlab: written on drbd1 through /dev/drbd100';
/** The file the reboot scenario checksums across two reboots. */
export const REBOOT_FILE = `${MOUNT_POINT}/reboot.bin`;
/** drbdmanaged's D-Bus name (drbdmanage/dbusserver.py DBUS_DRBDMANAGED). */
export const DBUS_NAME = 'org.drbd.drbdmanaged';
/** The name the hostname scenario gives drbd3 after the cluster exists. */
export const RENAMED = 'drbd3x';

/** The walkthrough's volume: 40 GB when the pool holds it, else a size that fits (see volumeSize). */
export const WALKTHROUGH_VOLUME = '40GB';

export const cmd = {
  modprobe: 'sudo modprobe drbd',
  procDrbd: 'cat /proc/drbd',
  /**
   * Machine-readable `vgs drbdpool`, a row per PV: "  drbdpool /dev/vdb1 40956.00 40956.00"
   * (sizes in MiB), exit 5 when missing.
   */
  vgs: `sudo vgs --noheadings --nosuffix --units m -o vg_name,pv_name,vg_size,vg_free ${POOL_VG}`,
  hostname: 'hostname',
  /** `-q`: no yes/no confirmation (drbdmanage_client.py, p_init `-q/--quiet`). */
  init: (ip: string) => `sudo drbdmanage init -q ${ip}`,
  listNodes: 'sudo drbdmanage list-nodes',
  addNode: (name: string, ip: string) => `sudo drbdmanage add-node ${name} ${ip}`,
  status: 'sudo drbdsetup status',
  statusOf: (res: string) => `sudo drbdsetup status ${res}`,
  addResource: 'sudo drbdmanage add-resource r0',
  listVolumesPort: 'sudo drbdmanage list-volumes --show Port',
  addVolume: (size: string) => `sudo drbdmanage add-volume r0 ${size}`,
  deploy: 'sudo drbdmanage deploy-resource r0 3',
  listAssignments: 'sudo drbdmanage list-assignments',
  mkfs: (device: string) => `sudo mkfs -t ext4 ${device}`,
  mkdirMountPoint: `sudo mkdir -p ${MOUNT_POINT}`,
  mount: (device: string) => `sudo mount ${device} ${MOUNT_POINT}`,
  /** Mount unless mounted (the walkthrough leaves it mounted; a fresh boot does not). */
  ensureMounted: (device: string) => `sudo mkdir -p ${MOUNT_POINT} && (mountpoint -q ${MOUNT_POINT} || sudo mount ${device} ${MOUNT_POINT})`,
  writeWalkthroughFile: `echo '${WALKTHROUGH_TEXT}' | sudo tee ${WALKTHROUGH_FILE}`,
  sync: 'sync',
  cat: (file: string) => `cat ${file}`,
  writeRebootFile: `sudo dd if=/dev/urandom of=${REBOOT_FILE} bs=1M count=16 status=none && sync`,
  sha256: (file: string) => `sha256sum ${file}`,
  umount: `sudo umount ${MOUNT_POINT}`,
  isEnabled: (unit: string) => `systemctl is-enabled ${unit}`,
  isActive: (unit: string) => `systemctl is-active ${unit}`,
  enable: (unit: string) => `sudo systemctl enable ${unit}`,
  disable: (unit: string) => `sudo systemctl disable ${unit}`,
  restartUnit: (unit: string) => `sudo systemctl restart ${unit}`,
  statusUnit: (unit: string) => `sudo systemctl status ${unit}`,
  showStates: (unit: string) => `systemctl show -p UnitFileState,ActiveState ${unit}`,
  setHostname: (name: string) => `sudo hostnamectl set-hostname ${name}`,
  /** `restart -q`: shutdown without the safety question, then D-Bus activation (cmd_restart). */
  dmRestart: 'sudo drbdmanage restart -q',
  dmUpdatePool: 'sudo drbdmanage update-pool',
  drbdadmStatus: (res: string) => `sudo drbdadm status ${res}`,
  /** Asks the bus whether drbdmanaged runs, without D-Bus-activating it as a drbdmanage call would. */
  nameHasOwner: `dbus-send --system --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner string:${DBUS_NAME}`,
} as const;

export const DRBDMANAGED = 'drbdmanaged.service';
export const DRBD_SERVICE = 'drbd.service';

/**
 * The join line add-node printed, run with sudo and without the yes/no question: `-q` goes
 * right after `join` (drbdmanage_client.py p_join `-q/--quiet`), unless the line has it already.
 */
export function joinCommandToRun(join: JoinCommand): string {
  const words = join.command.split(/\s+/u);
  if (!join.quiet) words.splice(2, 0, '-q');
  return `sudo ${words.join(' ')}`;
}

/**
 * The volume step 19 adds: the walkthrough's `40GB` when the pool has room for it (as on the
 * walkthrough's 40 GiB disk), else 80 % of the free pool in MiB, so a lab with a small data disk
 * runs the same steps (a 40 GB resync would also cost 2 × 37 GiB of host disk).
 */
export function volumeSize(poolFreeMiB: number): { arg: string; expectMiB: number } {
  const walkthroughMiB = 40e9 / 2 ** 20; // 38146.97 MiB: "37.25 GiB" in list-volumes
  if (poolFreeMiB >= 40_000) return { arg: WALKTHROUGH_VOLUME, expectMiB: walkthroughMiB };
  const mib = Math.floor(poolFreeMiB * 0.8);
  return { arg: `${mib}MiB`, expectMiB: mib };
}
