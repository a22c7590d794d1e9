// Scenario 7: split brain on purpose, detected and refused by DRBD, recovered by hand.
import { defineScenario } from '../lib/scenario/define-scenario.js';
import { R0_UP } from './steps/drbdadm/start.js';
import { drbdadmSplitBrain } from './steps/drbdadm/split-brain.js';

defineScenario('split-brain', drbdadmSplitBrain, { stacks: ['drbdadm'], from: { drbdadm: R0_UP } });
