// The debian12-drbd84 image recipe. Everything that changes the image is in here, so the
// cache key (a digest of this object, with the state of its apt sources) changes with it.

import { UsageError } from '../errors.js';
import { parseSourcesLine, type AptSource } from './apt-source.js';
import { variantName, type AddedSuite } from './variant.js';

export interface DebianRecipe {
  profile: 'debian12-drbd84';
  suite: string;
  mirror: string;
  /**
   * The suites a Debian server really runs besides the release (its point-release updates and its
   * security updates, the kernel among them), as sources.list lines: they move between point
   * releases, and the image's identity follows them.
   */
  updates: string[];
  variant: 'apt';
  packages: string[];
  diskSizeGiB: number;
  cmdline: string;
  /** Shell run by mmdebstrap's customize hook with $1 = the root file system. */
  customize: string;
  /**
   * For tests only (DRBDLAB_EXTRA_APT_SOURCE, DRBDLAB_EXTRA_PACKAGES): another apt source and
   * what to install from it, e.g. a canary package from a local repository on 127.0.0.1.
   * Absent otherwise, so the real recipe's digest does not depend on it.
   */
  extra?: { sources: string[]; packages: string[] };
  /**
   * A variant (--suite, lib/image/variant.ts): its name and the suites it adds to the three above,
   * as sources.list lines (their Release digests join the identity), with the apt preferences it
   * installs (backports: BACKPORTS_PREFERENCES). Absent for the plain profile, so its digest does
   * not depend on it.
   */
  added?: { variant: string; sources: string[]; preferences?: string };
}

const DEBIAN12_PACKAGES = [
  // tiny-initramfs, not initramfs-tools: the root disk needs only virtio_blk loaded (the kernel has
  // ext4 built in), and its one static /init does that without the udev, busybox scripts and lvm
  // tools initramfs-tools runs at every boot (TINY_INITRAMFS below).
  'systemd-sysv', 'udev', 'dbus', 'kmod', 'linux-image-cloud-amd64', 'tiny-initramfs',
  'openssh-server', 'cloud-init', 'netplan.io', 'lvm2', 'drbd-utils', 'sudo', 'iproute2',
  'iputils-ping', 'procps', 'e2fsprogs', 'qemu-guest-agent', 'python3-yaml', 'less',
  // The Pacemaker scenario (walkthrough step 26). crmsh, not pcs: LINBIT's DRBD guides use it on
  // Debian, and it configures the CIB locally without pcsd (a Ruby daemon, more to boot under
  // TCG). resource-agents has ocf:heartbeat:Filesystem; ocf:linbit:drbd ships in drbd-utils.
  // No fence-agents: the lab has no fencing device (stonith-enabled=false, see lib/pacemaker).
  // psmisc: Filesystem checks for fuser at every call and answers "not installed" without it,
  // which bans the file system from the node (seen: probe rc 5, "couldn't find command: fuser").
  'pacemaker', 'corosync', 'crmsh', 'resource-agents', 'psmisc',
];

/**
 * Installed but never started at boot: every daemon costs boot time under TCG, and a node that
 * comes back from a failure must not rejoin the cluster by itself (the scenario starts them).
 * cluster-glue's logd comes with resource-agents and serves nothing here.
 */
export const DISABLED_UNITS = ['corosync.service', 'pacemaker.service', 'logd.service'];

/**
 * journald keeps every boot's log on disk, whatever the package's default: the kernel-log check
 * reads the end of a boot (its shutdown) from its journal after the node rebooted
 * (lib/scenario/kernel-health.ts), and fails when the journal lacks it.
 */
export const JOURNAL_PERSISTENT = String.raw`# journald on disk: the kernel-log check reads a boot's end from its journal after a reboot.
mkdir -p "$root/etc/systemd/journald.conf.d" "$root/var/log/journal"
printf '[Journal]\nStorage=persistent\n' > "$root/etc/systemd/journald.conf.d/10-drbdlab.conf"
`;

/**
 * The initrd: tiny-initramfs with only virtio_blk and what it needs (mktirfs adds virtio_pci and
 * the dependencies), chosen here, not detected: mmdebstrap runs on the host, whose mounts say
 * nothing of the guest's disk. No microcode (an emulated CPU). Kept in /etc, so a kernel upgrade
 * in an upgrade layer makes its initrd the same way.
 */
export const TINY_INITRAMFS = String.raw`# The initrd loads virtio_blk and mounts /dev/vda: nothing else runs before systemd.
mkdir -p "$root/etc/tiny-initramfs"
printf 'AUTO_MODULES=no\nINCLUDE_MODULES="virtio_blk"\nMICROCODE=no\nDEBUG=no\n' > "$root/etc/tiny-initramfs/tiny-initramfs.conf"
`;

/**
 * What systemd would start at every boot that no lab node uses: its generators for disks, boot
 * loaders and init scripts a node does not have (every unit here is native; cloud-init's, netplan's,
 * fstab's and getty's generators stay), kernel file systems and module loads nothing mounts or
 * opens, run-once helpers with nothing to do (users exist since the build, no utmp reader), and
 * blk-availability, whose shutdown script walks every block device at each reboot. Masked (a link
 * to /dev/null), so nothing pulls them in either.
 */
export const UNUSED_GENERATORS = [
  'systemd-cryptsetup-generator', 'systemd-debug-generator', 'systemd-gpt-auto-generator', 'systemd-hibernate-resume-generator',
  'systemd-integritysetup-generator', 'systemd-rc-local-generator', 'systemd-run-generator', 'systemd-system-update-generator',
  'systemd-sysv-generator', 'systemd-veritysetup-generator',
];
export const UNUSED_BOOT_UNITS = [
  'dev-hugepages.mount', 'dev-mqueue.mount', 'sys-kernel-config.mount', 'sys-kernel-debug.mount', 'sys-kernel-tracing.mount',
  'sys-fs-fuse-connections.mount', 'proc-sys-fs-binfmt_misc.automount', 'systemd-binfmt.service',
  'modprobe@configfs.service', 'modprobe@efi_pstore.service', 'modprobe@fuse.service', 'modprobe@loop.service',
  'systemd-pstore.service', 'systemd-repart.service', 'systemd-sysusers.service',
  'systemd-update-utmp.service', 'systemd-update-utmp-runlevel.service', 'blk-availability.service',
];

/**
 * Modules udev's coldplug would load for devices of the emulated machine a node never uses: KVM
 * inside a TCG guest, the raw serio port, SCSI generic for the seed's CD drive.
 */
export const UNUSED_MODULES = ['kvm_amd', 'kvm_intel', 'kvm', 'irqbypass', 'serio_raw', 'sg'];

/**
 * udev's coldplug at boot replays an "add" for every device in sysfs; most of a node's are ACPI
 * objects, virtual consoles, the 64 tty lines, memory blocks and kernel bookkeeping, whose rules
 * do nothing a node needs. It replays the rest: block (the root, the data disk and its LVM
 * volumes, the seed), net and pci (NIC names, drivers), virtio, misc (device-mapper's control
 * node), and the serial console's tty alone (its getty waits for it). Devices added later (a DRBD
 * minor, an LV) get their events as always.
 */
export const UDEV_COLDPLUG_SKIPS = [
  'acpi', 'tty', 'vc', 'wakeup', 'bdi', 'workqueue', 'event_source', 'memory', 'memory_tiering',
  'clockevents', 'clocksource', 'pnp', 'container',
];

/**
 * The marker cloud-init's last stage writes on a node's first boot (lab/cloud-init/user-data.yaml):
 * from then on cloud-init no longer runs, and nothing reads the seed's CD drive again.
 */
export const CLOUD_INIT_DISABLED = '/etc/cloud/cloud-init.disabled';

/**
 * A udev rule: once cloud-init has disabled itself, the IDE controller (PCI class 0x010180) that
 * carries only the seed's CD drive gets no driver, so ata_piix, libata, the SCSI layer, sr_mod and
 * cdrom are never loaded and probed. The first boot, which reads the seed, loads them as before.
 * Ordered before 80-drivers.rules, which loads a device's modules from its MODALIAS.
 */
const SEED_DRIVE_RULE = `SUBSYSTEM=="pci", ATTR{class}=="0x010180", TEST=="${CLOUD_INIT_DISABLED}", ENV{MODALIAS}=""`;
export const SEED_DRIVE_RULE_FILE = '/etc/udev/rules.d/70-drbdlab-seed-drive.rules';

export const BOOT_TRIM = String.raw`# Generators, units and modules no lab node uses; a narrower udev coldplug; no seed drive after the first boot.
mkdir -p "$root/etc/systemd/system-generators" "$root/etc/systemd/system/systemd-udev-trigger.service.d" "$root/etc/modprobe.d" "$root/etc/udev/rules.d"
printf '%s\n' '${SEED_DRIVE_RULE}' > "$root${SEED_DRIVE_RULE_FILE}"
for g in ${UNUSED_GENERATORS.join(' ')}; do
  [ -e "$root/usr/lib/systemd/system-generators/$g" ] || { echo "generator $g not found: the list is stale" >&2; exit 1; }
  ln -sf /dev/null "$root/etc/systemd/system-generators/$g"
done
for u in ${UNUSED_BOOT_UNITS.join(' ')}; do ln -sf /dev/null "$root/etc/systemd/system/$u"; done
printf 'blacklist %s\n' ${UNUSED_MODULES.join(' ')} > "$root/etc/modprobe.d/drbdlab-unused.conf"
cat > "$root/etc/systemd/system/systemd-udev-trigger.service.d/10-drbdlab.conf" <<'UNIT'
[Service]
ExecStart=
ExecStart=-udevadm trigger --type=subsystems --action=add
ExecStart=-udevadm trigger --type=devices --action=add ${UDEV_COLDPLUG_SKIPS.map((s) => `--subsystem-nomatch=${s}`).join(' ')}
ExecStart=-udevadm trigger --type=devices --action=add /sys/class/tty/ttyS0
UNIT
`;

/**
 * What every SSH login and every sudo of the harness pays for and no scenario reads. sshd's PAM
 * stack without pam_motd: it ran /etc/update-motd.d at each login, for a message a command's
 * session never shows. sudo without PAM (the lab's user has NOPASSWD: no password to check, and no
 * account, credential or session step), without its syslog line, a pty or the scan of the network
 * interfaces (the sudoers rules name no host).
 * What a command prints is unchanged, sudo's own "unable to resolve host" notice included.
 */
const SUDOERS_DEFAULTS = 'Defaults !pam_acct_mgmt, !pam_session, !pam_setcred, !syslog, !use_pty';
export const SUDOERS_FILE = '/etc/sudoers.d/10-drbdlab';
export const SUDO_CONF_LINE = 'Set probe_interfaces false';

export const LOGIN_TRIM = String.raw`# No motd scripts at SSH logins; sudo without PAM, syslog, pty or interface scan.
sed -i '/pam_motd\.so/d' "$root/etc/pam.d/sshd"
if grep -q pam_motd "$root/etc/pam.d/sshd"; then echo "pam_motd still in pam.d/sshd" >&2; exit 1; fi
mkdir -p "$root/etc/sudoers.d"
printf '%s\n' '${SUDOERS_DEFAULTS}' > "$root${SUDOERS_FILE}"
chmod 0440 "$root${SUDOERS_FILE}"
printf '%s\n' '${SUDO_CONF_LINE}' >> "$root/etc/sudo.conf"
`;

const CUSTOMIZE = String.raw`set -eu
root="$1"
# Fresh identity per clone: no machine-id, no host keys (cloud-init injects ours).
: > "$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id" "$root"/etc/ssh/ssh_host_*
# mmdebstrap copies the host's resolv.conf; the host's resolver sits inside 10.255.255.0/24.
rm -f "$root/etc/resolv.conf"; : > "$root/etc/resolv.conf"
echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' > "$root/etc/fstab"
mkdir -p "$root/etc/cloud/cloud.cfg.d"
cat > "$root/etc/cloud/cloud.cfg.d/90-drbdlab.cfg" <<'CFG'
datasource_list: [ NoCloud, None ]
locale: C.UTF-8
# Only what a lab node needs: under TCG every module costs seconds.
cloud_init_modules: [seed_random, bootcmd, write_files, set_hostname, update_hostname, users_groups, ssh]
cloud_config_modules: [runcmd]
cloud_final_modules: [scripts_per_once, scripts_user, final_message]
CFG
# Key-only SSH baked in: cloud-init's set_passwords would restart sshd mid-boot (~10 s under TCG).
mkdir -p "$root/etc/ssh/sshd_config.d"
printf 'PasswordAuthentication no\nKbdInteractiveAuthentication no\n' > "$root/etc/ssh/sshd_config.d/10-drbdlab.conf"
# cloud-init's entry point goes through pkg_resources, which scans every installed distribution
# at each of its four boot stages (~15 s each under TCG): call its main() directly instead.
cat > "$root/usr/bin/cloud-init" <<'PY'
#!/usr/bin/python3
import sys
from cloudinit.cmd.main import main
sys.exit(main())
PY
# Timers that would run apt or scrub disks in the middle of a scenario.
# e2scrub_reap and lvm2-monitor cost ~40 s of CPU at boot under TCG and serve no lab purpose.
# dpkg-db-backup (persistent, daily) fired at every restore of a snapshot a day old: 11 s of
# CPU per node while the scenario starts; tmpfiles-clean fires 15 min into a restored boot.
for t in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer man-db.timer \
         dpkg-db-backup.timer systemd-tmpfiles-clean.timer \
         e2scrub_reap.service lvm2-monitor.service; do
  ln -sf /dev/null "$root/etc/systemd/system/$t"
done
# SSH sessions without logind: pam_systemd would start a systemd --user manager for the lab's
# user at the first login of every boot, on the way to ready, and nothing in a scenario uses it.
# No getty on tty1: a node has no display (its console is ttyS0's serial getty).
DEBIAN_FRONTEND=noninteractive chroot "$root" pam-auth-update --disable systemd
if grep -q pam_systemd "$root/etc/pam.d/common-session"; then echo "pam_systemd still in common-session" >&2; exit 1; fi
ln -sf /dev/null "$root/etc/systemd/system/getty@tty1.service"
# Cluster stack installed, not enabled (DISABLED_UNITS): the package scripts enabled them.
chroot "$root" systemctl disable --quiet ${DISABLED_UNITS.join(' ')}
for u in ${DISABLED_UNITS.join(' ')}; do
  if chroot "$root" systemctl is-enabled --quiet "$u"; then echo "$u still enabled" >&2; exit 1; fi
done
${BOOT_TRIM}${LOGIN_TRIM}chroot "$root" visudo -c -q
${JOURNAL_PERSISTENT}${TINY_INITRAMFS}chroot "$root" update-tirfs >/dev/null
`;

/**
 * What a backports variant takes from bookworm-backports: the kernel (its metapackage, the image
 * package that pulls in, and the linux-base that image needs) and drbd-utils, where the suite has
 * a newer version than bookworm's; everything else stays bookworm's, as on a server that enables
 * backports. The suite's Release says NotAutomatic (apt's priority 100: installed only when asked
 * for), so these names are pinned to 500, bookworm's own priority, and the newer version wins.
 * The file stays in the image: an upgrade layer follows the same rule.
 */
export const BACKPORTS_PINNED = ['linux-image-cloud-amd64', 'linux-image-*-cloud-amd64', 'linux-base', 'drbd-utils'];
export const BACKPORTS_PREFERENCES = `Package: ${BACKPORTS_PINNED.join(' ')}\nPin: release n=bookworm-backports\nPin-Priority: 500\n`;

/** Where a variant's apt preferences go in the image. */
export const PREFERENCES_FILE = '/etc/apt/preferences.d/drbdlab-variant.pref';

/** mmdebstrap's setup hook (`sh -c HOOK exec <root>`, before apt first reads the archive): the preferences into the tree. */
export function preferencesHook(preferences: string): string {
  const q = `'${preferences.replace(/'/g, `'\\''`)}'`;
  return `set -eu; mkdir -p "$1/etc/apt/preferences.d"; printf '%s' ${q} > "$1${PREFERENCES_FILE}"`;
}

/** The recipe's `added` for these suites on this mirror: undefined when none is added (the plain profile). */
function addedSuites(mirror: string, suites: readonly AddedSuite[] | undefined): DebianRecipe['added'] {
  const names = [...new Set(suites ?? [])].sort();
  const variant = variantName(names);
  if (!variant) return undefined;
  return {
    variant,
    sources: names.map((s) => `deb ${mirror} bookworm-${s} main`),
    ...(names.includes('backports') ? { preferences: BACKPORTS_PREFERENCES } : {}),
  };
}

const PACKAGE_RE = /^[a-z0-9][a-z0-9+.-]+$/;

/** Debian's own archive: the default mirror for bookworm and bookworm-updates (DRBDLAB_DEBIAN_MIRROR). */
export const DEBIAN_MIRROR = 'http://deb.debian.org/debian';
/** The default mirror for bookworm-security (DRBDLAB_DEBIAN_SECURITY_MIRROR). */
export const DEBIAN_SECURITY_MIRROR = 'http://deb.debian.org/debian-security';

/** The test-only extra source of the environment given (undefined when unset); bad input is one line. Read at the edge (lib/config). */
export function extraFromEnv(env: NodeJS.ProcessEnv): DebianRecipe['extra'] {
  const line = env.DRBDLAB_EXTRA_APT_SOURCE?.trim();
  const packages = (env.DRBDLAB_EXTRA_PACKAGES ?? '').split(/[\s,]+/).filter(Boolean);
  if (!line) {
    if (packages.length) throw new UsageError('DRBDLAB_EXTRA_PACKAGES needs DRBDLAB_EXTRA_APT_SOURCE (the source they come from)');
    return undefined;
  }
  parseSourcesLine(line, 'DRBDLAB_EXTRA_APT_SOURCE');
  const bad = packages.filter((p) => !PACKAGE_RE.test(p));
  if (bad.length) throw new UsageError(`DRBDLAB_EXTRA_PACKAGES: not package names: ${bad.join(', ')}`);
  return { sources: [line], packages };
}

/** Every apt source the build reads: the mirror's suite (mmdebstrap's default component), then any extra. */
export function debianAptSources(recipe: DebianRecipe): AptSource[] {
  return [
    { options: '', uri: recipe.mirror, suite: recipe.suite, components: ['main'] },
    ...recipe.updates.map((l) => parseSourcesLine(l, 'recipe.updates')),
    ...(recipe.added?.sources ?? []).map((l) => parseSourcesLine(l, 'recipe.added')),
    ...(recipe.extra?.sources ?? []).map((l) => parseSourcesLine(l, 'DRBDLAB_EXTRA_APT_SOURCE')),
  ];
}

/** The recipe, on the mirrors, with the extra source and the added suites the run's configuration gives (lib/config). */
export function debian12Recipe(mirror = DEBIAN_MIRROR, securityMirror = DEBIAN_SECURITY_MIRROR, extra?: DebianRecipe['extra'], suites?: readonly AddedSuite[]): DebianRecipe {
  const added = addedSuites(mirror, suites);
  return {
    profile: 'debian12-drbd84',
    suite: 'bookworm',
    mirror,
    updates: [`deb ${mirror} bookworm-updates main`, `deb ${securityMirror} bookworm-security main`],
    variant: 'apt',
    packages: DEBIAN12_PACKAGES,
    diskSizeGiB: 4,
    // mitigations=off: throwaway lab guests; the speculation work-arounds only slow TCG down.
    // rootfstype: tiny-initramfs mounts the root itself (no blkid to probe it). no_timer_check:
    // a starved TCG guest failed the kernel's IO-APIC timer check and panicked at boot.
    // cgroup_disable=memory: no memory controller, so no page a node allocates is charged to a
    // cgroup (emulated work under TCG); no scenario or bench reads a unit's memory.
    cmdline: 'root=/dev/vda rootfstype=ext4 rw console=ttyS0 mitigations=off no_timer_check cgroup_disable=memory',
    customize: CUSTOMIZE,
    ...(extra ? { extra } : {}),
    ...(added ? { added } : {}),
  };
}
