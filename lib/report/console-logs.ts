import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Keep every node's serial console with the report (the lab folder goes with `down`). */
export async function copyConsoleLogs(lab: { nodeList: readonly { name: string; consoleLogPath: string }[] }, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const out: string[] = [];
  for (const n of lab.nodeList) {
    const dest = join(dir, `${n.name}.log`);
    await copyFile(n.consoleLogPath, dest).then(() => out.push(dest)).catch(() => undefined);
  }
  return out;
}
