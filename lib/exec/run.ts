import { execa, ExecaError, type Options } from 'execa';
import { HostCommandError } from '../errors.js';

export interface RunResult {
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
  cwd?: string;
  env?: Record<string, string>;
  /** Appended to the error message: the fix a user should try. */
  hint?: string;
  /** Kill the command when this aborts (an interrupted image build). */
  signal?: AbortSignal;
  /**
   * Run in its own process group: a terminal's Ctrl-C or `timeout`'s group kill then reaches
   * only us, and a libvirt call in flight finishes instead of leaving libvirtd half-way.
   */
  detached?: boolean;
  /**
   * Killed with us even by SIGKILL (the kernel's parent-death signal, through util-linux's
   * setpriv): a long build must not go on writing into a folder the reaper is removing.
   */
  dieWithParent?: boolean;
  /**
   * Its whole process tree in a PID and mount namespace of its own (util-linux unshare): when
   * it dies, all its children die and its mounts (a chroot's proc and sys) vanish with it.
   * Implies dieWithParent.
   */
  isolated?: boolean;
}

/** Wrap a command so the kernel kills it when this process dies, however it dies. */
export function dyingWithParent(file: string, args: readonly string[], signal = 'KILL'): [string, string[]] {
  return ['setpriv', ['--pdeathsig', signal, '--', file, ...args]];
}

/** Quote one argument for display (errors, logs), never for execution. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Run a host tool; every failure becomes a HostCommandError naming the command, its stderr, and whether it timed out or was cancelled. */
export async function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const options: Options = {
    input: opts.input,
    timeout: opts.timeoutMs,
    cwd: opts.cwd,
    env: opts.env,
    stripFinalNewline: true,
    forceKillAfterDelay: 5_000,
    cancelSignal: opts.signal,
    // unshare ignores SIGTERM while it waits for its child: kill it, and with it the whole namespace.
    killSignal: opts.isolated ? 'SIGKILL' : 'SIGTERM',
    detached: opts.detached,
  };
  const display = [file, ...args].map(shellQuote).join(' ');
  const [cmd, argv] = opts.isolated
    ? dyingWithParent('unshare', ['--mount', '--propagation', 'private', '--pid', '--kill-child=SIGKILL', '--', file, ...args])
    : opts.dieWithParent
      ? dyingWithParent(file, args)
      : [file, [...args]];
  try {
    const r = await execa(cmd, argv, options);
    return { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  } catch (err) {
    throw toHostCommandError(display, err, opts.hint);
  }
}

/** execa's error as a HostCommandError: how the command ended (timed out, cancelled, a signal) as fields. */
function toHostCommandError(display: string, err: unknown, hint?: string): HostCommandError {
  if (err instanceof ExecaError) {
    const notInstalled = err.code === 'ENOENT';
    const stderr = notInstalled ? `${display.split(' ')[0]}: not installed` : String(err.stderr ?? '');
    return new HostCommandError(display, err.exitCode, stderr, String(err.stdout ?? ''), {
      cause: err,
      hint: hint ?? (notInstalled ? 'run `npm run lab -- doctor` for the fix' : undefined),
      timedOut: err.timedOut,
      canceled: err.isCanceled,
      ...(err.signal ? { signal: err.signal } : {}),
    });
  }
  return new HostCommandError(display, undefined, String(err), '', { cause: err, hint });
}
