import { describe, expect, it } from 'vitest';
import type { AllureResult } from './classify.js';
import { costSection, GUEST_CPU_LABEL, scenarioCosts } from './cost.js';

const result = (name: string, start: number, stop: number, cpu?: string): AllureResult => ({
  uuid: name,
  name,
  status: 'passed',
  start,
  stop,
  labels: cpu === undefined ? [] : [{ name: GUEST_CPU_LABEL, value: cpu }],
});

describe('what a run cost', () => {
  it('per scenario: wall and guest CPU, most CPU first; a result without the label (a replay) is left out', () => {
    const costs = scenarioCosts([result('reboot', 0, 200_000, '310.4'), result('walkthrough', 0, 90_000, '150'), result('replay walkthrough', 0, 5_000)]);
    expect(costs).toEqual([
      { name: 'reboot', wallSeconds: 200, guestCpuSeconds: 310.4 },
      { name: 'walkthrough', wallSeconds: 90, guestCpuSeconds: 150 },
    ]);
    expect(scenarioCosts([result('x', 0, 1000, 'n/a')])).toEqual([]);
  });

  it("the run: its scenarios' span, their guest CPU, and the span over the floor the CPU sets on the host's cores", () => {
    const lines = costSection([result('reboot', 10_000, 210_000, '300'), result('walkthrough', 20_000, 110_000, '100')], 2);
    expect(lines.slice(0, 6)).toEqual(['## Cost', '', '| scenario | wall s | guest CPU s |', '| --- | --- | --- |', '| reboot | 200 | 300 |', '| walkthrough | 90 | 100 |']);
    // 200 s of span; 400 s of CPU on 2 cores is a floor of 200 s.
    expect(lines.at(-1)).toBe('Scenarios: 200 s from first start to last stop, 400 s of guest CPU; on 2 cores the floor is 200 s: wall / floor = 1.00.');
    expect(costSection([result('reboot', 0, 300_000, '300')], 2).at(-1)).toMatch(/floor is 150 s: wall \/ floor = 2\.00\.$/);
  });

  it('no cores recorded: no floor; no scenario with a figure: no section', () => {
    expect(costSection([result('reboot', 0, 100_000, '50')], undefined).at(-1)).toBe('Scenarios: 100 s from first start to last stop, 50 s of guest CPU.');
    expect(costSection([result('replay', 0, 1000)], 2)).toEqual([]);
  });
});
