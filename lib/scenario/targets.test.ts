// The labs a scenario runs against: which recordings a replay reads, what a replay target opens
// and how it closes, and a real target on a lab that is up (DRBDLAB_LAB): its recording written
// when the scenario ends. No VM: a lab's state written here, whose nodes are never reached.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LabState } from '../lab/state.js';
import { labPaths } from '../lab/paths.js';
import { defaultFolders } from '../paths.js';
import type { CommandRecord } from '../ssh/command-record.js';
import { reported } from '../../tests/support/synthetic-lab.js';
import type { Recording } from './recording.js';
import type { ScenarioStart } from './scenario-start.js';
import { CAPTURED_RECORDINGS_DIR, RECORDINGS_DIR, recordingFiles, replayTarget, scenarioTargets } from './targets.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'targets-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const record = (node: string, command: string, more: Partial<CommandRecord> = {}): CommandRecord => ({
  seq: 1, node, command, stdout: '', stderr: '', exitCode: 0, startedAt: '2026-12-07T10:00:00.000Z', durationMs: 1, ...more,
});
const start = (point: string): ScenarioStart => ({ point, source: 's', prepare: async () => undefined });
const recordingOf = (more: Partial<Recording> = {}): Recording => ({
  profile: 'debian12-drbd84', evidence: 'real', source: 'recorded on VMs: lab 92183b, 2026-11-27T00:12:07.599Z', labels: {},
  nodes: [{ name: 'drbd1', replicationIp: '10.255.255.101' }], commands: [record('drbd1', 'a'), record('drbd1', 'b')], ...more,
});

describe('recordingFiles', () => {
  it("the scenario's real recordings, then its captured ones; no other scenario's, nothing but JSON", () => {
    const files = recordingFiles('walkthrough');
    expect(files).toEqual([join(RECORDINGS_DIR, 'walkthrough.debian12-drbd84.json'), join(CAPTURED_RECORDINGS_DIR, 'walkthrough.ubuntu1804-drbd9.json')]);
    expect(recordingFiles('reboot')).toEqual([join(RECORDINGS_DIR, 'reboot.debian12-drbd84.json'), join(CAPTURED_RECORDINGS_DIR, 'reboot.ubuntu1804-drbd9.json')]);
    // captures/ holds the raw captures (README.md, folders), never a recording.
    expect(recordingFiles('README')).toEqual([]);
  });

  it('the files asked for (DRBDLAB_RECORDINGS), those of this scenario only', () => {
    expect(recordingFiles('walkthrough', ['/x/walkthrough.a.json', '/x/reboot.a.json', '/x/walkthrough-b.json'])).toEqual(['/x/walkthrough.a.json']);
    expect(recordingFiles('walkthrough', [])).toHaveLength(2);
  });
});

describe('replayTarget', () => {
  it("opens a replay of the recording (its profile, stack, fault), its transcript in the run's folder", async () => {
    const t = replayTarget('walkthrough', 'replay x', recordingOf({ profile: 'ubuntu1804-drbd9' }), dir, 'wrong-peer-ip');
    expect([t.title, t.profile, t.stack, 'description' in t]).toEqual(['replay x', 'ubuntu1804-drbd9', 'drbdmanage', false]);
    const open = await t.open();
    expect([open.lab.mode, open.lab.profile, open.lab.fault]).toEqual(['replay', 'ubuntu1804-drbd9', 'wrong-peer-ip']);
    expect(open.transcript.dir).toBe(join(dir, 'walkthrough.replay.ubuntu1804-drbd9', 'transcript'));
    // Commands replayed go to the transcript, redacted as it redacts.
    await open.transcript.addSecret('s3cr3t-pass');
    expect((await open.lab.node('drbd1').exec('a')).exitCode).toBe(0);
    expect(open.transcript.records.map((r) => r.command)).toEqual(['a']);
  });

  it('at its starting point when the recording began there; shared when it began before a starting point the scenario has', async () => {
    const plain = recordingOf();
    const fromR0 = recordingOf({ start: 'r0-up' });
    const opened = async (r: Recording, s?: ScenarioStart) => {
      const o = await replayTarget('x', 't', r, dir).open(s);
      return [o.atStart, o.shared];
    };
    expect(await opened(plain)).toEqual([true, false]);
    expect(await opened(plain, start('r0-up'))).toEqual([false, true]);
    expect(await opened(fromR0, start('r0-up'))).toEqual([true, false]);
    expect(await opened(fromR0, start('other'))).toEqual([false, false]);
    expect(await opened(fromR0)).toEqual([false, false]);
  });

  it('closes a passed scenario only when every recorded command was replayed; a failed one whatever is left', async () => {
    const open = await replayTarget('x', 't', recordingOf(), dir).open();
    await open.lab.node('drbd1').exec('a');
    await expect(open.close(true)).rejects.toThrow(/^replay ended early: the recording still has 1 commands, next drbd1\$ b$/u);
    await expect(open.close(false)).resolves.toBeUndefined();
    await open.lab.node('drbd1').exec('b');
    await expect(open.close(true)).resolves.toBeUndefined();
  });

  it('a replay of captured evidence puts its counts into the report as parameters (not its identity) and every output\'s provenance as an attachment', async () => {
    const captured = recordingOf({
      profile: 'ubuntu1804-drbd9', evidence: 'captured', capturedOn: 'drbdmanage 0.99.18, Debian 12 guests',
      commands: [
        { ...record('drbd1', 'a'), seq: 1, provenance: { kind: 'captured', from: 'p1__drbd1.jsonl:3' } },
        { ...record('drbd1', 'b'), seq: 2, provenance: { kind: 'blog', from: 'step 11' } },
        { ...record('drbd1', 'c'), seq: 3, provenance: { kind: 'source', from: 'drbdmanage server.py' } },
        { ...record('drbd1', 'd'), seq: 4, provenance: { kind: 'captured', from: 'p1__drbd1.jsonl:4' } },
      ],
    });
    const t = replayTarget('walkthrough', 't', captured, dir);
    expect(t.description).toBe('captured (drbdmanage 0.99.18, Debian 12 guests), not a run on our VMs: recorded on VMs: lab 92183b, 2026-11-27T00:12:07.599Z. Outputs: 2 captured, 1 constructed from the blog, 1 constructed from source; each command\'s log in the transcript says which.');
    const r = await reported(() => t.open());
    expect(r.parameters).toEqual([
      { name: 'outputs captured', value: '2' },
      { name: 'outputs constructed from the blog', value: '1' },
      { name: 'outputs constructed from source', value: '1' },
    ]);
    expect(r.attachments).toHaveLength(1);
    expect(r.attachments[0]!.name).toBe('provenance of the replayed outputs: 2 captured, 1 constructed from the blog, 1 constructed from source');
    expect(r.attachments[0]!.content.split('\n').filter((l) => l.startsWith('#'))).toEqual(['#1 drbd1$ a', '#2 drbd1$ b', '#3 drbd1$ c', '#4 drbd1$ d']);
    expect(r.attachments[0]!.content.endsWith('\n')).toBe(true);
    // A real recording reports nothing of the kind.
    const plain = await reported(() => replayTarget('walkthrough', 't', recordingOf(), dir).open());
    expect([plain.parameters, plain.attachments]).toEqual([[], []]);
  });

  it('a replay of synthetic evidence says what it is and is not', () => {
    const t = replayTarget('walkthrough', 't', recordingOf({ evidence: 'synthetic', source: 'from the blog' }), dir);
    expect(t.description).toBe("SYNTHETIC (generated from the blog, not a run on VMs): from the blog. It shows the scenario code against the blog's outputs; it says nothing of today's packages.");
  });
});

describe('scenarioTargets: replay', () => {
  it('one target per recording of the scenario, titled by file and evidence', async () => {
    const file = join(dir, 'walkthrough.debian12-drbd84.mine.json');
    await writeFile(file, JSON.stringify(recordingOf()));
    const [t, more] = scenarioTargets('walkthrough', { mode: 'replay', recordings: [file], runDir: dir, fault: 'wrong-peer-ip' });
    expect(more).toBeUndefined();
    expect(t!.title).toBe('replay walkthrough.debian12-drbd84.mine.json');
    expect((await t!.open()).lab.fault).toBe('wrong-peer-ip');
  });
});

describe('scenarioTargets: real, on a lab that is up (DRBDLAB_LAB)', () => {
  const labId = 'a1b2c3';

  async function upLab(): Promise<void> {
    const folders = defaultFolders(dir);
    const p = labPaths(folders.state, labId);
    await mkdir(join(p.dir, 'keys'), { recursive: true });
    await writeFile(p.userKey, 'not a key: never used, no node is reached');
    const state: Partial<LabState> = {
      labId, phase: 'up', createdAt: '2026-12-07T09:00:00.000Z', profile: 'debian12-drbd84', accel: 'tcg', accelReason: 'test',
      libvirtUri: 'qemu:///session', user: 'drbdlab', network: 'drbdlab-a1b2c3',
      image: { dir: '/img', digest: 'd', versions: { 'drbd-utils': '9.22.0-1' } },
      nodes: [{ name: 'drbd1', id: 1, domain: 'drbdlab-a1b2c3-drbd1', uuid: 'u', sshPort: 2201, replicationIp: '10.255.255.101', hostKey: 'ssh-ed25519 AAAA' }],
    };
    await writeFile(p.state, JSON.stringify(state));
  }

  const env = () => ({ mode: 'real' as const, labId, profile: 'debian12-drbd84' as const, runDir: join(dir, 'run'), folders: defaultFolders(dir) });

  it('one target for the profile; the lab as it is: not at a starting point, shared with the next scenario', async () => {
    await upLab();
    const targets = scenarioTargets('walkthrough', env());
    expect(targets.map((t) => [t.title, t.profile, t.stack])).toEqual([['debian12-drbd84', 'debian12-drbd84', 'drbdadm']]);
    const open = await targets[0]!.open(start('r0-up'));
    expect([open.atStart, open.shared, open.lab.mode, open.lab.labels.labId, open.lab.timeoutScale]).toEqual([false, true, 'real', labId, 3]);
    expect(open.transcript.dir).toBe(join(dir, 'run', 'walkthrough', 'transcript'));
  });

  it('closing writes the recording to the reports: real evidence, the lab it was made on, its commands; a failed one named so', async () => {
    await upLab();
    const [t] = scenarioTargets('walkthrough', { ...env(), fault: 'wrong-peer-ip' });
    const open = await t!.open(start('r0-up'));
    expect(open.lab.fault).toBe('wrong-peer-ip');
    await open.transcript.record({ node: 'drbd1', command: 'uname -r', stdout: '6.1\n', stderr: '', exitCode: 0, startedAt: '2026-12-07T10:00:00.000Z', durationMs: 3 });
    await open.close(true);
    const file = join(dir, 'reports', 'recordings', 'walkthrough.debian12-drbd84.json');
    const rec = JSON.parse(await readFile(file, 'utf8')) as Recording;
    // Made on a lab that was up: it begins before the starting point, so it says none.
    expect(rec).toEqual({
      profile: 'debian12-drbd84',
      evidence: 'real',
      source: `recorded on VMs: lab ${labId}, 2026-12-07T10:00:00.000Z`,
      labels: open.lab.labels,
      nodes: [{ name: 'drbd1', replicationIp: '10.255.255.101' }],
      commands: [{ seq: 1, node: 'drbd1', command: 'uname -r', stdout: '6.1\n', stderr: '', exitCode: 0, startedAt: '2026-12-07T10:00:00.000Z', durationMs: 3 }],
    });
    const again = await t!.open();
    await again.close(false);
    const failed = JSON.parse(await readFile(join(dir, 'reports', 'recordings', 'walkthrough.debian12-drbd84.failed.json'), 'utf8')) as Recording;
    expect(failed.commands).toEqual([]);
    // No command: stamped when it was closed.
    expect(failed.source).toMatch(new RegExp(`^recorded on VMs: lab ${labId}, \\d{4}-\\d\\d-\\d\\dT`, 'u'));
    expect(Date.parse(failed.source.split(', ')[1]!)).toBeGreaterThan(Date.parse('2026-12-07T10:00:00.000Z'));
  });

  it('a lab id with no lab: a UsageError saying how to start one', async () => {
    const [t] = scenarioTargets('walkthrough', env());
    await expect(t!.open()).rejects.toMatchObject({ name: 'UsageError', message: `no lab ${labId} here: run \`npm run lab -- up\` first` });
    expect(existsSync(join(dir, 'reports'))).toBe(false);
  });
});
