// The drbdmanage scenarios' shared helpers (scenarios/steps/drbdmanage/common.ts) on answers written
// here (tests/support/synthetic-lab.ts), outputs as drbdmanage 0.99.18 and drbd-utils 9 print them:
// what a wait takes for "not yet" and what ends it at once, how often it looks and for how long, and
// the predicates the steps' verdicts rest on. The captured replays (drbdmanage-faults.test.ts)
// cover the same code along the walkthrough; these reach what no capture shows.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DrbdmanageError, NOT_READY_ERRORS, parseDrbdmanageResult } from '../../lib/drbd/drbdmanage-result.js';
import { parseListNodes } from '../../lib/drbd/drbdmanage-table.js';
import { parseDrbdsetupStatus } from '../../lib/drbd/drbdsetup-status.js';
import { RemoteCommandError, WaitTimeoutError } from '../../lib/errors.js';
import { cmd } from '../../scenarios/steps/drbdmanage/commands.js';
import {
  allOk, describeNodes, dm, dmListing, expectDmOk, find, peersOf, primaries, r0DeployedEverywhere, r0Minor, upToDateWith, waitForNodes, waitForStatus,
} from '../../scenarios/steps/drbdmanage/common.js';
import { contextOn, outcome, syntheticLab, times, type Answer } from '../support/synthetic-lab.js';

const fixture = (name: string) => readFileSync(new URL(`../../lib/drbd/fixtures/${name}`, import.meta.url), 'utf8');
const NODES_OK = fixture('drbdmanage-list-nodes-3-ok.txt');
const NODES_OFFLINE = fixture('drbdmanage-list-nodes-3-offline-pending.txt');
const ASSIGNMENTS_OK = fixture('drbdmanage-list-assignments-3-ok.txt');
const DRBDCTRL = fixture('drbdsetup-status-9-drbdctrl-3-nodes.txt');
const NOT_READY = `Waiting for server: ...............\n${NOT_READY_ERRORS[0]}\n`;

/** r0 as drbd1's drbdsetup status shows it: its own disk and each peer's. */
function r0(role: string, disk: string, peers: [name: string, role: string, peerDisk: string][]): string {
  return [`r0 role:${role}`, `  disk:${disk}`, ...peers.flatMap(([n, pr, pd]) => [`  ${n} role:${pr}`, `    peer-disk:${pd}`])].join('\n');
}
const R0_SYNCED = r0('Secondary', 'UpToDate', [['drbd2', 'Secondary', 'UpToDate'], ['drbd3', 'Secondary', 'UpToDate']]);

describe('the predicates the drbdmanage steps decide on', () => {
  const nodes = (text: string) => parseListNodes(text);

  it('allOk: exactly these nodes, each ok', () => {
    expect(allOk(['drbd1', 'drbd2', 'drbd3'])(nodes(NODES_OK))).toBe(true);
    expect(allOk(['drbd1', 'drbd2', 'drbd3'])(nodes(NODES_OFFLINE)), 'drbd3 offline').toBe(false);
    expect(allOk(['drbd1', 'drbd2'])(nodes(NODES_OK)), 'a node more than asked for').toBe(false);
    expect(allOk(['drbd1', 'drbd2', 'drbd4'])(nodes(NODES_OK)), 'another node than asked for').toBe(false);
  });

  it('describeNodes: each node and its state, or that there are none', () => {
    expect(describeNodes(nodes(NODES_OFFLINE))).toBe('drbd1:ok, drbd2:ok, drbd3:offline/quorum vote ignored, pending actions: adjust connections');
    expect(describeNodes([])).toBe('(no nodes)');
  });

  it('upToDateWith: UpToDate here and on exactly these peers, in any order', () => {
    const res = find(parseDrbdsetupStatus(R0_SYNCED), 'r0');
    expect(upToDateWith(res, ['drbd3', 'drbd2'])).toBe(true);
    expect(upToDateWith(res, ['drbd2']), 'a peer more than asked for').toBe(false);
    expect(upToDateWith(res, ['drbd2', 'drbd3', 'drbd4']), 'a peer missing').toBe(false);
    expect(upToDateWith(res, ['drbd2', 'drbd4']), 'another peer').toBe(false);
    expect(upToDateWith(find(parseDrbdsetupStatus(r0('Secondary', 'UpToDate', [['drbd2', 'Secondary', 'UpToDate'], ['drbd3', 'Secondary', 'Inconsistent']])), 'r0'), ['drbd2', 'drbd3']), 'a peer Inconsistent').toBe(false);
    expect(upToDateWith(undefined, ['drbd2', 'drbd3']), 'no such resource').toBe(false);
  });

  it('primaries: the node itself when Primary, and its Primary peers', () => {
    expect(primaries(find(parseDrbdsetupStatus(DRBDCTRL), '.drbdctrl')!, 'drbd1')).toEqual(['drbd1']);
    expect(primaries(find(parseDrbdsetupStatus(r0('Secondary', 'UpToDate', [['drbd2', 'Primary', 'UpToDate'], ['drbd3', 'Secondary', 'UpToDate']])), 'r0')!, 'drbd1')).toEqual(['drbd2']);
    expect(primaries(find(parseDrbdsetupStatus(r0('Primary', 'UpToDate', [['drbd2', 'Primary', 'UpToDate']])), 'r0')!, 'drbd1')).toEqual(['drbd1', 'drbd2']);
  });

  it("primaries: a Primary peer DRBD 8.4 names only `peer` is '?'", () => {
    expect(primaries(find(parseDrbdsetupStatus('r0 role:Secondary\n  disk:UpToDate\n  peer role:Primary\n    replication:Established peer-disk:UpToDate\n'), 'r0')!, 'drbd1')).toEqual(['?']);
  });

  it('upToDateWith: the peers in the order DRBD lists them do not matter', () => {
    const reversed = find(parseDrbdsetupStatus(r0('Secondary', 'UpToDate', [['drbd3', 'Secondary', 'UpToDate'], ['drbd2', 'Secondary', 'UpToDate']])), 'r0');
    expect(upToDateWith(reversed, ['drbd2', 'drbd3'])).toBe(true);
  });

  it('peersOf: the two other nodes', () => {
    expect(peersOf('drbd2')).toEqual(['drbd1', 'drbd3']);
  });
});

describe('dm and expectDmOk: success read from the text and the exit code', () => {
  it('a drbdmanage run that exits non-zero is returned, not thrown: its text says what went wrong', async () => {
    const lab = syntheticLab([['drbd1', cmd.addResource, 1, '', 'Error: Object already exists\n']]);
    const run = await dm(lab.node('drbd1'), cmd.addResource);
    expect([run.exitCode, run.result.errors]).toEqual([1, ['Error: Object already exists']]);
  });

  it('expectDmOk: no error line, the success line, exit 0; else a failure naming what and the output\'s end', () => {
    const run = (stdout: string, stderr: string, exitCode: number) => ({ stdout, stderr, exitCode, durationMs: 0, result: parseDrbdmanageResult(stdout, stderr) });
    expect(() => expectDmOk(run('Operation completed successfully\n', '', 0), 'add-resource')).not.toThrow();
    expect(() => expectDmOk(run('', 'Error: Object already exists\n', 0), 'add-resource')).toThrow(/^add-resource: drbdmanage printed errors \(exit 0; output: Error: Object already exists\)/u);
    expect(() => expectDmOk(run('nothing said\n', '', 0), 'add-resource')).toThrow(/^add-resource: drbdmanage did not report success \(exit 0; output: nothing said\)/u);
    expect(() => expectDmOk(run('Operation completed successfully\n', '', 3), 'add-resource')).toThrow(/^add-resource: exit code/u);
    // The output's last four lines, joined.
    expect(() => expectDmOk(run('1\n2\n3\n4\n5\n', '', 0), 'x')).toThrow(/\(exit 0; output: 2 \| 3 \| 4 \| 5\)/u);
  });
});

describe('dmListing: "not yet" is only what drbdmanage itself retries', () => {
  const listing = (answer: [exitCode: number, stdout: string, stderr: string]) => {
    const lab = syntheticLab([['drbd1', cmd.listNodes, ...answer]]);
    return dmListing(lab.node('drbd1'), cmd.listNodes).then((v) => ({ v }), (err: unknown) => ({ err }));
  };

  it('a table: its text', async () => {
    expect(await listing([0, NODES_OK, ''])).toEqual({ v: { stdout: NODES_OK } });
  });

  it('server not ready after its retries, exit 0: not yet, saying which', async () => {
    expect(await listing([0, '', `Waiting for server: ...\n${NOT_READY_ERRORS[0]}\n${NOT_READY_ERRORS[2]}\n`])).toEqual({ v: { notYet: `${NOT_READY_ERRORS[0]}; ${NOT_READY_ERRORS[2]}` } });
  });

  it('server not ready but a failed exit, another error line, or a failed exit alone: a DrbdmanageError at once', async () => {
    for (const answer of [[1, '', NOT_READY], [0, '', 'Error: Object not found\n'], [0, '', `${NOT_READY}Error: Object not found\n`], [2, NODES_OK, '']] as [number, string, string][]) {
      const r = await listing(answer);
      expect('err' in r && r.err, JSON.stringify(answer)).toBeInstanceOf(DrbdmanageError);
      expect((r as { err: DrbdmanageError }).err.exitCode).toBe(answer[0]);
    }
  });
});

describe('waitForNodes', () => {
  it('looks every 5 s until done; "not ready" is not yet; returns the last list', async () => {
    const lab = syntheticLab([['drbd1', cmd.listNodes, 0, '', NOT_READY], ['drbd1', cmd.listNodes, 0, NODES_OFFLINE], ['drbd1', cmd.listNodes, 0, NODES_OK]]);
    const t0 = lab.clock.now();
    const nodes = await waitForNodes(lab, lab.node('drbd1'), 'all ok', allOk(['drbd1', 'drbd2', 'drbd3']));
    expect(nodes.map((n) => n.state)).toEqual(['ok', 'ok', 'ok']);
    expect(lab.clock.now() - t0).toBe(10_000);
    expect(lab.remaining).toEqual([]);
  });

  it('never done: a product timeout after 180 s (scaled), naming the node and the last list', async () => {
    const lab = syntheticLab(times(37, ['drbd1', cmd.listNodes, 0, NODES_OFFLINE]));
    const r = await outcome(lab, () => waitForNodes(lab, lab.node('drbd1'), 'drbd3 ok', allOk(['drbd1', 'drbd2', 'drbd3'])));
    expect(r.err).toBeInstanceOf(WaitTimeoutError);
    expect(r.err).toMatchObject({ kind: 'product', target: 'drbd1', lastSeen: describeNodes(parseListNodes(NODES_OFFLINE)) });
    expect((r.err as Error).message).toContain('drbd3 ok');
    // 0, 5, … 180 s: 37 looks.
    expect(r.remaining).toBe(0);
  });
});

describe('waitForNodes: a server that never gets ready', () => {
  it('times out saying what drbdmanage said last', async () => {
    const lab = syntheticLab(times(37, ['drbd1', cmd.listNodes, 0, '', NOT_READY]));
    const r = await outcome(lab, () => waitForNodes(lab, lab.node('drbd1'), 'all ok', allOk(['drbd1', 'drbd2', 'drbd3'])));
    expect(r.err).toBeInstanceOf(WaitTimeoutError);
    expect(r.err).toMatchObject({ lastSeen: NOT_READY_ERRORS[0] });
  });
});

describe('waitForStatus: "not yet" is a resource not there yet; anything else ends the wait at once', () => {
  const wait = (answers: Answer[], o: Parameters<typeof waitForStatus>[4] = {}) => {
    const lab = syntheticLab(answers);
    return outcome(lab, () => waitForStatus(lab, lab.node('drbd1'), 'r0 UpToDate', (rs) => upToDateWith(find(rs, 'r0'), ['drbd2', 'drbd3']), o)).then((r) => ({ ...r, lab }));
  };

  it('drbdsetup status: r0 not there (exit 10), then there with sudo\'s own warning before drbdadm\'s "not defined" (exit 1), then synced', async () => {
    const r = await wait([
      ['drbd1', cmd.status, 10, '', 'r0: No such resource\n'],
      ['drbd1', cmd.status, 1, '', "sudo: unable to resolve host drbd3-new\n'r0' not defined in your config (for this host).\n"],
      ['drbd1', cmd.status, 0, R0_SYNCED],
    ]);
    expect(r.err).toBeUndefined();
    expect(r.value!.map((x) => x.name)).toEqual(['r0']);
    expect(r.remaining).toBe(0);
    // Every 2 s by default.
    expect(r.lab.clock.now() - Date.parse('2026-01-01T00:00:00Z')).toBe(4_000);
  });

  it('the command and the interval given are used', async () => {
    const r = await wait([['drbd1', cmd.drbdadmStatusAll, 10, '', 'r0: No such resource\n'], ['drbd1', cmd.drbdadmStatusAll, 0, R0_SYNCED]], { command: cmd.drbdadmStatusAll, intervalMs: 7_000 });
    expect(r.err).toBeUndefined();
    expect(r.lab.clock.now() - Date.parse('2026-01-01T00:00:00Z')).toBe(7_000);
  });

  it.each([
    ['exit 10 with another message', 10, 'r0: Unknown resource\n'],
    ['exit 10 with the message and more', 10, 'r0: No such resource\nand more\n'],
    ['exit 10, the message not on its own line', 10, 'error: r0: No such resource\n'],
    ['exit 1 with the exit-10 message', 1, 'r0: No such resource\n'],
    ['exit 10 with the exit-1 message', 10, "'r0' not defined in your config (for this host).\n"],
    ['exit 1, "not defined" with more after it', 1, "'r0' not defined in your config (for this host). Really.\n"],
    ['exit 1, "not defined" after other text', 1, "drbdadm: 'r0' not defined in your config (for this host).\n"],
    ['exit 20', 20, "Command 'drbdsetup status r0' terminated with exit code 20\n"],
  ])('%s: the command\'s failure, at the first look', async (_t, exitCode, stderr) => {
    const r = await wait([['drbd1', cmd.status, exitCode, '', stderr], ['drbd1', cmd.status, 0, R0_SYNCED]]);
    expect(r.err).toBeInstanceOf(RemoteCommandError);
    expect(r.err).toMatchObject({ node: 'drbd1', command: cmd.status, exitCode, stderr });
    expect(r.remaining).toBe(1);
  });

  it('only sudo\'s own notices (lines that start with "sudo: ") are set aside; any other line with the message is a failure', async () => {
    for (const [exitCode, stderr] of [
      [10, 'Warning:\nr0: No such resource\n'],
      [1, "warning from sudo: x\n'r0' not defined in your config (for this host).\n"],
    ] as const) {
      const r = await wait([['drbd1', cmd.status, exitCode, '', stderr], ['drbd1', cmd.status, 0, R0_SYNCED]]);
      expect(r.err, stderr).toBeInstanceOf(RemoteCommandError);
    }
  });

  it('never there, or no resources: the timeout says what was seen last, as printed', async () => {
    const absent = await wait(times(61, ['drbd1', cmd.status, 10, '', 'r0: No such resource\n']));
    expect(absent.err).toMatchObject({ lastSeen: 'r0: No such resource' });
    const none = await wait(times(61, ['drbd1', cmd.status, 0, '# No currently configured DRBD found.\n']));
    expect(none.err).toMatchObject({ lastSeen: '# No currently configured DRBD found.' });
    const two = await wait(times(61, ['drbd1', cmd.status, 0, `${DRBDCTRL}${R0_SYNCED.replace('disk:UpToDate', 'disk:Inconsistent')}\n`]));
    expect((two.err as WaitTimeoutError).lastSeen).toMatch(/^\.drbdctrl Primary .*; r0 Secondary disk:Inconsistent /u);
  });

  it('never there: a product timeout after 120 s (scaled) saying what was seen last', async () => {
    const r = await wait(times(61, ['drbd1', cmd.status, 0, '']));
    expect(r.err).toBeInstanceOf(WaitTimeoutError);
    expect(r.err).toMatchObject({ kind: 'product', target: 'drbd1', lastSeen: '(no resources)' });
    expect(r.remaining).toBe(0);
    const other = await wait(times(3, ['drbd1', cmd.status, 0, DRBDCTRL]), { timeoutMs: 4_000 });
    expect(other.err).toMatchObject({ lastSeen: '.drbdctrl Primary disk:UpToDate peer(drbd2):Secondary UpToDate peer(drbd3):Secondary UpToDate' });
  });
});

describe('r0DeployedEverywhere and r0Minor: read from drbdmanage\'s own lists', () => {
  it('r0 ok on all three: yes; a node missing or not ok: no', async () => {
    const ask = async (table: string) => {
      const lab = syntheticLab([['drbd1', cmd.listAssignments, 0, table]]);
      return r0DeployedEverywhere(contextOn(lab));
    };
    expect(await ask(ASSIGNMENTS_OK)).toBe(true);
    expect(await ask(ASSIGNMENTS_OK.replace(/^\| drbd3 .*\n/mu, ''))).toBe(false);
    expect(await ask(ASSIGNMENTS_OK.replace('| drbd2 | r0 | * | | ok |', '| drbd2 | r0 | * | | pending actions: deploy |'))).toBe(false);
    expect(await ask(ASSIGNMENTS_OK.replaceAll('| r0 |', '| r1 |'))).toBe(false);
    expect(await ask('No assignments defined\n')).toBe(false);
  });

  it('a volume\'s row (not the resource\'s) does not count', async () => {
    const lab = syntheticLab([['drbd1', cmd.listAssignments, 0, ASSIGNMENTS_OK.replaceAll('| * |', '| 0 |')]]);
    expect(await r0DeployedEverywhere(contextOn(lab))).toBe(false);
  });

  it('server not ready: a failure, not "not deployed"', async () => {
    const lab = syntheticLab([['drbd1', cmd.listAssignments, 0, '', NOT_READY]]);
    const r = await outcome(lab, () => r0DeployedEverywhere(contextOn(lab)));
    expect(r.err).toBeInstanceOf(DrbdmanageError);
    expect(r.err).toMatchObject({ node: 'drbd1', command: cmd.listAssignments, exitCode: 0, stdout: '', stderr: NOT_READY_ERRORS[0], errors: [NOT_READY_ERRORS[0]] });
  });

  it('r0Minor: volume 0 of r0, from list-volumes -m', async () => {
    const minor = async (stdout: string, stderr = '') => {
      const lab = syntheticLab([['drbd2', cmd.listVolumesMachine, 0, stdout, stderr]]);
      return outcome(lab, () => r0Minor(lab.node('drbd2')));
    };
    expect((await minor('r1,,0,39062500,7001,101,\nr0,,1,39062500,7000,102,\nr0,,0,39062500,7000,100,\n')).value).toBe(100);
    expect((await minor('r1,,0,39062500,7001,101,\n')).err).toBeInstanceOf(Error);
    const notReady = await minor('', NOT_READY);
    expect(notReady.err).toBeInstanceOf(DrbdmanageError);
    expect(notReady.err).toMatchObject({ node: 'drbd2', command: cmd.listVolumesMachine, exitCode: 0, stdout: '', stderr: NOT_READY_ERRORS[0], errors: [NOT_READY_ERRORS[0]] });
    // No r0 volume 0: an assertion naming the list and the node.
    expect(((await minor('r1,,0,39062500,7001,101,\n')).err as Error).message).toMatch(/^r0 volume 0 in list-volumes -m on drbd2: expected undefined to be type of 'number'/u);
  });
});
