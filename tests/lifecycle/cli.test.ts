// The CLI as users and CI call it, on real VMs: every command exits when its work is done, and
// two nightly jobs on one host both pass without touching each other. Both run on restored
// clusters (the snapshots the scenarios phase uses): what is under test is the commands' exits
// and the jobs' isolation, not the boot (tests/integration/lab.test.ts boots a lab fresh, and
// signals.test.ts interrupts a fresh `up` at each of its phases).
import { mkdtemp } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { cli, runCli } from '../support/cli.js';
import { useLifecycleEnv } from '../support/lifecycle-env.js';

const t = useLifecycleEnv();

describe('every command exits when its work is done', () => {
  it('up returns within seconds of the lab being ready; status, ssh, doctor and down exit too', async () => {
    const up = runCli(['up', '--snapshot'], t.lc.env);
    const [, labId] = await up.waitFor(/lab ([0-9a-f]{6}) up in \d+ s/, 20 * 60_000);
    const readyAt = Date.now();
    expect(up.output(), 'a restored lab, not a fresh boot').toMatch(new RegExp(`lab ${labId}: restoring 3 nodes from snapshot ready `));
    const exit = await Promise.race([up.exit, delay(60_000).then(() => undefined)]);
    if (!exit) up.child.kill('SIGKILL');
    expect(exit, `up still running 60 s after the lab was ready:\n${up.output()}`).toBeDefined();
    expect(exit!.exitCode, up.output()).toBe(0);
    expect(exit!.atMs - readyAt).toBeLessThan(15_000);

    const status = await cli(['status'], t.lc.env);
    expect(status.exitCode, status.output).toBe(0);
    expect(status.output).toMatch(new RegExp(`lab ${labId}  up .* kept for the user`));

    const ssh = await cli(['ssh', 'drbd1', 'hostname'], t.lc.env);
    expect(ssh.exitCode, ssh.output).toBe(0);
    expect(ssh.output.trim().split('\n').pop()).toBe('drbd1');

    // doctor's verdict on this host may be a failure; what counts here is that it ends.
    const doctor = await cli(['doctor'], t.lc.env, 300_000);
    expect(doctor.output).toMatch(/hypervisor/);

    // A user's lab is not reaped by later commands: it is still all there.
    expect((await t.lc.look()).domains.filter((d) => d.includes(labId!))).toHaveLength(3);

    const down = await cli(['down', '--lab', labId!], t.lc.env);
    expect(down.exitCode, down.output).toBe(0);
    expect(await t.lc.look()).toEqual(t.before);
  });
});

describe('two nightly jobs at once on one host', () => {
  it('both pass, each on its own restored cluster and reports folder, neither touching the other', async () => {
    // The shortest scenario (its starting point is the one the scenarios phase restores too).
    const scenario = 'scenarios/07-split-brain.test.ts';
    const jobs = await Promise.all(
      ['a', 'b'].map(async (name) => {
        const reports = await mkdtemp(join(t.lc.reportsDir, `job-${name}-`));
        return { reports, run: runCli(['nightly', '--profile', 'debian12-drbd84', scenario], { ...t.lc.env, DRBDLAB_REPORTS: reports }) };
      }),
    );
    const exits = await Promise.all(jobs.map((j) => j.run.exit));
    const ids = jobs.map((j) => /\[split-brain\] lab ([0-9a-f]{6}): restoring/.exec(j.run.output())?.[1]);
    for (const [i, j] of jobs.entries()) {
      expect(exits[i]!.exitCode, j.run.output()).toBe(0);
      expect(ids[i]).toBeDefined();
      expect(j.run.output()).not.toMatch(/reaped/);
      expect(j.run.output()).not.toContain(ids[1 - i]!);
      const results = join(j.reports, 'allure-results');
      expect(existsSync(results) && readdirSync(results).some((f) => f.endsWith('-result.json'))).toBe(true);
    }
    expect(ids[0]).not.toBe(ids[1]);
    expect(await t.lc.look()).toEqual(t.before);
  });
});
