import type { RemoteShell } from '../ssh/remote-shell.js';
import { pollUntil, scaled, type Clock } from '../wait/poll.js';
import { DrbdlabError } from '../errors.js';
import { parseEvents2 } from '../drbd/events2.js';

/** The background watcher did not print a PID: nothing to stop, nothing to read. */
export class WatcherStartError extends DrbdlabError {
  override readonly kind = 'product';
  constructor(
    readonly node: string,
    readonly output: string,
  ) {
    super(`${node}: drbdsetup events2 watcher did not start (expected a PID, got ${JSON.stringify(output)})`);
  }
}

/**
 * `drbdsetup events2 --timestamps --statistics RES` running in the background on a node, its
 * output in a file there. Started before a state change, it holds every state the change went
 * through, however fast (drbd-utils 9's drbdsetup hands 8.4 to drbdsetup-84, which has events2).
 */
export class Events2Watch {
  private stopped = false;
  private constructor(
    readonly node: RemoteShell,
    readonly resource: string,
    readonly file: string,
    readonly pid: number,
  ) {}

  /** Start the watcher and wait until it has dumped the initial state (`exists -`): armed. */
  static async start(node: RemoteShell, resource: string, clock: Clock, timeoutScale: number): Promise<Events2Watch> {
    const file = `/tmp/${resource}.events`;
    // nohup and closed stdio: the SSH command returns while the watcher keeps running.
    const out = await node.output(
      `sudo sh -c 'nohup drbdsetup events2 --timestamps --statistics ${resource} </dev/null >${file} 2>&1 & echo $!'`,
    );
    if (!/^\d+$/u.test(out)) throw new WatcherStartError(node.name, out);
    const watch = new Events2Watch(node, resource, file, Number(out));
    await pollUntil(
      `${resource} events2 watcher armed`,
      async () => {
        const text = await watch.read();
        const armed = parseEvents2(text).some((e) => e.kind === 'initial-state-done');
        return { done: armed, seen: text.trim().split('\n').pop() || 'no output yet' };
      },
      { timeoutMs: scaled(20_000, timeoutScale), intervalMs: 500, clock, target: node.name, kind: 'product' },
    );
    return watch;
  }

  get running(): boolean {
    return !this.stopped;
  }

  /** What the watcher has written so far. */
  read(): Promise<string> {
    return this.node.output(`cat ${this.file}`, { kind: 'infrastructure' });
  }

  /** Stop the watcher (it must still be running: a dead watcher may have missed events) and return its output. */
  async stop(): Promise<string> {
    this.stopped = true;
    await this.node.exec(`sudo kill ${this.pid}`);
    return this.read();
  }
}
