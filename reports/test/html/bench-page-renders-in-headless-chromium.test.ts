// A benchmark report's index.html in a real browser: Debian's chromium driven by
// playwright-core, headless, with a fresh profile. In: the bench section of
// ../lib/bench-fixture.ts written as a report folder in a temporary directory. Out: checks the
// page loads from file:// with no console or page error and no request but its own file, the
// benchmark banner and the limits show, each workload's two charts show at a readable size,
// a folded baseline opens, and the charts need no script; bench.png is written beside the
// report (kept when RELAYCHECK_KEEP_HTML_CHECK=1).
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { chromium, type BrowserContext } from 'playwright-core';
import { buildBenchReport, writeReport } from '../../src';
import { BENCH_META, LIMITS_TEXT, benchSection } from '../lib/bench-fixture';

const CHROMIUM = '/usr/bin/chromium';
const SKIP_REASON = "needs Debian's chromium (apt-get install chromium): .ci/run installs it";
/** Bounds on the browser's start and on each page step (a hang fails, it never passes). */
const LAUNCH_MS = 15_000;
const STEP_MS = 5_000;

void t.test(
  'the benchmark page works in headless Chromium, offline and without errors',
  { skip: existsSync(CHROMIUM) ? false : SKIP_REASON },
  async (t) => {
    const keep = process.env.RELAYCHECK_KEEP_HTML_CHECK === '1';
    const root = realpathSync(mkdtempSync(join(tmpdir(), 'relaycheck-bench-html-')));
    const outDir = join(root, 'report');
    const profile = join(root, 'chromium-profile');
    const browser: { context?: BrowserContext } = {};
    t.teardown(async () => {
      await browser.context?.close();
      if (keep) rmSync(profile, { recursive: true, force: true });
      else rmSync(root, { recursive: true, force: true });
    });

    const report = buildBenchReport(benchSection(), BENCH_META);
    const workloads = report.bench?.workloads ?? [];
    const paths = writeReport(outDir, report);
    const pageUrl = pathToFileURL(paths.indexHtml).href;

    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      timeout: LAUNCH_MS,
      viewport: { width: 1280, height: 2200 },
    });
    browser.context = context;
    context.setDefaultTimeout(STEP_MS);
    const page = context.pages()[0] ?? (await context.newPage());
    const consoleErrors: string[] = [];
    const pageErrors: string[] = [];
    const requests: string[] = [];
    context.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    context.on('weberror', (e) => pageErrors.push(e.error().message));
    context.on('request', (r) => requests.push(r.url()));

    await page.goto(pageUrl, { waitUntil: 'load', timeout: STEP_MS });

    const banner = page.locator('#verdict');
    t.ok(await banner.isVisible(), 'the banner is visible');
    t.match(await banner.innerText(), /Benchmark \(profile min-spec\): no conformance cases/);
    t.notMatch(await page.locator('body').innerText(), /ready for go-live/i);
    const limits = page.locator('#bench dl.facts').first();
    t.ok(await limits.isVisible(), 'the limits are visible');
    t.match(await limits.innerText(), LIMITS_TEXT);

    t.equal(await page.locator('#bench article.workload').count(), workloads.length);
    for (let i = 0; i < workloads.length; i++) {
      for (const kind of ['throughput', 'latency']) {
        const chart = page.locator(`#chart-bench-w${i}-${kind} svg`);
        await chart.scrollIntoViewIfNeeded();
        t.ok(await chart.isVisible(), `workload ${i}: the ${kind} chart shows`);
        const box = await chart.boundingBox();
        t.ok(box !== null && box.width > 400 && box.height > 200, 'at a readable size');
      }
    }
    const shot = join(outDir, 'bench.png');
    await page.locator('#bench-w0').screenshot({ path: shot, timeout: STEP_MS });
    t.ok(existsSync(shot), 'bench.png is written beside the report');
    t.comment(
      `screenshot: ${shot}${keep ? '' : ' (removed at teardown; RELAYCHECK_KEEP_HTML_CHECK=1 keeps it)'}`,
    );

    // a baseline's steps start folded and open with a click
    const folded = page.locator('#bench-w1 details.more').first();
    const table = folded.locator('table');
    t.notOk(await table.isVisible(), 'a baseline’s steps start folded');
    await folded.locator('summary').click();
    await table.waitFor({ state: 'visible' });
    t.equal(
      await table.locator('tbody tr').count(),
      workloads[1]?.baselines[0]?.steps.length ?? -1,
      'a row per step once open',
    );

    // without script (the CDP switch, on a second page): the charts and tables are all there
    const plain = await context.newPage();
    const cdp = await context.newCDPSession(plain);
    await cdp.send('Emulation.setScriptExecutionDisabled', { value: true });
    await plain.goto(pageUrl, { waitUntil: 'load', timeout: STEP_MS });
    t.ok(
      await plain.locator('#chart-bench-w0-throughput svg').isVisible(),
      'charts need no script',
    );
    t.equal(
      await plain.locator('#bench table.steps').count(),
      workloads.length + workloads.flatMap((w) => w.baselines).length,
      'a steps table per workload and per baseline',
    );

    t.same(pageErrors, [], 'no page error');
    t.same(consoleErrors, [], 'no console error (a CSP violation would be one)');
    t.same(requests, [pageUrl, pageUrl], 'each page requested nothing but itself');
  },
);
