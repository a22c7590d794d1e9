import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { loadLabConfig } from '../../config/load-lab.js';
import { UsageError } from '../../errors.js';
import { PROJECT_ROOT, reportsRoot } from '../../image/cache.js';
import type { ProfileName } from '../../image/profile-names.js';
import { chooseProfile, choiceLine } from '../../image/profiles.js';
import type { ProfileSubstitution } from '../../image/substitution.js';
import { Lab } from '../../lab/lab.js';
import type { StartedLab } from '../../lab/started-lab.js';
import { labPaths } from '../../lab/paths.js';
import { keepForUser } from '../../lab/ownership.js';
import { copyConsoleLogs } from '../../report/console-logs.js';
import { writeBrokenLabResult } from '../../report/broken-result.js';
import { reportStatus, type AllureResult } from '../../report/classify.js';
import { EXIT } from '../exit-codes.js';
import { dyingWithParent } from '../../exec/run.js';
import { abortOnSignals } from '../interrupt.js';

export interface NightlyOptions {
  config: string;
  profile?: ProfileName;
  keep?: boolean;
  /** Extra vitest arguments, e.g. one scenario file. */
  scenarios?: string[];
}

const t0 = Date.now();
const say = (m: string) => process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${m}\n`);

/**
 * The nightly job: profile → image (cached) → up → all scenarios → report → down.
 * Exit 0 only when every scenario passed; 1 when a scenario failed (DRBD behaved unlike the
 * walkthrough); 3 when the lab could not be built or reached (infrastructure).
 */
export async function nightlyCommand(o: NightlyOptions): Promise<number> {
  const config = await loadLabConfig(o.config);
  const choice = await chooseProfile(o.profile, config.profile);
  // First line of output: which profile and why, or that the walkthrough's did not run.
  process.stdout.write(`${choiceLine(choice)}\n`);
  const reports = reportsRoot();
  await rm(join(reports, 'allure-results'), { recursive: true, force: true });
  await mkdir(reports, { recursive: true });

  const interrupt = abortOnSignals(say, 'tearing the lab down');

  let lab: StartedLab | undefined;
  let code: number = EXIT.ok;
  // This run's versions go to the report (the PPA regression signal), never an older run's;
  // a substitution goes with them, to the report title and summary.md.
  const run: RunInfo = { profile: choice.profile.name, versions: {}, ...(choice.substituted ? { substituted: choice.substituted } : {}) };
  try {
    try {
      lab = await new Lab(config, choice.profile).start({ progress: say, signal: interrupt.signal, keep: true, keepOnFailure: o.keep });
    } catch (err) {
      say(`lab could not be built: ${(err as Error).message}`);
      await writeBrokenLabResult(join(reports, 'allure-results'), (err as Error).message, { profile: choice.profile.name }, t0);
      return (code = err instanceof UsageError ? EXIT.usage : EXIT.broken);
    }
    say(`lab ${lab.id} up: ${JSON.stringify(lab.timings)}`);
    run.versions = { ...lab.state.image.versions, ...(await kernelDrbdVersion(lab)) };
    // vitest itself, not through npx (which would not pass the signal on), dies with us even on
    // SIGKILL: no scenario goes on against a lab the reaper removes.
    const vitest = [join(PROJECT_ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--project', 'scenarios', ...(o.scenarios ?? [])];
    const tests = await execa(...dyingWithParent(process.execPath, vitest, 'TERM'), {
      cwd: PROJECT_ROOT,
      env: { DRBDLAB_LAB: lab.id },
      stdio: 'inherit',
      reject: false,
      cancelSignal: interrupt.signal,
    });
    code = await classifyRun(tests.exitCode ?? 1, join(reports, 'allure-results'));
    say(`scenarios: ${code === EXIT.ok ? 'all passed' : code === EXIT.failed ? 'failed' : 'broken (lab/infrastructure)'}`);
    await copyConsoleLogs(lab, join(reports, 'console'));
  } finally {
    interrupt.release();
    await publish(reports, run, say);
    if (lab) {
      if (o.keep && code !== EXIT.ok) {
        await keepForUser(lab.state);
        await lab[Symbol.asyncDispose](); // keep=true: closes the SSH sessions, leaves the VMs
        say(`kept lab ${lab.id} for you: npm run lab -- ssh drbd1 --lab ${lab.id}`);
        say(`when done:            npm run lab -- down --lab ${lab.id}   (files: ${labPaths(lab.id).dir})`);
      } else {
        await lab.down();
        say(`lab ${lab.id} removed`);
      }
    }
  }
  return code;
}

/** Failed (product) beats broken (infrastructure): a DRBD regression must not hide behind a flaky boot. */
async function classifyRun(vitestExit: number, resultsDir: string): Promise<number> {
  if (vitestExit === 0) return EXIT.ok;
  const { readdir, readFile } = await import('node:fs/promises');
  const files = (await readdir(resultsDir).catch(() => [] as string[])).filter((f) => f.endsWith('-result.json'));
  // The report's verdict (product errors failed, infrastructure broken), not allure-vitest's raw one.
  const statuses = await Promise.all(files.map(async (f) => reportStatus(JSON.parse(await readFile(join(resultsDir, f), 'utf8')) as AllureResult)));
  if (statuses.includes('failed')) return EXIT.failed;
  if (statuses.includes('broken')) return EXIT.broken;
  return EXIT.failed;
}

/** The loaded DRBD module's version, as /proc/drbd says (a failed DKMS build leaves 8.4 there). */
async function kernelDrbdVersion(lab: StartedLab): Promise<Record<string, string>> {
  const first = lab.nodeList[0];
  const proc = first ? await first.exec('cat /proc/drbd', { check: false, timeoutMs: 20_000 }).catch(() => undefined) : undefined;
  const m = proc && /^version: (\S+)/.exec(proc.stdout);
  return m ? { '/proc/drbd': m[1]! } : {};
}

/** reports/versions.json, read by lib/report/cli.ts. */
interface RunInfo {
  profile: string;
  versions: Record<string, string>;
  substituted?: ProfileSubstitution;
}

async function publish(reports: string, run: RunInfo, log: (m: string) => void): Promise<void> {
  const cli = join(PROJECT_ROOT, 'lib/report/cli.ts');
  const versionsFile = join(reports, 'versions.json');
  await writeFile(versionsFile, JSON.stringify(run, null, 2));
  const r = await execa('npx', ['tsx', cli, '--versions', versionsFile, '--profile', run.profile], { cwd: PROJECT_ROOT, reject: false, all: true });
  if (r.exitCode === 0) log(`report: ${join(reports, 'html', 'index.html')}`);
  else log(`report generation failed: ${String(r.all ?? '').split('\n').slice(-3).join(' | ')}`);
}

