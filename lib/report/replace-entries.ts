import { mkdir, mkdtemp, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';

const exists = (p: string) => stat(p).then(() => true, () => false);

/**
 * Put the staged `names` (files or folders) in place of those in `into`, by renames only (the
 * stage is beside `into`, on its file system): no file is ever half-written there. What `into`
 * had under those names goes to the stage (removed with it); a rename that fails undoes the others.
 * Other entries of `into` (README.md, another phase's JUnit file) stay.
 */
export async function replaceEntries(into: string, staged: string, names: readonly string[]): Promise<void> {
  await mkdir(into, { recursive: true });
  const old = await mkdtemp(join(staged, '.replaced-'));
  const done: [from: string, to: string][] = [];
  const move = async (from: string, to: string) => {
    await rename(from, to);
    done.push([from, to]);
  };
  try {
    for (const n of names) if (await exists(join(into, n))) await move(join(into, n), join(old, n));
    for (const n of names) if (await exists(join(staged, n))) await move(join(staged, n), join(into, n));
  } catch (err) {
    for (const [from, to] of done.reverse()) await rename(to, from).catch(() => undefined);
    throw err;
  }
}
