import { ParseError } from '../errors.js';

/**
 * A Pacemaker or corosync tool printed something these parsers do not know: the harness cannot
 * read the cluster (broken, not "Pacemaker failed"), like DrbdParseError for DRBD's tools.
 */
export class PacemakerParseError extends ParseError {
  override readonly name = 'PacemakerParseError';
}

/** Works across module copies / realms, unlike `instanceof`. */
export function isPacemakerParseError(error: unknown): error is PacemakerParseError {
  return error instanceof Error && error.name === 'PacemakerParseError' && 'parser' in error;
}
