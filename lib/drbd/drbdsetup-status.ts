import { DrbdParseError } from './errors.js';
import { cleanLines, splitToken, toNumber, type TextLine } from './text.js';

/**
 * Parser for `drbdsetup status` / `drbdadm status` text (drbd-utils, DRBD 9 and the 8.4 compat
 * output of drbd-utils 9.x). Layout, from drbdsetup.c:
 *
 *   <resource> role:… [suspended:…]            indent 0 (continuation lines: indent 4)
 *     [volume:N] disk:… [quorum:no] …          indent 2 (continuation: 6)
 *     <peer> [connection:…] [role:…] …         indent 2 (continuation: 6)
 *       [volume:N] [replication:…] peer-disk:… [done:…]   indent 4 (continuation: 8)
 *
 * `volume:` is omitted for a resource with the single volume 0; `connection:` is omitted while
 * Connected, `role:` is omitted while not Connected, `replication:` is omitted while Established
 * (DRBD 9). Long lines wrap at 80 columns onto the deeper indent. A blank line ends each resource.
 */

export interface DrbdVolumeStatus {
  volume: number;
  disk: string;
  /** Other key:value tokens (client, quorum, minor, size, read, written, blocked, …). */
  extra: Record<string, string>;
}

export interface DrbdPeerVolumeStatus {
  volume: number;
  peerDisk: string | null;
  /** Absent means Established on DRBD 9 (drbdsetup hides it); DRBD 8.4 prints it. */
  replication?: string;
  /** Resync progress, `done:3.60` → 3.6. */
  donePercent?: number;
  extra: Record<string, string>;
}

export interface DrbdPeerStatus {
  /** Connection name (peer host name); null on DRBD 8.4, which prints the placeholder `peer`. */
  name: string | null;
  nodeId?: number;
  /** null while not connected (drbdsetup prints no role then). */
  role: string | null;
  /** Absent means Connected. */
  connection?: string;
  /** Empty while not connected. */
  volumes: DrbdPeerVolumeStatus[];
  extra: Record<string, string>;
}

export interface DrbdResourceStatus {
  name: string;
  role: string;
  suspended?: string;
  volumes: DrbdVolumeStatus[];
  peers: DrbdPeerStatus[];
  extra: Record<string, string>;
}

const PARSER = 'drbdsetup-status';
// drbd-utils' 8.4 status has no connection names and prints this instead.
const DRBD84_PEER_PLACEHOLDER = 'peer';

interface Item<T> {
  value: T;
  line: TextLine;
}

interface ResourceBuilder {
  resource: Item<Omit<DrbdResourceStatus, 'role'> & { role?: string }>;
  volumes: Item<Omit<DrbdVolumeStatus, 'disk'> & { disk?: string }>[];
  peers: { peer: DrbdPeerStatus; volumes: DrbdPeerVolumeStatus[] }[];
  /** Item that indent-6 continuation lines belong to. */
  lastLevel2: ((tokens: string[], line: TextLine) => void) | null;
  lastPeerVolume: DrbdPeerVolumeStatus | null;
}

export function parseDrbdsetupStatus(text: string): DrbdResourceStatus[] {
  const result: DrbdResourceStatus[] = [];
  let current: ResourceBuilder | null = null;

  for (const line of cleanLines(text)) {
    if (line.text.trim() === '') continue;
    const indent = /^ */u.exec(line.text)![0].length;
    if (line.text[indent] === '\t') fail('unexpected tab indentation', line);
    const tokens = line.text.trim().split(/\s+/u);

    if (indent === 0) {
      // "# No currently configured DRBD found."
      if (line.text.startsWith('#')) continue;
      if (current) result.push(finish(current));
      current = startResource(tokens, line);
      continue;
    }
    if (!current) fail('indented line before any resource', line);
    const builder: ResourceBuilder = current;

    switch (indent) {
      case 2: {
        const first = splitToken(tokens[0]!);
        if (first && (first[0] === 'volume' || first[0] === 'disk')) {
          if (builder.peers.length > 0) fail('device line after a connection', line);
          const volume: Item<Omit<DrbdVolumeStatus, 'disk'> & { disk?: string }> = {
            value: { volume: 0, extra: {} },
            line,
          };
          builder.volumes.push(volume);
          const apply = (more: string[], at: TextLine) => applyDeviceTokens(volume.value, more, at);
          apply(tokens, line);
          builder.lastLevel2 = apply;
        } else {
          const peer = startPeer(tokens, line);
          builder.peers.push({ peer, volumes: peer.volumes });
          builder.lastLevel2 = (more, at) => applyPeerTokens(peer, more, at);
          builder.lastPeerVolume = null;
        }
        break;
      }
      case 4: {
        if (builder.volumes.length === 0 && builder.peers.length === 0) {
          applyResourceTokens(builder.resource.value, tokens, line);
          break;
        }
        const peer = builder.peers[builder.peers.length - 1];
        if (!peer) fail('peer-device line without a connection', line);
        const volume: DrbdPeerVolumeStatus = { volume: 0, peerDisk: null, extra: {} };
        applyPeerVolumeTokens(volume, tokens, line);
        peer.volumes.push(volume);
        builder.lastPeerVolume = volume;
        break;
      }
      case 6:
        if (!builder.lastLevel2) fail('continuation line without a device or connection', line);
        builder.lastLevel2(tokens, line);
        break;
      case 8:
        if (!builder.lastPeerVolume) fail('continuation line without a peer device', line);
        applyPeerVolumeTokens(builder.lastPeerVolume, tokens, line);
        break;
      default:
        fail(`unexpected indentation (${indent} spaces)`, line);
    }
  }
  if (current) result.push(finish(current));
  return result;
}

function startResource(tokens: string[], line: TextLine): ResourceBuilder {
  const name = tokens[0]!;
  if (name.includes(':')) fail('expected a resource name', line);
  const resource: ResourceBuilder['resource'] = { value: { name, volumes: [], peers: [], extra: {} }, line };
  applyResourceTokens(resource.value, tokens.slice(1), line);
  return { resource, volumes: [], peers: [], lastLevel2: null, lastPeerVolume: null };
}

function startPeer(tokens: string[], line: TextLine): DrbdPeerStatus {
  const first = tokens[0]!;
  // Unnamed connections print `node-id:N` first.
  const named = !first.includes(':');
  const peer: DrbdPeerStatus = {
    name: named && first !== DRBD84_PEER_PLACEHOLDER ? first : null,
    role: null,
    volumes: [],
    extra: {},
  };
  applyPeerTokens(peer, named ? tokens.slice(1) : tokens, line);
  return peer;
}

function finish(builder: ResourceBuilder): DrbdResourceStatus {
  const { value, line } = builder.resource;
  if (value.role === undefined) fail('resource has no role', line);
  const volumes = builder.volumes.map(({ value: volume, line: at }) => {
    if (volume.disk === undefined) fail('device has no disk state', at);
    return { ...volume, disk: volume.disk };
  });
  return { ...value, role: value.role, volumes, peers: builder.peers.map(({ peer }) => peer) };
}

function applyResourceTokens(resource: ResourceBuilder['resource']['value'], tokens: string[], line: TextLine): void {
  for (const [key, value] of pairs(tokens, line)) {
    if (key === 'role') resource.role = value;
    else if (key === 'suspended') resource.suspended = value;
    else resource.extra[key] = value;
  }
}

function applyDeviceTokens(volume: Omit<DrbdVolumeStatus, 'disk'> & { disk?: string }, tokens: string[], line: TextLine): void {
  for (const [key, value] of pairs(tokens, line)) {
    if (key === 'volume') volume.volume = toUint(value, line);
    else if (key === 'disk') volume.disk = value;
    else volume.extra[key] = value;
  }
}

function applyPeerTokens(peer: DrbdPeerStatus, tokens: string[], line: TextLine): void {
  for (const [key, value] of pairs(tokens, line)) {
    if (key === 'role') peer.role = value;
    else if (key === 'connection') peer.connection = value;
    else if (key === 'node-id') peer.nodeId = toUint(value, line);
    else peer.extra[key] = value;
  }
}

function applyPeerVolumeTokens(volume: DrbdPeerVolumeStatus, tokens: string[], line: TextLine): void {
  for (const [key, value] of pairs(tokens, line)) {
    if (key === 'volume') volume.volume = toUint(value, line);
    else if (key === 'replication') volume.replication = value;
    else if (key === 'peer-disk') volume.peerDisk = value;
    else if (key === 'done') {
      const done = toNumber(value);
      if (done === null) fail(`done is not a number: ${value}`, line);
      volume.donePercent = done;
    } else volume.extra[key] = value;
  }
}

function pairs(tokens: string[], line: TextLine): [string, string][] {
  return tokens.map((token) => splitToken(token) ?? fail(`expected key:value, got ${JSON.stringify(token)}`, line));
}

function toUint(value: string, line: TextLine): number {
  if (!/^\d+$/u.test(value)) fail(`not a number: ${value}`, line);
  return Number.parseInt(value, 10);
}

function fail(reason: string, line: TextLine): never {
  throw new DrbdParseError(PARSER, reason, line.text, line.number);
}
