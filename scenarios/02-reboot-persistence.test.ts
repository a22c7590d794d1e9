// Scenario 2: reboot persistence, with the boot service as installed and then enabled.
import { defineScenario } from '../lib/scenario/define-scenario.js';
import { R0_UP } from './steps/drbdadm/start.js';
import { drbdadmRebootPersistence } from './steps/drbdadm/reboot.js';

defineScenario('reboot', async (ctx) => {
  if (ctx.lab.stack === 'drbdmanage') {
    const { drbdmanageRebootPersistence } = await import('./steps/drbdmanage/reboot.js');
    return drbdmanageRebootPersistence(ctx);
  }
  return drbdadmRebootPersistence(ctx);
}, { from: { drbdadm: R0_UP } });
