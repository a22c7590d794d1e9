// The report as a reader sees it: two nightly reports generated from the fixture results
// (four replayed drbdmanage scenarios), the second with a newer drbd-utils, opened in
// Debian's headless Chromium (playwright-core, no downloaded browser). No skips: without
// /usr/bin/chromium this test fails (scripts/host-setup.sh installs it).

import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/paths.js';
import { publishReport, type PublishResult } from '../../lib/report/publish.js';

const FIXTURES = join(PROJECT_ROOT, 'tests', 'fixtures', 'allure-results');
const CHROMIUM = '/usr/bin/chromium';
const PROFILE = 'ubuntu1804-drbd9';
const before = { 'drbd-dkms': '9.0.16-1ppa1~bionic1', 'drbd-utils': '9.5.0-1ppa1~bionic1', kernel: '4.15.0-39-generic' };
const after = { ...before, 'drbd-utils': '9.6.0-1ppa1~bionic1' };

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
};

/** A static file server for `root` on 127.0.0.1, a free port. */
async function serve(root: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path.endsWith('/')) path += 'index.html';
    const file = normalize(join(root, path));
    if (!file.startsWith(root + sep)) {
      res.writeHead(403).end();
      return;
    }
    readFile(file).then(
      (body) => res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('nightly report in headless Chromium', () => {
  let work: string;
  let first: PublishResult;
  let second: PublishResult;
  let server: Server;
  let base: string;
  let context: BrowserContext;
  /** Requests that would have left 127.0.0.1 (blocked). */
  const external: string[] = [];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'drbdlab-report-browser-'));
    await cp(FIXTURES, join(work, 'allure-results'), { recursive: true });
    const common = { resultsDir: join(work, 'allure-results'), historyDir: join(work, 'history') };
    first = await publishReport({ run: { profile: PROFILE, versions: before }, ...common, outDir: join(work, 'run1', 'html'), now: new Date('2026-11-25T02:00:00Z') });
    second = await publishReport({ run: { profile: PROFILE, versions: after }, ...common, outDir: join(work, 'run2', 'html'), now: new Date('2026-11-26T02:00:00Z') });
    ({ server, url: base } = await serve(work));
    context = await chromium.launchPersistentContext(await mkdtemp(join(work, 'chromium-profile-')), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1400, height: 1000 },
    });
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1' || url.protocol === 'data:') return route.continue();
      external.push(url.href);
      return route.abort();
    });
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function open(run: 'run1' | 'run2'): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${base}/${run}/html/`);
    await page.getByText('Variables').first().waitFor({ timeout: 30_000 });
    return page;
  }

  it('first report: the scenarios and a walkthrough step are on the page; no change banner on a first run', async () => {
    const page = await open('run1');
    expect(await page.title()).toBe(`drbdlab ${PROFILE}`);
    const text = await page.locator('body').innerText();
    for (const scenario of ['walkthrough', 'reboot', 'hostname', 'services']) expect(text).toMatch(new RegExp(`^${scenario}$`, 'm'));
    expect(text).toContain('first run of this profile');
    expect(text).not.toMatch(/package versions changed|CHANGED /);

    await page.getByText('walkthrough', { exact: true }).click();
    await page.getByText('walkthrough [replay walkthrough.ubuntu1804-drbd9.json]').click();
    await page.getByText('11. drbdmanage init 10.255.255.101 on drbd1').waitFor({ timeout: 15_000 });
    await page.getByText('19. add-volume r0 40GB: volume 0, minor 100, port 7000').waitFor();
    // No earlier run: the History tab has no counter.
    await expect(historyCount(page)).resolves.toBe('');
    await page.close();
  }, 60_000);

  it('second report: the package-version change is at the top of the first page', async () => {
    const page = await open('run2');
    const banner = 'drbdlab ubuntu1804-drbd9 — package versions changed: drbd-utils 9.5.0-1ppa1~bionic1 → 9.6.0-1ppa1~bionic1';
    expect(await page.title()).toBe(banner);
    // The report's heading (the first thing on the page) and the Variables block above the tests.
    const heading = page.getByText(banner, { exact: true }).first();
    await heading.waitFor({ timeout: 15_000 });
    const headingBox = (await heading.boundingBox())!;
    const changed = page.getByText('CHANGED drbd-utils', { exact: true });
    await changed.waitFor();
    const changedBox = (await changed.boundingBox())!;
    const tree = (await page.getByText('walkthrough', { exact: true }).boundingBox())!;
    expect(headingBox.y).toBeLessThan(200);
    expect(changedBox.y).toBeLessThan(tree.y);
    expect(await page.locator('body').innerText()).toContain('9.5.0-1ppa1~bionic1 → 9.6.0-1ppa1~bionic1');
    await page.screenshot({ path: join(work, 'run2-overview.png') });
    await page.close();
  }, 60_000);

  it('second report: history from the first run (files, report data, History tab)', async () => {
    expect(second.previous?.timestamp).toBe('2026-11-25T02:00:00.000Z');
    expect((await readFile(second.allureHistoryPath, 'utf8')).trim().split('\n')).toHaveLength(2);
    expect((await readFile(second.versionsHistoryPath, 'utf8')).trim().split('\n')).toHaveLength(2);
    // The first report had no history; the second carries the first run in its data …
    await expect(readdir(join(first.reportDir, 'data', 'history'))).rejects.toThrow();
    expect(await readdir(join(second.reportDir, 'data', 'history'))).toHaveLength(1);
    const charts = JSON.parse(await readFile(join(second.reportDir, 'widgets', 'charts.json'), 'utf8')) as {
      general: Record<string, { type: string; data: unknown[] }>;
    };
    const dynamics = Object.values(charts.general).find((c) => c.type === 'statusDynamics')!;
    expect(dynamics.data.length).toBeGreaterThanOrEqual(2); // the earlier run and this one
    // … and shows it: one earlier result of the walkthrough under History.
    // (Straight to the test result: the tree's open groups persist in the browser profile.)
    const registry = JSON.parse(await readFile(join(second.reportDir, 'test-results.json'), 'utf8')) as { byId: Record<string, { name: string }> };
    const id = Object.entries(registry.byId).find(([, t]) => t.name === 'walkthrough [replay walkthrough.ubuntu1804-drbd9.json]')![0];
    const page = await context.newPage();
    await page.goto(`${base}/run2/html/#${id}`);
    await page.getByText('11. drbdmanage init 10.255.255.101 on drbd1').waitFor({ timeout: 15_000 });
    await expect(historyCount(page)).resolves.toBe('1');
    await page.close();
  }, 60_000);

  it('loaded nothing from outside 127.0.0.1', () => {
    expect(external).toEqual([]);
  });
});

/** The counter on a test result's History tab ('' when there is none). */
async function historyCount(page: Page): Promise<string> {
  const tab = page.getByText(/^History/).first();
  await tab.waitFor({ timeout: 15_000 });
  return (await tab.locator('[data-testid="counter"]').allInnerTexts()).join('').trim();
}
