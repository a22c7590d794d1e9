import { CommandTimeoutError, DrbdlabError, RemoteCommandError } from '../errors.js';
import type { ProfileName } from '../image/profile-names.js';
import type { Stack } from '../image/profile.js';
import type { Fault } from '../config/config.js';
import { stackOf } from '../image/profiles.js';
import { Redactor, type CommandRecord, type CommandSink } from '../ssh/command-record.js';
import { timeoutScaleFor } from '../wait/poll.js';
import type { ExecOptions, ExecResult } from '../ssh/session.js';
import type { Clock } from '../wait/poll.js';
import { describeCounts, provenanceCounts, type Recording } from './recording.js';
import type { ScenarioLab, ScenarioNode } from './scenario-lab.js';

/** A replayed run asked for something other than what the recording holds. */
export class ReplayMismatchError extends DrbdlabError {
  override readonly kind = 'product';
  constructor(
    readonly index: number,
    readonly expected: Pick<CommandRecord, 'node' | 'command'> | undefined,
    readonly actual: Pick<CommandRecord, 'node' | 'command'>,
  ) {
    super(
      expected
        ? `replay differs at command #${index + 1}: recording has ${expected.node}$ ${expected.command}\n  but the scenario ran ${actual.node}$ ${actual.command}`
        : `replay differs at command #${index + 1}: the recording ends, but the scenario ran ${actual.node}$ ${actual.command}`,
    );
  }
}

export type { Recording } from './recording.js';

/** How long a held-back command waits for other nodes' replays to move before it is a mismatch (real ms). */
const STALL_MS = 1_000;
const POLL_MS = 5;

/** Virtual time: sleeping advances the clock at once. */
export class VirtualClock implements Clock {
  private t = Date.parse('2026-01-01T00:00:00Z');
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.t += ms;
  }
}

/**
 * Runs a scenario against a recording instead of VMs: each command must be the next one
 * recorded (same node, same command), and gets the recorded output and exit code. Where a step
 * works on several nodes at once, a node's command that is not next yet waits until the other
 * nodes' earlier records are replayed: replays keep the recorded order whatever the scheduling
 * (same transcripts every time), and a step that does less than the recording stalls and fails.
 */
export class ReplayLab implements ScenarioLab {
  readonly mode = 'replay' as const;
  readonly clock = new VirtualClock();
  /** Waits replay on virtual time with the timeouts the recording was made with. */
  readonly timeoutScale: number;
  readonly nodes: ScenarioNode[];
  /** Which records were replayed (in the recording's order). */
  private readonly used: boolean[];
  /** Bumped whenever a record is replayed: a command held back waits for this to move. */
  private progress = 0;

  constructor(
    readonly recording: Recording,
    private readonly sink?: CommandSink,
    /** Secrets are redacted in recordings, so commands are compared redacted too. */
    private readonly redactor = new Redactor(),
    /** A fault the run injects on purpose (the recording of a fault is replayed with it). */
    readonly fault?: Fault,
  ) {
    this.timeoutScale = timeoutScaleFor(recording.labels.hypervisor ?? 'kvm');
    this.nodes = recording.nodes.map((n) => this.makeNode(n.name, n.replicationIp));
    this.used = recording.commands.map(() => false);
  }

  get profile(): ProfileName {
    return this.recording.profile;
  }
  get stack(): Stack {
    return stackOf(this.recording.profile);
  }
  /**
   * The recording's labels, with what kind of evidence it is. Synthetic and captured evidence
   * ran on none of our hypervisors: they get no such label, whatever an older generator wrote;
   * captured evidence says how many outputs were captured and how many constructed.
   */
  get labels(): Record<string, string> {
    const { hypervisor: _none, ...noHypervisor } = this.recording.labels;
    const labels = this.recording.evidence === 'real' ? this.recording.labels : noHypervisor;
    if (this.recording.evidence !== 'captured') return { ...labels, mode: 'replay', evidence: this.recording.evidence };
    const counts = provenanceCounts(this.recording);
    return {
      ...labels,
      mode: 'replay',
      evidence: 'captured',
      'captured-on': this.recording.capturedOn!,
      outputs: describeCounts(counts),
      'outputs-captured': String(counts.captured),
      'outputs-constructed': String(counts.blog + counts.source),
    };
  }

  node(name: string): ScenarioNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new ReplayMismatchError(this.firstUnused(), this.recording.commands[this.firstUnused()], { node: name, command: '(node lookup)' });
    return n;
  }

  /** Commands of the recording not yet replayed: a complete replay leaves none. */
  get remaining(): CommandRecord[] {
    return this.recording.commands.filter((_, i) => !this.used[i]);
  }

  private firstUnused(): number {
    const i = this.used.indexOf(false);
    return i < 0 ? this.recording.commands.length : i;
  }

  /**
   * The node's next record, when every record before it was replayed. Another node's chain (a
   * step on several nodes at once) may still have to get there: wait while replays move on;
   * when nothing moves for STALL_MS, the scenario is off the recording.
   */
  private async take(node: string, rawCommand: string): Promise<CommandRecord> {
    const command = this.redactor.apply(rawCommand);
    const all = this.recording.commands;
    const i = this.used.findIndex((u, k) => !u && all[k]!.node === node);
    // Nothing left for this node: the next record of any node is what the recording expected.
    if (i < 0) throw new ReplayMismatchError(this.firstUnused(), all[this.firstUnused()], { node, command });
    const expected = all[i]!;
    if (expected.command !== command) throw new ReplayMismatchError(i, expected, { node, command });
    let seen = this.progress;
    let still = 0;
    while (this.firstUnused() < i) {
      if (this.progress !== seen) {
        seen = this.progress;
        still = 0;
      } else if (still >= STALL_MS) {
        throw new ReplayMismatchError(this.firstUnused(), all[this.firstUnused()], { node, command });
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
      still += POLL_MS;
    }
    this.used[i] = true;
    this.progress++;
    return expected;
  }

  private makeNode(name: string, replicationIp: string): ScenarioNode {
    const exec = async (command: string, o: ExecOptions = {}): Promise<ExecResult> => {
      const r = await this.take(name, command);
      await this.sink?.record({
        node: name, command, stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode, startedAt: r.startedAt, durationMs: r.durationMs,
        ...(r.timedOut ? { timedOut: true } : {}),
        ...(r.provenance ? { provenance: r.provenance } : {}),
      });
      await this.clock.sleep(r.durationMs);
      // Timed out when recorded: thrown whatever `check` says, as the session does.
      if (r.timedOut) throw new CommandTimeoutError(name, command, r.durationMs, o.kind ?? 'product');
      if ((o.check ?? true) && r.exitCode !== 0) throw new RemoteCommandError(name, command, r.exitCode, r.stdout, r.stderr, o.kind ?? 'product');
      return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode, durationMs: r.durationMs };
    };
    return {
      name,
      replicationIp,
      exec,
      output: async (c, o) => (await exec(c, o)).stdout.trim(),
      reboot: async () => {
        await this.take(name, '#reboot');
      },
      replicationLink: async (state) => {
        await this.take(name, `#link ${state}`);
      },
      powerOff: async () => {
        await this.take(name, '#power off');
      },
      powerOn: async () => {
        await this.take(name, '#power on');
      },
      consoleLog: async () => '',
    };
  }
}
