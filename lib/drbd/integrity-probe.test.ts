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
