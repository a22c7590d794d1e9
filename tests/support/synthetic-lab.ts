// A ReplayLab over a recording written in the test: the commands a step must run, in order, each
// with its answer. For helpers that no real recording reaches (a lab's own setup) or answers no
// real run gave (a wait that never gets there); outputs written as the real programs print them.
import { getGlobalTestRuntime, MessageHolderTestRuntime, setGlobalTestRuntime } from 'allure-js-commons/sdk/runtime';
import type { CommandRecord } from '../../lib/ssh/command-record.js';
import type { Recording } from '../../lib/scenario/recording.js';
import { ReplayLab } from '../../lib/scenario/replay-lab.js';
import type { ScenarioContext } from '../../lib/scenario/scenario-lab.js';

/** One command and its answer: exit code 0 and empty output unless given. */
export type Answer = [node: string, command: string, exitCode?: number, stdout?: string, stderr?: string];

export const NODES = [1, 2, 3].map((i) => ({ name: `drbd${i}`, replicationIp: `10.255.255.10${i}` }));

/** A synthetic recording of the drbdadm profile; commands take no virtual time. */
function syntheticRecording(answers: Answer[]): Recording {
  const commands: CommandRecord[] = answers.map(([node, command, exitCode = 0, stdout = '', stderr = ''], i) => ({
    seq: i + 1, node, command, stdout, stderr, exitCode, startedAt: '2026-01-01T00:00:00.000Z', durationMs: 0,
  }));
  return { profile: 'debian12-drbd84', evidence: 'synthetic', source: 'written in a unit test', labels: {}, nodes: NODES, commands };
}

export const syntheticLab = (answers: Answer[]) => new ReplayLab(syntheticRecording(answers));

/** A scenario context on `lab` whose steps just run their body. */
export function contextOn(lab: ReplayLab): ScenarioContext {
  return { lab, step: (_title, body) => body(), shared: false, redact: async () => undefined };
}

/** `n` times the same command and answer: the polls of a wait. */
export const times = (n: number, answer: Answer): Answer[] => Array.from({ length: n }, () => answer);

/** What `run` threw (undefined: it returned), and the records it left. */
export async function outcome<T>(lab: ReplayLab, run: () => Promise<T>): Promise<{ value?: T; err?: unknown; remaining: number }> {
  try {
    const value = await run();
    return { value, remaining: lab.remaining.length };
  } catch (err) {
    return { err, remaining: lab.remaining.length };
  }
}

/** What a helper put into the report: its attachments (content decoded) and parameters. */
export interface Reported {
  attachments: { name: string; content: string; contentType: string | undefined }[];
  parameters: { name: string; value: string }[];
}

/** Run `fn` with its Allure calls caught by a runtime of its own (not the calling test's result). */
export async function reported<T>(fn: () => Promise<T>): Promise<Reported & { value?: T; err?: unknown }> {
  const runtime = new MessageHolderTestRuntime();
  const previous = getGlobalTestRuntime();
  setGlobalTestRuntime(runtime);
  const out: Reported & { value?: T; err?: unknown } = { attachments: [], parameters: [] };
  try {
    out.value = await fn();
  } catch (err) {
    out.err = err;
  } finally {
    setGlobalTestRuntime(previous);
  }
  for (const m of runtime.messages()) {
    if (m.type === 'attachment_content') out.attachments.push({ name: m.data.name, content: Buffer.from(m.data.content, 'base64').toString('utf8'), contentType: m.data.contentType });
    if (m.type === 'metadata') out.parameters.push(...(m.data.parameters ?? []).map((p) => ({ name: p.name, value: p.value })));
  }
  return out;
}
