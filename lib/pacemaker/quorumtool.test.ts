import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PacemakerParseError } from './parse-error.js';
import { parseQuorumtool } from './quorumtool.js';

// Captured on lab 449598 (debian12-drbd84, corosync 3.1.7): drbd1 alone right after its start, then all three.
const fixture = (f: string) => readFileSync(new URL(`./fixtures/${f}`, import.meta.url), 'utf8');

describe('parseQuorumtool (corosync-quorumtool -s)', () => {
  it('three members, quorate', () => {
    expect(parseQuorumtool(fixture('quorumtool-quorate.txt'))).toEqual({ quorate: true, totalVotes: 3, expectedVotes: 3, members: ['drbd1', 'drbd2', 'drbd3'] });
  });

  it('a node alone: not quorate, one vote of three', () => {
    expect(parseQuorumtool(fixture('quorumtool-alone.txt'))).toEqual({ quorate: false, totalVotes: 1, expectedVotes: 3, members: ['drbd1'] });
  });

  it('output it does not know is a PacemakerParseError', () => {
    expect(() => parseQuorumtool('Cannot initialize QUORUM service')).toThrow(PacemakerParseError);
    expect(() => parseQuorumtool(fixture('quorumtool-quorate.txt').replace('Quorate:          Yes', 'Quorate:          Maybe'))).toThrow(/Quorate: "Maybe"/);
  });
});
