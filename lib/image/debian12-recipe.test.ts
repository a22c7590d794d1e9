import { mkdir, mkdtemp, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { recipeDigest } from './cache.js';
import {
  BACKPORTS_PINNED, BACKPORTS_PREFERENCES, PREFERENCES_FILE, preferencesHook,
  BOOT_TRIM, CLOUD_INIT_DISABLED, DISABLED_UNITS, debianAptSources, debian12Recipe, extraFromEnv, JOURNAL_PERSISTENT, LOGIN_TRIM, SEED_DRIVE_RULE_FILE,
  SUDO_CONF_LINE, SUDOERS_FILE, TINY_INITRAMFS, UDEV_COLDPLUG_SKIPS, UNUSED_BOOT_UNITS, UNUSED_GENERATORS, UNUSED_MODULES,
} from './debian12-recipe.js';

describe('the Debian recipe\'s apt sources', () => {
  it('the real recipe reads what a Debian server runs: bookworm, bookworm-updates, bookworm-security, and no test-only part', () => {
    const r = debian12Recipe('http://deb.debian.org/debian', 'http://deb.debian.org/debian-security');
    expect('extra' in r).toBe(false);
    expect(debianAptSources(r)).toEqual([
      { options: '', uri: 'http://deb.debian.org/debian', suite: 'bookworm', components: ['main'] },
      { options: '', uri: 'http://deb.debian.org/debian', suite: 'bookworm-updates', components: ['main'] },
      { options: '', uri: 'http://deb.debian.org/debian-security', suite: 'bookworm-security', components: ['main'] },
    ]);
  });

  it('the suites are part of the recipe, so the image identity follows them', () => {
    const r = debian12Recipe('http://deb.debian.org/debian');
    expect(recipeDigest(r)).not.toBe(recipeDigest({ ...r, updates: r.updates.slice(0, 1) }));
  });

  it('DRBDLAB_EXTRA_APT_SOURCE and DRBDLAB_EXTRA_PACKAGES (tests only) add a source and what to install from it', () => {
    const extra = extraFromEnv({ DRBDLAB_EXTRA_APT_SOURCE: 'deb [trusted=yes] http://127.0.0.1:8080 ./', DRBDLAB_EXTRA_PACKAGES: 'drbdlab-canary, other' });
    expect(extra).toEqual({ sources: ['deb [trusted=yes] http://127.0.0.1:8080 ./'], packages: ['drbdlab-canary', 'other'] });
    expect(debianAptSources({ ...debian12Recipe('http://m/debian'), extra }).map((s) => s.uri)).toEqual(['http://m/debian', 'http://m/debian', 'http://deb.debian.org/debian-security', 'http://127.0.0.1:8080']);
  });

  it('bad input is one UsageError line saying what is wrong', () => {
    const bad = [
      [{ DRBDLAB_EXTRA_PACKAGES: 'x' }, 'DRBDLAB_EXTRA_PACKAGES needs DRBDLAB_EXTRA_APT_SOURCE (the source they come from)'],
      [{ DRBDLAB_EXTRA_APT_SOURCE: 'http://127.0.0.1:8080 ./' }, /^DRBDLAB_EXTRA_APT_SOURCE: expected a sources\.list line/],
      [{ DRBDLAB_EXTRA_APT_SOURCE: 'deb http://h ./', DRBDLAB_EXTRA_PACKAGES: 'Bad_Name' }, 'DRBDLAB_EXTRA_PACKAGES: not package names: Bad_Name'],
    ] as const;
    for (const [env, msg] of bad) {
      expect(() => extraFromEnv(env)).toThrow(UsageError);
      expect(() => extraFromEnv(env)).toThrow(msg);
    }
  });
});

describe('a variant of the Debian recipe (--suite): suites added to the three', () => {
  const M = 'http://mirror.example/debian';
  const S = 'http://mirror.example/debian-security';

  it('the plain recipe has no added part: its digest (and so the plain line\'s cached images) is what it was', () => {
    const plain = debian12Recipe(M, S);
    expect('added' in plain).toBe(false);
    expect(debian12Recipe(M, S, undefined, [])).toEqual(plain);
    expect(recipeDigest(debian12Recipe(M, S, undefined, []))).toBe(recipeDigest(plain));
  });

  it('proposed-updates: bookworm-proposed-updates on the run\'s mirror after the three, the variant named, no preferences', () => {
    const r = debian12Recipe(M, S, undefined, ['proposed-updates']);
    expect(r.added).toEqual({ variant: 'proposed-updates', sources: [`deb ${M} bookworm-proposed-updates main`] });
    expect(debianAptSources(r).map((s) => `${s.uri} ${s.suite} ${s.components.join(' ')}`)).toEqual([
      `${M} bookworm main`, `${M} bookworm-updates main`, `${S} bookworm-security main`, `${M} bookworm-proposed-updates main`,
    ]);
  });

  it('backports: bookworm-backports with the preferences that take the kernel and drbd-utils from it', () => {
    const r = debian12Recipe(M, S, undefined, ['backports']);
    expect(r.added).toEqual({ variant: 'backports', sources: [`deb ${M} bookworm-backports main`], preferences: BACKPORTS_PREFERENCES });
    expect(BACKPORTS_PREFERENCES).toBe(
      'Package: linux-image-cloud-amd64 linux-image-*-cloud-amd64 linux-base drbd-utils\nPin: release n=bookworm-backports\nPin-Priority: 500\n',
    );
    expect(BACKPORTS_PINNED).toEqual(expect.arrayContaining(['linux-image-cloud-amd64', 'drbd-utils']));
  });

  it('each variant its own recipe digest; the order and repeats of the suites given do not matter', () => {
    const digests = [undefined, ['proposed-updates'], ['backports'], ['backports', 'proposed-updates']].map((s) => recipeDigest(debian12Recipe(M, S, undefined, s as never)));
    expect(new Set(digests).size).toBe(4);
    const both = debian12Recipe(M, S, undefined, ['proposed-updates', 'backports', 'proposed-updates']);
    expect(both.added?.variant).toBe('backports+proposed-updates');
    expect(recipeDigest(both)).toBe(digests[3]);
  });

  it('the setup hook writes the preferences into the tree, byte for byte (quotes too)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'drbdlab-pref-'));
    try {
      for (const text of [BACKPORTS_PREFERENCES, "Package: it's\n"]) {
        await execa('sh', ['-c', preferencesHook(text), 'exec', root]);
        expect(await readFile(join(root, PREFERENCES_FILE), 'utf8')).toBe(text);
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('the cluster stack in the Debian recipe (the Pacemaker scenario)', () => {
  const r = debian12Recipe('http://deb.debian.org/debian');

  it('installs pacemaker, corosync, crmsh, resource-agents and psmisc (fuser, for Filesystem), no fencing agents', () => {
    expect(r.packages).toEqual(expect.arrayContaining(['pacemaker', 'corosync', 'crmsh', 'resource-agents', 'psmisc', 'drbd-utils']));
    expect(r.packages.filter((p) => /fence|pcs/.test(p))).toEqual([]);
  });

  it('disables corosync, pacemaker and logd in the image and fails the build if one stays enabled', () => {
    expect(DISABLED_UNITS).toEqual(['corosync.service', 'pacemaker.service', 'logd.service']);
    expect(r.customize).toContain('chroot "$root" systemctl disable --quiet corosync.service pacemaker.service logd.service');
    expect(r.customize).toMatch(/for u in corosync\.service pacemaker\.service logd\.service; do\n {2}if chroot "\$root" systemctl is-enabled --quiet "\$u"; then .* exit 1; fi/);
  });

  it('is another image than the recipe without them (content-addressed)', () => {
    const cluster = new Set(['pacemaker', 'corosync', 'crmsh', 'resource-agents', 'psmisc']);
    const before = { ...r, packages: r.packages.filter((p) => !cluster.has(p)), customize: r.customize.replace(/# Cluster stack[^]*?done\n/, '') };
    expect(before.customize).not.toContain('systemctl');
    expect(recipeDigest(before)).not.toBe(recipeDigest(r));
  });
});

describe('journald in the Debian image (the kernel-log check reads the boot before a reboot)', () => {
  it('the customize hook makes the journal persistent: a drop-in says Storage=persistent, /var/log/journal exists', async () => {
    expect(debian12Recipe('http://deb.debian.org/debian').customize).toContain(JOURNAL_PERSISTENT);
    // The snippet itself, run on an empty root as mmdebstrap's hook would ($root set by the script's head).
    const root = await mkdtemp(join(tmpdir(), 'journald-'));
    try {
      await execa('bash', ['-euc', `root="$1"\n${JOURNAL_PERSISTENT}`, 'hook', root]);
      const conf = await readFile(join(root, 'etc/systemd/journald.conf.d/10-drbdlab.conf'), 'utf8');
      expect(conf).toBe('[Journal]\nStorage=persistent\n');
      expect((await stat(join(root, 'var/log/journal'))).isDirectory()).toBe(true);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('the Debian image\'s initrd (tiny-initramfs: the kernel mounts /dev/vda after one module)', () => {
  const r = debian12Recipe('http://deb.debian.org/debian');

  it('installs tiny-initramfs instead of initramfs-tools (they conflict; the kernel needs one of them)', () => {
    expect(r.packages).toContain('tiny-initramfs');
    expect(r.packages).not.toContain('initramfs-tools');
  });

  it('configures it with virtio_blk alone, nothing detected from the build host, no microcode, then rebuilds the initrd', () => {
    const at = r.customize.indexOf(TINY_INITRAMFS);
    expect(at).toBeGreaterThan(-1);
    expect(r.customize.indexOf('chroot "$root" update-tirfs', at)).toBeGreaterThan(at);
  });

  it('the configuration snippet, run on an empty root as mmdebstrap\'s hook would, writes that file', async () => {
    const root = await mkdtemp(join(tmpdir(), 'tirfs-'));
    try {
      await execa('bash', ['-euc', `root="$1"\n${TINY_INITRAMFS}`, 'hook', root]);
      const conf = await readFile(join(root, 'etc/tiny-initramfs/tiny-initramfs.conf'), 'utf8');
      expect(conf.split('\n').filter(Boolean)).toEqual(['AUTO_MODULES=no', 'INCLUDE_MODULES="virtio_blk"', 'MICROCODE=no', 'DEBUG=no']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('the kernel command line names the root device and its file system (tiny-initramfs probes neither), and skips the timer check a starved guest failed', () => {
    expect(r.cmdline.split(' ')).toEqual(expect.arrayContaining(['root=/dev/vda', 'rootfstype=ext4', 'rw', 'console=ttyS0', 'no_timer_check']));
  });

  it('the kernel runs without the memory cgroup controller: no page is charged to a cgroup', () => {
    expect(r.cmdline.split(' ')).toContain('cgroup_disable=memory');
  });
});

describe('what a node boots (only what a scenario uses)', () => {
  const r = debian12Recipe('http://deb.debian.org/debian');

  it('SSH logins start no systemd --user manager: pam_systemd is disabled, and the build fails if it stays', () => {
    expect(r.customize).toContain('chroot "$root" pam-auth-update --disable systemd\nif grep -q pam_systemd "$root/etc/pam.d/common-session"; then');
    expect(r.customize).toMatch(/pam_systemd still in common-session" >&2; exit 1; fi/);
  });

  it('no getty on tty1 (no display); the serial console keeps its own', () => {
    expect(r.customize).toContain('ln -sf /dev/null "$root/etc/systemd/system/getty@tty1.service"');
    expect(r.customize).not.toMatch(/serial-getty/);
  });

  it('the boot trim is part of the image, before the initrd is made', () => {
    const at = r.customize.indexOf(BOOT_TRIM);
    expect(at).toBeGreaterThan(-1);
    expect(r.customize.indexOf('update-tirfs', at)).toBeGreaterThan(at);
  });

  /** A root with the generators the list names (as Debian's systemd ships them), then the snippet as mmdebstrap's hook runs it. */
  async function trimmedRoot(generators: readonly string[]): Promise<{ root: string; run: () => Promise<unknown> }> {
    const root = await mkdtemp(join(tmpdir(), 'boot-trim-'));
    await mkdir(join(root, 'usr/lib/systemd/system-generators'), { recursive: true });
    for (const g of generators) await writeFile(join(root, 'usr/lib/systemd/system-generators', g), '#!/bin/sh\n');
    return { root, run: () => execa('bash', ['-euc', `root="$1"\n${BOOT_TRIM}`, 'hook', root]) };
  }

  it('masks the unused generators and boot units (links to /dev/null) and blacklists the unused modules', async () => {
    const { root, run } = await trimmedRoot(UNUSED_GENERATORS);
    try {
      await run();
      for (const g of UNUSED_GENERATORS) expect(await readlink(join(root, 'etc/systemd/system-generators', g))).toBe('/dev/null');
      for (const u of UNUSED_BOOT_UNITS) expect(await readlink(join(root, 'etc/systemd/system', u))).toBe('/dev/null');
      const blacklist = await readFile(join(root, 'etc/modprobe.d/drbdlab-unused.conf'), 'utf8');
      expect(blacklist.trim().split('\n')).toEqual(UNUSED_MODULES.map((m) => `blacklist ${m}`));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('keeps what a node needs: cloud-init\'s, netplan\'s, fstab\'s and the serial getty\'s generators, logind, udev, the modules DRBD and LVM use', () => {
    for (const g of ['cloud-init-generator', 'netplan', 'systemd-fstab-generator', 'systemd-getty-generator']) expect(UNUSED_GENERATORS).not.toContain(g);
    for (const u of ['systemd-logind.service', 'systemd-udevd.service', 'systemd-journald.service', 'systemd-modules-load.service', 'modprobe@dm_mod.service']) {
      expect(UNUSED_BOOT_UNITS).not.toContain(u);
    }
    for (const m of ['drbd', 'dm_mod', 'virtio_net', 'virtio_blk', 'sr_mod']) expect(UNUSED_MODULES).not.toContain(m);
  });

  it('the build fails when a generator of the list is not in the image (a stale list would mask nothing)', async () => {
    const { root, run } = await trimmedRoot(UNUSED_GENERATORS.slice(1));
    try {
      const err = await run().then(() => undefined, (e: unknown) => e as { exitCode: number; stderr: string });
      expect(err?.exitCode).toBe(1);
      // The last line is the hook's (a shell started by the suite may print its own warnings first).
      expect(err?.stderr.split('\n').at(-1)).toBe(`generator ${UNUSED_GENERATORS[0]} not found: the list is stale`);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('udev\'s coldplug replays subsystems, then every device outside the skipped subsystems, then the serial console\'s tty', async () => {
    const { root, run } = await trimmedRoot(UNUSED_GENERATORS);
    try {
      await run();
      const dropIn = await readFile(join(root, 'etc/systemd/system/systemd-udev-trigger.service.d/10-drbdlab.conf'), 'utf8');
      const starts = dropIn.split('\n').filter((l) => l.startsWith('ExecStart='));
      expect(starts[0]).toBe('ExecStart=');
      expect(starts[1]).toBe('ExecStart=-udevadm trigger --type=subsystems --action=add');
      const devices = starts[2]!.split(' ');
      expect(devices.slice(0, 4)).toEqual(['ExecStart=-udevadm', 'trigger', '--type=devices', '--action=add']);
      expect(devices.slice(4)).toEqual(UDEV_COLDPLUG_SKIPS.map((s) => `--subsystem-nomatch=${s}`));
      expect(starts[3]).toBe('ExecStart=-udevadm trigger --type=devices --action=add /sys/class/tty/ttyS0');
      expect(starts).toHaveLength(4);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('after the first boot the seed drive\'s IDE controller gets no driver: a udev rule before 80-drivers clears its MODALIAS once cloud-init is disabled', async () => {
    const { root, run } = await trimmedRoot(UNUSED_GENERATORS);
    try {
      await run();
      expect(SEED_DRIVE_RULE_FILE).toMatch(/^\/etc\/udev\/rules\.d\/[0-7]\d-/);
      const rule = await readFile(join(root, SEED_DRIVE_RULE_FILE), 'utf8');
      expect(rule).toBe(`SUBSYSTEM=="pci", ATTR{class}=="0x010180", TEST=="${CLOUD_INIT_DISABLED}", ENV{MODALIAS}=""\n`);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('the rule\'s condition is the marker the first boot\'s cloud-config writes (the seed is read before it exists)', async () => {
    const userData = await readFile(new URL('../../lab/cloud-init/user-data.yaml', import.meta.url), 'utf8');
    expect(userData).toContain(`- [touch, ${CLOUD_INIT_DISABLED}]`);
  });

  it('the coldplug still replays what DRBD, LVM and the NICs need', () => {
    for (const s of ['block', 'net', 'pci', 'virtio', 'misc', 'scsi']) expect(UDEV_COLDPLUG_SKIPS).not.toContain(s);
  });
});

describe('what an SSH login and a sudo cost a node (every command of a scenario)', () => {
  const r = debian12Recipe('http://deb.debian.org/debian');
  // The lines of Debian 12's /etc/pam.d/sshd around its two pam_motd lines, and its /etc/sudo.conf's last line.
  const SSHD_PAM = [
    '@include common-auth',
    'session    optional     pam_keyinit.so force revoke',
    '@include common-session',
    'session    optional     pam_motd.so  motd=/run/motd.dynamic',
    'session    optional     pam_motd.so noupdate',
    'session    optional     pam_mail.so standard noenv # [1]',
    'session    required     pam_limits.so',
  ];

  async function loginRoot(): Promise<{ root: string; run: () => Promise<unknown> }> {
    const root = await mkdtemp(join(tmpdir(), 'login-trim-'));
    await mkdir(join(root, 'etc/pam.d'), { recursive: true });
    await writeFile(join(root, 'etc/pam.d/sshd'), `${SSHD_PAM.join('\n')}\n`);
    await writeFile(join(root, 'etc/sudo.conf'), '#Set disable_coredump false\n');
    return { root, run: () => execa('bash', ['-euc', `root="$1"\n${LOGIN_TRIM}`, 'hook', root]) };
  }

  it('is part of the image, and the build checks the sudoers it leaves', () => {
    const at = r.customize.indexOf(LOGIN_TRIM);
    expect(at).toBeGreaterThan(-1);
    expect(r.customize.indexOf('chroot "$root" visudo -c -q', at)).toBeGreaterThan(at);
  });

  it('sshd\'s PAM stack loses its pam_motd lines and keeps every other line in order', async () => {
    const { root, run } = await loginRoot();
    try {
      await run();
      expect((await readFile(join(root, 'etc/pam.d/sshd'), 'utf8')).split('\n').filter(Boolean)).toEqual(SSHD_PAM.filter((l) => !l.includes('pam_motd')));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('sudo: no PAM step, no syslog line, no pty, no interface scan; the sudoers file is 0440 (sudo ignores it otherwise)', async () => {
    const { root, run } = await loginRoot();
    try {
      await run();
      expect(await readFile(join(root, SUDOERS_FILE), 'utf8')).toBe('Defaults !pam_acct_mgmt, !pam_session, !pam_setcred, !syslog, !use_pty\n');
      expect((await stat(join(root, SUDOERS_FILE))).mode & 0o777).toBe(0o440);
      expect(await readFile(join(root, 'etc/sudo.conf'), 'utf8')).toBe(`#Set disable_coredump false\n${SUDO_CONF_LINE}\n`);
      expect(SUDO_CONF_LINE).toBe('Set probe_interfaces false');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('the sudoers file is a name sudo reads from sudoers.d (no dot, no trailing ~)', () => {
    expect(SUDOERS_FILE).toMatch(/^\/etc\/sudoers\.d\/[^.~]+$/);
  });
});
