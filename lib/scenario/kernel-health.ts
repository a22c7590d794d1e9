import * as allure from 'allure-js-commons';
import { KernelLogError, RemoteCommandError } from '../errors.js';
import {
  BOOT_ID_COMMAND, MARK_COMMAND, parseKernelLogMark, scanKernelLog, sinceCommand, WHOLE_BOOT_COMMAND, type KernelLogMark,
} from '../drbd/kernel-log.js';
import { onEach } from './on-each.js';
import type { ScenarioLab, ScenarioNode } from './scenario-lab.js';

export type KernelLogMarks = Map<string, KernelLogMark>;

/** Where each node's kernel log stands now (at scenario start; before a fault), to read what it logs after. */
export async function markKernelLogs(nodes: readonly ScenarioNode[]): Promise<KernelLogMarks> {
  const marks = await onEach(nodes, async (n) => {
    const r = await n.exec(MARK_COMMAND, { kind: 'infrastructure' });
    const mark = parseKernelLogMark(r.stdout);
    if (!mark) throw new RemoteCommandError(n.name, MARK_COMMAND, r.exitCode, r.stdout, 'expected a boot id and a line count', 'infrastructure');
    return [n.name, mark] as const;
  });
  return new Map(marks);
}

/**
 * After the scenario (passed or not): what each node's kernel logged since the mark, attached,
 * and a product failure if any of it is a BUG, WARNING, Oops, hung task or DRBD assertion.
 * `failure` is the scenario's own error, kept as the cause.
 */
export async function checkKernelLogs(lab: ScenarioLab, marks: KernelLogMarks, failure?: unknown): Promise<void> {
  const logs = await onEach(lab.nodes, async (n) => {
    const mark = marks.get(n.name)!;
    const bootId = await n.output(BOOT_ID_COMMAND, { kind: 'infrastructure' });
    const rebooted = bootId !== mark.bootId;
    const text = await n.output(rebooted ? WHOLE_BOOT_COMMAND : sinceCommand(mark), { kind: 'infrastructure' });
    const note = rebooted ? `(rebooted during the scenario: this boot's whole log; the end of the boot before is not in it)\n` : '';
    return { node: n.name, text, note };
  });
  const hits: { node: string; line: string }[] = [];
  for (const { node, text, note } of logs) {
    await allure.attachment(`kernel log since scenario start: ${node}`, `${note}${text}\n`, 'text/plain');
    for (const h of scanKernelLog(text)) hits.push({ node, line: h.line });
  }
  if (hits.length > 0) throw new KernelLogError(hits, failure === undefined ? undefined : { cause: failure });
}
