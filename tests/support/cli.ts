// The CLI as a user runs it: a child process, its output, its exit; signals sent to it alone.
import { execa, type ResultPromise } from 'execa';
import { PROJECT_ROOT } from '../../lib/paths.js';
import { pollUntil } from '../../lib/wait/poll.js';

export interface CliRun {
  child: ResultPromise;
  output(): string;
  /** Resolves once a line matching `re` was printed; fails if the CLI exits first. */
  waitFor(re: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  exit: Promise<{ exitCode?: number; signal?: string; atMs: number }>;
}

export function runCli(args: string[], env: Record<string, string> = {}): CliRun {
  // forceKillAfterDelay off: execa would follow our SIGTERM with a SIGKILL after 5 s, before
  // the CLI has finished removing what it made.
  const child = execa('node', ['--import', 'tsx', 'lib/cli/main.ts', ...args], { cwd: PROJECT_ROOT, env, all: true, reject: false, buffer: false, forceKillAfterDelay: false });
  let out = '';
  child.all?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  let exited = false;
  const exit = child.then((r) => {
    exited = true;
    return { exitCode: r.exitCode, signal: r.signal, atMs: Date.now() };
  });
  return {
    child,
    output: () => out,
    exit,
    waitFor: (re, timeoutMs) =>
      pollUntil(
        `the CLI to print ${re}`,
        async () => {
          const m = re.exec(out);
          if (m) return { done: true, value: m, seen: 'printed' };
          if (exited) throw new Error(`the CLI exited before printing ${re}:\n${out.slice(-2000)}`);
          return { done: false, seen: out.trim().split('\n').pop() ?? 'nothing yet' };
        },
        { timeoutMs, intervalMs: 200 },
      ),
  };
}

/** Run one CLI command to its end (it must end by itself within the deadline). */
export async function cli(args: string[], env: Record<string, string> = {}, timeoutMs = 120_000) {
  const r = await execa('node', ['--import', 'tsx', 'lib/cli/main.ts', ...args], { cwd: PROJECT_ROOT, env, all: true, reject: false, timeout: timeoutMs });
  if (r.timedOut) throw new Error(`\`${args.join(' ')}\` did not exit within ${timeoutMs / 1000} s:\n${r.all}`);
  return { exitCode: r.exitCode, output: String(r.all ?? '') };
}
