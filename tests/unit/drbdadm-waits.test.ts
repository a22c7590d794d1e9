// The fault scenarios' own waits and probe helpers (scenarios/steps/drbdadm/faults.ts, probe.ts)
// on answers no real recording holds: DRBD never getting there (a timeout, and whose failure it
// is), giving up for good (StandAlone), the writer failing or never starting. Each on a synthetic
// recording (tests/support/synthetic-lab.ts) on virtual time.
import { describe, expect, it } from 'vitest';
import { DataIntegrityError, RemoteCommandError, WaitTimeoutError } from '../../lib/errors.js';
import { isDrbdParseError } from '../../lib/drbd/errors.js';
import { CHECKER_PY, WRITER_PY, parseProbeCheck, probeVerdict } from '../../lib/drbd/integrity-probe.js';
import { writeFileCommand } from '../../scenarios/steps/drbdadm/cluster.js';
import { KEEP_ADDRESS_DROPIN, hasReplicationAddress, keepReplicationAddress, resyncSince, waitCstate } from '../../scenarios/steps/drbdadm/faults.js';
import { checkProbe, startWriter, stopWriter, waitAcked } from '../../scenarios/steps/drbdadm/probe.js';
import { outcome, reported, syntheticLab, times, type Answer } from '../support/synthetic-lab.js';

const CSTATE = 'sudo drbdadm cstate r0';
const TAIL = 'sudo tail -n 1 /var/lib/drbdlab-probe.ack';
const WRITER_START =
  "sudo sh -c 'rm -f /run/drbdlab-probe.stop; touch /var/lib/drbdlab-probe.ack; nohup python3 /root/drbdlab-probe-writer.py /mnt/r0/probe.dat /var/lib/drbdlab-probe.ack /run/drbdlab-probe.stop 0.1 </dev/null >/dev/null 2>>/var/lib/drbdlab-probe.ack & echo $!'";
const WRITER_ERROR = 'error 13 OSError: [Errno 5] Input/output error';
/** More polls than any of these waits makes before its deadline. */
const MANY = 400;

describe('waitCstate', () => {
  it('returns the states passed through on the way, each once, and stops at the one wanted', async () => {
    const states = ['NetworkFailure', 'WFConnection', 'WFConnection', 'WFReportParams', 'WFReportParams', 'Connected'];
    const lab = syntheticLab(states.map((cs): Answer => ['drbd1', CSTATE, 0, `${cs}\n`]));
    expect(await waitCstate(lab, lab.node('drbd1'), 'Connected')).toEqual(['NetworkFailure', 'WFConnection', 'WFReportParams', 'Connected']);
    expect(lab.remaining).toEqual([]);
  });

  it('StandAlone while waiting for another state ends the wait at once: DRBD will not retry', async () => {
    const lab = syntheticLab([['drbd1', CSTATE, 0, 'WFConnection\n'], ['drbd1', CSTATE, 0, 'StandAlone\n'], ['drbd1', CSTATE, 0, 'Connected\n']]);
    const r = await outcome(lab, () => waitCstate(lab, lab.node('drbd1'), 'Connected'));
    expect(String(r.err)).toMatch(/^AssertionError: drbd1: r0 went StandAlone \(WFConnection → StandAlone\): it will not reconnect by itself: expected 'StandAlone' not to be 'StandAlone'/);
    expect(r.remaining, 'no poll after StandAlone').toBe(1);
  });

  it('StandAlone is a state one can wait for (split brain)', async () => {
    const lab = syntheticLab([['drbd1', CSTATE, 0, 'WFConnection\n'], ['drbd1', CSTATE, 0, 'StandAlone\n']]);
    expect(await waitCstate(lab, lab.node('drbd1'), 'StandAlone')).toEqual(['WFConnection', 'StandAlone']);
  });

  it('never there: a timeout, DRBD\'s (product), naming the node and the states seen', async () => {
    const lab = syntheticLab([['drbd1', CSTATE, 0, 'WFConnection\n'], ...times(MANY, ['drbd1', CSTATE, 0, 'Connecting\n'])]);
    const r = await outcome(lab, () => waitCstate(lab, lab.node('drbd1'), 'Connected', 10_000));
    expect(r.err).toBeInstanceOf(WaitTimeoutError);
    expect(r.err).toMatchObject({ kind: 'product', target: 'drbd1', what: 'r0 connection state Connected', lastSeen: 'cstate WFConnection → Connecting' });
  });
});

describe('resyncSince', () => {
  const marks = new Map([['drbd1', { bootId: 'b1', lines: 546 }], ['drbd2', { bootId: 'b2', lines: 559 }]]);
  const since = (lines: number) => `sudo bash -o pipefail -c 'dmesg --notime | tail -n +${lines}'`;

  it("each node's kernel log since its own mark, parsed", async () => {
    const lab = syntheticLab([
      ['drbd1', since(547), 0, 'block drbd100: Began resync as SyncSource (will sync 13808 KB [3452 bits set]).\n'],
      ['drbd2', since(560), 0, 'block drbd100: Began resync as SyncTarget (will sync 13808 KB [3452 bits set]).\n'],
    ]);
    const r = await reported(() => resyncSince(lab.nodes.slice(0, 2), marks, 'since the link came back'));
    const { logs, verdict } = r.value!;
    expect(logs.map((l) => [l.node, l.log.resyncs.map((x) => x.as)])).toEqual([['drbd1', ['SyncSource']], ['drbd2', ['SyncTarget']]]);
    expect(verdict.kib).toBe(13808);
    // Each node's log as read, in the report.
    expect(r.attachments).toEqual(['drbd1', 'drbd2'].map((n, i) => ({ name: `${n}: kernel log since the link came back`, content: `block drbd100: Began resync as ${['SyncSource', 'SyncTarget'][i]} (will sync 13808 KB [3452 bits set]).\n`, contentType: 'text/plain' })));
  });

  it('a kernel log that cannot be read is the lab\'s failure (infrastructure), not DRBD\'s', async () => {
    const lab = syntheticLab([['drbd1', since(547), 1, '', 'dmesg: read kernel buffer failed: Operation not permitted\n']]);
    const r = await outcome(lab, () => resyncSince(lab.nodes.slice(0, 2), marks, 'since the link came back'));
    expect(r.err).toBeInstanceOf(RemoteCommandError);
    expect(r.err).toMatchObject({ node: 'drbd1', exitCode: 1, kind: 'infrastructure' });
  });
});

describe('keepReplicationAddress', () => {
  const SETUP: Answer[] = [
    ['drbd1', 'sudo mkdir -p /etc/systemd/network/10-netplan-repl.network.d'],
    ['drbd1', writeFileCommand(KEEP_ADDRESS_DROPIN, '[Network]\nConfigureWithoutCarrier=yes\nIgnoreCarrierLoss=yes\n')],
    ['drbd1', 'sudo networkctl reload'],
  ];
  const ADDR = 'ip -o -4 addr show to 10.255.255.101/32';
  const HAS = '2: ens2    inet 10.255.255.101/24 brd 10.255.255.255 scope global ens2\\       valid_lft forever preferred_lft forever\n';

  it('waits until the address is back after the reload', async () => {
    const lab = syntheticLab([...SETUP, ['drbd1', ADDR, 0, ''], ['drbd1', ADDR, 0, HAS]]);
    await keepReplicationAddress(lab, lab.node('drbd1'));
    expect(lab.remaining).toEqual([]);
  });

  it('an address that does not come back is the lab\'s failure (infrastructure), said as such', async () => {
    const lab = syntheticLab([...SETUP, ...times(MANY, ['drbd1', ADDR, 0, ''])]);
    const r = await outcome(lab, () => keepReplicationAddress(lab, lab.node('drbd1')));
    expect(r.err).toBeInstanceOf(WaitTimeoutError);
    expect(r.err).toMatchObject({ kind: 'infrastructure', target: 'drbd1', what: 'drbd1: 10.255.255.101 configured again after networkctl reload', lastSeen: 'address absent' });
  });

  it('hasReplicationAddress: the node\'s own address, not another one on the NIC', async () => {
    const lab = syntheticLab([['drbd1', ADDR, 0, ''], ['drbd1', ADDR, 0, HAS.replaceAll('10.255.255.101', '10.255.255.1')], ['drbd1', ADDR, 0, HAS]]);
    expect(await hasReplicationAddress(lab.node('drbd1'))).toBe(false);
    expect(await hasReplicationAddress(lab.node('drbd1'))).toBe(false);
    expect(await hasReplicationAddress(lab.node('drbd1'))).toBe(true);
  });
});

describe('the probe writer', () => {
  const start = (pid: string): Answer[] => [['drbd1', writeFileCommand('/root/drbdlab-probe-writer.py', WRITER_PY)], ['drbd1', WRITER_START, 0, pid]];

  it('starts: a PID, then its first acknowledged record', async () => {
    const lab = syntheticLab([...start('550\n'), ['drbd1', TAIL, 0, ''], ['drbd1', TAIL, 0, 'start 550\n'], ['drbd1', TAIL, 0, 'ack 1\n']]);
    await startWriter(lab, lab.node('drbd1'));
    expect(lab.remaining).toEqual([]);
  });

  for (const pid of ['', 'nohup: failed to run command', 'x 550', '550 x']) {
    it(`did not start when the shell prints ${JSON.stringify(pid)} instead of a PID`, async () => {
      const lab = syntheticLab([...start(pid), ['drbd1', TAIL, 0, 'ack 1\n']]);
      const r = await outcome(lab, () => startWriter(lab, lab.node('drbd1')));
      expect(r.err).toBeInstanceOf(RemoteCommandError);
      expect(r.err).toMatchObject({ node: 'drbd1', command: WRITER_START, exitCode: 0, stdout: pid, stderr: 'the probe writer did not start: expected a PID' });
    });
  }

  it('a writer that never acknowledges its first record: the timeout says so', async () => {
    const lab = syntheticLab([...start('550\n'), ...times(MANY, ['drbd1', TAIL, 0, 'start 550\n'])]);
    const r = await outcome(lab, () => startWriter(lab, lab.node('drbd1')));
    expect(r.err).toBeInstanceOf(WaitTimeoutError);
    expect(r.err).toMatchObject({ kind: 'product', target: 'drbd1', what: 'the probe writer acknowledged its first record', lastSeen: '0 records acknowledged' });
  });

  // The last line is read alone while polling: only a whole `ack N`, `stopped N` or `start PID` is
  // taken as such; two records run together (a torn write) or a start without its PID are not
  // this writer's log.
  for (const torn of ['start 550ack 1', 'ack 12start 13', 'start -']) {
    it(`a last line that is not one record (${JSON.stringify(torn)}) fails at once as a parse error`, async () => {
      const lab = syntheticLab([['drbd1', TAIL, 0, `${torn}\n`], ['drbd1', TAIL, 0, 'ack 20\n']]);
      const r = await outcome(lab, () => waitAcked(lab, lab.node('drbd1'), 10, 'ten records'));
      expect(isDrbdParseError(r.err), String(r.err)).toBe(true);
      expect(r.remaining).toBe(1);
    });
  }

  it('waitAcked: a writer error in the log ends the wait at once (DataIntegrityError), not a poll on', async () => {
    const lab = syntheticLab([['drbd1', TAIL, 0, 'ack 3\n'], ['drbd1', TAIL, 0, `${WRITER_ERROR}\n`], ['drbd1', TAIL, 0, 'ack 10\n']]);
    const r = await outcome(lab, () => waitAcked(lab, lab.node('drbd1'), 10, 'ten records'));
    expect(r.err).toBeInstanceOf(DataIntegrityError);
    expect(r.err).toMatchObject({ node: 'drbd1', summary: 'the probe writer failed', problems: [WRITER_ERROR] });
    expect(r.remaining).toBe(1);
  });

  it('waitAcked: returns the count seen once it reaches n, not before', async () => {
    const lab = syntheticLab([['drbd1', TAIL, 0, 'ack 9\n'], ['drbd1', TAIL, 0, 'ack 12\n']]);
    expect(await waitAcked(lab, lab.node('drbd1'), 10, 'ten records')).toBe(12);
    expect(lab.remaining).toEqual([]);
  });

  it('waitAcked: a writer that stalls is a timeout of DRBD\'s side (product) saying how far it got', async () => {
    const lab = syntheticLab(times(MANY, ['drbd1', TAIL, 0, 'ack 7\n']));
    const r = await outcome(lab, () => waitAcked(lab, lab.node('drbd1'), 10, 'ten records'));
    expect(r.err).toBeInstanceOf(WaitTimeoutError);
    expect(r.err).toMatchObject({ kind: 'product', target: 'drbd1', what: 'ten records', lastSeen: '7 records acknowledged' });
  });

  const STOP: Answer = ['drbd1', 'sudo touch /run/drbdlab-probe.stop'];
  const WHOLE = 'sudo cat /var/lib/drbdlab-probe.ack';

  it('stopWriter: waits for `stopped`, then reads the whole log and attaches it', async () => {
    const whole = 'start 550\nack 1\nack 2\nack 3\nack 4\nstopped 4';
    const lab = syntheticLab([STOP, ['drbd1', TAIL, 0, 'ack 3\n'], ['drbd1', TAIL, 0, 'stopped 4\n'], ['drbd1', WHOLE, 0, `${whole}\n`]]);
    const r = await reported(() => stopWriter(lab, lab.node('drbd1')));
    expect(r.value).toEqual({ acked: 4, started: true, stopped: true, errors: [] });
    expect(lab.remaining).toEqual([]);
    expect(r.attachments).toEqual([{ name: 'probe ack log on drbd1: 4 acknowledged, stopped', content: `${whole}\n`, contentType: 'text/plain' }]);
  });

  it('stopWriter: a writer stopped before its first record is stopped only once it says so', async () => {
    const lab = syntheticLab([STOP, ['drbd1', TAIL, 0, 'start 550\n'], ['drbd1', TAIL, 0, 'stopped 0\n'], ['drbd1', WHOLE, 0, 'start 550\nstopped 0\n']]);
    expect(await stopWriter(lab, lab.node('drbd1'))).toEqual({ acked: 0, started: true, stopped: true, errors: [] });
    expect(lab.remaining).toEqual([]);
  });

  it('stopWriter: a writer error ends the wait too; the whole log says it', async () => {
    const lab = syntheticLab([STOP, ['drbd1', TAIL, 0, 'ack 3\n'], ['drbd1', TAIL, 0, `${WRITER_ERROR}\n`], ['drbd1', WHOLE, 0, `start 550\nack 1\nack 2\n${WRITER_ERROR}\n`]]);
    const r = await reported(() => stopWriter(lab, lab.node('drbd1')));
    expect(r.value).toEqual({ acked: 2, started: true, stopped: false, errors: [WRITER_ERROR] });
    expect(lab.remaining).toEqual([]);
    expect(r.attachments.map((a) => a.name)).toEqual(['probe ack log on drbd1: 2 acknowledged']);
  });

  it('stopWriter: a writer that never stops is a timeout (product)', async () => {
    const lab = syntheticLab([STOP, ...times(MANY, ['drbd1', TAIL, 0, 'ack 12\n'])]);
    const r = await outcome(lab, () => stopWriter(lab, lab.node('drbd1')));
    expect(r.err).toBeInstanceOf(WaitTimeoutError);
    expect(r.err).toMatchObject({ kind: 'product', target: 'drbd1', what: 'the probe writer to stop', lastSeen: '12 acknowledged, still writing' });
  });
});

describe('checkProbe', () => {
  const CHECK = 'sudo python3 /root/drbdlab-probe-check.py /mnt/r0/probe.dat';
  const check = (out: string): Answer[] => [['drbd2', writeFileCommand('/root/drbdlab-probe-check.py', CHECKER_PY)], ['drbd2', CHECK, 0, `${out}\n`]];
  const acks = { acked: 4, started: true, stopped: true, errors: [] };

  it('every acknowledged record there (and one unacknowledged extra): intact; the output, verdict and counts in the report', async () => {
    const out = 'size 20480\nok 0-4\nend';
    const lab = syntheticLab(check(out));
    const r = await reported(() => checkProbe(lab.node('drbd2'), acks));
    expect(r.err).toBeUndefined();
    const v = probeVerdict(acks, parseProbeCheck(out));
    expect(v).toMatchObject({ ok: true, acked: 4, extras: 1 });
    expect(r.value).toEqual(v);
    expect(r.attachments).toEqual([{ name: 'probe check on drbd2: intact', content: `${out}\n\n${v.summary}\n${v.problems.join('\n')}\n`, contentType: 'text/plain' }]);
    expect(r.parameters).toEqual([{ name: 'records acknowledged (checked on drbd2)', value: '4' }, { name: 'unacknowledged extras on drbd2', value: '1' }]);
  });

  it('an acknowledged record missing and one damaged: NOT intact, each problem on its line in the report, and the step fails (DataIntegrityError)', async () => {
    const out = 'size 12288\nok 0-1\nbad 2 checksum\nend';
    const lab = syntheticLab(check(out));
    const r = await reported(() => checkProbe(lab.node('drbd2'), acks));
    expect(r.err).toBeInstanceOf(DataIntegrityError);
    const v = probeVerdict(acks, parseProbeCheck(out));
    expect(v.problems).toHaveLength(2);
    expect(r.attachments).toEqual([{ name: 'probe check on drbd2: NOT intact', content: `${out}\n\n${v.summary}\n${v.problems.join('\n')}\n`, contentType: 'text/plain' }]);
  });
});
