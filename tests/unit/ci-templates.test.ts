import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

type Obj = Record<string, any>;
const load = async (name: string) => parse(await readFile(new URL(`../../ci-templates/${name}`, import.meta.url), 'utf8')) as Obj;

const github = await load('github-actions-nightly.yml');
const gitlab = await load('gitlab-ci-nightly.yml');

/** What every nightly must keep of a run, failed or not. */
const REPORT_PATHS = ['reports/html', 'reports/junit.xml', 'reports/recordings', 'reports/console', 'reports/allure-results'];

describe('GitHub Actions nightly', () => {
  const job = github.jobs.nightly as Obj;
  const steps = job.steps as Obj[];
  const uses = (action: string) => steps.filter((s) => typeof s.uses === 'string' && s.uses.startsWith(`${action}@`));
  const runIndex = (cmd: string) => steps.findIndex((s) => s.run === cmd);

  it('runs nightly on a schedule (and by hand) on a self-hosted KVM runner', () => {
    expect(github.on.schedule).toEqual([{ cron: '17 2 * * *' }]);
    expect(github.on).toHaveProperty('workflow_dispatch');
    expect(job['runs-on']).toEqual(['self-hosted', 'kvm']);
    expect(job['timeout-minutes']).toBeGreaterThanOrEqual(60);
  });

  it('checkout, host setup, npm ci, then the nightly job `npm run lab`', () => {
    const checkout = steps.findIndex((s) => String(s.uses).startsWith('actions/checkout@'));
    const order = [checkout, runIndex('bash scripts/host-setup.sh'), runIndex('npm ci --no-audit --no-fund'), runIndex('npm run lab')];
    expect(order.every((i) => i >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('restores and saves .cache/images keyed by the image code and the lab', () => {
    const restore = uses('actions/cache/restore').find((s) => s.with.path === '.cache/images')!;
    const save = uses('actions/cache/save').find((s) => s.with.path === '.cache/images')!;
    expect(restore.with.key).toBe("drbdlab-images-${{ runner.os }}-${{ hashFiles('lib/image/**', 'lab/**') }}");
    expect(save.with.key).toBe(restore.with.key);
    expect(steps.indexOf(restore)).toBeLessThan(runIndex('npm run lab'));
    expect(steps.indexOf(save)).toBeGreaterThan(runIndex('npm run lab'));
    expect(save.if).toMatch(/^always\(\)/);
  });

  it('restores the Allure history of the previous run (run-id key, prefix restore key) and saves this one', () => {
    const restore = uses('actions/cache/restore').find((s) => s.with.path === 'reports/history')!;
    const save = uses('actions/cache/save').find((s) => s.with.path === 'reports/history')!;
    expect(restore.with.key).toBe('drbdlab-allure-history-${{ github.run_id }}');
    expect(restore.with['restore-keys'].trim()).toBe('drbdlab-allure-history-');
    expect(save.with.key).toBe(restore.with.key);
    expect(save.if).toBe('always()');
    expect(steps.indexOf(restore)).toBeLessThan(runIndex('npm run lab'));
  });

  it('always uploads the reports and the JUnit XML as artifacts', () => {
    const uploads = uses('actions/upload-artifact');
    expect(uploads.length).toBeGreaterThanOrEqual(2);
    for (const u of uploads) {
      expect(u.if).toBe('always()');
      expect(steps.indexOf(u)).toBeGreaterThan(runIndex('npm run lab'));
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
  const job = gitlab['drbdlab-nightly'] as Obj;
  const caches = job.cache as Obj[];

  it('runs only for the nightly schedule (or by hand), on the kvm runner', () => {
    expect(job.rules).toContainEqual({ if: '$CI_PIPELINE_SOURCE == "schedule"' });
    expect(job.rules.every((r: Obj) => !/push/.test(r.if))).toBe(true);
    expect(job.tags).toEqual(['kvm']);
    expect(gitlab.stages).toContain(job.stage);
  });

  it('host setup and npm ci first, then the nightly job `npm run lab`', () => {
    expect(job.before_script).toEqual(['bash scripts/host-setup.sh', 'npm ci --no-audit --no-fund']);
    expect(job.script).toEqual(['npm run lab']);
  });

  it('caches .cache/images keyed by lib/image and lab, and reports/history per branch', () => {
    const images = caches.find((c) => c.paths.includes('.cache/images'))!;
    expect(images.key.files).toEqual(['lib/image/**/*', 'lab/**/*']);
    expect(images.key.files.length).toBeLessThanOrEqual(2); // GitLab's limit
    const history = caches.find((c) => c.paths.includes('reports/history'))!;
    expect(history.key).toBe('drbdlab-allure-history-$CI_COMMIT_REF_SLUG');
    for (const c of caches) expect(c.when).toBe('always');
  });

  it('always keeps the reports as artifacts and publishes the JUnit report', () => {
    expect(job.artifacts.when).toBe('always');
    expect(job.artifacts.paths).toEqual(expect.arrayContaining(REPORT_PATHS));
    expect(job.artifacts.reports).toEqual({ junit: 'reports/junit.xml' });
  });

  it('says how to run without KVM and without internet', async () => {
    const text = await readFile(new URL('../../ci-templates/gitlab-ci-nightly.yml', import.meta.url), 'utf8');
    expect(text).toMatch(/DRBDLAB_ACCEL[=:] ?tcg/);
    expect(text).toMatch(/--profile debian12-drbd84/);
    expect(text).toMatch(/DRBDLAB_DEBIAN_MIRROR/);
  });
});
