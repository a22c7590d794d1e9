// Scenario 3 on drbdadm: a hostname change before DRBD runs is harmless; after it, drbdadm no
// longer finds this host in the config while the kernel keeps the resource going.
import { expect } from 'vitest';
import type { ScenarioContext } from '../../../lib/scenario/define-scenario.js';
import { RES, connected, ensureR0, replicas, status, waitConnected, waitUpToDate } from './cluster.js';

export async function drbdadmHostnamePitfall(ctx: ScenarioContext): Promise<void> {
  const { lab, step } = ctx;
  const [primary, secondary] = replicas(lab);
  await ensureR0(ctx);
  const renamed = `${secondary.name}x`;

  await step(`10. before DRBD runs: renaming ${secondary.name} and back is harmless`, async () => {
    await secondary.exec(`sudo drbdadm down ${RES}`);
    await secondary.exec(`sudo hostnamectl set-hostname ${renamed}`);
    await secondary.exec(`sudo hostnamectl set-hostname ${secondary.name}`);
    expect(await secondary.output('hostname')).toBe(secondary.name);
    await secondary.exec(`sudo drbdadm up ${RES}`);
    const res = await waitUpToDate(lab, primary);
    expect(res.peers).toHaveLength(1);
  });

  await step(`10. after DRBD runs: renaming ${secondary.name} loses the node`, async () => {
    await secondary.exec(`sudo hostnamectl set-hostname ${renamed}`);
    const r = await secondary.exec(`sudo drbdadm status ${RES}`, { check: false });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain(`'${RES}' not defined in your config (for this host).`);
    // The kernel does not care about the name: the resource stays connected meanwhile.
    expect(await secondary.output('cat /proc/drbd')).toMatch(/cs:Connected/);
    const down = await secondary.exec(`sudo drbdadm down ${RES}`, { check: false });
    expect(down.exitCode).not.toBe(0);
    const adjust = await secondary.exec(`sudo drbdadm adjust ${RES}`, { check: false });
    expect(adjust.exitCode).not.toBe(0);
    expect(adjust.stderr).toContain(`'${RES}' not defined in your config (for this host).`);
    // The failed down/adjust touched nothing: the kernel keeps r0 connected on both sides
    // (lab-notes), so the node cannot be taken down by name until the hostname is back.
    expect(await secondary.output('cat /proc/drbd')).toMatch(/cs:Connected/);
    const seen = await status(primary);
    expect(seen && connected(seen), `${primary.name} still sees its peer`).toBe(true);
  });

  await step(`restore the hostname ${secondary.name}: drbdadm finds the node again`, async () => {
    await secondary.exec(`sudo hostnamectl set-hostname ${secondary.name}`);
    expect(await secondary.output('hostname')).toBe(secondary.name);
    await waitConnected(lab, secondary);
    expect((await status(secondary))?.volumes[0]?.disk).toBe('UpToDate');
  });
}
