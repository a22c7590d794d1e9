import { readFile } from 'node:fs/promises';
import type { CommandSink } from '../ssh/command-record.js';
import { Transcript } from '../ssh/transcript.js';
import { timeoutScaleFor } from '../wait/poll.js';
import { StartedNode } from './started-node.js';
import { labPaths } from './paths.js';
import { readState, type LabState } from './state.js';
import { teardownLab } from './teardown.js';
import { UsageError } from '../errors.js';
import { DomainFaults } from '../libvirt/domain-faults.js';
import type { LabHost } from './lab-host.js';

/** A running lab: its nodes by name, and disposal that leaves nothing behind. */
export class StartedLab implements AsyncDisposable {
  readonly nodes: ReadonlyMap<string, StartedNode>;
  private disposed = false;
  /** Seconds per phase of start() (image, clone, ready.<node>, up): for the bench and the log. */
  timings: Record<string, number> = {};
  /** While start() waits for readiness: aborting it stops every node's wait. */
  stopOnFailure?: AbortController;

  constructor(
    readonly state: LabState,
    privateKey: string,
    readonly transcript: CommandSink & { dir?: string },
    /** Keep the VMs on dispose (a user's `--keep`, or an attach from the CLI). */
    public keep: boolean,
    /** Where its domains and files live (a fake host in tests). */
    readonly host: LabHost,
  ) {
    const p = labPaths(host.folders.state, state.labId);
    const virsh = host.connect(state.libvirtUri);
    this.nodes = new Map(
      state.nodes.map((n) => [n.name, new StartedNode(n, p.consoleLog(n.name), privateKey, state.user, transcript, new DomainFaults(virsh, n.domain, state.network), () => this.timeoutScale)]),
    );
  }

  /** Attach to a lab another process started (the CLI's `ssh`, `status`, scenarios). */
  static async attach(labId: string, host: LabHost, sink?: CommandSink): Promise<StartedLab> {
    const state = await readState(host.folders.state, labId);
    if (!state) throw new UsageError(`no lab ${labId} here: run \`npm run lab -- up\` first`);
    const p = labPaths(host.folders.state, labId);
    const key = await readFile(p.userKey, 'utf8');
    return new StartedLab(state, key, sink ?? new Transcript(p.transcript), true, host);
  }

  /** What its waits are scaled by: its hypervisor's (3 under TCG), read from its state. */
  get timeoutScale(): number {
    return timeoutScaleFor(this.state.accel);
  }

  get id(): string {
    return this.state.labId;
  }

  node(name: string): StartedNode {
    const n = this.nodes.get(name);
    if (!n) throw new UsageError(`no node "${name}" in lab ${this.id}: nodes are ${[...this.nodes.keys()].join(', ')}`);
    return n;
  }

  get nodeList(): StartedNode[] {
    return [...this.nodes.values()];
  }

  /** Guest CPU seconds per node since this lab started it (for a restored lab, since the restore), power cuts included. */
  async guestCpu(): Promise<Record<string, number>> {
    return Object.fromEntries(await Promise.all(this.nodeList.map(async (n) => [n.name, await n.domain!.cpuSeconds()] as const)));
  }

  async down(): Promise<string[]> {
    for (const n of this.nodes.values()) n.close();
    this.disposed = true;
    return teardownLab(this.id, this.state.libvirtUri, { host: this.host });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.disposed) return;
    for (const n of this.nodes.values()) n.close();
    if (!this.keep) await this.down();
  }
}
