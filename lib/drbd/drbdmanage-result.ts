import { RemoteCommandError } from '../errors.js';
import { DrbdParseError } from './errors.js';
import { cleanLines } from './text.js';

export interface DrbdmanageResult {
  /** At least one `Operation completed successfully` and no error line. */
  ok: boolean;
  /** Error lines as printed, trimmed (stdout first, then stderr). */
  errors: string[];
  /**
   * The errors that are drbdmanage's "server not ready" answers, which its own client retries
   * (`Waiting for server: ...`) before it gives up and prints them: a server starting up or not
   * yet reachable, "not yet" to a wait. Every other error line is a failure.
   */
  notReady: string[];
}

const SUCCESS = 'Operation completed successfully';

/**
 * drbdmanage's texts for the return codes its client retries (utils.py is_rc_retry:
 * DM_ENOTREADY, DM_ENOTREADY_STARTUP, DM_ENOTREADY_REQCTRL; exceptions.py _DM_EXC_TEXTS),
 * printed as `Error: <text>` once the client's 15 retries are used up.
 */
export const NOT_READY_ERRORS = [
  'Error: Server currently not ready, please retry later',
  'Error: Startup not successful (no quorum? not *both* nodes up in a 2 node cluster?)',
  'Error: Satellite could not request control volume from leader',
] as const;

// drbdmanage exits 0 after most failures; these lines are what tells them apart.
const ERROR_LINES = [
  /^Error:/u, // server return codes >= 100 and most client-side errors
  /^JOIN ERROR:/u,
  /^Initialization failed$/u, // init / join rolled back
  /^drbdmanage: cannot connect to the drbdmanage server/u,
  /^D-Bus connection FAILED/u,
  /^drbdmanage(?: [\w-]+)?: error: /u, // argparse (exit 2): unknown command, option or choice
  /^Size is not a valid number$/u, // add-volume, exit 0 (client-side)
  /^".*" is not a valid unit!$/u, // add-volume, exit 0 (client-side)
];

/**
 * Decides from the text whether a drbdmanage action worked. Lines such as
 * `Host key verification failed.` (add-node's ssh auto-join attempt), `Waiting for server: ...`
 * and dbus-python's `ERROR:dbus.proxies:Introspect error …` (logged while the server is busy;
 * the command goes on) are not errors.
 */
export function parseDrbdmanageResult(stdout: string, stderr = ''): DrbdmanageResult {
  const lines = [...cleanLines(stdout), ...cleanLines(stderr)].map((line) => line.text.trim());
  const errors = lines.filter((line) => ERROR_LINES.some((pattern) => pattern.test(line)));
  // `includes`: the blog copy shows "successfullyJoin command …" run together.
  const succeeded = lines.some((line) => line.includes(SUCCESS));
  const notReady = errors.filter((e) => (NOT_READY_ERRORS as readonly string[]).includes(e));
  return { ok: succeeded && errors.length === 0, errors, notReady };
}

/** Every error drbdmanage printed is a "server not ready" one (and there is at least one). */
export function onlyNotReady(result: DrbdmanageResult): boolean {
  return result.errors.length > 0 && result.notReady.length === result.errors.length;
}

export interface JoinCommand {
  /** The whole line, to run on the joining node. Contains the secret: redact before logging. */
  command: string;
  /** Node named in `Join command for node <name>:`, when present. */
  forNode: string | null;
  /** Control-volume port (`-p`), 6999 when not given. */
  port: number;
  addressFamily: string;
  quiet: boolean;
  /** Address of the joining node. */
  localIp: string;
  /** Node id the joining node gets. */
  nodeId: number;
  leaderName: string;
  leaderIp: string;
  leaderNodeId: number;
  secret: string;
}

const JOIN_PARSER = 'drbdmanage-join-command';
const DEFAULT_PORT = 6999;

/**
 * Extracts `drbdmanage join [-p PORT] [-a FAMILY] [-q] LOCAL_IP NODE_ID PEER_NAME PEER_IP PEER_NODE_ID SECRET`
 * from add-node (or howto-join) output. There is none when drbdmanage joined the node over ssh itself.
 */
export function parseJoinCommand(addNodeOutput: string): JoinCommand {
  const lines = cleanLines(addNodeOutput);
  const index = lines.findIndex((line) => /^drbdmanage\s+join(?:-cluster)?(?:\s|$)/u.test(line.text.trim()));
  if (index < 0) throw new DrbdParseError(JOIN_PARSER, 'no "drbdmanage join" line in the output');
  const line = lines[index]!;
  const command = line.text.trim();
  const fail = (reason: string): never => {
    throw new DrbdParseError(JOIN_PARSER, reason, line.text, line.number);
  };

  const tokens = command.split(/\s+/u).slice(2);
  let port = DEFAULT_PORT;
  let addressFamily = 'ipv4';
  let quiet = false;
  const positional: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const eq = token.startsWith('--') ? token.indexOf('=') : -1;
    const flag = eq < 0 ? token : token.slice(0, eq);
    const inline = eq < 0 ? undefined : token.slice(eq + 1);
    const value = (): string => inline ?? tokens[++i] ?? fail(`${flag} needs a value`);
    if (flag === '-p' || flag === '--port') port = toId(value(), 'port', fail);
    else if (flag === '-a' || flag === '--address-family') addressFamily = value();
    else if (flag === '-q' || flag === '--quiet') quiet = true;
    else if (token.startsWith('-')) fail(`unknown option ${token}`);
    else positional.push(token);
  }
  if (positional.length !== 6) fail(`expected 6 arguments after the options, got ${positional.length}`);
  const [localIp, nodeId, leaderName, leaderIp, leaderNodeId, secret] = positional as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];

  // Search upwards: the header normally sits on the line just before.
  let forNode: string | null = null;
  for (let i = index - 1; i >= 0 && forNode === null; i--) {
    forNode = /Join command for node (\S+):/u.exec(lines[i]!.text)?.[1] ?? null;
  }

  return {
    command,
    forNode,
    port,
    addressFamily,
    quiet,
    localIp,
    nodeId: toId(nodeId, 'node id', fail),
    leaderName,
    leaderIp,
    leaderNodeId: toId(leaderNodeId, 'leader node id', fail),
    secret,
  };
}

function toId(value: string, what: string, fail: (reason: string) => never): number {
  if (!/^\d+$/u.test(value)) fail(`${what} is not a number: ${value}`);
  return Number.parseInt(value, 10);
}

/** Replaces every occurrence of the join secret, e.g. before a command line or its output is logged. */
export function redactSecret(text: string, secret: string | null | undefined, replacement = '<redacted>'): string {
  if (!secret) return text;
  return text.split(secret).join(replacement);
}

/**
 * A drbdmanage command printed an error line (it exits 0 after most of them), or failed without
 * one: a product failure, with the command's output.
 */
export class DrbdmanageError extends RemoteCommandError {
  constructor(
    node: string,
    command: string,
    exitCode: number | null,
    stdout: string,
    stderr: string,
    /** The error lines as printed; empty when only the exit code tells. */
    readonly errors: readonly string[],
  ) {
    super(node, command, exitCode, stdout, stderr, 'product');
    const said = errors.length > 0 ? `printed ${errors.join('; ')}` : `exited ${exitCode ?? 'without status'}`;
    const output = `${stdout}${stdout && stderr ? '\n' : ''}${stderr}`.trim().split('\n').slice(-8).join('\n  ');
    this.message = `${node}: \`${command}\` ${said} (exit ${exitCode ?? 'none'})${output ? `\n  ${output}` : ''}`;
  }
}
