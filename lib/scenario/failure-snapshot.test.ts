// failureSnapshot, what a failed step adds to its error and to the report: every node's DRBD
// state as one line, and its status, dmesg and console tails attached. On nodes written here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SshTransportError } from '../errors.js';
import type { ExecOptions, ExecResult } from '../ssh/session.js';
import { reported } from '../../tests/support/synthetic-lab.js';
import { failureSnapshot } from './failure-snapshot.js';
import type { ScenarioLab, ScenarioNode } from './scenario-lab.js';
import { VirtualClock } from './replay-lab.js';

const SYNCSOURCE = readFileSync(new URL('../drbd/fixtures/drbdsetup-status-84-syncsource.txt', import.meta.url), 'utf8');

/** A node answering each command with an output (exit 0), a result, or by throwing; the calls kept. */
interface Script {
  status?: Partial<ExecResult> | Error;
  dmesg?: Partial<ExecResult> | Error;
  console?: string;
}

function lab(scripts: Record<string, Script>) {
  const calls: { node: string; command: string; opts: ExecOptions | undefined }[] = [];
  const nodes: ScenarioNode[] = Object.entries(scripts).map(([name, s]) => {
    const exec = async (command: string, opts?: ExecOptions): Promise<ExecResult> => {
      calls.push({ node: name, command, opts });
      const a = command === 'sudo drbdsetup status' ? s.status : command === 'sudo dmesg | tail -n 60' ? s.dmesg : undefined;
      if (a instanceof Error) throw a;
      return { stdout: '', stderr: '', exitCode: 0, durationMs: 0, ...a };
    };
    return {
      name,
      replicationIp: '10.255.255.101',
      exec,
      output: async (c, o) => (await exec(c, o)).stdout.trim(),
      reboot: async () => undefined,
      consoleLog: async () => s.console ?? '',
      replicationLink: async () => undefined,
      powerOff: async () => undefined,
      powerOn: async () => undefined,
    };
  });
  const l: ScenarioLab = {
    mode: 'replay', profile: 'debian12-drbd84', stack: 'drbdadm', nodes, node: (n) => nodes.find((x) => x.name === n)!, clock: new VirtualClock(), timeoutScale: 1, labels: {},
  };
  return { lab: l, calls };
}

describe('failureSnapshot', () => {
  it("each node's state as one line, parsed where drbdsetup's output parses; status, dmesg and console tails attached per node", async () => {
    const { lab: l, calls } = lab({
      drbd1: { status: { stdout: SYNCSOURCE }, dmesg: { stdout: 'drbd r0: conn( Connecting -> Connected )\n' }, console: 'login: \n' },
      drbd2: { status: { stdout: '' }, dmesg: { stdout: '' } },
    });
    const r = await reported(() => failureSnapshot(l)());
    expect(r.value).toBe('drbd1: r0 Primary disk:UpToDate peer:Secondary SyncSource 0.25%; drbd2: no resources');
    expect(r.attachments).toEqual([
      { name: 'drbd1 drbdsetup status at failure', content: SYNCSOURCE.trim(), contentType: 'text/plain' },
      { name: 'drbd1 dmesg (tail)', content: 'drbd r0: conn( Connecting -> Connected )\n', contentType: 'text/plain' },
      { name: 'drbd1 serial console (tail)', content: 'login: \n', contentType: 'text/plain' },
      { name: 'drbd2 drbdsetup status at failure', content: '(empty)', contentType: 'text/plain' },
      // An empty dmesg is attached as it is; an empty console is not.
      { name: 'drbd2 dmesg (tail)', content: '', contentType: 'text/plain' },
    ]);
    // Neither command may fail the snapshot on its exit code, and neither may hang it.
    expect(calls).toEqual([
      { node: 'drbd1', command: 'sudo drbdsetup status', opts: { check: false, timeoutMs: 20_000 } },
      { node: 'drbd1', command: 'sudo dmesg | tail -n 60', opts: { check: false, timeoutMs: 20_000 } },
      { node: 'drbd2', command: 'sudo drbdsetup status', opts: { check: false, timeoutMs: 20_000 } },
      { node: 'drbd2', command: 'sudo dmesg | tail -n 60', opts: { check: false, timeoutMs: 20_000 } },
    ]);
  });

  it("what drbdsetup printed that is no status (an error, text no parser knows): its first line, stdout and stderr attached together", async () => {
    const { lab: l } = lab({
      drbd1: { status: { stdout: '', stderr: 'r0: No such resource\nsecond line\n', exitCode: 10 } },
      drbd2: { status: { stdout: 'r0 role:Primary\n\tdisk:UpToDate\n', stderr: 'warning\n' } },
    });
    const r = await reported(() => failureSnapshot(l)());
    expect(r.value).toBe('drbd1: r0: No such resource; drbd2: r0 role:Primary');
    expect(r.attachments.filter((a) => a.name.includes('drbdsetup')).map((a) => a.content)).toEqual(['r0: No such resource\nsecond line', 'r0 role:Primary\n\tdisk:UpToDate\nwarning']);
  });

  it('a node that cannot be reached: the error in its line and attachment, no dmesg; the other nodes still looked at', async () => {
    const lost = new SshTransportError('drbd1', 'sudo drbdsetup status', new Error('connect ECONNREFUSED 127.0.0.1:2201'));
    const { lab: l, calls } = lab({
      drbd1: { status: lost, dmesg: new Error('connect ECONNREFUSED 127.0.0.1:2201') },
      drbd2: { status: { stdout: '' }, dmesg: { stdout: 'x\n' } },
    });
    const r = await reported(() => failureSnapshot(l)());
    expect(r.err).toBeUndefined();
    expect(r.value).toBe(`drbd1: ${lost.message}; drbd2: no resources`);
    expect(r.attachments.map((a) => a.name)).toEqual(['drbd1 drbdsetup status at failure', 'drbd2 drbdsetup status at failure', 'drbd2 dmesg (tail)']);
    expect(r.attachments[0]!.content).toBe(lost.message);
    expect(calls.map((c) => `${c.node} ${c.command}`)).toEqual(['drbd1 sudo drbdsetup status', 'drbd1 sudo dmesg | tail -n 60', 'drbd2 sudo drbdsetup status', 'drbd2 sudo dmesg | tail -n 60']);
  });

  it("the console's last 80 lines", async () => {
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i + 1}`);
    const { lab: l } = lab({ drbd1: { status: { stdout: '' }, dmesg: { stdout: '' }, console: lines.join('\n') } });
    const r = await reported(() => failureSnapshot(l)());
    expect(r.attachments.find((a) => a.name === 'drbd1 serial console (tail)')?.content).toBe(lines.slice(-80).join('\n'));
  });
});
