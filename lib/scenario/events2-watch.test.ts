import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { WaitTimeoutError } from '../errors.js';
import type { ScenarioNode } from './scenario-lab.js';
import { VirtualClock } from './replay-lab.js';
import { DrbdParseError } from '../drbd/errors.js';
import { Events2Watch, WatcherStartError } from './events2-watch.js';

const STREAM = readFileSync(new URL('../drbd/fixtures/drbdsetup-events2-84-timestamps-statistics-resync.txt', import.meta.url), 'utf8');

/** A node whose file fills in as the watcher "runs"; records the commands it was given. */
function fakeNode(startOutput: string, reads: string[]) {
  const commands: string[] = [];
  const exec = async (command: string) => {
    commands.push(command);
    const stdout = command.startsWith('sudo sh -c') ? `${startOutput}\n` : command.startsWith('cat ') ? (reads.length > 1 ? reads.shift()! : reads[0]!) : '';
    return { stdout, stderr: '', exitCode: 0, durationMs: 1 };
  };
  const node: ScenarioNode = {
    name: 'drbd1', replicationIp: '10.255.255.101', exec,
    output: async (c) => (await exec(c)).stdout.trim(),
    reboot: async () => undefined, consoleLog: async () => '',
    replicationLink: async () => undefined, powerOff: async () => undefined, powerOn: async () => undefined,
  };
  return { node, commands };
}

it('starts in the background, waits for the initial dump, stops by PID', async () => {
  const armed = STREAM.split('\n').slice(0, 5).join('\n');
  const { node, commands } = fakeNode('4711', ['', armed, STREAM]);
  const w = await Events2Watch.start(node, 'r0', new VirtualClock(), 1);
  expect(commands[0]).toBe(`sudo sh -c 'nohup drbdsetup events2 --timestamps --statistics r0 </dev/null >/tmp/r0.events 2>&1 & echo $!'`);
  expect(commands.filter((c) => c === 'cat /tmp/r0.events')).toHaveLength(2);
  expect(w.running).toBe(true);
  expect(await w.stop()).toBe(STREAM.trim());
  expect(commands.at(-2)).toBe('sudo kill 4711');
  expect(w.running).toBe(false);
});

it('no PID: a typed product error naming the node and what it printed, nothing to stop', async () => {
  const { node, commands } = fakeNode('sh: 1: drbdsetup: not found', ['']);
  const err = await Events2Watch.start(node, 'r0', new VirtualClock(), 1).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WatcherStartError);
  expect(err).toMatchObject({ kind: 'product', node: 'drbd1', output: 'sh: 1: drbdsetup: not found' });
  expect((err as Error).message).toBe('drbd1: drbdsetup events2 watcher did not start (expected a PID, got "sh: 1: drbdsetup: not found")');
  expect(commands.filter((c) => c.startsWith('cat ') || c.includes('kill'))).toEqual([]);
});

it('a PID is the whole answer: digits with anything before or after are no PID', async () => {
  for (const out of ['nohup: ignoring input 4711', '4711 Killed']) {
    const { node } = fakeNode(out, ['']);
    await expect(Events2Watch.start(node, 'r0', new VirtualClock(), 1), out).rejects.toBeInstanceOf(WatcherStartError);
  }
});

it('never armed: a product timeout naming the wait and the last line it saw', async () => {
  const { node } = fakeNode('4711', ['exists resource name:r0 role:Secondary suspended:no\n']);
  const err = await Events2Watch.start(node, 'r0', new VirtualClock(), 1).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WaitTimeoutError);
  expect((err as WaitTimeoutError).kind).toBe('product');
  expect((err as WaitTimeoutError).lastSeen).toBe('exists resource name:r0 role:Secondary suspended:no');
  expect((err as Error).message).toContain('r0 events2 watcher armed');
});

it('a file that stays empty: the timeout says no output yet', async () => {
  const { node } = fakeNode('4711', ['']);
  const err = await Events2Watch.start(node, 'r0', new VirtualClock(), 1).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WaitTimeoutError);
  expect((err as WaitTimeoutError).lastSeen).toBe('no output yet');
});

it('output that is not events2 fails at once, not by timing out', async () => {
  const { node } = fakeNode('4711', ['Unknown command events2']);
  await expect(Events2Watch.start(node, 'r0', new VirtualClock(), 1)).rejects.toBeInstanceOf(DrbdParseError);
});
