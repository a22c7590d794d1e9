import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { longestFirst, recordedDurationMs, recordedDurations, scenarioNameOf } from './schedule.js';

const at = (s: number) => new Date(Date.UTC(2026, 10, 29, 0, 0, s)).toISOString();
const recording = (evidence: 'real' | 'synthetic', profile: string, spans: [number, number][]) =>
  JSON.stringify({
    profile,
    evidence,
    source: 'test',
    labels: {},
    nodes: [],
    commands: spans.map(([s, d], i) => ({ node: 'drbd1', command: `c${i}`, stdout: '', stderr: '', exitCode: 0, startedAt: at(s), durationMs: d * 1000 })),
  });

describe('schedule: longest scenario first', () => {
  it('a recording lasts from its first command to the end of the one that ends last', () => {
    expect(recordedDurationMs([{ startedAt: at(0), durationMs: 2000 }, { startedAt: at(10), durationMs: 500 }, { startedAt: at(3), durationMs: 20_000 }])).toBe(23_000);
    expect(recordedDurationMs([])).toBeUndefined();
  });

  it('a start or an end that is no time: no duration (the scenario counts as unrecorded)', () => {
    expect(recordedDurationMs([{ startedAt: 'soon', durationMs: 2000 }, { startedAt: at(10), durationMs: 500 }])).toBeUndefined();
    expect(recordedDurationMs([{ startedAt: at(0), durationMs: 2000 }, { startedAt: 'later', durationMs: 500 }])).toBeUndefined();
  });

  it('finds the scenario a test file defines', () => {
    expect(scenarioNameOf("import x;\ndefineScenario('reboot', async (ctx) => {")).toBe('reboot');
    expect(scenarioNameOf('defineScenario(\n  "power-loss",')).toBe('power-loss');
    expect(scenarioNameOf('no scenario here')).toBeUndefined();
  });

  it('orders longest first, unrecorded ones before all, ties by name', () => {
    const d: Record<string, number | undefined> = { walkthrough: 150, reboot: 360, hostname: 200, services: 150, fresh: undefined };
    const order = longestFirst(['walkthrough', 'services', 'reboot', 'fresh', 'hostname'], (x) => x, (x) => d[x]);
    expect(order).toEqual(['fresh', 'reboot', 'hostname', 'services', 'walkthrough']);
  });

  it('takes durations from real top-level recordings only, the longest profile per scenario', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'schedule-'));
    await mkdir(join(dir, 'synthetic'));
    await writeFile(join(dir, 'reboot.debian12-drbd84.json'), recording('real', 'debian12-drbd84', [[0, 1], [100, 20]]));
    await writeFile(join(dir, 'reboot.ubuntu1804-drbd9.json'), recording('real', 'ubuntu1804-drbd9', [[0, 300]]));
    await writeFile(join(dir, 'services.ubuntu1804-drbd9.json'), recording('synthetic', 'ubuntu1804-drbd9', [[0, 999]]));
    await writeFile(join(dir, 'synthetic', 'hostname.ubuntu1804-drbd9.json'), recording('synthetic', 'ubuntu1804-drbd9', [[0, 999]]));
    const d = recordedDurations(dir);
    expect(Object.fromEntries(d)).toEqual({ reboot: 300_000 });
  });

  it('no recordings folder: no durations (every scenario counts as unrecorded)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'schedule-'));
    expect(recordedDurations(join(dir, 'recordings')).size).toBe(0);
  });

  it('the scenarios recorded here: the reboot scenario (four reboots) starts before the services one (one)', () => {
    const d = recordedDurations(join(import.meta.dirname, '../../scenarios/recordings'));
    expect(d.get('reboot')).toBeGreaterThan(d.get('services')!);
    expect(longestFirst(['services', 'reboot'], (x) => x, (x) => d.get(x))[0]).toBe('reboot');
  });
});
