import { Argument, Command, CommanderError, Option } from 'commander';
import { checkEnvironment } from '../config/environment.js';
import { execa } from 'execa';
import { DrbdlabError, UsageError } from '../errors.js';
import { loadConfig, profileSettings, resolveLabless, type Config } from '../config/config.js';
import { PROFILE_NAMES, type ProfileName } from '../image/profile-names.js';
import { OFFLINE_PROFILE, profileByName } from '../image/profiles.js';
import { OFFLINE_LINE } from '../image/offline.js';
import { describeReaped, reapOrphans } from '../lab/reaper.js';
import { readState } from '../lab/state.js';
import { labPaths } from '../lab/paths.js';
import { realHost } from '../lab/lab-host.js';
import { downCommand, statusCommand } from './commands/labs.js';
import { log, pickLabId } from './context.js';
import { runDoctor } from './commands/doctor.js';
import { upCommand } from './commands/up.js';

import { EXIT } from '../exit-codes.js';
import { abortOnSignals, interruptedBy } from './commands/interrupt.js';
import { constants } from 'node:os';
import { nightlyCommand } from './commands/nightly.js';
import { packagesCommand } from './commands/packages.js';
import { bisectCommand, checkBisect } from './commands/bisect.js';
import { listSnapshots, pruneSnapshots, readSnapshot } from '../snapshot/store.js';
import { checkShardFits, parseShard, type Shard } from '../report/shard.js';
import { checkScenarioFilters, scenarioFiles } from './scenario-files.js';

// The run's configuration: lab.yaml, DRBDLAB_* and the action's flags, resolved once before the
// action (preAction) and read by it; nothing below the CLI reads them again.
let resolved: Config | undefined;
const config = (): Config => resolved!;
/**
 * The scenario files this run can select, for the checks made while parsing (before lab.yaml is
 * read): whether the tests' own scenarios are among them comes from the part of the
 * configuration that needs no lab.yaml, resolved by the same rules as the run's. Listed once.
 */
let parsedScenarioFiles: string[] | undefined;
const scenarioFilesToCheck = (): string[] => (parsedScenarioFiles ??= scenarioFiles(resolveLabless().testScenarios === true));
/** This machine, with the run's folders (labs, images, snapshots). */
const host = () => realHost(config().paths);

const program = new Command('drbdlab')
  .description('Three-node DRBD lab on real VMs, and the walkthrough as scenario tests')
  .option('-c, --config <file>', 'lab definition (default: DRBDLAB_CONFIG, else lab/lab.yaml)')
  .showHelpAfterError()
  // A flag or command that does not parse is bad input (exit 2), as a bad variable is.
  .exitOverride()
  .hook('preAction', async (_program, action) => {
    const o = action.opts<{ profile?: string; suite?: string[]; offline?: boolean; keep?: boolean; attribution?: boolean; attributionBudget?: string }>();
    // commander gives `attribution: true` unless --no-attribution: only `false` is the flag's word.
    resolved = await loadConfig({
      flags: { config: program.opts<{ config?: string }>().config, profile: o.profile, suites: o.suite, offline: o.offline, keep: o.keep, ...(o.attribution === false ? { attribution: false } : {}), attributionBudget: o.attributionBudget },
    });
    // Every command first removes the labs of processes that are gone (a killed nightly or test);
    // bisect checks its input first (bad input touches no lab) and reaps then.
    if (action.name() !== 'bisect') for (const r of await reapOrphans(resolved.lab.libvirtUri, host())) log(describeReaped(r));
  });

const profileOption = () => new Option('-p, --profile <name>', 'guest profile').choices(PROFILE_NAMES as unknown as string[]);
// Repeatable, each a name or a comma list; which suites the profile can add is checked with the configuration.
const suiteOption = () =>
  new Option('--suite <name>', 'add an archive suite to the profile\'s, a variant with its own image and history: proposed-updates, backports (debian12-drbd84; DRBDLAB_SUITE)')
    .argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
// Checked while parsing, as --shard is: a word that selects no scenario ends before any lab work.
const scenariosArgument = (description: string) =>
  new Argument('[scenarios...]', description).argParser((v: string, prev: string[] | undefined) => {
    checkScenarioFilters([v], scenarioFilesToCheck());
    return [...(prev ?? []), v];
  });
const offlineOption = () => new Option('--offline', 'use the cached image as it is; ask no upstream (DRBDLAB_OFFLINE=1 does the same)');

program
  .command('nightly', { isDefault: true })
  .description('the nightly job (default): image, up, all scenarios, report, down')
  .addOption(profileOption())
  .addOption(suiteOption())
  .option('--keep', 'on failure keep the VMs and print how to reach them')
  // Checked while parsing: bad input ends before any reaping or lab work.
  .option('--shard <i/n>', 'run part i of n of the scenario files (vitest --shard), e.g. 1/2; npm run report -- --merge joins the parts', (v) =>
    checkShardFits(parseShard(v), scenarioFilesToCheck().length),
  )
  .addOption(offlineOption())
  .option('--no-attribution', 'do not follow a DRBD failure up (by default: rerun it, on the last green package set, then bisect the updates)')
  .option('--attribution-budget <minutes>', 'time budget of following a red run up (default 120; DRBDLAB_ATTRIBUTION_BUDGET_MIN)')
  .addArgument(scenariosArgument('scenario files (default: all)'))
  .action(async (scenarios: string[], o: { profile?: ProfileName; shard?: Shard }) => {
    process.exitCode = await nightlyCommand({ config: config(), profile: o.profile, keep: config().keep, scenarios, shard: o.shard });
  });

program
  .command('bisect')
  .description('which update between two recorded runs turns a scenario red: rerun on each set, then bisect the changed source packages (docs/attribution.md)')
  .requiredOption('--good <run>', 'a recorded run (its timestamp in reports/history/versions.jsonl, or a start of it) that was green')
  .requiredOption('--bad <run>', 'a later recorded run that was red')
  .option('--attribution-budget <minutes>', 'time budget (default 120; DRBDLAB_ATTRIBUTION_BUDGET_MIN)')
  .addArgument(scenariosArgument('scenario files to run on each probe (default: all)'))
  .action(async (scenarios: string[], o: { good: string; bad: string }) => {
    const inputs = await checkBisect({ good: o.good, bad: o.bad, reports: config().paths.reports, cache: config().paths.cache });
    for (const r of await reapOrphans(config().lab.libvirtUri, host())) log(describeReaped(r));
    const interrupt = abortOnSignals((m) => log(`\n${m}`), 'removing what was made');
    try {
      await bisectCommand({ config: config(), inputs, scenarios, signal: interrupt.signal }, log);
    } finally {
      interrupt.release();
    }
  });

program
  .command('doctor')
  .description('check what the lab needs on this host, with the exact fix')
  .option('--reprobe', 'probe KVM again instead of the verdict remembered for this host boot')
  .action(async (o: { reprobe?: boolean }) => {
    const checks = await runDoctor(config().lab.libvirtUri, { host: host(), reprobe: o.reprobe, accel: config().accel, debian: config().debian });
    for (const c of checks) log(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(20)} ${c.detail}${!c.ok && c.fix ? `\n      fix: ${c.fix}` : ''}`);
    if (checks.some((c) => !c.ok)) process.exitCode = EXIT.broken;
  });

const image = program.command('image').description('guest images');
image
  .command('build')
  .description('build the profile\'s base image (cached by recipe and the state of its upstreams)')
  .addOption(profileOption())
  .addOption(suiteOption())
  .addOption(offlineOption())
  .action(async () => {
    if (config().offline) log(OFFLINE_LINE);
    const profile = profileByName(config().profile ?? OFFLINE_PROFILE, profileSettings(config()));
    const t0 = Date.now();
    const img = await profile.ensureImage((m) => log(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${m}`));
    log(`${img.built ? 'built' : 'cached'}: ${img.disk}`);
    for (const [k, v] of Object.entries(img.versions)) log(`  ${k} ${v}`);
  });

program
  .command('up')
  .description('start the lab: clones of the template, booted in parallel, ready over SSH')
  .addOption(profileOption())
  .addOption(suiteOption())
  .option('--snapshot', 'restore the cached snapshot of a ready cluster (seconds; made once by a fresh up)')
  .action(async (o: { profile?: ProfileName; snapshot?: boolean }) => {
    const interrupt = abortOnSignals((m) => log(`\n${m}`), 'removing what was made');
    try {
      const lab = await upCommand({ config: config().lab, host: host(), settings: profileSettings(config()), snapshotCacheBytes: config().snapshotCacheGiB * 1024 ** 3, profile: o.profile, signal: interrupt.signal, keep: true, snapshot: o.snapshot });
      // The lab stays (it is the user's now); this process has nothing left to do.
      await lab[Symbol.asyncDispose]();
    } finally {
      interrupt.release();
    }
  });

program
  .command('snapshots')
  .description('cached cluster snapshots: size, last use; --prune keeps the cache under its bound')
  .option('--prune', 'remove the least recently used beyond DRBDLAB_SNAPSHOT_CACHE_GIB (default 6)')
  .option('--clear', 'remove them all')
  .action(async (o: { prune?: boolean; clear?: boolean }) => {
    const root = config().paths.snapshots;
    const maxBytes = o.clear ? -1 : config().snapshotCacheGiB * 1024 ** 3;
    if (o.prune || o.clear) for (const d of await pruneSnapshots({ maxBytes, root })) log(`removed ${d}`);
    const all = await listSnapshots(root);
    if (all.length === 0) log('no snapshot cached');
    for (const s of all) {
      const m = await readSnapshot(s.dir);
      const what = m ? `${m.point}  ${m.profile}  ${m.accel.toUpperCase()}  made ${m.createdAt}` : 'incomplete (base image gone)';
      log(`${(s.bytes / 1024 ** 3).toFixed(2).padStart(6)} GiB  ${what}  last used ${new Date(s.lastUsed).toISOString()}\n          ${s.dir}`);
    }
  });

program
  .command('packages')
  .description('package sets of the images (the exact debs each installed): size on disk, what they share')
  .option('--prune', 'remove the least recently used sets beyond DRBDLAB_PACKAGE_CACHE_GIB (default 4), never the newest or last green run\'s of a profile')
  .option('--diff <sets...>', 'the source packages that differ from the first set to the second (ids or their start)')
  .action(async (o: { prune?: boolean; diff?: string[] }) => {
    if (o.diff && o.diff.length !== 2) throw new UsageError('--diff takes two sets: the older, then the newer');
    await packagesCommand({ ...o, folders: config().paths, maxBytes: config().packageCacheGiB * 1024 ** 3 }, log);
  });

program
  .command('status')
  .description('labs here, whose each is, and the state of their nodes')
  .action(async () => {
    await statusCommand(config().lab.libvirtUri, log, { host: host() });
  });

program
  .command('ssh <node> [command...]')
  .description('a shell or one command on a node (pinned host key)')
  .option('-l, --lab <id>', 'lab id (default: the newest)')
  .action(async (node: string, command: string[], o: { lab?: string }) => {
    const labs = config().paths.state;
    const id = await pickLabId(labs, o.lab);
    const s = (await readState(labs, id))!;
    const n = s.nodes.find((x) => x.name === node);
    if (!n) throw new UsageError(`no node "${node}" in lab ${id}: nodes are ${s.nodes.map((x) => x.name).join(', ')}`);
    const p = labPaths(labs, id);
    const r = await execa(
      'ssh',
      ['-i', p.userKey, '-p', String(n.sshPort), '-o', `UserKnownHostsFile=${p.knownHosts}`, '-o', 'StrictHostKeyChecking=yes',
       '-o', 'IdentitiesOnly=yes', '-o', 'ConnectTimeout=15', '-o', 'ServerAliveInterval=5', `${s.user}@127.0.0.1`, ...command],
      { stdio: 'inherit', reject: false },
    );
    process.exitCode = r.exitCode ?? 1;
  });

program
  .command('console <node>')
  .description('the serial console log of a node (--attach for the live console)')
  .option('-l, --lab <id>', 'lab id (default: the newest)')
  .option('--attach', 'attach to the live console (virsh console; Ctrl-] leaves)')
  .action(async (node: string, o: { lab?: string; attach?: boolean }) => {
    const labs = config().paths.state;
    const id = await pickLabId(labs, o.lab);
    const s = (await readState(labs, id))!;
    const n = s.nodes.find((x) => x.name === node);
    if (!n) throw new UsageError(`no node "${node}" in lab ${id}: nodes are ${s.nodes.map((x) => x.name).join(', ')}`);
    if (o.attach) {
      await execa(...host().connect(s.libvirtUri).consoleCommand(n.domain), { stdio: 'inherit', reject: false });
    } else {
      const { readFile } = await import('node:fs/promises');
      process.stdout.write(await readFile(labPaths(labs, id).consoleLog(node), 'utf8'));
    }
  });

program
  .command('down')
  .description('remove a lab: domains, network, files (idempotent); a lab a live process uses only with --force')
  .option('-l, --lab <id>', 'lab id (default: the newest)')
  .option('--all', 'every lab here and every drbdlab domain/network libvirt has, but those a live process uses')
  .option('--force', 'remove labs a live process (a nightly, a test run) uses too')
  .action(async (o: { lab?: string; all?: boolean; force?: boolean }) => {
    await downCommand(config().lab.libvirtUri, o, log, host());
  });

export async function main(argv = process.argv): Promise<void> {
  try {
    checkEnvironment();
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has printed its own line (and the help); help and --version end with 0.
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    const e = err as Error;
    process.stderr.write(`drbdlab: ${e.message}\n`);
    // The configuration may be what failed: the variable is read here, at the edge, as checked.
    if ((resolved?.debug ?? Boolean(process.env.DRBDLAB_DEBUG)) && e.stack) process.stderr.write(`${e.stack}\n`);
    process.exitCode = err instanceof UsageError ? EXIT.usage : err instanceof DrbdlabError ? (err.kind === 'product' ? EXIT.failed : EXIT.broken) : EXIT.broken;
  }
  // Interrupted and cleaned up: exit as a shell reports a signal (130 for SIGINT, 143 for SIGTERM).
  if (interruptedBy) process.exitCode = 128 + constants.signals[interruptedBy];
}

await main();
