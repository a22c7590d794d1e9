/** Raised by every parser in lib/drbd when its input does not have the expected shape. */
export class DrbdParseError extends Error {
  override readonly name = 'DrbdParseError';

  constructor(
    /** Which parser gave up, e.g. `drbdsetup-status`. */
    readonly parser: string,
    /** What was wrong, without the line. */
    readonly reason: string,
    /** The offending line, when there is one. */
    readonly line?: string,
    /** 1-based line number within the parsed text. */
    readonly lineNumber?: number,
  ) {
    super(formatMessage(parser, reason, line, lineNumber));
  }
}

function formatMessage(parser: string, reason: string, line?: string, lineNumber?: number): string {
  if (line === undefined) return `${parser}: ${reason}`;
  const where = lineNumber === undefined ? 'line' : `line ${lineNumber}`;
  return `${parser}: ${reason} at ${where}: ${JSON.stringify(line)}`;
}

/** Works across module copies / realms, unlike `instanceof`. */
export function isDrbdParseError(error: unknown): error is DrbdParseError {
  return error instanceof Error && error.name === 'DrbdParseError' && 'parser' in error;
}
