// All fixtures here are constructed: the walkthrough never runs `-m`. Field layouts follow
// drbdmanage_client.py (cmd_list_nodes, _list_resources, cmd_list_assignments) and the flag
// names of drbdmanage/consts.py, with the walkthrough's sizes (40956 MiB pool, 40 GB volume
// = 39062500 KiB): drbdmanage-list-nodes-m.txt, drbdmanage-list-volumes-m.txt,
// drbdmanage-list-assignments-m.txt.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  parseMachineReadable,
  parseMachineReadableAssignments,
  parseMachineReadableNodes,
  parseMachineReadableVolumes,
} from './drbdmanage-machine-readable.js';
import { DrbdParseError } from './errors.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('parseMachineReadable', () => {
  it('splits lines into fields, keeping empty fields', () => {
    expect(parseMachineReadable(fixture('drbdmanage-list-volumes-m.txt'))).toEqual([
      ['r0', '', '0', '39062500', '7000', '100', ''],
    ]);
    expect(parseMachineReadable(fixture('drbdmanage-list-nodes-m.txt'))[2]).toEqual([
      'drbd3',
      '4',
      '10.255.255.103',
      '-1',
      '-1',
      'update|drbdctrl|storage',
      'N/A',
    ]);
  });

  it('returns nothing for empty output (no objects)', () => {
    expect(parseMachineReadable('')).toEqual([]);
  });

  it('rejects tables, error lines and ragged lines', () => {
    expect(() => parseMachineReadable(fixture('drbdmanage-list-nodes-1-ok.txt'))).toThrow(
      /^drbdmanage-machine-readable: expected comma-separated fields at line 1: "\+---/,
    );
    expect(() => parseMachineReadable('Error: Object not found\n')).toThrow(DrbdParseError);
    expect(() => parseMachineReadable('a,b,c\na,b\n')).toThrow(/expected 3 fields, got 2 at line 2: "a,b"/);
  });
});

describe('typed -m views', () => {
  it('reads list-nodes -m', () => {
    const nodes = parseMachineReadableNodes(fixture('drbdmanage-list-nodes-m.txt'));
    expect(nodes[0]).toEqual({
      name: 'drbd1',
      addressFamily: 'ipv4',
      address: '10.255.255.101',
      poolSizeKiB: 41938944,
      poolFreeKiB: 41930752,
      flags: ['drbdctrl', 'storage'],
      site: null,
    });
    expect(nodes[2]).toMatchObject({ name: 'drbd3', poolSizeKiB: null, poolFreeKiB: null, flags: ['update', 'drbdctrl', 'storage'] });
  });

  it('reads list-volumes -m', () => {
    expect(parseMachineReadableVolumes(fixture('drbdmanage-list-volumes-m.txt'))).toEqual([
      { resource: 'r0', resourceFlags: [], volumeId: 0, sizeKiB: 39062500, port: 7000, minor: 100, volumeFlags: [] },
    ]);
  });

  it('reads list-assignments -m', () => {
    const assignments = parseMachineReadableAssignments(fixture('drbdmanage-list-assignments-m.txt'));
    expect(assignments.map((a) => [a.node, a.nodeId, a.currentFlags, a.targetFlags])).toEqual([
      ['drbd1', 0, ['connect', 'deploy'], ['connect', 'deploy']],
      ['drbd2', 1, ['connect', 'deploy'], ['connect', 'deploy']],
      ['drbd3', 2, ['connect'], ['connect', 'deploy']],
    ]);
  });

  it('names the parser and line when the field count is wrong for the command', () => {
    expect(() => parseMachineReadableNodes(fixture('drbdmanage-list-assignments-m.txt'))).toThrow(
      /^drbdmanage-list-nodes-m: expected 7 fields, got 5 at line 1: "drbd1,r0,0,connect\|deploy,connect\|deploy"/,
    );
    expect(() => parseMachineReadableVolumes('r0,,x,39062500,7000,100,\n')).toThrow(/volume id and size must be numbers/);
  });
});

describe('-m edge cases', () => {
  it('an error line is refused as such, commas or not; two fields are enough', () => {
    expect(() => parseMachineReadable('Error: Object not found\n')).toThrow(/^drbdmanage-machine-readable: drbdmanage reported an error at line 1: "Error: Object not found"$/);
    expect(() => parseMachineReadable('\nERROR: no such node: a, b\n')).toThrow(/drbdmanage reported an error at line 2/);
    expect(parseMachineReadable('a,b\n')).toEqual([['a', 'b']]);
    expect(parseMachineReadable('not an error:,x\n')).toEqual([['not an error:', 'x']]);
    // Indented (as quoted): the fields are the same.
    expect(parseMachineReadable('  drbd1,r0,0,,deploy\n')).toEqual([['drbd1', 'r0', '0', '', 'deploy']]);
  });

  it('nodes: a family given by name stays, a zero pool is 0, a named site is kept', () => {
    expect(parseMachineReadableNodes('a,ipv6,fd00::1,0,0,,site1\nb,6x,10.0.0.2,-1,x,N/A,\n')).toEqual([
      { name: 'a', addressFamily: 'ipv6', address: 'fd00::1', poolSizeKiB: 0, poolFreeKiB: 0, flags: [], site: 'site1' },
      { name: 'b', addressFamily: '6x', address: '10.0.0.2', poolSizeKiB: null, poolFreeKiB: null, flags: [], site: null },
    ]);
  });

  it('volumes: a size that is no number is refused, at its line; flags split; port and minor may be missing', () => {
    expect(() => parseMachineReadableVolumes('r0,,0,39062500,7000,100\n')).toThrow(/^drbdmanage-list-volumes-m: expected 7 fields, got 6 at line 1/);
    expect(() => parseMachineReadableVolumes('r0,,0,39062500,7000,100,\n\nr1,,1,big,7001,101,\n')).toThrow(
      /^drbdmanage-list-volumes-m: volume id and size must be numbers at line 3: "r1,,1,big,7001,101,"$/,
    );
    expect(parseMachineReadableVolumes('r0,remove|deploy,1,4096,N/A,N/A,N/A\n')).toEqual([
      { resource: 'r0', resourceFlags: ['remove', 'deploy'], volumeId: 1, sizeKiB: 4096, port: null, minor: null, volumeFlags: [] },
    ]);
  });

  it('assignments: a node id N/A is null; a short row names its line', () => {
    expect(parseMachineReadableAssignments('drbd1,r0,N/A,,deploy\n')).toEqual([
      { node: 'drbd1', resource: 'r0', nodeId: null, currentFlags: [], targetFlags: ['deploy'] },
    ]);
    expect(() => parseMachineReadableAssignments('\na,b\n')).toThrow(/^drbdmanage-list-assignments-m: expected 5 fields, got 2 at line 2: "a,b"$/);
  });
});
