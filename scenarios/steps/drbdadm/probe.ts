// The integrity probe on a node (lib/drbd/integrity-probe.ts): the writer in the background on
// the primary, its acknowledgements read by the host, the checker where the data is after a fault.
import * as allure from 'allure-js-commons';
import { DataIntegrityError, RemoteCommandError } from '../../../lib/errors.js';
import { CHECKER_PY, WRITER_PY, assertProbeIntact, parseAckLog, parseProbeCheck, probeVerdict, type AckLog, type ProbeVerdict } from '../../../lib/drbd/integrity-probe.js';
import { SETUP, type ScenarioLab, type ScenarioNode } from '../../../lib/scenario/scenario-lab.js';
import { pollUntil, scaled } from '../../../lib/wait/poll.js';
import { MOUNT, writeFileCommand } from './cluster.js';

const PROBE_DATA = `${MOUNT}/probe.dat`;
/** On the root disk, not the DRBD device: it must outlive the device's data and a power cut. */
const PROBE_ACKS = '/var/lib/drbdlab-probe.ack';
const STOP = '/run/drbdlab-probe.stop';
const WRITER = '/root/drbdlab-probe-writer.py';
const CHECKER = '/root/drbdlab-probe-check.py';
/** Seconds between records: ~10 records (40 KiB) a second at most, so a resync stays small. */
const PAUSE_S = '0.1';

/** Ship the writer and start it in the background; returns once it logged its start. */
export async function startWriter(lab: ScenarioLab, node: ScenarioNode): Promise<void> {
  await node.exec(writeFileCommand(WRITER, WRITER_PY), SETUP);
  const cmd = `sudo sh -c 'rm -f ${STOP}; touch ${PROBE_ACKS}; nohup python3 ${WRITER} ${PROBE_DATA} ${PROBE_ACKS} ${STOP} ${PAUSE_S} </dev/null >/dev/null 2>>${PROBE_ACKS} & echo $!'`;
  const pid = await node.output(cmd);
  if (!/^\d+$/u.test(pid)) throw new RemoteCommandError(node.name, cmd, 0, pid, 'the probe writer did not start: expected a PID');
  await waitAcked(lab, node, 1, 'the probe writer acknowledged its first record');
}

/** The ack log as it stands (the last lines only while polling: the whole log at the end). */
export async function readAcks(node: ScenarioNode, whole = false): Promise<{ text: string; log: AckLog }> {
  const text = await node.output(whole ? `sudo cat ${PROBE_ACKS}` : `sudo tail -n 1 ${PROBE_ACKS}`);
  // The last line alone: an `ack N` is all that is needed to know N.
  const log = whole ? parseAckLog(text) : lastAck(text);
  return { text, log };
}

function lastAck(line: string): AckLog {
  const m = /^(ack|stopped) (\d+)$/u.exec(line.trim());
  if (m) return { acked: Number(m[2]), started: true, stopped: m[1] === 'stopped', errors: [] };
  if (/^start \d+$/u.test(line.trim())) return { acked: 0, started: true, stopped: false, errors: [] };
  return parseAckLog(line);
}

/** Until the writer has acknowledged at least `n` records (a writer error ends the wait). */
export async function waitAcked(lab: ScenarioLab, node: ScenarioNode, n: number, what: string): Promise<number> {
  return pollUntil(
    what,
    async () => {
      const { log } = await readAcks(node);
      if (log.errors.length > 0) throw new DataIntegrityError(node.name, 'the probe writer failed', log.errors);
      return { done: log.acked >= n, value: log.acked, seen: `${log.acked} records acknowledged` };
    },
    { timeoutMs: scaled(60_000, lab.timeoutScale), intervalMs: 1_000, clock: lab.clock, target: node.name, kind: 'product' },
  );
}

/** Ask the writer to stop and wait until it says it did; the whole ack log is attached. */
export async function stopWriter(lab: ScenarioLab, node: ScenarioNode): Promise<AckLog> {
  await node.exec(`sudo touch ${STOP}`);
  await pollUntil(
    'the probe writer to stop',
    async () => {
      const { log } = await readAcks(node);
      return { done: log.stopped || log.errors.length > 0, seen: `${log.acked} acknowledged, still writing` };
    },
    { timeoutMs: scaled(30_000, lab.timeoutScale), intervalMs: 1_000, clock: lab.clock, target: node.name, kind: 'product' },
  );
  return attachAcks(node);
}

/** The whole ack log of a node (the writer may be gone: a power cut), attached and parsed. */
export async function attachAcks(node: ScenarioNode): Promise<AckLog> {
  const { text, log } = await readAcks(node, true);
  await allure.attachment(`probe ack log on ${node.name}: ${log.acked} acknowledged${log.stopped ? ', stopped' : ''}`, `${text}\n`, 'text/plain');
  return log;
}

/** Run the checker on `node` against `acks`; its output and the verdict are attached; not intact fails. */
export async function checkProbe(node: ScenarioNode, acks: AckLog): Promise<ProbeVerdict> {
  await node.exec(writeFileCommand(CHECKER, CHECKER_PY), SETUP);
  const out = await node.output(`sudo python3 ${CHECKER} ${PROBE_DATA}`);
  const verdict = probeVerdict(acks, parseProbeCheck(out));
  await allure.attachment(`probe check on ${node.name}: ${verdict.ok ? 'intact' : 'NOT intact'}`, `${out}\n\n${verdict.summary}\n${verdict.problems.join('\n')}\n`, 'text/plain');
  await allure.parameter(`records acknowledged (checked on ${node.name})`, String(verdict.acked));
  await allure.parameter(`unacknowledged extras on ${node.name}`, String(verdict.extras));
  assertProbeIntact(node.name, verdict);
  return verdict;
}
