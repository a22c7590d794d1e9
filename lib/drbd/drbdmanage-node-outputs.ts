import { DrbdParseError } from './errors.js';
import { cleanLines } from './text.js';

/**
 * What the drbdmanage scenarios read of a node's own tools besides DRBD's: systemd (status,
 * unit files, is-enabled), LVM reports, mkfs, ps, D-Bus service files, and drbd-utils' refusals.
 * Formats as systemd 252, lvm2 2.03, e2fsprogs 1.47 and drbd-utils 9.22 print them (the captured
 * Debian 12 guests); where bionic's systemd 237 differs, both are read.
 */

// ---------------------------------------------------------------------------------------------
// systemd

export interface UnitStatus {
  unit: string;
  description: string;
  /** `Loaded:` as printed, e.g. `loaded (/lib/systemd/system/drbd.service; disabled; preset: enabled)`. */
  loaded: string;
  /** Path of the unit file, its enablement and the vendor preset; null where `Loaded:` has no (…) part. */
  unitFile: { path: string; enablement: string; preset: string | null } | null;
  /** `Active:` up to its first `(`…`)`, e.g. `inactive (dead)`, `active (running)`, `active (exited)`. */
  active: string;
  /** Main PID and its name, when running. */
  mainPid: number | null;
  /** Journal lines systemctl appended (as root). */
  journal: string[];
}

const STATUS_PARSER = 'systemctl-status';

/** `systemctl status UNIT --no-pager` (systemd 237's `vendor preset:` or 252's `preset:`). */
export function parseSystemctlStatus(text: string): UnitStatus {
  const lines = cleanLines(text).map((l) => l.text);
  const head = /^[●○*×] (\S+) - (.*)$/u.exec(lines[0] ?? '');
  if (!head) throw new DrbdParseError(STATUS_PARSER, 'expected "● unit - description"', lines[0] ?? '', 1);
  const field = (name: string): string | null => {
    const line = lines.find((l) => l.trimStart().startsWith(`${name}: `));
    return line === undefined ? null : line.trimStart().slice(name.length + 2);
  };
  const loaded = field('Loaded');
  const activeLine = field('Active');
  if (loaded === null || activeLine === null) throw new DrbdParseError(STATUS_PARSER, 'no Loaded: or Active: line', lines.join('\n'));
  const file = /^\w+ \(([^;)]+); ([\w-]+)(?:; (?:vendor )?preset: ([\w-]+))?\)$/u.exec(loaded);
  const active = /^(\S+(?: \([^)]*\))?)/u.exec(activeLine)![1]!;
  const main = /^(\d+)\b/u.exec(field('Main PID') ?? '');
  const blank = lines.findIndex((l, i) => i > 0 && l.trim() === '');
  return {
    unit: head[1]!,
    description: head[2]!,
    loaded,
    unitFile: file ? { path: file[1]!, enablement: file[2]!, preset: file[3] ?? null } : null,
    active,
    mainPid: main ? Number(main[1]) : null,
    journal: blank < 0 ? [] : lines.slice(blank + 1).filter((l) => l.trim() !== ''),
  };
}

export interface UnitFile {
  unit: string;
  state: string;
  /** systemd ≥ 245 prints the vendor preset as a third column; `-` where none applies. */
  preset: string | null;
}

/** `systemctl list-unit-files` rows (with or without its header and footer). */
export function parseUnitFiles(text: string): UnitFile[] {
  return cleanLines(text)
    .map((l) => l.text.trim())
    .filter((l) => l !== '' && !/^UNIT FILE\s/u.test(l) && !/^\d+ unit files listed\.$/u.test(l))
    .map((l) => {
      const [unit, state, preset, ...rest] = l.split(/\s+/u);
      if (!unit || !state || rest.length > 0) throw new DrbdParseError('systemctl-list-unit-files', 'expected "unit state [preset]"', l);
      return { unit, state, preset: preset ?? null };
    });
}

/** `systemctl is-enabled A B …`: one answer per unit, in order. */
export function parseIsEnabled(text: string): string[] {
  return cleanLines(text)
    .map((l) => l.text.trim())
    .filter((l) => l !== '');
}

/** `Created symlink /etc/…/x.service → /lib/…/x.service.` (systemd 237 and 252; `->` in a C locale). */
export function createdSymlinks(stderr: string): { link: string; target: string }[] {
  return cleanLines(stderr).flatMap((l) => {
    const m = /^Created symlink (\S+) (?:→|->) (\S+)\.$/u.exec(l.text.trim());
    return m ? [{ link: m[1]!, target: m[2]! }] : [];
  });
}

// ---------------------------------------------------------------------------------------------
// processes, D-Bus

export interface ProcessRow {
  pid: number;
  /** With `-o pid,ppid,…`; null otherwise. */
  ppid: number | null;
  args: string;
}

/** `ps -eo pid,args` or `ps -eo pid,ppid,lstart,args` rows (no header: the scenarios grep it away). */
export function parseProcesses(text: string): ProcessRow[] {
  return cleanLines(text)
    .map((l) => l.text.trim())
    .filter((l) => l !== '')
    .map((l) => {
      // lstart is `Mon Dec  7 00:04:07 2026`: five words.
      const withStart = /^(\d+)\s+(\d+)\s+\w{3} \w{3}\s+\d+ \d\d:\d\d:\d\d \d{4} (.+)$/u.exec(l);
      if (withStart) return { pid: Number(withStart[1]), ppid: Number(withStart[2]), args: withStart[3]! };
      const plain = /^(\d+) (.+)$/u.exec(l);
      if (!plain) throw new DrbdParseError('ps', 'expected "pid [ppid lstart] args"', l);
      return { pid: Number(plain[1]), ppid: null, args: plain[2]! };
    });
}

/** `key=value` lines of an ini-like file ([sections] and comments skipped; the last value of a key wins). */
export function parseKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of cleanLines(text)) {
    const line = l.text.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('[')) continue;
    const at = line.indexOf('=');
    if (at <= 0) throw new DrbdParseError('key-values', 'expected key=value', l.text, l.number);
    out[line.slice(0, at)] = line.slice(at + 1);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// LVM, mkfs

/** Rows of lvm2's default reports (`vgs`, `pvs`, `lvs`; several in a row start a new table at each header). */
export function parseLvmReports(text: string): Record<string, string>[][] {
  const tables: Record<string, string>[][] = [];
  let header: string[] | null = null;
  for (const l of cleanLines(text)) {
    const words = l.text.trim().split(/\s+/u).filter(Boolean);
    if (words.length === 0) continue;
    if (words[0] === 'VG' || words[0] === 'PV' || words[0] === 'LV') {
      header = words;
      tables.push([]);
      continue;
    }
    if (!header) throw new DrbdParseError('lvm-report', 'row before any header', l.text, l.number);
    // Empty trailing columns (lvs' Pool, Origin, …) are blank: map the words present, in order.
    if (words.length > header.length) throw new DrbdParseError('lvm-report', `row has ${words.length} columns, header ${header.length}`, l.text, l.number);
    tables[tables.length - 1]!.push(Object.fromEntries(words.map((w, i) => [header![i]!, w])));
  }
  return tables;
}

/**
 * An lvm2 size such as `<2.00g`, `4.00m`, `480.00m` in MiB. lvm2 rounds to two decimals in the
 * unit it picks and prefixes `<` when it rounded up, so the value is exact within one unit of
 * the last decimal: `precisionMiB`.
 */
export function parseLvmSize(cell: string): { mib: number; roundedUp: boolean; precisionMiB: number } {
  const m = /^(<)?(\d+(?:\.\d+)?)([kmgt])$/u.exec(cell.trim());
  if (!m) throw new DrbdParseError('lvm-size', 'expected a size such as <2.00g', cell);
  const unitMiB = { k: 1 / 1024, m: 1, g: 1024, t: 1024 * 1024 }[m[3] as 'k' | 'm' | 'g' | 't'];
  const decimals = m[2]!.split('.')[1]?.length ?? 0;
  return { mib: Number(m[2]) * unitMiB, roundedUp: m[1] === '<', precisionMiB: unitMiB / 10 ** decimals };
}

/** mke2fs's `Creating filesystem with N Xk blocks …`: blocks and block size (1k for a small file system, else 4k). */
export function parseMkfs(stdout: string): { blocks: number; blockKiB: number } | null {
  const m = /Creating filesystem with (\d+) (\d+)k blocks/u.exec(stdout);
  return m ? { blocks: Number(m[1]), blockKiB: Number(m[2]) } : null;
}

// ---------------------------------------------------------------------------------------------
// drbd-utils refusals (exit codes as captured with drbd-utils 9.22)

/** `drbdadm status` / `drbdadm adjust` with nothing configured: stdout, exit 0. */
export const NO_DRBD_CONFIGURED = '# No currently configured DRBD found.';

/**
 * `drbdadm adjust all` on a host no `on <host>` section names (a renamed node): stderr, exit 1.
 * drbdadm_main.c, with the host name it runs under.
 */
export const noResourcesForThisHost = (host: string): string[] => [
  `WARN: no normal resources defined for this host (${host})!?`,
  "Misspelled name of the local machine with the 'on' keyword ?",
];
