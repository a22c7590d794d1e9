import { DrbdParseError } from './errors.js';

/**
 * Captured outputs of real programs run by hand on VMs (not a drbdlab run): one JSON object per
 * line, one file per phase and node, `<phase>__<node>.jsonl` (see the README beside them in
 * scenarios/recordings/captures/). Fields as written there:
 *   {node, phase, cmd, exit, stdout, stderr, t_start, duration_s, hostname, tty, stdin?, note?}
 * `exit` is null for a `systemctl reboot` sent raw on the console.
 */
export interface CapturedCommand {
  /** The file it comes from, e.g. `p2-cluster-setup__drbd1.jsonl`. */
  file: string;
  /** 1-based line of that file. */
  line: number;
  node: string;
  phase: string;
  /** The command line as run (as root), a `# …` remark included. */
  cmd: string;
  exit: number | null;
  stdout: string;
  stderr: string;
  tStart: string;
  durationMs: number;
  /** What `hostname` said when it ran; null for a reboot. */
  hostname: string | null;
  /** Run under a pty: stdout and stderr merged, CRLF line ends. */
  tty: boolean;
  stdin?: string;
  note?: string;
}

const PARSER = 'drbdmanage-capture';
const FILE_NAME = /^(p\d+-[\w-]+)__(\w+)\.jsonl$/u;

/** `p2-cluster-setup__drbd1.jsonl:4`: how a capture is named in provenance and test names. */
export function captureId(c: Pick<CapturedCommand, 'file' | 'line'>): string {
  return `${c.file}:${c.line}`;
}

/** The command without the operator's `# …` remark (`drbdmanage list-nodes   # via setsid`). */
export function capturedCommandLine(c: Pick<CapturedCommand, 'cmd'>): string {
  return c.cmd.replace(/\s+#.*$/u, '');
}

/** One capture file, checked field by field; the file name must agree with each record's phase and node. */
export function parseCaptureFile(file: string, text: string): CapturedCommand[] {
  const name = FILE_NAME.exec(file);
  if (!name) throw new DrbdParseError(PARSER, `${file}: not a <phase>__<node>.jsonl file name`);
  const [, phase, node] = name as unknown as [string, string, string];
  const out: CapturedCommand[] = [];
  text.split('\n').forEach((raw, index) => {
    if (raw.trim() === '') return;
    const line = index + 1;
    const fail = (reason: string): never => {
      throw new DrbdParseError(PARSER, `${file}:${line}: ${reason}`);
    };
    let v: Record<string, unknown>;
    try {
      v = JSON.parse(raw) as Record<string, unknown>;
    } catch (err) {
      return fail(`not JSON (${(err as Error).message})`);
    }
    const str = (key: string): string => (typeof v[key] === 'string' ? (v[key] as string) : fail(`${key} is not a string`));
    const optStr = (key: string): string | undefined => (v[key] === undefined ? undefined : str(key));
    if (v.node !== node) fail(`node ${JSON.stringify(v.node)} in a file of ${node}`);
    if (v.phase !== phase) fail(`phase ${JSON.stringify(v.phase)} in a file of ${phase}`);
    const exit = v.exit === null ? null : Number.isInteger(v.exit) ? (v.exit as number) : fail('exit is neither an integer nor null');
    if (typeof v.duration_s !== 'number' || !(v.duration_s >= 0)) fail('duration_s is not a number');
    const tStart = str('t_start');
    if (Number.isNaN(Date.parse(tStart))) fail(`t_start ${JSON.stringify(tStart)} is no time`);
    const hostname = v.hostname === undefined || v.hostname === null ? null : str('hostname');
    const stdin = optStr('stdin');
    const note = optStr('note');
    out.push({
      file,
      line,
      node,
      phase,
      cmd: str('cmd'),
      exit,
      stdout: str('stdout'),
      stderr: str('stderr'),
      tStart,
      durationMs: Math.round((v.duration_s as number) * 1000),
      hostname,
      tty: v.tty === true,
      ...(stdin === undefined ? {} : { stdin }),
      ...(note === undefined ? {} : { note }),
    });
  });
  return out;
}
