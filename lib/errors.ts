// Typed errors that carry their context as fields (which command, which node, stderr, whether
// it timed out or was cancelled), modelled on execa's ExecaError. Every failure class of the
// project is one of this family: the report decides failed / broken / cancelled from these
// fields (lib/report/classify.ts), never from the wording of a message.

/**
 * What kind of failure: `product` (DRBD, drbdmanage or the cluster stack did not do what the
 * walkthrough says: failed), `infrastructure` (the lab around it: broken), `usage` (bad input:
 * broken), `parse` (a tool printed what the parsers do not know: broken, the harness cannot
 * read it), `interrupted` (Ctrl-C or SIGTERM stopped it: cancelled, no verdict).
 */
export type FailureKind = 'infrastructure' | 'product' | 'usage' | 'parse' | 'interrupted';

export const FAILURE_KINDS: readonly FailureKind[] = ['infrastructure', 'product', 'usage', 'parse', 'interrupted'];

/** What a broken failure is about, where the report groups it apart: a package source, a node's boot. */
export type FailureTopic = 'upstream' | 'boot';

/** The fields of a failure the report and the exit code are decided from. */
export interface FailureFields {
  kind: FailureKind;
  /** The command ran out of its time (killed, or its connection closed). */
  timedOut: boolean;
  /** The command was stopped on purpose (an abort: Ctrl-C, SIGTERM). */
  canceled: boolean;
  /** The signal that ended the command or the run (`SIGTERM`). */
  signal?: string;
  node?: string;
  command?: string;
  exitCode?: number;
  topic?: FailureTopic;
}

export class DrbdlabError extends Error {
  readonly kind: FailureKind = 'infrastructure';
  readonly timedOut: boolean = false;
  readonly canceled: boolean = false;
  readonly signal?: string;
  readonly node?: string;
  readonly command?: string;
  readonly exitCode?: number | null;
  readonly topic?: FailureTopic;
  constructor(message: string, options?: { cause?: unknown; timedOut?: boolean; canceled?: boolean; signal?: string; topic?: FailureTopic; node?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    if (options?.timedOut) this.timedOut = true;
    if (options?.canceled) this.canceled = true;
    if (options?.signal) this.signal = options.signal;
    if (options?.topic) this.topic = options.topic;
    if (options?.node) this.node = options.node;
  }

  /** The fields the report records for this failure. */
  fields(): FailureFields {
    return {
      kind: this.kind,
      timedOut: this.timedOut,
      canceled: this.canceled,
      ...(this.signal ? { signal: this.signal } : {}),
      ...(this.node ? { node: this.node } : {}),
      ...(this.command ? { command: this.command } : {}),
      ...(typeof this.exitCode === 'number' ? { exitCode: this.exitCode } : {}),
      ...(this.topic ? { topic: this.topic } : {}),
    };
  }
}

/**
 * Ctrl-C or SIGTERM stopped the run: neither failed nor broken. The abort reason of the run's
 * AbortSignal, so whatever it stops carries it as its cause.
 */
export class InterruptedError extends DrbdlabError {
  override readonly kind = 'interrupted';
  declare readonly signal: string;
  constructor(
    signal: string,
    /** When it came (ISO). */
    readonly at: string,
  ) {
    super(`interrupted by ${signal} at ${at}`, { canceled: true, signal });
  }
}

/**
 * A parser was given text that does not have the shape it knows: the harness cannot read what a
 * tool printed (broken, not "the product failed"). DrbdParseError, PacemakerParseError extend it.
 */
export class ParseError extends DrbdlabError {
  override readonly kind = 'parse';
  constructor(
    /** Which parser gave up, e.g. `drbdsetup-status`, `crm_mon`. */
    readonly parser: string,
    /** What was wrong, without the line. */
    readonly reason: string,
    message = `${parser}: ${reason}`,
  ) {
    super(message);
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

/** What execa says about how a host command ended, beyond its exit code. */
export interface HostCommandEnd {
  timedOut?: boolean;
  canceled?: boolean;
  signal?: string;
}

/** A host tool (virsh, qemu-img, mmdebstrap, …) failed, timed out or was cancelled. */
export class HostCommandError extends DrbdlabError {
  override readonly kind: FailureKind;
  constructor(
    override readonly command: string,
    override readonly exitCode: number | undefined,
    readonly stderr: string,
    readonly stdout: string,
    options?: { cause?: unknown; hint?: string } & HostCommandEnd,
  ) {
    const firstLine = stderr.trim().split('\n').filter(Boolean).pop() ?? '';
    const how = options?.timedOut ? 'timed out' : options?.canceled ? 'cancelled' : `failed${exitCode === undefined ? '' : ` (exit ${exitCode})`}`;
    super(`command ${how}: ${command}${firstLine ? `\n  ${firstLine}` : ''}${options?.hint ? `\n  hint: ${options.hint}` : ''}`, options);
    // A command stopped by an abort (an interrupted build) is no verdict on the lab.
    this.kind = this.canceled ? 'interrupted' : 'infrastructure';
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
  override readonly timedOut = true;
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
    /** `boot`: what did not come was a node (SSH after a boot or a reboot). */
    topic?: FailureTopic,
  ) {
    super(`${target ? `${target}: ` : ''}timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}; last seen: ${lastSeen}`, { timedOut: true, topic, node: target });
    this.kind = kind;
  }
}

/** A package source or download the profile needs is not reachable or no longer publishes. */
export class UpstreamUnavailableError extends DrbdlabError {
  override readonly topic = 'upstream';
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

/** The fields of a failure of this family; undefined for anything else (an assertion, a TypeError). */
export function failureFields(err: unknown): FailureFields | undefined {
  return err instanceof DrbdlabError ? err.fields() : undefined;
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
