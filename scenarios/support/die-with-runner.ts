// A fork worker whose vitest is gone (killed with the nightly, SIGKILL included) stops as well,
// instead of going on restoring clusters that no sweep will see; the reaper removes what it
// owned (its labs carry the nightly's pid as owner). Once per process: setup files run per file.
const key = Symbol.for('drbdlab.dieWithRunner');
const g = globalThis as { [key]?: true };
if (process.connected && !g[key]) {
  g[key] = true;
  process.once('disconnect', () => process.exit(143));
}
