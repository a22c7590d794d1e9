// The hypervisor choice against a fake libvirt: the KVM probe boots a throwaway guest with each
// CPU mode at once, the first mode in order of preference that boots wins, the verdict is
// remembered per host boot, and the probe leaves nothing.
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chooseAccel, rememberedVerdict, type AccelHost, type ChooseAccelOptions } from './accel.js';
import { FakeLibvirt } from './fake-libvirt.js';

let cacheDir: string;
let libvirt: FakeLibvirt;
let host: AccelHost & { boot: string; problem?: string };
let said: string[];

beforeEach(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'drbdlab-accel-'));
  libvirt = new FakeLibvirt();
  host = { boot: 'boot-1', bootId: () => host.boot, kvmDevice: () => '0:993 660', kvmDeviceProblem: async () => host.problem };
  said = [];
});
afterEach(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

function choose(o: Partial<ChooseAccelOptions> = {}) {
  return chooseAccel({
    virsh: libvirt,
    host,
    cacheDir,
    boot: { kind: 'direct', kernel: '/images/vmlinuz', initrd: '/images/initrd.img', cmdline: 'console=ttyS0' },
    progress: (m) => said.push(m),
    setting: 'auto',
    ...o,
  });
}

/** The probe's guests and folders are gone, whatever happened to them. */
function probeLeftNothing(): void {
  expect(libvirt.leftovers('kvmprobe')).toEqual([]);
  expect(existsSync(join(cacheDir, 'probes')) ? readdirSync(join(cacheDir, 'probes')) : []).toEqual([]);
}

describe('chooseAccel', () => {
  it('KVM when a probe guest reaches its kernel with the host CPU; the verdict is remembered for this boot', async () => {
    const c = await choose();
    expect(c).toMatchObject({ accel: 'kvm', cpu: 'host-passthrough', mode: 'auto', reason: 'a KVM guest booted its kernel (CPU host-passthrough)' });
    expect(libvirt.callsOf('define')).toHaveLength(3);
    probeLeftNothing();
    const again = await choose();
    expect(again.reason).toMatch(/^a KVM guest booted its kernel \(CPU host-passthrough\) \(verdict of /);
    expect(libvirt.callsOf('define')).toHaveLength(3);
    expect((await rememberedVerdict(libvirt, cacheDir, host))?.choice.accel).toBe('kvm');
  });

  it("the host CPU refused: the named host model is tried next, from libvirt's domain capabilities", async () => {
    // By CPU mode, not by the first start call: the probes start at once, in no fixed order.
    libvirt.kvmByCpu = { 'host-passthrough': 'refused-at-start' };
    const c = await choose();
    expect(c).toMatchObject({ accel: 'kvm', cpu: { model: 'Skylake-Client-IBRS' } });
    expect(said).toContain('KVM probe: host-passthrough: did not start: error: internal error: process exited while connecting to monitor: ioctl(KVM_CREATE_VM) failed: 12 Cannot allocate memory');
    expect(libvirt.callsOf('define')).toHaveLength(3);
    probeLeftNothing();
  });

  it('no CPU mode boots: TCG, with what each probe saw; the probes leave nothing', async () => {
    libvirt.kvm = 'dies';
    const c = await choose();
    expect(c.accel).toBe('tcg');
    expect(c.mode).toBe('auto');
    expect(c.reason).toMatch(/^KVM unusable \(host-passthrough: QEMU died: kvm: .*; Skylake-Client-IBRS: QEMU died: .*; qemu64: QEMU died: .*\)$/);
    probeLeftNothing();
  });

  it('DRBDLAB_ACCEL=kvm where no KVM guest boots: one error naming the probes and the fix', async () => {
    libvirt.kvm = 'refused-at-start';
    await expect(choose({ setting: 'kvm' })).rejects.toThrow(/^DRBDLAB_ACCEL=kvm but no KVM guest boots here \(host-passthrough: did not start: .*\); unset DRBDLAB_ACCEL to use TCG$/);
    probeLeftNothing();
  });

  it('/dev/kvm unusable: TCG without a probe (or an error when KVM is demanded)', async () => {
    host.problem = '/dev/kvm does not exist (no KVM on this host)';
    expect(await choose()).toMatchObject({ accel: 'tcg', mode: 'auto', reason: 'KVM unusable: /dev/kvm does not exist (no KVM on this host)' });
    await expect(choose({ setting: 'kvm' })).rejects.toThrow('DRBDLAB_ACCEL=kvm but /dev/kvm does not exist');
    expect(libvirt.calls).toEqual([]);
  });

  it('DRBDLAB_ACCEL=tcg: TCG, libvirt not even asked', async () => {
    expect(await choose({ setting: 'tcg' })).toEqual({ accel: 'tcg', mode: 'forced', reason: 'DRBDLAB_ACCEL=tcg' });
    expect(libvirt.calls).toEqual([]);
  });

  it('a verdict holds for one host boot: after a reboot the probe runs again', async () => {
    await choose();
    host.boot = 'boot-2';
    libvirt.kvm = 'dies';
    expect((await choose()).accel).toBe('tcg');
    expect(libvirt.callsOf('define')).toHaveLength(6);
  });

  it('every mode at once: the three probe guests are all being started before any start returns', async () => {
    libvirt.kvm = 'dies';
    // A barrier in libvirt's start: it opens only when three starts are in flight together, so
    // probes one after another would never get past it (and say how many were there).
    let arrived = 0;
    let open: () => void = () => {};
    const all = new Promise<void>((r) => (open = r));
    libvirt.beforeCall('start', async () => {
      if (++arrived === 3) open();
      await Promise.race([all, new Promise((_, fail) => setTimeout(() => fail(new Error(`only ${arrived} probe start(s) at once`)), 2_000))]);
    });
    const c = await choose();
    expect(c.reason).toMatch(/^KVM unusable \(host-passthrough: QEMU died: .*; Skylake-Client-IBRS: QEMU died: .*; qemu64: QEMU died: .*\)$/);
    expect(said[0]).toBe("KVM probe: booting the lab's kernel with CPU host-passthrough, Skylake-Client-IBRS, qemu64 at once");
    probeLeftNothing();
  });

  it('the preferred mode boots while the others stay silent: they are stopped at once, not waited for; only the needed result is kept', async () => {
    libvirt.kvmByCpu = { 'Skylake-Client-IBRS': 'silent', qemu64: 'silent' };
    const c = await choose();
    expect(c).toMatchObject({ accel: 'kvm', cpu: 'host-passthrough' });
    expect(said.filter((m) => /^KVM probe: [^b]/.test(m))).toEqual([expect.stringMatching(/^KVM probe: host-passthrough: kernel ran in /)]);
    expect((await rememberedVerdict(libvirt, cacheDir, host))?.probes.map((p) => p.cpu)).toEqual(['host-passthrough']);
    probeLeftNothing();
  });

  it('the first mode in order that boots wins, whatever died or was refused before it', async () => {
    libvirt.kvmByCpu = { 'host-passthrough': 'dies', qemu64: 'boots' };
    libvirt.kvm = 'refused-at-start';
    const c = await choose();
    expect(c).toMatchObject({ accel: 'kvm', cpu: { model: 'qemu64' } });
    expect(c.reason).toBe('a KVM guest booted its kernel (CPU qemu64)');
    expect((await rememberedVerdict(libvirt, cacheDir, host))?.probes.map((p) => p.ok)).toEqual([false, false, true]);
    probeLeftNothing();
  });

  it('a preferred mode is waited for: a later mode that boots first does not win', async () => {
    // host-passthrough's guest starts last, so qemu64 (and the named model) have booted by then.
    libvirt.beforeCall('start', async (name) => {
      if (/mode=["']host-passthrough/.test((await libvirt.domainXml(name)) ?? '')) await new Promise((r) => setTimeout(r, 500));
    });
    const c = await choose();
    expect(c).toMatchObject({ accel: 'kvm', cpu: 'host-passthrough' });
    expect(said.at(-1)).toMatch(/^KVM probe: host-passthrough: kernel ran in /);
    expect((await rememberedVerdict(libvirt, cacheDir, host))?.probes.map((p) => p.cpu)).toEqual(['host-passthrough']);
    probeLeftNothing();
  });

  it('Ctrl-C while probing: every probe guest removed, the abort thrown, no verdict written', async () => {
    libvirt.kvm = 'silent';
    const ctl = new AbortController();
    const p = choose({ signal: ctl.signal });
    setTimeout(() => ctl.abort(new Error('SIGINT')), 300);
    await expect(p).rejects.toThrow('SIGINT');
    probeLeftNothing();
    expect(await rememberedVerdict(libvirt, cacheDir, host)).toBeUndefined();
  });
});
