import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommandTimeoutError, SshTransportError } from '../errors.js';
import { summaryMarkdown } from './publish.js';
import {
  appendVersionsEntry,
  changeHeadline,
  compareWithHistory,
  diffVersions,
  formatChange,
  parseVersionsHistory,
  previousEntry,
  readProcDrbd,
  readVersionsHistory,
  versionsFromLabels,
  versionsFromNewestRecording,
  versionVariables,
  type VersionsEntry,
} from './versions.js';

const prev = { 'drbd-utils': '9.21.0-1', 'drbd-dkms': '9.2.1-1', kernel: '6.1.0-49-cloud-amd64', 'python-drbdmanage': '0.99.18-1' };
const cur = { 'drbd-utils': '9.22.0-1', 'drbd-dkms': '9.2.1-1', kernel: '6.1.0-50-cloud-amd64', '/proc/drbd': '8.4.11' };

describe('diffVersions', () => {
  it('lists added, removed and changed packages, sorted by name; equal versions are no change', () => {
    expect(diffVersions(prev, cur)).toEqual([
      { kind: 'added', name: '/proc/drbd', to: '8.4.11' },
      { kind: 'changed', name: 'drbd-utils', from: '9.21.0-1', to: '9.22.0-1' },
      { kind: 'changed', name: 'kernel', from: '6.1.0-49-cloud-amd64', to: '6.1.0-50-cloud-amd64' },
      { kind: 'removed', name: 'python-drbdmanage', from: '0.99.18-1' },
    ]);
  });
  it('no previous run: nothing to report; same versions: empty', () => {
    expect(diffVersions(undefined, cur)).toEqual([]);
    expect(diffVersions(cur, { ...cur })).toEqual([]);
  });
  it('does not take inherited properties for packages', () => {
    expect(diffVersions({}, { constructor: '1' })).toEqual([{ kind: 'added', name: 'constructor', to: '1' }]);
    expect(diffVersions({ toString: '1' }, {})).toEqual([{ kind: 'removed', name: 'toString', from: '1' }]);
  });
  it('formats each change on one line', () => {
    expect(diffVersions(prev, cur).map(formatChange)).toEqual([
      '/proc/drbd added: 8.4.11',
      'drbd-utils 9.21.0-1 → 9.22.0-1',
      'kernel 6.1.0-49-cloud-amd64 → 6.1.0-50-cloud-amd64',
      'python-drbdmanage removed (was 0.99.18-1)',
    ]);
  });
});

describe('versionsFromLabels', () => {
  it('takes pkg:/pkg_/version: labels and kernel, nothing else', () => {
    expect(
      versionsFromLabels({
        profile: 'debian12-drbd84',
        hypervisor: 'TCG',
        'pkg:drbd-utils': '9.22.0-1',
        pkg_lvm2: '2.03.16-2',
        'pkg:kernel': '6.1.0-50-cloud-amd64',
        'version:/proc/drbd': '8.4.11',
        kernel: '4.15.0-39-generic',
      }),
    ).toEqual({ 'drbd-utils': '9.22.0-1', lvm2: '2.03.16-2', kernel: '4.15.0-39-generic', '/proc/drbd': '8.4.11' });
  });
});

describe('history (versions.jsonl)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drbdlab-versions-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('appends one line per run, creating the directory, and reads them back oldest first', async () => {
    const file = join(dir, 'history', 'versions.jsonl');
    expect(await readVersionsHistory(file)).toEqual({ entries: [], badLines: [] });
    const a: VersionsEntry = { timestamp: '2026-11-25T02:00:00.000Z', profile: 'debian12-drbd84', versions: prev };
    const b: VersionsEntry = { timestamp: '2026-11-26T02:00:00.000Z', profile: 'debian12-drbd84', versions: cur };
    await appendVersionsEntry(file, a);
    await appendVersionsEntry(file, b);
    const text = await readFile(file, 'utf8');
    expect(text.split('\n')).toHaveLength(3); // two lines and the final newline
    expect((await readVersionsHistory(file)).entries).toEqual([a, b]);
  });

  it('skips lines that do not parse or are not entries, and says which', () => {
    const good = JSON.stringify({ timestamp: 't', profile: 'p', versions: { a: '1' } });
    const { entries, badLines } = parseVersionsHistory(`${good}\n{"trunc\n\n${JSON.stringify({ timestamp: 't', profile: 'p', versions: { a: 1 } })}\n${good}\n`);
    expect(entries).toHaveLength(2);
    expect(badLines).toEqual([2, 4]);
  });

  it('compares with the newest run of the same profile only', () => {
    const entries: VersionsEntry[] = [
      { timestamp: '1', profile: 'debian12-drbd84', versions: prev },
      { timestamp: '2', profile: 'ubuntu1804-drbd9', versions: {} },
      { timestamp: '3', profile: 'debian12-drbd84', versions: cur },
      { timestamp: '4', profile: 'ubuntu1804-drbd9', versions: {} },
    ];
    expect(previousEntry(entries, { profile: 'debian12-drbd84' })?.timestamp).toBe('3');
    expect(previousEntry(entries, { profile: 'ubuntu2204' })).toBeUndefined();
  });

  it('a variant is a line of its own: a plain run never compares with a proposed-updates run, nor the other way round', () => {
    const pu = { profile: 'debian12-drbd84', variant: 'proposed-updates' };
    const entries: VersionsEntry[] = [
      { timestamp: '1', profile: 'debian12-drbd84', versions: prev },
      { timestamp: '2', ...pu, versions: cur },
      { timestamp: '3', profile: 'debian12-drbd84', variant: 'backports', versions: cur },
    ];
    expect(previousEntry(entries, { profile: 'debian12-drbd84' })?.timestamp).toBe('1');
    expect(previousEntry(entries, pu)?.timestamp).toBe('2');
    expect(previousEntry(entries.slice(0, 1), pu)).toBeUndefined();
    expect(compareWithHistory(entries, { profile: 'debian12-drbd84' }, prev).changes).toEqual([]);
    // The banner says which line it compared with.
    expect(versionVariables(diffVersions(prev, cur), entries[1], cur, 'debian12-drbd84')['compared with']).toBe('debian12-drbd84+proposed-updates run of 2');
  });

  it('compares with the last run that recorded versions: a broken run since (none recorded) does not make everything "added"', () => {
    const entries: VersionsEntry[] = [
      { timestamp: '1', profile: 'debian12-drbd84', versions: prev },
      { timestamp: '2', profile: 'debian12-drbd84', versions: {} }, // its lab never came up
    ];
    const { previous, changes } = compareWithHistory(entries, { profile: 'debian12-drbd84' }, cur);
    expect(previous?.timestamp).toBe('1');
    expect(changes).toEqual(diffVersions(prev, cur));
    expect(changes.filter((c) => c.kind === 'added').map((c) => c.name)).toEqual(['/proc/drbd']);
    expect(compareWithHistory(entries.slice(1), { profile: 'debian12-drbd84' }, cur).previous).toBeUndefined(); // only broken runs: a first run
  });

  it('a run that recorded no versions compares with nothing (not "every package removed")', () => {
    const entries: VersionsEntry[] = [{ timestamp: '1', profile: 'debian12-drbd84', versions: prev }];
    expect(compareWithHistory(entries, { profile: 'debian12-drbd84' }, {}).changes).toEqual([]);
    expect(changeHeadline([], entries[0], {})).toBe('this run recorded no package versions (its lab did not come up): nothing to compare');
  });
});

describe('banner texts', () => {
  const previous: VersionsEntry = { timestamp: '2026-11-25T02:00:00.000Z', profile: 'debian12-drbd84', versions: prev };
  it('headline: first run, unchanged, or the changes', () => {
    expect(changeHeadline([], undefined)).toMatch(/^first run/);
    expect(changeHeadline([], previous)).toBe('package versions unchanged since 2026-11-25T02:00:00.000Z');
    expect(changeHeadline(diffVersions(prev, cur), previous)).toMatch(/^package versions changed since .*: \/proc\/drbd added: 8\.4\.11; drbd-utils 9\.21\.0-1 → 9\.22\.0-1;/);
  });
  it('report variables: the changes first, then profile and every version', () => {
    const vars = versionVariables(diffVersions(prev, cur), previous, cur, 'debian12-drbd84');
    expect(Object.keys(vars).slice(0, 5)).toEqual(['ADDED /proc/drbd', 'CHANGED drbd-utils', 'CHANGED kernel', 'REMOVED python-drbdmanage', 'compared with']);
    expect(vars['CHANGED drbd-utils']).toBe('9.21.0-1 → 9.22.0-1');
    expect(vars.profile).toBe('debian12-drbd84');
    expect(vars['drbd-dkms']).toBe('9.2.1-1');
    const unchanged = versionVariables([], previous, cur, 'debian12-drbd84');
    expect(Object.keys(unchanged)[0]).toBe('package versions');
    expect(Object.keys(unchanged).some((k) => /^(CHANGED|ADDED|REMOVED) /.test(k))).toBe(false);
  });
});

describe('version sources for the CLI', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drbdlab-versions-src-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the newest recording by mtime', async () => {
    const { utimes } = await import('node:fs/promises');
    await writeFile(join(dir, 'old.json'), JSON.stringify({ profile: 'debian12-drbd84', labels: { 'pkg:drbd-utils': '9.21.0-1' } }));
    await writeFile(join(dir, 'new.json'), JSON.stringify({ profile: 'debian12-drbd84', labels: { 'pkg:drbd-utils': '9.22.0-1', kernel: 'k' } }));
    await utimes(join(dir, 'old.json'), new Date(2000, 0, 1), new Date(2000, 0, 1));
    expect(await versionsFromNewestRecording(dir)).toEqual({
      file: join(dir, 'new.json'),
      profile: 'debian12-drbd84',
      versions: { 'drbd-utils': '9.22.0-1', kernel: 'k' },
    });
    expect(await versionsFromNewestRecording(join(dir, 'none'))).toBeUndefined();
  });
});

describe('/proc/drbd: the loaded module, or why it is unknown', () => {
  const PROC = 'version: 8.4.11 (api:1/proto:86-101)\nsrcversion: B536C32A3EADA868561EFD9 \n';
  const node = (answer: () => Promise<{ stdout: string; stderr: string; exitCode: number | null }>) => ({
    name: 'drbd1',
    commands: [] as string[],
    exec(command: string) {
      this.commands.push(command);
      return answer();
    },
  });

  it('the version a loaded module prints', async () => {
    const n = node(async () => ({ stdout: PROC, stderr: '', exitCode: 0 }));
    expect(await readProcDrbd(n)).toEqual({ '/proc/drbd': '8.4.11' });
    expect(n.commands).toEqual(['cat /proc/drbd']);
  });

  it('a failed read is said, with why: never left out of the versions', async () => {
    const cases: [() => Promise<{ stdout: string; stderr: string; exitCode: number | null }>, string][] = [
      // No module loaded: no /proc/drbd.
      [async () => ({ stdout: '', stderr: 'cat: /proc/drbd: No such file or directory\n', exitCode: 1 }), 'unknown: drbd1: cat /proc/drbd exited 1: cat: /proc/drbd: No such file or directory'],
      [async () => ({ stdout: 'srcversion: X\n', stderr: '', exitCode: 0 }), 'unknown: drbd1: /proc/drbd has no "version:" line (it begins "srcversion: X")'],
      [async () => ({ stdout: '', stderr: '', exitCode: 0 }), 'unknown: drbd1: /proc/drbd has no "version:" line (empty)'],
      [() => Promise.reject(new CommandTimeoutError('drbd1', 'cat /proc/drbd', 20_000)), 'unknown: drbd1: cat /proc/drbd failed: drbd1: `cat /proc/drbd` timed out after 20 s (no answer; the connection was closed to stop it)'],
    ];
    for (const [answer, said] of cases) expect(await readProcDrbd(node(answer))).toEqual({ '/proc/drbd': said });
    expect(await readProcDrbd(undefined)).toEqual({ '/proc/drbd': 'unknown: the lab has no node to read /proc/drbd on' });
  });

  it('the lab failing under the read is thrown (infrastructure), not cached as unknown', async () => {
    const lost = new SshTransportError('drbd1', 'cat /proc/drbd', new Error('Connection lost before handshake'));
    await expect(readProcDrbd(node(() => Promise.reject(lost)))).rejects.toBe(lost);
  });

  it('an unknown module shows in the summary and as a change from the last run', async () => {
    const unknown = await readProcDrbd(node(async () => ({ stdout: '', stderr: 'cat: /proc/drbd: No such file or directory\n', exitCode: 1 })));
    const current = { 'drbd-utils': '9.22.0-1', ...unknown };
    const previous: VersionsEntry = { timestamp: '2026-11-28T00:00:00Z', profile: 'debian12-drbd84', versions: { 'drbd-utils': '9.22.0-1', '/proc/drbd': '8.4.11' } };
    const changes = diffVersions(previous.versions, current);
    expect(changes.map(formatChange)).toEqual(['/proc/drbd 8.4.11 → unknown: drbd1: cat /proc/drbd exited 1: cat: /proc/drbd: No such file or directory']);
    const md = summaryMarkdown({ run: { profile: 'debian12-drbd84', versions: current }, timestamp: 't', changes, previous, results: [], reportPath: 'r' });
    expect(md).toContain('| /proc/drbd | unknown: drbd1: cat /proc/drbd exited 1: cat: /proc/drbd: No such file or directory |');
  });
});
