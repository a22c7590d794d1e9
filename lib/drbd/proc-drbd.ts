import { DrbdParseError } from './errors.js';
import { cleanLines, type TextLine } from './text.js';

/**
 * Parser for /proc/drbd. DRBD 8.4 lists every minor there (cs/ro/ds line, counters, resync
 * progress); DRBD 9 prints only the version, GIT-hash and Transports lines, its state comes
 * from drbdsetup status / events2.
 */

export interface DrbdVersion {
  major: number;
  minor: number;
  patch: number;
  /** Version token as printed, e.g. `8.4.11` or `9.0.16-1`. */
  raw: string;
}

export interface ProcDrbdSync {
  /** `sync'ed` during resync, `verified` during online verify. */
  kind: "sync'ed" | 'verified';
  percent: number;
  /** Still to go, KiB. */
  remainingKiB: number;
  totalKiB: number;
  /** `h:mm:ss` estimate, from the finish line. */
  finish?: string;
  /** Current speed in KiB/s. */
  speedKiBps?: number;
}

export interface ProcDrbdMinor {
  minor: number;
  /** `cs:` e.g. Connected, SyncSource, WFConnection, StandAlone, Unconfigured. */
  connectionState: string;
  /** `ro:` local/peer; null for an unconfigured minor. */
  role: string | null;
  peerRole: string | null;
  /** `ds:` local/peer. */
  disk: string | null;
  peerDisk: string | null;
  /** Replication protocol A/B/C; null when not configured (StandAlone). */
  protocol: string | null;
  /** The six I/O state flags, e.g. `r-----`. */
  ioFlags: string | null;
  /** Numeric fields of the `ns:` line (ns, nr, dw, dr, al, bm, lo, pe, ua, ap, ep, oos). */
  counters: Record<string, number>;
  /** `wo:` write ordering letter (b, f, d, n). */
  writeOrdering: string | null;
  /** `oos:` out of sync, KiB. */
  outOfSyncKiB: number | null;
  sync: ProcDrbdSync | null;
  /** Indented lines not understood (e.g. act_log statistics), kept verbatim. */
  extraLines: string[];
}

export interface ProcDrbd {
  version: DrbdVersion | null;
  /** From `(api:1/proto:86-101)`. */
  api: string | null;
  proto: string | null;
  srcversion: string | null;
  gitHash: string | null;
  /** DRBD 9: `Transports (api:16): tcp (9.0.16-1)`. */
  transports: { name: string; version: string }[];
  minors: ProcDrbdMinor[];
}

const PARSER = 'proc-drbd';

export function parseProcDrbd(text: string): ProcDrbd {
  const proc: ProcDrbd = {
    version: null,
    api: null,
    proto: null,
    srcversion: null,
    gitHash: null,
    transports: [],
    minors: [],
  };
  let minor: ProcDrbdMinor | null = null;

  for (const line of cleanLines(text)) {
    const content = line.text.trim();
    if (content === '') continue;

    const version = /^version:\s+(\S+)(?:\s+\(api:([^/)]+)\/proto:([^)]+)\))?/u.exec(line.text);
    if (version) {
      proc.version = toVersion(version[1]!, line, PARSER);
      proc.api = version[2] ?? null;
      proc.proto = version[3] ?? null;
      continue;
    }
    const simple = /^(srcversion|GIT-hash):\s*(\S+)/u.exec(line.text);
    if (simple) {
      if (simple[1] === 'srcversion') proc.srcversion = simple[2]!;
      else proc.gitHash = simple[2]!;
      continue;
    }
    const transports = /^Transports\s*(?:\(api:[^)]*\))?:(.*)$/u.exec(line.text);
    if (transports) {
      for (const match of transports[1]!.matchAll(/(\S+)\s+\(([^)]*)\)/gu)) {
        proc.transports.push({ name: match[1]!, version: match[2]! });
      }
      continue;
    }
    const minorLine = /^\s*(\d+):\s+cs:(\S+)(.*)$/u.exec(line.text);
    if (minorLine) {
      minor = parseMinorLine(Number.parseInt(minorLine[1]!, 10), minorLine[2]!, minorLine[3]!, line);
      proc.minors.push(minor);
      continue;
    }
    if (/^\s/u.test(line.text) && minor) {
      parseMinorDetail(minor, content, line);
      continue;
    }
    fail('unrecognised line', line);
  }
  return proc;
}

function parseMinorLine(number: number, cs: string, rest: string, line: TextLine): ProcDrbdMinor {
  const minor: ProcDrbdMinor = {
    minor: number,
    connectionState: cs,
    role: null,
    peerRole: null,
    disk: null,
    peerDisk: null,
    protocol: null,
    ioFlags: null,
    counters: {},
    writeOrdering: null,
    outOfSyncKiB: null,
    sync: null,
    extraLines: [],
  };
  for (const token of rest.trim().split(/\s+/u).filter((t) => t !== '')) {
    const pair = /^(ro|ds):([^/\s]+)\/(\S+)$/u.exec(token);
    if (pair?.[1] === 'ro') [minor.role, minor.peerRole] = [pair[2]!, pair[3]!];
    else if (pair?.[1] === 'ds') [minor.disk, minor.peerDisk] = [pair[2]!, pair[3]!];
    else if (/^[A-C]$/u.test(token)) minor.protocol = token;
    else if (/^[-a-zA-Z]{6}$/u.test(token)) minor.ioFlags = token;
    else fail(`unexpected token ${JSON.stringify(token)}`, line);
  }
  return minor;
}

function parseMinorDetail(minor: ProcDrbdMinor, content: string, line: TextLine): void {
  if (/^ns:/u.test(content)) {
    for (const token of content.split(/\s+/u)) {
      const [key, value] = token.split(':', 2) as [string, string | undefined];
      if (value === undefined) fail(`unexpected token ${JSON.stringify(token)}`, line);
      if (key === 'wo') minor.writeOrdering = value;
      else if (/^\d+$/u.test(value)) minor.counters[key] = Number.parseInt(value, 10);
      else fail(`not a number: ${token}`, line);
    }
    minor.outOfSyncKiB = minor.counters['oos'] ?? null;
    return;
  }
  const progress = /(sync'ed|verified):\s*([\d.]+)%\s*\((\d+)\/(\d+)\)([KM])/u.exec(content);
  if (progress) {
    const unit = progress[5] === 'M' ? 1024 : 1;
    minor.sync = {
      kind: progress[1] as ProcDrbdSync['kind'],
      percent: Number.parseFloat(progress[2]!),
      remainingKiB: Number.parseInt(progress[3]!, 10) * unit,
      totalKiB: Number.parseInt(progress[4]!, 10) * unit,
    };
    return;
  }
  const finish = /^finish:\s*(\S+)\s+speed:\s*([\d,]+)/u.exec(content);
  if (finish && minor.sync) {
    minor.sync.finish = finish[1]!;
    minor.sync.speedKiBps = Number.parseInt(finish[2]!.replaceAll(',', ''), 10);
    return;
  }
  minor.extraLines.push(content);
}

/** Version of the loaded DRBD module from /proc/drbd (DRBD 8.4 or 9). */
export function drbdVersion(procText: string): DrbdVersion {
  const lines = cleanLines(procText);
  for (const line of lines) {
    const match = /^version:\s+(\S+)/u.exec(line.text);
    if (match) return toVersion(match[1]!, line, 'drbd-version');
  }
  const first = lines.find((line) => line.text.trim() !== '');
  if (!first) throw new DrbdParseError('drbd-version', 'empty input');
  throw new DrbdParseError('drbd-version', 'no "version:" line', first.text, first.number);
}

function toVersion(raw: string, line: TextLine, parser: string): DrbdVersion {
  const match = /^(\d+)\.(\d+)\.(\d+)/u.exec(raw);
  if (!match) throw new DrbdParseError(parser, `unrecognised version ${JSON.stringify(raw)}`, line.text, line.number);
  return {
    major: Number.parseInt(match[1]!, 10),
    minor: Number.parseInt(match[2]!, 10),
    patch: Number.parseInt(match[3]!, 10),
    raw,
  };
}

function fail(reason: string, line: TextLine): never {
  throw new DrbdParseError(PARSER, reason, line.text, line.number);
}
