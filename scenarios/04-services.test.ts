// Scenario 4: drbd.service vs drbdmanaged.service: which is enabled and what each does at boot.
import { defineScenario } from '../lib/scenario/define-scenario.js';
import { drbdadmServices } from './steps/drbdadm/services.js';
import { R0_UP } from './steps/drbdadm/start.js';

defineScenario('services', async (ctx) => {
  if (ctx.lab.stack === 'drbdmanage') {
    const { drbdmanageServices } = await import('./steps/drbdmanage/services.js');
    return drbdmanageServices(ctx);
  }
  return drbdadmServices(ctx);
}, { from: { drbdadm: R0_UP } });
