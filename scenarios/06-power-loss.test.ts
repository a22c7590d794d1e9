// Scenario 6: the primary's power cut from the host during writes; nothing acknowledged is lost.
import { defineScenario } from '../lib/scenario/define-scenario.js';
import { R0_UP } from './steps/drbdadm/start.js';
import { drbdadmPowerLoss } from './steps/drbdadm/power-loss.js';

defineScenario('power-loss', drbdadmPowerLoss, { stacks: ['drbdadm'], from: { drbdadm: R0_UP } });
