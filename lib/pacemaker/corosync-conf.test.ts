import { describe, expect, it } from 'vitest';
import { renderCorosyncConf } from './corosync-conf.js';

const members = [
  { name: 'drbd1', nodeid: 1, ip: '10.255.255.101' },
  { name: 'drbd2', nodeid: 2, ip: '10.255.255.102' },
  { name: 'drbd3', nodeid: 3, ip: '10.255.255.103' },
];

describe('renderCorosyncConf', () => {
  const conf = renderCorosyncConf({ clusterName: 'drbdlab', members, tokenMs: 3000 });

  it('knet with crypto (the authkey is used), the token timeout given', () => {
    expect(conf).toMatch(/^totem \{\n {4}version: 2\n {4}cluster_name: drbdlab\n/mu);
    expect(conf).toContain('    transport: knet\n    crypto_cipher: aes256\n    crypto_hash: sha256\n    token: 3000\n');
  });

  it('a nodelist of the three on their replication addresses, with node ids', () => {
    const nodes = [...conf.matchAll(/node \{\n\s+name: (\S+)\n\s+nodeid: (\d+)\n\s+ring0_addr: (\S+)\n\s+\}/gu)].map((m) => [m[1], Number(m[2]), m[3]]);
    expect(nodes).toEqual(members.map((m) => [m.name, m.nodeid, m.ip]));
    // Nothing but the replication network: no other address, no bindnetaddr, no multicast.
    expect([...conf.matchAll(/\d+\.\d+\.\d+\.\d+/gu)].map((m) => m[0])).toEqual(members.map((m) => m.ip));
    expect(conf).not.toMatch(/bindnetaddr|mcastaddr|interface \{/u);
  });

  it('votequorum with three votes: no two_node, no wait_for_all tricks', () => {
    expect(conf).toMatch(/quorum \{\n(?:\s+#.*\n)?\s+provider: corosync_votequorum\n\}/u);
    expect(conf).not.toMatch(/two_node|wait_for_all|expected_votes/u);
  });

  it('refuses fewer than three members, duplicates and bad addresses', () => {
    expect(() => renderCorosyncConf({ clusterName: 'x', members: members.slice(0, 2), tokenMs: 1 })).toThrow(/2 members; the lab's cluster has three/);
    expect(() => renderCorosyncConf({ clusterName: 'x', members: [...members.slice(0, 2), { ...members[2]!, nodeid: 1 }], tokenMs: 1 })).toThrow(/unique/);
    expect(() => renderCorosyncConf({ clusterName: 'x', members: [...members.slice(0, 2), { ...members[2]!, ip: 'drbd3' }], tokenMs: 1 })).toThrow(/"drbd3" is not an IPv4 address/);
  });
});
