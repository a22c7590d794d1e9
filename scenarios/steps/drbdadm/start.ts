// The starting point "r0 up" of the drbdadm scenarios that begin where the walkthrough ends: r0
// Connected and UpToDate on the first two nodes, a file system with data on it, the first node
// Primary and mounted. Made once per snapshot identity by ensureR0, then restored per scenario.
import { readFileSync } from 'node:fs';
import type { ScenarioStart } from '../../../lib/scenario/scenario-start.js';
import type { ScenarioNode } from '../../../lib/scenario/scenario-lab.js';
import { MOUNT, ensureR0 } from './cluster.js';

export const R0_UP: ScenarioStart = {
  point: 'r0-up',
  // The steps and every helper they use: a change to either makes a new snapshot.
  source: [
    readFileSync(new URL('./cluster.ts', import.meta.url), 'utf8'),
    readFileSync(new URL(import.meta.url), 'utf8'),
    // r0.res is rendered there: a change to it is a change to r0.
    readFileSync(new URL('../../../lib/drbd/res-file.ts', import.meta.url), 'utf8'),
  ].join('\n'),
  prepare: (ctx) => ensureR0(ctx),
};

/** The data file's checksum as the scenario finds it (the starting point wrote it). */
export async function dataChecksum(node: ScenarioNode): Promise<string> {
  return (await node.output(`sudo sha256sum ${MOUNT}/data.bin`)).split(/\s+/)[0]!;
}
