// Kernel health: what `dmesg --notime` printed on a node while a scenario ran, and the lines in
// it that mean the kernel (or DRBD in it) went wrong, whatever the scenario's own checks said.

/** Where a node's kernel log stood at scenario start: which boot, how many lines. */
export interface KernelLogMark {
  bootId: string;
  lines: number;
}

/** Output of MARK_COMMAND: the boot id, then the number of dmesg lines. */
export function parseKernelLogMark(output: string): KernelLogMark | null {
  const [bootId, count, ...rest] = output.trim().split('\n').map((l) => l.trim());
  if (!bootId || !/^[0-9a-f-]{36}$/u.test(bootId) || !count || !/^\d+$/u.test(count) || rest.length > 0) return null;
  return { bootId, lines: Number(count) };
}

/** `/proc/sys/kernel/random/boot_id` changes on every boot; bash for pipefail (a failing dmesg must not read as 0 lines). */
export const BOOT_ID_COMMAND = 'cat /proc/sys/kernel/random/boot_id';
export const MARK_COMMAND = `${BOOT_ID_COMMAND} && sudo bash -o pipefail -c 'dmesg --notime | wc -l'`;
/** Same boot: the lines after the mark. A ring buffer that wrapped meanwhile loses lines (the buffer is large). */
export const sinceCommand = (mark: KernelLogMark) => `sudo bash -o pipefail -c 'dmesg --notime | tail -n +${mark.lines + 1}'`;
/** New boot (the scenario rebooted the node): all of it; the end of the earlier boot is gone. */
export const WHOLE_BOOT_COMMAND = 'sudo dmesg --notime';

export interface KernelLogHit {
  line: string;
  /** Which pattern matched, for the message. */
  pattern: string;
}

// Case matters: the kernel prints these in capitals ("BUG: soft lockup", "WARNING: CPU: 0 PID:"),
// while ordinary lines say "warning" in lower case. DRBD 8.4 prints "ASSERT( … ) in file:line".
const PATTERNS: readonly { name: string; re: RegExp }[] = [
  { name: 'BUG:', re: /\bBUG:/u },
  { name: 'WARNING:', re: /\bWARNING:/u },
  { name: 'hung task', re: /INFO: task .* blocked/u },
  { name: 'general protection', re: /general protection/u },
  { name: 'Oops', re: /\bOops\b/u },
  { name: 'ASSERT', re: /\bASSERT\b/u },
  { name: 'DRBD assertion', re: /drbd.*\bassert/iu },
];

/** The lines that mean the kernel went wrong. */
export function scanKernelLog(text: string): KernelLogHit[] {
  return text.split('\n').flatMap((line) => {
    const hit = PATTERNS.find((p) => p.re.test(line));
    return hit ? [{ line: line.trimEnd(), pattern: hit.name }] : [];
  });
}
