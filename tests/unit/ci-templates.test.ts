import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROFILE_NAMES } from '../../lib/image/profile-names.js';

type Obj = Record<string, any>;
const load = async (name: string) => parse(await readFile(new URL(`../../ci-templates/${name}`, import.meta.url), 'utf8')) as Obj;

const github = await load('github-actions-nightly.yml');
const gitlab = await load('gitlab-ci-nightly.yml');

/** A job per profile, each naming it: an unnamed run may substitute the offline profile for the PPA's. */
// After a cancel or a timeout: an ordinary command reaps the killed job's lab (owner gone).
const REAP = 'npm run lab -- status';
const namesItsProfile = /^npm run lab -- --profile \S+$/;

/** What every nightly must keep of a run, failed or not. */
const REPORT_PATHS = ['reports/html', 'reports/junit.xml', 'reports/recordings', 'reports/console', 'reports/allure-results'];

describe('GitHub Actions nightly', () => {
  const job = github.jobs.nightly as Obj;
  const steps = job.steps as Obj[];
  const uses = (action: string) => steps.filter((s) => typeof s.uses === 'string' && s.uses.startsWith(`${action}@`));
  const runIndex = (cmd: string) => steps.findIndex((s) => s.run === cmd);
  const LAB = 'npm run lab -- --profile ${{ matrix.profile }}';

  it('runs nightly on a schedule (and by hand) on a self-hosted KVM runner', () => {
    expect(github.on.schedule).toEqual([{ cron: '17 2 * * *' }]);
    expect(github.on).toHaveProperty('workflow_dispatch');
    expect(job['runs-on']).toEqual(['self-hosted', 'kvm']);
    expect(job['timeout-minutes']).toBeGreaterThanOrEqual(60);
  });

  it('checkout, host setup, npm ci, then the nightly job `npm run lab`', () => {
    const checkout = steps.findIndex((s) => String(s.uses).startsWith('actions/checkout@'));
    const order = [checkout, runIndex('bash scripts/host-setup.sh'), runIndex('npm ci --no-audit --no-fund'), runIndex(LAB)];
    expect(order.every((i) => i >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('reaps a cancelled job\'s lab with an ordinary command, never `down --all` (other jobs\' labs stay)', () => {
    expect(JSON.stringify(github)).not.toMatch(/down --all/);
    const reap = steps.find((s) => s.name === 'Reap the labs of killed jobs')!;
    expect(reap.run).toBe(REAP);
    expect(reap.if).toMatch(/cancelled\(\)/);
  });

  it('one job per profile, each naming it with --profile (no unnamed run that could substitute)', () => {
    expect([...job.strategy.matrix.profile].sort()).toEqual([...PROFILE_NAMES].sort());
    expect(job.strategy['fail-fast']).toBe(false);
    expect(job.strategy['max-parallel']).toBe(1);
    const labRuns = steps.filter((s) => typeof s.run === 'string' && /^npm run lab\b(?! -- (down|status))/.test(s.run));
    expect(labRuns.map((s) => s.run)).toEqual([LAB]);
    expect(LAB.replace('${{ matrix.profile }}', 'debian12-drbd84')).toMatch(namesItsProfile);
  });

  it('restores and saves .cache/images keyed by the image code and the lab', () => {
    const restore = uses('actions/cache/restore').find((s) => s.with.path === '.cache/images')!;
    const save = uses('actions/cache/save').find((s) => s.with.path === '.cache/images')!;
    expect(restore.with.key).toBe("drbdlab-images-${{ matrix.profile }}-${{ runner.os }}-${{ hashFiles('lib/image/**', 'lab/**') }}");
    expect(save.with.key).toBe(restore.with.key);
    expect(steps.indexOf(restore)).toBeLessThan(runIndex(LAB));
    expect(steps.indexOf(save)).toBeGreaterThan(runIndex(LAB));
    expect(save.if).toMatch(/^always\(\)/);
  });

  it('restores the Allure history of the previous run of the profile (run-id key, prefix restore key) and saves this one', () => {
    const restore = uses('actions/cache/restore').find((s) => s.with.path === 'reports/history')!;
    const save = uses('actions/cache/save').find((s) => s.with.path === 'reports/history')!;
    expect(restore.with.key).toBe('drbdlab-allure-history-${{ matrix.profile }}-${{ github.run_id }}');
    expect(restore.with['restore-keys'].trim()).toBe('drbdlab-allure-history-${{ matrix.profile }}-');
    expect(save.with.key).toBe(restore.with.key);
    expect(save.if).toBe('always()');
    expect(steps.indexOf(restore)).toBeLessThan(runIndex(LAB));
  });

  it('always uploads the reports and the JUnit XML as artifacts', () => {
    const uploads = uses('actions/upload-artifact');
    expect(uploads.length).toBeGreaterThanOrEqual(2);
    for (const u of uploads) {
      expect(u.if).toBe('always()');
      expect(steps.indexOf(u)).toBeGreaterThan(runIndex(LAB));
      expect(u.with.name).toMatch(/\$\{\{ matrix\.profile \}\}/); // one artifact per job
    }
    const paths = (uploads[0]!.with.path as string).trim().split('\n').map((p) => p.trim());
    expect(paths).toEqual(expect.arrayContaining(REPORT_PATHS));
    expect(uploads.some((u) => u.with.path === 'reports/junit.xml')).toBe(true);
  });

  it('says how to run without KVM and without internet', async () => {
    const text = await readFile(new URL('../../ci-templates/github-actions-nightly.yml', import.meta.url), 'utf8');
    expect(text).toMatch(/DRBDLAB_ACCEL: tcg/);
    expect(text).toMatch(/--profile debian12-drbd84/);
    expect(text).toMatch(/DRBDLAB_DEBIAN_MIRROR/);
  });
});

describe('GitLab CI nightly', () => {
  // Both jobs extend the hidden template, adding only their script (GitLab merges `extends`).
  const template = gitlab['.drbdlab-nightly'] as Obj;
  const jobs = PROFILE_NAMES.map((p) => ({ profile: p, name: `drbdlab-nightly-${p}`, own: gitlab[`drbdlab-nightly-${p}`] as Obj }));
  const job = template;
  const caches = job.cache as Obj[];

  it('one job per profile, each naming it with --profile (no unnamed run that could substitute)', () => {
    for (const j of jobs) {
      expect(j.own, j.name).toEqual({ extends: '.drbdlab-nightly', script: [`npm run lab -- --profile ${j.profile}`] });
      expect(j.own.script[0]).toMatch(namesItsProfile);
    }
    const labJobs = Object.entries(gitlab).filter(([k, v]) => !k.startsWith('.') && typeof v === 'object' && v !== null && 'script' in v);
    expect(labJobs.map(([k]) => k).sort()).toEqual(jobs.map((j) => j.name).sort());
    expect(template.script).toBeUndefined();
  });

  it('after a cancel or timeout reaps with an ordinary command, never `down --all`', () => {
    expect(JSON.stringify(gitlab)).not.toMatch(/down --all/);
    expect(template.after_script).toEqual([REAP]);
  });

  it('runs only for the nightly schedule (or by hand), on the kvm runner', () => {
    expect(job.rules).toContainEqual({ if: '$CI_PIPELINE_SOURCE == "schedule"' });
    expect(job.rules.every((r: Obj) => !/push/.test(r.if))).toBe(true);
    expect(job.tags).toEqual(['kvm']);
    expect(gitlab.stages).toContain(job.stage);
  });

  it('host setup and npm ci first, then the nightly job `npm run lab -- --profile …`', () => {
    expect(job.before_script).toEqual(['bash scripts/host-setup.sh', 'npm ci --no-audit --no-fund']);
    for (const j of jobs) expect(j.own.script).toEqual([`npm run lab -- --profile ${j.profile}`]);
  });

  it('caches .cache/images keyed by lib/image and lab, and reports/history per branch, each per job (profile)', () => {
    const images = caches.find((c) => c.paths.includes('.cache/images'))!;
    expect(images.key.prefix).toBe('drbdlab-images-$CI_JOB_NAME');
    expect(images.key.files).toEqual(['lib/image/**/*', 'lab/**/*']);
    expect(images.key.files.length).toBeLessThanOrEqual(2); // GitLab's limit
    const history = caches.find((c) => c.paths.includes('reports/history'))!;
    expect(history.key).toBe('drbdlab-allure-history-$CI_JOB_NAME-$CI_COMMIT_REF_SLUG');
    for (const c of caches) expect(c.when).toBe('always');
  });

  it('always keeps the reports as artifacts and publishes the JUnit report', () => {
    expect(job.artifacts.when).toBe('always');
    expect(job.artifacts.paths).toEqual(expect.arrayContaining(REPORT_PATHS));
    expect(job.artifacts.reports).toEqual({ junit: 'reports/junit.xml' });
    expect(job.artifacts.name).toBe('drbdlab-reports-$CI_JOB_NAME-$CI_PIPELINE_ID');
  });

  it('says how to run without KVM and without internet', async () => {
    const text = await readFile(new URL('../../ci-templates/gitlab-ci-nightly.yml', import.meta.url), 'utf8');
    expect(text).toMatch(/DRBDLAB_ACCEL[=:] ?tcg/);
    expect(text).toMatch(/--profile debian12-drbd84/);
    expect(text).toMatch(/DRBDLAB_DEBIAN_MIRROR/);
  });
});
