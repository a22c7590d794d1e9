/**
 * A Pacemaker or corosync tool printed something these parsers do not know: the harness cannot
 * read the cluster (broken, not "Pacemaker failed"), like DrbdParseError for DRBD's tools.
 */
export class PacemakerParseError extends Error {
  override readonly name = 'PacemakerParseError';
  constructor(
    /** Which parser gave up, e.g. `crm_mon`. */
    readonly parser: string,
    readonly reason: string,
  ) {
    super(`${parser}: ${reason}`);
  }
}

/** Works across module copies / realms, unlike `instanceof`. */
export function isPacemakerParseError(error: unknown): error is PacemakerParseError {
  return error instanceof Error && error.name === 'PacemakerParseError' && 'parser' in error;
}
