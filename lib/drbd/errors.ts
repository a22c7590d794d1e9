import { ParseError } from '../errors.js';

/** Raised by every parser in lib/drbd (drbdmanage's too) when its input does not have the expected shape. */
export class DrbdParseError extends ParseError {
  override readonly name = 'DrbdParseError';

  constructor(
    parser: string,
    reason: string,
    /** The offending line, when there is one. */
    readonly line?: string,
    /** 1-based line number within the parsed text. */
    readonly lineNumber?: number,
  ) {
    super(parser, reason, formatMessage(parser, reason, line, lineNumber));
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
