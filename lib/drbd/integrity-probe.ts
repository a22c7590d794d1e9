// The data-integrity probe: a writer in the guest appends numbered, checksummed records of a
// fixed size to a file on the DRBD device, each acknowledged only after fsync() returned, and
// logs every acknowledgement OUTSIDE the device (on the node's root disk, fsync'd too, so it
// survives a power cut of that node). After a fault a checker reads the file on the node that
// holds the data now; the host sets what it read against the acknowledgements.
//
// Both scripts are python3 (in the image: cloud-init needs it) and travel in the command that
// writes them, so a recording holds them. Parsing and the verdict are pure, below.
import { DataIntegrityError } from '../errors.js';
import { DrbdParseError } from './errors.js';

export const PROBE_RECORD_BYTES = 4096;

/**
 * argv: data file, ack log, stop file, pause between records (s). The data file must be new
 * (O_EXCL), so record n sits at n * 4096. Record: `drbdlab-probe <n, 10 digits> `, filler derived
 * from n, then the hex sha256 of all before it (64 bytes). `ack N` = records 0..N-1 are on stable
 * storage. The pause keeps the rate (and so a resync's size) small and steady under TCG.
 */
export const WRITER_PY = `import hashlib, os, sys, time
data, ack, stop, pause = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
R = ${PROBE_RECORD_BYTES}
def record(n):
    head = b'drbdlab-probe %010d ' % n
    seed = hashlib.sha256(head).digest()
    head += (seed * R)[: R - 64 - len(head)]
    return head + hashlib.sha256(head).hexdigest().encode()
a = os.open(ack, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
def log(line):
    os.write(a, line.encode() + b'\\n')
    os.fsync(a)
n = 0
try:
    fd = os.open(data, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
    log('start %d' % os.getpid())
    while not os.path.exists(stop):
        os.write(fd, record(n))
        os.fsync(fd)
        n += 1
        log('ack %d' % n)
        time.sleep(pause)
    log('stopped %d' % n)
except Exception as e:
    log('error %d %r' % (n, e))
`;

/** argv: data file. Prints `size B`, runs of intact records `ok A-B`, `bad I why`, `partial I BYTES`, `end`. */
export const CHECKER_PY = `import hashlib, sys
R = ${PROBE_RECORD_BYTES}
data = open(sys.argv[1], 'rb').read()
print('size %d' % len(data))
n = len(data) // R
start = None
for i in range(n):
    rec = data[i * R:(i + 1) * R]
    head = rec[:R - 64]
    why = None
    if hashlib.sha256(head).hexdigest().encode() != rec[R - 64:]:
        why = 'checksum'
    elif not head.startswith(b'drbdlab-probe %010d ' % i):
        why = 'number'
    if why is None:
        if start is None:
            start = i
        continue
    if start is not None:
        print('ok %d-%d' % (start, i - 1))
        start = None
    print('bad %d %s' % (i, why))
if start is not None:
    print('ok %d-%d' % (start, n - 1))
if len(data) % R:
    print('partial %d %d' % (n, len(data) % R))
print('end')
`;

/** What the writer's ack log says. */
export interface AckLog {
  /** Records acknowledged (0..acked-1 on stable storage). */
  acked: number;
  started: boolean;
  /** The writer saw the stop file and ended by itself. */
  stopped: boolean;
  /** `error N <repr>`: the writer's write or fsync failed. */
  errors: string[];
}

export function parseAckLog(text: string): AckLog {
  const log: AckLog = { acked: 0, started: false, stopped: false, errors: [] };
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    let m: RegExpExecArray | null;
    if (/^start \d+$/u.test(line)) log.started = true;
    else if ((m = /^ack (\d+)$/u.exec(line))) {
      const n = Number(m[1]);
      // Acks count up by one: anything else is not this writer's log.
      if (n !== log.acked + 1) throw new DrbdParseError('probe-ack-log', `ack ${n} after ack ${log.acked}`, line, i + 1);
      log.acked = n;
    } else if ((m = /^stopped (\d+)$/u.exec(line))) {
      if (Number(m[1]) !== log.acked) throw new DrbdParseError('probe-ack-log', `stopped at ${m[1]} after ack ${log.acked}`, line, i + 1);
      log.stopped = true;
    } else if (/^error \d+ /u.test(line)) log.errors.push(line);
    // A python traceback would land here (stderr goes to the log too): not a shape we know.
    else throw new DrbdParseError('probe-ack-log', 'unexpected line', line, i + 1);
  });
  return log;
}

/** What the checker read from the data file. */
export interface ProbeCheck {
  sizeBytes: number;
  /** Whole records in the file. */
  records: number;
  intact: { from: number; to: number }[];
  bad: { index: number; why: 'checksum' | 'number' }[];
  /** A last record cut short: its index and length. */
  partial?: { index: number; bytes: number };
}

export function parseProbeCheck(text: string): ProbeCheck {
  const c: ProbeCheck = { sizeBytes: -1, records: 0, intact: [], bad: [] };
  let ended = false;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const fail = (reason: string) => new DrbdParseError('probe-check', reason, line, i + 1);
    if (ended) throw fail('line after end');
    let m: RegExpExecArray | null;
    if ((m = /^size (\d+)$/u.exec(line))) c.sizeBytes = Number(m[1]);
    else if ((m = /^ok (\d+)-(\d+)$/u.exec(line))) c.intact.push({ from: Number(m[1]), to: Number(m[2]) });
    else if ((m = /^bad (\d+) (checksum|number)$/u.exec(line))) c.bad.push({ index: Number(m[1]), why: m[2] as 'checksum' | 'number' });
    else if ((m = /^partial (\d+) (\d+)$/u.exec(line))) c.partial = { index: Number(m[1]), bytes: Number(m[2]) };
    else if (line === 'end') ended = true;
    else throw fail('unexpected line');
  });
  // Cut short (the checker died, or the output was truncated): nothing it says can be trusted.
  if (!ended || c.sizeBytes < 0) throw new DrbdParseError('probe-check', ended ? 'no size line' : 'no end line: output incomplete');
  c.records = Math.floor(c.sizeBytes / PROBE_RECORD_BYTES);
  return c;
}

export interface ProbeVerdict {
  ok: boolean;
  acked: number;
  /** Acknowledged records missing (the file ends before them). */
  missing: number;
  /** Acknowledged records present but damaged, by index. */
  damaged: number[];
  /** Intact records beyond the last acknowledgement: written, never acknowledged (allowed). */
  extras: number;
  /** Damaged records beyond the acknowledgements, partial included. */
  tornUnacked: number;
  problems: string[];
  summary: string;
}

/**
 * Every acknowledged record present and intact: the promise of fsync() that DRBD (protocol C)
 * must keep across the fault. Beyond the acknowledgements the writer made no promise, but only
 * the very last record may be torn (the write in flight when the fault hit); a damaged record
 * followed by more data is damage, not an interrupted write.
 */
export function probeVerdict(acks: AckLog, check: ProbeCheck): ProbeVerdict {
  const problems: string[] = [];
  const missing = Math.max(0, acks.acked - check.records);
  if (missing > 0) problems.push(`${missing} acknowledged record(s) missing: the file holds ${check.records} whole records, ${acks.acked} were acknowledged`);
  const damaged = check.bad.filter((b) => b.index < acks.acked).map((b) => b.index);
  for (const b of check.bad.filter((x) => x.index < acks.acked).slice(0, 5)) problems.push(`acknowledged record ${b.index} damaged (${b.why})`);
  if (check.partial && check.partial.index < acks.acked) problems.push(`acknowledged record ${check.partial.index} cut short (${check.partial.bytes} bytes)`);
  const lastIndex = check.partial ? check.partial.index : check.records - 1;
  const tornBeyond = check.bad.filter((b) => b.index >= acks.acked);
  const tornUnacked = tornBeyond.length + (check.partial && check.partial.index >= acks.acked ? 1 : 0);
  for (const b of tornBeyond.filter((x) => x.index !== lastIndex)) problems.push(`unacknowledged record ${b.index} damaged (${b.why}) with data after it`);
  const extras = check.intact.reduce((n, r) => n + Math.max(0, r.to - Math.max(r.from, acks.acked) + 1), 0);
  for (const e of acks.errors) problems.push(`the writer failed: ${e}`);
  const ok = problems.length === 0;
  return {
    ok, acked: acks.acked, missing, damaged, extras, tornUnacked, problems,
    summary: `${acks.acked} acknowledged, ${acks.acked - missing - damaged.length} of them intact; ${extras} unacknowledged extra(s), ${tornUnacked} torn beyond the acknowledgements`,
  };
}

/** A failed verdict as a product failure naming the node and each problem. */
export function assertProbeIntact(node: string, v: ProbeVerdict): void {
  if (!v.ok) throw new DataIntegrityError(node, v.summary, v.problems);
}
