import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { setTimeoutScale } from '../wait/poll.js';
import { parseRecording, readRecording, SYNTHETIC_NOTE, SYNTHETIC_SOURCE, type Recording } from './recording.js';
import { ReplayLab } from './replay-lab.js';
import { RECORDINGS_DIR, recordingFiles, scenarioTargets, SYNTHETIC_RECORDINGS_DIR } from './targets.js';

afterAll(() => setTimeoutScale(1)); // ReplayLab sets it from the recording

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
      '/x/a.json: evidence: "blog" is neither "real" nor "synthetic"',
    );
    expect(errorOf(() => parseRecording('/x/b.json', JSON.stringify({ ...base, evidence: 'real' }))).message).toBe(
      '/x/b.json: source: missing: say where this real recording comes from',
    );
    expect(errorOf(() => parseRecording('/x/c.json', '{')).message).toMatch(/^\/x\/c\.json: not JSON: /);
  });

  it('accepts a recording that says what it is', () => {
    const r = parseRecording('/x/a.json', JSON.stringify({ ...base, evidence: 'real', source: 'recorded on VMs: lab 1, 2026-01-01T00:00:00.000Z' }));
    expect(r.evidence).toBe('real');
  });
});

describe('the recordings in the repository', () => {
  it('generated ones are under synthetic/, say so, and carry no hypervisor, kernel or package labels', () => {
    const files = jsonFiles(SYNTHETIC_RECORDINGS_DIR);
    expect(files.map((f) => f.split('/').pop()).sort()).toEqual(
      ['hostname', 'reboot', 'services', 'walkthrough'].map((s) => `${s}.ubuntu1804-drbd9.json`),
    );
    for (const f of files) {
      const r = readRecording(f);
      expect(r, f).toMatchObject({ profile: 'ubuntu1804-drbd9', evidence: 'synthetic', source: SYNTHETIC_SOURCE });
      expect(Object.keys(r.labels).filter((k) => k === 'hypervisor' || k === 'kernel' || /^(pkg|version)[:_]/.test(k)), f).toEqual([]);
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
  const real: Recording = { ...(base as unknown as Recording), evidence: 'real', source: 'recorded on VMs: lab 92183b, 2026-11-27T00:12:07.599Z' };

  it('labels say evidence=synthetic and carry no hypervisor, even if the file has one', () => {
    const labels = new ReplayLab(synthetic).labels;
    expect(labels).toMatchObject({ evidence: 'synthetic', mode: 'replay', profile: 'debian12-drbd84' });
    expect(labels).not.toHaveProperty('hypervisor');
  });

  it('labels say evidence=real and keep the hypervisor the recording was made on', () => {
    expect(new ReplayLab(real).labels).toMatchObject({ evidence: 'real', mode: 'replay', hypervisor: 'TCG' });
  });

  it('a replay of synthetic evidence says SYNTHETIC in its test name and description; real ones do not', () => {
    const env = { mode: 'replay' as const, recordings: [], runDir: '/tmp/unused' };
    const targets = scenarioTargets('walkthrough', env);
    const titles = targets.map((t) => t.title).sort();
    expect(titles).toEqual([
      'replay synthetic/walkthrough.ubuntu1804-drbd9.json — SYNTHETIC (generated from the blog, not a run on VMs)',
      'replay walkthrough.debian12-drbd84.json',
    ]);
    const syn = targets.find((t) => t.profile === 'ubuntu1804-drbd9')!;
    expect(syn.description).toContain(SYNTHETIC_NOTE);
    expect(syn.description).toContain(SYNTHETIC_SOURCE);
    expect(targets.find((t) => t.profile === 'debian12-drbd84')!.description).toBeUndefined();
  });

  it('faults/ is not replayed with the scenarios (its own test does)', () => {
    expect(recordingFiles('walkthrough').some((f) => f.includes('/faults/'))).toBe(false);
  });
});
