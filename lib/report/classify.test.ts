import { matchCategory, normalizeCategoriesConfig, type CategoryRule } from '@allurereport/core-api';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../exit-codes.js';
import {
  CANCELLED_LABEL,
  DRBDLAB_CATEGORIES,
  FAILURE_KIND_LABEL,
  cancelResult,
  INFRA_MESSAGE_PATTERNS,
  failureKindOf,
  reclassify,
  reportStatus,
  rootMessage,
  runExitCode,
  type AllureResult,
  type AllureStatus,
} from './classify.js';
import { CommandTimeoutError, UpstreamUnavailableError, WaitTimeoutError, RemoteCommandError } from '../errors.js';
import { StepError } from '../scenario/step.js';

const result = (status: AllureStatus, message: string, labels: Record<string, string> = {}, steps: AllureResult['steps'] = []): AllureResult => ({
  uuid: 'u1',
  name: 'walkthrough [debian12-drbd84]',
  status,
  statusDetails: { message, trace: `Error: ${message}\n    at x.ts:1:1` },
  labels: [{ name: 'feature', value: 'walkthrough' }, ...Object.entries(labels).map(([name, value]) => ({ name, value }))],
  steps,
});

// Messages as the real error classes build them (allure-vitest writes err.message).
const sshTimeout = new StepError('0. boot', new WaitTimeoutError('SSH and cloud-init', 240_000, 'connection refused', 'drbd1')).message;
const upstream = new UpstreamUnavailableError('ppa.launchpad.net', 'HTTP 404: no longer published there').message;
const productCmd = new StepError('0. DRBD stack', new RemoteCommandError('drbd1', 'drbdadm --version', 1, '', 'bash: drbdadm: command not found')).message;
const drbdTimeout = new StepError('20. create-md', new CommandTimeoutError('drbd2', 'sudo drbdadm up r0', 120_000)).message;
const setupTimeout = new StepError('20. create-md', new CommandTimeoutError('drbd2', 'sudo lvcreate -n r0 -L 1G drbdpool', 120_000, 'infrastructure')).message;
const productWait = new StepError('22. resync', new WaitTimeoutError('r0 UpToDate on drbd2', 60_000, 'SyncTarget 40%', 'drbd2', 'product')).message;

describe('rootMessage', () => {
  it('strips step prefixes (titles with quotes too) and the node prefix of a timeout', () => {
    expect(rootMessage(sshTimeout)).toBe('timed out after 240 s waiting for SSH and cloud-init; last seen: connection refused');
    expect(rootMessage('step "24. drbd.service: "please disable."" failed: step "inner" failed: upstream unavailable: x: y')).toBe('upstream unavailable: x: y');
  });
  it('keeps a node prefix that is not before a timeout or upstream message', () => {
    expect(rootMessage(productCmd)).toMatch(/^drbd1: `drbdadm --version` exited 1/);
  });
});

describe('failureKindOf / reportStatus', () => {
  it('product errors (StepError over RemoteCommandError/WaitTimeoutError of kind product) are failed, not broken', () => {
    // allure-vitest says "broken": the serialized StepError does not look like an assertion.
    expect(reportStatus(result('broken', productCmd, { [FAILURE_KIND_LABEL]: 'product' }))).toBe('failed');
    expect(reportStatus(result('broken', productWait, { [FAILURE_KIND_LABEL]: 'product' }))).toBe('failed');
  });
  it('infrastructure errors are broken, by label or by message', () => {
    expect(reportStatus(result('failed', 'expected assert-like text', { [FAILURE_KIND_LABEL]: 'infrastructure' }))).toBe('broken');
    expect(reportStatus(result('broken', sshTimeout))).toBe('broken');
    expect(reportStatus(result('failed', sshTimeout))).toBe('broken'); // e.g. a message with "assert" in it
    expect(reportStatus(result('failed', upstream))).toBe('broken');
    expect(failureKindOf(result('broken', upstream))).toBe('infrastructure');
    expect(failureKindOf(result('broken', sshTimeout))).toBe('infrastructure');
  });
  it('a reboot that never comes back is infrastructure; a product wait on a node is not', () => {
    const reboot = new WaitTimeoutError('the node to come back with a new boot_id', 240_000, 'old boot_id', 'drbd2').message;
    expect(failureKindOf(result('broken', reboot))).toBe('infrastructure');
    expect(failureKindOf(result('broken', productWait))).toBeUndefined();
  });
  it('usage errors are broken', () => {
    expect(reportStatus(result('failed', 'lab.yaml: nodes: required', { [FAILURE_KIND_LABEL]: 'usage' }))).toBe('broken');
  });
  it('without a kind, allure-vitest\'s verdict stays: assertions failed, a TypeError broken', () => {
    expect(reportStatus(result('failed', 'step "21. mkfs" failed: expected 7001 to be 7000'))).toBe('failed');
    expect(reportStatus(result('broken', "step \"20. up\" failed: Cannot read properties of undefined (reading 'peerDisk')"))).toBe('broken');
  });
  it('passed and skipped results are never touched, whatever the labels say', () => {
    expect(reportStatus(result('passed', '', { [FAILURE_KIND_LABEL]: 'product' }))).toBe('passed');
    expect(reportStatus(result('skipped', upstream))).toBe('skipped');
  });
  it('an unknown label value is ignored', () => {
    expect(failureKindOf(result('broken', 'x', { [FAILURE_KIND_LABEL]: 'weird' }))).toBeUndefined();
  });
});

describe('reclassify', () => {
  it('moves the test and the steps the error went through; passed steps and the input stay as they were', () => {
    const inner = { name: 'expect', status: 'broken' as const, steps: [] };
    const r = result('broken', productCmd, { [FAILURE_KIND_LABEL]: 'product' }, [
      { name: '0. setup', status: 'passed', steps: [] },
      { name: '0. DRBD stack', status: 'broken', statusDetails: { message: productCmd }, steps: [inner] },
    ]);
    const before = JSON.stringify(r);
    const { result: out, changed } = reclassify(r);
    expect(changed).toBe(true);
    expect(out.status).toBe('failed');
    expect(out.steps!.map((s) => s.status)).toEqual(['passed', 'failed']);
    expect(out.steps![1]!.steps![0]!.status).toBe('failed');
    expect(JSON.stringify(r)).toBe(before);
  });
  it('returns the same object when nothing changes', () => {
    const r = result('broken', sshTimeout);
    expect(reclassify(r)).toEqual({ result: r, changed: false });
  });
});

describe('DRBDLAB_CATEGORIES', () => {
  // Allure's own matcher, as the report generator runs it over the categories drbdlab gives it.
  const categories = normalizeCategoriesConfig({ rules: DRBDLAB_CATEGORIES as CategoryRule[] });
  const categoryOf = (r: AllureResult) =>
    matchCategory(categories, { status: r.status ?? 'unknown', labels: r.labels ?? [], message: r.statusDetails?.message, trace: r.statusDetails?.trace, flaky: false })?.id;

  it('splits broken infrastructure (upstream, boot, other) from failed DRBD and broken harness', () => {
    expect(categoryOf(result('broken', upstream))).toBe('infra-upstream');
    expect(categoryOf(result('broken', `step "7. PPA" failed: ${upstream}`))).toBe('infra-upstream');
    expect(categoryOf(result('broken', sshTimeout))).toBe('infra-boot');
    expect(categoryOf(result('broken', 'qemu-img: no space', { [FAILURE_KIND_LABEL]: 'infrastructure' }))).toBe('infra-other');
    expect(categoryOf({ ...result('broken', 'command failed: virsh'), labels: [{ name: 'feature', value: 'lab' }] })).toBe('infra-other');
    expect(categoryOf(result('failed', productCmd, { [FAILURE_KIND_LABEL]: 'product' }))).toBe('product');
    expect(categoryOf(result('broken', 'TypeError: x is undefined'))).toBe('harness');
    // A DRBD command that hung: failed, marked "timed out"; a setup helper's hang is the lab's.
    expect(drbdTimeout).toMatch(/`sudo drbdadm up r0` timed out after 120 s/);
    expect(categoryOf(result('failed', drbdTimeout, { [FAILURE_KIND_LABEL]: 'product' }))).toBe('product-timeout');
    expect(reportStatus(result('broken', setupTimeout, { [FAILURE_KIND_LABEL]: 'infrastructure' }))).toBe('broken');
    expect(categoryOf(result('broken', setupTimeout, { [FAILURE_KIND_LABEL]: 'infrastructure' }))).toBe('infra-other');
    // Interrupted: its own category, neither failed nor broken.
    expect(categoryOf(result('skipped', 'cancelled by SIGINT', { [CANCELLED_LABEL]: 'SIGINT' }))).toBe('cancelled');
    expect(categoryOf(result('skipped', 'skipped by the test'))).toBeUndefined();
    expect(categoryOf(result('passed', ''))).toBeUndefined();
  });
  it('a broken result with a kind label that is not infrastructure or usage is the harness\'s, not the lab\'s', () => {
    expect(categoryOf(result('broken', 'x', { [FAILURE_KIND_LABEL]: 'weird' }))).toBe('harness');
    expect(categoryOf(result('broken', 'x', { [FAILURE_KIND_LABEL]: 'infrastructure-ish' }))).toBe('harness');
    expect(categoryOf(result('broken', 'x', { [FAILURE_KIND_LABEL]: 'usage' }))).toBe('infra-other');
  });
  it('the message patterns are valid regexps anchored at the start', () => {
    for (const p of Object.values(INFRA_MESSAGE_PATTERNS)) expect(p.startsWith('^')).toBe(true);
    expect(JSON.parse(JSON.stringify(DRBDLAB_CATEGORIES))).toEqual(DRBDLAB_CATEGORIES);
  });
});

describe('cancelResult', () => {
  const at = '2026-11-28T21:00:00.000Z';
  const c = { signal: 'SIGINT', at };
  const ended = (status: AllureStatus, stop: number, message = 'drbd1: `sudo drbdadm status r0`: SSH connection failed: ECONNRESET') => ({
    ...result(status, message, {}, [{ name: '22. resync', status }]),
    stop,
  });

  it('a test that did not pass and ended after the signal is cancelled: skipped, labelled, its own message kept', () => {
    const { result: r, changed } = cancelResult(ended('broken', Date.parse(at) + 1_500), c);
    expect(changed).toBe(true);
    expect(r.status).toBe('skipped');
    expect(r.steps![0]!.status).toBe('skipped');
    expect(r.labels).toContainEqual({ name: CANCELLED_LABEL, value: 'SIGINT' });
    expect(r.statusDetails!.message).toBe(`cancelled by SIGINT at ${at}: no verdict (neither failed nor broken)\n(what the interrupted test reported: drbd1: \`sudo drbdadm status r0\`: SSH connection failed: ECONNRESET)`);
  });
  it('a failure before the signal keeps its verdict; a pass stays a pass', () => {
    expect(cancelResult(ended('failed', Date.parse(at) - 1), c).changed).toBe(false);
    expect(cancelResult(ended('passed', Date.parse(at) + 1), c).changed).toBe(false);
    expect(cancelResult({ ...ended('failed', 0), stop: undefined }, c).changed).toBe(false);
  });
});

describe('runExitCode', () => {
  it('failed (DRBD) beats broken (infrastructure) and an unreadable result; broken or unreadable beats a pass', () => {
    expect(runExitCode(1, ['passed', 'broken', 'failed'], 1)).toBe(EXIT.failed);
    expect(runExitCode(1, ['passed', 'broken'])).toBe(EXIT.broken);
    expect(runExitCode(1, ['passed'], 1)).toBe(EXIT.broken);
    // vitest itself green, a result file that does not read: no green run.
    expect(runExitCode(0, ['passed'], 1)).toBe(EXIT.broken);
    expect(runExitCode(0, ['passed', 'skipped'])).toBe(EXIT.ok);
    // vitest failed without a failed or broken result (a file that failed to load): failed.
    expect(runExitCode(1, ['passed'])).toBe(EXIT.failed);
    expect(runExitCode(1, [])).toBe(EXIT.failed);
  });
});

describe('edges of the classification', () => {
  it('a result file written by an earlier run (label by its literal name) is classified the same', () => {
    // What allure-results on disk hold; the label name is part of that format, not of this module.
    const stored = JSON.parse(
      '{"uuid":"u2","name":"walkthrough","status":"broken","statusDetails":{"message":"drbd1: `drbdadm up r0` exited 10"},"labels":[{"name":"failureKind","value":"product"}]}',
    ) as AllureResult;
    expect(reportStatus(stored)).toBe('failed');
  });

  it('a result without labels or status details (a legacy or hand-made file) keeps its verdict, no TypeError', () => {
    expect(reportStatus({ uuid: 'u', name: 'n', status: 'broken' })).toBe('broken');
    expect(reportStatus({ uuid: 'u', name: 'n', status: 'failed', statusDetails: {} })).toBe('failed');
    expect(failureKindOf({ uuid: 'u', name: 'n', status: 'broken', statusDetails: { message: upstream } })).toBe('infrastructure');
  });

  it('rootMessage: leading blanks go; a step or node prefix counts only at the start', () => {
    expect(rootMessage(`\n  ${sshTimeout}`)).toBe('timed out after 240 s waiting for SSH and cloud-init; last seen: connection refused');
    // Remote output that quotes a step failure or a node's timeout is the message itself.
    const quoting = 'drbd1: `sudo /usr/local/bin/check` exited 1\n  drbd2: timed out after 5 s waiting for x; step "a" failed: b';
    expect(rootMessage(quoting)).toBe(quoting);
  });

  it('rootMessage: a step title ends at the first `" failed: `; what the error says after it stays whole', () => {
    // The error of step 24 quotes something followed by " failed: " itself.
    const inner = 'drbd1: `sudo systemctl start drbd` exited 1\n  unit "drbd.service" failed: see journalctl';
    expect(rootMessage(`step "24. drbd.service" failed: ${inner}`)).toBe(inner);
  });

  it('cancelResult: a test that stopped in the very millisecond of the signal is cancelled too', () => {
    const at = '2026-11-28T21:00:00.000Z';
    const r = { ...result('broken', 'x'), stop: Date.parse(at) };
    expect(cancelResult(r, { signal: 'SIGTERM', at }).changed).toBe(true);
  });

  it('cancelResult: without a message of its own only the sentence; labels kept, the cancelled one added', () => {
    const at = '2026-11-28T21:00:00.000Z';
    const bare: AllureResult = { uuid: 'u', name: 'n', status: 'broken', stop: Date.parse(at) + 1 };
    const { result: r } = cancelResult(bare, { signal: 'SIGINT', at });
    expect(r.statusDetails!.message).toBe(`cancelled by SIGINT at ${at}: no verdict (neither failed nor broken)`);
    expect(r.labels).toEqual([{ name: CANCELLED_LABEL, value: 'SIGINT' }]);
    const labelled = cancelResult({ ...result('failed', 'y'), stop: Date.parse(at) + 1 }, { signal: 'SIGINT', at }).result;
    expect(labelled.labels).toEqual([{ name: 'feature', value: 'walkthrough' }, { name: CANCELLED_LABEL, value: 'SIGINT' }]);
  });
});
