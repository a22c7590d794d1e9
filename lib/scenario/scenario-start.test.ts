// A starting point's steps are checked as a scenario is: on fake nodes (tests/support/fake-kernel-node.ts).
import { defaultFolders } from '../paths.js';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KernelLogError, KernelLogUncheckedError } from '../errors.js';
import { fakeLab, FakeKernelNode } from '../../tests/support/fake-kernel-node.js';
import { reported } from '../../tests/support/synthetic-lab.js';
import type { StartedLab } from '../lab/started-lab.js';
import type { ScenarioContext } from './scenario-lab.js';
import { runPointSteps, scenarioStep, type ScenarioStart } from './scenario-start.js';
import { scenarioTargets } from './targets.js';

const point = (prepare: ScenarioStart['prepare']): ScenarioStart => ({ point: 'r0-up', source: 'steps', prepare });

describe('runPointSteps: the kernel log of a starting point\'s steps', () => {
  it('clean steps pass, on the watched lab (a reboot in them reads the log first)', async () => {
    const lab = fakeLab(['drbd1', 'drbd2']);
    const names: string[] = [];
    await runPointSteps(lab, point(async (ctx) => {
      await ctx.lab.node('drbd1').reboot();
      names.push(...ctx.lab.nodes.map((n) => n.name));
    }));
    expect(names).toEqual(['drbd1', 'drbd2']);
    expect(lab.nodes[0]!.commands.indexOf("sudo bash -o pipefail -c 'dmesg | tail -n +4'")).toBeLessThan(lab.nodes[0]!.commands.indexOf('#reboot'));
  });

  it('a hit while the steps ran fails the point: a product failure naming the node and the line', async () => {
    const lab = fakeLab(['drbd1', 'drbd2']);
    const got = new Map<string, string>();
    const err = await runPointSteps(
      lab,
      point(async () => lab.nodes[1]!.log('list_add corruption. next->prev should be prev (ffff9a0c4f2b1c40), but was ffff9a0c4f2b1d00.')),
      async (name, text) => void got.set(name, text),
    ).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(KernelLogError);
    expect((err as KernelLogError).kind).toBe('product');
    expect((err as KernelLogError).hits).toEqual([{ node: 'drbd2', line: expect.stringContaining('list_add corruption'), pattern: 'list corruption', window: 'until the end of the steps of the starting point r0-up' }]);
    expect([...got.keys()]).toEqual(['kernel log during the steps of the starting point r0-up: drbd1', 'kernel log during the steps of the starting point r0-up: drbd2']);
  });

  it("a failed step: its error stays when the log is clean or unreadable; a hit replaces it, the step's error as cause", async () => {
    const stepFailed = new Error('step 20 failed');
    const lab = fakeLab(['drbd1']);
    await expect(runPointSteps(lab, point(async () => Promise.reject(stepFailed)))).rejects.toBe(stepFailed);
    const unreadable = fakeLab(['drbd1']);
    const got = new Map<string, string>();
    await expect(runPointSteps(unreadable, point(async () => {
      unreadable.nodes[0]!.sshFails = /./u;
      throw stepFailed;
    }), async (name, text) => void got.set(name, text))).rejects.toBe(stepFailed);
    // The check's own failure goes into the report.
    expect(got.get('kernel log check failed')).toMatch(/^kernel log not checked: 1 window\(s\) unread\n  drbd1 \(until the end of the steps of the starting point r0-up\): drbd1: `cat \/proc\/sys\/kernel\/random\/boot_id`: SSH connection failed/u);
    const hit = fakeLab(['drbd1']);
    const err = await runPointSteps(hit, point(async () => {
      hit.nodes[0]!.log('BUG: unable to handle page fault for address: ffffffffc0a1b2c3');
      throw stepFailed;
    })).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(KernelLogError);
    expect((err as KernelLogError).cause).toBe(stepFailed);
  });
});

describe("runPointSteps: what the point's steps are given", () => {
  it('the steps run on a lab of their own (not shared), each step just runs its body, a secret needs no transcript', async () => {
    let ctx: ScenarioContext | undefined;
    await runPointSteps(fakeLab(['drbd1']), point(async (c) => {
      ctx = c;
      expect(await c.step('20. up', async () => 'stepped')).toBe('stepped');
      await expect(c.redact('s3cr3t-pass')).resolves.toBeUndefined();
    }));
    expect(ctx?.shared).toBe(false);
  });

  it('steps that passed but a log that cannot be read: the check\'s own error fails the point', async () => {
    const lab = fakeLab(['drbd1']);
    const err = await runPointSteps(lab, point(async () => {
      lab.nodes[0]!.sshFails = /./u;
    })).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(KernelLogUncheckedError);
  });

  it("a failed step and a log that cannot be read, with nowhere to report the check's failure: the step's error", async () => {
    const stepFailed = new Error('step 20 failed');
    const lab = fakeLab(['drbd1']);
    await expect(runPointSteps(lab, point(async () => {
      lab.nodes[0]!.sshFails = /./u;
      throw stepFailed;
    }))).rejects.toBe(stepFailed);
  });

  it("as a snapshot step: the steps run on the started lab's real nodes, the kernel log checked into the report", async () => {
    const nodes = [new FakeKernelNode('drbd1'), new FakeKernelNode('drbd2')];
    const started = {
      id: 'lab-1',
      nodeList: nodes.map((n) => ({
        name: n.name,
        info: { replicationIp: n.replicationIp },
        exec: n.exec.bind(n), output: n.output.bind(n), reboot: n.reboot.bind(n), consoleLog: n.consoleLog.bind(n),
        replicationLink: n.replicationLink.bind(n), powerOff: n.powerOff.bind(n), powerOn: n.powerOn.bind(n),
      })),
      timeoutScale: 1,
      host: { folders: { state: '/labs' } },
      state: { profile: 'debian12-drbd84', accel: 'kvm', image: { dir: '/i', digest: 'd', versions: {} } },
      transcript: { record: async () => undefined },
    } as unknown as StartedLab;
    const seen: string[] = [];
    const r = await reported(() => scenarioStep(point(async (ctx) => {
      seen.push(ctx.lab.mode, ...ctx.lab.nodes.map((n) => n.name));
      nodes[1]!.log('BUG: unable to handle page fault for address: ffffffffc0a1b2c3');
    })).run(started));
    expect(seen).toEqual(['real', 'drbd1', 'drbd2']);
    expect(r.err).toBeInstanceOf(KernelLogError);
    expect(r.attachments.map((a) => a.name)).toEqual(['kernel log during the steps of the starting point r0-up: drbd1', 'kernel log during the steps of the starting point r0-up: drbd2']);
  });
});

describe('a real scenario target and the run plan it is handed', () => {
  it('a plan that does not validate: one ConfigError naming it and the field, before any lab', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plan-target-'));
    try {
      const [target] = scenarioTargets('walkthrough', { mode: 'real', plan: { format: 1, profile: 'debian12-drbd84' }, profile: 'debian12-drbd84', runDir: dir, folders: defaultFolders(dir) });
      await expect(target!.open()).rejects.toMatchObject({ name: 'ConfigError', file: 'the run plan handed to the scenario', path: 'image' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('no plan and no lab: one UsageError saying how to run the real scenarios', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plan-target-'));
    try {
      const [target] = scenarioTargets('walkthrough', { mode: 'real', profile: 'debian12-drbd84', runDir: dir, folders: defaultFolders(dir) });
      await expect(target!.open()).rejects.toMatchObject({ name: 'UsageError', message: expect.stringMatching(/^no lab and no run plan for the real scenarios/) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a starting point's snapshot step: its identity is the steps' source and how they run, so a change to either makes another snapshot", () => {
    const a = scenarioStep(point(async () => undefined));
    const b = scenarioStep({ ...point(async () => undefined), source: 'other steps' });
    expect(a.point).toBe('r0-up');
    expect(a.source).toMatch(/^[0-9a-f]{64}$/);
    expect(a.source).not.toBe(b.source);
    expect(a.source).not.toBe(createHash('sha256').update('steps').digest('hex'));
  });
});
