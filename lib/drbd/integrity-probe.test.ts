import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, truncateSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataIntegrityError } from '../errors.js';
import { isDrbdParseError } from './errors.js';
import { assertProbeIntact, CHECKER_PY, parseAckLog, parseProbeCheck, PROBE_RECORD_BYTES, probeVerdict, WRITER_PY } from './integrity-probe.js';

const acks = (n: number, tail = '') => ['start 42', ...Array.from({ length: n }, (_, i) => `ack ${i + 1}`), tail].join('\n');

describe('parseAckLog', () => {
  it('counts acknowledgements', () => {
    expect(parseAckLog(acks(3, 'stopped 3'))).toEqual({ acked: 3, started: true, stopped: true, errors: [] });
    expect(parseAckLog(acks(2)).stopped).toBe(false);
  });
  it('keeps the writer’s errors', () => {
    expect(parseAckLog(acks(1, "error 1 OSError(5, 'Input/output error')")).errors).toHaveLength(1);
  });
  it('a gap or a stray line is not this writer’s log', () => {
    expect(() => parseAckLog('ack 1\nack 3')).toThrow(/ack 3 after ack 1/);
    expect(() => parseAckLog('Traceback (most recent call last):')).toThrow(/unexpected line/);
    expect(() => parseAckLog('ack 1\nstopped 2')).toThrow(/probe-ack-log: stopped at 2 after ack 1/);
  });
});

describe('parseProbeCheck', () => {
  it('reads runs, damage and a partial tail', () => {
    const c = parseProbeCheck('size 41000\nok 0-4\nbad 5 checksum\nok 6-9\npartial 10 40\nend\n');
    expect(c).toEqual({ sizeBytes: 41000, records: 10, intact: [{ from: 0, to: 4 }, { from: 6, to: 9 }], bad: [{ index: 5, why: 'checksum' }], partial: { index: 10, bytes: 40 } });
  });
  it('output without its end line is refused (the checker died or was cut off)', () => {
    let err: unknown;
    try {
      parseProbeCheck('size 8192\nok 0-1\n');
    } catch (e) {
      err = e;
    }
    expect(isDrbdParseError(err)).toBe(true);
    expect(String(err)).toMatch(/no end line/);
  });
  it('an unknown line is refused', () => {
    expect(() => parseProbeCheck('size 0\nfine\nend')).toThrow(/unexpected line/);
  });
});

describe('probeVerdict', () => {
  const check = (text: string) => parseProbeCheck(text);
  it('all acknowledged records intact, unacknowledged extras allowed', () => {
    const v = probeVerdict(parseAckLog(acks(8)), check(`size ${10 * 4096}\nok 0-9\nend`));
    expect(v).toMatchObject({ ok: true, acked: 8, missing: 0, damaged: [], extras: 2, tornUnacked: 0 });
  });
  it('an acknowledged record missing fails', () => {
    const v = probeVerdict(parseAckLog(acks(10)), check(`size ${9 * 4096}\nok 0-8\nend`));
    expect(v.ok).toBe(false);
    expect(v.missing).toBe(1);
    expect(() => assertProbeIntact('drbd2', v)).toThrow(DataIntegrityError);
    expect(() => assertProbeIntact('drbd2', v)).toThrow(/drbd2: acknowledged data not intact after the fault: 10 acknowledged, 9 of them intact.*\n {2}1 acknowledged record\(s\) missing/);
  });
  it('an acknowledged record damaged fails', () => {
    const v = probeVerdict(parseAckLog(acks(5)), check(`size ${5 * 4096}\nok 0-2\nbad 3 checksum\nok 4-4\nend`));
    expect(v).toMatchObject({ ok: false, damaged: [3] });
  });
  it('the last, unacknowledged record may be torn (the write in flight); torn with data after it may not', () => {
    expect(probeVerdict(parseAckLog(acks(4)), check(`size ${5 * 4096 + 100}\nok 0-4\npartial 5 100\nend`))).toMatchObject({ ok: true, extras: 1, tornUnacked: 1 });
    expect(probeVerdict(parseAckLog(acks(4)), check(`size ${6 * 4096}\nok 0-3\nbad 4 checksum\nok 5-5\nend`)).ok).toBe(false);
  });
  it('a writer error fails', () => {
    expect(probeVerdict(parseAckLog(acks(2, "error 2 OSError(5, 'EIO')")), check(`size ${2 * 4096}\nok 0-1\nend`)).ok).toBe(false);
  });
});

const caught = (f: () => unknown): unknown => {
  try {
    f();
  } catch (e) {
    return e;
  }
  return 'nothing thrown';
};

describe('parseAckLog: shapes', () => {
  it('blank lines are skipped; without a start line it was not started', () => {
    expect(parseAckLog('\nack 1\n\nack 2\n')).toEqual({ acked: 2, started: false, stopped: false, errors: [] });
    expect(parseAckLog('')).toEqual({ acked: 0, started: false, stopped: false, errors: [] });
    expect(parseAckLog('start 1\nstopped 0')).toEqual({ acked: 0, started: true, stopped: true, errors: [] });
    // Lines as read back through a terminal: CR LF ends, padding.
    expect(parseAckLog('start 1\r\n  ack 1 \r\nstopped 1\r\n')).toEqual({ acked: 1, started: true, stopped: true, errors: [] });
  });

  it('a repeated ack, or lines like the writer\'s with more or less on them, are refused at their line', () => {
    expect(() => parseAckLog('start 1\nack 1\nack 1')).toThrow(/^probe-ack-log: ack 1 after ack 1 at line 3: "ack 1"$/);
    for (const stray of ['restart 1', 'start 1 2', 'start x', 'ack 1x', 'the ack 1', 'stopped', 'xstopped 0', 'stopped 0 1', 'error 1', 'myerror 1 x']) {
      expect(() => parseAckLog(`\n${stray}`), stray).toThrow(/^probe-ack-log: unexpected line at line 2: /);
    }
    expect(() => parseAckLog('ack 1\n\nstopped 2')).toThrow(/stopped at 2 after ack 1 at line 3: "stopped 2"$/);
  });
});

describe('parseProbeCheck: shapes', () => {
  it('an empty file, damage by number; whole records counted down from the size', () => {
    expect(parseProbeCheck('size 0\nend')).toEqual({ sizeBytes: 0, records: 0, intact: [], bad: [] });
    expect(parseProbeCheck('\nsize 8191\nbad 0 number\n\nend\n')).toEqual({ sizeBytes: 8191, records: 1, intact: [], bad: [{ index: 0, why: 'number' }] });
    expect(parseProbeCheck(`size ${30 * 4096}\r\n ok 0-9 \r\nbad 10 checksum\r\nbad 11 number\r\nok 12-29\r\nend\r\n`)).toEqual({
      sizeBytes: 30 * 4096, records: 30, intact: [{ from: 0, to: 9 }, { from: 12, to: 29 }], bad: [{ index: 10, why: 'checksum' }, { index: 11, why: 'number' }],
    });
  });

  it('refuses a line after the end, output without a size, and lines with more or other words, at their line', () => {
    expect(() => parseProbeCheck('size 0\nend\nok 0-1')).toThrow(/^probe-check: line after end at line 3: "ok 0-1"$/);
    expect(() => parseProbeCheck('ok 0-1\nend')).toThrow(/^probe-check: no size line$/);
    expect(() => parseProbeCheck('size 0')).toThrow(/^probe-check: no end line: output incomplete$/);
    expect(caught(() => parseProbeCheck('size 0\nfine\nend'))).toMatchObject({ parser: 'probe-check', reason: 'unexpected line', line: 'fine', lineNumber: 2 });
    expect(caught(() => parseProbeCheck('size 0\nend\nend'))).toMatchObject({ parser: 'probe-check', reason: 'line after end', lineNumber: 3 });
    for (const stray of ['size 1 2', 'mysize 1', 'ok 1', 'ok 0-1 x', 'took 0-1', 'bad 1 torn', 'bad 1', 'bad 1 checksum x', 'a bad 1 number', 'partial 1', 'partial 1 2 3', 'xpartial 1 2', 'ending']) {
      expect(() => parseProbeCheck(`size 0\n${stray}\nend`), stray).toThrow(/^probe-check: unexpected line at line 2: /);
    }
  });
});

describe('probeVerdict: what each problem says', () => {
  const check = (text: string) => parseProbeCheck(text);

  it('all intact: nothing to say but the summary', () => {
    expect(probeVerdict(parseAckLog(acks(3)), check(`size ${3 * 4096}\nok 0-2\nend`))).toEqual({
      ok: true, acked: 3, missing: 0, damaged: [], extras: 0, tornUnacked: 0, problems: [],
      summary: '3 acknowledged, 3 of them intact; 0 unacknowledged extra(s), 0 torn beyond the acknowledgements',
    });
  });

  it('missing and damaged acknowledged records, at most five damaged named, all counted', () => {
    const bad = [0, 1, 2, 3, 4, 5].map((i) => `bad ${i} checksum`).join('\n');
    const v = probeVerdict(parseAckLog(acks(9)), check(`size ${8 * 4096}\n${bad}\nok 6-7\nend`));
    expect(v).toMatchObject({ ok: false, acked: 9, missing: 1, damaged: [0, 1, 2, 3, 4, 5], extras: 0, tornUnacked: 0 });
    expect(v.problems).toEqual([
      '1 acknowledged record(s) missing: the file holds 8 whole records, 9 were acknowledged',
      ...[0, 1, 2, 3, 4].map((i) => `acknowledged record ${i} damaged (checksum)`),
    ]);
    expect(v.summary).toBe('9 acknowledged, 2 of them intact; 0 unacknowledged extra(s), 0 torn beyond the acknowledgements');
  });

  it('an acknowledged record cut short is named; one beyond the acknowledgements is only counted', () => {
    const cut = probeVerdict(parseAckLog(acks(3)), check(`size ${2 * 4096 + 10}\nok 0-1\npartial 2 10\nend`));
    expect(cut.problems).toEqual([
      '1 acknowledged record(s) missing: the file holds 2 whole records, 3 were acknowledged',
      'acknowledged record 2 cut short (10 bytes)',
    ]);
    expect(cut.tornUnacked).toBe(0);
    const torn = probeVerdict(parseAckLog(acks(2)), check(`size ${2 * 4096 + 10}\nok 0-1\npartial 2 10\nend`));
    expect(torn).toMatchObject({ ok: true, tornUnacked: 1, problems: [] });
  });

  it('beyond the acknowledgements only the last record may be torn: a damaged one before a partial tail, or before more records, is damage', () => {
    const lastWhole = probeVerdict(parseAckLog(acks(2)), check(`size ${4 * 4096}\nok 0-2\nbad 3 number\nend`));
    expect(lastWhole).toMatchObject({ ok: true, damaged: [], extras: 1, tornUnacked: 1, problems: [] });
    expect(lastWhole.summary).toBe('2 acknowledged, 2 of them intact; 1 unacknowledged extra(s), 1 torn beyond the acknowledgements');
    // The first record past the last acknowledgement, torn: not acknowledged, so not damage.
    const justPast = probeVerdict(parseAckLog(acks(3)), check(`size ${4 * 4096}\nok 0-2\nbad 3 checksum\nend`));
    expect(justPast).toMatchObject({ ok: true, damaged: [], extras: 0, tornUnacked: 1, problems: [] });
    const beforePartial = probeVerdict(parseAckLog(acks(2)), check(`size ${4 * 4096 + 10}\nok 0-2\nbad 3 number\npartial 4 10\nend`));
    expect(beforePartial).toMatchObject({ ok: false, extras: 1, tornUnacked: 2 });
    expect(beforePartial.problems).toEqual(['unacknowledged record 3 damaged (number) with data after it']);
    const acknowledgedAndLast = probeVerdict(parseAckLog(acks(4)), check(`size ${4 * 4096}\nok 0-2\nbad 3 number\nend`));
    expect(acknowledgedAndLast.problems).toEqual(['acknowledged record 3 damaged (number)']);
    expect(acknowledgedAndLast.tornUnacked).toBe(0);
  });

  it('extras are the intact records past the last acknowledgement, over every run', () => {
    expect(probeVerdict(parseAckLog(acks(3)), check(`size ${9 * 4096}\nok 0-4\nbad 5 checksum\nok 6-8\nend`))).toMatchObject({ extras: 5, tornUnacked: 1, ok: false });
    expect(probeVerdict(parseAckLog(acks(0)), check(`size ${2 * 4096}\nok 0-1\nend`)).extras).toBe(2);
  });

  it("the writer's errors are problems, each as it logged it", () => {
    const v = probeVerdict(parseAckLog(acks(2, "error 2 OSError(5, 'EIO')")), check(`size ${2 * 4096}\nok 0-1\nend`));
    expect(v.problems).toEqual(["the writer failed: error 2 OSError(5, 'EIO')"]);
    expect(() => assertProbeIntact('drbd1', v)).toThrow(expect.objectContaining({ node: 'drbd1', summary: v.summary, problems: v.problems }));
    expect(() => assertProbeIntact('drbd1', probeVerdict(parseAckLog(acks(2)), check(`size ${2 * 4096}\nok 0-1\nend`)))).not.toThrow();
  });
});

// The scripts themselves, run by the host's python3 on a temp file: what the guest runs.
describe('writer and checker scripts', () => {
  const py = (script: string, args: string[]) => execFileSync('python3', ['-c', script, ...args], { encoding: 'utf8', timeout: 15_000 });
  it('records written by the writer pass the checker; a flipped byte and a cut tail are seen', () => {
    const dir = mkdtempSync(join(tmpdir(), 'probe-'));
    const data = join(dir, 'probe.dat');
    const ack = join(dir, 'ack');
    const stop = join(dir, 'stop');
    // Stopped once it acknowledged five records (it looks for the stop file before each record).
    const child = execFileSync('sh', ['-c', `python3 -c "$1" ${data} ${ack} ${stop} 0.01 & until grep -qx 'ack 5' ${ack} 2>/dev/null; do :; done; touch ${stop}; wait`, 'sh', WRITER_PY], { encoding: 'utf8', timeout: 15_000 });
    expect(child).toBe('');
    const log = parseAckLog(readFileSync(ack, 'utf8'));
    expect(log.stopped).toBe(true);
    expect(log.acked).toBeGreaterThanOrEqual(5);
    expect(existsSync(data)).toBe(true);
    const good = probeVerdict(log, parseProbeCheck(py(CHECKER_PY, [data])));
    expect(good).toMatchObject({ ok: true, extras: 0, tornUnacked: 0 });

    const bytes = readFileSync(data);
    const at = 2 * PROBE_RECORD_BYTES + 100;
    bytes.writeUInt8(bytes.readUInt8(at) ^ 0xff, at);
    writeFileSync(data, bytes);
    truncateSync(data, bytes.length - 10);
    const bad = parseProbeCheck(py(CHECKER_PY, [data]));
    expect(bad.bad).toEqual([{ index: 2, why: 'checksum' }]);
    expect(bad.partial).toEqual({ index: log.acked - 1, bytes: PROBE_RECORD_BYTES - 10 });
    expect(probeVerdict(log, bad).problems).toEqual(expect.arrayContaining(['acknowledged record 2 damaged (checksum)']));
  });
});
