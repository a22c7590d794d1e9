import { InterruptedError } from '../../errors.js';

/**
 * Turn SIGINT/SIGTERM into an abort, once. The handlers stay installed until `release()`: a
 * terminal's Ctrl-C reaches tsx too, which relays a second SIGINT that would otherwise kill us
 * half-way through removing the lab.
 */
/** The signal that interrupted this run, if one did: the exit status says so (128 + its number). */
export let interruptedBy: NodeJS.Signals | undefined;
/** When it came (ISO): results that ended after it were cut short, not judged. */
export let interruptedAt: string | undefined;

export function abortOnSignals(say: (m: string) => void, what: string): { signal: AbortSignal; release(): void } {
  const ac = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (ac.signal.aborted) return;
    interruptedBy = sig;
    interruptedAt = new Date().toISOString();
    say(`interrupted: ${what} …`);
    ac.abort(new InterruptedError(sig, interruptedAt));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: ac.signal,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
