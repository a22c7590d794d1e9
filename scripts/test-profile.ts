// `npm test`'s first line: which profile its real scenarios run on, and why (as the nightly's),
// then the offline line if offline. Writes the choice, for DRBDLAB_PROFILE_CHOICE, to the file
// named: the scenarios phase runs that choice instead of choosing again.
// Usage: npx tsx scripts/test-profile.ts <choice-file>
import { writeFile } from 'node:fs/promises';
import { DEFAULT_CONFIG } from '../lib/cli/context.js';
import { serializeChoice, testRunProfile } from '../lib/cli/test-profile.js';
import { loadLabConfig } from '../lib/config/load-lab.js';
import { checkEnvironment } from '../lib/config/environment.js';
import { DrbdlabError, UsageError } from '../lib/errors.js';
import { EXIT } from '../lib/exit-codes.js';
import { isOffline, OFFLINE_LINE } from '../lib/image/offline.js';
import { choiceLine } from '../lib/image/profiles.js';

async function main(file: string | undefined): Promise<void> {
  if (!file) throw new UsageError('usage: npx tsx scripts/test-profile.ts <choice-file>');
  checkEnvironment();
  const offline = isOffline();
  const config = await loadLabConfig(process.env.DRBDLAB_CONFIG ?? DEFAULT_CONFIG);
  const choice = await testRunProfile(process.env, config.profile);
  process.stdout.write(`${choiceLine(choice)}\n`);
  if (offline) process.stdout.write(`${OFFLINE_LINE}\n`);
  await writeFile(file, serializeChoice(choice));
}

main(process.argv[2]).catch((err: unknown) => {
  console.error(err instanceof DrbdlabError ? err.message : err);
  process.exitCode = err instanceof UsageError ? EXIT.usage : EXIT.broken;
});
