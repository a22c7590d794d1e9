// Attribution driven through ports: the planner (plan.ts) names each probe, this makes its
// package set into an image (a layer of .debs from the package store on the last green image, or
// on the red one when the green image is gone), a ready cluster from it, runs the failing
// scenario there, and goes on until the planner gives a verdict or the time budget is spent.
// The ports are the real image, snapshot and scenario runner (lib/cli/commands/attribution-ports.ts)
// or a fake in memory (tests).

import { DrbdlabError } from '../errors.js';
import { diffPackageSets, type PackageEntry, type PackageSetManifest, type SourceChange } from '../image/package-set.js';
import { nextStep, probeBound, type Probe, type ProbeOutcome, type ProbeRecord, type Verdict } from './plan.js';
import { layerSteps, probeEntries, probeSetId, type LayerSteps } from './sets.js';

/** A scenario's result on a probe: failed is DRBD's (reproduced), broken the lab's. */
export type ScenarioOutcome = 'passed' | 'failed' | 'broken';

export interface LayerRequest {
  /** The image the layer goes on: the last green run's, or the red run's. */
  base: 'good' | 'bad';
  /** The .debs to install and the packages to remove (both empty: the base image itself). */
  steps: LayerSteps;
  /** The set the layer makes, and its id (what apt installed is checked against it). */
  target: PackageEntry[];
  setId: string;
}

/** A layer made, or refused by apt/dpkg (one update of the subset needs another): `detail` says why. */
export type Layered<I> = { kind: 'image'; image: I } | { kind: 'refused'; detail: string };

export interface AttributionPorts<I, P> {
  /**
   * Which images are at hand: the last green set's (probes go on it; else on the red image, by
   * downgrades) and the red set's (the rerun runs on it as it is; else a layer on the green one).
   */
  readonly images: { good: boolean; bad: boolean };
  layer(req: LayerRequest): Promise<Layered<I>>;
  /** A ready cluster saved from the image (cached or made), as a plan a scenario runs on. */
  snapshot(image: I): Promise<P>;
  runScenario(plan: P): Promise<ScenarioOutcome>;
  /** Milliseconds, for the budget and each probe's time. */
  now(): number;
  progress?(line: string): void;
}

export interface AttributionInput {
  /** The failing scenario (its name as the report shows it). */
  scenario: string;
  good: PackageSetManifest;
  bad: PackageSetManifest;
  /** The time budget: no probe is started that the longest probe so far says would overrun it. */
  budgetMs: number;
}

/** What attribution found for one failing scenario: every probe and the verdict. */
export interface Attribution {
  scenario: string;
  /** The last green run's package set id and the red run's. */
  good: string;
  bad: string;
  changes: SourceChange[];
  probes: ProbeRecord[];
  verdict: Verdict;
  /** The probe bound it ran under (⌈log2 n⌉ + 2). */
  bound: number;
  ms: number;
}

/** The probe's set as a layer request: on the green image when there is one, else on the red image. */
function layerFor(probe: Probe, o: { good: PackageSetManifest; bad: PackageSetManifest; changes: readonly SourceChange[]; images: { good: boolean; bad: boolean } }): LayerRequest {
  const target = probeEntries(o.good.entries, o.bad.entries, o.changes, probe.applied);
  // The red set again runs on the red image as it is; every other probe on the green image.
  const base = probe.role === 'same' ? (o.images.bad ? 'bad' : 'good') : o.images.good ? 'good' : 'bad';
  return { base, steps: layerSteps((base === 'good' ? o.good : o.bad).entries, target), target, setId: probeSetId(target) };
}

async function runProbe<I, P>(probe: Probe, req: LayerRequest, ports: AttributionPorts<I, P>): Promise<{ outcome: ProbeOutcome; detail?: string }> {
  try {
    const layered = await ports.layer(req);
    if (layered.kind === 'refused') return { outcome: 'refused', detail: layered.detail };
    const plan = await ports.snapshot(layered.image);
    return { outcome: await ports.runScenario(plan) };
  } catch (err) {
    // An interrupt ends attribution; any other failure of the lab is this probe's "cannot tell".
    if (err instanceof DrbdlabError && err.kind === 'interrupted') throw err;
    return { outcome: 'broken', detail: (err instanceof Error ? err.message : String(err)).split('\n')[0] };
  }
}

/** Probes until a verdict (or the budget is spent); every probe recorded. */
export async function attribute<I, P>(input: AttributionInput, ports: AttributionPorts<I, P>): Promise<Attribution> {
  const t0 = ports.now();
  const changes = diffPackageSets(input.good.entries, input.bad.entries);
  const probes: ProbeRecord[] = [];
  let longest = 0;
  const done = (verdict: Verdict): Attribution => ({ scenario: input.scenario, good: input.good.id, bad: input.bad.id, changes, probes, verdict, bound: probeBound(changes.length), ms: ports.now() - t0 });
  for (;;) {
    const step = nextStep(changes, probes);
    if (step.kind === 'verdict') return done(step.verdict);
    if (ports.now() - t0 + longest >= input.budgetMs) return done({ kind: 'budget', candidates: step.candidates, minutes: Math.round(input.budgetMs / 60_000) });
    const req = layerFor(step.probe, { good: input.good, bad: input.bad, changes, images: ports.images });
    ports.progress?.(`attribution of ${input.scenario}: probe ${probes.length + 1} (${describeProbe(step.probe, changes)})`);
    const start = ports.now();
    const r = await runProbe(step.probe, req, ports);
    const ms = ports.now() - start;
    longest = Math.max(longest, ms);
    probes.push({ ...step.probe, outcome: r.outcome, ...(r.detail ? { detail: r.detail } : {}), setId: req.setId, ms });
    ports.progress?.(`attribution of ${input.scenario}: probe ${probes.length} ${r.outcome}${r.detail ? `: ${r.detail}` : ''} (${Math.round(ms / 1000)} s)`);
  }
}

/** A probe in words: `the same set again`, `the last green set`, `updates of a, b applied`. */
function describeProbe(p: Probe, changes: readonly SourceChange[]): string {
  if (p.role === 'same') return 'the red set again';
  if (p.role === 'good') return 'the last green set';
  const on = new Set(p.applied);
  return `last green set + updates of ${changes.filter((c) => on.has(c.source)).map((c) => c.source).join(', ')}`;
}
