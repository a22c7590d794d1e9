import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DrbdlabError, failureKind } from '../errors.js';
import {
  ChecksumMismatchError,
  parseSha256Sums,
  sha256File,
  Sha256SumsMissingEntryError,
  Sha256SumsParseError,
  verifySha256,
} from './sha256sums.js';

const FIXTURE = await readFile(new URL('./fixtures/bionic-SHA256SUMS.txt', import.meta.url), 'utf8');

describe('parseSha256Sums', () => {
  it('reads Ubuntu\'s `<hex> *<file>` lines', () => {
    const sums = parseSha256Sums(FIXTURE);
    expect(sums.size).toBe(10);
    expect(sums.get('bionic-server-cloudimg-amd64.img')).toBe('a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5061728394a5b6c7d8e9f0');
    expect(sums.get('bionic-server-cloudimg-arm64.img')).toMatch(/^f1021324/);
    expect(sums.has('*bionic-server-cloudimg-amd64.img')).toBe(false);
  });

  it('also reads sha256sum\'s text mode, CRLF line ends and blank lines; digests come out lower-case', () => {
    const hex = 'AB'.repeat(32);
    const sums = parseSha256Sums(`\n${hex}  a file.img\r\n\n${'0'.repeat(64)} *b.img\n`);
    expect([...sums]).toEqual([
      ['a file.img', 'ab'.repeat(32)],
      ['b.img', '0'.repeat(64)],
    ]);
  });

  it('rejects a line that is not a checksum line, naming the source and line number', () => {
    const text = `${'a'.repeat(64)} *ok.img\n<html>404 Not Found</html>\n`;
    const err = (() => {
      try {
        parseSha256Sums(text, 'https://example.invalid/SHA256SUMS');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(Sha256SumsParseError);
    expect((err as Error).message).toBe('https://example.invalid/SHA256SUMS: line 2: not "<sha256> *<file>": "<html>404 Not Found</html>"');
  });

  it('rejects a short digest and a file listed twice with two digests; accepts an exact repeat', () => {
    expect(() => parseSha256Sums(`${'a'.repeat(63)} *x.img`)).toThrow(Sha256SumsParseError);
    expect(() => parseSha256Sums(`${'a'.repeat(64)} *x.img\n${'b'.repeat(64)} *x.img`)).toThrow(/x\.img listed twice/);
    expect(parseSha256Sums(`${'a'.repeat(64)} *x.img\n${'a'.repeat(64)} *x.img`).size).toBe(1);
  });
});

describe('sha256File / verifySha256', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drbdlab-sha-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const content = Buffer.alloc(3 * 1024 * 1024 + 17, 'drbd'); // several stream chunks
  const digest = createHash('sha256').update(content).digest('hex');

  it('hashes a file in a stream', async () => {
    const f = join(dir, 'img');
    await writeFile(f, content);
    expect(await sha256File(f)).toBe(digest);
  });

  it('a matching download resolves to its digest', async () => {
    const f = join(dir, 'bionic-server-cloudimg-amd64.img');
    await writeFile(f, content);
    const sums = parseSha256Sums(FIXTURE.replace(/^\S+(?= \*bionic-server-cloudimg-amd64\.img$)/m, digest));
    await expect(verifySha256(f, sums)).resolves.toBe(digest);
  });

  it('the published name can differ from the local one (a .part file)', async () => {
    const f = join(dir, 'bionic-server-cloudimg-amd64.img.part');
    await writeFile(f, content);
    const sums = new Map([['bionic-server-cloudimg-amd64.img', digest]]);
    await expect(verifySha256(f, sums, 'bionic-server-cloudimg-amd64.img')).resolves.toBe(digest);
  });

  it('a mismatch is a typed error naming file, expected, actual and the fix', async () => {
    const f = join(dir, 'bionic-server-cloudimg-amd64.img');
    await writeFile(f, content.subarray(0, 1000)); // a truncated download
    const err = await verifySha256(f, parseSha256Sums(FIXTURE)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChecksumMismatchError);
    const e = err as ChecksumMismatchError;
    expect(e).toBeInstanceOf(DrbdlabError);
    expect(failureKind(e)).toBe('infrastructure');
    expect(e.file).toBe(f);
    expect(e.expected).toBe('a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5061728394a5b6c7d8e9f0');
    expect(e.actual).toBe(createHash('sha256').update(content.subarray(0, 1000)).digest('hex'));
    expect(e.message).toBe(`sha256 mismatch for ${f}: expected ${e.expected}, actual ${e.actual}; delete the download and retry`);
  });

  it('a file the SHA256SUMS does not list is an error, not a pass', async () => {
    const f = join(dir, 'focal-server-cloudimg-amd64.img');
    await writeFile(f, content);
    const err = await verifySha256(f, parseSha256Sums(FIXTURE), undefined, 'SHA256SUMS').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Sha256SumsMissingEntryError);
    expect((err as Error).message).toMatch(/^SHA256SUMS has no entry for focal-server-cloudimg-amd64\.img \(it lists bionic-server-cloudimg-amd64-azure\.vhd\.zip, /);
  });
});
