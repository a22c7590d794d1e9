// A boot as a profile, not a number: where the time of one boot kind went (systemd-analyze's
// split, the slowest units, the critical chain) and what it cost the host (guest CPU seconds).
// Pure parsers here; scripts/bench.ts drives the VMs.

/** `systemd-analyze` first line → seconds per phase (firmware/loader only where the boot has them). */
export function parseSystemdAnalyze(line: string): Record<string, number> {
  const out: Record<string, number> = {};
  const m = /^Startup finished in (.*?) = /u.exec(line.trim());
  if (!m) return out;
  for (const part of m[1]!.split(' + ')) {
    const p = /^(.+?) \((\w+)\)$/u.exec(part.trim());
    if (p) out[p[2]!] = durationSeconds(p[1]!);
  }
  return out;
}

/** systemd's own duration text (`1min 2.345s`, `812ms`, `3.5s`) → seconds. */
export function durationSeconds(text: string): number {
  let total = 0;
  for (const [, n, unit] of text.matchAll(/([\d.]+)\s*(min|ms|us|µs|s|h)\b/gu)) {
    const v = Number(n);
    total += unit === 'h' ? v * 3600 : unit === 'min' ? v * 60 : unit === 'ms' ? v / 1000 : unit === 'us' || unit === 'µs' ? v / 1e6 : v;
  }
  return Math.round(total * 1000) / 1000;
}

/** `systemd-analyze blame` → the top `n` units with their seconds. */
export function parseBlame(text: string, n = 8): { unit: string; seconds: number }[] {
  return text
    .split('\n')
    .map((l) => /^\s*(.+?)\s+(\S+\.(?:service|mount|device|target|socket|timer|swap|path|scope|slice))\s*$/u.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ unit: m[2]!, seconds: durationSeconds(m[1]!) }))
    .slice(0, n);
}

/**
 * `systemctl show -p Id -p CPUUsageNSec <units>` → the units that used most guest CPU in this
 * boot, seconds, most first. Where the CPU went, not how long a unit waited (blame's figure).
 * Units systemd has no figure for (`[not set]`) are left out.
 */
export function parseUnitCpu(text: string, n = 10): { unit: string; cpuSeconds: number }[] {
  return text
    .split(/\n\s*\n/u)
    .map((block) => ({ id: /^Id=(.+)$/mu.exec(block)?.[1]?.trim(), ns: /^CPUUsageNSec=(\d+)$/mu.exec(block)?.[1] }))
    .filter((u): u is { id: string; ns: string } => u.id !== undefined && u.ns !== undefined)
    .map((u) => ({ unit: u.id, cpuSeconds: Math.round(Number(u.ns) / 1e6) / 1000 }))
    .sort((a, b) => b.cpuSeconds - a.cpuSeconds)
    .slice(0, n);
}
