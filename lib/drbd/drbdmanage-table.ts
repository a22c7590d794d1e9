import { DrbdParseError } from './errors.js';
import { cleanLines, toInt, type TextLine } from './text.js';

/**
 * Parsers for the human-readable tables of `drbdmanage list-*` (drbdmanage.utils.Table):
 * ASCII (`+---+`, `|`, `|---|`) or UTF-8 frames (`╭─╮`, `┊`, `╞┄╡`, `╰─╯`), with or without
 * ANSI colours, padded to the terminal width or collapsed (as in the walkthrough's blog copy),
 * and the `-p/--pastable` variant (same frame, no colour, 78 columns).
 */

export interface DrbdmanageTable {
  /** Header texts as printed (`Pool Size`, `Vol ID`, …); the empty right-justify spacer column is dropped. */
  headers: string[];
  /** One record per data row, keyed by header text, values trimmed. */
  rows: Record<string, string>[];
}

const PARSER = 'drbdmanage-table';

const TOP_BORDER = /^[+╭][-─]+[+╮]$/u;
const BOTTOM_BORDER = /^[+╰][-─]+[+╯]$/u;
const MIDDLE_SEPARATOR = /^[|╞][-┄]+[|╡]$/u;
const PIPES = new Set(['|', '┊']);
// What drbdmanage prints instead of an empty table.
const EMPTY_TABLE = /^(?:No (?:nodes|resources|assignments) defined|Snapshot(?: assignment)? list is empty)$/u;

/** Parses one drbdmanage table. Throws DrbdParseError on anything that is not exactly one table. */
export function parseDrbdmanageTable(text: string): DrbdmanageTable {
  const lines = cleanLines(text).filter((line) => line.text.trim() !== '');
  if (lines.length === 0) throw new DrbdParseError(PARSER, 'empty input');

  const first = lines[0]!;
  if (lines.length === 1 && EMPTY_TABLE.test(first.text.trim())) return { headers: [], rows: [] };

  let state: 'top' | 'header' | 'header-separator' | 'body' | 'done' = 'top';
  let header: { cells: string[]; spacers: Set<number>; line: TextLine } | undefined;
  const rows: Record<string, string>[] = [];

  for (const line of lines) {
    const content = line.text.trim();
    switch (state) {
      case 'top':
        if (!TOP_BORDER.test(content)) fail('expected the top border of a table', line);
        state = 'header';
        break;
      case 'header': {
        const cells = splitRow(content, line);
        const spacers = new Set(cells.flatMap((cell, index) => (cell === '' ? [index] : [])));
        const names = cells.filter((cell) => cell !== '');
        if (names.length === 0) fail('header row has no column names', line);
        if (new Set(names).size !== names.length) fail('duplicate column names', line);
        header = { cells, spacers, line };
        state = 'header-separator';
        break;
      }
      case 'header-separator':
        if (!MIDDLE_SEPARATOR.test(content)) fail('expected the separator below the header', line);
        state = 'body';
        break;
      case 'body':
        if (BOTTOM_BORDER.test(content)) {
          state = 'done';
        } else if (!MIDDLE_SEPARATOR.test(content)) {
          // Middle separators inside the body come from `--separators` (group breaks).
          rows.push(toRecord(splitRow(content, line), header!, line));
        }
        break;
      case 'done':
        fail('unexpected text after the table', line);
    }
  }
  if (state !== 'done') fail('table is not closed', lines[lines.length - 1]!);

  return { headers: header!.cells.filter((_, index) => !header!.spacers.has(index)), rows };
}

function splitRow(content: string, line: TextLine): string[] {
  const pipe = content[0] ?? '';
  if (!PIPES.has(pipe) || content.length < 2 || content[content.length - 1] !== pipe) {
    fail('expected a table row', line);
  }
  return content
    .slice(1, -1)
    .split(pipe)
    .map((cell) => cell.trim());
}

function toRecord(
  cells: string[],
  header: { cells: string[]; spacers: Set<number>; line: TextLine },
  line: TextLine,
): Record<string, string> {
  if (cells.length !== header.cells.length) {
    fail(`row has ${cells.length} cells, header has ${header.cells.length}`, line);
  }
  const record: Record<string, string> = {};
  cells.forEach((cell, index) => {
    if (header.spacers.has(index)) {
      if (cell !== '') fail('text in the spacer column', line);
      return;
    }
    record[header.cells[index]!] = cell;
  });
  return record;
}

function fail(reason: string, line: TextLine): never {
  throw new DrbdParseError(PARSER, reason, line.text, line.number);
}

// ---------------------------------------------------------------------------
// Typed views of the walkthrough's list commands.

/** Parts of a drbdmanage state cell such as `offline/quorum vote ignored, pending actions: adjust connections`. */
export interface DrbdmanageState {
  /** The cell as printed. */
  state: string;
  /** True only for the plain `ok` drbdmanage prints when nothing is pending. */
  ok: boolean;
  /** State texts before any pending actions, e.g. `['offline/quorum vote ignored']`. */
  stateFlags: string[];
  /** e.g. `['adjust connections']`. */
  pendingActions: string[];
}

export interface DrbdmanageNode extends DrbdmanageState {
  name: string;
  /** MiB; null for `unknown`/`n/a`; `< 1` (more than 0 but under 1 MiB) reads as 0. */
  poolSizeMiB: number | null;
  poolFreeMiB: number | null;
  /** All cells of the row, including `--show` columns (IP, Family, Site, CTRL Node). */
  columns: Record<string, string>;
}

export interface DrbdmanageVolume extends DrbdmanageState {
  resource: string;
  /** null for the `*` row of a resource without volumes. */
  volumeId: number | null;
  /** Size cell as printed, e.g. `37.25 GiB`; null for `*`. */
  size: string | null;
  /** Size in MiB (rounded as printed: 37.25 GiB → 38144); plain numbers are MiB (older drbdmanage). */
  sizeMiB: number | null;
  minor: number | null;
  /** null when `--show Port` was not given. */
  port: number | null;
  columns: Record<string, string>;
}

export interface DrbdmanageAssignment extends DrbdmanageState {
  node: string;
  resource: string;
  /** null on the per-resource row (`*`); a number on per-volume rows, which drbdmanage prints only when the volume is not ok. */
  volumeId: number | null;
  /** Only with `--show Blockdevice`; null for `*`/`N/A`. */
  blockdevice: string | null;
  /** Only with `--show Node_ID`. */
  nodeId: number | null;
  columns: Record<string, string>;
}

export function parseListNodes(text: string): DrbdmanageNode[] {
  const table = parseDrbdmanageTable(text);
  return rowsWith(table, 'drbdmanage-list-nodes', ['Name', 'Pool Size', 'Pool Free', 'State']).map((row) => ({
    name: row['Name']!,
    poolSizeMiB: parsePoolMiB(row['Pool Size']!),
    poolFreeMiB: parsePoolMiB(row['Pool Free']!),
    ...parseDrbdmanageState(row['State']!),
    columns: row,
  }));
}

export function parseListVolumes(text: string): DrbdmanageVolume[] {
  const table = parseDrbdmanageTable(text);
  return rowsWith(table, 'drbdmanage-list-volumes', ['Name', 'Vol ID', 'Size', 'Minor', 'State']).map((row) => {
    const size = row['Size']!;
    return {
      resource: row['Name']!,
      volumeId: toInt(row['Vol ID']),
      size: size === '*' ? null : size,
      sizeMiB: parseSizeMiB(size),
      minor: toInt(row['Minor']),
      port: toInt(row['Port']),
      ...parseDrbdmanageState(row['State']!),
      columns: row,
    };
  });
}

export function parseListAssignments(text: string): DrbdmanageAssignment[] {
  const table = parseDrbdmanageTable(text);
  return rowsWith(table, 'drbdmanage-list-assignments', ['Node', 'Resource', 'Vol ID', 'State']).map((row) => {
    const blockdevice = row['Blockdevice'];
    return {
      node: row['Node']!,
      resource: row['Resource']!,
      volumeId: toInt(row['Vol ID']),
      blockdevice: blockdevice === undefined || blockdevice === '*' || blockdevice === 'N/A' ? null : blockdevice,
      nodeId: toInt(row['Node ID']),
      ...parseDrbdmanageState(row['State']!),
      columns: row,
    };
  });
}

const PENDING = 'pending actions: ';

/** Splits a state cell the way drbdmanage's GenericView.format_state_info() joins it. */
export function parseDrbdmanageState(state: string): DrbdmanageState {
  const at = state.indexOf(PENDING);
  const head = at < 0 ? state : state.slice(0, at);
  const pending = at < 0 ? '' : state.slice(at + PENDING.length);
  const split = (part: string) =>
    part
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  return {
    state,
    ok: state === 'ok',
    // `*` is the placeholder state of a resource without volumes.
    stateFlags: split(head).filter((flag) => flag !== 'ok' && flag !== '*'),
    pendingActions: split(pending),
  };
}

function rowsWith(table: DrbdmanageTable, parser: string, required: string[]): Record<string, string>[] {
  // An empty listing ("No nodes defined") has no headers and no rows.
  if (table.headers.length === 0) return [];
  const missing = required.filter((name) => !table.headers.includes(name));
  if (missing.length > 0) {
    throw new DrbdParseError(parser, `missing column(s) ${missing.map((m) => `"${m}"`).join(', ')}`, table.headers.join(' | '));
  }
  return table.rows;
}

function parsePoolMiB(cell: string): number | null {
  if (cell === '< 1') return 0;
  const value = toInt(cell);
  return value !== null && value >= 0 ? value : null;
}

const UNIT_MIB: Record<string, number> = {
  KiB: 1 / 1024,
  MiB: 1,
  GiB: 1024,
  TiB: 1024 ** 2,
  PiB: 1024 ** 3,
  kB: 1e3 / 2 ** 20,
  MB: 1e6 / 2 ** 20,
  GB: 1e9 / 2 ** 20,
  TB: 1e12 / 2 ** 20,
  PB: 1e15 / 2 ** 20,
};

/** `37.25 GiB` → 38144; `40956` → 40956 (MiB); `< 1` → 0; anything else → null. */
export function parseSizeMiB(cell: string): number | null {
  if (cell.trim() === '< 1') return 0;
  const match = /^(\d+(?:\.\d+)?)\s*([kKMGTP]i?B)?$/u.exec(cell.trim());
  if (!match) return null;
  const factor = match[2] === undefined ? 1 : UNIT_MIB[match[2]];
  if (factor === undefined) return null;
  return Number.parseFloat(match[1]!) * factor;
}
