// One configuration, read once at the edge: lab.yaml, the DRBDLAB_* variables and the command's
// flags merged into one validated value (a flag wins over a variable, a variable over lab.yaml,
// lab.yaml over the default), which is then passed down. A child process (the nightly's scenario
// runner and its workers) gets it whole, as one variable holding JSON, parsed with the same schema.
// docs/configuration.md lists every source.

import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, UsageError } from '../errors.js';
import { PROFILE_NAMES, type ProfileName } from '../image/profile-names.js';
import { DEBIAN_MIRROR, DEBIAN_SECURITY_MIRROR, extraFromEnv } from '../image/debian12-recipe.js';
import type { ProfileSettings } from '../image/profile.js';
import { profileFacts } from '../image/profiles.js';
import { ADDED_SUITES, type AddedSuite } from '../image/variant.js';
import { defaultFolders, PROJECT_ROOT } from '../paths.js';
import { checkEnvironment } from './environment.js';
import { labSchema } from './lab-schema.js';
import { parseLabConfig } from './load-lab.js';

/** The variable that carries a resolved configuration to a child process. */
export const RUN_CONFIG_ENV = 'DRBDLAB_RUN_CONFIG';

export const FAULTS = ['wrong-peer-ip', 'kernel-bug-before-reboot'] as const;
/** A fault a scenario injects on purpose (DRBDLAB_FAULT), to show how a broken step reports itself. */
export type Fault = (typeof FAULTS)[number];
const ACCEL_SETTINGS = ['kvm', 'tcg', 'auto'] as const;

/** The checkout: where lab/lab.yaml, .lab, .cache and reports are by default. */
const ROOT = PROJECT_ROOT;

export const configSchema = z.strictObject({
  /** The lab definition it was read from (-c/--config, DRBDLAB_CONFIG, lab/lab.yaml). */
  configFile: z.string().min(1),
  lab: labSchema,
  /** --profile, DRBDLAB_PROFILE, lab.yaml's `profile`; unset: chosen by the run. */
  profile: z.enum(PROFILE_NAMES).optional(),
  /** --suite, DRBDLAB_SUITE: suites added to the profile's (a variant, lib/image/variant.ts), sorted; unset: the plain profile. */
  suites: z.array(z.enum(ADDED_SUITES)).min(1).optional(),
  /** --offline, DRBDLAB_OFFLINE=1: the cached image as it is, no upstream asked. */
  offline: z.boolean(),
  /** --keep, DRBDLAB_KEEP=1: a failed scenario's cluster stays. */
  keep: z.boolean(),
  /** DRBDLAB_DEBUG: the stack trace after an error's line. */
  debug: z.boolean(),
  /** DRBDLAB_ACCEL. */
  accel: z.enum(ACCEL_SETTINGS),
  /** DRBDLAB_CLUSTERS; unset: from the host's cores and memory. */
  clusters: z.number().int().min(1).optional(),
  paths: z.strictObject({
    state: z.string().min(1),
    cache: z.string().min(1),
    snapshots: z.string().min(1),
    reports: z.string().min(1),
    junit: z.string().min(1),
  }),
  /** DRBDLAB_SNAPSHOT_CACHE_GIB. */
  snapshotCacheGiB: z.number().min(0),
  /** DRBDLAB_PACKAGE_CACHE_GIB: the package store's bound. */
  packageCacheGiB: z.number().min(0),
  /**
   * Following up a red run (docs/attribution.md): on unless --no-attribution or
   * DRBDLAB_ATTRIBUTION=0; its time budget in minutes (--attribution-budget,
   * DRBDLAB_ATTRIBUTION_BUDGET_MIN, default 120).
   */
  attribution: z.strictObject({ enabled: z.boolean(), budgetMinutes: z.number().positive() }),
  /** DRBDLAB_DEBIAN_MIRROR, DRBDLAB_DEBIAN_SECURITY_MIRROR; DRBDLAB_EXTRA_APT_SOURCE and DRBDLAB_EXTRA_PACKAGES (tests). */
  debian: z.strictObject({
    mirror: z.string().min(1),
    securityMirror: z.string().min(1),
    extra: z.strictObject({ sources: z.array(z.string().min(1)), packages: z.array(z.string().min(1)) }).optional(),
  }),
  /** DRBDLAB_PIN_DIR. */
  pinDir: z.string().min(1).optional(),
  /** DRBDLAB_LAB: run the scenarios on that lab as it is. */
  labId: z.string().min(1).optional(),
  /** DRBDLAB_SNAPSHOT: the snapshot the scenario runner restores from (the nightly's). */
  snapshot: z.string().min(1).optional(),
  /** DRBDLAB_REPLAY: only these recordings (absolute paths). */
  replay: z.array(z.string().min(1)).optional(),
  /** DRBDLAB_OWNER_PID: the job whose labs this process makes (the nightly's pid, for its scenario runner). */
  ownerPid: z.number().int().min(1).optional(),
  /** DRBDLAB_FAULT: a fault the drbdadm walkthrough injects on purpose. */
  fault: z.enum(FAULTS).optional(),
  /** DRBDLAB_TEST_SCENARIOS=1: the scenarios project also runs the tests' own scenarios (tests/scenarios/). */
  testScenarios: z.boolean().optional(),
});

export type Config = z.infer<typeof configSchema>;

/** The flags of a command that are configuration (the rest stay the command's own). */
export interface ConfigFlags {
  config?: string;
  profile?: string;
  /** --suite, as typed (each may be a comma list). */
  suites?: string[];
  offline?: boolean;
  keep?: boolean;
  /** --no-attribution gives false. */
  attribution?: boolean;
  /** --attribution-budget <minutes>, as typed. */
  attributionBudget?: string;
}

export interface ResolveInput {
  flags?: ConfigFlags;
  env?: NodeJS.ProcessEnv;
  /** Where the defaults are (the checkout); a path given by flag or variable is the caller's, from the working directory. */
  root?: string;
}

/** The lab definition a run reads: --config, else DRBDLAB_CONFIG, else lab/lab.yaml. */
export function configFileOf({ flags = {}, env = process.env, root = ROOT }: ResolveInput = {}): string {
  const given = flags.config ?? (env.DRBDLAB_CONFIG || undefined);
  return given ? resolve(given) : join(root, 'lab', 'lab.yaml');
}

/**
 * Pure: flags, the environment and lab.yaml's text → the configuration. A bad variable (name or
 * value), a bad flag or a lab.yaml mistake is one line naming it and the fix (UsageError, exit 2).
 */
export function resolveConfig(labText: string, input: ResolveInput = {}): Config {
  const { flags = {}, env = process.env, root = ROOT } = input;
  const labless = resolveLabless(env, root);
  const configFile = configFileOf(input);
  const lab = parseLabConfig(labText, configFile);
  const set = (name: string): string | undefined => env[name] || undefined;

  checkProfileFlag(flags);
  const profile = (flags.profile ?? set('DRBDLAB_PROFILE') ?? lab.profile) as ProfileName | undefined;
  const suites = checkSuites(flags.suites !== undefined ? { given: flags.suites, by: '--suite' } : { given: set('DRBDLAB_SUITE') ? [set('DRBDLAB_SUITE')!] : [], by: 'DRBDLAB_SUITE' }, profile);
  const extra = extraFromEnv(env);
  const replay = set('DRBDLAB_REPLAY')?.split(',').filter(Boolean).map((f) => resolve(f));
  const config: Config = {
    configFile,
    lab,
    ...(profile ? { profile } : {}),
    ...(suites ? { suites } : {}),
    offline: flags.offline ?? labless.offline,
    keep: flags.keep ?? set('DRBDLAB_KEEP') === '1',
    debug: set('DRBDLAB_DEBUG') !== undefined,
    accel: (set('DRBDLAB_ACCEL') ?? 'auto') as Config['accel'],
    ...(set('DRBDLAB_CLUSTERS') ? { clusters: Number(set('DRBDLAB_CLUSTERS')) } : {}),
    paths: labless.paths,
    snapshotCacheGiB: Number(set('DRBDLAB_SNAPSHOT_CACHE_GIB') ?? 6),
    packageCacheGiB: labless.packageCacheGiB,
    attribution: {
      enabled: flags.attribution ?? set('DRBDLAB_ATTRIBUTION') !== '0',
      budgetMinutes: budgetMinutes(flags.attributionBudget) ?? Number(set('DRBDLAB_ATTRIBUTION_BUDGET_MIN') ?? DEFAULT_ATTRIBUTION_BUDGET_MIN),
    },
    debian: {
      mirror: set('DRBDLAB_DEBIAN_MIRROR') ?? DEBIAN_MIRROR,
      securityMirror: set('DRBDLAB_DEBIAN_SECURITY_MIRROR') ?? DEBIAN_SECURITY_MIRROR,
      ...(extra ? { extra } : {}),
    },
    ...(set('DRBDLAB_PIN_DIR') ? { pinDir: resolve(set('DRBDLAB_PIN_DIR')!) } : {}),
    ...(set('DRBDLAB_LAB') ? { labId: set('DRBDLAB_LAB')! } : {}),
    ...(set('DRBDLAB_SNAPSHOT') ? { snapshot: resolve(set('DRBDLAB_SNAPSHOT')!) } : {}),
    ...(replay?.length ? { replay } : {}),
    ...(set('DRBDLAB_OWNER_PID') ? { ownerPid: Number(set('DRBDLAB_OWNER_PID')) } : {}),
    ...(set('DRBDLAB_FAULT') ? { fault: set('DRBDLAB_FAULT') as Config['fault'] } : {}),
    ...(labless.testScenarios ? { testScenarios: true } : {}),
  };
  // The variables were checked one by one above; this is the shape every consumer relies on.
  return configSchema.parse(config);
}

/** What an edge that reads no lab.yaml (`npm run report`) takes of the configuration. */
export type LablessConfig = Pick<Config, 'paths' | 'offline' | 'packageCacheGiB' | 'testScenarios'>;

/**
 * The part of the configuration that needs no lab.yaml, by the same rules as resolveConfig (which
 * takes it from here): the folders (a variable, from the working directory, else the default
 * under `root`), offline, the package store's bound and whether the tests' own scenarios run
 * (the CLI checks scenario arguments against them before any lab.yaml). The environment is
 * checked first.
 */
export function resolveLabless(env: NodeJS.ProcessEnv = process.env, root = ROOT): LablessConfig {
  checkEnvironment(env);
  const set = (name: string): string | undefined => env[name] || undefined;
  return {
    paths: resolvePaths(set, root),
    offline: set('DRBDLAB_OFFLINE') === '1',
    packageCacheGiB: Number(set('DRBDLAB_PACKAGE_CACHE_GIB') ?? 4),
    ...(set('DRBDLAB_TEST_SCENARIOS') === '1' ? { testScenarios: true } : {}),
  };
}

function resolvePaths(set: (name: string) => string | undefined, root: string): Config['paths'] {
  const d = defaultFolders(root);
  const dir = (name: string, fallback: string) => resolve(set(name) ?? fallback);
  const cache = dir('DRBDLAB_CACHE', d.cache);
  const reports = dir('DRBDLAB_REPORTS', d.reports);
  return {
    state: dir('DRBDLAB_STATE', d.state),
    cache,
    snapshots: dir('DRBDLAB_SNAPSHOTS', join(cache, 'snapshots')),
    reports,
    junit: dir('DRBDLAB_JUNIT', join(reports, 'junit.xml')),
  };
}

/** Default time budget of attribution, minutes: a few probes of a fresh image and cluster each. */
const DEFAULT_ATTRIBUTION_BUDGET_MIN = 120;

/** --attribution-budget's minutes, checked: a number above 0, or one line saying so. */
function budgetMinutes(flag: string | undefined): number | undefined {
  if (flag === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/u.test(flag) || Number(flag) <= 0) throw new UsageError(`--attribution-budget ${flag}: give minutes, a number above 0 (e.g. 90)`);
  return Number(flag);
}

function checkProfileFlag(flags: ConfigFlags): void {
  if (flags.profile !== undefined && !(PROFILE_NAMES as readonly string[]).includes(flags.profile)) {
    throw new UsageError(`--profile ${flags.profile}: not a profile; use one of ${PROFILE_NAMES.join(', ')}`);
  }
}

/** Every profile that can add suites, with them: `debian12-drbd84 (proposed-updates, backports)`. */
const profilesWithSuites = (): string =>
  PROFILE_NAMES.filter((n) => profileFacts(n).suites.length)
    .map((n) => `${n} (${profileFacts(n).suites.join(', ')})`)
    .join('; ');

/**
 * --suite (each a name or a comma list; it wins over DRBDLAB_SUITE) checked against what the
 * profile can add (its facts): sorted and without repeats, or undefined when none is given. A
 * suite the profile cannot add, or suites with no profile named to add them to, is one line.
 */
function checkSuites(o: { given: readonly string[]; by: string }, profile: ProfileName | undefined): AddedSuite[] | undefined {
  const names = [...new Set(o.given.flatMap((g) => g.split(/[\s,]+/u)).filter(Boolean))].sort();
  if (names.length === 0) return undefined;
  const typed = `${o.by} ${names.join(',')}`;
  if (!profile) throw new UsageError(`${typed}: a suite is added to a named profile: name it with --profile (or DRBDLAB_PROFILE, lab.yaml's profile); profiles that add suites: ${profilesWithSuites()}`);
  const allowed: readonly string[] = profileFacts(profile).suites;
  const bad = names.filter((n) => !allowed.includes(n));
  if (bad.length === 0) return names as AddedSuite[];
  if (allowed.length === 0) throw new UsageError(`${typed}: ${profile} adds no suites; profiles that do: ${profilesWithSuites()}`);
  throw new UsageError(`${o.by} ${bad.join(',')}: not a suite ${profile} can add; use ${allowed.join(', ')}`);
}

/** A handed-down configuration with this process's own flags over it (a flag wins over everything). */
function withFlags(config: Config, flags: ConfigFlags = {}): Config {
  checkProfileFlag(flags);
  const profile = (flags.profile ?? config.profile) as ProfileName | undefined;
  const suites = flags.suites !== undefined || flags.profile !== undefined ? checkSuites({ given: flags.suites ?? config.suites ?? [], by: flags.suites !== undefined ? '--suite' : 'the handed-down suites' }, profile) : config.suites;
  const { suites: _handed, ...rest } = config;
  return {
    ...rest,
    ...(suites ? { suites } : {}),
    ...(flags.profile !== undefined ? { profile: flags.profile as ProfileName } : {}),
    ...(flags.offline !== undefined ? { offline: flags.offline } : {}),
    ...(flags.keep !== undefined ? { keep: flags.keep } : {}),
    ...(flags.attribution !== undefined || flags.attributionBudget !== undefined
      ? { attribution: { enabled: flags.attribution ?? config.attribution.enabled, budgetMinutes: budgetMinutes(flags.attributionBudget) ?? config.attribution.budgetMinutes } }
      : {}),
  };
}

/**
 * The configuration of this process: the one its parent resolved (DRBDLAB_RUN_CONFIG), else read
 * here from lab.yaml, the environment and the flags, by the same rules.
 */
export async function loadConfig(input: ResolveInput = {}): Promise<Config> {
  const env = input.env ?? process.env;
  const handed = env[RUN_CONFIG_ENV];
  if (handed) return withFlags(parseRunConfig(handed), input.flags);
  const file = configFileOf(input);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ConfigError(file, '', 'cannot read the lab definition: pass --config <file> or create lab/lab.yaml');
  }
  return resolveConfig(text, input);
}

/** What the profiles take of the configuration (lib/image/profiles.ts: profileByName, profileCandidates). */
export function profileSettings(config: Config): ProfileSettings {
  return {
    folders: { cache: config.paths.cache, state: config.paths.state },
    offline: config.offline,
    accel: config.accel,
    debian: config.debian,
    ...(config.suites ? { suites: config.suites } : {}),
    ...(config.pinDir ? { pinDir: config.pinDir } : {}),
  };
}

/** What a child process gets in DRBDLAB_RUN_CONFIG. */
export function serializeConfig(config: Config): string {
  return JSON.stringify(configSchema.parse(config));
}

/** DRBDLAB_RUN_CONFIG back as a configuration; anything else is refused, naming the variable. */
export function parseRunConfig(text: string): Config {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`${RUN_CONFIG_ENV}: not JSON; it is set by drbdlab for its child processes: unset it`);
  }
  const r = configSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new UsageError(`${RUN_CONFIG_ENV}: ${issue.path.map(String).join('.') || '(top)'}: ${issue.message}; it is set by drbdlab for its child processes: unset it`);
  }
  return r.data;
}
