import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { ifPresent } from '../libvirt/libvirt.js';
import { pollUntil } from '../wait/poll.js';
import { isLabDomain, networkName } from './identity.js';
import type { LabHost } from './lab-host.js';
import { labPaths } from './paths.js';
import { readState } from './state.js';

/**
 * Remove everything of one lab: domains (destroy + undefine), its network, its folder.
 * Idempotent: what is already gone is skipped. It goes by what libvirt has now, not by a list
 * taken earlier, and lists again until nothing of the lab is left: a define that libvirtd
 * finished after our first look is removed too.
 */
export async function teardownLab(labId: string, uri: string, opts: { dir?: string; host: LabHost }): Promise<string[]> {
  const { host } = opts;
  const state = await readState(host.folders.state, labId);
  const virsh = host.connect(state?.libvirtUri ?? uri);
  const removed: string[] = [];
  const net = networkName(labId);
  await pollUntil(
    `nothing of lab ${labId} left in libvirt`,
    async () => {
      const domains = (await virsh.listDomains()).filter((d) => isLabDomain(d, labId));
      const nets = (await virsh.listNetworks()).filter((n) => n === net);
      if (domains.length === 0 && nets.length === 0) return { done: true, seen: 'nothing left' };
      await Promise.all(
        domains.map(async (d) => {
          await ifPresent(virsh.destroy(d));
          if (await ifPresent(virsh.undefine(d, { nvram: true }))) removed.push(`domain ${d}`);
        }),
      );
      // Domains first: a network is only removed once nothing is attached to it.
      for (const n of nets) {
        await ifPresent(virsh.destroyNetwork(n));
        if (await ifPresent(virsh.undefineNetwork(n))) removed.push(`network ${n}`);
      }
      return { done: false, seen: `removing ${[...domains, ...nets].join(', ')}` };
    },
    { timeoutMs: 120_000, intervalMs: 500, clock: host.clock },
  );
  // A folder named by another checkout's metadata is removed only if it is that lab's folder.
  const dirs = [labPaths(host.folders.state, labId).dir, ...(opts.dir && basename(opts.dir) === labId ? [opts.dir] : [])];
  for (const dir of new Set(dirs)) {
    if (!existsSync(dir)) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(`folder ${dir}`);
  }
  return removed;
}

/** Lab ids libvirt still knows (domains or networks), whether or not a state folder exists. */
export async function labIdsInLibvirt(uri: string, host: LabHost): Promise<string[]> {
  const virsh = host.connect(uri);
  const names = [...(await virsh.listDomains()), ...(await virsh.listNetworks())];
  return [...new Set(names.map((n) => /^drbdlab-([0-9a-f]{6})-/.exec(n)?.[1]).filter((x): x is string => !!x))];
}
