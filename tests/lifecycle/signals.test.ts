// Lifecycle faults on real VMs, through the CLI as a user runs it: a signal at each phase of
// `up` and of the nightly job, then the next command → nothing of that lab is left anywhere.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { cli, runCli } from '../support/cli.js';
import { useLifecycleEnv } from '../support/lifecycle-env.js';

type Signal = 'SIGINT' | 'SIGTERM' | 'SIGKILL';
const SIGNALS: Signal[] = ['SIGINT', 'SIGTERM', 'SIGKILL'];

const t = useLifecycleEnv();

interface Phase {
  name: string;
  command: string[];
  /** Printed when the phase has begun. */
  marker: RegExp;
  /** How long into the phase the signal comes. */
  afterMs: number;
  env?: () => Record<string, string>;
}

const PHASES: Phase[] = [
  // A cold cache: mmdebstrap is running, with proc and sys mounted in its chroot.
  { name: 'image build', command: ['up'], marker: /mmdebstrap bookworm/, afterMs: 8_000, env: () => ({ DRBDLAB_CACHE: t.lc.coldCache }) },
  { name: 'clone', command: ['up'], marker: /cloning \d+ nodes/, afterMs: 0 },
  { name: 'define', command: ['up'], marker: /defining \d+ domains/, afterMs: 0 },
  { name: 'start', command: ['up'], marker: /starting drbd1, drbd2, drbd3/, afterMs: 0 },
  { name: 'readiness', command: ['up'], marker: /waiting for SSH and cloud-init/, afterMs: 15_000 },
  // Scenarios run on clusters restored by vitest's workers: the signal comes once one is restored.
  { name: 'scenarios', command: ['nightly', '--profile', 'debian12-drbd84', 'scenarios/03-hostname-pitfall.test.ts'], marker: /\[hostname\] lab [0-9a-f]{6}: waiting for SSH/, afterMs: 20_000 },
];

describe.each(PHASES)('a signal during $name', (phase) => {
  it.each(SIGNALS)('%s: nothing of the lab is left (after the next command for SIGKILL)', async (sig) => {
    const env = { ...t.lc.env, ...(phase.env?.() ?? {}) };
    const run = runCli(phase.command, env);
    await run.waitFor(phase.marker, 20 * 60_000);
    if (phase.afterMs) await delay(phase.afterMs);
    const sentAt = Date.now();
    run.child.kill(sig);
    const exit = await run.exit;
    // The lab this run had when the signal came: the last it made (a nightly that first makes a
    // cluster snapshot has disposed of that maker lab already; labs it reaped on its way in are not its own).
    const labId = [...run.output().matchAll(/lab ([0-9a-f]{6}): (cloning|restoring)/g)].at(-1)?.[1];
    if (sig === 'SIGKILL') {
      expect(exit.signal).toBe('SIGKILL');
      // The next drbdlab command on the host reaps what the killed process owned.
      const next = await cli(['status'], env);
      expect(next.exitCode, next.output).toBe(0);
      if (labId) expect(next.output).toMatch(new RegExp(`reaped lab ${labId} \\(its owner, pid \\d+, is gone\\)`));
      if (phase.name === 'image build') expect(next.output).toMatch(/reaped .*\.building-\d+-\d+ \(an image build of pid \d+ that is gone\)/);
    } else {
      // Interrupted: it cleans up after itself and exits as a shell reports the signal, in bounded time.
      expect(exit.exitCode, run.output()).toBe(sig === 'SIGINT' ? 130 : 143);
      expect(run.output()).toMatch(/interrupted/);
      expect(exit.atMs - sentAt).toBeLessThan(180_000);
      if (phase.command[0] === 'nightly') {
        // Cancelled, neither failed nor broken: the run says so, and so do its summary and results.
        expect(run.output()).toMatch(new RegExp(`scenarios: cancelled \\(${sig}\\): no verdict`));
        const summary = await readFile(join(t.lc.reportsDir, 'summary.md'), 'utf8');
        expect(summary.split('\n')[2]).toMatch(new RegExp(`^\\*\\*Run cancelled by ${sig} at `));
        expect(summary).not.toMatch(/\d+ (failed|broken) \(/);
      }
    }
    expect(await t.lc.look()).toEqual(t.before);
  });
});
