// index.html in a real browser: Debian's chromium driven by playwright-core, headless, with a
// fresh profile. In: the recorded run written as a report folder in a temporary directory.
// Out: checks the page loads from file:// with no console or page error and no request but
// its own file, the banner, matrix and charts show, the security table shows a row per attack
// (an evidence line holding a script tag shows as text and runs nothing; an attack's link opens
// its case), a failed case's link opens its drill-down (expected vs observed, event log, charts)
// and the filter hides rows; screenshot.png, security.png and drilldown.png are written beside
// the report (kept when RELAYCHECK_KEEP_HTML_CHECK=1).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { CHROMIUM_SKIP, STEP_MS, openBrowser } from './chromium';
import { buildReport, securityTally, writeReport, type ReportCaseInput } from '../../src';
import { recordedRun } from './fixture';

/** An evidence line of a security case that would run script if it were not escaped. */
const HOSTILE_LINE =
  'refused RELAY_E_WORK_ENVELOPE <script>window.relaycheckPwned = true</script><img src=x onerror="window.relaycheckPwned = true">';

/** The recorded run, with the hostile line in ENV-004's events (its outcome unchanged). */
function withHostileEvidence(outcomes: readonly ReportCaseInput[]): ReportCaseInput[] {
  return outcomes.map((o) =>
    o.case.id === 'ENV-004'
      ? { ...o, events: [{ atMs: 1, source: 'relay', channel: 'relay:work', text: HOSTILE_LINE }] }
      : o,
  );
}

void t.test(
  'the report page works in headless Chromium, offline and without errors',
  { skip: CHROMIUM_SKIP },
  async (t) => {
    const { keep, outDir, context, page, consoleErrors, pageErrors, requests } = await openBrowser(
      t,
      'relaycheck-html-',
    );

    const run = recordedRun({
      antivirus: { clamdAvailable: true, clamdVersion: 'ClamAV 1.4.6' },
    });
    const report = buildReport({ ...run, outcomes: withHostileEvidence(run.outcomes) });
    const paths = writeReport(outDir, report);
    const pageUrl = pathToFileURL(paths.indexHtml).href;

    await page.goto(pageUrl, { waitUntil: 'load', timeout: STEP_MS });

    // the page as a new reader sees it
    const banner = page.locator('#verdict');
    t.ok(await banner.isVisible(), 'the verdict banner is visible');
    t.match(await banner.innerText(), /Not ready for go-live/);
    const matrix = page.locator('#matrix table');
    t.ok(await matrix.isVisible(), 'the area x outcome matrix is visible');
    t.equal(await matrix.locator('tbody tr').count(), report.areas.length + 1, 'a row per area');
    t.equal(await page.locator('#charts figure svg').count(), 3, 'three run charts');
    t.ok(await page.locator('#chart-outcomes svg').isVisible(), 'the outcomes chart shows');
    t.ok(await page.locator('#chart-durations svg').isVisible(), 'the durations chart shows');
    t.ok(await page.locator('#chart-dials svg').isVisible(), 'the dials chart shows');
    t.ok(await page.locator('#case-filter').isVisible(), 'the script showed the filter form');
    const screenshot = join(outDir, 'screenshot.png');
    await page.screenshot({ path: screenshot, timeout: STEP_MS });
    t.ok(existsSync(screenshot), 'screenshot.png is written beside the report');
    t.comment(
      `screenshot: ${screenshot}${keep ? '' : ' (removed at teardown; RELAYCHECK_KEEP_HTML_CHECK=1 keeps it)'}`,
    );

    // the security table: a row per attack under its group, the antivirus facts
    const security = report.security;
    t.ok(security !== undefined && security.rows.length > 0, 'the recorded run has attacks');
    const secTable = page.locator('#security-table');
    t.ok(await secTable.isVisible(), 'the security table is visible');
    t.match(
      await page.locator('#security p.tally').innerText(),
      security === undefined ? 'no section' : `${securityTally(security.counts)}.`,
    );
    t.equal(
      await secTable.locator('tbody tr[id^="attack-"]').count(),
      security?.rows.length,
      'a row per attack',
    );
    t.equal(await secTable.locator('tbody tr.group').count(), security?.groups.length);
    t.match(
      await page.locator('#security-antivirus').innerText(),
      /clamd\s+available \(ClamAV 1\.4\.6\)/,
    );
    const hostile = page.locator('#attack-ENV-004');
    t.ok(
      (await hostile.innerText()).includes(HOSTILE_LINE),
      'an evidence line with a script tag shows as text',
    );
    t.equal(await hostile.locator('script, img').count(), 0, 'and adds no element');
    t.equal(
      await page.evaluate(
        () => (globalThis as unknown as { relaycheckPwned?: boolean }).relaycheckPwned,
      ),
      undefined,
      'nothing of it ran',
    );
    const securityShot = join(outDir, 'security.png');
    await page.locator('#security').screenshot({ path: securityShot, timeout: STEP_MS });
    t.ok(existsSync(securityShot), 'security.png is written beside the report');
    t.comment(`security screenshot: ${securityShot}`);
    await hostile.locator('a[href="#case-ENV-004"]').click();
    await page.locator('#case-ENV-004 dl.facts').waitFor({ state: 'visible' });
    t.ok(page.url().endsWith('#case-ENV-004'), "an attack's link opens its case's details");

    // a failed must case: its banner link opens its drill-down
    const failed = 'PORT-003';
    t.ok(report.verdict.failedMust.includes(failed), 'the recorded run has PORT-003 failed');
    const drill = page.locator(`#case-${failed}`);
    const requirement = drill.locator('dl.facts');
    t.notOk(await requirement.isVisible(), 'the drill-down starts closed');
    await page.locator(`#verdict a[href="#case-${failed}"]`).click();
    await drill.locator('dl.facts').waitFor({ state: 'visible' });
    t.ok(await drill.evaluate((d) => (d as unknown as { open: boolean }).open), 'it is open');
    const failedCase = report.cases.find((c) => c.id === failed);
    t.ok(
      failedCase !== undefined && (await requirement.innerText()).includes(failedCase.requirement),
      'its requirement shows',
    );
    t.match(await drill.innerText(), /found: 0 messages completed/, 'observed is shown');
    t.ok(page.url().endsWith(`#case-${failed}`), 'the address names the case');

    // its evidence: expected vs observed, the event log (folded: 26 events), the dial chart
    const assertions = drill.locator('table.assertions');
    t.ok(await assertions.isVisible(), 'the expected and observed table shows');
    const firstRow = assertions.locator('tbody tr').first();
    t.match(
      await firstRow.innerText(),
      /relays a message\s+FAILED\s+1 message completed\s+0 messages completed/,
      'the failed assertion comes first with what it expected and observed',
    );
    const events = drill.locator('table.events');
    t.notOk(await events.isVisible(), 'the long event log starts folded');
    await drill.locator('details.events > summary').click();
    await events.waitFor({ state: 'visible' });
    t.equal(await events.locator('tbody tr').count(), 26, 'a row per event once unfolded');
    t.match(
      await events.innerText(),
      /sim:net:dial\s+dial council-42\.servicebus\.windows\.net:5671 reject/,
    );
    const dials = drill.locator(`#chart-${failed}-dials svg`);
    t.ok(await dials.isVisible(), 'the dial chart shows');
    const box = await dials.boundingBox();
    t.ok(box !== null && box.width > 300 && box.height > 150, 'at a readable size');
    const drilldownShot = join(outDir, 'drilldown.png');
    await drill.screenshot({ path: drilldownShot, timeout: STEP_MS });
    t.ok(existsSync(drilldownShot), 'drilldown.png is written beside the report');
    t.comment(`drill-down screenshot: ${drilldownShot}`);

    // a case with metrics: its histogram and line show
    await page.locator('#row-SB-020 a[href="#case-SB-020"]').click();
    const metrics = page.locator('#case-SB-020');
    await metrics.locator('#chart-SB-020-m0 svg').waitFor({ state: 'visible' });
    t.ok(await metrics.locator('#chart-SB-020-m1 svg').isVisible(), 'the histogram and line show');
    t.match(await metrics.locator('table.metrics').innerText(), /send-to-complete latency/);

    // the text filter hides rows that do not match
    const rows = page.locator('#case-table tbody tr');
    t.equal(await rows.count(), report.cases.length);
    const query = 'port-00';
    const matching = report.cases.filter((c) => `${c.id} ${c.title}`.toLowerCase().includes(query));
    t.ok(matching.length > 0 && matching.length < report.cases.length, 'the query is selective');
    await page.locator('#filter-text').fill(query);
    t.equal(await page.locator('#case-table tbody tr:visible').count(), matching.length);
    t.ok(await page.locator('#row-PORT-003').isVisible(), 'a matching row stays');
    t.notOk(await page.locator('#row-HS-001').isVisible(), 'another row is hidden');
    t.match(
      await page.locator('#filter-status').innerText(),
      `${matching.length} of ${report.cases.length} cases shown`,
    );

    // a matrix cell filters the table to its area and outcome
    await page.locator('#matrix tr[data-area="ip"] a[data-filter-outcome="skip"]').click();
    const ipSkips = report.cases.filter((c) => c.area === 'ip' && c.outcome === 'skip');
    t.equal(await page.locator('#case-table tbody tr:visible').count(), ipSkips.length);
    t.ok(await page.locator('#row-IP-004').isVisible(), 'the skipped IP case is listed');

    // without script (the CDP switch, on a second page): every row shows, the form does not
    const plain = await context.newPage();
    const cdp = await context.newCDPSession(plain);
    await cdp.send('Emulation.setScriptExecutionDisabled', { value: true });
    await plain.goto(pageUrl, { waitUntil: 'load', timeout: STEP_MS });
    t.equal(
      await plain.locator('#case-table tbody tr:visible').count(),
      report.cases.length,
      'without script every row shows',
    );
    t.notOk(await plain.locator('#case-filter').isVisible(), 'and the filter form is hidden');
    t.ok(await plain.locator('#chart-outcomes svg').isVisible(), 'the charts need no script');
    t.match(await plain.locator('#filter-status').innerText(), `All ${report.cases.length} cases`);

    t.same(pageErrors, [], 'no page error');
    t.same(consoleErrors, [], 'no console error (a CSP violation would be one)');
    t.same(requests, [pageUrl, pageUrl], 'each page requested nothing but itself');
  },
);
