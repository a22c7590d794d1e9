// `drbdadm status <res>` (or `drbdsetup status <res>`) read as an answer about one resource: up
// (its status), down (the kernel does not have it), or a failure of the tool itself, thrown with
// what it printed. "Down" is one exact answer, so a broken drbdadm cannot pass for a resource
// that is down.
import { RemoteCommandError } from '../errors.js';
import { commandErrorLines } from './drbdadm-messages.js';
import { parseDrbdsetupStatus, type DrbdResourceStatus } from './drbdsetup-status.js';

/** drbdsetup's exit code when the kernel has no such resource (both 8.4's drbdsetup-84 and 9's drbdsetup). */
const NO_SUCH_RESOURCE_EXIT = 10;

/** drbdsetup's line for a resource the kernel does not have (real, lab-notes and the Pacemaker recording). */
const noSuchResource = (res: string) => `${res}: No such resource`;

// drbd-utils 9's drbdadm, running drbdsetup-84 for an 8.4 kernel, adds this line after the tool's own.
const DISPATCH_TRAILER = /^Command '[^']*' terminated with exit code (\d+)$/u;

export interface CommandAnswer {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `drbdadm status` exited 0 but its output does not hold the resource asked for: an answer the
 * tool does not give, thrown with what it printed.
 */
export class DrbdStatusError extends RemoteCommandError {
  constructor(
    node: string,
    command: string,
    answer: CommandAnswer,
    readonly resource: string,
  ) {
    super(node, command, answer.exitCode, answer.stdout, answer.stderr, 'product');
    this.message = `${node}: \`${command}\` exited 0 without ${resource} in its output\n  ${answer.stdout.trim().split('\n').slice(0, 3).join('\n  ') || '(no output)'}`;
  }
}

/**
 * Down: exit 10, stdout empty, stderr `<res>: No such resource` (after sudo's name-lookup notice,
 * if any) and at most drbdadm's own `Command '…' terminated with exit code 10` line.
 */
export function isNoSuchResource(resource: string, r: CommandAnswer): boolean {
  if (r.exitCode !== NO_SUCH_RESOURCE_EXIT || r.stdout.trim() !== '') return false;
  const [first, ...rest] = commandErrorLines(r.stderr);
  if (first !== noSuchResource(resource)) return false;
  return rest.every((l) => DISPATCH_TRAILER.exec(l)?.[1] === String(NO_SUCH_RESOURCE_EXIT));
}

/**
 * The resource's status, or undefined when it is down (isNoSuchResource). Any other exit is a
 * RemoteCommandError with the output (a product failure: DRBD's own tool failed); output that
 * does not parse is the parser's DrbdParseError; exit 0 without the resource is a DrbdStatusError.
 */
export function readResourceStatus(node: string, command: string, resource: string, r: CommandAnswer): DrbdResourceStatus | undefined {
  if (r.exitCode !== 0) {
    if (isNoSuchResource(resource, r)) return undefined;
    throw new RemoteCommandError(node, command, r.exitCode, r.stdout, r.stderr, 'product');
  }
  const res = parseDrbdsetupStatus(r.stdout).find((x) => x.name === resource);
  if (!res) throw new DrbdStatusError(node, command, r, resource);
  return res;
}
