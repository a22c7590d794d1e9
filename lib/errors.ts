// Typed errors that carry their context (which command, which node, stderr), modelled on
// execa's ExecaError. `kind` separates infrastructure ("broken") from product ("failed").

export type FailureKind = 'infrastructure' | 'product' | 'usage';

export class DrbdlabError extends Error {
  readonly kind: FailureKind = 'infrastructure';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input: a one-line message that says what to do. */
export class UsageError extends DrbdlabError {
  override readonly kind = 'usage';
}

/** lab.yaml (or another input file) does not validate. */
export class ConfigError extends UsageError {
  constructor(
    readonly file: string,
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${file}: ${path ? `${path}: ` : ''}${problem}`);
  }
}

/** A host tool (virsh, qemu-img, mmdebstrap, …) failed. */
export class HostCommandError extends DrbdlabError {
  constructor(
    readonly command: string,
    readonly exitCode: number | undefined,
    readonly stderr: string,
    readonly stdout: string,
    options?: { cause?: unknown; hint?: string },
  ) {
    const firstLine = stderr.trim().split('\n').filter(Boolean).pop() ?? '';
    super(
      `command failed${exitCode === undefined ? '' : ` (exit ${exitCode})`}: ${command}${firstLine ? `\n  ${firstLine}` : ''}${options?.hint ? `\n  hint: ${options.hint}` : ''}`,
      options,
    );
  }
}

/** A command run on a lab node over SSH failed. */
export class RemoteCommandError extends DrbdlabError {
  override readonly kind: FailureKind;
  constructor(
    readonly node: string,
    readonly command: string,
    readonly exitCode: number | null,
    readonly stdout: string,
    readonly stderr: string,
    kind: FailureKind = 'product',
  ) {
    const tail = (stderr.trim() || stdout.trim()).split('\n').slice(-3).join('\n  ');
    super(`${node}: \`${command}\` exited ${exitCode ?? 'without status'}${tail ? `\n  ${tail}` : ''}`);
    this.kind = kind;
  }
}

/**
 * The SSH connection to a node failed or went away under a command (refused, reset, handshake
 * timeout, channel refused): no exit status. A RemoteCommandError for whoever catches those,
 * but a wait takes it as "not yet": it is what a booting or rebooting node looks like.
 */
export class SshTransportError extends RemoteCommandError {
  constructor(node: string, command: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message.split('\n')[0]! : String(cause);
    super(node, command, null, '', detail, 'infrastructure');
    this.message = `${node}: \`${command}\`: SSH connection failed: ${detail}`;
    this.cause = cause;
  }
}

/**
 * A command on a node gave no answer within its deadline (the connection was closed to stop
 * it). Classed like any failure of that command: a DRBD command that hangs is a product
 * failure marked "timed out"; the harness's own commands say `kind: 'infrastructure'`.
 */
export class CommandTimeoutError extends RemoteCommandError {
  readonly timedOut = true;
  constructor(
    node: string,
    command: string,
    readonly timeoutMs: number,
    kind: FailureKind = 'product',
  ) {
    super(node, command, null, '', '', kind);
    this.message = `${node}: \`${command}\` timed out after ${Math.round(timeoutMs / 1000)} s (no answer; the connection was closed to stop it)`;
  }
}

/** cloud-init on a node finished with errors (result.json) or says `status: error`: waiting won't fix it. */
export class CloudInitError extends DrbdlabError {
  constructor(
    readonly node: string,
    readonly errors: string[],
  ) {
    super(`${node}: cloud-init finished with errors: ${errors.join('; ')}`);
  }
}

/** A wait strategy ran out of time; says what it last saw. */
export class WaitTimeoutError extends DrbdlabError {
  override readonly kind: FailureKind;
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly lastSeen: string,
    readonly target?: string,
    kind: FailureKind = 'infrastructure',
  ) {
    super(`${target ? `${target}: ` : ''}timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}; last seen: ${lastSeen}`);
    this.kind = kind;
  }
}

/** A package source or download the profile needs is not reachable or no longer publishes. */
export class UpstreamUnavailableError extends DrbdlabError {
  constructor(
    readonly resource: string,
    detail: string,
  ) {
    super(`upstream unavailable: ${resource}: ${detail}`);
  }
}

export function failureKind(err: unknown): FailureKind {
  return err instanceof DrbdlabError ? err.kind : 'product';
}

/** A line of a node's kernel log that means the kernel went wrong, and where it was read. */
export interface KernelLogHitAt {
  node: string;
  line: string;
  /** Which pattern matched. */
  pattern?: string;
  /** Which part of the scenario's log: "before reboot 1", "until the end of the scenario", … */
  window?: string;
}

/** A window of a node's kernel log the check could not read, and why. */
export interface KernelLogUnread {
  node: string;
  window: string;
  error: unknown;
}

const describeUnread = (u: KernelLogUnread) => `${u.node} (${u.window}): ${u.error instanceof Error ? u.error.message.split('\n').join('\n    ') : String(u.error)}`;

/**
 * The kernel logged a BUG, Oops, panic, WARNING, stall, hung task or DRBD assertion on a node
 * during a scenario. Windows that could not be read are named too (`unread`): one node's
 * unreadable log does not hide another node's hit.
 */
export class KernelLogError extends DrbdlabError {
  override readonly kind = 'product';
  readonly unread: readonly KernelLogUnread[];
  constructor(
    readonly hits: readonly KernelLogHitAt[],
    options?: { cause?: unknown; unread?: readonly KernelLogUnread[] },
  ) {
    const nodes = [...new Set(hits.map((h) => h.node))].join(', ');
    const unread = options?.unread ?? [];
    super(
      `kernel log on ${nodes}: ${hits.length} line(s) of BUG/Oops/panic/WARNING/stall/hung task/assertion\n  ` +
        hits.map((h) => `${h.node}: ${h.line}${h.window ? `  [${h.window}]` : ''}`).slice(0, 10).join('\n  ') +
        (hits.length > 10 ? `\n  … ${hits.length - 10} more` : '') +
        (unread.length > 0 ? `\n  not read: ${unread.map(describeUnread).join('\n  not read: ')}` : ''),
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.unread = unread;
  }
}

/**
 * The kernel-log check could not read part of a node's log: a command failed, or the line it
 * stopped at is gone (the ring buffer wrapped, the journal lacks the boot). Unread is not clean:
 * an infrastructure failure, every such window of every node named.
 */
export class KernelLogUncheckedError extends DrbdlabError {
  constructor(
    readonly unread: readonly KernelLogUnread[],
    options?: { cause?: unknown },
  ) {
    super(`kernel log not checked: ${unread.length} window(s) unread\n  ${unread.map(describeUnread).join('\n  ')}`, options);
  }
}

/** Where the check had stopped reading a node's kernel log, that line is no longer to be found. */
export class KernelLogLostError extends DrbdlabError {
  constructor(
    readonly node: string,
    /** Where it was looked for: dmesg of the boot, or the journal of an earlier boot. */
    readonly source: string,
    readonly expected: string,
    readonly found: string,
  ) {
    super(`${node}: ${source}: the kernel log does not continue from where the check stopped (expected ${expected}; found ${found}): what was logged in between is unread`);
  }
}

/** Two report folders being merged hold the same file with different content: not shards of one run. */
export class MergeConflictError extends UsageError {
  constructor(
    readonly path: string,
    readonly first: string,
    readonly second: string,
  ) {
    super(`${path} differs between ${first} and ${second}: not shards of one run (a result or attachment would be lost); merge each run's shards apart`);
  }
}

/**
 * After a reboot DRBD resynced more than the walkthrough allows: the whole device, or more than
 * a quiesced resource can have out of sync. A product failure: DRBD (or the way the boot stops
 * it) lost track of what was in sync.
 */
export class ResyncAmountError extends DrbdlabError {
  override readonly kind = 'product';
  constructor(
    readonly resource: string,
    readonly kib: number,
    readonly full: boolean,
    readonly limitKiB: number,
    readonly evidence: readonly string[],
    /** What the resync followed: the reboot, the link's return. */
    readonly after = 'the reboot',
  ) {
    super(
      `${resource}: ${full ? 'full resync' : 'resync'} of ${kib} KB after ${after}${full ? ' (the whole device)' : ''}; ` +
        `expected a bitmap-based resync under ${limitKiB} KB\n  ${evidence.slice(0, 6).join('\n  ')}`,
    );
  }
}

/**
 * After a fault the device lacks a record the writer had acknowledged (fsync returned), or holds
 * it damaged: DRBD lost data it had confirmed. A product failure.
 */
export class DataIntegrityError extends DrbdlabError {
  override readonly kind = 'product';
  constructor(
    readonly node: string,
    readonly summary: string,
    readonly problems: readonly string[],
  ) {
    super(`${node}: acknowledged data not intact after the fault: ${summary}\n  ${problems.slice(0, 6).join('\n  ')}`);
  }
}

/**
 * Pacemaker cannot bring a resource where the scenario needs it any more: a start that failed
 * on the only node left for it (start-failure-is-fatal bans it there), so waiting longer would
 * only run out the timeout. A product failure: the cluster did not fail over.
 */
export class ClusterResourceError extends DrbdlabError {
  override readonly kind = 'product';
  constructor(
    readonly resource: string,
    readonly node: string,
    readonly reason: string,
    readonly lastSeen: string,
  ) {
    super(`${resource} on ${node}: ${reason}\n  cluster: ${lastSeen}`);
  }
}
