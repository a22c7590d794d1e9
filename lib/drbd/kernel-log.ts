// Kernel health: what a node's kernel logged while a scenario ran, and the lines in it that mean
// the kernel (or DRBD in it) went wrong, whatever the scenario's own checks said. Pure: commands
// to run and parsers of what they print; lib/scenario/kernel-health.ts runs them on the nodes.

/** `/proc/sys/kernel/random/boot_id` changes on every boot. */
export const BOOT_ID_COMMAND = 'cat /proc/sys/kernel/random/boot_id';
const BOOT_ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/u;

export function parseBootId(output: string): string | null {
  const id = output.trim();
  return BOOT_ID_RE.test(id) ? id : null;
}

// ---------------------------------------------------------------------------------------------
// Line-count marks: a step's own read of what DRBD logged since a moment (a resync after the link
// came back), in `dmesg --notime` lines. Not the health check: a ring buffer that wraps meanwhile
// loses lines unseen (KernelLogPosition below fails closed instead).

/** Where a node's kernel log stood: which boot, how many lines. */
export interface KernelLogMark {
  bootId: string;
  lines: number;
}

/** Output of MARK_COMMAND: the boot id, then the number of dmesg lines. */
export function parseKernelLogMark(output: string): KernelLogMark | null {
  const [bootId, count, ...rest] = output.trim().split('\n').map((l) => l.trim());
  if (!bootId || !BOOT_ID_RE.test(bootId) || !count || !/^\d+$/u.test(count) || rest.length > 0) return null;
  return { bootId, lines: Number(count) };
}

/** bash for pipefail (a failing dmesg must not read as 0 lines). */
export const MARK_COMMAND = `${BOOT_ID_COMMAND} && sudo bash -o pipefail -c 'dmesg --notime | wc -l'`;
/** Same boot: the lines after the mark. */
export const sinceCommand = (mark: KernelLogMark) => `sudo bash -o pipefail -c 'dmesg --notime | tail -n +${mark.lines + 1}'`;
/** This boot's whole log, without timestamps (a step's read of what DRBD logged at boot). */
export const WHOLE_BOOT_COMMAND = 'sudo dmesg --notime';

// ---------------------------------------------------------------------------------------------
// Positions: where the health check has read a node's kernel log up to. They fail closed: the
// line the check stopped at is looked for again, by its text, at the next read; if it is not
// where it was (the ring buffer wrapped, someone ran `dmesg -C`) or the journal lacks it, the
// window in between is unread, and that is an error, never a clean log.

/**
 * A boot, the number of the last line read in that boot's `dmesg` (0: none yet) and that line as
 * `dmesg` printed it, its `[seconds.micros]` stamp included.
 */
export interface KernelLogPosition {
  bootId: string;
  line: number;
  text: string;
}

/** The boot id, then the last dmesg line numbered by `cat -n`: count and text from one read of the buffer. */
export const POSITION_COMMAND = `${BOOT_ID_COMMAND} && sudo bash -o pipefail -c 'dmesg | cat -n | tail -n 1'`;

export function parsePosition(output: string): KernelLogPosition | null {
  const [id, numbered, ...rest] = output.replace(/\n$/u, '').split('\n');
  const bootId = parseBootId(id ?? '');
  const m = /^ *(\d+)\t(.*)$/u.exec(numbered ?? '');
  if (!bootId || !m || rest.length > 0 || Number(m[1]) < 1) return null;
  return { bootId, line: Number(m[1]), text: m[2]! };
}

/** The start of a boot nothing of which was read yet. */
export const bootStart = (bootId: string): KernelLogPosition => ({ bootId, line: 0, text: '' });

/** From the position's line on (that line first, to be checked), or the whole boot from its first line. */
export const readFromCommand = (p: KernelLogPosition) => (p.line === 0 ? 'sudo dmesg' : `sudo bash -o pipefail -c 'dmesg | tail -n +${p.line}'`);

/** The first thing a boot's kernel prints (start_kernel's banner), at time zero. */
const BOOT_FIRST_LINE = /^\[ *0\.000000\] Linux version /u;

export type KernelLogRead =
  | { ok: true; lines: string[]; position: KernelLogPosition }
  | { ok: false; expected: string; found: string };

/** What `readFromCommand(p)` printed: the new lines and where they end, or what stood where the position's line should be. */
export function linesAfter(p: KernelLogPosition, output: string): KernelLogRead {
  const all = output === '' ? [] : output.replace(/\n$/u, '').split('\n');
  if (p.line === 0) {
    if (!BOOT_FIRST_LINE.test(all[0] ?? '')) return { ok: false, expected: "the boot's first line, [    0.000000] Linux version …", found: all[0] ?? '(nothing)' };
    return { ok: true, lines: all, position: { bootId: p.bootId, line: all.length, text: all.at(-1)! } };
  }
  if (all[0] !== p.text) return { ok: false, expected: `line ${p.line}: ${p.text}`, found: all[0] ?? '(nothing: fewer lines than before)' };
  const fresh = all.slice(1);
  return { ok: true, lines: fresh, position: fresh.length === 0 ? p : { bootId: p.bootId, line: p.line + fresh.length, text: fresh.at(-1)! } };
}

/** `[  812.345678] text` → 812345678 (µs since boot, as /dev/kmsg and the journal keep it). */
export function stampMicros(line: string): number | null {
  const m = /^\[ *(\d+)\.(\d{6})\]/u.exec(line);
  return m ? Number(m[1]) * 1_000_000 + Number(m[2]) : null;
}

/** A line as `dmesg` prints it: `[%5lu.%06lu] text`. */
export function withStamp(micros: number, text: string): string {
  return `[${String(Math.floor(micros / 1_000_000)).padStart(5)}.${String(micros % 1_000_000).padStart(6, '0')}] ${text}`;
}

// The journal keeps a boot's kernel log past the boot (journald persistent: lib/image/debian12-recipe.ts),
// so what a node logged between the last read and a reboot, the shutdown included, is read there.
// JSON: the kernel's own timestamp (_SOURCE_MONOTONIC_TIMESTAMP) is the µs dmesg prints.
const JOURNAL_OUTPUT = '-o json --output-fields=MESSAGE,_SOURCE_MONOTONIC_TIMESTAMP --all -q --no-pager';
const journalBoot = (bootId: string) => bootId.replace(/-/gu, '');

/** The entry of the position's line in its boot's kernel journal (for its cursor). */
export function journalAtCommand(p: KernelLogPosition): string {
  const micros = stampMicros(p.text);
  if (micros === null) throw new Error(`no [seconds.micros] stamp in the position's line: ${p.text}`);
  return `sudo journalctl -k -b ${journalBoot(p.bootId)} _SOURCE_MONOTONIC_TIMESTAMP=${micros} ${JOURNAL_OUTPUT}`;
}

/** The rest of a boot's kernel journal after the entry at `cursor`, or all of it. */
export function journalAfterCommand(bootId: string, cursor?: string): string {
  if (cursor !== undefined && !/^[\w=;-]+$/u.test(cursor)) throw new Error(`not a journal cursor: ${cursor}`);
  return `sudo journalctl -k -b ${journalBoot(bootId)}${cursor === undefined ? '' : ` --after-cursor='${cursor}'`} ${JOURNAL_OUTPUT}`;
}

export interface JournalEntry {
  cursor: string;
  /** The kernel's timestamp, µs since boot. */
  micros: number | null;
  message: string;
}

/** `journalctl -o json` output, one object a line; null when a line is not such an object. */
export function parseJournalJson(output: string): JournalEntry[] | null {
  const entries: JournalEntry[] = [];
  for (const line of output.split('\n')) {
    if (line.trim() === '') continue;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch {
      return null;
    }
    if (typeof o !== 'object' || o === null) return null;
    const r = o as Record<string, unknown>;
    const cursor = r.__CURSOR;
    const message = journalText(r.MESSAGE);
    if (typeof cursor !== 'string' || message === null) return null;
    const stamp = journalText(r._SOURCE_MONOTONIC_TIMESTAMP);
    entries.push({ cursor, micros: stamp !== null && /^\d+$/u.test(stamp) ? Number(stamp) : null, message });
  }
  return entries;
}

/** A field as journalctl's JSON gives it: a string, bytes (not UTF-8), or several values (the first). */
function journalText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.length > 0 && v.every((b) => typeof b === 'number')) return Buffer.from(v as number[]).toString('latin1');
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return null;
}

/** Journal entries as dmesg lines (each line of a multi-line message stamped). */
export function journalLines(entries: readonly JournalEntry[]): string[] {
  return entries.flatMap((e) => e.message.replace(/\n$/u, '').split('\n').map((l) => (e.micros === null ? l : withStamp(e.micros, l))));
}

/**
 * The journal entry of the position's line: same kernel timestamp, and the dmesg text ends with
 * its message (journald keeps a syslog identifier of a line written to /dev/kmsg apart).
 */
export function entryAt(entries: readonly JournalEntry[], p: KernelLogPosition): JournalEntry | undefined {
  const micros = stampMicros(p.text);
  const text = p.text.replace(/^\[ *\d+\.\d{6}\] ?/u, '');
  return entries.find((e) => e.micros === micros && e.message.trimEnd().length > 0 && text.trimEnd().endsWith(e.message.trimEnd()));
}

// ---------------------------------------------------------------------------------------------
// What matters in a kernel log.

export interface KernelLogHit {
  line: string;
  /** Which pattern matched, for the message. */
  pattern: string;
}

// Case matters: the kernel prints these in capitals ("BUG: soft lockup", "WARNING: CPU: 0 PID:"),
// while ordinary lines say "warning" in lower case. A BUG_ON on 6.1 prints "cut here", "kernel BUG
// at file:line!" and die()'s header "invalid opcode: 0000 [#1] PREEMPT SMP NOPTI" (6.9 on: "Oops:
// invalid opcode: …"). die()'s header is "<what>: <code> [#<n>]" for every kind of oops; a process
// that traps ("traps: x[1] trap invalid opcode ip:…", "general protection fault ip:…") has none, and
// is no kernel fault. DRBD 8.4 prints "ASSERT( … ) in file:line". First match names the line.
export const KERNEL_LOG_PATTERNS: readonly { name: string; re: RegExp }[] = [
  { name: 'kernel BUG', re: /\bkernel BUG at \S+:\d+!/u },
  { name: 'Kernel panic', re: /\bKernel panic - not syncing\b/u },
  { name: 'Oops', re: /\bOops\b/u },
  { name: 'invalid opcode', re: /\binvalid opcode: [0-9a-f]{4} \[#\d+\]/u },
  { name: 'general protection', re: /\bgeneral protection fault\b[^:]*: [0-9a-f]{4} \[#\d+\]/u },
  { name: 'oops header', re: /: [0-9a-f]{4} \[#\d+\]( |$)/u },
  { name: 'BUG:', re: /\bBUG:/u },
  { name: 'WARNING:', re: /\bWARNING:/u },
  { name: 'cut here', re: /-+\[ cut here \]-+/u },
  { name: 'RCU stall', re: /\bINFO: rcu_\w+ (?:self-)?detected (?:expedited )?stalls?\b/u },
  { name: 'hung task', re: /\bINFO: task .* blocked for more than\b/u },
  { name: 'UBSAN', re: /\bUBSAN:/u },
  { name: 'list corruption', re: /\blist_\w+ corruption\b/u },
  { name: 'ASSERT', re: /\bASSERT\b/u },
  { name: 'DRBD assertion', re: /drbd.*\bassert/iu },
];

/** The lines that mean the kernel went wrong. */
export function scanKernelLog(text: string): KernelLogHit[] {
  return text.split('\n').flatMap((line) => {
    const hit = KERNEL_LOG_PATTERNS.find((p) => p.re.test(line));
    return hit ? [{ line: line.trimEnd(), pattern: hit.name }] : [];
  });
}
