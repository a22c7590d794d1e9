// `npm run mutation [-- <stryker options>]`: StrykerJS over the verdict code (stryker.config.mjs)
// under nice, then the score per module and the survivors check against mutation/survivors.json.
// `npm run mutation -- --check-only`: the check alone, over the last report. See docs/mutation.md.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { checkSurvivors, scoresByModule, type ListedSurvivor, type MutationReport, type Survivor } from '../lib/report/mutation-score.js';

const REPORT = 'reports/mutation/mutation.json';
const LISTING = 'mutation/survivors.json';

const USAGE = 'usage: npm run mutation [-- --check-only] [--mutate <globs>] [<stryker options>]   (npx stryker run --help lists those)';
const args = process.argv.slice(2);
// Its own usage, not Stryker's followed by a survivors check of the last report.
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const checkOnly = args.includes('--check-only');
// `--mutate <globs>` becomes DRBDLAB_MUTATE, so the config still leaves tests and fixtures alone
// (Stryker's own --mutate would replace the whole list, exclusions included).
const at = args.indexOf('--mutate');
if (at >= 0) {
  if (!args[at + 1] || args[at + 1]!.startsWith('-')) {
    process.stderr.write(`--mutate needs a glob, e.g. --mutate "lib/wait/**"; ${USAGE}\n`);
    process.exit(2);
  }
  process.env.DRBDLAB_MUTATE = args.splice(at, 2)[1];
}

if (!checkOnly) {
  // nice: the two cores are shared; Stryker's own concurrency is 1 (stryker.config.mjs).
  const run = await execa('nice', ['-n', '19', 'node_modules/.bin/stryker', 'run', 'stryker.config.mjs', ...args.filter((a) => a !== '--check-only')], { stdio: 'inherit', reject: false });
  if (run.exitCode !== 0) process.exit(run.exitCode ?? 1);
}

if (!existsSync(REPORT)) {
  process.stderr.write(`mutation: no report at ${REPORT}: run \`npm run mutation\` first\n`);
  process.exit(2);
}
const report = JSON.parse(await readFile(REPORT, 'utf8')) as MutationReport;
const listing = JSON.parse(await readFile(LISTING, 'utf8')) as ListedSurvivor[];

for (const [module, s] of Object.entries(scoresByModule(report))) {
  process.stdout.write(
    `${module.padEnd(24)} ${s.score === null ? '   -  ' : `${s.score.toFixed(2).padStart(6)}%`}  killed ${s.killed}, timeout ${s.timeout}, survived ${s.survived}, no coverage ${s.noCoverage} (${s.files} files)\n`,
  );
}

const { unlisted, stale, listed } = checkSurvivors(report, listing);
process.stdout.write(`\nsurvivors listed with a reason in ${LISTING}: ${listed}\n`);
if (unlisted.length > 0) {
  process.stdout.write(`\n${unlisted.length} survivor(s) not listed: kill each with a test, or add it to ${LISTING} with its reason:\n`);
  // Ready to paste: the reason is left for a person to write.
  process.stdout.write(`${JSON.stringify(unlisted.map(toEntry), null, 2)}\n`);
}
if (stale.length > 0) {
  process.stdout.write(`\n${stale.length} entr(y/ies) in ${LISTING} match no survivor (killed since, or the code changed): remove them:\n`);
  process.stdout.write(`${JSON.stringify(stale, null, 2)}\n`);
}
process.exit(unlisted.length > 0 || stale.length > 0 ? 1 : 0);

function toEntry(s: Survivor): ListedSurvivor {
  return { file: s.file, line: s.line, mutator: s.mutator, original: s.original, replacement: s.replacement, reason: '' };
}
