import { readdirSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { capturedNote, describeCounts, parseRecording, provenanceCounts, readRecording, realSource, SYNTHETIC_NOTE, SYNTHETIC_SOURCE, type Recording } from './recording.js';
import { PROFILE_NAMES } from '../image/profile-names.js';
import type { CommandRecord } from '../ssh/command-record.js';
import { ReplayLab } from './replay-lab.js';
import { CAPTURED_RECORDINGS_DIR, RECORDINGS_DIR, recordingFiles, scenarioTargets } from './targets.js';


const base = {
  profile: 'debian12-drbd84',
  labels: { profile: 'debian12-drbd84', hypervisor: 'TCG', 'pkg:drbd-utils': '9.22.0-1' },
  nodes: [{ name: 'drbd1', replicationIp: '10.255.255.101' }],
  commands: [],
};
const errorOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('did not throw');
};
const jsonFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => join(dir, f));

describe('parseRecording', () => {
  it('refuses a recording without evidence: one line naming the file', () => {
    const err = errorOf(() => parseRecording('/x/walkthrough.debian12-drbd84.json', JSON.stringify({ ...base, source: 'somewhere' })));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toBe('/x/walkthrough.debian12-drbd84.json: evidence: missing: say "real" (recorded on VMs) or "synthetic" (generated), with a "source" line');
    expect(err.message).not.toContain('\n');
  });

  it('refuses an unknown evidence kind, and evidence without a source', () => {
    expect(errorOf(() => parseRecording('/x/a.json', JSON.stringify({ ...base, evidence: 'blog', source: 's' }))).message).toBe(
      '/x/a.json: evidence: "blog" is not "real", "captured" or "synthetic"',
    );
    expect(errorOf(() => parseRecording('/x/b.json', JSON.stringify({ ...base, evidence: 'real' }))).message).toBe(
      '/x/b.json: source: missing: say where this real recording comes from',
    );
    expect(errorOf(() => parseRecording('/x/c.json', '{')).message).toMatch(/^\/x\/c\.json: not JSON: /);
  });

  it('refuses a captured recording where an output does not say where it comes from, or none is captured', () => {
    const record = (provenance?: unknown) => ({ seq: 1, node: 'drbd1', command: 'x', stdout: '', stderr: '', exitCode: 0, startedAt: '2026-12-07T00:00:00.000Z', durationMs: 1, ...(provenance ? { provenance } : {}) });
    const captured = (commands: unknown[], more: object = { capturedOn: 'drbdmanage 0.99.18, Debian 12 guests' }) =>
      JSON.stringify({ ...base, evidence: 'captured', source: 'built from captures', ...more, commands });
    expect(errorOf(() => parseRecording('/x/a.json', captured([record({ kind: 'captured', from: 'p1:1' }), record()]))).message).toBe(
      '/x/a.json: commands[1].provenance: missing: say whether the output is captured or constructed from the blog or from source',
    );
    expect(errorOf(() => parseRecording('/x/b.json', captured([record({ kind: 'source', from: 'modprobe' })]))).message).toBe(
      '/x/b.json: evidence: "captured" but no output is: say "synthetic"',
    );
    expect(errorOf(() => parseRecording('/x/c.json', captured([record({ kind: 'captured', from: 'p1:1' })], {}))).message).toBe(
      '/x/c.json: capturedOn: missing: say what the captures ran on',
    );
    expect(parseRecording('/x/d.json', captured([record({ kind: 'captured', from: 'p1:1' }), record({ kind: 'blog', from: 'step 11' })])).evidence).toBe('captured');
  });

  it('refuses what is no recording object, an unknown profile, and missing labels, nodes or commands', () => {
    for (const text of ['null', '[]', '"walkthrough"']) expect(errorOf(() => parseRecording('/x/a.json', text)).message, text).toBe('/x/a.json: expected a recording object');
    const ok = { ...base, evidence: 'real', source: 's' };
    expect(errorOf(() => parseRecording('/x/a.json', JSON.stringify({ ...ok, profile: 'debian11' }))).message).toBe(
      `/x/a.json: profile: "debian11" is no profile (${PROFILE_NAMES.join(', ')})`,
    );
    expect(errorOf(() => parseRecording('/x/a.json', JSON.stringify({ ...ok, source: '  ' }))).message).toBe('/x/a.json: source: missing: say where this real recording comes from');
    for (const broken of [{ commands: {} }, { nodes: 'drbd1' }, { labels: null }, { labels: 'x' }]) {
      const err = errorOf(() => parseRecording('/x/a.json', JSON.stringify({ ...ok, ...broken })));
      expect(err, JSON.stringify(broken)).toBeInstanceOf(ConfigError);
      expect(err.message, JSON.stringify(broken)).toBe('/x/a.json: expected labels, nodes and commands');
    }
  });

  it('a captured recording: capturedOn blank is missing; an output without provenance, or of an unknown kind or without its source, is refused', () => {
    const record = (provenance?: unknown) => ({ seq: 1, node: 'drbd1', command: 'x', stdout: '', stderr: '', exitCode: 0, startedAt: '2026-12-07T00:00:00.000Z', durationMs: 1, ...(provenance ? { provenance } : {}) });
    const captured = (commands: unknown[], capturedOn: unknown = 'drbdmanage 0.99.18') => JSON.stringify({ ...base, evidence: 'captured', source: 's', capturedOn, commands });
    expect(errorOf(() => parseRecording('/x/a.json', captured([record({ kind: 'captured', from: 'p' })], ' '))).message).toBe('/x/a.json: capturedOn: missing: say what the captures ran on');
    expect(errorOf(() => parseRecording('/x/a.json', captured([record({ kind: 'captured', from: 'p' })], 7))).message).toBe('/x/a.json: capturedOn: missing: say what the captures ran on');
    for (const [i, bad] of [[0, null], [0, record({ kind: 'heard', from: 'p' })], [1, record({ kind: 'blog' })]] as const) {
      const commands = i === 0 ? [bad] : [record({ kind: 'captured', from: 'p' }), bad];
      expect(errorOf(() => parseRecording('/x/a.json', captured(commands))).message, JSON.stringify(bad)).toBe(
        `/x/a.json: commands[${i}].provenance: missing: say whether the output is captured or constructed from the blog or from source`,
      );
    }
  });

  it('realSource: the lab and the moment', () => {
    expect(realSource('92183b', new Date('2026-11-27T00:12:07.599Z'))).toBe('recorded on VMs: lab 92183b, 2026-11-27T00:12:07.599Z');
  });

  it('provenanceCounts: outputs without provenance are not counted', () => {
    const c = (kind?: 'captured' | 'blog' | 'source') => ({ provenance: kind ? { kind, from: 'x' } : undefined }) as CommandRecord;
    expect(provenanceCounts({ commands: [c('captured'), c(), c('source'), c('source'), c('blog')] })).toEqual({ captured: 1, blog: 1, source: 2 });
  });

  it('capturedNote: what the captures ran on, or that they ran elsewhere', () => {
    expect(capturedNote({ capturedOn: 'drbdmanage 0.99.18, Debian 12 guests' })).toBe('captured (drbdmanage 0.99.18, Debian 12 guests)');
    expect(capturedNote({})).toBe('captured (real programs run elsewhere)');
  });

  it('accepts a recording that says what it is', () => {
    const r = parseRecording('/x/a.json', JSON.stringify({ ...base, evidence: 'real', source: 'recorded on VMs: lab 1, 2026-01-01T00:00:00.000Z' }));
    expect(r.evidence).toBe('real');
  });
});

describe('the recordings in the repository', () => {
  it('the ubuntu1804-drbd9 ones are under captured/, built from captures, and carry no hypervisor, kernel or package labels', () => {
    const files = jsonFiles(CAPTURED_RECORDINGS_DIR);
    expect(files.map((f) => f.split('/').pop()).sort()).toEqual(
      ['hostname', 'reboot', 'services', 'walkthrough'].map((s) => `${s}.ubuntu1804-drbd9.json`),
    );
    for (const f of files) {
      const r = readRecording(f);
      expect(r, f).toMatchObject({ profile: 'ubuntu1804-drbd9', evidence: 'captured', capturedOn: 'drbdmanage 0.99.18, Debian 12 guests' });
      expect(r.source, f).toMatch(/^built by scripts\/make-drbdmanage-recordings\.ts from scenarios\/recordings\/captures\/drbdmanage-0\.99\.18-drbd-9\.2\.18 /u);
      expect(Object.keys(r.labels).filter((k) => k === 'hypervisor' || k === 'kernel' || /^(pkg|version)[:_]/.test(k)), f).toEqual([]);
      // Every output of drbdmanage and of DRBD's tools is the real programs'; only the rest (the
      // kernel-log check, mkdir, mount, a checksum) is constructed.
      const counts = provenanceCounts(r);
      expect(counts.captured, `${f}: ${describeCounts(counts)}`).toBeGreaterThan(0);
      const drbd = r.commands.filter((c) => /\b(?:drbdmanage|drbdadm|drbdsetup)\b|\/proc\/drbd/u.test(c.command));
      expect(drbd.filter((c) => c.provenance?.kind !== 'captured').map((c) => `#${c.seq} ${c.command}`), f).toEqual([]);
    }
  });

  it('the others were recorded on VMs and say on which lab, when', () => {
    const files = [...jsonFiles(RECORDINGS_DIR), ...jsonFiles(join(RECORDINGS_DIR, 'faults'))];
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const f of files) {
      const r = readRecording(f);
      expect(r.evidence, f).toBe('real');
      expect(r.source, f).toMatch(/^recorded on VMs: lab \w+, \d{4}-\d\d-\d\dT/);
      expect(r.source, f).toContain(r.labels.labId!);
      expect(r.profile, f).not.toBe('ubuntu1804-drbd9'); // that stack no longer installs: nothing real of it yet
    }
  });
});

describe('replaying evidence', () => {
  const synthetic: Recording = { ...(base as unknown as Recording), profile: 'ubuntu1804-drbd9', evidence: 'synthetic', source: SYNTHETIC_SOURCE };
  const rec = (kind: 'captured' | 'blog' | 'source') => ({ seq: 1, node: 'drbd1', command: 'x', stdout: '', stderr: '', exitCode: 0, startedAt: '2026-12-07T00:00:00.000Z', durationMs: 1, provenance: { kind, from: 'x' } });
  const captured: Recording = {
    ...(base as unknown as Recording), profile: 'ubuntu1804-drbd9', evidence: 'captured', capturedOn: 'drbdmanage 0.99.18, Debian 12 guests', source: 'built from captures',
    commands: [rec('captured'), rec('captured'), rec('blog'), rec('source')],
  };

  it('labels say evidence=captured with the counts of captured and constructed outputs, and carry no hypervisor', () => {
    const labels = new ReplayLab(captured).labels;
    expect(labels).toMatchObject({
      evidence: 'captured', mode: 'replay', 'captured-on': 'drbdmanage 0.99.18, Debian 12 guests',
      outputs: '2 captured, 1 constructed from the blog, 1 constructed from source', 'outputs-captured': '2', 'outputs-constructed': '2',
    });
    expect(labels).not.toHaveProperty('hypervisor');
  });
  const real: Recording = { ...(base as unknown as Recording), evidence: 'real', source: 'recorded on VMs: lab 92183b, 2026-11-27T00:12:07.599Z' };

  it('labels say evidence=synthetic and carry no hypervisor, even if the file has one', () => {
    const labels = new ReplayLab(synthetic).labels;
    expect(labels).toMatchObject({ evidence: 'synthetic', mode: 'replay', profile: 'debian12-drbd84' });
    expect(labels).not.toHaveProperty('hypervisor');
  });

  it('labels say evidence=real and keep the hypervisor the recording was made on', () => {
    expect(new ReplayLab(real).labels).toMatchObject({ evidence: 'real', mode: 'replay', hypervisor: 'TCG' });
  });

  it("a replay's waits are scaled as the recording's lab's were (TCG: 3), and another replay's scale is its own", () => {
    const tcg = new ReplayLab(real);
    const kvm = new ReplayLab({ ...real, labels: { ...real.labels, hypervisor: 'KVM' } });
    expect(kvm.timeoutScale).toBe(1);
    expect(tcg.timeoutScale).toBe(3);
  });

  it('a replay of captured evidence says "captured (…)" in its test name and its counts in the description, never "real"', () => {
    const env = { mode: 'replay' as const, recordings: [], runDir: '/tmp/unused' };
    const targets = scenarioTargets('walkthrough', env);
    const titles = targets.map((t) => t.title).sort();
    expect(titles).toEqual([
      'replay captured/walkthrough.ubuntu1804-drbd9.json — captured (drbdmanage 0.99.18, Debian 12 guests)',
      'replay walkthrough.debian12-drbd84.json',
    ]);
    const cap = targets.find((t) => t.profile === 'ubuntu1804-drbd9')!;
    expect(cap.description).toMatch(/^captured \(drbdmanage 0\.99\.18, Debian 12 guests\), not a run on our VMs: built by scripts\/make-drbdmanage-recordings\.ts /u);
    expect(cap.description).toMatch(/Outputs: \d+ captured, \d+ constructed from the blog, \d+ constructed from source;/u);
    expect(`${cap.title} ${cap.description}`).not.toMatch(/\breal\b/iu);
    expect(targets.find((t) => t.profile === 'debian12-drbd84')!.description).toBeUndefined();
  });

  it('a replay of synthetic evidence says SYNTHETIC in its test name and description', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'synthetic-'));
    const file = join(dir, 'walkthrough.ubuntu1804-drbd9.json');
    await writeFile(file, JSON.stringify(synthetic));
    const [target] = scenarioTargets('walkthrough', { mode: 'replay', recordings: [file], runDir: dir });
    expect(target!.title).toBe('replay synthetic/walkthrough.ubuntu1804-drbd9.json — SYNTHETIC (generated from the blog, not a run on VMs)');
    expect(target!.description).toContain(SYNTHETIC_NOTE);
    expect(target!.description).toContain(SYNTHETIC_SOURCE);
  });

  it('faults/ is not replayed with the scenarios (its own test does)', () => {
    expect(recordingFiles('walkthrough').some((f) => f.includes('/faults/'))).toBe(false);
  });
});
