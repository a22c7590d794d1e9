// The crm_mon fixture is real (crm-mon.test.ts says where from). The exit-102 and failing answers
// below are constructed: crm_mon's XML error form (pacemaker-result/status code message) as
// Pacemaker 2.1 prints it, with CRM_EX_* codes from include/crm/common/results.h.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RemoteCommandError, WaitTimeoutError } from '../errors.js';
import { VirtualClock } from '../scenario/replay-lab.js';
import type { RemoteShell } from '../ssh/remote-shell.js';
import type { ExecResult } from '../ssh/session.js';
import { CRM_MON_XML, QUORUMTOOL, waitForCluster, waitForQuorum } from './wait.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const UP = fixture('crm-mon-failed-over-drbd1.xml');
const NOT_CONNECTED = {
  exitCode: 102,
  stdout: `<pacemaker-result api-version="2.25" request="crm_mon -1 --output-as=xml">\n  <status code="102" message="Not connected">\n    <errors>\n      <error>crm_mon: Error: cluster is not available on this node</error>\n    </errors>\n  </status>\n</pacemaker-result>\n`,
};

/** A node that answers each look with the next scripted answer (the last one repeats). */
function scripted(answers: Partial<ExecResult>[]): RemoteShell & { looks: string[] } {
  const node = {
    name: 'drbd1',
    looks: [] as string[],
    async exec(command: string): Promise<ExecResult> {
      const a = answers[Math.min(node.looks.length, answers.length - 1)]!;
      node.looks.push(command);
      return { stdout: '', stderr: '', exitCode: 0, durationMs: 1, ...a };
    },
    async output(): Promise<string> {
      throw new Error('not used');
    },
  };
  return node;
}

const hasDc = (s: { dc?: string }) => s.dc !== undefined;

describe('waitForCluster', () => {
  it('crm_mon exit 102 (CRM_EX_DISCONNECT) is "not yet"; the wait goes on to the cluster', async () => {
    const node = scripted([NOT_CONNECTED, NOT_CONNECTED, { stdout: UP }]);
    const { status } = await waitForCluster(node, 'a DC', hasDc, { clock: new VirtualClock(), timeoutMs: 60_000 });
    expect(status.dc).toBe('drbd1');
    expect(node.looks).toEqual([CRM_MON_XML, CRM_MON_XML, CRM_MON_XML]);
  });

  it('102 until the deadline: a timeout that says what crm_mon said', async () => {
    const err = await waitForCluster(scripted([NOT_CONNECTED]), 'a DC', hasDc, { clock: new VirtualClock(), timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect(err).toMatchObject({ lastSeen: 'crm_mon exit 102 (CRM_EX_DISCONNECT): crm_mon: Error: cluster is not available on this node' });
  });

  it('any other exit ends the wait at the first look, with the output', async () => {
    // 1 CRM_EX_ERROR, 4 CRM_EX_INSUFFICIENT_PRIV, 5 CRM_EX_NOT_INSTALLED, 105 CRM_EX_NOSUCH, 124 CRM_EX_TIMEOUT, 127 no crm_mon
    for (const exitCode of [1, 4, 5, 105, 124, 127]) {
      const stderr = `crm_mon: failed with ${exitCode}`;
      const node = scripted([{ exitCode, stderr }, { stdout: UP }]);
      const err = await waitForCluster(node, 'a DC', hasDc, { clock: new VirtualClock(), timeoutMs: 60_000 }).catch((e: unknown) => e);
      expect(err, `exit ${exitCode}`).toBeInstanceOf(RemoteCommandError);
      expect(err).toMatchObject({ node: 'drbd1', command: CRM_MON_XML, exitCode, stderr, kind: 'product' });
      expect(node.looks, `exit ${exitCode}`).toHaveLength(1);
    }
  });
});

describe('waitForQuorum', () => {
  const quorate = fixture('quorumtool-quorate.txt');
  it('exit 1 (corosync not answering yet) is "not yet"; 0 is read', async () => {
    const node = scripted([{ exitCode: 1, stderr: 'Cannot initialize QUORUM service' }, { stdout: quorate }]);
    expect((await waitForQuorum(node, 3, { clock: new VirtualClock(), timeoutMs: 60_000 })).members).toEqual(['drbd1', 'drbd2', 'drbd3']);
    expect(node.looks).toEqual([QUORUMTOOL, QUORUMTOOL]);
  });

  it('an exit other than 0, 1 or 2 ends the wait at once', async () => {
    const node = scripted([{ exitCode: 127, stderr: 'sudo: corosync-quorumtool: command not found' }, { stdout: quorate }]);
    await expect(waitForQuorum(node, 3, { clock: new VirtualClock(), timeoutMs: 60_000 })).rejects.toMatchObject({ exitCode: 127, command: QUORUMTOOL });
    expect(node.looks).toHaveLength(1);
  });
});
