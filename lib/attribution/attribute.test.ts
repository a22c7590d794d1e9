// Every verdict path of attribution through its ports, with an in-memory world standing in for
// images, snapshots and scenarios: which updates break DRBD, which need another to install, a
// failure that comes and goes, a lab that broke, a clock each probe advances.
import { describe, expect, it } from 'vitest';
import { InterruptedError } from '../errors.js';
import { packageSetId, type PackageEntry, type PackageSetManifest } from '../image/package-set.js';
import { attribute, type AttributionPorts, type LayerRequest, type ScenarioOutcome } from './attribute.js';
import { probeBound } from './plan.js';
import { attributionLine } from './words.js';

const entry = (pkg: string, version: string, source = pkg): PackageEntry => ({ package: pkg, version, arch: 'amd64', source, sourceVersion: version, sha256: `${pkg}-${version}`.padEnd(64, '0'), size: 1000 });
const manifest = (entries: PackageEntry[]): PackageSetManifest => ({ id: packageSetId(entries), profile: 'debian12-drbd84', createdAt: '2026-12-07T05:00:00.000Z', entries });

const GOOD = manifest([
  entry('drbd-utils', '9.22.0-1'),
  entry('linux-image-6.1.0-41-amd64', '6.1.170-1', 'linux-signed-amd64'),
  entry('linux-image-amd64', '6.1.170-1', 'linux-signed-amd64'),
  entry('systemd', '252.38-1'),
  entry('libsystemd0', '252.38-1', 'systemd'),
  entry('tzdata', '2025b-0'),
  entry('base-files', '12.4'),
]);
const BAD = manifest([
  entry('drbd-utils', '9.22.0-1+deb12u1'),
  entry('linux-image-6.1.0-41-amd64', '6.1.176-1', 'linux-signed-amd64'),
  entry('linux-image-amd64', '6.1.176-1', 'linux-signed-amd64'),
  entry('systemd', '252.39-1'),
  entry('libsystemd0', '252.39-1', 'systemd'),
  entry('tzdata', '2025c-0'),
  entry('base-files', '12.4'),
]);

interface World {
  /** Packages whose new version breaks DRBD. */
  breaking?: string[];
  /** package → package: the first's new version does not install without the second's. */
  needs?: Record<string, string>;
  /** The scenario fails on every set (the lab or the scenario changed). */
  alwaysRed?: boolean;
  /** The nightly's failure does not come again: every rerun passes. */
  notReproduced?: boolean;
  /** Snapshots of these sets' images break (the lab, not DRBD). */
  brokenSets?: string[];
  goodImage?: boolean;
  badImage?: boolean;
  /** Minutes each probe takes on the clock. */
  probeMinutes?: number;
}

/** An image is the package set it has; a plan, the same. */
function fakePorts(w: World) {
  let clock = 0;
  const layers: LayerRequest[] = [];
  const ports: AttributionPorts<PackageEntry[], PackageEntry[]> = {
    images: { good: w.goodImage ?? true, bad: w.badImage ?? true },
    now: () => clock,
    async layer(req) {
      layers.push(req);
      const base = (req.base === 'good' ? GOOD : BAD).entries;
      const drop = new Set([...req.steps.remove, ...req.steps.install.map((e) => `${e.package}:${e.arch}`)]);
      const image = [...base.filter((e) => !drop.has(`${e.package}:${e.arch}`)), ...req.steps.install];
      expect(packageSetId(image), 'the layer makes the set it names').toBe(req.setId);
      expect(packageSetId(req.target)).toBe(req.setId);
      const isNew = (pkg: string) => image.find((e) => e.package === pkg)?.version === BAD.entries.find((e) => e.package === pkg)!.version;
      for (const [a, b] of Object.entries(w.needs ?? {})) if (isNew(a) && !isNew(b)) return { kind: 'refused', detail: `${a} : Depends: ${b} but it is not going to be installed` };
      return { kind: 'image', image };
    },
    async snapshot(image) {
      clock += (w.probeMinutes ?? 10) * 60_000;
      if (w.brokenSets?.includes(packageSetId(image))) throw new Error('virsh start: domain did not boot\nmore');
      return image;
    },
    async runScenario(plan): Promise<ScenarioOutcome> {
      if (w.notReproduced) return 'passed';
      if (w.alwaysRed) return 'failed';
      const news = plan.filter((e) => BAD.entries.some((b) => b.package === e.package && b.version === e.version) && !GOOD.entries.some((g) => g.package === e.package && g.version === e.version));
      return news.some((e) => w.breaking?.includes(e.package)) ? 'failed' : 'passed';
    },
  };
  return { ports, layers };
}

const run = (w: World, budgetMinutes = 600) => {
  const f = fakePorts(w);
  return attribute({ scenario: 'reboot', good: GOOD, bad: BAD, budgetMs: budgetMinutes * 60_000 }, f.ports).then((a) => ({ a, layers: f.layers }));
};

describe('attribute', () => {
  it('green again on the same set: flaky after one probe, on the red image as it is', async () => {
    const { a, layers } = await run({ notReproduced: true });
    expect(a.verdict).toEqual({ kind: 'flaky' });
    expect(a.probes).toEqual([{ role: 'same', applied: ['drbd-utils', 'linux-signed-amd64', 'systemd', 'tzdata'], outcome: 'passed', setId: BAD.id, ms: 600_000 }]);
    expect(layers).toHaveLength(1);
    expect(layers[0]).toMatchObject({ base: 'bad', steps: { install: [], remove: [] }, setId: BAD.id });
  });

  it('red on the last green set too: not the packages', async () => {
    const { a } = await run({ alwaysRed: true });
    expect(a.verdict).toEqual({ kind: 'not-the-packages' });
    expect(a.probes.map((p) => [p.role, p.outcome, p.setId])).toEqual([
      ['same', 'failed', BAD.id],
      ['good', 'failed', GOOD.id],
    ]);
  });

  it('names the source package whose update broke it, with every probe, within the bound', async () => {
    const { a } = await run({ breaking: ['linux-image-6.1.0-41-amd64'] });
    expect(a.verdict.kind).toBe('introduced');
    expect(attributionLine(a)).toBe('reboot red: introduced by linux-signed-amd64 6.1.170-1 → 6.1.176-1 (linux-image-6.1.0-41-amd64, linux-image-amd64)');
    expect(a.changes.map((c) => c.source)).toEqual(['drbd-utils', 'linux-signed-amd64', 'systemd', 'tzdata']);
    expect(a.probes.length).toBeLessThanOrEqual(probeBound(4));
    expect(a.bound).toBe(4);
    expect(a.probes.map((p) => [p.role, p.applied.join(','), p.outcome])).toEqual([
      ['same', 'drbd-utils,linux-signed-amd64,systemd,tzdata', 'failed'],
      ['good', '', 'passed'],
      ['bisect', 'drbd-utils,linux-signed-amd64', 'failed'],
      ['bisect', 'drbd-utils', 'passed'],
    ]);
  });

  it('each bisection probe is a layer on the green image with the chosen updates, binaries of one source together', async () => {
    const { layers } = await run({ breaking: ['systemd'] });
    const bisect = layers.slice(2);
    expect(bisect[0]).toMatchObject({ base: 'good', steps: { remove: [] } });
    expect(bisect[0]!.steps.install.map((e) => `${e.package} ${e.version}`)).toEqual([
      'drbd-utils 9.22.0-1+deb12u1',
      'linux-image-6.1.0-41-amd64 6.1.176-1',
      'linux-image-amd64 6.1.176-1',
    ]);
  });

  it('without the green image, the green set is made by downgrades on the red image', async () => {
    const { a, layers } = await run({ breaking: ['tzdata'], goodImage: false });
    expect(a.verdict).toMatchObject({ kind: 'introduced', change: { source: 'tzdata' } });
    const good = layers[1]!;
    expect(good.base).toBe('bad');
    expect(good.setId).toBe(GOOD.id);
    expect(good.steps.install.map((e) => `${e.package} ${e.version}`)).toEqual([
      'drbd-utils 9.22.0-1',
      'libsystemd0 252.38-1',
      'linux-image-6.1.0-41-amd64 6.1.170-1',
      'linux-image-amd64 6.1.170-1',
      'systemd 252.38-1',
      'tzdata 2025b-0',
    ]);
  });

  it('without the red image (a bisect between older runs), the red set again is a layer of the updates on the green image', async () => {
    const { a, layers } = await run({ breaking: ['drbd-utils'], badImage: false });
    expect(a.verdict).toMatchObject({ kind: 'introduced', change: { source: 'drbd-utils' } });
    expect(layers[0]!.base).toBe('good');
    expect(layers[0]!.setId).toBe(BAD.id);
    expect(layers[0]!.steps.install).toHaveLength(6);
  });

  it('a probe apt refuses is "cannot tell", and the verdict says so (here the bound has no room for a neighbour)', async () => {
    // drbd-utils' update needs systemd's: the first bisection probe (drbd-utils, linux) cannot be made.
    const { a } = await run({ breaking: ['drbd-utils'], needs: { 'drbd-utils': 'systemd' } });
    expect(a.probes[2]).toMatchObject({ role: 'bisect', applied: ['drbd-utils', 'linux-signed-amd64'], outcome: 'refused', detail: 'drbd-utils : Depends: systemd but it is not going to be installed' });
    expect(a.probes.length).toBeLessThanOrEqual(a.bound);
    expect(a.verdict.kind).toBe('narrowed');
    expect(attributionLine(a)).toContain('cannot tell which: drbd-utils, linux-signed-amd64 without systemd, tzdata: its layer was refused (drbd-utils : Depends: systemd');
  });

  it('the time budget stops it before a probe the longest so far says would overrun, with what it narrowed to', async () => {
    // 10 minutes a probe, 25 minutes' budget: two probes run, the third would end at 30.
    const { a } = await run({ breaking: ['systemd'] }, 25);
    expect(a.probes.map((p) => p.role)).toEqual(['same', 'good']);
    expect(a.verdict).toMatchObject({ kind: 'budget', minutes: 25 });
    expect(attributionLine(a)).toBe(
      'reboot red: attribution budget of 25 min spent before a verdict; narrowed to drbd-utils 9.22.0-1 → 9.22.0-1+deb12u1 (drbd-utils); linux-signed-amd64 6.1.170-1 → 6.1.176-1 (linux-image-6.1.0-41-amd64, linux-image-amd64); systemd 252.38-1 → 252.39-1 (libsystemd0, systemd); tzdata 2025b-0 → 2025c-0 (tzdata)',
    );
  });

  it('a lab that breaks under a rerun gives no verdict, with its error\'s first line', async () => {
    const { a } = await run({ breaking: ['systemd'], brokenSets: [GOOD.id] });
    expect(a.verdict).toEqual({ kind: 'cannot-tell', why: 'the rerun on the last green package set did not run: its lab broke (virsh start: domain did not boot)' });
  });

  it('an interrupt ends attribution (no verdict is made up)', async () => {
    const f = fakePorts({});
    f.ports.snapshot = () => Promise.reject(new InterruptedError('SIGTERM', '2026-12-07T06:00:00.000Z'));
    await expect(attribute({ scenario: 'reboot', good: GOOD, bad: BAD, budgetMs: 3_600_000 }, f.ports)).rejects.toBeInstanceOf(InterruptedError);
  });
});
