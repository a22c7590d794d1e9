import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROFILE_NAMES } from '../../lib/image/profile-names.js';

type Obj = Record<string, any>;
const load = async (name: string) => parse(await readFile(new URL(`../../ci-templates/${name}`, import.meta.url), 'utf8')) as Obj;

const github = await load('github-actions-nightly.yml');
const gitlab = await load('gitlab-ci-nightly.yml');

/** A job per profile (and shard), each naming it: an unnamed run may substitute the offline profile for the PPA's. */
// After a cancel or a timeout: an ordinary command reaps the killed job's lab (owner gone).
const REAP = 'npm run lab -- status';
const namesItsProfile = /^npm run lab -- --profile \S+ --shard \S+\/\S+$/;
const MERGE = 'npm run report -- --merge shards/*';

/** What every nightly must keep of a run, failed or not (the merged report; each shard keeps its part). */
const REPORT_PATHS = ['reports/html', 'reports/junit.xml', 'reports/recordings', 'reports/console', 'reports/allure-results'];

/** `a-${{ x }}-b` → a regex matching any value of the expressions (GitHub's `*` in a pattern too). */
const templateRegex = (t: string) => new RegExp(`^${t.split(/\$\{\{[^}]*\}\}|\*/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.+')}$`);

describe('GitHub Actions nightly', () => {
  const job = github.jobs.nightly as Obj;
  const steps = job.steps as Obj[];
  const report = github.jobs.report as Obj;
  const reportSteps = report.steps as Obj[];
  const uses = (list: Obj[], action: string) => list.filter((s) => typeof s.uses === 'string' && s.uses.startsWith(`${action}@`));
  const runIndex = (list: Obj[], cmd: string) => list.findIndex((s) => s.run === cmd);
  const LAB = 'npm run lab -- --profile ${{ matrix.profile }} --shard ${{ matrix.shard }}/2';

  it('runs nightly on a schedule (and by hand) on a self-hosted KVM runner', () => {
    expect(github.on.schedule).toEqual([{ cron: '17 2 * * *' }]);
    expect(github.on).toHaveProperty('workflow_dispatch');
    expect(job['runs-on']).toEqual(['self-hosted', 'kvm']);
    expect(job['timeout-minutes']).toBeGreaterThanOrEqual(60);
  });

  it('checkout, host setup, npm ci, then the nightly job `npm run lab`', () => {
    const checkout = steps.findIndex((s) => String(s.uses).startsWith('actions/checkout@'));
    const order = [checkout, runIndex(steps, 'bash scripts/host-setup.sh'), runIndex(steps, 'npm ci --no-audit --no-fund'), runIndex(steps, LAB)];
    expect(order.every((i) => i >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('reaps a cancelled job\'s lab with an ordinary command, never `down --all` (other jobs\' labs stay)', () => {
    expect(JSON.stringify(github)).not.toMatch(/down --all/);
    const reap = steps.find((s) => s.name === 'Reap the labs of killed jobs')!;
    expect(reap.run).toBe(REAP);
    expect(reap.if).toMatch(/cancelled\(\)/);
  });

  it('a matrix profile × shard (2), each job naming its profile with --profile; not held to one runner', () => {
    expect([...job.strategy.matrix.profile].sort()).toEqual([...PROFILE_NAMES].sort());
    expect(job.strategy.matrix.shard).toEqual([1, 2]);
    expect(LAB).toContain(`/${job.strategy.matrix.shard.length}`);
    expect(job.strategy['fail-fast']).toBe(false);
    expect(job.strategy['max-parallel']).toBeUndefined(); // shards run side by side on several runners
    expect(job.name).toMatch(/\$\{\{ matrix\.profile \}\}.*\$\{\{ matrix\.shard \}\}/);
    const labRuns = [...steps, ...reportSteps].filter((s) => typeof s.run === 'string' && /^npm run lab\b(?! -- (down|status))/.test(s.run));
    expect(labRuns.map((s) => s.run)).toEqual([LAB]);
    expect(LAB.replace('${{ matrix.profile }}', 'debian12-drbd84').replace('${{ matrix.shard }}', '1')).toMatch(namesItsProfile);
  });

  it('restores the newest .cache/images of the image code and the lab, and saves it under the images it then holds', () => {
    const restore = uses(steps, 'actions/cache/restore').find((s) => s.with.path === '.cache/images')!;
    const save = uses(steps, 'actions/cache/save').find((s) => s.with.path === '.cache/images')!;
    const prefix = "drbdlab-images-${{ matrix.profile }}-${{ runner.os }}-${{ hashFiles('lib/image/**', 'lab/**') }}-";
    expect(restore.with.key).toBe(prefix);
    expect(restore.with['restore-keys'].trim()).toBe(prefix);
    // A new image (the archive moved) is a new key; an unchanged night's key already exists.
    expect(save.with.key).toBe(`${prefix}\${{ hashFiles('.cache/images/*/manifest.json') }}`);
    expect(steps.indexOf(restore)).toBeLessThan(runIndex(steps, LAB));
    expect(steps.indexOf(save)).toBeGreaterThan(runIndex(steps, LAB));
    expect(save.if).toMatch(/^always\(\)/);
  });

  it('each shard always uploads its report folder (with versions.json: which shard), and keeps no history of its own', () => {
    const uploads = uses(steps, 'actions/upload-artifact');
    expect(uploads).toHaveLength(1);
    const u = uploads[0]!;
    expect(u.if).toBe('always()');
    expect(steps.indexOf(u)).toBeGreaterThan(runIndex(steps, LAB));
    expect(u.with.name).toBe('drbdlab-reports-${{ matrix.profile }}-shard-${{ matrix.shard }}-${{ github.run_id }}');
    const paths = (u.with.path as string).trim().split('\n').map((p) => p.trim());
    expect(paths).toEqual(expect.arrayContaining([...REPORT_PATHS, 'reports/versions.json', 'reports/runs']));
    expect(paths).not.toContain('reports/history');
    expect(JSON.stringify(steps)).not.toMatch(/reports\/history/);
  });

  it('a report job per profile, after all shards (also when a scenario failed), naming its profile', () => {
    expect(report.needs).toBe('nightly');
    expect(report.if).toBe('${{ !cancelled() }}');
    expect([...report.strategy.matrix.profile].sort()).toEqual([...PROFILE_NAMES].sort());
    expect(report.strategy['fail-fast']).toBe(false);
    expect(report.name).toMatch(/\$\{\{ matrix\.profile \}\}/);
  });

  it('the report job: npm ci, history restored, the profile\'s shard artifacts downloaded, merged, history saved', () => {
    const download = uses(reportSteps, 'actions/download-artifact')[0]!;
    const restore = uses(reportSteps, 'actions/cache/restore').find((s) => s.with.path === 'reports/history')!;
    const save = uses(reportSteps, 'actions/cache/save').find((s) => s.with.path === 'reports/history')!;
    const merge = runIndex(reportSteps, MERGE);
    const order = [runIndex(reportSteps, 'npm ci --no-audit --no-fund'), reportSteps.indexOf(restore), reportSteps.indexOf(download), merge, reportSteps.indexOf(save)];
    expect(order.every((i) => i >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // Every shard's artifact of this profile, each into shards/<name>/, and nothing else.
    expect(download.with.path).toBe('shards');
    expect(download.with['merge-multiple']).toBeUndefined();
    const pattern = templateRegex(download.with.pattern);
    const uploaded = uses(steps, 'actions/upload-artifact')[0]!.with.name as string;
    expect(uploaded.replace('${{ matrix.shard }}', '2')).toMatch(pattern);
    expect(download.with.pattern).toContain('${{ matrix.profile }}');
    expect('drbdlab-reports-${{ matrix.profile }}-${{ github.run_id }}').not.toMatch(pattern); // not the merged one
    // One history per profile, one entry per night.
    expect(restore.with.key).toBe('drbdlab-allure-history-${{ matrix.profile }}-${{ github.run_id }}');
    expect(restore.with['restore-keys'].trim()).toBe('drbdlab-allure-history-${{ matrix.profile }}-');
    expect(save.with.key).toBe(restore.with.key);
    expect(save.if).toBe('always()');
  });

  it('the report job always uploads the merged reports and the JUnit XML as artifacts', () => {
    const uploads = uses(reportSteps, 'actions/upload-artifact');
    expect(uploads.length).toBeGreaterThanOrEqual(2);
    for (const u of uploads) {
      expect(u.if).toBe('always()');
      expect(reportSteps.indexOf(u)).toBeGreaterThan(runIndex(reportSteps, MERGE));
      expect(u.with.name).toMatch(/\$\{\{ matrix\.profile \}\}/); // one artifact per profile
    }
    const paths = (uploads[0]!.with.path as string).trim().split('\n').map((p) => p.trim());
    expect(paths).toEqual(expect.arrayContaining([...REPORT_PATHS, 'reports/history']));
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
  // Every job extends a hidden template, adding what names its profile (GitLab merges `extends`).
  const template = gitlab['.drbdlab-nightly'] as Obj;
  const reportTemplate = gitlab['.drbdlab-report'] as Obj;
  const jobs = PROFILE_NAMES.map((p) => ({ profile: p, name: `drbdlab-nightly-${p}`, own: gitlab[`drbdlab-nightly-${p}`] as Obj }));
  const reports = PROFILE_NAMES.map((p) => ({ profile: p, name: `drbdlab-report-${p}`, own: gitlab[`drbdlab-report-${p}`] as Obj }));
  const job = template;
  const caches = job.cache as Obj[];
  const lab = (p: string) => `npm run lab -- --profile ${p} --shard $CI_NODE_INDEX/$CI_NODE_TOTAL`;

  it('a matrix profile × shard: a job per profile in 2 parallel shards, each naming its profile with --profile', () => {
    expect(template.parallel).toBe(2);
    for (const j of jobs) {
      expect(j.own, j.name).toEqual({ extends: '.drbdlab-nightly', variables: { PROFILE: j.profile }, script: [lab(j.profile)] });
      expect(j.own.script[0].replace('$CI_NODE_INDEX/$CI_NODE_TOTAL', '1/2')).toMatch(namesItsProfile);
    }
    const scripted = Object.entries(gitlab).filter(([k, v]) => !k.startsWith('.') && typeof v === 'object' && v !== null && 'script' in v);
    expect(scripted.map(([k]) => k).sort()).toEqual([...jobs, ...reports].map((j) => j.name).sort());
    expect(template.script).toBeUndefined();
  });

  it('not held to one runner (no resource_group): each shard has its own lab and its own reports folder', () => {
    expect(template.resource_group).toBeUndefined();
    // The report job unpacks both shards' artifacts into one workspace: they must not share paths.
    expect(template.variables.DRBDLAB_REPORTS).toBe('$CI_PROJECT_DIR/shards/$CI_NODE_INDEX');
    expect(template.artifacts.paths).toEqual(['shards/']);
    expect(template.artifacts.when).toBe('always');
    expect(template.artifacts.reports).toEqual({ junit: 'shards/*/junit.xml' });
  });

  it('after a cancel or timeout reaps with an ordinary command, never `down --all`', () => {
    expect(JSON.stringify(gitlab)).not.toMatch(/down --all/);
    expect(template.after_script).toEqual([REAP]);
  });

  it('runs only for the nightly schedule (or by hand), on the kvm runner', () => {
    for (const t of [template, reportTemplate]) {
      expect(t.rules.map((r: Obj) => r.if)).toContain('$CI_PIPELINE_SOURCE == "schedule"');
      expect(t.rules.every((r: Obj) => !/push/.test(r.if))).toBe(true);
      expect(t.tags).toEqual(['kvm']);
    }
    expect(gitlab.stages).toEqual(['nightly', 'report']);
    expect([template.stage, reportTemplate.stage]).toEqual(['nightly', 'report']);
  });

  it('host setup and npm ci first, then the nightly job `npm run lab -- --profile … --shard …`', () => {
    expect(job.before_script).toEqual(['bash scripts/host-setup.sh', 'npm ci --no-audit --no-fund']);
    for (const j of jobs) expect(j.own.script).toEqual([lab(j.profile)]);
  });

  it('caches .cache/images per profile keyed by lib/image and lab; the shards keep no history', () => {
    const images = caches.find((c) => c.paths.includes('.cache/images'))!;
    expect(images.key.prefix).toBe('drbdlab-images-$PROFILE');
    expect(images.key.files).toEqual(['lib/image/**/*', 'lab/**/*']);
    expect(images.key.files.length).toBeLessThanOrEqual(2); // GitLab's limit
    for (const c of caches) expect(c.when).toBe('always');
    expect(JSON.stringify(template)).not.toMatch(/reports\/history/);
  });

  it('a report job per profile: after both shards (also when a scenario failed), merging their folders', () => {
    for (const r of reports) {
      expect(r.own, r.name).toEqual({
        extends: '.drbdlab-report',
        needs: [{ job: `drbdlab-nightly-${r.profile}`, artifacts: true }],
        script: [MERGE],
      });
    }
    expect(reportTemplate.rules.every((r: Obj) => r.when === 'always')).toBe(true);
    expect(reportTemplate.before_script).toEqual(['npm ci --no-audit --no-fund']);
  });

  it('the report job keeps the history per profile and branch, and always the merged reports', () => {
    const history = (reportTemplate.cache as Obj[]).find((c) => c.paths.includes('reports/history'))!;
    expect(history.key).toBe('drbdlab-allure-history-$CI_JOB_NAME-$CI_COMMIT_REF_SLUG');
    expect(history.when).toBe('always');
    expect(reportTemplate.artifacts.when).toBe('always');
    expect(reportTemplate.artifacts.paths).toEqual(expect.arrayContaining([...REPORT_PATHS, 'reports/history']));
    expect(reportTemplate.artifacts.name).toBe('drbdlab-reports-$CI_JOB_NAME-$CI_PIPELINE_ID');
    // The shards' JUnit files are the test report already; the merged one would count twice.
    expect(reportTemplate.artifacts.reports).toBeUndefined();
  });

  it('says how to run without KVM and without internet', async () => {
    const text = await readFile(new URL('../../ci-templates/gitlab-ci-nightly.yml', import.meta.url), 'utf8');
    expect(text).toMatch(/DRBDLAB_ACCEL[=:] ?tcg/);
    expect(text).toMatch(/--profile debian12-drbd84/);
    expect(text).toMatch(/DRBDLAB_DEBIAN_MIRROR/);
  });
});
