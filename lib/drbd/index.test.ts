import { describe, expect, it } from 'vitest';
import * as drbd from './index.js';

describe('lib/drbd public API', () => {
  it('exports every parser and predicate', () => {
    for (const name of [
      'DrbdParseError',
      'isDrbdParseError',
      'parseDrbdmanageTable',
      'parseListNodes',
      'parseListVolumes',
      'parseListAssignments',
      'parseMachineReadable',
      'parseMachineReadableNodes',
      'parseDrbdmanageResult',
      'parseJoinCommand',
      'redactSecret',
      'parseDrbdsetupStatus',
      'parseProcDrbd',
      'drbdVersion',
      'parseEvents2',
      'parseEvents2Line',
      'events2ToStatus',
      'isUpToDateEverywhere',
      'syncProgress',
      'describe',
      'describeAll',
    ]) {
      expect(typeof (drbd as Record<string, unknown>)[name], name).toBe('function');
    }
  });
});
