// The boot services the walkthrough ends with (steps.md 24-25): drbd.service stays disabled
// under a cluster manager, and drbdmanaged is what brings the nodes back. Which units exist and
// how the server starts, as the real packages have it (captured: drbd-utils 9.22, drbdmanage
// 0.99.18): drbd.service and drbdmanaged.service are installed disabled with a vendor preset of
// enabled, and drbdmanaged runs anyway, D-Bus activated by the first drbdmanage call.

import { expect } from 'vitest';
import { parseKeyValues, parseProcesses, parseSystemctlStatus, parseUnitFiles } from '../../../lib/drbd/drbdmanage-node-outputs.js';
import type { ScenarioContext } from '../../../lib/scenario/define-scenario.js';
import { cmd, DBUS_NAME, DRBD_SERVICE, DRBDMANAGED } from './commands.js';
import { NODE_NAMES } from './common.js';

export async function drbdmanageServices(ctx: ScenarioContext): Promise<void> {
  const { lab, step } = ctx;

  await step('24. systemctl status drbd.service: "please disable", disabled, vendor preset enabled, inactive', async () => {
    for (const name of NODE_NAMES) {
      const node = lab.node(name);
      const r = await node.exec(cmd.statusUnit(DRBD_SERVICE), { check: false });
      // systemctl status exits 3 for an inactive unit. systemd 237 (the blog) says "vendor preset:", 252 "preset:".
      expect(r.exitCode, `${name}: systemctl status ${DRBD_SERVICE}: exit code`).toBe(3);
      const status = parseSystemctlStatus(r.stdout);
      expect(status.description, `${name}: ${DRBD_SERVICE}`).toBe('DRBD -- please disable. Unless you are NOT using a cluster manager.');
      expect(status.unitFile, `${name}: ${DRBD_SERVICE} unit file`).toEqual({ path: '/lib/systemd/system/drbd.service', enablement: 'disabled', preset: 'enabled' });
      expect(status.active, `${name}: ${DRBD_SERVICE}`).toBe('inactive (dead)');
    }
  });

  await step('25. drbdmanaged.service is installed beside drbd.service, and D-Bus starts drbdmanaged without it (its activation file names no unit)', async () => {
    for (const name of NODE_NAMES) {
      const node = lab.node(name);
      const units = parseUnitFiles((await node.exec(cmd.unitFiles, { check: false })).stdout);
      expect(units.find((u) => u.unit === DRBD_SERVICE)?.state, `${name}: ${DRBD_SERVICE} in list-unit-files`).toBe('disabled');
      expect(units.map((u) => u.unit), `${name}: units in list-unit-files`).toContain(DRBDMANAGED);
      const activation = parseKeyValues(await node.output(cmd.dbusServiceFile));
      expect(activation['Name'], `${name}: D-Bus activation file`).toBe(DBUS_NAME);
      expect(activation['Exec'], `${name}: D-Bus activation file`).toBe('/usr/bin/dbus-drbdmanaged-service');
      // With SystemdService= D-Bus would start the unit instead; without it the server runs outside the unit.
      expect(activation['SystemdService'], `${name}: D-Bus activation file: SystemdService`).toBeUndefined();
      const ps = parseProcesses((await node.exec(cmd.serverProcesses, { check: false })).stdout);
      expect(ps.some((p) => /\/dbus-drbdmanaged-service$/u.test(p.args)), `${name}: a drbdmanaged server runs`).toBe(true);
    }
  });
}
