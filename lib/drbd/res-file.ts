/** An /etc/drbd.d/<name>.res for DRBD 8.4: two `on <host>` sections over the replication IPs. */
export interface ResFileSpec {
  name: string;
  minor: number;
  port: number;
  /** Backing device, e.g. /dev/drbdpool/r0 */
  disk: string;
  hosts: { name: string; ip: string }[];
  /** Resync rate; a fixed rate (c-plan-ahead 0) halves a 1 GiB sync under TCG. */
  resyncRate?: string;
}

export function renderResFile(s: ResFileSpec): string {
  if (s.hosts.length < 2) throw new Error(`resource ${s.name}: needs two hosts, got ${s.hosts.length}`);
  const disk = s.resyncRate ? `\n  disk {\n    c-plan-ahead 0;\n    resync-rate ${s.resyncRate};\n  }` : '';
  const on = s.hosts
    .map((h) => `  on ${h.name} {\n    address ${h.ip}:${s.port};\n  }`)
    .join('\n');
  return `# written by drbdlab
resource ${s.name} {
  protocol C;
  device /dev/drbd${s.minor} minor ${s.minor};
  disk ${s.disk};
  meta-disk internal;${disk}
${on}
}
`;
}
