import { readFile } from 'node:fs/promises';
import type { CommandSink } from '../ssh/command-record.js';
import { NodeSession, type ExecOptions, type ExecResult } from '../ssh/session.js';
import { pollUntil, scaled } from '../wait/poll.js';
import type { DomainFaults, LinkState } from '../libvirt/domain-faults.js';
import { BOOT_ID_COMMAND, cloudInitProbe, newBootProbe } from './readiness.js';
import type { LabState } from './state.js';
import { CommandTimeoutError, RemoteCommandError, SshTransportError, UsageError } from '../errors.js';

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
    /** Its domain as libvirt sees it: faults are injected from the host, never by the guest. */
    readonly domain?: DomainFaults,
    /** Its lab's scale, read when a wait starts (a KVM lab that fell back to TCG has its waits scaled by 3). */
    private readonly scale: () => number = () => 1,
  ) {
    this.session = new NodeSession({ node: info.name, port: info.sshPort, username: user, privateKey, hostKey: info.hostKey, sink });
  }

  /** What its waits are scaled by. */
  get timeoutScale(): number {
    return this.scale();
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
    return (await this.unrecorded(BOOT_ID_COMMAND, { timeoutMs: 15_000, kind: 'infrastructure' })).stdout.trim();
  }

  /** What the lab itself runs (reboot, boot ids, the clock): not in the transcript, which holds what scenarios ran. */
  private unrecorded(command: string, opts: ExecOptions): Promise<ExecResult> {
    return this.session.exec(command, opts, false);
  }

  /**
   * Readiness = SSH answers (with the pinned host key) and cloud-init has finished. Each
   * attempt has its own deadline: slirp accepts TCP even while the guest's sshd is down.
   */
  async waitReady(timeoutMs = scaled(300_000, this.timeoutScale), signal?: AbortSignal): Promise<void> {
    await this.pollReady(timeoutMs, signal);
  }

  private async pollReady(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    // Not yet: SSH refused/reset/no handshake, no result.json yet. Over: cloud-init errors.
    await pollUntil('SSH and cloud-init', cloudInitProbe(this.session), { timeoutMs, intervalMs: 2_000, target: this.name, signal, topic: 'boot' });
  }

  /** `sudo reboot`, then wait until the node answers with a new boot_id and cloud-init is done. */
  async reboot(timeoutMs = scaled(240_000, this.timeoutScale)): Promise<void> {
    await this.rebootAndWait(timeoutMs);
  }

  private async rebootAndWait(timeoutMs: number): Promise<void> {
    const before = await this.bootId();
    // Connected before the command, so a connection lost under it means the node went down,
    // not that the command was never sent.
    if (!this.session.connected) await this.session.connect();
    const answer = await this.unrecorded(REBOOT_COMMAND, { timeoutMs: 10_000, check: false, kind: 'infrastructure' }).then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
    expectGoingDown(this.name, answer);
    this.session.close();
    await pollUntil('the node to come back with a new boot_id', newBootProbe(this.session, before), { timeoutMs, intervalMs: 2_000, target: this.name, topic: 'boot' });
    await this.pollReady(timeoutMs);
  }

  /** Cut or restore the node's replication link (the guest's NIC loses or regains carrier). */
  async replicationLink(state: LinkState): Promise<void> {
    await this.host().setReplicationLink(state);
  }

  /** The boot the node was in when its power was cut: powerOn() waits for another one. */
  private bootBeforePowerOff?: string;

  /** Pull the plug (`virsh destroy`). The boot id is read first, so powerOn knows the new boot. */
  async powerOff(): Promise<void> {
    const host = this.host();
    this.bootBeforePowerOff = await this.bootId();
    await host.destroy();
    this.session.close();
  }

  /** `virsh start`, then wait as after a reboot: a new boot_id, SSH with the pinned key, cloud-init done. */
  async powerOn(timeoutMs = scaled(240_000, this.timeoutScale)): Promise<void> {
    const host = this.host();
    const before = this.bootBeforePowerOff;
    if (before === undefined) throw new UsageError(`${this.name}: powerOn() without powerOff() first (no boot to tell the new one from)`);
    await host.start();
    await pollUntil('the node to boot after power-on (a new boot_id)', newBootProbe(this.session, before), { timeoutMs, intervalMs: 2_000, target: this.name });
    await this.pollReady(timeoutMs);
    this.bootBeforePowerOff = undefined;
  }

  private host(): DomainFaults {
    if (!this.domain) throw new UsageError(`${this.name}: no libvirt domain known for this node (attached without one)`);
    return this.domain;
  }

  /**
   * Set the guest's clock to the host's (a restored guest wakes at the time it was saved). Over
   * SSH, which is up already (under a loaded TCG host the guest agent's first answer after a
   * restore took more than 20 s). The offset is measured by one round trip and applied relative to
   * the guest's own clock inside the privileged shell, so sudo's slow start under TCG adds no
   * error; what remains is half a round trip. Returns the offset corrected, in seconds.
   */
  async setClockFromHost(): Promise<number> {
    let first: number | undefined;
    // A starved guest answers slowly and unevenly: measure again after each shift, until the
    // remaining offset is within a quarter second (or three shifts were made).
    for (let i = 0; i < 3; i++) {
      const offset = await this.clockOffsetNs();
      first ??= Number(offset) / 1e9;
      if (offset < 250_000_000n && offset > -250_000_000n) break;
      await this.unrecorded(clockShiftCommand(offset), { timeoutMs: 30_000, kind: 'infrastructure' });
    }
    return first!;
  }

  /** Host time minus guest time, from one round trip (the guest read taken at its middle). */
  private async clockOffsetNs(): Promise<bigint> {
    const before = process.hrtime.bigint();
    const sent = BigInt(Date.now()) * 1_000_000n;
    const guest = BigInt((await this.unrecorded('date +%s%N', { timeoutMs: 30_000, kind: 'infrastructure' })).stdout.trim());
    const rtt = process.hrtime.bigint() - before;
    return sent + rtt / 2n - guest;
  }

  async consoleLog(): Promise<string> {
    return readFile(this.consoleLogPath, 'utf8').catch(() => '');
  }

  close(): void {
    this.session.close();
  }
}

export const REBOOT_COMMAND = 'sudo systemctl reboot';

/** The node refused to reboot: sudo or systemctl answered with an exit code of its own. */
export class RebootRefusedError extends RemoteCommandError {
  constructor(node: string, result: ExecResult) {
    super(node, REBOOT_COMMAND, result.exitCode, result.stdout, result.stderr, 'infrastructure');
    const said = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-3).join('\n  ');
    this.message = `${node}: reboot refused: \`${REBOOT_COMMAND}\` exited ${result.exitCode}${said ? `\n  ${said}` : ''}`;
  }
}

/**
 * Was `sudo systemctl reboot`'s answer that of a node going down? Going down: exit 0 (the reboot
 * is queued), no exit code (killed by a signal as the system stops), 128 and up (a shell's or ssh's
 * code for a killed command or a lost connection), the connection lost under the command
 * (SshTransportError), or no answer before it went (CommandTimeoutError). Refused: an exit code
 * of its own, 1–127 (sudo or systemctl said no): thrown at once as RebootRefusedError with what it
 * printed, instead of waiting for a new boot that will not come. Any other error is rethrown.
 */
export function expectGoingDown(node: string, answer: { result: ExecResult } | { error: unknown }): void {
  if ('error' in answer) {
    if (answer.error instanceof SshTransportError || answer.error instanceof CommandTimeoutError) return;
    throw answer.error;
  }
  const code = answer.result.exitCode;
  if (code !== null && code >= 1 && code <= 127) throw new RebootRefusedError(node, answer.result);
}

/** A root shell that moves the clock by `ns` nanoseconds from the moment it runs (dash: 64-bit arithmetic). */
function clockShiftCommand(ns: bigint): string {
  return `sudo sh -c 'n=$(( $(date +%s%N) + (${ns}) )); date -u -s @$((n / 1000000000)).$(printf %09d $((n % 1000000000))) >/dev/null'`;
}
