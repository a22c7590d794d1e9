// The boot services the walkthrough ends with (steps.md 24-25): drbd.service stays disabled
// under a cluster manager, drbdmanaged.service is what brings the nodes back (enabled by the
// reboot scenario).

import { expect } from 'vitest';
import type { ScenarioContext } from '../../../lib/scenario/define-scenario.js';
import { cmd, DRBD_SERVICE, DRBDMANAGED } from './commands.js';
import { NODE_NAMES, parseShow, unitAnswer } from './common.js';

export async function drbdmanageServices(ctx: ScenarioContext): Promise<void> {
  const { lab, step } = ctx;

  await step('24. systemctl status drbd.service: "please disable", disabled and inactive', async () => {
    for (const name of NODE_NAMES) {
      const node = lab.node(name);
      const status = await node.exec(cmd.statusUnit(DRBD_SERVICE), { check: false });
      // systemctl status exits 3 for an inactive unit.
      expect(status.exitCode, `${name}: systemctl status ${DRBD_SERVICE}`).toBe(3);
      expect(status.stdout, `${name}: systemctl status ${DRBD_SERVICE}`).toMatch(/^[●*] drbd\.service - DRBD -- please disable\. Unless you are NOT using a cluster manager\.$/mu);
      expect(status.stdout, `${name}: systemctl status ${DRBD_SERVICE}`).toMatch(/Loaded: loaded \(\/lib\/systemd\/system\/drbd\.service; disabled; vendor preset: enabled\)/);
      expect(status.stdout, `${name}: systemctl status ${DRBD_SERVICE}`).toMatch(/Active: inactive \(dead\)/);
      expect(await unitAnswer(node, cmd.isEnabled(DRBD_SERVICE)), `${name}: ${DRBD_SERVICE}`).toBe('disabled');
      expect(parseShow((await node.exec(cmd.showStates(DRBD_SERVICE))).stdout), `${name}: ${DRBD_SERVICE}`).toEqual({ ActiveState: 'inactive', UnitFileState: 'disabled' });
    }
  });

  await step('25. drbdmanaged.service enabled and running (after the reboot scenario)', async () => {
    for (const name of NODE_NAMES) {
      const node = lab.node(name);
      expect(await unitAnswer(node, cmd.isEnabled(DRBDMANAGED)), `${name}: ${DRBDMANAGED} (enabled by the reboot scenario)`).toBe('enabled');
      expect(parseShow((await node.exec(cmd.showStates(DRBDMANAGED))).stdout), `${name}: ${DRBDMANAGED}`).toEqual({ ActiveState: 'active', UnitFileState: 'enabled' });
    }
  });
}
