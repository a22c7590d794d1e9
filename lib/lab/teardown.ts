import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Virsh } from '../libvirt/virsh.js';
import { domainName, isLabDomain, networkName } from './identity.js';
import { labPaths } from './paths.js';
import { readState } from './state.js';

/**
 * Remove everything of one lab: domains (destroy + undefine), its network, its folder.
 * Idempotent: what is already gone is skipped. Works from libvirt's names too, so a lab whose
 * state file was lost mid-start is still cleaned (a small reaper, like testcontainers' ryuk).
 */
export async function teardownLab(labId: string, uri = 'qemu:///system'): Promise<string[]> {
  const state = await readState(labId);
  const virsh = new Virsh(state?.libvirtUri ?? uri);
  const removed: string[] = [];
  const domains = new Set((await virsh.listDomains()).filter((d) => isLabDomain(d, labId)));
  for (const n of state?.nodes ?? []) domains.add(domainName(labId, n.name));
  await Promise.all(
    [...domains].map(async (d) => {
      await virsh.runIfExists(['destroy', d]);
      if ((await virsh.runIfExists(['undefine', d, '--nvram'])) !== undefined) removed.push(`domain ${d}`);
    }),
  );
  const net = networkName(labId);
  if ((await virsh.listNetworks()).includes(net)) {
    await virsh.runIfExists(['net-destroy', net]);
    await virsh.runIfExists(['net-undefine', net]);
    removed.push(`network ${net}`);
  }
  const dir = labPaths(labId).dir;
  if (existsSync(dir)) {
    await rm(dir, { recursive: true, force: true });
    removed.push(`folder ${dir}`);
  }
  return removed;
}

/** Lab ids libvirt still knows (domains or networks), whether or not a state folder exists. */
export async function labIdsInLibvirt(uri = 'qemu:///system'): Promise<string[]> {
  const virsh = new Virsh(uri);
  const names = [...(await virsh.listDomains()), ...(await virsh.listNetworks())];
  return [...new Set(names.map((n) => /^drbdlab-([0-9a-f]{6})-/.exec(n)?.[1]).filter((x): x is string => !!x))];
}
