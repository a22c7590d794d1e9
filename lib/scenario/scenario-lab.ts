import type { Fault } from '../config/config.js';
import type { ProfileName } from '../image/profile-names.js';
import type { RemoteShell } from '../ssh/remote-shell.js';
import type { ExecOptions } from '../ssh/session.js';
import type { Clock } from '../wait/poll.js';
import type { Step } from './step.js';

/**
 * Options for a setup helper's command (partitioning, LVM, config files, directories, test
 * data, a hostname the scenario sets): when one of those fails the lab is broken, DRBD has not
 * failed. Everything else a scenario runs is DRBD's side by default.
 */
export const SETUP = { kind: 'infrastructure' } as const satisfies ExecOptions;

/** What a scenario sees of a node: the same for real VMs and for a replayed recording. */
export interface ScenarioNode extends RemoteShell {
  readonly replicationIp: string;
  /** Reboot and wait until the node is back (new boot, cloud-init done). */
  reboot(): Promise<void>;
  consoleLog(): Promise<string>;
  // Host-side faults, through libvirt: the guest does nothing to itself.
  /** Cut (`down`) or restore (`up`) the node's replication link: its NIC loses or regains carrier. */
  replicationLink(state: 'up' | 'down'): Promise<void>;
  /** Pull the plug (`virsh destroy`): no shutdown, the guest's page cache is lost. */
  powerOff(): Promise<void>;
  /** `virsh start` and wait until ready (new boot_id, SSH with the pinned key, cloud-init done). */
  powerOn(): Promise<void>;
}

/** What a scenario sees of the lab. Scenarios are written once against this. */
export interface ScenarioLab {
  readonly mode: 'real' | 'replay';
  readonly profile: ProfileName;
  readonly stack: 'drbdadm' | 'drbdmanage';
  readonly nodes: readonly ScenarioNode[];
  node(name: string): ScenarioNode;
  /** Real time on VMs; virtual time in replay, so waits do not sleep. */
  readonly clock: Clock;
  /** What its waits are scaled by (3 under TCG): `scaled(ms, lab.timeoutScale)`. */
  readonly timeoutScale: number;
  /** A fault the run injects on purpose (DRBDLAB_FAULT), from the run's configuration. */
  readonly fault?: Fault;
  /** Labels for reports: hypervisor, kernel, versions. */
  readonly labels: Record<string, string>;
}

/**
 * The same lab with its nodes stood in for (a node that watches its own reboots, say); everything
 * else, read when asked, is the lab's. An unknown name fails as the lab itself says it.
 */
export function withNodes(lab: ScenarioLab, nodes: readonly ScenarioNode[]): ScenarioLab {
  return {
    get mode() {
      return lab.mode;
    },
    get profile() {
      return lab.profile;
    },
    get stack() {
      return lab.stack;
    },
    get clock() {
      return lab.clock;
    },
    get timeoutScale() {
      return lab.timeoutScale;
    },
    get fault() {
      return lab.fault;
    },
    get labels() {
      return lab.labels;
    },
    nodes,
    node: (name) => nodes.find((n) => n.name === name) ?? lab.node(name),
  };
}

/** What a scenario body gets: the lab, the step runner, and a way to keep a secret out of reports. */
export interface ScenarioContext {
  lab: ScenarioLab;
  step: Step;
  /**
   * The lab goes on to the next scenario (a lab that is up, DRBDLAB_LAB): what the scenario
   * changed must be put back as installed. A restored cluster is thrown away after it.
   */
  shared: boolean;
  /** Keep a secret (drbdmanage's join passphrase) out of transcripts, recordings and reports. */
  redact(secret: string): Promise<void>;
}
