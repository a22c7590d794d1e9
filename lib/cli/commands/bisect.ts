// `npm run lab -- bisect --good <run> --bad <run> [scenario files]`: attribution by hand between
// two recorded runs (docs/attribution.md). A run's id is its timestamp in the versions history
// (reports/history/versions.jsonl), or any start of it that names one run. Everything it needs is
// checked first — both runs known, both with a kept package set, the sets differ, an image of one
// of them cached — each missing thing one line and exit 2, before any lab work.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { attribute, type Attribution } from '../../attribution/attribute.js';
import { attributionText } from '../../attribution/words.js';
import { profileSettings, type Config } from '../../config/config.js';
import { UsageError } from '../../errors.js';
import { packagesRoot, readSet } from '../../image/package-store.js';
import type { PackageSetManifest } from '../../image/package-set.js';
import { PROFILE_NAMES, type ProfileName } from '../../image/profile-names.js';
import { profileByName } from '../../image/profiles.js';
import type { CachedImage } from '../../image/cache.js';
import type { BaseImage, GuestProfile } from '../../image/profile.js';
import { Lab } from '../../lab/lab.js';
import { VERSIONS_HISTORY_FILE } from '../../report/publish.js';
import { readVersionsHistory, type VersionsEntry } from '../../report/versions.js';
import { lineName, sameLine } from '../../image/variant.js';
import { asBaseImage, cachedImageOfSet, realPorts } from './attribution-ports.js';
import { realHost } from '../../lab/lab-host.js';

/** The recorded run `id` names (its timestamp, or a start of it naming one run), or one line saying what is wrong. */
function pickRun(entries: readonly VersionsEntry[], id: string, flag: string, history: string): VersionsEntry {
  const matches = entries.filter((e) => e.timestamp.startsWith(id));
  if (matches.length === 0) {
    const newest = entries.at(-1);
    throw new UsageError(`${flag} ${id}: no recorded run has that id (run ids are the timestamps in ${history}${newest ? `, the newest ${newest.timestamp}` : ': none recorded yet'})`);
  }
  if (matches.length > 1) throw new UsageError(`${flag} ${id}: ${matches.length} recorded runs start so: give more of its timestamp`);
  const run = matches[0]!;
  if (!run.packageSet) throw new UsageError(`${flag} ${id}: that run recorded no package set (its image was made before sets were kept, or its lab never came up)`);
  return run;
}

export interface BisectInputs {
  good: VersionsEntry;
  bad: VersionsEntry;
  goodSet: PackageSetManifest;
  badSet: PackageSetManifest;
  profile: ProfileName;
  goodImage?: CachedImage;
  badImage?: CachedImage;
}

/** Both runs and what they need, checked; the first thing missing is one UsageError naming it. */
export async function checkBisect(o: { good: string; bad: string; reports: string; cache: string }): Promise<BisectInputs> {
  const history = join(o.reports, 'history', VERSIONS_HISTORY_FILE);
  const { entries } = await readVersionsHistory(history);
  const good = pickRun(entries, o.good, '--good', history);
  const bad = pickRun(entries, o.bad, '--bad', history);
  if (good.profile !== bad.profile) throw new UsageError(`--good and --bad are runs of different profiles (${good.profile}, ${bad.profile}): bisect between two runs of one profile`);
  if (!sameLine(good, bad)) throw new UsageError(`--good and --bad are runs of different variants (${lineName(good)}, ${lineName(bad)}): bisect between two runs of one line`);
  if (!(PROFILE_NAMES as readonly string[]).includes(good.profile)) throw new UsageError(`--good ${o.good}: a run of ${good.profile}, no profile this version knows`);
  if (good.packageSet === bad.packageSet) throw new UsageError(`--good and --bad ran the same package set ${good.packageSet!.slice(0, 12)}: no update between them to bisect`);
  const [goodSet, badSet] = await Promise.all([readSet(packagesRoot(o.cache), good.packageSet!), readSet(packagesRoot(o.cache), bad.packageSet!)]);
  for (const [flag, id, run, set] of [['--good', o.good, good, goodSet], ['--bad', o.bad, bad, badSet]] as const) {
    if (!set) throw new UsageError(`${flag} ${id}: its package set ${run.packageSet!.slice(0, 12)} is no longer in the package store (pruned to its bound, DRBDLAB_PACKAGE_CACHE_GIB): nothing to go back to`);
  }
  const profile = good.profile as ProfileName;
  const [goodImage, badImage] = await Promise.all([cachedImageOfSet(o.cache, profile, goodSet!.id), cachedImageOfSet(o.cache, profile, badSet!.id)]);
  if (!goodImage && !badImage) {
    throw new UsageError(`no cached image of either run's package set (${goodSet!.id.slice(0, 12)}, ${badSet!.id.slice(0, 12)}): probes are layers on one of them; run the nightly again to make one`);
  }
  return { good, bad, goodSet: goodSet!, badSet: badSet!, profile, ...(goodImage ? { goodImage } : {}), ...(badImage ? { badImage } : {}) };
}

/** The bisection itself (on VMs): probes until a verdict or the budget; every probe and the verdict said. */
export async function bisectCommand(o: { config: Config; inputs: BisectInputs; scenarios: string[]; signal: AbortSignal }, log: (line: string) => void): Promise<Attribution> {
  const i = o.inputs;
  // The hypervisor as a run would choose it (the remembered verdict, or a probe), on one of the two
  // images themselves: no upstream is asked and nothing is built.
  const img = (i.badImage ?? i.goodImage)!;
  const recipe = JSON.parse(await readFile(join(img.dir, 'recipe.json'), 'utf8').catch(() => '{}')) as { cmdline?: string };
  if (!img.kernel || !img.initrd || !recipe.cmdline) throw new UsageError(`image ${img.dir}: no kernel, initrd or recipe kernel command line: it cannot be booted as a probe's base`);
  const like: BaseImage = { profile: i.profile, disk: img.disk, digest: img.digest, dir: img.dir, boot: { kind: 'direct', kernel: img.kernel, initrd: img.initrd, cmdline: recipe.cmdline }, versions: img.versions, built: false };
  const profile = profileByName(i.profile, profileSettings(o.config));
  const pinned: GuestProfile = { name: profile.name, stack: profile.stack, checkAvailable: async () => {}, ensureImage: async () => like };
  const lab = new Lab(o.config.lab, pinned, realHost(o.config.paths), o.config.accel);
  const labPlan = await lab.plan({ progress: log, signal: o.signal });
  const scenario = o.scenarios.length ? o.scenarios.join(' ') : 'all scenarios';
  log(`bisect ${scenario}: run ${i.good.timestamp} (set ${i.goodSet.id.slice(0, 12)}) → run ${i.bad.timestamp} (set ${i.badSet.id.slice(0, 12)})`);
  const ports = realPorts({
    config: o.config,
    profile: pinned,
    ...(i.badImage ? { bad: asBaseImage(i.badImage, like) } : {}),
    ...(i.goodImage ? { good: asBaseImage(i.goodImage, like) } : {}),
    accel: labPlan.accel,
    scenario: { files: o.scenarios },
    workDir: join(o.config.paths.reports, 'attribution', 'bisect'),
    signal: o.signal,
    say: log,
  });
  const a = await attribute({ scenario, good: i.goodSet, bad: i.badSet, budgetMs: o.config.attribution.budgetMinutes * 60_000 }, ports);
  for (const line of attributionText(a).trimEnd().split('\n')) log(line);
  return a;
}
