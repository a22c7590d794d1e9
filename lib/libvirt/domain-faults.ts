// Faults injected from the host, through libvirt: a node's replication link cut and restored
// (`domif-setlink`, the guest sees its NIC lose carrier), its power cut (`destroy`: QEMU killed,
// no shutdown in the guest) and restored (`start`: a cold boot from its disks). The guest never
// does any of this to itself, so what DRBD sees is what a pulled cable or a pulled plug gives.
import { DrbdlabError, UsageError } from '../errors.js';
import type { Libvirt, LinkState } from './libvirt.js';

export type { LinkState } from './libvirt.js';

/**
 * The MAC of the domain's NIC on `network` (the replication network), from `virsh dumpxml`.
 * The management NIC is QEMU's slirp through <qemu:commandline>, not a libvirt interface, so
 * the replication NIC is the only one libvirt can switch; naming it by network keeps it so.
 */
export function replicationMac(domainXml: string, network: string): string {
  const blocks = domainXml.match(/<interface\b[^>]*>[\s\S]*?<\/interface>/gu) ?? [];
  const macs = blocks
    .filter((b) => new RegExp(`<source\\b[^>]*\\bnetwork=(['"])${escapeRe(network)}\\1`, 'u').test(b))
    .map((b) => /<mac\b[^>]*\baddress=(['"])([0-9a-fA-F:]{17})\1/u.exec(b)?.[2]?.toLowerCase())
    .filter((m): m is string => m !== undefined);
  if (macs.length !== 1) throw new UsageError(`expected one interface on network ${network} in the domain XML, found ${macs.length}`);
  return macs[0]!;
}

/** `virsh domif-getlink <domain> <mac>` prints `<target> <state>` (e.g. `vnet3 down`). */
export function parseLinkState(output: string): LinkState | undefined {
  const state = output.trim().split(/\s+/u).pop();
  return state === 'up' || state === 'down' ? state : undefined;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
}

/** One domain's host-side faults. Thin: each method is one virsh call. */
export class DomainFaults {
  private mac?: string;
  /** Guest CPU of the QEMUs a power cut killed: a cold boot starts a new one, counting from zero. */
  private cpuOfKilled = 0;
  /** A power cut came while the CPU counter could not be read: the total is unknown from then on. */
  private cpuLost?: unknown;
  constructor(
    private readonly virsh: Libvirt,
    readonly domain: string,
    /** The lab's replication network: its NIC is the one cut. */
    readonly network: string,
  ) {}

  private async replicationNic(): Promise<string> {
    if (this.mac) return this.mac;
    const xml = await this.virsh.domainXml(this.domain);
    if (xml === undefined) throw new DrbdlabError(`no domain ${this.domain} in libvirt (the lab is gone?)`);
    this.mac = replicationMac(xml, this.network);
    return this.mac;
  }

  /** Live only (no --config): the definition keeps its link up, so a cold boot starts connected. */
  async setReplicationLink(state: LinkState): Promise<void> {
    await this.virsh.setLink(this.domain, await this.replicationNic(), state);
  }

  async replicationLink(): Promise<LinkState | undefined> {
    return parseLinkState(await this.virsh.linkState(this.domain, await this.replicationNic()));
  }

  /** Pull the plug: QEMU is killed, the guest's page cache is lost, its disks keep what reached them. */
  async destroy(): Promise<void> {
    // The cut must happen whatever the counter says: a failed read only makes the cost unknown.
    const spent = await this.virsh.cpuSeconds(this.domain).then(
      (s) => s,
      (err: unknown) => ((this.cpuLost = err), 0),
    );
    await this.virsh.destroy(this.domain);
    this.cpuOfKilled += spent;
  }

  /** Guest CPU seconds this domain has used since it was started here, power cuts included. */
  async cpuSeconds(): Promise<number> {
    if (this.cpuLost !== undefined) throw new DrbdlabError(`guest CPU of ${this.domain} unknown: its counter could not be read before a power cut`, { cause: this.cpuLost });
    return this.cpuOfKilled + (await this.virsh.cpuSeconds(this.domain));
  }

  /** Cold boot of the defined (persistent) domain from its overlay disk. */
  async start(): Promise<void> {
    await this.virsh.start(this.domain);
  }
}
