// A fault reproduction's index.html in a real browser: Debian's chromium driven by
// playwright-core, headless, with a fresh profile. In: the hand-made failing ScenarioRun of
// ../lib/scenario-fixture.ts (an action's text holding a script tag) written by
// writeScenarioReport into a temporary folder. Out: checks the page loads from file:// with no
// console or page error and no request but its own file, the banner says the scenario was not
// handled, the timeline chart shows at a readable size with its lanes and action lines, the
// verdict table shows expected and observed, the hostile text shows as text and runs nothing,
// and the chart needs no script; scenario.png is written beside the report (kept when
// RELAYCHECK_KEEP_HTML_CHECK=1).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { CHROMIUM_SKIP, STEP_MS, openBrowser } from './chromium';
import { writeScenarioReport } from '../../../suites/fault/lib/report';
import { scenarioRun } from '../lib/scenario-fixture';

const HOSTILE =
  'firewall: refuse 9350-9354 <script>window.relaycheckPwned = true</script><img src=x onerror="window.relaycheckPwned = true">';

void t.test(
  'the scenario page works in headless Chromium, offline and without errors',
  { skip: CHROMIUM_SKIP },
  async (t) => {
    const { keep, outDir, context, page, consoleErrors, pageErrors, requests } = await openBrowser(
      t,
      'relaycheck-scenario-html-',
    );
    const base = scenarioRun({ failing: true });
    const run = {
      ...base,
      timeline: base.timeline.map((e) =>
        e.what.startsWith('firewall: refuse') ? { ...e, what: HOSTILE } : e,
      ),
    };
    await writeScenarioReport(run, outDir);
    const pageUrl = pathToFileURL(join(outDir, 'index.html')).href;
    await page.goto(pageUrl, { waitUntil: 'load', timeout: STEP_MS });

    const banner = page.locator('#verdict');
    t.ok(await banner.isVisible(), 'the banner is visible');
    t.match(await banner.innerText(), /Not handled/);
    t.match(await banner.innerText(), /every post took effect exactly once: expected 10 effects/);

    const chart = page.locator('#chart-scenario-timeline svg');
    await chart.scrollIntoViewIfNeeded();
    t.ok(await chart.isVisible(), 'the timeline chart shows');
    const box = await chart.boundingBox();
    t.ok(box !== null && box.width > 800 && box.height > 350, 'at a readable size');
    const texts = await chart.locator('text').allTextContents();
    for (const lane of ['workload', 'action', 'connection', 'delivery', 'world', 'check']) {
      t.ok(texts.includes(lane), `the ${lane} lane is labelled`);
    }
    t.ok(
      texts.some((x) => x.startsWith('A2 firewall: refuse 9350-9354 <script>')),
      'an action line carries its text, as text',
    );
    t.ok(texts.includes('A3 firewall: the starting rules again'));
    const shot = join(outDir, 'scenario.png');
    await page.locator('#scenario').screenshot({ path: shot, timeout: STEP_MS });
    t.ok(existsSync(shot), 'scenario.png is written beside the report');
    t.comment(
      `screenshot: ${shot}${keep ? '' : ' (removed at teardown; RELAYCHECK_KEEP_HTML_CHECK=1 keeps it)'}`,
    );

    const verdicts = page.locator('#scenario-verdicts');
    t.ok(await verdicts.isVisible(), 'the verdict table is visible');
    t.equal(await verdicts.locator('tbody tr').count(), 3, 'a row per verdict');
    t.match(
      await verdicts.locator('tr.failed').innerText(),
      /FAILED\s+every post took effect exactly once\s+10 effects: none lost, duplicated, altered or stray\s+lost posts-s11-1-2; duplicated none/,
    );
    const action = page.locator('#scenario-actions tbody tr').nth(1);
    t.ok((await action.innerText()).includes(HOSTILE), 'the hostile action shows as text');
    t.equal(await action.locator('script, img').count(), 0, 'and adds no element');
    t.equal(
      await page.evaluate(
        () => (globalThis as unknown as { relaycheckPwned?: boolean }).relaycheckPwned,
      ),
      undefined,
      'nothing of it ran',
    );
    t.match(await page.locator('#scenario dl.facts').innerText(), /sequence digest\s+2d54087c/);

    // without script (the CDP switch, on a second page): the chart is all there
    const plain = await context.newPage();
    const cdp = await context.newCDPSession(plain);
    await cdp.send('Emulation.setScriptExecutionDisabled', { value: true });
    await plain.goto(pageUrl, { waitUntil: 'load', timeout: STEP_MS });
    t.ok(
      await plain.locator('#chart-scenario-timeline svg').isVisible(),
      'the chart needs no script',
    );

    t.same(pageErrors, [], 'no page error');
    t.same(consoleErrors, [], 'no console error (a CSP violation would be one)');
    t.same(requests, [pageUrl, pageUrl], 'each page requested nothing but itself');
  },
);
