// The real ports of attribution (lib/attribution/attribute.ts): a probe's image is a probe layer
// of .debs from the package store (lib/image/probe-layer.ts), its cluster a ready snapshot made
// from it (lib/snapshot), and the failing scenario runs on it as the nightly runs scenarios — a
// scenario process on a run plan — into a results folder of its own, read for its verdict.
// Runs only on a host that can build images and boot VMs.

import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AttributionPorts } from '../../attribution/attribute.js';
import type { Config } from '../../config/config.js';
import { EXIT } from '../../exit-codes.js';
import { listCachedImages, type CachedImage } from '../../image/cache.js';
import { packagesRoot } from '../../image/package-store.js';
import { ensureProbeImage } from '../../image/probe-layer.js';
import type { BaseImage, GuestProfile } from '../../image/profile.js';
import { Lab } from '../../lab/lab.js';
import { serializeRunPlan, type RunPlan } from '../../lab/run-plan.js';
import type { AccelChoice } from '../../libvirt/accel.js';
import { runVerdict } from '../../report/results.js';
import { ensureSnapshot, planOfSnapshot } from '../../snapshot/cluster-snapshot.js';
import { runScenarioProcess } from './scenario-process.js';
import { realHost } from '../../lab/lab-host.js';

/** A cached image as a lab starts it, booted like `like` (the same profile's kernel command line). */
export function asBaseImage(img: CachedImage, like: BaseImage): BaseImage {
  return {
    profile: like.profile,
    disk: img.disk,
    digest: img.digest,
    dir: img.dir,
    boot: like.boot.kind === 'direct' && img.kernel && img.initrd ? { kind: 'direct', kernel: img.kernel, initrd: img.initrd, cmdline: like.boot.cmdline } : like.boot,
    versions: img.versions,
    ...(img.origins ? { origins: img.origins } : {}),
    built: false,
    ...(img.builtAt ? { builtAt: img.builtAt } : {}),
  };
}

/** A cached image of the profile whose package set is `setId`, if one is still there: a build of a recipe before a probe's. */
export async function cachedImageOfSet(cache: string, profile: string, setId: string): Promise<CachedImage | undefined> {
  const of = (await listCachedImages(cache, profile)).filter((i) => i.packageSet === setId && existsSync(i.disk));
  return of.find((i) => i.recipeDigest) ?? of[0];
}

export interface ProbeContext {
  config: Config;
  profile: GuestProfile;
  /** Images of the red and the last green set, where cached (at least one). */
  bad?: BaseImage;
  good?: BaseImage;
  /** The hypervisor the run chose (its plan's). */
  accel: AccelChoice;
  /** What each probe runs: scenario files, and the test's name within them. */
  scenario: { files: string[]; name?: string };
  /** Each probe's results go to `<workDir>/probe-<n>`. */
  workDir: string;
  signal: AbortSignal;
  say(m: string): void;
}

/** vitest's -t takes a pattern: the test's name, matched as it is written. */
const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function realPorts(c: ProbeContext): AttributionPorts<BaseImage, RunPlan> {
  let n = 0;
  return {
    images: { good: !!c.good, bad: !!c.bad },
    now: () => Date.now(),
    progress: c.say,
    async layer(req) {
      const base = (req.base === 'good' ? c.good : c.bad)!;
      if (req.steps.install.length === 0 && req.steps.remove.length === 0) return { kind: 'image', image: base };
      const r = await ensureProbeImage({ base, profile: c.profile.name, storeRoot: packagesRoot(c.config.paths.cache), cache: c.config.paths.cache, install: req.steps.install, remove: req.steps.remove, target: req.target, setId: req.setId, signal: c.signal });
      return r.kind === 'refused' ? r : { kind: 'image', image: asBaseImage(r.image, base) };
    },
    async snapshot(image) {
      const lab = new Lab(c.config.lab, c.profile, realHost(c.config.paths), c.config.accel);
      const made = await ensureSnapshot(lab, { profile: c.profile.name, image, accel: c.accel }, { progress: c.say, signal: c.signal, ownerPid: process.pid, cacheMaxBytes: c.config.snapshotCacheGiB * 1024 ** 3 });
      return planOfSnapshot(made.snapshot);
    },
    async runScenario(plan) {
      const dir = join(c.workDir, `probe-${++n}`);
      await mkdir(dir, { recursive: true });
      const planFile = join(dir, 'run-plan.json');
      await writeFile(planFile, serializeRunPlan(plan));
      const config: Config = { ...c.config, keep: false, ownerPid: process.pid, paths: { ...c.config.paths, reports: dir, junit: join(dir, 'junit.xml') } };
      const args = [...c.scenario.files, ...(c.scenario.name ? ['-t', literal(c.scenario.name)] : [])];
      const exit = await runScenarioProcess({ config, planFile, args, signal: c.signal, say: c.say, output: join(dir, 'output.log') });
      const { code } = await runVerdict(exit, join(dir, 'allure-results'));
      return code === EXIT.ok ? 'passed' : code === EXIT.failed ? 'failed' : 'broken';
    },
  };
}

