import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Virsh } from '../../lib/libvirt/virsh.js';
import { parseLabMetadata } from '../../lib/libvirt/lab-metadata.js';

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
  // Labs of other state folders (another checkout's runs on the same host) are not ours to judge.
  const foreign = new Set<string>();
  const domains: string[] = [];
  for (const d of (await virsh.listDomains()).filter((x) => x.startsWith('drbdlab-'))) {
    const meta = parseLabMetadata((await virsh.domainXml(d)) ?? '');
    if (meta?.dir && !meta.dir.startsWith(`${opts.stateDir}/`)) foreign.add(meta.labId);
    else domains.push(d);
  }
  const idOf = (name: string) => /^drbdlab-([0-9a-f]{6})-/.exec(name)?.[1] ?? '';
  return {
    domains: domains.filter((d) => !foreign.has(idOf(d))).sort(),
    networks: (await virsh.listNetworks()).filter((n) => n.startsWith('drbdlab-') && !foreign.has(idOf(n))).sort(),
    labFolders: ls(opts.stateDir).sort(),
    imageScratch: opts.cacheDirs.flatMap((c) => ['images', 'snapshots'].flatMap((k) => ls(join(c, k)).filter((f) => f.includes('.building-')))).sort(),
    mounts: readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1] ?? '')
      .filter((m) => opts.cacheDirs.some((c) => m.startsWith(c)) || m.startsWith(opts.stateDir))
      .sort(),
  };
}
