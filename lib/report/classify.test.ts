import { matchCategory, normalizeCategoriesConfig, type CategoryRule } from '@allurereport/core-api';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../exit-codes.js';
import {
  CANCELLED_LABEL,
  DRBDLAB_CATEGORIES,
  FAILURE_KIND_LABEL,
  FAILURE_LABELS,
  cancelResult,
  failureLabels,
  failureOf,
  reclassify,
  reportStatus,
  runExitCode,
  verdictOf,
  type AllureResult,
  type AllureStatus,
} from './classify.js';
import {
  CommandTimeoutError,
  DrbdlabError,
  failureFields,
  HostCommandError,
  InterruptedError,
  KernelLogError,
  RemoteCommandError,
  UpstreamUnavailableError,
  UsageError,
  WaitTimeoutError,
  type FailureFields,
  type FailureKind,
} from '../errors.js';
import { DrbdParseError } from '../drbd/errors.js';
import { PacemakerParseError } from '../pacemaker/parse-error.js';
import { StepError } from '../scenario/step.js';

/** The labels defineScenario writes for an error: its fields. */
const labelsOf = (err: DrbdlabError) => Object.fromEntries(failureLabels(failureFields(err)!).map((l) => [l.name, l.value]));

const result = (status: AllureStatus, message: string, labels: Record<string, string> = {}, steps: AllureResult['steps'] = []): AllureResult => ({
  uuid: 'u1',
  name: 'walkthrough [debian12-drbd84]',
  status,
  statusDetails: { message, trace: `Error: ${message}\n    at x.ts:1:1` },
  labels: [{ name: 'feature', value: 'walkthrough' }, ...Object.entries(labels).map(([name, value]) => ({ name, value }))],
  steps,
});
/** A result as allure-vitest writes it for a test that threw `err` (always "broken": no assertion), with its labels. */
const thrown = (err: DrbdlabError, status: AllureStatus = 'broken') => result(status, err.message, labelsOf(err));

// The real error classes, as scenarios and the lab throw them.
const sshTimeout = new StepError('0. boot', new WaitTimeoutError('SSH and cloud-init', 240_000, 'connection refused', 'drbd1', 'infrastructure', 'boot'));
const upstream = new UpstreamUnavailableError('ppa.launchpad.net', 'HTTP 404: no longer published there');
const productCmd = new StepError('0. DRBD stack', new RemoteCommandError('drbd1', 'drbdadm --version', 1, '', 'bash: drbdadm: command not found'));
const drbdTimeout = new StepError('20. create-md', new CommandTimeoutError('drbd2', 'sudo drbdadm up r0', 120_000));
const setupTimeout = new StepError('20. create-md', new CommandTimeoutError('drbd2', 'sudo lvcreate -n r0 -L 1G drbdpool', 120_000, 'infrastructure'));
const productWait = new StepError('22. resync', new WaitTimeoutError('r0 UpToDate on drbd2', 60_000, 'SyncTarget 40%', 'drbd2', 'product'));
const drbdParse = new StepError('17. drbdsetup status', new DrbdParseError('drbdsetup-status', 'unexpected indentation (3 spaces)', '   quorum:no', 4));
const interrupted = new InterruptedError('SIGINT', '2026-11-28T21:00:00.000Z');

const fields = (kind: FailureKind, more: Partial<FailureFields> = {}): FailureFields => ({ kind, timedOut: false, canceled: false, ...more });

describe('verdictOf: the verdict is a function of the fields', () => {
  it('each kind: product failed; infrastructure, usage, parse broken; interrupted cancelled', () => {
    expect(verdictOf(fields('product'))).toBe('failed');
    expect(verdictOf(fields('infrastructure'))).toBe('broken');
    expect(verdictOf(fields('usage'))).toBe('broken');
    expect(verdictOf(fields('parse'))).toBe('broken');
    expect(verdictOf(fields('interrupted'))).toBe('cancelled');
  });
  it('a timed-out product command is still failed; anything cancelled has no verdict', () => {
    expect(verdictOf(fields('product', { timedOut: true, command: 'sudo drbdadm up r0' }))).toBe('failed');
    expect(verdictOf(fields('infrastructure', { timedOut: true }))).toBe('broken');
    expect(verdictOf(fields('infrastructure', { canceled: true, signal: 'SIGTERM' }))).toBe('cancelled');
    expect(verdictOf(fields('product', { canceled: true }))).toBe('cancelled');
  });
});

describe('the error family: fields, not text', () => {
  it('a step carries its cause\'s fields: node, command, exit code, timed out', () => {
    expect(failureFields(productCmd)).toEqual({ kind: 'product', timedOut: false, canceled: false, node: 'drbd1', command: 'drbdadm --version', exitCode: 1 });
    expect(failureFields(drbdTimeout)).toEqual({ kind: 'product', timedOut: true, canceled: false, node: 'drbd2', command: 'sudo drbdadm up r0' });
    expect(failureFields(sshTimeout)).toEqual({ kind: 'infrastructure', timedOut: true, canceled: false, node: 'drbd1', topic: 'boot' });
    expect(failureFields(upstream)).toMatchObject({ kind: 'infrastructure', topic: 'upstream' });
  });
  it('an interruption is its own class: kind interrupted, cancelled, the signal as a field', () => {
    expect(interrupted).not.toBeInstanceOf(UsageError);
    expect(failureFields(interrupted)).toEqual({ kind: 'interrupted', timedOut: false, canceled: true, signal: 'SIGINT' });
    expect(reportStatus(thrown(interrupted))).toBe('skipped');
  });
  it('parse errors are of the family, of kind parse: broken', () => {
    expect(failureFields(drbdParse)?.kind).toBe('parse');
    expect(failureFields(new PacemakerParseError('crm_mon', 'no <summary> (not a cluster status)'))?.kind).toBe('parse');
    expect(reportStatus(thrown(drbdParse))).toBe('broken');
  });
  it('a host command stopped by an abort is interrupted; one that timed out is the lab\'s', () => {
    const canceled = new HostCommandError('mmdebstrap x', undefined, '', '', { canceled: true, signal: 'SIGTERM' });
    expect(failureFields(canceled)).toEqual({ kind: 'interrupted', timedOut: false, canceled: true, signal: 'SIGTERM', command: 'mmdebstrap x' });
    const hung = new HostCommandError('qemu-img convert', undefined, '', '', { timedOut: true, signal: 'SIGTERM' });
    expect(failureFields(hung)).toMatchObject({ kind: 'infrastructure', timedOut: true, canceled: false });
    expect(hung.stderr).toBe('');
  });
  it('the fields survive the labels: written and read back the same', () => {
    for (const err of [sshTimeout, upstream, productCmd, drbdTimeout, setupTimeout, productWait, drbdParse, interrupted]) {
      expect(failureOf({ labels: failureLabels(failureFields(err)!) })).toEqual(failureFields(err));
    }
  });
});

describe('reportStatus: from the labels, never the message', () => {
  it('product errors (a StepError over a product RemoteCommandError or WaitTimeoutError) are failed, not broken', () => {
    // allure-vitest says "broken": the serialized StepError does not look like an assertion.
    expect(reportStatus(thrown(productCmd))).toBe('failed');
    expect(reportStatus(thrown(productWait))).toBe('failed');
    expect(reportStatus(thrown(drbdTimeout))).toBe('failed');
  });
  it('infrastructure and usage errors are broken, whatever allure-vitest said', () => {
    expect(reportStatus(thrown(sshTimeout, 'failed'))).toBe('broken'); // e.g. a message with "assert" in it
    expect(reportStatus(thrown(upstream, 'failed'))).toBe('broken');
    expect(reportStatus(thrown(setupTimeout))).toBe('broken');
    expect(reportStatus(thrown(new UsageError('lab.yaml: nodes: required'), 'failed'))).toBe('broken');
  });
  it('the message is not read: an "upstream unavailable" text without labels keeps allure-vitest\'s verdict', () => {
    expect(reportStatus(result('failed', upstream.message))).toBe('failed');
    expect(reportStatus(result('failed', sshTimeout.message, { [FAILURE_KIND_LABEL]: 'product' }))).toBe('failed');
  });
  it('without a kind, allure-vitest\'s verdict stays: assertions failed, a TypeError broken', () => {
    expect(reportStatus(result('failed', 'step "21. mkfs" failed: expected 7001 to be 7000'))).toBe('failed');
    expect(reportStatus(result('broken', "step \"20. up\" failed: Cannot read properties of undefined (reading 'peerDisk')"))).toBe('broken');
  });
  it('passed and skipped results are never touched, whatever the labels say', () => {
    expect(reportStatus(result('passed', '', { [FAILURE_KIND_LABEL]: 'product' }))).toBe('passed');
    expect(reportStatus(thrown(upstream, 'skipped'))).toBe('skipped');
  });
  it('an unknown kind is ignored', () => {
    expect(failureOf(result('broken', 'x', { [FAILURE_KIND_LABEL]: 'weird' }))).toBeUndefined();
    expect(reportStatus(result('broken', 'x', { [FAILURE_KIND_LABEL]: 'weird' }))).toBe('broken');
  });
  it('a result file written by an earlier run, with the kind label alone, is classified the same', () => {
    const stored = JSON.parse(
      '{"uuid":"u2","name":"walkthrough","status":"broken","statusDetails":{"message":"drbd1: `drbdadm up r0` exited 10"},"labels":[{"name":"failureKind","value":"product"}]}',
    ) as AllureResult;
    expect(reportStatus(stored)).toBe('failed');
    expect(reportStatus({ uuid: 'u', name: 'n', status: 'broken' })).toBe('broken');
    expect(reportStatus({ uuid: 'u', name: 'n', status: 'failed', statusDetails: {} })).toBe('failed');
  });
});

describe('reclassify', () => {
  it('moves the test and the steps the error went through; passed steps and the input stay as they were', () => {
    const inner = { name: 'expect', status: 'broken' as const, steps: [] };
    const r = result('broken', productCmd.message, labelsOf(productCmd), [
      { name: '0. setup', status: 'passed', steps: [] },
      { name: '0. DRBD stack', status: 'broken', statusDetails: { message: productCmd.message }, steps: [inner] },
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
    const r = thrown(sshTimeout);
    expect(reclassify(r)).toEqual({ result: r, changed: false });
  });
  it('an interrupted test is skipped and labelled cancelled by its signal, its message kept', () => {
    const { result: out } = reclassify(thrown(interrupted));
    expect(out.status).toBe('skipped');
    expect(out.labels).toContainEqual({ name: CANCELLED_LABEL, value: 'SIGINT' });
    expect(out.statusDetails?.message).toBe(interrupted.message);
  });
});

describe('DRBDLAB_CATEGORIES', () => {
  // Allure's own matcher, as the report generator runs it over the categories drbdlab gives it.
  const categories = normalizeCategoriesConfig({ rules: DRBDLAB_CATEGORIES as CategoryRule[] });
  const categoryOf = (r: AllureResult) =>
    matchCategory(categories, { status: r.status ?? 'unknown', labels: r.labels ?? [], message: r.statusDetails?.message, trace: r.statusDetails?.trace, flaky: false })?.id;
  const staged = (r: AllureResult) => categoryOf(reclassify(r).result);

  it('splits broken infrastructure (upstream, boot, other) from failed DRBD and broken harness, by the labels', () => {
    expect(staged(thrown(upstream))).toBe('infra-upstream');
    expect(staged(thrown(new StepError('7. PPA', upstream)))).toBe('infra-upstream');
    expect(staged(thrown(sshTimeout))).toBe('infra-boot');
    expect(staged(thrown(new HostCommandError('qemu-img convert', 1, 'no space', '')))).toBe('infra-other');
    expect(staged({ ...result('broken', 'command failed: virsh'), labels: [{ name: 'feature', value: 'lab' }] })).toBe('infra-other');
    expect(staged(thrown(productCmd))).toBe('product');
    expect(staged(result('broken', 'TypeError: x is undefined'))).toBe('harness');
    expect(staged(thrown(drbdParse))).toBe('harness');
    // A DRBD command that hung: failed, marked "timed out"; a DRBD wait that ran out is a plain
    // product failure; a setup helper's hang is the lab's.
    expect(staged(thrown(drbdTimeout))).toBe('product-timeout');
    expect(staged(thrown(productWait))).toBe('product');
    expect(staged(thrown(setupTimeout))).toBe('infra-other');
    // Interrupted: its own category, neither failed nor broken.
    expect(staged(thrown(interrupted))).toBe('cancelled');
    expect(categoryOf(result('skipped', 'cancelled by SIGINT', { [CANCELLED_LABEL]: 'SIGINT' }))).toBe('cancelled');
    expect(categoryOf(result('skipped', 'skipped by the test'))).toBeUndefined();
    expect(categoryOf(result('passed', ''))).toBeUndefined();
  });
  it('messages do not choose a category: an upstream or boot text without the fields is the harness\'s', () => {
    expect(staged(result('broken', upstream.message))).toBe('harness');
    expect(staged(result('broken', sshTimeout.message))).toBe('harness');
  });
  it('a kernel-log hit over a lab failure is DRBD\'s: the outer error\'s kind decides', () => {
    const hit = new KernelLogError([{ node: 'drbd1', line: 'BUG: unable to handle page fault' }], { cause: sshTimeout });
    expect(staged(thrown(hit))).toBe('product');
  });
  it('a broken result with a kind label that is not infrastructure or usage is the harness\'s, not the lab\'s', () => {
    expect(categoryOf(result('broken', 'x', { [FAILURE_KIND_LABEL]: 'weird' }))).toBe('harness');
    expect(categoryOf(result('broken', 'x', { [FAILURE_KIND_LABEL]: 'infrastructure-ish' }))).toBe('harness');
    expect(categoryOf(result('broken', 'x', { [FAILURE_KIND_LABEL]: 'usage' }))).toBe('infra-other');
  });
  it('the categories are JSON-safe and match labels only', () => {
    expect(JSON.parse(JSON.stringify(DRBDLAB_CATEGORIES))).toEqual(DRBDLAB_CATEGORIES);
    expect(DRBDLAB_CATEGORIES.flatMap((c) => c.matchers).filter((m) => m.message !== undefined || m.trace !== undefined)).toEqual([]);
    expect(Object.values(FAILURE_LABELS)).toContain(FAILURE_KIND_LABEL);
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

describe('labels written and read back', () => {
  const K = FAILURE_LABELS;
  it('a failure with only a kind is one label: fields that say nothing are left out', () => {
    expect(failureLabels({ kind: 'infrastructure', timedOut: false, canceled: false })).toEqual([{ name: K.kind, value: 'infrastructure' }]);
  });
  it('an exit code is read back only when its label is a whole number', () => {
    const exitOf = (v: string) => failureOf({ labels: [{ name: K.kind, value: 'product' }, { name: K.exitCode, value: v }] })?.exitCode;
    expect(exitOf('127')).toBe(127);
    expect(exitOf('-1')).toBe(-1);
    for (const v of ['12x', 'x12', '1.5', '']) expect(exitOf(v), v).toBeUndefined();
  });
  it('a cancellation by reclassify is labelled with the signal, else "interrupted"; other reclassifications add no label and keep every label', () => {
    const kind = (k: string, more: Record<string, string> = {}) => result('broken', 'x', { [K.kind]: k, ...more });
    expect(reclassify(kind('interrupted', { [K.signal]: 'SIGTERM' })).result.labels).toEqual([...kind('interrupted', { [K.signal]: 'SIGTERM' }).labels!, { name: CANCELLED_LABEL, value: 'SIGTERM' }]);
    expect(reclassify(kind('interrupted')).result.labels).toEqual([...kind('interrupted').labels!, { name: CANCELLED_LABEL, value: 'interrupted' }]);
    const product = reclassify(kind('product'));
    expect(product.result.status).toBe('failed');
    expect(product.result.labels).toEqual(kind('product').labels);
  });
  it('cancelResult on a result already labelled cancelled: one cancelled label, the new signal', () => {
    const at = '2026-11-28T21:00:00.000Z';
    const before = { ...result('broken', 'x', { [CANCELLED_LABEL]: 'SIGINT' }), stop: Date.parse(at) + 1 };
    expect(cancelResult(before, { signal: 'SIGTERM', at }).result.labels).toEqual([{ name: 'feature', value: 'walkthrough' }, { name: CANCELLED_LABEL, value: 'SIGTERM' }]);
  });
});
