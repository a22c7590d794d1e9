import type { DrbdPeerStatus, DrbdPeerVolumeStatus, DrbdResourceStatus, DrbdVolumeStatus } from './drbdsetup-status.js';
import { DrbdParseError } from './errors.js';
import { cleanLines, splitToken, toInt, toNumber, type TextLine } from './text.js';

/**
 * Parser for `drbdsetup events2` lines (print_event in drbd-utils):
 *
 *   [TIMESTAMP ]ACTION OBJECT name:R [peer-node-id:N] [conn-name:C] [local:… peer:…] [volume:V] [minor:M] STATE…
 *   exists -          end of the initial state dump (the only line with --now's last word)
 *   - skipped N       N events were lost (only between change events)
 *
 * A `change` line carries only what changed, except that peer-device `done:` is printed on every
 * peer-device event while a resync has progress details.
 */

export type Events2Action = 'exists' | 'create' | 'change' | 'destroy' | 'call' | 'response';

interface EventBase {
  action: Events2Action;
  /** `--timestamps` prefix as printed, e.g. `2019-01-24T10:15:02.123456+09:00`. */
  timestamp: string | null;
  /** Every key:value token after the object name, raw. */
  props: Record<string, string>;
}

export interface ResourceEvent extends EventBase {
  kind: 'resource';
  name: string;
  role?: string;
  suspended?: string;
}

export interface DeviceEvent extends EventBase {
  kind: 'device';
  name: string;
  volume: number;
  minor: number | null;
  disk?: string;
  client?: string;
  quorum?: string;
}

export interface ConnectionEvent extends EventBase {
  kind: 'connection';
  name: string;
  peerNodeId: number;
  connName: string | null;
  connection?: string;
  role?: string;
}

export interface PeerDeviceEvent extends EventBase {
  kind: 'peer-device';
  name: string;
  peerNodeId: number;
  connName: string | null;
  volume: number;
  replication?: string;
  peerDisk?: string;
  donePercent?: number;
}

export interface PathEvent extends EventBase {
  kind: 'path';
  name: string;
  peerNodeId: number;
  connName: string | null;
  /** e.g. `ipv4:10.255.255.101:7000`. */
  local?: string;
  peer?: string;
  established?: boolean;
}

export interface HelperEvent extends EventBase {
  kind: 'helper';
  name: string;
  helper: string;
  /** Exit status, on `response` lines. */
  status?: number;
}

export interface InitialStateDoneEvent {
  kind: 'initial-state-done';
  action: 'exists';
  timestamp: string | null;
}

export interface SkippedEvent {
  kind: 'skipped';
  count: number;
}

export type DrbdEvent =
  | ResourceEvent
  | DeviceEvent
  | ConnectionEvent
  | PeerDeviceEvent
  | PathEvent
  | HelperEvent
  | InitialStateDoneEvent
  | SkippedEvent;

const PARSER = 'drbdsetup-events2';
const ACTIONS = new Set<string>(['exists', 'create', 'change', 'destroy', 'call', 'response']);
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+[+-]\d{2}:\d{2}$/u;

export function parseEvents2(text: string): DrbdEvent[] {
  return cleanLines(text).flatMap((line) => {
    const event = parseLine(line);
    return event ? [event] : [];
  });
}

/** One line as read from a running `drbdsetup events2`; null for an empty line. */
export function parseEvents2Line(line: string, lineNumber = 1): DrbdEvent | null {
  const [clean] = cleanLines(line.replace(/\n$/u, ''));
  return parseLine({ number: lineNumber, text: clean?.text ?? '' });
}

function parseLine(line: TextLine): DrbdEvent | null {
  const tokens = line.text.trim().split(/\s+/u).filter((token) => token !== '');
  if (tokens.length === 0) return null;
  const fail = (reason: string): never => {
    throw new DrbdParseError(PARSER, reason, line.text, line.number);
  };

  if (tokens[0] === '-' && tokens[1] === 'skipped') {
    const count = toInt(tokens[2]);
    if (count === null || tokens.length !== 3) fail('malformed "- skipped" line');
    return { kind: 'skipped', count: count! };
  }

  const timestamp = TIMESTAMP.test(tokens[0]!) ? tokens.shift()! : null;
  const action = tokens.shift() ?? fail('missing action');
  if (!ACTIONS.has(action)) fail(`unknown action ${JSON.stringify(action)}`);
  const object = tokens.shift() ?? fail('missing object');
  if (object === '-') {
    if (action !== 'exists' || tokens.length > 0) fail('malformed end-of-initial-state line');
    return { kind: 'initial-state-done', action: 'exists', timestamp };
  }

  const props: Record<string, string> = {};
  for (const token of tokens) {
    const pair = splitToken(token) ?? fail(`expected key:value, got ${JSON.stringify(token)}`);
    props[pair[0]] = pair[1];
  }
  const base = { action: action as Events2Action, timestamp, props };
  const name = props['name'] ?? fail('missing name:');
  const int = (key: string): number => toInt(props[key]) ?? fail(`missing or non-numeric ${key}:`);
  const done = props['done'] === undefined ? undefined : (toNumber(props['done']) ?? fail('non-numeric done:'));

  switch (object) {
    case 'resource':
      return { ...base, kind: 'resource', name, ...pick(props, { role: 'role', suspended: 'suspended' }) };
    case 'device':
      return {
        ...base,
        kind: 'device',
        name,
        volume: int('volume'),
        minor: toInt(props['minor']),
        ...pick(props, { disk: 'disk', client: 'client', quorum: 'quorum' }),
      };
    case 'connection':
      return {
        ...base,
        kind: 'connection',
        name,
        peerNodeId: int('peer-node-id'),
        connName: props['conn-name'] ?? null,
        ...pick(props, { connection: 'connection', role: 'role' }),
      };
    case 'peer-device':
      return {
        ...base,
        kind: 'peer-device',
        name,
        peerNodeId: int('peer-node-id'),
        connName: props['conn-name'] ?? null,
        volume: int('volume'),
        ...pick(props, { replication: 'replication', peerDisk: 'peer-disk' }),
        ...(done === undefined ? {} : { donePercent: done }),
      };
    case 'path':
      return {
        ...base,
        kind: 'path',
        name,
        peerNodeId: int('peer-node-id'),
        connName: props['conn-name'] ?? null,
        ...pick(props, { local: 'local', peer: 'peer' }),
        ...(props['established'] === undefined ? {} : { established: props['established'] === 'yes' }),
      };
    case 'helper':
      return {
        ...base,
        kind: 'helper',
        name,
        helper: props['helper'] ?? fail('missing helper:'),
        ...(props['status'] === undefined ? {} : { status: int('status') }),
      };
    default:
      return fail(`unknown object ${JSON.stringify(object)}`);
  }
}

function pick<K extends string>(props: Record<string, string>, keys: Record<K, string>): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const [field, key] of Object.entries(keys) as [K, string][]) {
    const value = props[key];
    if (value !== undefined) out[field] = value;
  }
  return out;
}

/**
 * Folds events (an `events2 --now` dump, optionally followed by changes) into the same shape
 * `parseDrbdsetupStatus` returns, so the predicates in state.ts work on either source.
 */
export function events2ToStatus(events: readonly DrbdEvent[]): DrbdResourceStatus[] {
  const resources = new Map<string, DrbdResourceStatus>();
  const resource = (name: string): DrbdResourceStatus => {
    let found = resources.get(name);
    if (!found) {
      found = { name, role: 'Unknown', volumes: [], peers: [], extra: {} };
      resources.set(name, found);
    }
    return found;
  };
  const peerOf = (res: DrbdResourceStatus, nodeId: number, connName: string | null): DrbdPeerStatus => {
    let peer = res.peers.find((p) => p.nodeId === nodeId);
    if (!peer) {
      peer = { name: connName, nodeId, role: null, volumes: [], extra: {} };
      res.peers.push(peer);
    }
    return peer;
  };

  for (const event of events) {
    switch (event.kind) {
      case 'resource': {
        if (event.action === 'destroy') {
          resources.delete(event.name);
          break;
        }
        const res = resource(event.name);
        if (event.role !== undefined) res.role = event.role;
        if (event.suspended !== undefined) res.suspended = event.suspended;
        break;
      }
      case 'device': {
        const res = resource(event.name);
        const index = res.volumes.findIndex((v) => v.volume === event.volume);
        if (event.action === 'destroy') {
          if (index >= 0) res.volumes.splice(index, 1);
          break;
        }
        const volume: DrbdVolumeStatus = res.volumes[index] ?? { volume: event.volume, disk: 'Unknown', extra: {} };
        if (index < 0) res.volumes.push(volume);
        if (event.disk !== undefined) volume.disk = event.disk;
        if (event.client !== undefined) volume.extra['client'] = event.client;
        if (event.quorum !== undefined) volume.extra['quorum'] = event.quorum;
        if (event.minor !== null) volume.extra['minor'] = String(event.minor);
        break;
      }
      case 'connection': {
        const res = resource(event.name);
        if (event.action === 'destroy') {
          res.peers = res.peers.filter((p) => p.nodeId !== event.peerNodeId);
          break;
        }
        const peer = peerOf(res, event.peerNodeId, event.connName);
        if (event.role !== undefined) peer.role = event.role === 'Unknown' ? null : event.role;
        if (event.connection !== undefined) {
          // Same convention as drbdsetup status: connection absent means Connected.
          if (event.connection === 'Connected') delete peer.connection;
          else peer.connection = event.connection;
        }
        break;
      }
      case 'peer-device': {
        const peer = peerOf(resource(event.name), event.peerNodeId, event.connName);
        const index = peer.volumes.findIndex((v) => v.volume === event.volume);
        if (event.action === 'destroy') {
          if (index >= 0) peer.volumes.splice(index, 1);
          break;
        }
        const volume: DrbdPeerVolumeStatus = peer.volumes[index] ?? { volume: event.volume, peerDisk: null, extra: {} };
        if (index < 0) peer.volumes.push(volume);
        if (event.replication !== undefined) volume.replication = event.replication;
        if (event.peerDisk !== undefined) volume.peerDisk = event.peerDisk;
        // done: is repeated on every peer-device event while resync details exist, so its absence means none.
        if (event.donePercent !== undefined) volume.donePercent = event.donePercent;
        else delete volume.donePercent;
        break;
      }
      default:
        break;
    }
  }
  return [...resources.values()];
}
