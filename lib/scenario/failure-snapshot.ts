import * as allure from 'allure-js-commons';
import { parseDrbdsetupStatus } from '../drbd/drbdsetup-status.js';
import { describeAll } from '../drbd/state.js';
import type { ScenarioLab } from './scenario-lab.js';

/**
 * At a failed step: `drbdsetup status`, the tail of `dmesg` and of the serial console of every
 * node, attached to the report; the status as one line for the error message.
 */
export function failureSnapshot(lab: ScenarioLab): () => Promise<string> {
  return async () => {
    const parts: string[] = [];
    for (const n of lab.nodes) {
      const st = await n.exec('sudo drbdsetup status', { check: false, timeoutMs: 20_000 }).catch((e: Error) => ({ stdout: '', stderr: e.message, exitCode: null }));
      const text = `${st.stdout}${st.stderr}`.trim();
      let summary = text.split('\n')[0] || 'no resources';
      try {
        const parsed = parseDrbdsetupStatus(st.stdout);
        if (parsed.length > 0) summary = describeAll(parsed);
      } catch {
        /* keep the raw first line */
      }
      parts.push(`${n.name}: ${summary}`);
      await allure.attachment(`${n.name} drbdsetup status at failure`, text || '(empty)', 'text/plain');
      // The same commands in real runs and replays, so a failed run replays to the same failure.
      const dmesg = await n.exec('sudo dmesg | tail -n 60', { check: false, timeoutMs: 20_000 }).catch(() => undefined);
      if (dmesg) await allure.attachment(`${n.name} dmesg (tail)`, dmesg.stdout, 'text/plain');
      const console = (await n.consoleLog()).split('\n').slice(-80).join('\n');
      if (console) await allure.attachment(`${n.name} serial console (tail)`, console, 'text/plain');
    }
    return parts.join('; ');
  };
}
