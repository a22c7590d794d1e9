// SHA256SUMS files as Ubuntu publishes them beside its cloud images, and as `sha256sum`
// writes them: `<64 hex> *<file>` (binary mode) or `<64 hex>  <file>` (text mode).

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { DrbdlabError } from '../errors.js';

/** A SHA256SUMS text that is not in the `<hex> *<file>` format. */
export class Sha256SumsParseError extends DrbdlabError {
  constructor(
    readonly source: string,
    readonly lineNumber: number,
    readonly line: string,
    problem: string,
  ) {
    super(`${source}: line ${lineNumber}: ${problem}: ${JSON.stringify(line)}`);
  }
}

/** The SHA256SUMS has no line for the file that was to be verified. */
export class Sha256SumsMissingEntryError extends DrbdlabError {
  constructor(
    readonly name: string,
    readonly source: string,
    readonly known: string[],
  ) {
    super(`${source} has no entry for ${name} (it lists ${known.length ? known.join(', ') : 'nothing'})`);
  }
}

/** A downloaded file's digest is not the published one (a truncated or replaced download). */
export class ChecksumMismatchError extends DrbdlabError {
  constructor(
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`sha256 mismatch for ${file}: expected ${expected}, actual ${actual}; delete the download and retry`);
  }
}

const LINE = /^([0-9a-fA-F]{64}) ([ *])(.+)$/;

/**
 * Parse a SHA256SUMS text into file name → lower-case hex digest. Blank lines are skipped;
 * anything else that is not a checksum line, or a file listed twice with two digests, is an error.
 */
export function parseSha256Sums(text: string, source = 'SHA256SUMS'): Map<string, string> {
  const sums = new Map<string, string>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const m = LINE.exec(line);
    if (!m) throw new Sha256SumsParseError(source, i + 1, line, 'not "<sha256> *<file>"');
    const [, hex, , name] = m as unknown as [string, string, string, string];
    const digest = hex.toLowerCase();
    const seen = sums.get(name);
    if (seen !== undefined && seen !== digest) throw new Sha256SumsParseError(source, i + 1, line, `${name} listed twice with different digests`);
    sums.set(name, digest);
  });
  return sums;
}

/** Streaming sha256 of a local file (cloud images are hundreds of MiB: never read whole). */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Check a downloaded file against a parsed SHA256SUMS. `name` is the file's name in the
 * SHA256SUMS (default: the basename, which for a `.part` download is not the published name).
 * Resolves to the digest; rejects with ChecksumMismatchError or Sha256SumsMissingEntryError.
 */
export async function verifySha256(
  file: string,
  sums: Map<string, string>,
  name = basename(file),
  source = 'SHA256SUMS',
): Promise<string> {
  const expected = sums.get(name);
  if (expected === undefined) throw new Sha256SumsMissingEntryError(name, source, [...sums.keys()]);
  const actual = await sha256File(file);
  if (actual !== expected) throw new ChecksumMismatchError(file, expected, actual);
  return actual;
}
