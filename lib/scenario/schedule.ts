// The order scenario files start in when several clusters run at once: longest first (by how
// long each took when last recorded on VMs), so the longest does not start last and leave the
// other clusters idle at the end. A lab that is up (DRBDLAB_LAB) keeps file-name order: there
// the scenarios are one story on one lab.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandRecord } from '../ssh/command-record.js';
import { parseRecording } from './recording.js';

/** First command's start to the last one's end, or undefined for a recording without commands. */
export function recordedDurationMs(commands: readonly Pick<CommandRecord, 'startedAt' | 'durationMs'>[]): number | undefined {
  if (commands.length === 0) return undefined;
  const start = Date.parse(commands[0]!.startedAt);
  const end = Math.max(...commands.map((c) => Date.parse(c.startedAt) + c.durationMs));
  return Number.isFinite(start) && Number.isFinite(end) ? end - start : undefined;
}

/** The scenario a test file defines: `defineScenario('reboot', …)` → reboot. */
export function scenarioNameOf(source: string): string | undefined {
  return /defineScenario\(\s*['"]([\w.-]+)['"]/u.exec(source)?.[1];
}

/**
 * Longest first; a scenario with no real recording yet first of all (it may be the longest), in
 * name order, and ties in name order, so the order is the same on every runner.
 */
export function longestFirst<T>(items: readonly T[], name: (t: T) => string, durationMs: (t: T) => number | undefined): T[] {
  const key = (t: T) => durationMs(t) ?? Number.POSITIVE_INFINITY;
  return [...items].sort((a, b) => key(b) - key(a) || name(a).localeCompare(name(b)));
}

/**
 * How long each scenario took on VMs, from the real recordings in `dir` (top level only:
 * synthetic/ and faults/ are no runs of today's scenarios). Several profiles: the longest.
 */
export function recordedDurations(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) {
    const file = join(dir, f);
    const r = parseRecording(file, readFileSync(file, 'utf8'));
    const ms = r.evidence === 'real' ? recordedDurationMs(r.commands) : undefined;
    const scenario = f.split('.')[0]!;
    if (ms !== undefined) out.set(scenario, Math.max(ms, out.get(scenario) ?? 0));
  }
  return out;
}
