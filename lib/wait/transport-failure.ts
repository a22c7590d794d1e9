// Which raw errors of ssh2 / node-ssh / the socket mean "the connection is not there (yet)"
// rather than "the command failed". Matched by code or by ssh2's own wording: ssh2 has no error
// classes, and its `level`/`fatal` fields say where an error arose, not whether it passes.
// It lives with the waits (the "not yet" a wait retries on), so SSH builds on them, not the reverse.

/** Socket errors of a node that is down, booting or going down (we only dial 127.0.0.1). */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/** ssh2 (lib/client.js, lib/utils.js) and node-ssh messages for a connection that failed or went away. */
const SSH_MESSAGES = [
  /^Timed out while waiting for handshake/,
  /^Connection lost before handshake/,
  /^No response from server/,
  /^Keepalive timeout/,
  /^Not connected/, // ssh2 "Not connected", node-ssh "Not connected to server"
  /^\(SSH\) Channel open failure/,
  /^Channel is not open/,
  /^No free channels available/,
  /^Connection closed/i,
  // ssh2: the exec request got no channel because the connection was going away (seen with a
  // read ECONNRESET right after, on a node just back from a reboot).
  /^Unable to exec/,
];

export function isSshTransportFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && SOCKET_CODES.has(code)) return true;
  return SSH_MESSAGES.some((re) => re.test(err.message));
}
