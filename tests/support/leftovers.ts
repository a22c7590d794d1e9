import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Virsh } from '../../lib/libvirt/virsh.js';

/** Everything of drbdlab the host holds: domains, networks, lab folders, half-built images and snapshots, mounts. */
export interface HostSnapshot {
  domains: string[];
  networks: string[];
  labFolders: string[];
  imageScratch: string[];
  mounts: string[];
}

export async function snapshot(opts: { uri: string; stateDir: string; cacheDirs: string[] }): Promise<HostSnapshot> {
  const virsh = new Virsh(opts.uri);
  const ls = (d: string) => (existsSync(d) ? readdirSync(d) : []);
  return {
    domains: (await virsh.listDomains()).filter((d) => d.startsWith('drbdlab-')).sort(),
    networks: (await virsh.listNetworks()).filter((n) => n.startsWith('drbdlab-')).sort(),
    labFolders: ls(opts.stateDir).sort(),
    imageScratch: opts.cacheDirs.flatMap((c) => ['images', 'snapshots'].flatMap((k) => ls(join(c, k)).filter((f) => f.includes('.building-')))).sort(),
    mounts: readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1] ?? '')
      .filter((m) => opts.cacheDirs.some((c) => m.startsWith(c)) || m.startsWith(opts.stateDir))
      .sort(),
  };
}
