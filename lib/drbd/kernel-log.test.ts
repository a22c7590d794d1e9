// Fixtures (fixtures/README.md): kernel-log-84-hits/-clean and kernel-log-61-hits/-not-faults are
// hand-made in the kernel's and DRBD's formats; kernel-log-61-boot-real.txt (a whole boot, `dmesg
// --notime`) and kernel-log-61-tail-real.txt (`dmesg | tail -n 60`, stamped) are real, from our VMs.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  bootStart, entryAt, journalAfterCommand, journalAtCommand, journalLines, KERNEL_LOG_PATTERNS, linesAfter, MARK_COMMAND, parseJournalJson,
  parseKernelLogMark, parsePosition, POSITION_COMMAND, readFromCommand, scanKernelLog, sinceCommand, stampMicros, withStamp,
} from './kernel-log.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const BOOT = '0f3c7d0e-5c1e-4a53-9a43-6f0ad8d0a1b2';
const lines = (text: string) => text.replace(/\n$/u, '').split('\n');

describe('scanKernelLog: what matters', () => {
  it("6.1's oops formats: a BUG_ON (cut here, kernel BUG at, invalid opcode, panic), newer kernels' Oops, GPF, stall, UBSAN, list corruption, DRBD assertions", () => {
    const hits = scanKernelLog(fixture('kernel-log-61-hits.txt')).map((h) => [h.line.replace(/^\[ *\d+\.\d+\] /u, '').slice(0, 40), h.pattern]);
    expect(hits).toEqual([
      ['------------[ cut here ]------------', 'cut here'],
      ['kernel BUG at drivers/block/drbd/drbd_re', 'kernel BUG'],
      ['invalid opcode: 0000 [#1] PREEMPT SMP NO', 'invalid opcode'],
      ['Kernel panic - not syncing: Fatal except', 'Kernel panic'],
      ['---[ end Kernel panic - not syncing: Fat', 'Kernel panic'],
      ['Oops: invalid opcode: 0000 [#2] PREEMPT ', 'Oops'],
      ['general protection fault, probably for n', 'general protection'],
      ['stack segment: 0000 [#4] PREEMPT SMP NOP', 'oops header'],
      ['BUG: kernel NULL pointer dereference, ad', 'BUG:'],
      ['WARNING: CPU: 0 PID: 2318 at drivers/blo', 'WARNING:'],
      ['rcu: INFO: rcu_sched detected stalls on ', 'RCU stall'],
      ['rcu: INFO: rcu_preempt self-detected sta', 'RCU stall'],
      ['rcu: INFO: rcu_preempt detected expedite', 'RCU stall'],
      ['INFO: task kworker/u4:2:97 blocked for m', 'hung task'],
      ['UBSAN: array-index-out-of-bounds in driv', 'UBSAN'],
      ['list_add corruption. next->prev should b', 'list corruption'],
      ['list_del corruption, ffff9a0c4f2b1c40->n', 'list corruption'],
      ['block drbd100: ASSERT( mdev->state.disk ', 'ASSERT'],
      ['drbd r0/0 drbd100: assertion failed: dev', 'DRBD assertion'],
    ]);
  });

  it('every pattern names at least one fixture line, and matches it without the timestamp too (dmesg --notime)', () => {
    const text = fixture('kernel-log-61-hits.txt');
    const named = new Set(scanKernelLog(text).map((h) => h.pattern));
    expect(KERNEL_LOG_PATTERNS.map((p) => p.name).filter((n) => !named.has(n))).toEqual([]);
    const bare = text.replace(/^\[ *\d+\.\d+\] /gmu, '');
    expect(scanKernelLog(bare).map((h) => h.pattern)).toEqual(scanKernelLog(text).map((h) => h.pattern));
  });

  it('the dmesg --notime fixtures: DRBD ASSERT, cut here, WARNING, hung task, BUG, Oops, GPF', () => {
    expect(scanKernelLog(fixture('kernel-log-84-hits.txt')).map((h) => h.pattern)).toEqual([
      'ASSERT', 'cut here', 'WARNING:', 'hung task', 'BUG:', 'Oops', 'general protection',
    ]);
  });

  it('real logs of our VMs are no hit: a whole boot (rcu: lines included) and a stamped tail with DRBD state lines', () => {
    const boot = fixture('kernel-log-61-boot-real.txt');
    expect(boot).toMatch(/^rcu: Preemptible hierarchical RCU implementation\.$/mu);
    expect(lines(boot).length).toBeGreaterThan(500);
    expect(scanKernelLog(boot)).toEqual([]);
    const tail = fixture('kernel-log-61-tail-real.txt');
    expect(tail).toMatch(/disk\( Inconsistent -> Failed \)/u);
    expect(scanKernelLog(tail)).toEqual([]);
  });

  it('ordinary lines are no hit: lower-case warnings, DRBD state and split-brain lines, a process that traps or segfaults', () => {
    const text = fixture('kernel-log-61-not-faults.txt');
    expect(text).toMatch(/warning/u);
    expect(text).toMatch(/trap invalid opcode/u);
    expect(text).toMatch(/general protection fault ip:/u);
    expect(text).toMatch(/Split-Brain detected but unresolved/u);
    expect(scanKernelLog(text)).toEqual([]);
    expect(scanKernelLog(fixture('kernel-log-84-clean.txt'))).toEqual([]);
    expect(scanKernelLog('')).toEqual([]);
  });

  it('keeps the line as printed, without trailing blanks', () => {
    expect(scanKernelLog('[   12.000001] drbd r0: assertion failed: x  \n')).toEqual([{ line: '[   12.000001] drbd r0: assertion failed: x', pattern: 'DRBD assertion' }]);
  });
});

describe('positions: where the check stopped, found again by its text', () => {
  const tail = fixture('kernel-log-61-tail-real.txt');
  const all = lines(tail);

  it('parses the boot id and the last dmesg line numbered by cat -n (its trailing blank kept)', () => {
    const out = `${BOOT}\n   563\t${all[22]}\n`;
    expect(all[22]).toMatch(/ $/u);
    expect(parsePosition(out)).toEqual({ bootId: BOOT, line: 563, text: all[22] });
    expect(POSITION_COMMAND).toContain("'dmesg | cat -n | tail -n 1'");
    expect(POSITION_COMMAND).toContain('pipefail');
  });

  it('rejects anything else', () => {
    expect(parsePosition('')).toBeNull();
    expect(parsePosition(`${BOOT}\n`)).toBeNull();
    expect(parsePosition(`${BOOT}\nmany\tlines\n`)).toBeNull();
    expect(parsePosition(`${BOOT}\n     0\t[    0.000000] x\n`)).toBeNull();
    expect(parsePosition(`not-a-boot-id\n     3\tx\n`)).toBeNull();
    expect(parsePosition(`${BOOT}\n     3\tx\nmore\n`)).toBeNull();
  });

  it('reads from the position on: the lines after it, and the new position at the last', () => {
    const p = { bootId: BOOT, line: 500, text: all[20]! };
    expect(readFromCommand(p)).toBe(`sudo bash -o pipefail -c 'dmesg | tail -n +500'`);
    const read = linesAfter(p, `${all.slice(20).join('\n')}\n`);
    expect(read).toEqual({ ok: true, lines: all.slice(21), position: { bootId: BOOT, line: 500 + all.length - 21, text: all.at(-1) } });
    // Nothing new: the same position.
    expect(linesAfter(p, `${all[20]}\n`)).toEqual({ ok: true, lines: [], position: p });
  });

  it('a line DRBD ends with a space matches its position, whose text the SSH layer trimmed (seen on VMs)', () => {
    // Real 8.4 line, with the trailing blank it is printed with; the position came last in POSITION_COMMAND's output.
    const drbd = '[   82.830172] block drbd100: peer( Unknown -> Secondary ) conn( WFReportParams -> Connected ) pdsk( DUnknown -> UpToDate ) ';
    const p = parsePosition(`${BOOT}\n   515\t${drbd}`.trimEnd())!;
    expect(p.text).toBe(drbd.trimEnd());
    const next = '[  100.066804] block drbd100: role( Secondary -> Primary ) ';
    expect(linesAfter(p, `${drbd}\n${next}\n`)).toEqual({ ok: true, lines: [next], position: { bootId: BOOT, line: 516, text: next } });
  });

  it('a ring buffer that wrapped (the lines moved up) or was cleared is no read: what stood there is said', () => {
    const p = { bootId: BOOT, line: 500, text: all[20]! };
    expect(linesAfter(p, `${all.slice(23).join('\n')}\n`)).toEqual({ ok: false, expected: `line 500: ${all[20]}`, found: all[23] });
    expect(linesAfter(p, '')).toEqual({ ok: false, expected: `line 500: ${all[20]}`, found: '(nothing: fewer lines than before)' });
  });

  it('a boot read from its start begins with the kernel banner at time zero; a wrapped one does not', () => {
    const banner = '[    0.000000] Linux version 6.1.0-50-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian 6.1.176-1 (2026-07-02)';
    const p = bootStart(BOOT);
    expect(readFromCommand(p)).toBe('sudo dmesg');
    expect(linesAfter(p, `${banner}\n${all.join('\n')}\n`)).toEqual({ ok: true, lines: [banner, ...all], position: { bootId: BOOT, line: all.length + 1, text: all.at(-1) } });
    expect(linesAfter(p, `${tail}\n`)).toMatchObject({ ok: false, found: all[0] });
    expect(linesAfter(p, '')).toMatchObject({ ok: false, found: '(nothing)' });
  });

  it('stamps: dmesg\'s [seconds.micros] to µs and back', () => {
    expect(stampMicros(all[21]!)).toBe(375_274_719);
    expect(withStamp(375_274_719, 'drbd r3: Starting worker thread (from drbdsetup-84 [487])')).toBe(all[21]);
    expect(withStamp(0, 'x')).toBe('[    0.000000] x');
    expect(withStamp(123_456_000_001, 'x')).toBe('[123456.000001] x');
    expect(stampMicros('drbd r0: no stamp')).toBeNull();
  });
});

describe('the journal of a boot before', () => {
  const cursor = (i: number) => `s=9b1c0e3f2a4d4b6c8e0f1a2b3c4d5e6f;i=${i.toString(16)};b=0f3c7d0e5c1e4a539a436f0ad8d0a1b2;m=${(i * 1000).toString(16)};t=60a1b2c3d4e5f;x=1a2b3c4d5e6f7a8b`;
  const entry = (i: number, micros: number, message: unknown) =>
    JSON.stringify({ __CURSOR: cursor(i), __REALTIME_TIMESTAMP: '1764380000000000', __MONOTONIC_TIMESTAMP: String(micros + 15), _BOOT_ID: BOOT.replace(/-/gu, ''), MESSAGE: message, _SOURCE_MONOTONIC_TIMESTAMP: String(micros) });

  it('commands: the boot id as journalctl writes it, the kernel\'s timestamp as a match, a cursor quoted', () => {
    expect(journalAtCommand({ bootId: BOOT, line: 12, text: '[  375.274719] drbd r3: x' })).toBe(
      'sudo journalctl -k -b 0f3c7d0e5c1e4a539a436f0ad8d0a1b2 _SOURCE_MONOTONIC_TIMESTAMP=375274719 -o json --output-fields=MESSAGE,_SOURCE_MONOTONIC_TIMESTAMP --all -q --no-pager',
    );
    expect(journalAfterCommand(BOOT, cursor(3))).toBe(`sudo journalctl -k -b 0f3c7d0e5c1e4a539a436f0ad8d0a1b2 --after-cursor='${cursor(3)}' -o json --output-fields=MESSAGE,_SOURCE_MONOTONIC_TIMESTAMP --all -q --no-pager`);
    expect(journalAfterCommand(BOOT)).not.toContain('cursor');
    expect(() => journalAfterCommand(BOOT, "s=1';reboot;'")).toThrow('not a journal cursor');
  });

  it('parses entries (a message of bytes too) and renders them as dmesg lines', () => {
    const out = [entry(1, 375_274_719, 'drbd r3: Starting worker thread (from drbdsetup-84 [487])'), entry(2, 812_345_701, [107, 101, 114, 110, 101, 108, 32, 66, 85, 71, 0xff]), ''].join('\n');
    const entries = parseJournalJson(out)!;
    expect(entries.map((e) => e.micros)).toEqual([375_274_719, 812_345_701]);
    expect(entries[0]!.cursor).toBe(cursor(1));
    expect(journalLines(entries)).toEqual(['[  375.274719] drbd r3: Starting worker thread (from drbdsetup-84 [487])', '[  812.345701] kernel BUG\u00ff']);
    expect(parseJournalJson('')).toEqual([]);
  });

  it('anything else is no journal output', () => {
    expect(parseJournalJson('-- No entries --')).toBeNull();
    expect(parseJournalJson('{"MESSAGE":"x"}')).toBeNull();
    expect(parseJournalJson('[1]')).toBeNull();
    expect(parseJournalJson(JSON.stringify({ __CURSOR: 'c', MESSAGE: null }))).toBeNull();
  });

  it("finds the position's line: same timestamp, and the dmesg text ends with the message (journald keeps a syslog identifier apart)", () => {
    const entries = parseJournalJson([entry(1, 500, 'other line'), entry(2, 600, 'block drbd101: disk( Diskless -> Attaching ) '), entry(3, 700, 'x written by a process')].join('\n'))!;
    expect(entryAt(entries, { bootId: BOOT, line: 9, text: '[    0.000600] block drbd101: disk( Diskless -> Attaching ) ' })?.cursor).toBe(cursor(2));
    expect(entryAt(entries, { bootId: BOOT, line: 9, text: '[    0.000700] drbdlab: x written by a process' })?.cursor).toBe(cursor(3));
    // Same stamp, another text; another stamp, same text: not the line.
    expect(entryAt(entries, { bootId: BOOT, line: 9, text: '[    0.000600] block drbd101: disk( Attaching -> UpToDate ) ' })).toBeUndefined();
    expect(entryAt(entries, { bootId: BOOT, line: 9, text: '[    0.000601] block drbd101: disk( Diskless -> Attaching ) ' })).toBeUndefined();
  });
});

describe('line-count marks (a step\'s own read of what DRBD logged)', () => {
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

describe('edges of the parsers (survivors of the mutation run)', () => {
  const cursor = 's=9b1c0e3f2a4d4b6c8e0f1a2b3c4d5e6f;i=1';
  const json = (o: Record<string, unknown>) => JSON.stringify({ __CURSOR: cursor, ...o });

  it('marks: only the boot id and a count, each trimmed', () => {
    expect(parseKernelLogMark(`${BOOT} \n 812 \n`)).toEqual({ bootId: BOOT, lines: 812 });
    expect(parseKernelLogMark(`${BOOT}\nx12\n`)).toBeNull();
    expect(parseKernelLogMark(`${BOOT}\n812\nmore\n`)).toBeNull();
  });

  it('positions: line 1 is one; text before the number is not', () => {
    expect(parsePosition(`${BOOT}\n     1\t[    0.000000] Linux version 6.1\n`)).toEqual({ bootId: BOOT, line: 1, text: '[    0.000000] Linux version 6.1' });
    expect(parsePosition(`${BOOT}\nx    3\tline\n`)).toBeNull();
  });

  it('stamps only at the start of a line; a position without one has no journal command', () => {
    expect(stampMicros('x [    1.000000] y')).toBeNull();
    expect(() => journalAtCommand({ bootId: BOOT, line: 3, text: 'no stamp' })).toThrow("no [seconds.micros] stamp in the position's line: no stamp");
  });

  it('the journal after a boot\'s start, exactly; a cursor must be cursor characters from its first one', () => {
    expect(journalAfterCommand(BOOT)).toBe('sudo journalctl -k -b 0f3c7d0e5c1e4a539a436f0ad8d0a1b2 -o json --output-fields=MESSAGE,_SOURCE_MONOTONIC_TIMESTAMP --all -q --no-pager');
    expect(() => journalAfterCommand(BOOT, "'s=1")).toThrow('not a journal cursor');
  });

  it('journal entries: blank lines skipped; a null line, an empty MESSAGE array or one of mixed values is no journal output', () => {
    expect(parseJournalJson(`${json({ MESSAGE: 'x', _SOURCE_MONOTONIC_TIMESTAMP: '5' })}\n   \n`)).toEqual([{ cursor, micros: 5, message: 'x' }]);
    expect(parseJournalJson('null')).toBeNull();
    expect(parseJournalJson(json({ MESSAGE: [] }))).toBeNull();
    expect(parseJournalJson(json({ MESSAGE: [120, 'y'] }))).toBeNull();
  });

  it('journal entries: a MESSAGE of several values is its first; a missing or non-numeric timestamp is none', () => {
    expect(parseJournalJson(json({ MESSAGE: ['first', 'second'], _SOURCE_MONOTONIC_TIMESTAMP: '7' }))).toEqual([{ cursor, micros: 7, message: 'first' }]);
    expect(parseJournalJson(json({ MESSAGE: 'x' }))![0]!.micros).toBeNull();
    for (const t of ['7x', 'x7']) expect(parseJournalJson(json({ MESSAGE: 'x', _SOURCE_MONOTONIC_TIMESTAMP: t }))![0]!.micros).toBeNull();
  });

  it('journal lines: each line of a message stamped, only its trailing newline dropped; no timestamp, no stamp', () => {
    expect(journalLines([{ cursor, micros: 1_000_001, message: 'a\nb\n' }])).toEqual(['[    1.000001] a', '[    1.000001] b']);
    expect(journalLines([{ cursor, micros: null, message: 'plain' }])).toEqual(['plain']);
  });

  it("an empty message at the position's timestamp is not its line", () => {
    expect(entryAt([{ cursor, micros: 600, message: '' }], { bootId: BOOT, line: 9, text: '[    0.000600] block drbd101: x' })).toBeUndefined();
  });
});
