import { readFile } from 'node:fs/promises';
import type { CommandSink } from '../report/command-record.js';
import { NodeSession, type ExecOptions, type ExecResult } from '../ssh/session.js';
import { pollUntil, scaled } from '../wait/poll.js';
import { BOOT_ID_COMMAND, cloudInitProbe, newBootProbe } from './readiness.js';
import type { LabState } from './state.js';

type NodeState = LabState['nodes'][number];

/** A running node: kept-open SSH session, reboot that knows when it is back, its console log. */
export class StartedNode {
  readonly session: NodeSession;
  constructor(
    readonly info: NodeState,
    readonly consoleLogPath: string,
    privateKey: string,
    user: string,
    sink?: CommandSink,
  ) {
    this.session = new NodeSession({ node: info.name, port: info.sshPort, username: user, privateKey, hostKey: info.hostKey, sink });
  }

  get name(): string {
    return this.info.name;
  }

  exec(command: string, opts?: ExecOptions): Promise<ExecResult> {
    return this.session.exec(command, opts);
  }

  /** stdout of a command that must succeed, trimmed. */
  async output(command: string, opts?: ExecOptions): Promise<string> {
    return (await this.exec(command, opts)).stdout.trim();
  }

  async bootId(): Promise<string> {
    return this.output(BOOT_ID_COMMAND, { timeoutMs: 15_000 });
  }

  /**
   * Readiness = SSH answers (with the pinned host key) and cloud-init has finished. Each
   * attempt has its own deadline: slirp accepts TCP even while the guest's sshd is down.
   */
  async waitReady(timeoutMs = scaled(300_000), signal?: AbortSignal): Promise<void> {
    await this.unrecorded(() => this.pollReady(timeoutMs, signal));
  }

  private async unrecorded<T>(fn: () => Promise<T>): Promise<T> {
    const was = this.session.recording;
    this.session.recording = false;
    try {
      return await fn();
    } finally {
      this.session.recording = was;
    }
  }

  private async pollReady(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    // Not yet: SSH refused/reset/no handshake, no result.json yet. Over: cloud-init errors.
    await pollUntil('SSH and cloud-init', cloudInitProbe(this.session), { timeoutMs, intervalMs: 2_000, target: this.name, signal });
  }

  /** `sudo reboot`, then wait until the node answers with a new boot_id and cloud-init is done. */
  async reboot(timeoutMs = scaled(240_000)): Promise<void> {
    await this.unrecorded(() => this.rebootAndWait(timeoutMs));
  }

  private async rebootAndWait(timeoutMs: number): Promise<void> {
    const before = await this.bootId();
    // The connection drops under the command: its exit status is not to be had.
    await this.exec('sudo systemctl reboot', { timeoutMs: 10_000, check: false }).catch(() => undefined);
    this.session.close();
    await pollUntil('the node to come back with a new boot_id', newBootProbe(this.session, before), { timeoutMs, intervalMs: 2_000, target: this.name });
    await this.pollReady(timeoutMs);
  }

  /**
   * Set the guest's clock to the host's (a restored guest wakes at the time it was saved).
   * Over SSH rather than the guest agent: under a loaded TCG host the agent's first answer after a
   * restore took more than 20 s, SSH is up already. The error is the command's latency (< 1 s).
   */
  async setClockFromHost(): Promise<void> {
    await this.unrecorded(() => this.exec(`sudo date -u -s @${(Date.now() / 1000).toFixed(3)} >/dev/null`, { timeoutMs: 30_000 }));
  }

  async consoleLog(): Promise<string> {
    return readFile(this.consoleLogPath, 'utf8').catch(() => '');
  }

  close(): void {
    this.session.close();
  }
}
