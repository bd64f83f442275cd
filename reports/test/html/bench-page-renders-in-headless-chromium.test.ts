// A benchmark report's index.html in a real browser: Debian's chromium driven by
// playwright-core, headless, with a fresh profile. In: the bench section of
// ../lib/bench-fixture.ts written as a report folder in a temporary directory. Out: checks the
// page loads from file:// with no console or page error and no request but its own file, the
// benchmark banner and the limits show, each workload's two charts show at a readable size,
// a folded baseline opens, and the charts need no script; bench.png is written beside the
// report (kept when RELAYCHECK_KEEP_HTML_CHECK=1).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { CHROMIUM_SKIP, STEP_MS, openBrowser } from './chromium';
import { buildBenchReport, writeReport } from '../../src';
import { BENCH_META, LIMITS_TEXT, benchSection } from '../lib/bench-fixture';

void t.test(
  'the benchmark page works in headless Chromium, offline and without errors',
  { skip: CHROMIUM_SKIP },
  async (t) => {
    const { keep, outDir, context, page, consoleErrors, pageErrors, requests } = await openBrowser(
      t,
      'relaycheck-bench-html-',
    );

    const report = buildBenchReport(benchSection(), BENCH_META);
    const workloads = report.bench?.workloads ?? [];
    const paths = writeReport(outDir, report);
    const pageUrl = pathToFileURL(paths.indexHtml).href;

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
