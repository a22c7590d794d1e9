// Scenario 4 on drbdadm: drbd.service ("please disable …") vs the per-resource drbd@.target,
// and drbdmanaged.service, which this profile does not have.
import * as allure from 'allure-js-commons';
import { expect } from 'vitest';
import type { ScenarioContext } from '../../../lib/scenario/define-scenario.js';
import { DEVICE, MOUNT, RES, quiesce, replicas, waitUpToDate } from './cluster.js';

const show = async (node: { output(c: string, o?: object): Promise<string> }, unit: string, props: string) =>
  Object.fromEntries(
    (await node.output(`systemctl show -p ${props} ${unit}`, {}))
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  ) as Record<string, string>;

export async function drbdadmServices(ctx: ScenarioContext): Promise<void> {
  const { lab, step } = ctx;
  const [primary, secondary] = replicas(lab);

  await step('24. drbd.service: "please disable. Unless you are NOT using a cluster manager."', async () => {
    const r = await primary.exec('systemctl status drbd.service --no-pager', { check: false });
    expect(r.stdout).toContain('drbd.service - DRBD -- please disable. Unless you are NOT using a cluster manager.');
    expect(r.stdout).toMatch(/Loaded: loaded \(\/lib\/systemd\/system\/drbd\.service; disabled; (vendor )?preset: enabled\)/);
    // A pristine cluster: r0 was brought up by drbdadm, the unit has never run.
    const p = await show(primary, 'drbd.service', 'UnitFileState,ActiveState,ExecStart');
    expect(p.UnitFileState).toBe('disabled');
    expect(p.ActiveState).toBe('inactive');
    // At boot it would run the legacy script for every resource (and wait for peers).
    expect(p.ExecStart).toContain('/lib/drbd/scripts/drbd start');
  });

  await step('25. drbdmanaged.service: not on this profile (drbdmanage is DRBD 9 only)', async () => {
    const r = await primary.exec('systemctl status drbdmanaged.service --no-pager', { check: false });
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain('Unit drbdmanaged.service could not be found.');
    await allure.attachment(
      'drbdmanaged.service on debian12-drbd84',
      'drbdmanage (deprecated since 2018, replaced by LINSTOR) needs DRBD 9; Debian 12 ships the in-tree DRBD 8.4 module.\n' +
        'The per-resource drbd@<res>.target of drbd-utils 9 is what brings one resource up at boot here.',
      'text/plain',
    );
  });

  await step(`drbd@${RES}.target: brings ${RES} up at boot without waiting for peers`, async () => {
    const unit = await primary.output('systemctl cat drbd@.service');
    // "adjust %I": this one resource, no waiting for the peer (unlike drbd.service).
    expect(unit).toMatch(/ExecStart=\S*drbd-service-shim\.sh adjust %I/);
    await quiesce(primary);
    const en = await primary.exec(`sudo systemctl enable drbd@${RES}.target 2>&1`);
    expect(en.stdout).toContain(`drbd@${RES}.target`);
    expect(await primary.output(`systemctl is-enabled drbd@${RES}.target`)).toBe('enabled');
    expect(await primary.output('systemctl is-enabled drbd.service', { check: false })).toBe('disabled');
    await primary.reboot();
    const p = await show(primary, `drbd@${RES}.service`, 'ActiveState,Result');
    expect(p.ActiveState).toBe('active');
    expect(p.Result).toBe('success');
    // As the walkthrough shows after its reboot: the disabled unit did not run.
    expect((await primary.exec('systemctl status drbd.service --no-pager', { check: false })).stdout).toMatch(/Active: inactive \(dead\)/);
    const res = await waitUpToDate(lab, primary);
    expect(res.peers[0]?.role).toBe('Secondary');
  });

  // A restored cluster is thrown away after the scenario: only a lab that goes on needs this.
  if (ctx.shared) {
    await step('restore: services as installed, first node Primary and mounted', async () => {
      await primary.exec(`sudo systemctl disable drbd@${RES}.target 2>&1`);
      expect(await primary.output(`systemctl is-enabled drbd@${RES}.target`, { check: false })).toBe('disabled');
      expect(await secondary.output('systemctl is-enabled drbd.service', { check: false })).toBe('disabled');
      await primary.exec(`sudo drbdadm primary ${RES}`);
      await primary.exec(`sudo mount ${DEVICE} ${MOUNT}`);
    });
  }
}
