import { DrbdParseError } from './errors.js';
import { cleanLines } from './text.js';

export interface DrbdmanageResult {
  /** At least one `Operation completed successfully` and no error line. */
  ok: boolean;
  /** Error lines as printed, trimmed (stdout first, then stderr). */
  errors: string[];
}

const SUCCESS = 'Operation completed successfully';

// drbdmanage exits 0 after most failures; these lines are what tells them apart.
const ERROR_LINES = [
  /^Error:/u, // server return codes >= 100 and most client-side errors
  /^JOIN ERROR:/u,
  /^Initialization failed$/u, // init / join rolled back
  /^drbdmanage: cannot connect to the drbdmanage server/u,
  /^D-Bus connection FAILED/u,
];

/**
 * Decides from the text whether a drbdmanage action worked. Lines such as
 * `Host key verification failed.` (add-node's ssh auto-join attempt) are not errors:
 * drbdmanage falls back to printing the join command.
 */
export function parseDrbdmanageResult(stdout: string, stderr = ''): DrbdmanageResult {
  const lines = [...cleanLines(stdout), ...cleanLines(stderr)].map((line) => line.text.trim());
  const errors = lines.filter((line) => ERROR_LINES.some((pattern) => pattern.test(line)));
  // `includes`: the blog copy shows "successfullyJoin command …" run together.
  const succeeded = lines.some((line) => line.includes(SUCCESS));
  return { ok: succeeded && errors.length === 0, errors };
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
