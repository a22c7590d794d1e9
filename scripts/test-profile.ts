// `npm test`'s first line: which profile its real scenarios run on, and why (as the nightly's),
// then the offline line if offline. Writes the choice, for DRBDLAB_PROFILE_CHOICE, to the file
// named: the scenarios phase runs that choice instead of choosing again.
// Usage: npx tsx scripts/test-profile.ts <choice-file>
import { writeFile } from 'node:fs/promises';
import { argsOrExit, parseTestProfileArgs, TEST_PROFILE_USAGE } from '../lib/bench/script-args.js';
import { serializeChoice, testRunProfile, testRunProfiles } from '../lib/cli/test-profile.js';
import { loadConfig, profileSettings } from '../lib/config/config.js';
import { DrbdlabError, UsageError } from '../lib/errors.js';
import { EXIT } from '../lib/exit-codes.js';
import { OFFLINE_LINE } from '../lib/image/offline.js';
import { choiceLine } from '../lib/image/profiles.js';

async function main(file: string): Promise<void> {
  // lab.yaml and DRBDLAB_*, checked as the CLI checks them (a bad one: one line, exit 2).
  const config = await loadConfig();
  const choice = await testRunProfile(process.env, config.lab.profile, testRunProfiles(profileSettings(config)));
  process.stdout.write(`${choiceLine(choice)}\n`);
  if (config.offline) process.stdout.write(`${OFFLINE_LINE}\n`);
  await writeFile(file, serializeChoice(choice));
}

main(argsOrExit(() => parseTestProfileArgs(process.argv.slice(2)), TEST_PROFILE_USAGE).file).catch((err: unknown) => {
  console.error(err instanceof DrbdlabError ? err.message : err);
  process.exitCode = err instanceof UsageError ? EXIT.usage : EXIT.broken;
});
