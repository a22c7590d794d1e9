// Attribution in words, pure: the verdict as the report's first line says it, and each probe.

import { formatSourceChange, type SourceChange } from '../image/package-set.js';
import type { Attribution } from './attribute.js';
import type { ProbeRecord, Verdict } from './plan.js';

const sources = (cs: readonly SourceChange[]) => cs.map(formatSourceChange).join('; ');

/** `introduced by linux-signed-amd64 6.1.170-1 → 6.1.176-1 (linux-image-6.1.0-41-amd64)`, `flaky: …`. */
export function verdictSentence(v: Verdict): string {
  switch (v.kind) {
    case 'flaky':
      return 'flaky: green when run again on the same package set (failure not reproduced)';
    case 'not-the-packages':
      return 'not the packages: red on the last green package set too (the lab, the host or the scenario changed)';
    case 'introduced':
      return `introduced by ${formatSourceChange(v.change)}`;
    case 'narrowed':
      return `introduced by one of ${sources(v.candidates)}; cannot tell which: ${v.why}`;
    case 'cannot-tell':
      return `cannot tell: ${v.why}`;
    case 'budget':
      return `attribution budget of ${v.minutes} min spent before a verdict; narrowed to ${sources(v.candidates)}`;
  }
}

/** `reboot red: introduced by …`: the first line of the nightly and the top of summary.md. */
export function attributionLine(a: Pick<Attribution, 'scenario' | 'verdict'>): string {
  return `${a.scenario} red: ${verdictSentence(a.verdict)}`;
}

/** One probe: `2. the last green set (set 1a2b3c4d5e6f): passed in 312 s`. */
export function probeLine(p: ProbeRecord, i: number, changes: readonly SourceChange[]): string {
  const what = p.role === 'same' ? 'the red set again' : p.role === 'good' ? 'the last green set' : `last green set + ${changesApplied(p, changes)}`;
  const set = p.setId ? ` (set ${p.setId.slice(0, 12)})` : '';
  const time = p.ms !== undefined ? ` in ${Math.round(p.ms / 1000)} s` : '';
  const word = p.outcome === 'refused' ? 'refused (cannot tell)' : p.outcome === 'broken' ? 'broken (cannot tell)' : p.outcome;
  return `${i + 1}. ${what}${set}: ${word}${time}${p.detail ? `: ${p.detail}` : ''}`;
}

function changesApplied(p: ProbeRecord, changes: readonly SourceChange[]): string {
  const on = new Set(p.applied);
  return changes.filter((c) => on.has(c.source)).map((c) => `${c.source} ${c.to.join('/') || '(removed)'}`).join(', ');
}

/** The whole attribution as text: the verdict, the changes, every probe (the Allure step's attachment). */
export function attributionText(a: Attribution): string {
  return [
    attributionLine(a),
    '',
    `last green set ${a.good.slice(0, 12)} → red set ${a.bad.slice(0, 12)}: ${a.changes.length} source packages changed`,
    ...a.changes.map((c) => `  ${formatSourceChange(c)}`),
    '',
    `probes (at most ${a.bound}), ${Math.round(a.ms / 1000)} s in all:`,
    ...a.probes.map((p, i) => `  ${probeLine(p, i, a.changes)}`),
    '',
  ].join('\n');
}
