// The exact command lines the drbdmanage scenarios run. Shared with
// scripts/make-drbdmanage-recordings.ts so a recording and the scenario it replays cannot drift.
// Where the captures (scenarios/recordings/captures/) ran a command, the scenario runs the same
// one: with sudo where the capture ran as root, and a confirmation answered `yes` on stdin as the
// blog's reader answers it.

import type { JoinCommand } from '../../../lib/drbd/drbdmanage-result.js';

/** The walkthrough's second disk (/dev/sdb there; virtio in the lab). */
const DATA_DISK = '/dev/vdb';
/** Its one partition, which holds the template's PV (/dev/sdb1 in the walkthrough, step 3). */
export const DATA_PARTITION = `${DATA_DISK}1`;
/** drbdmanage's default pool: the walkthrough warns the name must not change. */
export const POOL_VG = 'drbdpool';
/** The walkthrough's minor for r0 (step 19). */
export const WALKTHROUGH_MINOR = 100;
/** Where the walkthrough's volume is mounted on the primary. */
const MOUNT_POINT = '/mnt/r0';
/** The file step 23 writes and reads back. */
export const WALKTHROUGH_FILE = `${MOUNT_POINT}/walkthrough.txt`;
export const WALKTHROUGH_TEXT = 'drbdlab: written on drbd1 through r0';
/** The file the reboot scenario checksums across the reboots. */
export const REBOOT_FILE = `${MOUNT_POINT}/reboot.bin`;
/** drbdmanaged's D-Bus name (drbdmanage/dbusserver.py DBUS_DRBDMANAGED). */
export const DBUS_NAME = 'org.drbd.drbdmanaged';
/** Its D-Bus activation file: how a drbdmanage call starts the server when no unit runs it. */
const DBUS_SERVICE_FILE = `/usr/share/dbus-1/system-services/${DBUS_NAME}.service`;
/** The name the hostname scenario gives drbd3 after the cluster exists (as the captures did). */
export const RENAMED = 'drbd3-new';
/** The node the reboot and hostname scenarios take down (as the captures did). */
export const REBOOTED = 'drbd3';

/** The walkthrough's volume. */
export const WALKTHROUGH_VOLUME = '40GB';
/** 40 GB in MiB: "37.25 GiB" in list-volumes. */
export const WALKTHROUGH_VOLUME_MIB = 40e9 / 2 ** 20;
/**
 * The volume r0 gets instead when the pools are smaller than 40 GB (the lab's 2 GiB data disk):
 * what the captures used (476.84 MiB).
 */
export const SMALL_VOLUME = '500MB';
export const SMALL_VOLUME_MIB = 500e6 / 2 ** 20;

export const DRBDMANAGED = 'drbdmanaged.service';
export const DRBD_SERVICE = 'drbd.service';

/** The command with `yes` on its stdin: a drbdmanage confirmation answered as the blog's reader answers it. */
const answeredYes = (command: string) => `printf 'yes\\n' | ${command}`;

export const cmd = {
  modprobe: 'sudo modprobe drbd',
  procDrbd: 'cat /proc/drbd',
  /** The VG and its PVs, lvm2's default reports. */
  vgsPvs: 'sudo vgs; sudo pvs',
  hostname: 'hostname',
  init: (ip: string) => answeredYes(`sudo drbdmanage init ${ip}`),
  listNodes: 'sudo drbdmanage list-nodes',
  listNodesMachine: 'sudo drbdmanage list-nodes -m',
  addNode: (name: string, ip: string) => `sudo drbdmanage add-node ${name} ${ip}`,
  status: 'sudo drbdsetup status',
  addResource: 'sudo drbdmanage add-resource r0',
  removeResource: answeredYes('sudo drbdmanage remove-resource r0'),
  listVolumesPort: 'sudo drbdmanage list-volumes --show Port',
  listVolumesMachine: 'sudo drbdmanage list-volumes -m',
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
  /** Unmounted, and what DRBD 9's auto-demote made of r0. */
  umountAndStatus: `sudo umount ${MOUNT_POINT}; sudo drbdadm status r0`,
  drbdadmStatusAll: 'sudo drbdadm status',
  drbdadmStatus: (res: string) => `sudo drbdadm status ${res}`,
  adjustAll: 'sudo drbdadm adjust all',
  unitFiles: 'systemctl list-unit-files | grep -i drbd',
  isEnabledBoth: `systemctl is-enabled ${DRBD_SERVICE} ${DRBDMANAGED}`,
  isActive: (unit: string) => `systemctl is-active ${unit}`,
  enable: (unit: string) => `sudo systemctl enable ${unit}`,
  restartUnit: (unit: string) => `sudo systemctl restart ${unit}`,
  statusUnit: (unit: string) => `sudo systemctl status ${unit} --no-pager`,
  /** The D-Bus daemon and a drbdmanaged server, whoever started it (systemd or D-Bus activation). */
  serverProcesses: "ps -eo pid,ppid,lstart,args | grep -E 'drbdmanage|dbus-daemon' | grep -v grep",
  dbusServiceFile: `cat ${DBUS_SERVICE_FILE}`,
  /** drbdmanaged's own log since this boot. */
  journalThisBoot: `sudo journalctl -b -u ${DRBDMANAGED} --no-pager | tail -40`,
  journalTail: `sudo journalctl -u ${DRBDMANAGED} --no-pager -n 25`,
  /** Renamed, then what hostname and uname say. */
  rename: (name: string) => `sudo hostnamectl set-hostname ${name}; hostname; uname -n`,
  renameBack: (name: string) => `sudo hostnamectl set-hostname ${name}; hostname`,
  /** `restart -q`: shutdown without the safety question, then D-Bus activation (cmd_restart). */
  dmRestart: 'sudo drbdmanage restart -q',
} as const;

/** The join line add-node printed, run with sudo and the confirmation answered `yes` (as the blog does). */
export function joinCommandToRun(join: JoinCommand): string {
  return answeredYes(`sudo ${join.command}`);
}

/** drbdmanage's device for a minor. */
export const deviceOf = (minor: number) => `/dev/drbd${minor}`;
