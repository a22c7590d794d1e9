// Scenario 8: the walkthrough's step 26 ("Pacemaker next"): r0 under Pacemaker, the promoted
// replica powered off from the host, failover measured, acknowledged data intact, no split brain.
import { defineScenario } from '../lib/scenario/define-scenario.js';
import { drbdadmPacemakerFailover } from './steps/drbdadm/pacemaker.js';
import { R0_UP } from './steps/drbdadm/start.js';

// drbdmanage (DRBD 9, ubuntu1804-drbd9) has no Pacemaker recording: the blog stops before it.
defineScenario('pacemaker-failover', drbdadmPacemakerFailover, { stacks: ['drbdadm'], from: { drbdadm: R0_UP } });
