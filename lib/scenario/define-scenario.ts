import * as allure from 'allure-js-commons';
import { inject, it } from 'vitest';
import { failureFields, KernelLogError } from '../errors.js';
import { failureLabels } from '../report/classify.js';
import type { ScenarioContext } from './scenario-lab.js';
import { makeStep } from './step.js';
import { failureSnapshot } from './failure-snapshot.js';
import { allureAttach, KernelHealth } from './kernel-health.js';
import { scenarioTargets, type ScenarioEnv, type ScenarioTarget } from './targets.js';
import type { ScenarioStart } from './scenario-start.js';

declare module 'vitest' {
  export interface ProvidedContext {
    drbdlab: ScenarioEnv;
  }
}

export type { ScenarioContext } from './scenario-lab.js';

export interface ScenarioOptions {
  timeoutMs?: number;
  stacks?: ('drbdadm' | 'drbdmanage')[];
  /** Where the scenario starts, per stack (default: a ready cluster). */
  from?: Partial<Record<'drbdadm' | 'drbdmanage', ScenarioStart>>;
}

export type ScenarioBody = (ctx: ScenarioContext) => Promise<void>;

/**
 * Register a scenario once per target (the real lab, or each recording of it). The body is
 * written against the scenario API; walkthrough steps are Allure steps inside one test.
 */
export function defineScenario(name: string, body: ScenarioBody, opts: ScenarioOptions = {}): void {
  const env = inject('drbdlab');
  const targets = scenarioTargets(name, env).filter((t) => !opts.stacks || opts.stacks.includes(t.stack));
  if (targets.length === 0) {
    it.skip(`${name}: no target (no lab, no recording for this stack)`, () => {});
    return;
  }
  for (const target of targets) {
    it(`${name} [${target.title}]`, { timeout: opts.timeoutMs ?? 30 * 60_000 }, () => runScenario(name, body, opts, target));
  }
}

/**
 * One scenario on one target, as its test runs it: the labels, the kernel-log check around the
 * body, the failure kind on the result. Apart from the test registration so that the mutation
 * tests run this very code on a replayed recording (its Allure calls go to whatever Allure
 * runtime is current).
 */
export async function runScenario(name: string, body: ScenarioBody, opts: ScenarioOptions, target: ScenarioTarget): Promise<void> {
  try {
    const start = opts.from?.[target.stack];
    const open = await target.open(start);
    await allure.epic('drbdlab');
    await allure.feature(name);
    if (target.description) await allure.description(target.description);
    for (const [k, v] of Object.entries(open.lab.labels)) await allure.label(k.replace(/[^\w:.-]/g, '_'), v);
    let passed = false;
    try {
      // Every scenario, either stack: the kernel log of every node must stay clean while it
      // runs, every boot of it; the scenario gets the watched lab (reboots and power cuts read
      // the log first).
      const health = await KernelHealth.start(open.lab, { attach: allureAttach });
      const lab = health.lab;
      const ctx: ScenarioContext = { lab, step: makeStep(open.transcript, failureSnapshot(lab)), shared: open.shared, redact: (x) => open.transcript.addSecret(x) };
      // Not restored at the starting point (a lab that is up, DRBDLAB_LAB): its steps run here first.
      const run = async () => {
        if (start && !open.atStart) await ctx.step(`precondition: ${start.point} (its steps, on this lab)`, () => start.prepare(ctx));
        await body(ctx);
      };
      const failure = await run().then(
        () => undefined,
        (err: unknown) => ({ err }),
      );
      await kernelHealthStep(health, failure?.err, failure !== undefined);
      if (failure) throw failure.err;
      passed = true;
    } finally {
      await open.close(passed);
    }
  } catch (err) {
    // allure-vitest sees only a serialized error (name, message, stack) and calls it
    // "broken" unless it looks like an assertion; the error's fields, written as labels, let
    // the report say failed, broken or cancelled — see lib/report/classify.ts.
    const fields = failureFields(err);
    if (fields) await Promise.resolve(allure.labels(...failureLabels(fields))).catch(() => undefined);
    throw err;
  }
}

/**
 * The kernel-log check as its own report step. A hit is thrown (a product failure, the scenario's
 * own error as its cause); if the check itself breaks after the scenario failed, the scenario's
 * error stays the one reported and the check's goes into the report.
 */
async function kernelHealthStep(health: KernelHealth, failure: unknown, failed: boolean): Promise<void> {
  await allure.step(KERNEL_HEALTH_STEP, async () => {
    try {
      await health.check(failed ? failure : undefined);
    } catch (err) {
      if (!failed || err instanceof KernelLogError) throw err;
      await allure.attachment('kernel log check failed', err instanceof Error ? err.message : String(err), 'text/plain');
    }
  });
}

const KERNEL_HEALTH_STEP = 'kernel log of every node, every boot, since scenario start: no BUG, Oops, panic, WARNING, RCU stall, hung task, UBSAN, list corruption or DRBD assertion';
