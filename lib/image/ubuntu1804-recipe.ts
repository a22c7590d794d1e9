// The ubuntu1804-drbd9 image recipe: the walkthrough's template VM (steps 3–8) as cloud-config
// that provisions an Ubuntu 18.04 cloud image on its first boot and powers it off. Everything
// that changes the image is in the recipe or in what it renders, so the cache key changes with it.

import { stringify } from 'yaml';
import { renderEtcHosts, type SeedFiles } from '../cloud-init/render.js';
import { recipeDigest } from './cache.js';
import { aptReleaseCheck, sha256sumsEntryCheck, type UpstreamCheck } from './upstream-state.js';
import { DRBD_STACK_PACKAGES, localRepoInstallSteps, PINNED_REPO_DIR, pinDigestPart, type PinManifest } from './pinning.js';

const UBUNTU1804_IMAGE_URL = 'https://cloud-images.ubuntu.com/releases/bionic/release/bionic-server-cloudimg-amd64.img';
const UBUNTU1804_SHA256SUMS_URL = 'https://cloud-images.ubuntu.com/releases/bionic/release/SHA256SUMS';
export const LINBIT_PPA = 'ppa:linbit/linbit-drbd9-stack';
/** The suites the cloud image's apt reads (step 4 upgrades from them), on the archive it names. */
const UBUNTU_ARCHIVE_URI = 'http://archive.ubuntu.com/ubuntu';
const UBUNTU_SUITES = ['bionic', 'bionic-updates', 'bionic-security'] as const;

/** `ppa:owner/name` → its archive on Launchpad's PPA host. */
function ppaUri(ppa: string): string {
  const m = /^ppa:([^/\s]+)\/([^/\s]+)$/.exec(ppa);
  if (!m) throw new Error(`not a ppa:owner/name: ${ppa}`);
  return `https://ppa.launchpadcontent.net/${m[1]}/${m[2]}/ubuntu`;
}

/** The walkthrough's /etc/hosts (step 5): the nodes by their replication addresses. */
export const WALKTHROUGH_HOSTS = [
  { ip: '10.255.255.101', name: 'drbd1' },
  { ip: '10.255.255.102', name: 'drbd2' },
  { ip: '10.255.255.103', name: 'drbd3' },
];

/** Where the guest keeps what the host reads back: versions, /proc/drbd, the installed debs. */
const GUEST_RECORD_DIR = '/var/lib/drbdlab';
/** Printed last by a provisioning run that got through every step. */
export const PROVISION_DONE = 'drbdlab: provisioning complete';
/** Printed (with the exit status) by one that stopped at a failed step. */
export const PROVISION_FAILED = 'drbdlab: provisioning failed';

export interface UbuntuRecipe {
  profile: 'ubuntu1804-drbd9';
  imageUrl: string;
  sha256sumsUrl: string;
  ppa: string;
  /** Step 7, in the walkthrough's order. */
  packages: string[];
  /** The second disk (the walkthrough's /dev/sdb): partitioned, then PV and VG drbdpool. */
  dataDisk: string;
  dataDiskGiB: number;
  /** A raw disk the guest writes its records onto as a tar stream, for the host to read back. */
  exportDisk: string;
  /** The root disk of the template (the cloud image's 2.2 GiB grows to this on first boot). */
  diskSizeGiB: number;
  hosts: { ip: string; name: string }[];
  /** A saved set of debs to install instead of asking the PPA (see pinning.ts). */
  pinnedDebs?: PinManifest;
}

export function ubuntu1804Recipe(opts: { pinnedDebs?: PinManifest; hosts?: { ip: string; name: string }[] } = {}): UbuntuRecipe {
  const recipe: UbuntuRecipe = {
    profile: 'ubuntu1804-drbd9',
    imageUrl: UBUNTU1804_IMAGE_URL,
    sha256sumsUrl: UBUNTU1804_SHA256SUMS_URL,
    ppa: LINBIT_PPA,
    packages: [...DRBD_STACK_PACKAGES],
    dataDisk: '/dev/vdb',
    dataDiskGiB: 2,
    exportDisk: '/dev/vdc',
    diskSizeGiB: 8,
    hosts: opts.hosts ?? WALKTHROUGH_HOSTS,
  };
  if (opts.pinnedDebs) recipe.pinnedDebs = opts.pinnedDebs;
  return recipe;
}

/** The file name the image is published under (the SHA256SUMS key). */
export function imageFileName(recipe: UbuntuRecipe): string {
  return new URL(recipe.imageUrl).pathname.split('/').pop()!;
}

/**
 * What the image's identity depends on besides the recipe: the cloud image's SHA256SUMS entry,
 * the Ubuntu suites and the PPA. A pinned recipe installs its own debs, so the PPA is not read
 * (it may have dropped bionic: that is what the pinned set is for) and cannot override them.
 */
export function ubuntuUpstreamChecks(recipe: UbuntuRecipe): UpstreamCheck[] {
  return [
    sha256sumsEntryCheck(recipe.sha256sumsUrl, imageFileName(recipe)),
    ...UBUNTU_SUITES.map((suite) => aptReleaseCheck({ options: '', uri: UBUNTU_ARCHIVE_URI, suite, components: ['main', 'universe'] })),
    ...(recipe.pinnedDebs ? [] : [aptReleaseCheck({ options: '', uri: ppaUri(recipe.ppa), suite: 'bionic', components: ['main'] })]),
  ];
}

/** Shell word quoting for the generated lines. */
function sq(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The partition the walkthrough makes on the second disk (`/dev/sdb1` there). */
export function dataPartition(recipe: UbuntuRecipe): string {
  return /\d$/.test(recipe.dataDisk) ? `${recipe.dataDisk}p1` : `${recipe.dataDisk}1`;
}

/**
 * The cloud-config that turns a fresh Ubuntu 18.04 cloud image into the walkthrough's template:
 * one runcmd script (`set -e`: the first failed step ends it, the console says which), then
 * cloud-init powers the VM off either way. Merges into the base user-data with mergeCloudConfig.
 */
export function renderUbuntuProvisioning(recipe: UbuntuRecipe): Record<string, unknown> {
  const part = dataPartition(recipe);
  const rec = GUEST_RECORD_DIR;
  const pinned = recipe.pinnedDebs;
  const local = pinned ? localRepoInstallSteps(pinned) : undefined;
  const hostsLines = renderEtcHosts(recipe.hosts).split('\n').filter(Boolean);

  const install = local
    ? [
        `# steps 6-7, pinned: the saved debs as a local repository (no ${recipe.ppa})`,
        ...local.runcmd,
      ]
    : [
        '# step 6: the LINBIT PPA',
        `add-apt-repository -y ${recipe.ppa}`,
        '# step 7: only what this install downloads stays in the archive (saved below for pinning)',
        'apt-get clean',
        `apt-get install -y ${recipe.packages.map(sq).join(' ')}`,
      ];
  const debSource = local ? PINNED_REPO_DIR : '/var/cache/apt/archives';

  return {
    manage_etc_hosts: false,
    // Every boot, before anything else: no apt-daily run competes for the dpkg lock (and none
    // starts in the middle of a scenario on a clone).
    bootcmd: [
      'systemctl mask --now apt-daily.timer apt-daily-upgrade.timer apt-daily.service apt-daily-upgrade.service || true',
    ],
    write_files: [
      {
        // Keep local configuration files on upgrade instead of asking (steps 4 and 7 run unattended).
        path: '/etc/apt/apt.conf.d/90-drbdlab-noninteractive',
        permissions: '0644',
        content: 'Dpkg::Options { "--force-confdef"; "--force-confold"; };\n',
      },
      ...(local?.writeFiles ?? []),
    ],
    runcmd: [
      'set -eux',
      `trap 'rc=$?; [ "$rc" -eq 0 ] || printf "%s (exit %s)\\n" "${PROVISION_FAILED}" "$rc"' EXIT`,
      'export DEBIAN_FRONTEND=noninteractive',
      // The cloud image recorded another boot disk; name this one so an upgraded grub-pc installs without asking.
      `echo 'grub-pc grub-pc/install_devices multiselect /dev/vda' | debconf-set-selections`,
      // Step 7 pulls in postfix, which asks how mail is delivered: the walkthrough needs no mail.
      `echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections`,
      `# step 3: one primary partition over the whole second disk`,
      `printf 'label: dos\\n,,L\\n' | sfdisk ${recipe.dataDisk}`,
      'udevadm settle',
      '# step 4: patches',
      'while fuser /var/lib/dpkg/lock /var/lib/dpkg/lock-frontend /var/lib/apt/lists/lock >/dev/null 2>&1; do sleep 3; done',
      'apt-get update',
      'apt-get -y upgrade',
      'apt-get -y dist-upgrade',
      'apt -y autoremove',
      '# step 5: /etc/hosts names the nodes by their replication addresses',
      `printf '%s\\n' ${hostsLines.map(sq).join(' ')} > /etc/hosts`,
      ...install,
      '# step 8: LVM on the partition; drbdmanage expects the VG name drbdpool',
      `pvcreate ${part}`,
      `vgcreate drbdpool ${part}`,
      '# what was installed, for the run record and for pinning a later run',
      `mkdir -p ${rec}/pinned`,
      `dpkg-query -W ${recipe.packages.map(sq).join(' ')} 'linux-image-*' > ${rec}/versions.txt`,
      `dpkg-query -W -f '\${Package}\\t\${Version}\\t\${Architecture}\\n' > ${rec}/dpkg-all.tsv`,
      'modprobe drbd',
      `cat /proc/drbd > ${rec}/proc-drbd.txt`,
      `uname -r > ${rec}/uname-r.txt`,
      `dkms status > ${rec}/dkms-status.txt`,
      `cp ${debSource}/*.deb ${rec}/pinned/`,
      `tar -C ${rec} -cf ${recipe.exportDisk} .`,
      'sync',
      '# template hygiene: every clone gets its own identity',
      'rm -f /etc/ssh/ssh_host_*',
      'truncate -s 0 /etc/machine-id',
      `printf '%s\\n' '${PROVISION_DONE}'`,
    ],
    // After the final stage, whatever runcmd's outcome: the host waits for QEMU to exit.
    power_state: { mode: 'poweroff', condition: true, timeout: 120, message: 'drbdlab: template provisioning over, powering off' },
  };
}

/** The image cache key: the recipe, with the pinned set as its digest part, and the rendered provisioning. */
export function ubuntuRecipeDigest(recipe: UbuntuRecipe): string {
  const { pinnedDebs, ...rest } = recipe;
  return recipeDigest({
    recipe: pinnedDebs ? { ...rest, pinnedDebs: pinDigestPart(pinnedDebs) } : rest,
    provisioning: renderUbuntuProvisioning(recipe),
  });
}

export const PROVISIONING_MAC = '52:54:00:00:01:00';

/**
 * The NoCloud seed of the one provisioning boot: no users (the template must not carry a lab
 * key), DHCP on the one NIC (QEMU user networking: the guest reaches the archive and the PPA).
 */
export function renderProvisioningSeed(recipe: UbuntuRecipe, instanceId: string, mac = PROVISIONING_MAC): SeedFiles {
  const yaml11 = { version: '1.1', lineWidth: 0 } as const;
  const userData = {
    hostname: 'drbdlab-template',
    preserve_hostname: false,
    users: [],
    disable_root: true,
    ssh_pwauth: false,
    ...renderUbuntuProvisioning(recipe),
  };
  return {
    'user-data': `#cloud-config\n${stringify(userData, yaml11)}`,
    'meta-data': stringify({ 'instance-id': instanceId, 'local-hostname': 'drbdlab-template' }, yaml11),
    'network-config': stringify(
      { version: 2, ethernets: { nic0: { match: { macaddress: mac }, dhcp4: true, dhcp6: false, 'accept-ra': false } } },
      yaml11,
    ),
  };
}
