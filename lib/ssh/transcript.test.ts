import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Redactor, type CommandRecord } from './command-record.js';
import { Transcript } from './transcript.js';

const entry = (over: Partial<Omit<CommandRecord, 'seq'>>): Omit<CommandRecord, 'seq'> => ({
  node: 'drbd1',
  command: 'true',
  stdout: '',
  stderr: '',
  exitCode: 0,
  startedAt: '2024-05-02T10:00:00.000Z',
  durationMs: 12,
  ...over,
});

describe('Transcript', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drbdlab-transcript-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('appends to commands.jsonl and writes one numbered log per command under the node', async () => {
    const t = new Transcript(dir);
    await t.record(entry({ command: 'sudo drbdadm status r0', stdout: 'r0 role:Primary\n', exitCode: 0 }));
    await t.record(entry({ node: 'drbd2', command: 'cat /proc/drbd', stderr: 'cat: /proc/drbd: No such file', exitCode: 1, durationMs: 3 }));
    await t.record(entry({ command: '!!!' }));

    const lines = (await readFile(join(dir, 'commands.jsonl'), 'utf8')).split('\n');
    expect(lines.at(-1)).toBe('');
    const records = lines.slice(0, -1).map((l) => JSON.parse(l) as CommandRecord);
    expect(records.map((r) => [r.seq, r.node, r.command, r.exitCode])).toEqual([
      [1, 'drbd1', 'sudo drbdadm status r0', 0],
      [2, 'drbd2', 'cat /proc/drbd', 1],
      [3, 'drbd1', '!!!', 0],
    ]);
    expect(t.records).toEqual(records);

    expect((await readdir(dir)).sort()).toEqual(['commands.jsonl', 'drbd1', 'drbd2']);
    expect((await readdir(join(dir, 'drbd1'))).sort()).toEqual(['0001-drbdadm-status-r0.log', '0003-command.log']);
    expect(await readdir(join(dir, 'drbd2'))).toEqual(['0002-cat-proc-drbd.log']);

    expect(await readFile(join(dir, 'drbd1', '0001-drbdadm-status-r0.log'), 'utf8')).toBe(
      '# drbd1$ sudo drbdadm status r0\n# started 2024-05-02T10:00:00.000Z, 12 ms, exit 0\nr0 role:Primary\n\n',
    );
    expect(await readFile(join(dir, 'drbd2', '0002-cat-proc-drbd.log'), 'utf8')).toBe(
      '# drbd2$ cat /proc/drbd\n# started 2024-05-02T10:00:00.000Z, 3 ms, exit 1\n\n# stderr:\ncat: /proc/drbd: No such file\n',
    );
  });

  it('the Redactor removes a registered secret from command, stdout, stderr and file names', async () => {
    const redactor = new Redactor();
    redactor.add('Zq9-s3cret-pass');
    const t = new Transcript(dir, redactor);
    await t.record(
      entry({
        command: 'drbdmanage join -p Zq9-s3cret-pass 10.255.255.101',
        stdout: 'joining with Zq9-s3cret-pass\n',
        stderr: 'warning: Zq9-s3cret-pass echoed',
      }),
    );
    expect(t.records[0]).toMatchObject({
      command: 'drbdmanage join -p <redacted> 10.255.255.101',
      stdout: 'joining with <redacted>\n',
      stderr: 'warning: <redacted> echoed',
    });
    const files = await readdir(join(dir, 'drbd1'));
    expect(files).toEqual(['0001-drbdmanage-join-p-redacted-10-255-255-10.log']);
    const everything = [await readFile(join(dir, 'commands.jsonl'), 'utf8'), await readFile(join(dir, 'drbd1', files[0]!), 'utf8')].join('');
    expect(everything).not.toContain('Zq9-s3cret-pass');
    expect(everything.split('<redacted>')).toHaveLength(7); // 3 in the jsonl line, 3 in the log
  });

  it('the Redactor ignores secrets shorter than 4 characters', () => {
    const r = new Redactor();
    r.add('ab');
    r.add('abcd');
    expect(r.apply('ab abcd abcde')).toBe('ab <redacted> <redacted>e');
  });
});

describe('Transcript.addSecret', () => {
  it('scrubs a secret from records already written, in memory and on disk', async () => {
    const { mkdtemp, readFile, readdir } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'transcript-secret-'));
    const t = new Transcript(dir);
    await t.record({ node: 'drbd1', command: 'sudo drbdmanage add-node drbd2 10.255.255.102', stdout: 'drbdmanage join -p 6999 10.255.255.102 1 drbd1 10.255.255.101 0 s3cr3tPass', stderr: '', exitCode: 0, startedAt: 'x', durationMs: 1 });
    await t.addSecret('s3cr3tPass');
    expect(t.records[0]!.stdout).toContain('<redacted>');
    expect(await readFile(join(dir, 'commands.jsonl'), 'utf8')).not.toContain('s3cr3tPass');
    for (const f of await readdir(join(dir, 'drbd1'))) expect(await readFile(join(dir, 'drbd1', f), 'utf8')).not.toContain('s3cr3tPass');
  });
});
