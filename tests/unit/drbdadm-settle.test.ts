// Following DRBD's events2 stream to a settled r0 (scenarios/steps/drbdadm/settle.ts) on a
// synthetic recording: the stream lines are r0's on drbd1 when its link came back (the real
// link-cut recording), cut where a case needs it. What is checked: when it counts as settled, the
// seconds it reports, events the kernel dropped, and that the watcher never outlives a failure.
import { describe, expect, it } from 'vitest';
import { RemoteCommandError, WaitTimeoutError } from '../../lib/errors.js';
import { settleAfter } from '../../scenarios/steps/drbdadm/settle.js';
import { reported, syntheticLab, times, type Answer } from '../support/synthetic-lab.js';

const START = "sudo sh -c 'nohup drbdsetup events2 --timestamps --statistics r0 </dev/null >/tmp/r0.events 2>&1 & echo $!'";
const READ = 'cat /tmp/r0.events';
const ACT = 'sudo drbdadm connect r0';

const ARMED = [
  '2026-12-07T02:29:25.587598+00:00 exists resource name:r0 role:Primary suspended:no write-ordering:flush',
  '2026-12-07T02:29:25.587598+00:00 exists connection name:r0 peer-node-id:0 conn-name:peer connection:Connecting role:Unknown congested:no',
  '2026-12-07T02:29:25.587598+00:00 exists device name:r0 volume:0 minor:100 disk:UpToDate size:1048508 read:22649 written:1101412 al-writes:27 bm-writes:0 upper-pending:0 lower-pending:0 al-suspended:no blocked:no',
  '2026-12-07T02:29:25.587598+00:00 exists peer-device name:r0 peer-node-id:0 conn-name:peer volume:0 replication:Off peer-disk:DUnknown resync-suspended:no received:0 sent:38964 out-of-sync:2564 pending:0 unacked:0',
  '2026-12-07T02:29:25.639089+00:00 exists -',
];
const SYNCING = [
  ...ARMED,
  '2026-12-07T02:29:29.634642+00:00 change connection name:r0 peer-node-id:0 conn-name:peer connection:Connected',
  '2026-12-07T02:29:29.830041+00:00 change connection name:r0 peer-node-id:0 conn-name:peer role:Secondary',
  '2026-12-07T02:29:29.830041+00:00 change peer-device name:r0 peer-node-id:0 conn-name:peer volume:0 replication:WFBitMapS peer-disk:Consistent received:0 sent:38964 out-of-sync:3428 pending:0 unacked:0',
  '2026-12-07T02:29:30.104236+00:00 change peer-device name:r0 peer-node-id:0 conn-name:peer volume:0 replication:SyncSource peer-disk:Inconsistent received:0 sent:38964 out-of-sync:3452 pending:0 unacked:0',
];
const SETTLED = [
  ...SYNCING,
  '2026-12-07T02:29:30.694801+00:00 change peer-device name:r0 peer-node-id:0 conn-name:peer volume:0 replication:Established peer-disk:UpToDate received:0 sent:42444 out-of-sync:0 pending:1 unacked:0',
];
const text = (lines: string[]) => `${lines.join('\n')}\n`;

const started: Answer[] = [['drbd1', START, 0, '605\n'], ['drbd1', READ, 0, text(ARMED)], ['drbd1', ACT]];
const stopped = (lines: string[]): Answer[] => [['drbd1', 'sudo kill 605'], ['drbd1', READ, 0, text(lines)]];

const settle = (answers: Answer[]) => {
  const lab = syntheticLab(answers);
  return { lab, result: reported(() => settleAfter(lab, lab.node('drbd1'), 'the link came back', () => lab.node('drbd1').exec(ACT).then(() => undefined))) };
};
const ATTACHED = 'drbdsetup events2 r0 on drbd1 after the link came back';

describe('settleAfter', () => {
  it('settled at Established UpToDate/UpToDate after the sync: the trace, and the seconds from the act (one 2 s poll interval on virtual time)', async () => {
    const { lab, result } = settle([...started, ['drbd1', READ, 0, text(SYNCING)], ['drbd1', READ, 0, text(SETTLED)], ...stopped(SETTLED)]);
    const r = await result;
    expect(r.err).toBeUndefined();
    expect(r.value?.trace.settledAt).toBeGreaterThanOrEqual(0);
    expect(r.value?.trace.syncStates).toContain('SyncSource');
    expect(r.value?.trace.maxOutOfSyncKiB).toBe(3452);
    expect(r.value?.seconds).toBe(2);
    expect(lab.remaining).toEqual([]);
    // The stream once, as stopped; the watcher is not stopped a second time.
    expect(r.attachments).toEqual([{ name: ATTACHED, content: SETTLED.join('\n'), contentType: 'text/plain' }]);
  });

  it('events the kernel dropped fail the step: the stream may miss a state', async () => {
    const dropped = [...SYNCING.slice(0, -1), '- skipped 3', ...SETTLED.slice(-2)];
    const { result } = settle([...started, ['drbd1', READ, 0, text(dropped)], ...stopped(dropped)]);
    expect(String((await result).err)).toMatch(/^AssertionError: events dropped by the kernel: the stream may miss a state: expected 3 to be \+0 /);
  });

  it('a read of the stream that fails ends the wait with its error, and the watcher is stopped (not left running)', async () => {
    const { lab, result } = settle([...started, ['drbd1', READ, 1, '', 'cat: /tmp/r0.events: No such file or directory\n'], ...stopped(SYNCING)]);
    const r = await result;
    expect(r.err).toBeInstanceOf(RemoteCommandError);
    expect(r.err).toMatchObject({ node: 'drbd1', command: READ, exitCode: 1, kind: 'infrastructure' });
    expect(lab.remaining, 'sudo kill and the last read ran').toEqual([]);
    expect(r.attachments).toEqual([{ name: `${ATTACHED} (step failed)`, content: SYNCING.join('\n'), contentType: 'text/plain' }]);
  });

  it('never settled: a timeout of DRBD\'s (product) on the node, saying what the stream showed last', async () => {
    const { result } = settle([...started, ...times(400, ['drbd1', READ, 0, text(SYNCING)])]);
    const r = await result;
    expect(r.err).toBeInstanceOf(WaitTimeoutError);
    expect(r.err).toMatchObject({ kind: 'product', target: 'drbd1', what: 'r0 Established UpToDate/UpToDate in the events2 stream after the link came back' });
    expect((r.err as WaitTimeoutError).lastSeen).toMatch(/SyncSource/);
    // Stopping it fails here (the recording has no `sudo kill`): said in the report, the timeout stays the error.
    expect(r.attachments.map((a) => a.name)).toEqual([`${ATTACHED} (step failed)`]);
    expect(r.attachments[0]!.content).toMatch(/^events2 watcher not stopped: ReplayMismatchError: replay differs at command #/);
  });
});
