import { NodeSSH } from 'node-ssh';
import { CommandTimeoutError, RemoteCommandError, SshTransportError, type FailureKind } from '../errors.js';
import type { CommandSink } from './command-record.js';
import { publicKeyBlob } from './keys.js';
import { isSshTransportFailure } from '../wait/transport-failure.js';

export interface SessionOptions {
  node: string;
  port: number;
  username: string;
  privateKey: string;
  /** The node's pinned host key ("ssh-ed25519 AAAA…"); anything else is refused. */
  hostKey: string;
  sink?: CommandSink;
}

export interface ExecOptions {
  /** Per-command deadline: slirp keeps accepting while sshd is gone, so nothing may wait forever. */
  timeoutMs?: number;
  stdin?: string;
  /** Throw RemoteCommandError on a non-zero exit (default true). A connection lost under the
   *  command throws SshTransportError either way. */
  check?: boolean;
  /** How a failure of this command is classed in reports. */
  kind?: FailureKind;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  durationMs: number;
}

const HOST = '127.0.0.1'; // the only address the host ever talks to

/** One kept-open SSH connection to a node, with pinned host key and per-command deadlines. */
export class NodeSession {
  private ssh: NodeSSH | undefined;
  constructor(readonly opts: SessionOptions) {}

  get node(): string {
    return this.opts.node;
  }

  get connected(): boolean {
    return this.ssh?.isConnected() ?? false;
  }

  /** Refused, reset, no handshake: SshTransportError. A wrong host or user key: thrown as is. */
  async connect(timeoutMs = 20_000): Promise<void> {
    this.close();
    const expected = publicKeyBlob(this.opts.hostKey);
    let hostKeyMismatch = false;
    const ssh = new NodeSSH();
    try {
      await ssh.connect({
        host: HOST,
        port: this.opts.port,
        username: this.opts.username,
        privateKey: this.opts.privateKey,
        readyTimeout: timeoutMs,
        keepaliveInterval: 5_000,
        keepaliveCountMax: 3,
        hostVerifier: (key: Buffer) => {
          hostKeyMismatch = !key.equals(expected);
          return !hostKeyMismatch;
        },
      });
    } catch (err) {
      ssh.dispose();
      if (hostKeyMismatch) {
        throw new RemoteCommandError(this.node, 'ssh connect', null, '', `host key of ${HOST}:${this.opts.port} does not match the key pinned for ${this.node}`, 'infrastructure');
      }
      throw isSshTransportFailure(err) ? new SshTransportError(this.node, 'ssh connect', err) : err;
    }
    // node-ssh leaves no 'error' listener once connected: a reset or keepalive timeout (a node
    // powered off) would be an uncaught exception. Drop the connection; the next exec reconnects.
    ssh.connection?.on('error', () => {
      if (this.ssh === ssh) this.close();
    });
    this.ssh = ssh;
  }

  /**
   * `record: false` for what the lab itself runs (readiness probes, reboot, clock): transcripts
   * hold what scenarios ran. Per call, so a scenario's command beside a wait is still recorded.
   */
  async exec(command: string, o: ExecOptions = {}, record = true): Promise<ExecResult> {
    if (!this.connected) {
      try {
        await this.connect();
      } catch (err) {
        throw err instanceof SshTransportError ? new SshTransportError(this.node, command, err.cause) : err;
      }
    }
    const ssh = this.ssh!;
    const started = Date.now();
    const timeoutMs = o.timeoutMs ?? 120_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // Closing the connection is the only way to stop a hung remote command.
        this.close();
        reject(new CommandTimeoutError(this.node, command, timeoutMs, o.kind ?? 'product'));
      }, timeoutMs);
    });
    let r: { stdout: string; stderr: string; code: number | null; signal: string | null };
    try {
      r = await Promise.race([ssh.execCommand(command, { stdin: o.stdin }), timeout]);
    } catch (err) {
      const thrown = isSshTransportFailure(err) ? new SshTransportError(this.node, command, err) : err;
      if (record) await this.opts.sink?.record({
        node: this.node,
        command,
        stdout: '',
        stderr: thrown instanceof Error ? thrown.message : String(thrown),
        exitCode: null,
        startedAt: new Date(started).toISOString(),
        durationMs: Date.now() - started,
        // Replay must throw the same: a timeout, not an exit without status.
        ...(thrown instanceof CommandTimeoutError ? { timedOut: true } : {}),
      });
      throw thrown;
    } finally {
      clearTimeout(timer);
    }
    const result: ExecResult = { stdout: r.stdout, stderr: r.stderr, exitCode: r.code, durationMs: Date.now() - started };
    if (record) await this.opts.sink?.record({
      node: this.node,
      command,
      stdout: r.stdout,
      stderr: r.stderr,
      exitCode: r.code,
      startedAt: new Date(started).toISOString(),
      durationMs: result.durationMs,
    });
    // sshd always sends an exit status or signal: a channel closed without either is a
    // connection that went away under the command (a node resetting or powering off).
    if (r.code === null && r.signal === null) {
      throw new SshTransportError(this.node, command, new Error('Connection closed during the command, no exit status'));
    }
    if ((o.check ?? true) && r.code !== 0) {
      throw new RemoteCommandError(this.node, command, r.code, r.stdout, r.stderr, o.kind ?? 'product');
    }
    return result;
  }

  close(): void {
    this.ssh?.dispose();
    this.ssh = undefined;
  }
}
