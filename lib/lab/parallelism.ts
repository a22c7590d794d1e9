// How many clusters may run at once on this host: set (DRBDLAB_CLUSTERS, checked with the rest of the
// configuration), or from its memory and
// cores. A TCG cluster of three 512 MiB guests holds ≈ 1.8 GB. Under TCG the scenarios are
// CPU-bound (reboots are full emulated boots): one cluster per core (measured here on 2 cores: the
// four scenarios took 397 s with 2 clusters at once, 406 s with 3 — README, Benchmark).
export interface HostSize {
  cpus: number;
  memBytes: number;
}

const GIB = 1024 ** 3;
/** Kept for the host itself (libvirtd, node, vitest). */
const HOST_RESERVE = 2 * GIB;
/** QEMU's own overhead per TCG guest beyond its RAM (128 MiB translation cache and more). */
const PER_GUEST_OVERHEAD = 150 * 1024 ** 2;
const CLUSTERS_PER_CORE = 1;

export function clustersFor(host: HostSize, cluster: { nodes: number; memoryMiB: number }, setting?: number): number {
  if (setting !== undefined) return setting;
  const perCluster = cluster.nodes * (cluster.memoryMiB * 1024 ** 2 + PER_GUEST_OVERHEAD);
  const byMemory = Math.floor((host.memBytes - HOST_RESERVE) / perCluster);
  return Math.max(1, Math.min(byMemory, host.cpus * CLUSTERS_PER_CORE));
}
