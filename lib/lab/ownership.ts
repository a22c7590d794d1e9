import { create } from 'xmlbuilder2';
import { currentOwner, type Owner } from '../host/owner.js';
import { LAB_XMLNS, labMetadata } from '../libvirt/domain-xml.js';
import type { LabHost } from './lab-host.js';
import { labPaths } from './paths.js';
import { writeState, type LabState } from './state.js';

/**
 * Hand a lab to a new owner, in its state and in every domain's metadata (where the reaper of
 * any checkout looks). `up` does this once the lab is ready: until then a kill reaps it.
 */
export async function setLabOwner(state: LabState, owner: Owner, host: LabHost): Promise<void> {
  state.owner = owner;
  await writeState(host.folders.state, state);
  const virsh = host.connect(state.libvirtUri);
  for (const n of state.nodes) {
    const domainState = await virsh.domainState(n.domain);
    if (domainState === undefined) continue; // not defined yet
    // `virsh metadata --set` wants the element without a namespace: it adds ours under --key.
    const { ['@xmlns:drbdlab']: _ns, ...attrs } = labMetadata(state.labId, n.name, owner, labPaths(host.folders.state, state.labId).dir);
    const xml = create({ lab: attrs }).end({ headless: true });
    await virsh.setMetadata(n.domain, LAB_XMLNS, 'drbdlab', xml, { live: domainState === 'running' });
  }
}

/** The lab now belongs to the user: it stays until `down`. */
export function keepForUser(state: LabState, host: LabHost): Promise<void> {
  return setLabOwner(state, currentOwner('user'), host);
}
