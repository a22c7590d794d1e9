/**
 * DRBD's split-brain lines in a kernel log (8.4: "Split-Brain detected but unresolved, dropping
 * connection!", or "… automatically solved" with an after-sb policy). Any of them after a
 * failover means both sides wrote independently: the settle step fails on it.
 */
export function splitBrainLines(kernelLog: string): string[] {
  return kernelLog.split('\n').filter((l) => /Split-Brain detected/u.test(l));
}
