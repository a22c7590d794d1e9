// What a run cost the host: the guest CPU each scenario's own cluster used, beside its wall time,
// and the floor that CPU sets on this host (guest CPU ÷ cores). A run near its floor gets faster
// only if its guests do less; one far above it waits on something else.
import type { AllureResult } from './classify.js';

/** Allure label a real scenario carries: the guest CPU seconds of its cluster (since its restore, power cuts included). */
export const GUEST_CPU_LABEL = 'guestCpuSeconds';

export interface ScenarioCost {
  name: string;
  wallSeconds: number;
  guestCpuSeconds: number;
}

/** The scenarios that say what their cluster used (real runs on restored clusters; replays say nothing). */
export function scenarioCosts(results: readonly AllureResult[]): ScenarioCost[] {
  return results
    .flatMap((r) => {
      const cpu = Number(r.labels?.find((l) => l.name === GUEST_CPU_LABEL)?.value);
      if (!Number.isFinite(cpu) || r.start === undefined || r.stop === undefined) return [];
      return [{ name: r.name, wallSeconds: (r.stop - r.start) / 1000, guestCpuSeconds: cpu }];
    })
    .sort((a, b) => b.guestCpuSeconds - a.guestCpuSeconds);
}

/**
 * summary.md's cost section: one row per scenario, then the run: its scenarios' span (first
 * start to last stop), their guest CPU, and the span over the floor (guest CPU ÷ cores).
 */
export function costSection(results: readonly AllureResult[], cores: number | undefined): string[] {
  const costs = scenarioCosts(results);
  if (costs.length === 0) return [];
  const s = (x: number) => x.toFixed(0);
  const lines = ['## Cost', '', '| scenario | wall s | guest CPU s |', '| --- | --- | --- |', ...costs.map((c) => `| ${c.name} | ${s(c.wallSeconds)} | ${s(c.guestCpuSeconds)} |`)];
  const timed = results.filter((r) => costs.some((c) => c.name === r.name) && r.start !== undefined && r.stop !== undefined);
  const span = (Math.max(...timed.map((r) => r.stop!)) - Math.min(...timed.map((r) => r.start!))) / 1000;
  const cpu = costs.reduce((t, c) => t + c.guestCpuSeconds, 0);
  let run = `Scenarios: ${s(span)} s from first start to last stop, ${s(cpu)} s of guest CPU`;
  if (cores && cpu > 0) {
    const floor = cpu / cores;
    run += `; on ${cores} cores the floor is ${s(floor)} s: wall / floor = ${(span / floor).toFixed(2)}`;
  }
  lines.push('', `${run}.`);
  return lines;
}
