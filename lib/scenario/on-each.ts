// Steps the walkthrough does on each node run on all of them at once: each guest is its own
// emulated CPU, so three nodes answer in about the time one takes. Each node's own commands
// stay in order (a replay matches them so, lib/scenario/replay-lab.ts).

/**
 * `fn` on every node at once; waits for all of them (no node is still running a command when
 * the step reports), then throws the failure that came first: what broke first is the cause, a
 * later failure on another node may only follow from it. Results in node order.
 */
export async function onEach<N, T>(nodes: readonly N[], fn: (node: N) => Promise<T>): Promise<T[]> {
  const failures: unknown[] = [];
  const settled = await Promise.allSettled(
    nodes.map((n) =>
      fn(n).catch((err: unknown) => {
        failures.push(err);
        throw err;
      }),
    ),
  );
  if (failures.length > 0) throw failures[0];
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

export type Settled<N, T> = { node: N; ok: true; value: T } | { node: N; ok: false; error: unknown };

/**
 * `fn` on every node at once; every node's outcome, in node order, nothing thrown. For a check
 * that must report every node (a failure on one must not hide what another showed).
 */
export async function settleEach<N, T>(nodes: readonly N[], fn: (node: N) => Promise<T>): Promise<Settled<N, T>[]> {
  const settled = await Promise.allSettled(nodes.map((n) => fn(n)));
  return settled.map((s, i) => (s.status === 'fulfilled' ? { node: nodes[i]!, ok: true, value: s.value } : { node: nodes[i]!, ok: false, error: s.reason }));
}
