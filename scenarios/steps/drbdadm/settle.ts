// Following DRBD's own event stream until r0 is Established UpToDate/UpToDate: after a reboot
// (reboot.ts), after the link comes back or a node's `up` (the fault scenarios).
import * as allure from 'allure-js-commons';
import { expect } from 'vitest';
import { parseEvents2 } from '../../../lib/drbd/events2.js';
import { Events2Watch } from '../../../lib/scenario/events2-watch.js';
import { describeSettle, traceSettle, type SettleTrace } from '../../../lib/drbd/resync-trace.js';
import type { ScenarioLab, ScenarioNode } from '../../../lib/scenario/scenario-lab.js';
import { pollUntil, scaled } from '../../../lib/wait/poll.js';
import { RES } from './cluster.js';

/**
 * Run `act` with `watch` armed (nothing to run when DRBD comes back by itself during a boot) and
 * follow the stream until Established UpToDate/UpToDate. Returns the trace and the seconds from
 * `act` to settled. The stream is attached, also when the wait fails; the watcher never outlives it.
 */
export async function followSettle(
  lab: ScenarioLab,
  node: ScenarioNode,
  watch: Events2Watch,
  what: string,
  act: () => Promise<void> = async () => {},
): Promise<{ trace: SettleTrace; seconds: number }> {
  try {
    const t0 = lab.clock.now();
    await act();
    const trace = await pollUntil(
      `${RES} Established UpToDate/UpToDate in the events2 stream after ${what}`,
      async () => {
        const t = traceSettle(parseEvents2(await watch.read()), RES);
        return { done: t.settledAt >= 0, value: t, seen: describeSettle(t) };
      },
      { timeoutMs: scaled(180_000, lab.timeoutScale), intervalMs: 2_000, clock: lab.clock, target: node.name, kind: 'product' },
    );
    const seconds = (lab.clock.now() - t0) / 1000;
    await allure.attachment(`drbdsetup events2 ${RES} on ${node.name} after ${what}`, await watch.stop(), 'text/plain');
    expect(trace.skipped, 'events dropped by the kernel: the stream may miss a state').toBe(0);
    return { trace, seconds };
  } finally {
    // What the watcher saw (or why it could not stop) goes into the report; the step's own error stays.
    if (watch.running) {
      const seen = await watch.stop().catch((err: unknown) => `events2 watcher not stopped: ${String(err)}`);
      await allure.attachment(`drbdsetup events2 ${RES} on ${node.name} after ${what} (step failed)`, seen, 'text/plain');
    }
  }
}

/** Arm an events2 watcher on `node`, run `act` (the link back, a node's `up`) and follow it to settled. */
export async function settleAfter(lab: ScenarioLab, node: ScenarioNode, what: string, act: () => Promise<void>): Promise<{ trace: SettleTrace; seconds: number }> {
  const watch = await Events2Watch.start(node, RES, lab.clock, lab.timeoutScale);
  return followSettle(lab, node, watch, what, act);
}
