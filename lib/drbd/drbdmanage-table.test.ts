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

  it('reads an indented copy of a table (as quoted) like the table', () => {
    const text = fixture('drbdmanage-list-nodes-1-ok.txt');
    const indented = text.split('\n').map((l) => (l === '' ? l : `    ${l}`)).join('\n');
    expect(parseDrbdmanageTable(indented)).toEqual(parseDrbdmanageTable(text));
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

  it('rejects a header without names or with a name twice, a missing header separator, and rows not framed by one pipe', () => {
    const top = '+------------------+';
    const table = (header: string, ...body: string[]) => [top, header, '|------------------|', ...body, top].join('\n');
    expect(() => parseDrbdmanageTable(table('|  |  |', '| a | ok |'))).toThrow(/header row has no column names at line 2/);
    expect(() => parseDrbdmanageTable(table('| Name | Name |', '| a | b |'))).toThrow(/duplicate column names at line 2/);
    expect(() => parseDrbdmanageTable([top, '| Name | State |', '| a | ok |', top].join('\n'))).toThrow(
      /expected the separator below the header at line 3: "\| a \| ok \|"/,
    );
    expect(() => parseDrbdmanageTable([top, '| Name | State |', top].join('\n'))).toThrow(/expected the separator below the header at line 3/);
    expect(() => parseDrbdmanageTable(table('| Name | State |', '| a | ok'))).toThrow(/expected a table row at line 4: "\| a \| ok"/);
    expect(() => parseDrbdmanageTable(table('| Name | State |', 'x a x ok x'))).toThrow(/expected a table row at line 4/);
    expect(() => parseDrbdmanageTable(table('|'))).toThrow(/expected a table row at line 2: "\|"/);
    expect(() => parseDrbdmanageTable(table('||'))).toThrow(/header row has no column names at line 2/);
  });

  it('takes a frame line only as the whole line', () => {
    const top = '+------------------+';
    const sep = '|------------------|';
    const table = (lines: string[]) => parseDrbdmanageTable(lines.join('\n'));
    const ok = [top, '| Name | State |', sep, '| a | ok |', top];
    expect(table(ok).rows).toEqual([{ Name: 'a', State: 'ok' }]);
    for (const bad of [`x${top}`, `${top}x`]) {
      expect(() => table([bad, ...ok.slice(1)]), bad).toThrow(/expected the top border of a table at line 1/);
      expect(() => table([...ok.slice(0, 4), bad]), bad).toThrow(/expected a table row at line 5/);
    }
    for (const bad of [`x${sep}`, `${sep}x`]) {
      expect(() => table([top, '| Name | State |', bad, '| a | ok |', top]), bad).toThrow(/expected the separator below the header at line 3/);
      expect(() => table([...ok.slice(0, 4), bad, top]), bad).toThrow(/expected a table row at line 5/);
    }
  });

  it('reads "no such objects" only as the whole output', () => {
    for (const empty of ['No nodes defined', 'No resources defined', 'No assignments defined', 'Snapshot list is empty', 'Snapshot assignment list is empty']) {
      expect(parseDrbdmanageTable(`\n  ${empty}  \n`), empty).toEqual({ headers: [], rows: [] });
    }
    expect(() => parseDrbdmanageTable('No nodes defined\n+------------------+\n')).toThrow(/expected the top border of a table at line 1/);
    expect(() => parseDrbdmanageTable('+------------------+\n')).toThrow(/table is not closed at line 1/);
    for (const other of ['No nodes defined yet', 'Error: No nodes defined', 'No volumes defined', 'Snapshot  list is empty']) {
      expect(() => parseDrbdmanageTable(other), other).toThrow(/expected the top border of a table at line 1/);
    }
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

  it('drops the ok and the * placeholder from the flags, and empty items; only a plain ok is ok', () => {
    expect(parseDrbdmanageState('*')).toEqual({ state: '*', ok: false, stateFlags: [], pendingActions: [] });
    expect(parseDrbdmanageState('ok, pending actions: adjust connections,')).toEqual({
      state: 'ok, pending actions: adjust connections,',
      ok: false,
      stateFlags: [],
      pendingActions: ['adjust connections'],
    });
    expect(parseDrbdmanageState('online, , quorum vote ignored')).toMatchObject({ stateFlags: ['online', 'quorum vote ignored'], pendingActions: [] });
  });
});

describe('typed views: the cells drbdmanage prints for nothing', () => {
  const top = '+------------------------------------------------------+';
  const table = (header: string, ...rows: string[]) => [top, header, '|------------------------------------------------------|', ...rows, top].join('\n');

  it('a pool under 1 MiB reads as 0, an empty one as 0, a negative or unknown one as null', () => {
    const nodes = parseListNodes(
      table('| Name  | Pool Size | Pool Free | | State |', '| drbd1 |       < 1 |         0 | |    ok |', '| drbd2 |        -1 |   unknown | |    ok |'),
    );
    expect(nodes.map((n) => [n.name, n.poolSizeMiB, n.poolFreeMiB])).toEqual([
      ['drbd1', 0, 0],
      ['drbd2', null, null],
    ]);
  });

  it('an assignment without a block device: N/A and * are null', () => {
    const assignments = parseListAssignments(
      table('| Node  | Resource | Vol ID | Blockdevice | State |', '| drbd1 | r0 | 0 | N/A | ok |', '| drbd2 | r0 | * | * | ok |', '| drbd3 | r0 | 0 | /dev/drbd100 | ok |'),
    );
    expect(assignments.map((a) => a.blockdevice)).toEqual([null, null, '/dev/drbd100']);
  });

  it('a listing whose table lacks a column names each missing one and the headers it has', () => {
    expect(() => parseListAssignments(table('| Node | Vol ID | State |', '| drbd1 | 0 | ok |'))).toThrow(
      /^drbdmanage-list-assignments: missing column\(s\) "Resource" at line: "Node \| Vol ID \| State"$/,
    );
    expect(() => parseListVolumes(table('| Name | State |', '| r0 | ok |'))).toThrow(
      /^drbdmanage-list-volumes: missing column\(s\) "Vol ID", "Size", "Minor" at line: "Name \| State"$/,
    );
  });

  it('empty listings are no rows', () => {
    expect(parseListVolumes('No resources defined\n')).toEqual([]);
    expect(parseListAssignments('No assignments defined\n')).toEqual([]);
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

  it('reads the decimal units, sizes without a space or with padding; refuses other units and text around the size', () => {
    expect(parseSizeMiB('1 PiB')).toBe(1024 ** 3);
    expect(parseSizeMiB('1048576 kB')).toBe(1000);
    expect(parseSizeMiB('1048576 MB')).toBe(1_000_000);
    expect(parseSizeMiB('1 GB')).toBe(1e9 / 2 ** 20);
    expect(parseSizeMiB('1 TB')).toBe(1e12 / 2 ** 20);
    expect(parseSizeMiB('1 PB')).toBe(1e15 / 2 ** 20);
    expect(parseSizeMiB('476.84MiB')).toBe(476.84);
    expect(parseSizeMiB('  512 MiB  ')).toBe(512);
    expect(parseSizeMiB(' < 1 ')).toBe(0);
    expect(parseSizeMiB('10 KB')).toBeNull();
    expect(parseSizeMiB('10 kiB')).toBeNull();
    expect(parseSizeMiB('10 EiB')).toBeNull();
    expect(parseSizeMiB('~10 MiB')).toBeNull();
    expect(parseSizeMiB('10 MiBs')).toBeNull();
    expect(parseSizeMiB('10. MiB')).toBeNull();
    expect(parseSizeMiB('.5 MiB')).toBeNull();
  });
});
