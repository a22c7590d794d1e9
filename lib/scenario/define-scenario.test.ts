// runScenario, the code every scenario test runs, on fake nodes (tests/support/fake-kernel-node.ts):
// what goes into the report (labels, description, steps), the kernel-log check around the body and
// which error wins, the starting point's steps, and what the target is told at the end. The Allure
// calls go to a runtime of the test's own.
import type { RuntimeMessage } from 'allure-js-commons/sdk';
import { getGlobalTestRuntime, MessageHolderTestRuntime, setGlobalTestRuntime } from 'allure-js-commons/sdk/runtime';
import { describe, expect, it } from 'vitest';
import { KernelLogError, KernelLogUncheckedError, RemoteCommandError } from '../errors.js';
import { FAILURE_KIND_LABEL } from '../report/classify.js';
import type { Transcript } from '../ssh/transcript.js';
import { fakeLab } from '../../tests/support/fake-kernel-node.js';
import { runScenario, type ScenarioBody, type ScenarioOptions } from './define-scenario.js';
import type { ScenarioStart } from './scenario-start.js';
import type { ScenarioTarget } from './targets.js';

const BUG = 'kernel BUG at drivers/block/drbd/drbd_req.c:123!';

interface Run {
  err: unknown;
  messages: RuntimeMessage[];
  /** close(passed) as the target was told. */
  closed: boolean[];
  secrets: string[];
}

/** runScenario on a target over fake nodes; `open` changes what the target hands over. */
async function run(body: ScenarioBody, o: { lab?: ReturnType<typeof fakeLab>; opts?: ScenarioOptions; labels?: Record<string, string>; description?: string; atStart?: boolean; shared?: boolean } = {}): Promise<Run> {
  const lab = o.lab ?? fakeLab();
  const labWithLabels = { ...lab, labels: o.labels ?? lab.labels };
  const closed: boolean[] = [];
  const secrets: string[] = [];
  const transcript = { records: [], addSecret: async (s: string) => void secrets.push(s) } as unknown as Transcript;
  const target: ScenarioTarget = {
    title: 'fake',
    ...(o.description === undefined ? {} : { description: o.description }),
    profile: 'debian12-drbd84',
    stack: 'drbdadm',
    open: async () => ({ lab: labWithLabels, transcript, atStart: o.atStart ?? true, shared: o.shared ?? false, close: async (passed) => void closed.push(passed) }),
  };
  const runtime = new MessageHolderTestRuntime();
  const previous = getGlobalTestRuntime();
  setGlobalTestRuntime(runtime);
  let err: unknown;
  try {
    await runScenario('walkthrough', body, o.opts ?? {}, target);
  } catch (e) {
    err = e;
  } finally {
    setGlobalTestRuntime(previous);
  }
  return { err, messages: runtime.messages(), closed, secrets };
}

const labels = (r: Run) => r.messages.flatMap((m) => (m.type === 'metadata' ? (m.data.labels ?? []) : [])).map((l) => [l.name, l.value]);
const description = (r: Run) => r.messages.flatMap((m) => (m.type === 'metadata' && m.data.description !== undefined ? [m.data.description] : []));
const steps = (r: Run) => r.messages.flatMap((m) => (m.type === 'step_start' ? [m.data.name] : []));
const attachments = (r: Run) => new Map(r.messages.flatMap((m) => (m.type === 'attachment_content' ? [[m.data.name, Buffer.from(m.data.content, m.data.encoding).toString('utf8')] as const] : [])));

describe('runScenario: the report', () => {
  it('a scenario that passes: epic, feature, the lab\'s labels (names made safe), the description; the kernel-log check as its last step; closed as passed', async () => {
    const r = await run(async (ctx) => {
      await ctx.step('1. a step', async () => undefined);
    }, { labels: { 'drbd version': '8.4.11', evidence: 'synthetic' }, description: 'what this replay is' });
    expect(r.err).toBeUndefined();
    expect(labels(r)).toEqual([['epic', 'drbdlab'], ['feature', 'walkthrough'], ['drbd_version', '8.4.11'], ['evidence', 'synthetic']]);
    expect(description(r)).toEqual(['what this replay is']);
    expect(steps(r)).toEqual(['1. a step', expect.stringMatching(/^kernel log of every node, every boot, since scenario start: no BUG, Oops, panic/u)]);
    expect([...attachments(r).keys()]).toEqual(['kernel log during the scenario: drbd1', 'kernel log during the scenario: drbd2', 'kernel log during the scenario: drbd3']);
    expect(r.closed).toEqual([true]);
  });

  it('no description from the target: none in the report', async () => {
    const r = await run(async () => undefined);
    expect(r.err).toBeUndefined();
    expect(description(r)).toEqual([]);
  });

  it('a failed step: the step\'s error, its failure kind as a label, DRBD\'s state in the message; closed as failed', async () => {
    const r = await run(async (ctx) => {
      await ctx.step('20. up', () => ctx.lab.node('drbd2').exec('sudo drbdadm up r0', { kind: 'product' }).then(() => {
        throw new RemoteCommandError('drbd2', 'sudo drbdadm up r0', 10, '', 'IP 10.255.255.199 not found on this host.');
      }));
    });
    expect(r.err).toBeInstanceOf(Error);
    expect((r.err as Error).message).toMatch(/^step "20\. up" failed: drbd2: `sudo drbdadm up r0` exited 10\n {2}IP 10\.255\.255\.199 not found on this host\.\n {2}DRBD state at failure: drbd1: no resources; drbd2: no resources; drbd3: no resources$/u);
    expect(labels(r)).toContainEqual([FAILURE_KIND_LABEL, 'product']);
    expect(r.closed).toEqual([false]);
  });
});

describe('runScenario: the kernel-log check around the body', () => {
  it('a kernel BUG while the scenario passes: a product failure, closed as failed', async () => {
    const lab = fakeLab();
    const r = await run(async () => lab.nodes[1]!.log(BUG), { lab });
    expect(r.err).toBeInstanceOf(KernelLogError);
    expect(labels(r)).toContainEqual([FAILURE_KIND_LABEL, 'product']);
    expect(r.closed).toEqual([false]);
  });

  it('the body gets the watched lab: a hit logged before a reboot the body does is still found', async () => {
    const lab = fakeLab();
    const r = await run(async (ctx) => {
      lab.nodes[0]!.log(BUG);
      await ctx.lab.node('drbd1').reboot();
    }, { lab });
    expect(r.err).toBeInstanceOf(KernelLogError);
    expect((r.err as KernelLogError).hits.map((h) => h.window)).toEqual(['before reboot 1']);
  });

  it('a kernel hit after a failed step: the hit is the error, the step\'s error its cause', async () => {
    const stepErr = new Error('step went wrong');
    const lab = fakeLab();
    const r = await run(async () => {
      lab.nodes[2]!.log(BUG);
      throw stepErr;
    }, { lab });
    expect(r.err).toBeInstanceOf(KernelLogError);
    expect((r.err as KernelLogError).cause).toBe(stepErr);
  });

  it('the check itself breaks after a failed step: the step\'s error stays the one reported, the check\'s goes into the report', async () => {
    const stepErr = new Error('step went wrong');
    const lab = fakeLab();
    const r = await run(async () => {
      lab.nodes[0]!.sshFails = /./u;
      throw stepErr;
    }, { lab });
    expect(r.err).toBe(stepErr);
    expect(attachments(r).get('kernel log check failed')).toMatch(/^kernel log not checked: 1 window\(s\) unread\n {2}drbd1 \(until the end of the scenario\)/u);
    expect(r.closed).toEqual([false]);
  });

  it('the check breaks after a scenario that passed: an infrastructure failure, closed as failed', async () => {
    const lab = fakeLab();
    const r = await run(async () => {
      lab.nodes[1]!.sshFails = /./u;
    }, { lab });
    expect(r.err).toBeInstanceOf(KernelLogUncheckedError);
    expect(labels(r)).toContainEqual([FAILURE_KIND_LABEL, 'infrastructure']);
    expect(attachments(r).has('kernel log check failed')).toBe(false);
    expect(r.closed).toEqual([false]);
  });
});

describe('runScenario: the starting point and the context', () => {
  const start = (ran: string[]): ScenarioStart => ({ point: 'r0-up', source: 'steps', prepare: async () => void ran.push('prepare') });

  it('a lab not at the starting point runs its steps first, as a step of the scenario', async () => {
    const ran: string[] = [];
    const r = await run(async () => void ran.push('body'), { opts: { from: { drbdadm: start(ran) } }, atStart: false });
    expect(r.err).toBeUndefined();
    expect(ran).toEqual(['prepare', 'body']);
    expect(steps(r)[0]).toBe('precondition: r0-up (its steps, on this lab)');
  });

  it('a lab restored at the starting point, or a start for the other stack: the body alone', async () => {
    const ran: string[] = [];
    await run(async () => void ran.push('body'), { opts: { from: { drbdadm: start(ran) } }, atStart: true });
    await run(async () => void ran.push('body'), { opts: { from: { drbdmanage: start(ran) } }, atStart: false });
    expect(ran).toEqual(['body', 'body']);
  });

  it('the body sees whether the lab is shared, and its secrets go to the transcript', async () => {
    const seen: boolean[] = [];
    const r = await run(async (ctx) => {
      seen.push(ctx.shared);
      await ctx.redact('passphrase');
    }, { shared: true });
    expect(seen).toEqual([true]);
    expect(r.secrets).toEqual(['passphrase']);
  });
});
