// parseCaptureFile on records written here in the captures' own field layout (the real files are
// read whole in drbdmanage-captures.test.ts): what each field may hold, and the refusals.
import { describe, expect, it } from 'vitest';
import { captureId, capturedCommandLine, parseCaptureFile } from './drbdmanage-capture.js';

const FILE = 'p2-cluster-setup__drbd1.jsonl';
const RECORD = {
  node: 'drbd1',
  phase: 'p2-cluster-setup',
  cmd: 'drbdmanage list-nodes   # via setsid',
  exit: 0,
  stdout: 'No nodes defined\n',
  stderr: '',
  t_start: '2026-12-07T00:04:07Z',
  duration_s: 1.2345,
  hostname: 'drbd1',
  tty: false,
};
const line = (changes: Record<string, unknown> = {}, drop: string[] = []) =>
  JSON.stringify(Object.fromEntries(Object.entries({ ...RECORD, ...changes }).filter(([k]) => !drop.includes(k))));

describe('parseCaptureFile', () => {
  it('reads each record with its file and line (blank lines counted, not read), optional fields only when present', () => {
    const text = ['', line(), '  ', line({ exit: null, hostname: null, tty: true, stdin: 'yes\n', note: 'reboot on the console' }), line({}, ['hostname'])].join('\n');
    const records = parseCaptureFile(FILE, text);
    expect(records).toEqual([
      {
        file: FILE, line: 2, node: 'drbd1', phase: 'p2-cluster-setup', cmd: 'drbdmanage list-nodes   # via setsid', exit: 0, stdout: 'No nodes defined\n',
        stderr: '', tStart: '2026-12-07T00:04:07Z', durationMs: 1235, hostname: 'drbd1', tty: false,
      },
      {
        file: FILE, line: 4, node: 'drbd1', phase: 'p2-cluster-setup', cmd: 'drbdmanage list-nodes   # via setsid', exit: null, stdout: 'No nodes defined\n',
        stderr: '', tStart: '2026-12-07T00:04:07Z', durationMs: 1235, hostname: null, tty: true, stdin: 'yes\n', note: 'reboot on the console',
      },
      expect.objectContaining({ line: 5, hostname: null }),
    ]);
    expect(Object.keys(records[0]!)).not.toContain('stdin');
    expect(Object.keys(records[0]!)).not.toContain('note');
    expect(parseCaptureFile(FILE, line({ tty: 'yes' }))[0]!.tty).toBe(false);
    expect(parseCaptureFile(FILE, line({ duration_s: 0 }))[0]!.durationMs).toBe(0);
    expect(captureId(records[1]!)).toBe('p2-cluster-setup__drbd1.jsonl:4');
    expect(capturedCommandLine(records[0]!)).toBe('drbdmanage list-nodes');
    expect(capturedCommandLine({ cmd: 'echo a#b' })).toBe('echo a#b');
  });

  it('takes a phase numbered past 9', () => {
    expect(parseCaptureFile('p12-late__drbd3.jsonl', line({ phase: 'p12-late', node: 'drbd3' }))[0]).toMatchObject({ phase: 'p12-late', node: 'drbd3' });
  });

  it('refuses a file name that is not <phase>__<node>.jsonl', () => {
    for (const bad of ['cluster-setup__drbd1.jsonl', 'p2-cluster-setup_drbd1.jsonl', 'p2-cluster-setup__drbd1.json', 'x/p2-cluster-setup__drbd1.jsonl', 'p2-cluster-setup__drbd1.jsonl.bak', 'p2__drbd1.jsonl', 'p2-setup__drbd-1.jsonl']) {
      expect(() => parseCaptureFile(bad, line()), bad).toThrow(/^drbdmanage-capture: .*: not a <phase>__<node>\.jsonl file name$/u);
    }
  });

  it('refuses, naming file and line, a record that is no JSON or of another node or phase', () => {
    expect(() => parseCaptureFile(FILE, `${line()}\n{"node":`)).toThrow(/^drbdmanage-capture: p2-cluster-setup__drbd1\.jsonl:2: not JSON \(/u);
    expect(() => parseCaptureFile(FILE, line({ node: 'drbd2' }))).toThrow(/^drbdmanage-capture: p2-cluster-setup__drbd1\.jsonl:1: node "drbd2" in a file of drbd1$/u);
    expect(() => parseCaptureFile(FILE, line({ phase: 'p3-reboot' }))).toThrow(/:1: phase "p3-reboot" in a file of p2-cluster-setup$/u);
  });

  it('refuses fields of the wrong type', () => {
    const cases: [Record<string, unknown>, string[], RegExp][] = [
      [{ exit: 1.5 }, [], /exit is neither an integer nor null$/u],
      [{ exit: '0' }, [], /exit is neither an integer nor null$/u],
      [{}, ['exit'], /exit is neither an integer nor null$/u],
      [{ duration_s: -1 }, [], /duration_s is not a number$/u],
      [{ duration_s: '1' }, [], /duration_s is not a number$/u],
      [{}, ['duration_s'], /duration_s is not a number$/u],
      [{ t_start: 'yesterday' }, [], /t_start "yesterday" is no time$/u],
      [{ t_start: 5 }, [], /t_start is not a string$/u],
      [{ cmd: ['ls'] }, [], /cmd is not a string$/u],
      [{}, ['stdout'], /stdout is not a string$/u],
      [{ stderr: null }, [], /stderr is not a string$/u],
      [{ hostname: 1 }, [], /hostname is not a string$/u],
      [{ stdin: 1 }, [], /stdin is not a string$/u],
      [{ note: false }, [], /note is not a string$/u],
    ];
    for (const [changes, drop, error] of cases) {
      expect(() => parseCaptureFile(FILE, line(changes, drop)), JSON.stringify({ changes, drop })).toThrow(error);
    }
  });
});
