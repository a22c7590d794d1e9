// The Pacemaker configuration of r0, as crmsh 4.4 (Debian 12) reads it with `crm configure load
// update`. Pure: the scenario loads what this returns; the unit tests read it.

export interface CrmR0Options {
  /** The DRBD resource (drbd_resource of ocf:linbit:drbd). */
  resource: string;
  device: string;
  mount: string;
  fstype: string;
  /** The two nodes with a replica (DRBD 8.4: exactly two). */
  replicas: readonly [string, string];
  /** Cluster members without a replica: quorum votes only, r0 never runs there. */
  quorumOnly: readonly string[];
}

/** Resource ids, for the scenario's checks of crm_mon. */
export const crmIds = (resource: string) => ({
  drbd: `p_drbd_${resource}`,
  promotable: `ms_drbd_${resource}`,
  fs: `p_fs_${resource}`,
});

export function renderCrmConfig(o: CrmR0Options): string {
  const id = crmIds(o.resource);
  const lines = [
    // No fencing device in the lab (no IPMI, no fence_virsh: the guests must not reach the
    // host). Pacemaker refuses to start resources with stonith enabled and no device; with it
    // off a node that leaves the membership is taken as down. True here (it is powered off); a
    // node that is only cut off would not be stopped, and both could promote (split brain).
    // no-quorum-policy=stop: a partition without quorum (one node of three) stops what it runs,
    // so a replica cut off alone demotes instead of staying Primary.
    'property cib-bootstrap-options: stonith-enabled=false no-quorum-policy=stop',
    // Stickiness: a node that returns does not take the promotion back (no second failover).
    'rsc_defaults rsc-options: resource-stickiness=100',
    // DRBD 8.4's agent as LINBIT's guide configures it: one promoted, two instances, notifications.
    // Timeouts and intervals are TCG's: on a loaded two-core host one run of the agent took
    // over 60 s (a monitor timed out, Pacemaker recovered a healthy resource). A node's loss is
    // seen by corosync, not by a monitor, so longer intervals do not slow the failover.
    `primitive ${id.drbd} ocf:linbit:drbd params drbd_resource=${o.resource} ` +
      'op monitor interval=59s role=Master timeout=180s op monitor interval=61s role=Slave timeout=180s ' +
      'op start timeout=240s interval=0 op stop timeout=180s interval=0 op promote timeout=180s interval=0 op demote timeout=180s interval=0 op notify timeout=180s interval=0',
    // crmsh 4.4: `ms` is deprecated for a promotable clone; promoted-max is master-max's 2.x name.
    `clone ${id.promotable} ${id.drbd} meta promotable=true promoted-max=1 promoted-node-max=1 clone-max=2 clone-node-max=1 notify=true`,
    `primitive ${id.fs} ocf:heartbeat:Filesystem params device=${o.device} directory=${o.mount} fstype=${o.fstype} ` +
      'op monitor interval=60s timeout=180s op start timeout=180s interval=0 op stop timeout=180s interval=0',
    // Off the quorum node, and not even probed there (r0 is not configured on it).
    ...o.quorumOnly.flatMap((n) => [
      `location l_${id.promotable}_not_${n} ${id.promotable} resource-discovery=never -inf: ${n}`,
      `location l_${id.fs}_not_${n} ${id.fs} resource-discovery=never -inf: ${n}`,
    ]),
    `colocation c_${id.fs}_on_promoted inf: ${id.fs} ${id.promotable}:Master`,
    `order o_${id.fs}_after_promote Mandatory: ${id.promotable}:promote ${id.fs}:start`,
  ];
  return `${lines.join('\n')}\n`;
}
