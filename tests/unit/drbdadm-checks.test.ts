// Every check of the drbdadm scenario bodies can fail. Each case below changes one recorded
// answer of a real recording (here in the test, the file stays as recorded) so that the check
// it names has something to refuse, and replays the scenario through defineScenario's own code
// (tests/support/mutation.ts): the run must fail at that step, on that check. The unchanged
// recordings replay green in the `replay` project and in fault-replay.test.ts.
// Also: what a passing run puts into the report (step titles, attachments, parameters) is there
// and says something.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AllureStep } from '../../lib/report/classify.js';
import type { ScenarioBody, ScenarioOptions } from '../../lib/scenario/define-scenario.js';
import { readRecording, type Recording } from '../../lib/scenario/recording.js';
import type { CommandRecord } from '../../lib/ssh/command-record.js';
import { drbdadmServices } from '../../scenarios/steps/drbdadm/services.js';
import { R0_UP } from '../../scenarios/steps/drbdadm/start.js';
import { at, firstIndex, mutate, replayThroughDefineScenario, type Edit } from '../support/mutation.js';

const RECORDINGS = join(import.meta.dirname, '../../scenarios/recordings');
const FROM_R0_UP: ScenarioOptions = { from: { drbdadm: R0_UP } };

function real(file: string): Recording {
  const recording = readRecording(join(RECORDINGS, file));
  expect(recording.evidence).toBe('real');
  return recording;
}

/** One check and the change of the recording that must make it fail. */
interface Check {
  check: string;
  edits: Edit[];
  /** The step that must fail (start of its title). */
  step: RegExp;
  /** What the failure must say. */
  message: RegExp;
}

/** Each check fails its step when its answer is changed; nothing else fails first. */
function checksOf(scenario: string, file: string, body: ScenarioBody, opts: ScenarioOptions, checks: Check[]): void {
  for (const c of checks) {
    it(c.check, async () => {
      const red = await replayThroughDefineScenario(mutate(real(file), c.edits), body, { scenario, opts });
      expect(red.err, 'the changed recording fails').toBeInstanceOf(Error);
      const message = (red.err as Error).message;
      expect(message).toMatch(new RegExp(`^step "${c.step.source}`, 'u'));
      expect(message).toMatch(c.message);
    });
  }
}

/** A record's output with `from` replaced by `to` (an edit that finds nothing to replace is caught by mutate). */
const replaced = (from: string | RegExp, to: string) => (c: CommandRecord) => ({ stdout: c.stdout.replace(from, to), stderr: c.stderr.replace(from, to) });

/** Every step, attachment and parameter of a result, steps depth first. */
function walk(step: AllureStep, out: AllureStep[] = []): AllureStep[] {
  for (const s of step.steps ?? []) {
    out.push(s);
    walk(s, out);
  }
  return out;
}

/**
 * A passing replay's report: every step has a title, every attachment a name, a content type
 * and content, every parameter a name and a value; the scenario's own steps are all there.
 */
async function expectReportSaysSomething(scenario: string, file: string, body: ScenarioBody, opts: ScenarioOptions, steps: RegExp[], replay: Parameters<typeof replayThroughDefineScenario>[2] = {}) {
  const green = await replayThroughDefineScenario(real(file), body, { scenario, opts, ...replay });
  expect(green.err).toBeUndefined();
  const all = walk(green.result);
  const titles = all.map((s) => s.name ?? '');
  for (const t of titles) expect(t.trim(), `a step title of ${titles.join(' | ')}`).not.toBe('');
  for (const s of steps) expect(titles.filter((t) => s.test(t)), `steps titled ${s}`).toHaveLength(1);
  const attachments = [green.result, ...all].flatMap((s) => (s.attachments ?? []) as { name: string; source: string; type: string }[]);
  for (const a of attachments) {
    expect(a.name.trim(), 'attachment name').not.toBe('');
    expect(a.type, `${a.name}: content type`).toMatch(/^[a-z]+\/[\w.+-]+$/u);
    expect((await readFile(join(green.resultsDir, a.source), 'utf8')).trim(), `${a.name}: content`).not.toBe('');
  }
  const parameters = [green.result, ...all].flatMap((s) => (s.parameters ?? []) as { name: string; value: string }[]);
  for (const p of parameters) {
    expect(p.name.trim(), 'parameter name').not.toBe('');
    expect(p.value.trim(), `${p.name}: value`).not.toBe('');
  }
  return { attachments, parameters, green };
}

describe('services (scenario 4)', () => {
  const FILE = 'services.debian12-drbd84.json';
  const DESCRIPTION = '○ drbd.service - DRBD -- please disable. Unless you are NOT using a cluster manager.';

  it('a passing run reports every step, attachment and parameter with something in it', async () => {
    const { attachments } = await expectReportSaysSomething('services', FILE, drbdadmServices, FROM_R0_UP, [/^24\. drbd\.service: /u, /^25\. drbdmanaged\.service: /u, /^drbd@r0\.target: /u]);
    expect(attachments.map((a) => a.name)).toContain('drbdmanaged.service on debian12-drbd84');
  });

  checksOf('services', FILE, drbdadmServices, FROM_R0_UP, [
    {
      check: "drbd.service's description is not the package's \"please disable\"",
      edits: [{ what: 'another description', match: (c, i, all) => i === firstIndex(all, at('systemctl status drbd.service --no-pager')), change: replaced(DESCRIPTION, '○ drbd.service - DRBD') }],
      step: /24\. drbd\.service/u,
      message: /to contain 'drbd\.service - DRBD -- please disable/u,
    },
    {
      check: 'drbd.service would not run the legacy script at boot',
      edits: [{ what: 'another ExecStart', match: at('systemctl show -p UnitFileState,ActiveState,ExecStart drbd.service'), change: replaced('argv[]=/lib/drbd/scripts/drbd start', 'argv[]=/usr/sbin/drbdadm adjust all') }],
      step: /24\. drbd\.service/u,
      message: /to contain '\/lib\/drbd\/scripts\/drbd start'/u,
    },
    {
      check: 'drbdmanaged.service missing for another reason than "could not be found"',
      edits: [{ what: 'another stderr, same exit code', match: at('systemctl status drbdmanaged.service --no-pager'), change: () => ({ stderr: 'Failed to get properties: Access denied' }) }],
      step: /25\. drbdmanaged\.service/u,
      message: /expected 'Failed to get properties: Access deni…' to contain 'Unit drbdmanaged\.service could not be/u,
    },
    {
      check: 'enabling drbd@r0.target says nothing of the unit',
      edits: [{ what: 'systemctl enable prints nothing', match: at('sudo systemctl enable drbd@r0.target 2>&1'), change: () => ({ stdout: '' }) }],
      step: /drbd@r0\.target: brings r0 up at boot/u,
      message: /to contain 'drbd@r0\.target'/u,
    },
  ]);

  describe('on a lab that goes on: the restore step', () => {
    /** The recording with the restore step's commands answered where the scenario ends (before the end-of-scenario kernel-log reads). */
    function withRestore(disabled: { primary?: string; secondary?: string } = {}): Recording {
      const recording = real(FILE);
      const end = recording.commands.findIndex((c, i, all) => i > firstIndex(all, at('#reboot')) && at('sudo drbdadm status r0', 'drbd1')(c)) + 1;
      expect(end).toBeGreaterThan(0);
      const restore: CommandRecord[] = [
        ['drbd1', 'sudo systemctl disable drbd@r0.target 2>&1', 0, 'Removed "/etc/systemd/system/multi-user.target.wants/drbd@r0.target".'],
        // systemctl is-enabled exits 1 for a disabled unit.
        ['drbd1', 'systemctl is-enabled drbd@r0.target', 1, disabled.primary ?? 'disabled'],
        ['drbd2', 'systemctl is-enabled drbd.service', 1, disabled.secondary ?? 'disabled'],
        ['drbd1', 'sudo drbdadm primary r0', 0, ''],
        ['drbd1', 'sudo mount /dev/drbd100 /mnt/r0', 0, ''],
      ].map(([node, command, exitCode, stdout]) => ({ ...recording.commands[end - 1]!, node: node as string, command: command as string, exitCode: exitCode as number, stdout: stdout as string, stderr: '' }));
      recording.commands.splice(end, 0, ...restore);
      return recording;
    }

    it('restores the services as installed, drbd1 Primary and mounted, and passes', async () => {
      const r = await replayThroughDefineScenario(withRestore(), drbdadmServices, { scenario: 'services', opts: FROM_R0_UP, shared: true });
      expect(r.err).toBeUndefined();
      expect(r.remaining).toBe(0);
      expect(walk(r.result).map((s) => s.name)).toContain('restore: services as installed, first node Primary and mounted');
    });

    it('fails when drbd@r0.target stays enabled', async () => {
      const r = await replayThroughDefineScenario(withRestore({ primary: 'enabled' }), drbdadmServices, { scenario: 'services', opts: FROM_R0_UP, shared: true });
      expect((r.err as Error).message).toMatch(/^step "restore: services as installed[^\n]*: expected 'enabled' to be 'disabled'/u);
    });

    it("fails when drbd2's drbd.service is enabled", async () => {
      const r = await replayThroughDefineScenario(withRestore({ secondary: 'enabled' }), drbdadmServices, { scenario: 'services', opts: FROM_R0_UP, shared: true });
      expect((r.err as Error).message).toMatch(/^step "restore: services as installed[^\n]*: expected 'enabled' to be 'disabled'/u);
    });

    it('a run on a restored cluster (not shared) has no restore step', async () => {
      const r = await replayThroughDefineScenario(real(FILE), drbdadmServices, { scenario: 'services', opts: FROM_R0_UP, shared: false });
      expect(r.err).toBeUndefined();
      expect(walk(r.result).map((s) => s.name)).not.toContain('restore: services as installed, first node Primary and mounted');
    });
  });
});
