// `npm run bench [-- --cold] [--restores N] [--no-nightly] [--boots]`: the lab's figures in one
// run, as JSON (a script, not a test): fresh up, where a fresh boot goes, snapshot creation,
// restore to ready, the nightly on restored clusters with each scenario, and the ratios.
// `--boots` alone: each boot kind's profile (restore, reboot, power-on after a power cut) on a
// cluster restored from the cached snapshot: systemd-analyze's split, the slowest units, the
// units that used most CPU, the critical chain, wall time and guest CPU seconds.
// Baselines (README): three TCG guests ready ≈ 150 s by hand; the nightly on one shared lab 741 s.
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { loadConfig, profileSettings } from '../lib/config/config.js';
import { Debian12Profile } from '../lib/image/debian12-profile.js';
import { PROJECT_ROOT } from '../lib/paths.js';
import { realHost } from '../lib/lab/lab-host.js';
import { Lab } from '../lib/lab/lab.js';
import type { StartedLab } from '../lib/lab/started-lab.js';
import { planRun, type ClusterSnapshot } from '../lib/snapshot/cluster-snapshot.js';
import { argsOrExit, BENCH_USAGE, parseBenchArgs } from '../lib/bench/script-args.js';
import { parseBlame, parseSystemdAnalyze, parseUnitCpu } from '../lib/bench/boot-profile.js';
import { scoresByModule, type MutationReport } from '../lib/report/mutation-score.js';

// Before anything starts: --help, an unknown flag or a bad --restores ends here.
const args = argsOrExit(() => parseBenchArgs(process.argv.slice(2)), BENCH_USAGE);
const restores = args.restores;
const log = (m: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const seconds = (t: number) => Math.round((Date.now() - t) / 100) / 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const BASELINE_NIGHTLY = 741;

const result: Record<string, unknown> = { host: { cpus: (await import('node:os')).cpus().length, load: (await import('node:os')).loadavg() } };
// lab.yaml and DRBDLAB_* as the CLI reads them (DRBDLAB_ACCEL reaches the labs' hypervisor choice).
const run = await loadConfig();
const settings = profileSettings(run);
const profile = Debian12Profile.create(settings);
const cache = run.paths.cache;
// The last mutation run's score per verdict module (Stryker is not run here: hours, not minutes).
result.mutation = await lastMutationScores();

if (args.cold) {
  // A cache of its own, empty: the profile builds there from scratch.
  const cold = join(cache, `bench-cold-${process.pid}`);
  const t = Date.now();
  await Debian12Profile.create({ ...settings, folders: { ...settings.folders, cache: cold } }).ensureImage(log);
  result.imageBuildCold = seconds(t);
  await rm(cold, { recursive: true, force: true });
}
let t = Date.now();
await profile.ensureImage(log);
result.imageCached = seconds(t);

if (args.boots) {
  const { snapshot } = await planRun(new Lab(run.lab, profile, realHost(run.paths), run.accel), { progress: log, cacheMaxBytes: run.snapshotCacheGiB * 1024 ** 3 });
  result.boots = await bootProfiles(snapshot);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.exit(0);
}

// A snapshot cache of the bench's own: the snapshot is made here, not found.
const snapshots = join(cache, `bench-snapshots-${process.pid}`);
await mkdir(snapshots, { recursive: true, mode: 0o711 });
try {
  const lab = new Lab(run.lab, profile, realHost({ ...run.paths, snapshots }), run.accel);
  // Where a fresh boot goes: measured on the fresh up the snapshot is made from, before the save.
  t = Date.now();
  const { snapshot } = await planRun(lab, { progress: log, cacheMaxBytes: run.snapshotCacheGiB * 1024 ** 3 });
  const made = snapshot.manifest.timings;
  result.freshUp = made.up;
  result.freshReadyPerNode = Object.fromEntries(Object.entries(made).filter(([k]) => k.startsWith('ready.')).map(([k, v]) => [k.slice(6), v]));
  result.snapshotSave = made.save;
  result.snapshotCreate = seconds(t);

  const restored: number[] = [];
  let boot: Record<string, string> | undefined;
  for (let i = 0; i < restores; i++) {
    t = Date.now();
    const r: StartedLab = await snapshot.restore({ progress: () => {} });
    restored.push(seconds(t));
    log(`restore ${i + 1}: ${restored.at(-1)} s ${JSON.stringify(r.timings)}`);
    // The boot the snapshot holds (systemd and cloud-init timings of the fresh first boot).
    boot ??= await bootTimes(r);
    await r.down();
  }
  result.restoreToReady = { median: median(restored), all: restored };
  result.freshBoot = boot;

  if (args.nightly) {
    const reports = join(cache, `bench-reports-${process.pid}`);
    t = Date.now();
    const n = await execa('node', ['--import', 'tsx', 'lib/cli/main.ts', 'nightly', '--profile', 'debian12-drbd84'], {
      cwd: PROJECT_ROOT,
      // Its reports apart, and the bench's snapshot cache: the nightly restores the snapshot made here.
      env: { DRBDLAB_REPORTS: reports, DRBDLAB_SNAPSHOTS: snapshots },
      reject: false,
      all: true,
    });
    result.nightly = { seconds: seconds(t), exitCode: n.exitCode, clustersAtOnce: /\((\d+) at a time\)/.exec(n.all ?? '')?.[1] };
    result.scenarios = await scenarioTimes(join(reports, 'junit.xml'));
    await rm(reports, { recursive: true, force: true });
  }
  const fresh = result.freshUp as number;
  result.ratios = {
    restoreOverFreshUp: round(median(restored) / fresh),
    ...(result.nightly ? { nightlyOverBaseline741: round((result.nightly as { seconds: number }).seconds / BASELINE_NIGHTLY), nightlyOverFreshUp: round((result.nightly as { seconds: number }).seconds / fresh) } : {}),
  };
} finally {
  await rm(snapshots, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** systemd-analyze and cloud-init's own stage timings of the boot a node went through. */
async function bootTimes(lab: StartedLab): Promise<Record<string, string>> {
  const n = lab.nodeList[0]!;
  const q = async (c: string) => (await n.exec(c, { check: false, timeoutMs: 120_000 })).stdout.trim();
  return {
    systemd: await q('systemd-analyze | head -1'),
    blame: await q('systemd-analyze blame | head -8 | tr -s " " | paste -sd ";"'),
    cloudInitStages: await q("sudo cloud-init analyze show 2>/dev/null | grep -E '^Finished stage|Total Time' | paste -sd ';'"),
  };
}

/** Guest CPU seconds a node's QEMU has run since it started (a guest reboot keeps the process). */
async function guestCpu(lab: StartedLab, node: string): Promise<number> {
  return (await lab.guestCpu())[node]!;
}

/** What systemd says of the boot a node is in: the split, the slowest units, the units that used most CPU, the critical chain. */
async function bootSplit(lab: StartedLab, node: string) {
  const n = lab.node(node);
  const q = async (c: string) => (await n.exec(c, { check: false, timeoutMs: 120_000 })).stdout;
  return {
    split: parseSystemdAnalyze((await q('systemd-analyze')).split('\n')[0] ?? ''),
    blame: parseBlame(await q('systemd-analyze blame --no-pager')),
    unitCpu: parseUnitCpu(await q("systemctl show --all -p Id -p CPUUsageNSec '*'")),
    criticalChain: (await q('systemd-analyze critical-chain --no-pager | tail -n +3 | head -15')).trim().split('\n'),
  };
}

/** Each boot kind on a restored cluster, one after another, on drbd1 (the others idle). */
async function bootProfiles(snapshot: ClusterSnapshot) {
  const t0 = Date.now();
  const lab = await snapshot.restore({ progress: () => {} });
  try {
    const node = lab.nodeList[0]!.name;
    const restore = { wallSeconds: seconds(t0), guestCpuSeconds: round(await guestCpu(lab, node)), firstBootAsSaved: await bootSplit(lab, node) };
    let cpu = await guestCpu(lab, node);
    let t = Date.now();
    await lab.node(node).reboot();
    const reboot = { wallSeconds: seconds(t), guestCpuSeconds: round((await guestCpu(lab, node)) - cpu), ...(await bootSplit(lab, node)) };
    // The node's count goes on across the power cut (the killed QEMU's CPU kept): the power-on's is the difference.
    cpu = await guestCpu(lab, node);
    await lab.node(node).powerOff();
    t = Date.now();
    await lab.node(node).powerOn();
    const powerOn = { wallSeconds: seconds(t), guestCpuSeconds: round((await guestCpu(lab, node)) - cpu), ...(await bootSplit(lab, node)) };
    return { node, restore, reboot, powerOn };
  } finally {
    await lab.down();
  }
}

/**
 * Score per module from the last `npm run mutation`: its JSON report, else the committed
 * incremental file (same schema, every slice run so far). null when neither exists.
 */
async function lastMutationScores(): Promise<Record<string, unknown> | null> {
  for (const file of ['reports/mutation/mutation.json', 'mutation/stryker-incremental.json']) {
    const path = join(PROJECT_ROOT, file);
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    // A clone's checkout time says nothing about the committed file: its date is in git.
    const written = file.startsWith('reports/') ? (await stat(path)).mtime.toISOString() : undefined;
    return { source: file, written, modules: scoresByModule(JSON.parse(text) as MutationReport) };
  }
  return null;
}

/** Seconds per test case, from the nightly's JUnit file. */
async function scenarioTimes(junit: string): Promise<Record<string, number>> {
  const xml = await readFile(junit, 'utf8').catch(() => '');
  const out: Record<string, number> = {};
  for (const m of xml.matchAll(/<testcase[^>]*name="([^"]+)"[^>]*time="([\d.]+)"/g)) out[m[1]!.replace(/&quot;|&amp;/g, '')] = Number(m[2]);
  return out;
}
