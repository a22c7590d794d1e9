// One junit.xml from the shards' (junit-report-merger: testsuites side by side, totals summed).

import { readFile, writeFile } from 'node:fs/promises';
import { mergeToString } from 'junit-report-merger';
import { UsageError } from '../errors.js';

/** Merge the JUnit files that exist into `dest`; false when there was none (a killed run writes none). */
export async function mergeJunitFiles(files: readonly string[], dest: string): Promise<boolean> {
  const texts: string[] = [];
  for (const f of files) {
    const text = await readFile(f, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (text === undefined) continue;
    // One at a time first, so a broken file is named (the merger's own error does not say which).
    await mergeToString([text]).catch((err: Error) => {
      throw new UsageError(`${f}: not JUnit XML (${err.message.split('\n')[0]}): rerun that shard or remove the file`);
    });
    texts.push(text);
  }
  if (texts.length === 0) return false;
  await writeFile(dest, await mergeToString(texts));
  return true;
}
