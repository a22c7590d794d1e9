// A scenario node without a VM, for the kernel-log check's tests: a kernel that logs stamped lines
// into a ring buffer of a given size, a journal that keeps each boot (or not), reboots and power
// cuts, and an SSH connection that can fail. It answers the commands lib/drbd/kernel-log.ts builds
// as `dmesg` and `journalctl -o json` would; any other command runs as a no-op and is kept.
import { createHash } from 'node:crypto';
import { RemoteCommandError, SshTransportError } from '../../lib/errors.js';
import { BOOT_ID_COMMAND, POSITION_COMMAND, withStamp } from '../../lib/drbd/kernel-log.js';
import type { ScenarioLab, ScenarioNode } from '../../lib/scenario/scenario-lab.js';
import type { ExecOptions, ExecResult } from '../../lib/ssh/session.js';
import { VirtualClock } from '../../lib/scenario/replay-lab.js';

interface Record {
  micros: number;
  text: string;
  /** The journal's cursor of the record. */
  cursor: string;
}

interface Boot {
  id: string;
  records: Record[];
  /** How many of the records the journal holds on disk (a power cut loses the unsynced end). */
  journaled: number;
}

export class FakeKernelNode implements ScenarioNode {
  readonly replicationIp: string;
  private readonly boots: Boot[] = [];
  private micros = 0;
  /** Lines dmesg can show: the ring buffer's size. */
  ringLines = Infinity;
  /** journald keeps earlier boots on disk. */
  journalPersistent = true;
  /** Commands that fail as a lost SSH connection would. */
  sshFails: RegExp | undefined;
  /** Lines the kernel logs while the node shuts down for a reboot (after the scenario's last read). */
  shutdownLines: string[] = ['drbd r0: conn( Connected -> Disconnecting ) ', 'drbd r0: Terminating drbd_w_r0'];
  off = false;
  readonly commands: string[] = [];
  /** An answer of the test's own for a command (undefined: the kernel's); may throw as exec would. */
  override: ((command: string) => string | undefined) | undefined;

  constructor(readonly name: string) {
    this.replicationIp = `10.255.255.${100 + Number(name.replace(/\D/gu, '') || 0)}`;
    this.boot();
  }

  private get current(): Boot {
    return this.boots.at(-1)!;
  }

  /** The kernel logs a line now. */
  log(text: string): void {
    const b = this.current;
    this.micros += 1_234;
    b.records.push({ micros: this.micros, text, cursor: `s=${b.id.replace(/-/gu, '')};i=${b.records.length.toString(16)}` });
    b.journaled = b.records.length;
  }

  private boot(): void {
    const id = createHash('sha256').update(`${this.name} ${this.boots.length}`).digest('hex');
    this.boots.push({ id: `${id.slice(0, 8)}-${id.slice(8, 12)}-4${id.slice(13, 16)}-a${id.slice(17, 20)}-${id.slice(20, 32)}`, records: [], journaled: 0 });
    this.micros = 0;
    this.current.records.push({ micros: 0, text: 'Linux version 6.1.0-50-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian 6.1.176-1', cursor: `s=${id};i=0` });
    this.log('Command line: root=/dev/vda rw console=ttyS0 mitigations=off');
    this.log('rcu: Preemptible hierarchical RCU implementation.');
    this.log('drbd: initialized. Version: 8.4.11 (api:1/proto:86-101)');
  }

  get bootId(): string {
    return this.current.id;
  }

  private dmesg(): string[] {
    return this.current.records.slice(-this.ringLines).map((r) => withStamp(r.micros, r.text));
  }

  private journal(bootId: string): Boot {
    const b = this.boots.find((x) => x.id.replace(/-/gu, '') === bootId);
    if (!b || (b !== this.current && !this.journalPersistent)) {
      throw new RemoteCommandError(this.name, 'journalctl', 1, '', `Data from the specified boot (${bootId}) is not available: No such boot ID in journal`, 'infrastructure');
    }
    return b;
  }

  private json(records: Record[]): string {
    return records.map((r) => `${JSON.stringify({ __CURSOR: r.cursor, __REALTIME_TIMESTAMP: '1764380000000000', MESSAGE: r.text, _SOURCE_MONOTONIC_TIMESTAMP: String(r.micros) })}\n`).join('');
  }

  private answer(command: string): string {
    const own = this.override?.(command);
    if (own !== undefined) return own;
    if (command === BOOT_ID_COMMAND) return `${this.bootId}\n`;
    if (command === POSITION_COMMAND) {
      const d = this.dmesg();
      return `${this.bootId}\n${String(d.length).padStart(6)}\t${d.at(-1)}\n`;
    }
    if (command === 'sudo dmesg') return `${this.dmesg().join('\n')}\n`;
    let m = /^sudo bash -o pipefail -c 'dmesg \| tail -n \+(\d+)'$/u.exec(command);
    if (m) return this.dmesg().slice(Number(m[1]) - 1).map((l) => `${l}\n`).join('');
    m = /^sudo journalctl -k -b ([0-9a-f]{32}) _SOURCE_MONOTONIC_TIMESTAMP=(\d+) /u.exec(command);
    if (m) {
      const b = this.journal(m[1]!);
      return this.json(b.records.slice(0, b.journaled).filter((r) => r.micros === Number(m![2])));
    }
    m = /^sudo journalctl -k -b ([0-9a-f]{32})(?: --after-cursor='([^']*)')? /u.exec(command);
    if (m) {
      const b = this.journal(m[1]!);
      const kept = b.records.slice(0, b.journaled);
      const from = m[2] === undefined ? 0 : kept.findIndex((r) => r.cursor === m![2]) + 1;
      return this.json(kept.slice(from));
    }
    m = /^echo '<\d>(.*)' \| sudo tee \/dev\/kmsg >\/dev\/null$/u.exec(command);
    if (m) this.log(m[1]!);
    return '';
  }

  async exec(command: string, o: ExecOptions = {}): Promise<ExecResult> {
    this.commands.push(command);
    if (this.off || this.sshFails?.test(command)) throw new SshTransportError(this.name, command, new Error('connect ECONNREFUSED 127.0.0.1:2201'));
    try {
      return { stdout: this.answer(command), stderr: '', exitCode: 0, durationMs: 5 };
    } catch (err) {
      if (err instanceof RemoteCommandError && o.check === false) return { stdout: '', stderr: err.stderr, exitCode: err.exitCode, durationMs: 5 };
      if (err instanceof RemoteCommandError) throw new RemoteCommandError(this.name, command, err.exitCode, '', err.stderr, o.kind ?? 'product');
      throw err;
    }
  }

  async output(command: string, o?: ExecOptions): Promise<string> {
    return (await this.exec(command, o)).stdout.trim();
  }

  /** A clean reboot: the shutdown logs its lines (into the journal, not into the next boot's dmesg). */
  async reboot(): Promise<void> {
    this.commands.push('#reboot');
    for (const l of this.shutdownLines) this.log(l);
    this.boot();
  }

  /** The node reboots by itself (a panic with panic=N, a watchdog): nobody asked. */
  crashReboot(): void {
    this.boot();
  }

  /** The plug pulled: the journal lost what it had not synced (here: the last two records). */
  async powerOff(): Promise<void> {
    this.commands.push('#power off');
    this.current.journaled = Math.max(0, this.current.records.length - 2);
    this.off = true;
  }

  async powerOn(): Promise<void> {
    this.commands.push('#power on');
    this.off = false;
    this.boot();
  }

  async replicationLink(state: 'up' | 'down'): Promise<void> {
    this.commands.push(`#link ${state}`);
  }

  async consoleLog(): Promise<string> {
    return '';
  }
}

export function fakeLab(names = ['drbd1', 'drbd2', 'drbd3']): ScenarioLab & { nodes: FakeKernelNode[] } {
  const nodes = names.map((n) => new FakeKernelNode(n));
  return {
    mode: 'replay',
    profile: 'debian12-drbd84',
    stack: 'drbdadm',
    timeoutScale: 1,
    nodes,
    node: (name) => {
      const n = nodes.find((x) => x.name === name);
      if (!n) throw new Error(`no node ${name}`);
      return n;
    },
    clock: new VirtualClock(),
    labels: { evidence: 'synthetic' },
  };
}
