// One run, one plan: the nightly (or npm test's setup) resolves image, hypervisor and the ready
// snapshot once; each scenario process reads that plan and restores from it, asking no upstream
// and probing no hypervisor, so an archive that moves mid-run cannot give one run two images.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import type { GuestProfile } from '../image/profile.js';
import { fakeWorld, type FakeWorld } from '../lab/fake-host.js';
import { Lab } from '../lab/lab.js';
import { parseRunPlan, serializeRunPlan, type RunPlan } from '../lab/run-plan.js';
import type { StartedLab } from '../lab/started-lab.js';
import { planRun, restorePlanned, type SnapshotStep } from './cluster-snapshot.js';

let w: FakeWorld;
let labs: StartedLab[];
/** What the run asked of the profile's upstreams and of the host's hypervisor. */
let asked: { available: number; image: number; kvmDevice: number };
/** The archive's state: a move gives another image digest. */
let archive: string;
let lab: Lab;

beforeEach(async () => {
  w = await fakeWorld();
  labs = [];
  asked = { available: 0, image: 0, kvmDevice: 0 };
  archive = 'a';
  const profile: GuestProfile = {
    name: w.profile.name,
    stack: w.profile.stack,
    checkAvailable: async () => void asked.available++,
    ensureImage: async () => (asked.image++, { ...w.image, digest: archive.repeat(64) }),
  };
  const kvmDeviceProblem = w.host.accel.kvmDeviceProblem;
  w.host.accel.kvmDeviceProblem = () => (asked.kvmDevice++, kvmDeviceProblem());
  lab = new Lab(w.config, profile, w.host);
});
afterEach(async () => {
  for (const l of labs) await l.down();
  await w.dispose();
});

const step: SnapshotStep = { point: 'r0-up', source: 'drbdadm up r0', run: async () => undefined };

/** One scenario process: the plan as it arrives (serialized, validated), its own cluster restored from it. */
async function scenarioProcess(handed: string, withStep?: SnapshotStep): Promise<StartedLab> {
  const plan = parseRunPlan(JSON.parse(handed), 'the plan handed to the scenario');
  const l = await restorePlanned(plan, { host: w.host, progress: w.progress, pickPort: w.pickPort, ...(withStep ? { step: withStep } : {}) });
  labs.push(l);
  return l;
}

describe('one run plan', () => {
  it('is resolved once: four scenario processes ask no upstream and probe nothing, though the archive moved mid-run', async () => {
    const { plan } = await planRun(lab, { progress: w.progress });
    expect(asked).toMatchObject({ available: 1, image: 1 });
    expect(asked.kvmDevice).toBe(1);
    expect(plan).toMatchObject({ profile: 'debian12-drbd84', image: { digest: 'a'.repeat(64) }, accel: { accel: 'kvm', hostVerdict: true }, snapshot: { point: 'ready' } });
    const versionCalls = w.libvirt.callsOf('version').length;
    const probes = w.libvirt.calls.filter((c) => c.includes('kvmprobe')).length;
    // The plan did ask the host: the counts below could grow.
    expect(versionCalls).toBeGreaterThan(0);
    expect(probes).toBeGreaterThan(0);

    archive = 'b';
    const handed = serializeRunPlan(plan);
    const restored = [await scenarioProcess(handed), await scenarioProcess(handed, step), await scenarioProcess(handed, step), await scenarioProcess(handed)];

    expect(asked).toEqual({ available: 1, image: 1, kvmDevice: 1 });
    // Not even the remembered verdict is read (its key asks libvirt's version), nor a probe guest booted.
    expect(w.libvirt.callsOf('version')).toHaveLength(versionCalls);
    expect(w.libvirt.calls.filter((c) => c.includes('kvmprobe'))).toHaveLength(probes);
    for (const l of restored) {
      expect(l.state.image.digest).toBe('a'.repeat(64));
      expect(l.state.accel).toBe('kvm');
    }
    expect(restored.map((l) => l.state.snapshot?.point)).toEqual(['ready', 'r0-up', 'r0-up', 'ready']);
  });

  it('the restore path: each process resumes saved nodes (restored, never booted), with clocks set, on the hypervisor they were saved on', async () => {
    const { plan } = await planRun(lab, { progress: w.progress });
    const l = await scenarioProcess(serializeRunPlan(plan));
    const mine = w.libvirt.calls.filter((c) => c.includes(l.id)).map((c) => c.split(' ')[0]);
    expect(mine.filter((c) => c === 'restore' || c === 'start' || c === 'resume').sort()).toEqual(['restore', 'restore', 'restore', 'resume', 'resume', 'resume']);
    expect(w.host.guests.commands.filter((c) => c.endsWith('set clock'))).toHaveLength(3);
    expect(l.state).toMatchObject({ accel: 'kvm', accelReason: `as snapshot ready ${plan.snapshot.digest.slice(0, 12)} was made`, snapshot: plan.snapshot });
  });

  it.each<[string, (p: RunPlan) => void, RegExp]>([
    ['another snapshot identity', (p) => (p.snapshot.digest = 'd'.repeat(64)), /its identity is [0-9a-f]{12}, the plan's dddddddddddd/],
    ['another image', (p) => (p.image.digest = 'e'.repeat(64)), /its image is aaaaaaaaaaaa, the plan's eeeeeeeeeeee/],
    ['another hypervisor', (p) => (p.accel.accel = 'tcg'), /it was saved under kvm, the plan says tcg/],
  ])('a plan whose snapshot is not what it names (%s) is refused, and no lab is made', async (_what, change, why) => {
    const { plan } = await planRun(lab, { progress: w.progress });
    change(plan);
    const err = await scenarioProcess(serializeRunPlan(plan)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/^snapshot \/.* is not the one this run planned \(/);
    expect((err as Error).message).toMatch(why);
    expect(w.libvirt.leftovers()).toEqual([]);
  });
});
