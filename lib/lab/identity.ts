// Fixed id -> MAC -> IP (as LINBIT's virter does) and per-run names, so two labs can share a host.
import { randomBytes } from 'node:crypto';

export const MGMT_GUEST_IP = '10.0.2.15'; // QEMU slirp's guest address; never reached from the host

export function newLabId(): string {
  return randomBytes(3).toString('hex');
}

/** 52:54:00 is QEMU's prefix; the 4th octet says which NIC, the last the node id. */
export function macFor(nic: 'mgmt' | 'repl', id: number): string {
  const nicByte = nic === 'mgmt' ? '01' : '02';
  return `52:54:00:00:${nicByte}:${id.toString(16).padStart(2, '0')}`;
}

export function domainName(labId: string, node: string): string {
  return `drbdlab-${labId}-${node}`;
}

export function networkName(labId: string): string {
  return `drbdlab-${labId}-repl`;
}

/** Linux caps interface names at 15 characters. */
export function bridgeName(labId: string): string {
  return `dlab-${labId}`;
}

export function isLabDomain(name: string, labId?: string): boolean {
  return labId ? name.startsWith(`drbdlab-${labId}-`) : /^drbdlab-[0-9a-f]{6}-/.test(name);
}
