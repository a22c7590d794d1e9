// Scenario 1: every step of the walkthrough, in order, each asserted on what it shows.
import { defineScenario } from '../lib/scenario/define-scenario.js';
import { drbdadmWalkthrough } from './steps/drbdadm/walkthrough.js';

defineScenario('walkthrough', async (ctx) => {
  if (ctx.lab.stack === 'drbdmanage') {
    const { drbdmanageWalkthrough } = await import('./steps/drbdmanage/walkthrough.js');
    return drbdmanageWalkthrough(ctx);
  }
  return drbdadmWalkthrough(ctx);
});
