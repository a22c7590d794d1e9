import type { DrbdPeerStatus, DrbdPeerVolumeStatus, DrbdResourceStatus } from './drbdsetup-status.js';

/**
 * Pure predicates over a parsed resource (from drbdsetup status or events2ToStatus), for wait
 * strategies and their timeout messages. Status conventions: an absent `connection` means
 * Connected, an absent `replication` means Established.
 */

export function isConnected(peer: DrbdPeerStatus): boolean {
  // 8.4 via drbd-utils 9 prints an unconnected peer as a bare `peer role:Unknown` line.
  if (peer.role === 'Unknown' && peer.connection === undefined && peer.volumes.length === 0) return false;
  return peer.connection === undefined || peer.connection === 'Connected';
}

function isEstablished(volume: DrbdPeerVolumeStatus): boolean {
  return volume.replication === undefined || volume.replication === 'Established';
}

/**
 * Every local volume UpToDate, and every peer connected with every volume Established and
 * UpToDate. Diskless peers count as not UpToDate. Does not check how many peers there are:
 * compare `res.peers.length` when a node count is expected.
 */
export function isUpToDateEverywhere(res: DrbdResourceStatus): boolean {
  if (res.volumes.length === 0 || !res.volumes.every((v) => v.disk === 'UpToDate')) return false;
  return res.peers.every(
    (peer) =>
      isConnected(peer) &&
      res.volumes.every((local) =>
        peer.volumes.some((v) => v.volume === local.volume && isEstablished(v) && v.peerDisk === 'UpToDate'),
      ),
  );
}

/**
 * Lowest resync progress over all peer volumes, in percent: `done:` while resyncing, 100 once
 * Established and UpToDate, 0 for any other state (e.g. both sides Inconsistent before the first
 * `primary --force`). Diskless peer volumes and unconnected peers are left out; null when no peer
 * volume is left to measure.
 */
export function syncProgress(res: DrbdResourceStatus): number | null {
  const values = res.peers
    .filter(isConnected)
    .flatMap((peer) => peer.volumes)
    .filter((v) => v.peerDisk !== 'Diskless')
    .map((v) => {
      if (v.donePercent !== undefined) return v.donePercent;
      return isEstablished(v) && v.peerDisk === 'UpToDate' ? 100 : 0;
    });
  return values.length === 0 ? null : Math.min(...values);
}

/** One line, e.g. `r0 Primary disk:UpToDate peer(drbd2):Secondary SyncSource 37.5%`; for "last seen: …". */
export function describe(res: DrbdResourceStatus): string {
  const parts = [res.name, res.role];
  if (res.suspended !== undefined && res.suspended !== 'no') parts.push(`suspended:${res.suspended}`);
  parts.push(`disk:${perVolume(res.volumes.map((v) => [v.volume, v.disk]))}`);
  for (const peer of res.peers) {
    const label = peer.name === null ? 'peer' : `peer(${peer.name})`;
    const head = isConnected(peer) ? (peer.role ?? '?') : peer.connection!;
    parts.push(`${label}:${head}`);
    if (isConnected(peer) && peer.volumes.length > 0) {
      parts.push(perVolume(peer.volumes.map((v) => [v.volume, describePeerVolume(v)])));
    }
  }
  return parts.join(' ');
}

/** `describe` for several resources, `; `-separated. */
export function describeAll(resources: readonly DrbdResourceStatus[]): string {
  return resources.length === 0 ? '(no resources)' : resources.map(describe).join('; ');
}

function describePeerVolume(v: DrbdPeerVolumeStatus): string {
  if (!isEstablished(v) || v.donePercent !== undefined) {
    const done = v.donePercent === undefined ? '' : ` ${Number(v.donePercent.toFixed(2))}%`;
    return `${v.replication ?? 'Established'}${done}`;
  }
  return v.peerDisk ?? '?';
}

/** `UpToDate` when all volumes agree, else `0=UpToDate,1=Inconsistent`. */
function perVolume(entries: [number, string][]): string {
  if (entries.length === 0) return '-';
  const distinct = new Set(entries.map(([, value]) => value));
  if (distinct.size === 1) return entries[0]![1];
  return entries.map(([volume, value]) => `${volume}=${value}`).join(',');
}
