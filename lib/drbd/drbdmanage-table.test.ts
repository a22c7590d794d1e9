// Fixtures captured from the walkthrough (blog-original-ja.txt, verbatim; the blog collapsed
// drbdmanage's column padding to single spaces): drbdmanage-list-nodes-{1-ok,2-pending,
// 2-ok-mail-typo,3-offline-pending,3-ok}.txt, drbdmanage-list-volumes-port-{no-volumes,ok}.txt,
// drbdmanage-list-assignments-3-ok.txt.
// Constructed (rendered by a line-for-line port of drbdmanage.utils.Table.show() with the
// column definitions of drbdmanage_client.py): drbdmanage-list-nodes-3-offline-pending-color-80col.txt
// (colours on, non-TTY width 80), drbdmanage-list-volumes-port-pastable.txt (`-p`: no colour,
// width 78, as linstor-client's Table which inherited it), drbdmanage-list-assignments-show-bdev-nodeid-utf8.txt
// (utf8 frames, --show Blockdevice Node_ID, a volume row for a not-yet-ok volume).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  parseDrbdmanageState,
  parseDrbdmanageTable,
  parseListAssignments,
  parseListNodes,
  parseListVolumes,
  parseSizeMiB,
} from './drbdmanage-table.js';
import { DrbdParseError } from './errors.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('parseDrbdmanageTable', () => {
  it('reads the walkthrough list-nodes table and drops the right-justify spacer column', () => {
    const table = parseDrbdmanageTable(fixture('drbdmanage-list-nodes-1-ok.txt'));
    expect(table.headers).toEqual(['Name', 'Pool Size', 'Pool Free', 'State']);
    expect(table.rows).toEqual([{ Name: 'drbd1', 'Pool Size': '40956', 'Pool Free': '40948', State: 'ok' }]);
  });

  it('strips ANSI colour codes, including in the header', () => {
    const table = parseDrbdmanageTable(fixture('drbdmanage-list-nodes-3-offline-pending-color-80col.txt'));
    expect(table.headers).toEqual(['Name', 'Pool Size', 'Pool Free', 'State']);
    expect(table.rows.map((row) => row['State'])).toEqual([
      'ok',
      'ok',
      'offline/quorum vote ignored, pending actions: adjust connections',
    ]);
  });

  it('reads utf8 frames (╭─╮ ┊ ╞┄╡ ╰─╯)', () => {
    const table = parseDrbdmanageTable(fixture('drbdmanage-list-assignments-show-bdev-nodeid-utf8.txt'));
    expect(table.headers).toEqual(['Node', 'Resource', 'Vol ID', 'Blockdevice', 'Node ID', 'State']);
    expect(table.rows).toHaveLength(4);
    expect(table.rows[3]).toEqual({
      Node: 'drbd3',
      Resource: 'r0',
      'Vol ID': '0',
      Blockdevice: '/dev/drbdpool/r0_00',
      'Node ID': '2',
      State: 'pending actions: commission, attach',
    });
  });

  it('reads the padded pastable form like the collapsed one', () => {
    const pastable = parseDrbdmanageTable(fixture('drbdmanage-list-volumes-port-pastable.txt'));
    const blog = parseDrbdmanageTable(fixture('drbdmanage-list-volumes-port-ok.txt'));
    expect(pastable).toEqual(blog);
  });

  it('accepts --separators group lines between rows', () => {
    const text = [
      '+--------------------------+',
      '| Name  | Pool Size | State |',
      '|--------------------------|',
      '| drbd1 |     40956 |    ok |',
      '|--------------------------|',
      '| drbd2 |     40956 |    ok |',
      '+--------------------------+',
    ].join('\n');
    expect(parseDrbdmanageTable(text).rows.map((row) => row['Name'])).toEqual(['drbd1', 'drbd2']);
  });

  it('returns an empty table for "No nodes defined"', () => {
    expect(parseDrbdmanageTable('No nodes defined\n')).toEqual({ headers: [], rows: [] });
    expect(parseListNodes('No nodes defined\n')).toEqual([]);
  });

  it('rejects garbage with a DrbdParseError naming the parser and the line', () => {
    const attempt = () => parseDrbdmanageTable('Traceback (most recent call last):\n  File "x"\n');
    expect(attempt).toThrow(DrbdParseError);
    expect(attempt).toThrow(/^drbdmanage-table: expected the top border of a table at line 1: "Traceback/);
    try {
      attempt();
    } catch (error) {
      expect(error).toMatchObject({ parser: 'drbdmanage-table', line: 'Traceback (most recent call last):', lineNumber: 1 });
    }
  });

  it('rejects empty input, unclosed tables, ragged rows and trailing text', () => {
    const top = '+------------------+';
    expect(() => parseDrbdmanageTable('')).toThrow(/drbdmanage-table: empty input/);
    expect(() => parseDrbdmanageTable([top, '| Name | State |', '|------------------|', '| a | ok |'].join('\n'))).toThrow(
      /table is not closed at line 4/,
    );
    expect(() =>
      parseDrbdmanageTable([top, '| Name | State |', '|------------------|', '| a | b | ok |', top].join('\n')),
    ).toThrow(/row has 3 cells, header has 2 at line 4: "\| a \| b \| ok \|"/);
    expect(() =>
      parseDrbdmanageTable([top, '| Name | State |', '|------------------|', '| a | ok |', top, 'oops'].join('\n')),
    ).toThrow(/unexpected text after the table at line 6: "oops"/);
    expect(() =>
      parseDrbdmanageTable([top, '| Name | | State |', '|------------------|', '| a | x | ok |', top].join('\n')),
    ).toThrow(/text in the spacer column at line 4/);
  });
});

describe('parseListNodes', () => {
  it('reads the single initialised node (step 12)', () => {
    expect(parseListNodes(fixture('drbdmanage-list-nodes-1-ok.txt'))).toEqual([
      {
        name: 'drbd1',
        poolSizeMiB: 40956,
        poolFreeMiB: 40948,
        state: 'ok',
        ok: true,
        stateFlags: [],
        pendingActions: [],
        columns: { Name: 'drbd1', 'Pool Size': '40956', 'Pool Free': '40948', State: 'ok' },
      },
    ]);
  });

  it('maps unknown pool sizes to null and splits pending actions (step 15)', () => {
    const [drbd1, drbd2] = parseListNodes(fixture('drbdmanage-list-nodes-2-pending.txt'));
    expect(drbd1).toMatchObject({ name: 'drbd1', poolSizeMiB: 40956, ok: false, stateFlags: ['online/quorum vote ignored'] });
    expect(drbd2).toMatchObject({
      name: 'drbd2',
      poolSizeMiB: null,
      poolFreeMiB: null,
      state: 'pending actions: adjust connections',
      ok: false,
      stateFlags: [],
      pendingActions: ['adjust connections'],
    });
  });

  it('keeps the blog quirk as printed (mail1/mail2, ok with unknown pool)', () => {
    const nodes = parseListNodes(fixture('drbdmanage-list-nodes-2-ok-mail-typo.txt'));
    expect(nodes.map((n) => [n.name, n.poolFreeMiB, n.ok])).toEqual([
      ['mail1', 40948, true],
      ['mail2', null, true],
    ]);
  });

  it('reads the offline node with pending actions, plain and coloured alike (step 16)', () => {
    const plain = parseListNodes(fixture('drbdmanage-list-nodes-3-offline-pending.txt'));
    const coloured = parseListNodes(fixture('drbdmanage-list-nodes-3-offline-pending-color-80col.txt'));
    expect(coloured).toEqual(plain);
    expect(plain[2]).toMatchObject({
      name: 'drbd3',
      poolSizeMiB: null,
      ok: false,
      stateFlags: ['offline/quorum vote ignored'],
      pendingActions: ['adjust connections'],
    });
  });

  it('reads all three nodes ok (step 16, final)', () => {
    const nodes = parseListNodes(fixture('drbdmanage-list-nodes-3-ok.txt'));
    expect(nodes.map((n) => [n.name, n.poolSizeMiB, n.poolFreeMiB, n.state])).toEqual([
      ['drbd1', 40956, 40948, 'ok'],
      ['drbd2', 40956, 40948, 'ok'],
      ['drbd3', 40956, 40948, 'ok'],
    ]);
    expect(nodes.every((n) => n.ok)).toBe(true);
  });

  it('names the missing column when given another table', () => {
    expect(() => parseListNodes(fixture('drbdmanage-list-volumes-port-ok.txt'))).toThrow(
      /^drbdmanage-list-nodes: missing column\(s\) "Pool Size", "Pool Free" at line: "Name \| Vol ID/,
    );
  });
});

describe('parseListVolumes', () => {
  it('reads a resource without volumes as nulls (step 18)', () => {
    expect(parseListVolumes(fixture('drbdmanage-list-volumes-port-no-volumes.txt'))).toEqual([
      {
        resource: 'r0',
        volumeId: null,
        size: null,
        sizeMiB: null,
        minor: null,
        port: 7000,
        state: '*',
        ok: false,
        stateFlags: [],
        pendingActions: [],
        columns: { Name: 'r0', 'Vol ID': '*', Size: '*', Minor: '*', Port: '7000', State: '*' },
      },
    ]);
  });

  it('reads r0 vol 0, 37.25 GiB, minor 100, port 7000 (step 19)', () => {
    const [volume] = parseListVolumes(fixture('drbdmanage-list-volumes-port-ok.txt'));
    expect(volume).toMatchObject({
      resource: 'r0',
      volumeId: 0,
      size: '37.25 GiB',
      sizeMiB: 38144,
      minor: 100,
      port: 7000,
      state: 'ok',
      ok: true,
    });
  });

  it('gives port null without --show Port', () => {
    const text = fixture('drbdmanage-list-volumes-port-ok.txt').replace('| Port ', '').replace('| 7000 ', '');
    expect(parseListVolumes(text)[0]).toMatchObject({ volumeId: 0, port: null });
  });
});

describe('parseListAssignments', () => {
  it('reads the three assignments of r0 (step 20)', () => {
    const assignments = parseListAssignments(fixture('drbdmanage-list-assignments-3-ok.txt'));
    expect(assignments.map((a) => [a.node, a.resource, a.volumeId, a.blockdevice, a.nodeId, a.state])).toEqual([
      ['drbd1', 'r0', null, null, null, 'ok'],
      ['drbd2', 'r0', null, null, null, 'ok'],
      ['drbd3', 'r0', null, null, null, 'ok'],
    ]);
  });

  it('reads --show Blockdevice Node_ID and per-volume rows', () => {
    const assignments = parseListAssignments(fixture('drbdmanage-list-assignments-show-bdev-nodeid-utf8.txt'));
    expect(assignments[2]).toMatchObject({ node: 'drbd3', volumeId: null, blockdevice: null, pendingActions: ['commission'] });
    expect(assignments[3]).toMatchObject({
      node: 'drbd3',
      resource: 'r0',
      volumeId: 0,
      blockdevice: '/dev/drbdpool/r0_00',
      nodeId: 2,
      ok: false,
      pendingActions: ['commission', 'attach'],
    });
  });
});

describe('parseDrbdmanageState', () => {
  it('splits state texts from pending actions', () => {
    expect(parseDrbdmanageState('satellite node, no storage, pending actions: remove, check space')).toEqual({
      state: 'satellite node, no storage, pending actions: remove, check space',
      ok: false,
      stateFlags: ['satellite node', 'no storage'],
      pendingActions: ['remove', 'check space'],
    });
  });
});

describe('parseSizeMiB', () => {
  it('converts the units drbdmanage prints', () => {
    expect(parseSizeMiB('37.25 GiB')).toBe(38144);
    expect(parseSizeMiB('512 MiB')).toBe(512);
    expect(parseSizeMiB('2048 KiB')).toBe(2);
    expect(parseSizeMiB('1 TiB')).toBe(1048576);
    expect(parseSizeMiB('40956')).toBe(40956);
    expect(parseSizeMiB('< 1')).toBe(0);
    expect(parseSizeMiB('*')).toBeNull();
    expect(parseSizeMiB('unknown')).toBeNull();
  });
});
