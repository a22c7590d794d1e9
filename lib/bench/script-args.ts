// The arguments of the scripts under scripts/ that start work (bench.ts, accel-verdicts.ts,
// test-profile.ts), parsed before anything starts: `--help` is the usage, an unknown flag or a bad value one line naming it
// (UsageError, exit 2). A flag the script did not know used to be ignored and a whole bench (image
// builds, boots) ran anyway.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';
import { EXIT } from '../exit-codes.js';

export const BENCH_USAGE = 'usage: npm run bench [-- --cold] [--restores N] [--no-nightly] [--boots] [--help]';
export const ACCEL_VERDICTS_USAGE = 'usage: npx tsx scripts/accel-verdicts.ts [N] [--help]   (N probes, 10 unless given)';

export const TEST_PROFILE_USAGE = 'usage: npx tsx scripts/test-profile.ts <choice-file>';

export type Parsed<T> = { help: true } | ({ help: false } & T);

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Node's parser, told to hand back tokens rather than throw, so an unknown flag is named by the
 * token's fields (its raw name), and the line says what to do.
 */
function tokensOf(argv: string[], options: Options, usage: string, positionals: number) {
  const { values, positionals: given, tokens } = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: false, allowPositionals: true, tokens: true });
  if (values.help === true) return { help: true as const };
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const spec = options[t.name];
    if (!spec) throw new UsageError(`${t.rawName}: not an option of this script; ${usage}`);
    if (spec.type === 'string' && t.value === undefined) throw new UsageError(`${t.rawName}: needs a value; ${usage}`);
    if (spec.type === 'boolean' && t.value !== undefined) throw new UsageError(`${t.rawName}=${t.value}: takes no value; ${usage}`);
  }
  if (given.length > positionals) throw new UsageError(`${given[positionals]}: not an argument of this script; ${usage}`);
  return { help: false as const, values, given };
}

const wholeNumber = (flag: string, v: string, usage: string): number => {
  if (!/^[1-9]\d*$/u.test(v)) throw new UsageError(`${flag} ${v}: give a whole number, 1 or more; ${usage}`);
  return Number(v);
};

export interface BenchArgs {
  cold: boolean;
  restores: number;
  nightly: boolean;
  boots: boolean;
}

/** scripts/bench.ts's arguments (process.argv.slice(2)). */
export function parseBenchArgs(argv: string[]): Parsed<BenchArgs> {
  const p = tokensOf(argv, { cold: { type: 'boolean' }, restores: { type: 'string' }, 'no-nightly': { type: 'boolean' }, boots: { type: 'boolean' } }, BENCH_USAGE, 0);
  if (p.help) return p;
  const restores = p.values.restores;
  return {
    help: false,
    cold: p.values.cold === true,
    restores: typeof restores === 'string' ? wholeNumber('--restores', restores, BENCH_USAGE) : 3,
    nightly: p.values['no-nightly'] !== true,
    boots: p.values.boots === true,
  };
}

/** scripts/accel-verdicts.ts's arguments: how many probes. */
export function parseAccelVerdictsArgs(argv: string[]): Parsed<{ probes: number }> {
  const p = tokensOf(argv, {}, ACCEL_VERDICTS_USAGE, 1);
  if (p.help) return p;
  return { help: false, probes: p.given[0] === undefined ? 10 : wholeNumber('N', p.given[0], ACCEL_VERDICTS_USAGE) };
}

/** scripts/test-profile.ts's one argument: the file the choice is written to. */
export function parseTestProfileArgs(argv: string[]): Parsed<{ file: string }> {
  const p = tokensOf(argv, {}, TEST_PROFILE_USAGE, 1);
  if (p.help) return p;
  if (p.given[0] === undefined) throw new UsageError(`the choice file is missing; ${TEST_PROFILE_USAGE}`);
  return { help: false, file: p.given[0] };
}

/** At a script's start: the usage (exit 0) for --help, one line and exit 2 for bad arguments, else the arguments. */
export function argsOrExit<T>(parse: () => Parsed<T>, usage: string): T {
  let p: Parsed<T>;
  try {
    p = parse();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(EXIT.usage);
  }
  if (p.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(EXIT.ok);
  }
  return p;
}
