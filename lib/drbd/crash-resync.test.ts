// Fixtures: kernel-log-84-power-loss-*.real.txt and drbdadm-up-84-after-power-loss.real.stderr.txt
// are real (power-loss recording, r0 with 8.4's default activity log: a full resync). The
// expected outcome with a small activity log is constructed (numbers below), not measured.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { crashResyncBounds, crashResyncProblems, type CrashResyncFacts } from './crash-resync.js';
import { alMarkedKiB, parseResyncLog, resyncVerdict, type ResyncVerdict } from './resync-log.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

/** The real power cut, read as power-loss step 7 reads it. */
function realFacts(alExtents: number): CrashResyncFacts {
  const target = parseResyncLog(fixture('kernel-log-84-power-loss-target.real.txt'), 100);
  const source = parseResyncLog(fixture('kernel-log-84-power-loss-source.real.txt'), 100);
  return {
    alExtents,
    alMarkedKiB: alMarkedKiB(fixture('drbdadm-up-84-after-power-loss.real.stderr.txt'))!,
    targetAttachBits: target.attachBits.at(-1)!,
    sourceOwnBits: source.handshakes.at(-1)!.selfBits!,
    verdict: resyncVerdict([{ node: 'drbd1', log: target }, { node: 'drbd2', log: source }]),
  };
}

const verdict = (kind: ResyncVerdict['kind'], kib: number): ResyncVerdict => ({ kind, kib, bits: kib / 4, deviceKiB: 1048508, handshakes: 2, summary: [] });
/** A 67-extent activity log full at the cut, the survivor's writes partly in the same extents (constructed). */
const small: CrashResyncFacts = { alExtents: 67, alMarkedKiB: 268 * 1024, targetAttachBits: 67 * 1024, sourceOwnBits: 2574, verdict: verdict('bitmap', 280_000) };

describe('crashResyncBounds', () => {
  it('al-extents × 4 MiB for the activity log; the union of both bitmaps for the resync', () => {
    expect(crashResyncBounds(small)).toEqual({ alMaxKiB: 274_432, minKiB: 274_432, maxKiB: 274_432 + 10_296 });
  });
});

describe('crashResyncProblems', () => {
  it('the real run with the default activity log: the AL marked the whole 1 GiB and the resync was full', () => {
    const f = realFacts(67);
    expect(f).toMatchObject({ alMarkedKiB: 1_048_576, targetAttachBits: 262_127, sourceOwnBits: 2574, verdict: { kind: 'full', kib: 1_048_508 } });
    const problems = crashResyncProblems(f);
    expect(problems).toContain('the activity log marked 1048576 KB out of sync, more than al-extents 67 × 4 MiB = 274432 KB');
    expect(problems).toContain('the crashed node attached with 262127 bits (1048508 KB) out of sync, more than its activity log covers (274432 KB)');
    expect(problems).toContain('a full resync of 1048508 KB (the whole device), not one of the bitmaps');
    // Judged against the default size it would be within every bound but "full": the bound alone could not tell.
    expect(crashResyncProblems(realFacts(1237))).toEqual(['a full resync of 1048508 KB (the whole device), not one of the bitmaps']);
  });

  it('a bitmap resync within the union of both bitmaps passes', () => {
    expect(crashResyncProblems(small)).toEqual([]);
    expect(crashResyncProblems({ ...small, verdict: verdict('bitmap', 274_432) })).toEqual([]);
    expect(crashResyncProblems({ ...small, verdict: verdict('bitmap', 274_432 + 10_296) })).toEqual([]);
  });

  it('more than both bitmaps, less than the larger one, or none at all: each said', () => {
    expect(crashResyncProblems({ ...small, verdict: verdict('bitmap', 274_432 + 10_300) })).toEqual([
      'resync of 284732 KB, more than the crashed node\'s 68608 bits and the survivor\'s 2574 bits together (284728 KB)',
    ]);
    expect(crashResyncProblems({ ...small, verdict: verdict('bitmap', 274_428) })).toEqual(['resync of 274428 KB, less than the 274432 KB one of the bitmaps alone held']);
    expect(crashResyncProblems({ ...small, verdict: verdict('none', 0) })).toEqual([
      'no resync after the crash, though the activity log marked 274432 KB',
      'resync of 0 KB, less than the 274432 KB one of the bitmaps alone held',
    ]);
  });

  it('an activity log larger than configured is said even when the resync matches it', () => {
    const big = { ...small, alMarkedKiB: 272 * 1024, targetAttachBits: 68 * 1024, verdict: verdict('bitmap', 68 * 4096) };
    expect(crashResyncProblems(big)).toEqual([
      'the activity log marked 278528 KB out of sync, more than al-extents 67 × 4 MiB = 274432 KB',
      'the crashed node attached with 69632 bits (278528 KB) out of sync, more than its activity log covers (274432 KB)',
    ]);
  });
});
