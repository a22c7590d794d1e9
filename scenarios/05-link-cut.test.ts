// Scenario 5: the replication link cut under writes, from the host; bitmap resync when it returns.
import { defineScenario } from '../lib/scenario/define-scenario.js';
import { R0_UP } from './steps/drbdadm/start.js';
import { drbdadmLinkCut } from './steps/drbdadm/link-cut.js';

defineScenario('link-cut', drbdadmLinkCut, { stacks: ['drbdadm'], from: { drbdadm: R0_UP } });
