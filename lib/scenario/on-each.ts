// Steps the walkthrough does on each node run on all of them at once: each guest is its own
// emulated CPU, so three nodes answer in about the time one takes. Each node's own commands
// stay in order (a replay matches them so, lib/scenario/replay-lab.ts).

/**
 * `fn` on every node at once; waits for all of them, then throws the first failure in node
 * order (so no node is still running a command when the step reports, and the report names the
 * same node every time). Results in node order.
 */
export async function onEach<N, T>(nodes: readonly N[], fn: (node: N) => Promise<T>): Promise<T[]> {
  const settled = await Promise.allSettled(nodes.map((n) => fn(n)));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}
