import type { ExecOptions, ExecResult } from './session.js';

/**
 * What runs commands on a node, as waits and parsers of node state need it: a real node over SSH
 * or a replayed recording's node alike.
 */
export interface RemoteShell {
  readonly name: string;
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>;
  output(command: string, opts?: ExecOptions): Promise<string>;
}
