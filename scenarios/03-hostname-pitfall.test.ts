// Scenario 3: the walkthrough's warning: change the hostname only before the cluster exists.
import { defineScenario } from '../lib/scenario/define-scenario.js';
import { R0_UP } from './steps/drbdadm/start.js';
import { drbdadmHostnamePitfall } from './steps/drbdadm/hostname.js';

defineScenario('hostname', async (ctx) => {
  if (ctx.lab.stack === 'drbdmanage') {
    const { drbdmanageHostnamePitfall } = await import('./steps/drbdmanage/hostname.js');
    return drbdmanageHostnamePitfall(ctx);
  }
  return drbdadmHostnamePitfall(ctx);
}, { from: { drbdadm: R0_UP } });
