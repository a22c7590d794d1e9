// Scenario 2 on drbdadm: after a reboot with the boot service as installed the resource is
// down (the walkthrough's step 24); with drbd.service enabled it comes back, data intact.
import { expect } from 'vitest';
import type { ScenarioContext } from '../../../lib/scenario/define-scenario.js';
import { DEVICE, MOUNT, RES, ensureR0, quiesce, replicas, status, waitUpToDate } from './cluster.js';

export async function drbdadmRebootPersistence(ctx: ScenarioContext): Promise<void> {
  const { lab, step } = ctx;
  const [primary, secondary] = replicas(lab);
  const { checksum } = await ensureR0(ctx);

  await step('24. drbd.service is disabled as installed (observed before changing anything)', async () => {
    // The Debian package's default (lab-notes): the pitfall of step 24 comes from the package, not from us.
    for (const n of [primary, secondary]) {
      const r = await n.exec('systemctl is-enabled drbd.service', { check: false });
      expect(r.stdout.trim(), `${n.name}: systemctl is-enabled drbd.service`).toBe('disabled');
      expect(r.exitCode).toBe(1);
    }
  });

  await step('24. reboot both replicas: the module loads, the resource stays down', async () => {
    for (const n of [primary, secondary]) await quiesce(n);
    await Promise.all([primary.reboot(), secondary.reboot()]);
    for (const n of [primary, secondary]) {
      expect(await n.output('cat /proc/drbd')).toMatch(/^version: 8\.4\./);
      const r = await n.exec(`sudo drbdadm status ${RES}`, { check: false });
      expect(r.exitCode).toBe(10);
      expect(r.stderr + r.stdout).toMatch(new RegExp(`${RES}: No such resource`));
    }
  });

  await step('25. enable drbd.service (the drbdadm counterpart of drbdmanaged.service)', async () => {
    for (const n of [primary, secondary]) {
      const r = await n.exec('sudo systemctl enable drbd.service 2>&1');
      expect(r.stdout).toMatch(/Created symlink|Synchronizing state of drbd.service/);
      expect(await n.output('systemctl is-enabled drbd.service')).toBe('enabled');
    }
  });

  await step('25. reboot again: r0 comes back connected and UpToDate, data intact', async () => {
    await Promise.all([primary.reboot(), secondary.reboot()]);
    const res = await waitUpToDate(lab, primary);
    expect(res.role).toBe('Secondary');
    await primary.exec(`sudo drbdadm primary ${RES}`);
    await primary.exec(`sudo mount ${DEVICE} ${MOUNT}`);
    expect((await primary.output(`sudo sha256sum ${MOUNT}/data.bin`)).split(/\s+/)[0]).toBe(checksum);
    expect((await status(secondary))?.volumes[0]?.disk).toBe('UpToDate');
  });

  await step('restore: drbd.service disabled again, as installed', async () => {
    for (const n of [primary, secondary]) {
      await n.exec('sudo systemctl disable drbd.service 2>&1');
      expect(await n.output('systemctl is-enabled drbd.service', { check: false })).toBe('disabled');
    }
  });
}
