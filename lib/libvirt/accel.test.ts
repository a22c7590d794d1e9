// The hypervisor choice against a fake libvirt: the KVM probe boots a throwaway guest with each
// CPU mode in turn, the verdict is remembered per host boot, and the probe leaves nothing.
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chooseAccel, rememberedVerdict, type AccelHost, type ChooseAccelOptions } from './accel.js';
import { FakeLibvirt, LIBVIRT_SAYS } from './fake-libvirt.js';

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
    expect(libvirt.callsOf('define')).toHaveLength(1);
    probeLeftNothing();
    const again = await choose();
    expect(again.reason).toMatch(/^a KVM guest booted its kernel \(CPU host-passthrough\) \(verdict of /);
    expect(libvirt.callsOf('define')).toHaveLength(1);
    expect((await rememberedVerdict(libvirt, cacheDir, host))?.choice.accel).toBe('kvm');
  });

  it("the host CPU refused: the named host model is tried next, from libvirt's domain capabilities", async () => {
    libvirt.fail('start', { name: /kvmprobe$/, stderr: (d) => LIBVIRT_SAYS.kvmRefused(d) });
    const c = await choose();
    expect(c).toMatchObject({ accel: 'kvm', cpu: { model: 'Skylake-Client-IBRS' } });
    expect(said).toContain('KVM probe: host-passthrough: did not start: error: internal error: process exited while connecting to monitor: ioctl(KVM_CREATE_VM) failed: 12 Cannot allocate memory');
    expect(libvirt.callsOf('define')).toHaveLength(2);
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
    expect(libvirt.callsOf('define')).toHaveLength(4);
  });
});
