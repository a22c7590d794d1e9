// Fixtures captured: proc-drbd-84-connected-inconsistent.txt and proc-drbd-84-syncsource.txt
// (lab-notes.md, DRBD 8.4.11 in Debian 12's kernel; the notes quote the minor lines only, and the
// sync excerpt without its ns: line).
// Constructed from DRBD's drbd_proc.c formats: proc-drbd-84-full.txt (version/srcversion
// header, a resyncing, a StandAlone and an unconfigured minor, thousands-grouped speeds),
// proc-drbd-9.txt (DRBD 9.0.16: version, GIT-hash, Transports only).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DrbdParseError } from './errors.js';
import { drbdVersion, parseProcDrbd } from './proc-drbd.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('parseProcDrbd, DRBD 8.4', () => {
  it('reads a connected minor with both sides Inconsistent', () => {
    const proc = parseProcDrbd(fixture('proc-drbd-84-connected-inconsistent.txt'));
    expect(proc.version).toBeNull();
    expect(proc.minors).toEqual([
      {
        minor: 0,
        connectionState: 'Connected',
        role: 'Secondary',
        peerRole: 'Secondary',
        disk: 'Inconsistent',
        peerDisk: 'Inconsistent',
        protocol: 'C',
        ioFlags: 'r-----',
        counters: { ns: 0, nr: 0, dw: 0, dr: 0, al: 8, bm: 0, lo: 0, pe: 0, ua: 0, ap: 0, ep: 1, oos: 1048508 },
        writeOrdering: 'f',
        outOfSyncKiB: 1048508,
        sync: null,
        extraLines: [],
      },
    ]);
  });

  it("reads the sync'ed line and the finish line", () => {
    const [minor] = parseProcDrbd(fixture('proc-drbd-84-syncsource.txt')).minors;
    expect(minor).toMatchObject({ connectionState: 'SyncSource', role: 'Primary', peerRole: 'Secondary', disk: 'UpToDate', peerDisk: 'Inconsistent' });
    expect(minor!.sync).toEqual({
      kind: "sync'ed",
      percent: 0.4,
      remainingKiB: 1046596,
      totalKiB: 1048508,
      finish: '0:17:26',
      speedKiBps: 956,
    });
  });

  it('reads the header and several minors', () => {
    const proc = parseProcDrbd(fixture('proc-drbd-84-full.txt'));
    expect(proc).toMatchObject({
      version: { major: 8, minor: 4, patch: 11, raw: '8.4.11' },
      api: '1',
      proto: '86-101',
      srcversion: '211FB288A383ED945B83420',
      gitHash: null,
      transports: [],
    });
    expect(proc.minors.map((m) => [m.minor, m.connectionState, m.disk, m.peerDisk, m.protocol, m.outOfSyncKiB])).toEqual([
      [0, 'SyncSource', 'UpToDate', 'Inconsistent', 'C', 1040572],
      [1, 'StandAlone', 'UpToDate', 'DUnknown', null, 0],
      [3, 'Unconfigured', null, null, null, null],
    ]);
    expect(proc.minors[0]!.sync).toMatchObject({ percent: 0.9, remainingKiB: 1040572, speedKiBps: 1056 });
  });

  it('reads megabyte progress and online verify', () => {
    const text = " 0: cs:VerifyS ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n\t[===>................] verified: 21.3% (805/1023)M\n";
    expect(parseProcDrbd(text).minors[0]!.sync).toEqual({ kind: 'verified', percent: 21.3, remainingKiB: 805 * 1024, totalKiB: 1023 * 1024 });
  });

  it('keeps indented lines it does not know', () => {
    const text = ` 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n\tact_log: used:0/1237 hits:0 misses:0 starving:0 locked:0 changed:0\n`;
    expect(parseProcDrbd(text).minors[0]!.extraLines).toEqual(['act_log: used:0/1237 hits:0 misses:0 starving:0 locked:0 changed:0']);
  });
});

describe('parseProcDrbd, DRBD 9', () => {
  it('reads version, GIT-hash and transports, no minors', () => {
    expect(parseProcDrbd(fixture('proc-drbd-9.txt'))).toEqual({
      version: { major: 9, minor: 0, patch: 16, raw: '9.0.16-1' },
      api: '2',
      proto: '86-114',
      srcversion: null,
      gitHash: 'ab9777dfeaf9d619acc9a5201bfcae8103e9529c',
      transports: [{ name: 'tcp', version: '9.0.16-1' }],
      minors: [],
    });
  });
});

describe('parseProcDrbd errors', () => {
  it('names the parser and the offending line', () => {
    expect(() => parseProcDrbd('version: 8.4.11 (api:1/proto:86-101)\ncat: /proc/drbd: No such file or directory\n')).toThrow(
      /^proc-drbd: unrecognised line at line 2: "cat: \/proc\/drbd: No such file or directory"$/,
    );
    expect(() => parseProcDrbd(' 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r----- bogus\n')).toThrow(
      /unexpected token "bogus" at line 1/,
    );
    expect(() => parseProcDrbd('    ns:0 nr:0\n')).toThrow(DrbdParseError);
    expect(() => parseProcDrbd(' 0: cs:Connected\n    ns:0 nr:x\n')).toThrow(/not a number: nr:x at line 2/);
  });
});

describe('drbdVersion', () => {
  it('reads 8.4 and 9 version lines', () => {
    expect(drbdVersion(fixture('proc-drbd-84-full.txt'))).toEqual({ major: 8, minor: 4, patch: 11, raw: '8.4.11' });
    expect(drbdVersion(fixture('proc-drbd-9.txt'))).toEqual({ major: 9, minor: 0, patch: 16, raw: '9.0.16-1' });
    expect(drbdVersion('version: 9.2.0-rc.7 (api:2/proto:86-122)\n')).toEqual({ major: 9, minor: 2, patch: 0, raw: '9.2.0-rc.7' });
  });

  it('throws a DrbdParseError naming the first line when there is no version', () => {
    expect(() => drbdVersion(fixture('proc-drbd-84-syncsource.txt'))).toThrow(
      /^drbd-version: no "version:" line at line 1: " 0: cs:SyncSource/,
    );
    expect(() => drbdVersion('')).toThrow(/^drbd-version: empty input$/);
    expect(() => drbdVersion('version: unknown\n')).toThrow(/unrecognised version "unknown" at line 1/);
  });
});

describe('parseProcDrbd: blanks and strictness', () => {
  it('reads fields separated by runs of blanks, or none where the format allows it', () => {
    const text = [
      'version:  8.4.11  (api:12/proto:86-101)',
      'srcversion:211FB288A383ED945B83420',
      'GIT-hash:  ab9777dfeaf9d619acc9a5201bfcae8103e9529c',
      'Transports: tcp  (9.0.16-1)',
      ' 0:  cs:SyncSource ro:Primary/Secondary ds:UpToDate/Inconsistent C r-----',
      '    ns:7936  nr:0 wo:f oos:1040572',
      "\t[>....................] sync'ed:  0.9%(1040572/1048508)K",
      '\tfinish:0:16:24  speed:1,056 (1,016) K/sec',
    ].join('\n');
    const proc = parseProcDrbd(text);
    expect(proc).toMatchObject({ version: { raw: '8.4.11' }, api: '12', proto: '86-101', srcversion: '211FB288A383ED945B83420', gitHash: 'ab9777dfeaf9d619acc9a5201bfcae8103e9529c' });
    expect(proc.transports).toEqual([{ name: 'tcp', version: '9.0.16-1' }]);
    expect(proc.minors[0]).toMatchObject({ minor: 0, connectionState: 'SyncSource', counters: { ns: 7936, nr: 0, oos: 1040572 }, writeOrdering: 'f' });
    expect(proc.minors[0]!.sync).toEqual({ kind: "sync'ed", percent: 0.9, remainingKiB: 1040572, totalKiB: 1048508, finish: '0:16:24', speedKiBps: 1056 });
  });

  it('a version line without the api/proto part still gives the version', () => {
    expect(parseProcDrbd('version: 8.4.11\n')).toMatchObject({ version: { major: 8, minor: 4, patch: 11 }, api: null, proto: null });
  });

  it('header words, minor lines and tokens count only where /proc/drbd prints them', () => {
    const reason = (text: string) => {
      try {
        parseProcDrbd(text);
      } catch (err) {
        if (err instanceof DrbdParseError) return err.reason;
        throw err;
      }
      return 'parsed';
    };
    expect(reason('x srcversion: 211FB288A383ED945B83420\n')).toBe('unrecognised line');
    expect(reason('x Transports: tcp (9.0.16-1)\n')).toBe('unrecognised line');
    expect(reason('x 0: cs:Connected\n')).toBe('unrecognised line');
    // a detail line is indented; an unindented one after a minor is not one
    expect(reason(' 0: cs:Connected\nns:0 nr:0\n')).toBe('unrecognised line');
    expect(reason(' 0: cs:Connected xro:Primary/Secondary\n')).toBe('unexpected token "xro:Primary/Secondary"');
    expect(reason(' 0: cs:Connected DC\n')).toBe('unexpected token "DC"');
    expect(reason(' 0: cs:Connected Cx\n')).toBe('unexpected token "Cx"');
    expect(reason(' 0: cs:Connected r------\n')).toBe('unexpected token "r------"');
    expect(reason(' 0: cs:Connected\n    ns:0 nr\n')).toBe('unexpected token "nr"');
    expect(reason(' 0: cs:Connected\n    ns:0 nr:1x\n')).toBe('not a number: nr:1x');
    expect(reason(' 0: cs:Connected\n    ns:0 nr:x1\n')).toBe('not a number: nr:x1');
  });

  it('keeps indented lines that only contain ns: or finish: words, and a finish line without progress', () => {
    const text = ' 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n\tresync: transitions:3\n\tearly finish: 0:01:00 speed: 5\n\tfinish: 0:01:00 speed: 5\n';
    const [minor] = parseProcDrbd(text).minors;
    expect(minor!.extraLines).toEqual(['resync: transitions:3', 'early finish: 0:01:00 speed: 5', 'finish: 0:01:00 speed: 5']);
    expect(minor!.sync).toBeNull();
    expect(minor!.counters).toEqual({});
    // during a resync too: only a line that starts with finish: is the estimate
    const syncing = " 0: cs:SyncSource ro:Primary/Secondary ds:UpToDate/Inconsistent C r-----\n\t[>....................] sync'ed:  0.4% (1046596/1048508)K\n\tearly finish: 0:01:00 speed: 5\n";
    const [source] = parseProcDrbd(syncing).minors;
    expect(source!.sync).toEqual({ kind: "sync'ed", percent: 0.4, remainingKiB: 1046596, totalKiB: 1048508 });
    expect(source!.extraLines).toEqual(['early finish: 0:01:00 speed: 5']);
  });
});

describe('drbdVersion: strictness', () => {
  it('reads the version at the start of the line only, with any blanks after "version:", every part in full', () => {
    expect(drbdVersion('version:  10.12.3\n')).toEqual({ major: 10, minor: 12, patch: 3, raw: '10.12.3' });
    expect(() => drbdVersion('x version: 8.4.11\n')).toThrow(/no "version:" line/);
    expect(() => drbdVersion('version: v8.4.11\n')).toThrow(/unrecognised version "v8.4.11"/);
    try {
      drbdVersion('version: unknown\n');
    } catch (err) {
      expect(err).toMatchObject({ parser: 'drbd-version' });
    }
    expect.assertions(4);
  });
});
