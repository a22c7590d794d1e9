// corosync.conf for the lab's cluster: the three nodes on the replication network only.
// Pure: the scenario writes what this returns; the unit tests read it.

export interface CorosyncMember {
  name: string;
  /** corosync's node id (1-based, stable per node). */
  nodeid: number;
  /** The node's replication address: corosync talks only there, never on the management NIC. */
  ip: string;
}

export interface CorosyncOptions {
  clusterName: string;
  members: readonly CorosyncMember[];
  /**
   * totem token timeout. corosync's default (1000 ms + 650 ms per node beyond two) assumes
   * hardware; TCG guests stall for a second or more under load, and a lost token there would be
   * a false failover. The failover time measured includes this (plus consensus, 1.2 × token).
   */
  tokenMs: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function renderCorosyncConf(o: CorosyncOptions): string {
  if (o.members.length < 3) throw new Error(`corosync: ${o.members.length} members; the lab's cluster has three (no two_node mode)`);
  const names = new Set(o.members.map((m) => m.name));
  const ids = new Set(o.members.map((m) => m.nodeid));
  if (names.size !== o.members.length || ids.size !== o.members.length) throw new Error('corosync: member names and node ids must be unique');
  for (const m of o.members) {
    if (!IPV4.test(m.ip)) throw new Error(`corosync: ${m.name}: ${JSON.stringify(m.ip)} is not an IPv4 address`);
    if (!Number.isInteger(m.nodeid) || m.nodeid < 1) throw new Error(`corosync: ${m.name}: node id ${m.nodeid} (must be a positive integer)`);
  }
  const nodes = o.members
    .map((m) => `    node {\n        name: ${m.name}\n        nodeid: ${m.nodeid}\n        ring0_addr: ${m.ip}\n    }`)
    .join('\n');
  return `# drbdlab: rendered by lib/pacemaker/corosync-conf.ts
totem {
    version: 2
    cluster_name: ${o.clusterName}
    # kronosnet over the replication network; the authkey (corosync-keygen) encrypts and signs it.
    transport: knet
    crypto_cipher: aes256
    crypto_hash: sha256
    token: ${o.tokenMs}
}

nodelist {
${nodes}
}

quorum {
    # ${o.members.length} votes, quorum ${Math.floor(o.members.length / 2) + 1}: the quorum node keeps the survivor quorate when a replica dies.
    provider: corosync_votequorum
}

logging {
    to_syslog: yes
    to_logfile: no
    timestamp: on
}
`;
}
