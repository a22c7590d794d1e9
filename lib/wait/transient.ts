import { DrbdlabError, SshTransportError } from '../errors.js';
import { isSshTransportFailure } from './transport-failure.js';

/**
 * Is this error "not yet" (the node is not reachable at the moment) rather than an answer?
 * Only the SSH transport qualifies; a failed command, a parse error or a cloud-init error is
 * an answer and ends a wait at once. Our own errors count by class only: their messages carry
 * remote output, which may say anything.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof SshTransportError) return true;
  if (err instanceof DrbdlabError) return false;
  return isSshTransportFailure(err);
}
