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
  /**
   * Activity log size in 4 MiB extents: what a primary that crashes marks out of sync (and its
   * peer resyncs) at most. Unset: DRBD's default (1237 on 8.4, more than a small device holds).
   */
  alExtents?: number;
}

/**
 * DRBD 8.4's bounds for al-extents (drbd_limits.h). The kernel raises a smaller value to the
 * minimum without a word, so a file asking for less would not say what DRBD does.
 */
export const AL_EXTENTS_MIN = 67;
export const AL_EXTENTS_MAX = 65534;

export function renderResFile(s: ResFileSpec): string {
  if (s.hosts.length < 2) throw new Error(`resource ${s.name}: needs two hosts, got ${s.hosts.length}`);
  if (s.alExtents !== undefined && !(Number.isInteger(s.alExtents) && s.alExtents >= AL_EXTENTS_MIN && s.alExtents <= AL_EXTENTS_MAX)) {
    throw new Error(`resource ${s.name}: al-extents ${s.alExtents} outside DRBD 8.4's ${AL_EXTENTS_MIN}..${AL_EXTENTS_MAX}`);
  }
  const options = [
    ...(s.resyncRate ? ['c-plan-ahead 0;', `resync-rate ${s.resyncRate};`] : []),
    ...(s.alExtents !== undefined ? [`al-extents ${s.alExtents};`] : []),
  ];
  const disk = options.length > 0 ? `\n  disk {\n${options.map((o) => `    ${o}\n`).join('')}  }` : '';
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
