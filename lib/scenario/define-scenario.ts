import * as allure from 'allure-js-commons';
import { inject, it } from 'vitest';
import { DrbdlabError } from '../errors.js';
import { FAILURE_KIND_LABEL } from '../report/classify.js';
import type { ScenarioLab } from './scenario-lab.js';
import { makeStep, type Step } from './step.js';
import { failureSnapshot } from './failure-snapshot.js';
import { scenarioTargets, type ScenarioEnv } from './targets.js';

declare module 'vitest' {
  export interface ProvidedContext {
    drbdlab: ScenarioEnv;
  }
}

export interface ScenarioContext {
  lab: ScenarioLab;
  step: Step;
  /** Keep a secret (drbdmanage's join passphrase) out of transcripts, recordings and reports. */
  redact(secret: string): Promise<void>;
}

/**
 * Register a scenario once per target (the real lab, or each recording of it). The body is
 * written against the scenario API; walkthrough steps are Allure steps inside one test.
 */
export function defineScenario(
  name: string,
  body: (ctx: ScenarioContext) => Promise<void>,
  opts: { timeoutMs?: number; stacks?: ('drbdadm' | 'drbdmanage')[] } = {},
): void {
  const env = inject('drbdlab');
  const targets = scenarioTargets(name, env).filter((t) => !opts.stacks || opts.stacks.includes(t.stack));
  if (targets.length === 0) {
    it.skip(`${name}: no target (no lab, no recording for this stack)`, () => {});
    return;
  }
  for (const target of targets) {
    it(`${name} [${target.title}]`, { timeout: opts.timeoutMs ?? 30 * 60_000 }, async () => {
      try {
        const open = await target.open();
        await allure.epic('drbdlab');
        await allure.feature(name);
        if (target.description) await allure.description(target.description);
        for (const [k, v] of Object.entries(open.lab.labels)) await allure.label(k.replace(/[^\w:.-]/g, '_'), v);
        let passed = false;
        try {
          await body({ lab: open.lab, step: makeStep(open.transcript, failureSnapshot(open.lab)), redact: (x) => open.transcript.addSecret(x) });
          passed = true;
        } finally {
          await open.close(passed);
        }
      } catch (err) {
        // allure-vitest sees only a serialized error (name, message, stack) and calls it
        // "broken" unless it looks like an assertion; the kind lets the report say broken
        // (infrastructure) or failed (DRBD) — see lib/report/classify.ts.
        if (err instanceof DrbdlabError) await Promise.resolve(allure.label(FAILURE_KIND_LABEL, err.kind)).catch(() => undefined);
        throw err;
      }
    });
  }
}
