import { DrbdParseError } from './errors.js';
import { cleanLines, toInt, type TextLine } from './text.js';

/**
 * `drbdmanage list-* -m` prints one comma-separated line per object and nothing for an empty
 * list. Field layouts below follow drbdmanage_client.py (cmd_list_nodes, _list_resources,
 * cmd_list_assignments); flag fields are `|`-joined flag names, `N/A` marks a missing property.
 */

const PARSER = 'drbdmanage-machine-readable';

/** Splits `-m` output into fields. All lines must have the same number of fields (at least two). */
export function parseMachineReadable(text: string): string[][] {
  const lines = cleanLines(text).filter((line) => line.text.trim() !== '');
  let width: number | undefined;
  return lines.map((line) => {
    const content = line.text.trim();
    if (/^error:/iu.test(content)) fail(PARSER, 'drbdmanage reported an error', line);
    const fields = content.split(',');
    if (fields.length < 2) fail(PARSER, 'expected comma-separated fields', line);
    width ??= fields.length;
    if (fields.length !== width) fail(PARSER, `expected ${width} fields, got ${fields.length}`, line);
    return fields;
  });
}

export interface MachineReadableNode {
  name: string;
  /** `ipv4` / `ipv6` (drbdmanage stores the bare `4` / `6`). */
  addressFamily: string;
  address: string;
  /** KiB; null when unknown (drbdmanage stores -1). */
  poolSizeKiB: number | null;
  poolFreeKiB: number | null;
  /** Target-state flags, e.g. `['drbdctrl', 'storage']`, `update` while connections are adjusted. */
  flags: string[];
  site: string | null;
}

export interface MachineReadableVolume {
  resource: string;
  resourceFlags: string[];
  volumeId: number;
  sizeKiB: number;
  port: number | null;
  minor: number | null;
  volumeFlags: string[];
}

export interface MachineReadableAssignment {
  node: string;
  resource: string;
  nodeId: number | null;
  /** Current-state flags (`connect`, `deploy`, `diskless`). */
  currentFlags: string[];
  /** Target-state flags; differing from currentFlags means drbdmanage still has work to do. */
  targetFlags: string[];
}

/** `drbdmanage list-nodes -m`: name,af,address,poolsize,poolfree,state,site. */
export function parseMachineReadableNodes(text: string): MachineReadableNode[] {
  return typedRows(text, 'drbdmanage-list-nodes-m', 7, ([name, af, address, size, free, flags, site]) => ({
    name: name!,
    addressFamily: /^\d+$/u.test(af!) ? `ipv${af}` : af!,
    address: address!,
    poolSizeKiB: nonNegative(toInt(size)),
    poolFreeKiB: nonNegative(toInt(free)),
    flags: splitFlags(flags!),
    site: site === 'N/A' || site === '' ? null : site!,
  }));
}

/** `drbdmanage list-volumes -m`: resource,resource-state,vol-id,size-KiB,port,minor,volume-state. */
export function parseMachineReadableVolumes(text: string): MachineReadableVolume[] {
  return typedRows(text, 'drbdmanage-list-volumes-m', 7, ([resource, resFlags, volId, size, port, minor, volFlags], line) => {
    const volumeId = toInt(volId);
    const sizeKiB = toInt(size);
    if (volumeId === null || sizeKiB === null) fail('drbdmanage-list-volumes-m', 'volume id and size must be numbers', line);
    return {
      resource: resource!,
      resourceFlags: splitFlags(resFlags!),
      volumeId,
      sizeKiB,
      port: toInt(port),
      minor: toInt(minor),
      volumeFlags: splitFlags(volFlags!),
    };
  });
}

/** `drbdmanage list-assignments -m`: node,resource,node-id,current-state,target-state. */
export function parseMachineReadableAssignments(text: string): MachineReadableAssignment[] {
  return typedRows(text, 'drbdmanage-list-assignments-m', 5, ([node, resource, nodeId, current, target]) => ({
    node: node!,
    resource: resource!,
    nodeId: toInt(nodeId),
    currentFlags: splitFlags(current!),
    targetFlags: splitFlags(target!),
  }));
}

function typedRows<T>(text: string, parser: string, fields: number, map: (fields: string[], line: TextLine) => T): T[] {
  const lines = cleanLines(text).filter((line) => line.text.trim() !== '');
  const rows = parseMachineReadable(text);
  return rows.map((row, index) => {
    const line = lines[index]!;
    if (row.length !== fields) fail(parser, `expected ${fields} fields, got ${row.length}`, line);
    return map(row, line);
  });
}

function splitFlags(field: string): string[] {
  return field === '' || field === 'N/A' ? [] : field.split('|');
}

function nonNegative(value: number | null): number | null {
  return value !== null && value >= 0 ? value : null;
}

function fail(parser: string, reason: string, line: TextLine): never {
  throw new DrbdParseError(parser, reason, line.text, line.number);
}
