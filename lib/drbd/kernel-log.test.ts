// kernel-log-84-*.txt are hand-made (fixtures/README.md): dmesg --notime lines in the kernel's
// and DRBD 8.4's formats, not captured on a guest.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MARK_COMMAND, parseKernelLogMark, scanKernelLog, sinceCommand } from './kernel-log.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const BOOT = '0f3c7d0e-5c1e-4a53-9a43-6f0ad8d0a1b2';

describe('scanKernelLog', () => {
  it('finds BUG, WARNING, a hung task, an Oops, a GPF and a DRBD ASSERT', () => {
    expect(scanKernelLog(fixture('kernel-log-84-hits.txt')).map((h) => h.pattern)).toEqual([
      'ASSERT', 'WARNING:', 'hung task', 'BUG:', 'Oops', 'general protection',
    ]);
  });

  it('a clean resync and mount is no hit, nor a line that merely says "warning" in lower case', () => {
    const text = fixture('kernel-log-84-clean.txt');
    expect(text).toMatch(/warning/);
    expect(scanKernelLog(text)).toEqual([]);
    expect(scanKernelLog('')).toEqual([]);
  });

  it('keeps the line as printed', () => {
    expect(scanKernelLog('drbd r0: assertion failed: x\n')).toEqual([{ line: 'drbd r0: assertion failed: x', pattern: 'DRBD assertion' }]);
  });
});

describe('kernel log mark', () => {
  it('parses boot id and line count', () => {
    expect(parseKernelLogMark(`${BOOT}\n812\n`)).toEqual({ bootId: BOOT, lines: 812 });
    expect(sinceCommand({ bootId: BOOT, lines: 812 })).toBe(`sudo bash -o pipefail -c 'dmesg --notime | tail -n +813'`);
  });

  it('rejects anything else', () => {
    expect(parseKernelLogMark('')).toBeNull();
    expect(parseKernelLogMark(`${BOOT}\n`)).toBeNull();
    expect(parseKernelLogMark(`${BOOT}\nmany\n`)).toBeNull();
    expect(parseKernelLogMark(`not-a-boot-id\n3\n`)).toBeNull();
    expect(MARK_COMMAND).toContain('pipefail');
  });
});
