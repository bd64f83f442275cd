// index.html of a fault reproduction, as text. In: reports built from the hand-made
// ScenarioRun of ../lib/scenario-fixture.ts (failing; with many actions; with hostile text in
// every field a scenario run carries). Out: checks the page has the scenario banner and section
// instead of the conformance parts, the timeline chart (an SVG with the six lanes, the marks'
// legend, a labelled line per action, the deliveries under it), the facts to rerun by, the
// actions, the verdicts with expected and observed, the tallies and the notable timeline; many
// actions are numbered on the chart; and every text is escaped, in the page and in the chart.
import t from 'tap';
import { buildScenarioReport, parseReport, renderHtml, SCENARIO_LANES } from '../../src';
import { ACTION_LABELS } from '../../src/html/scenario';
import { scenarioInputOf } from '../../../suites/fault/lib/report';
import type { ScenarioRun } from '../../../suites/fault/lib/run';
import { DIGEST, SCENARIO_META, scenarioRun } from '../lib/scenario-fixture';
import { brokenTags } from './fixture';

function page(run: ScenarioRun): string {
  return renderHtml(buildScenarioReport(scenarioInputOf(run), SCENARIO_META));
}

/** The SVG of the timeline chart. */
function chartOf(html: string): string {
  const at = html.indexOf('<figure id="chart-scenario-timeline">');
  return html.slice(at, html.indexOf('</figure>', at));
}

void t.test('the page of a failed scenario: banner, chart, facts, verdicts, timeline', (t) => {
  const html = page(scenarioRun({ failing: true }));
  t.match(html, '<h1>relaycheck fault reproduction report</h1>');
  t.match(html, /<section id="verdict" class="banner not-ready"/);
  t.match(html, '<h2 id="verdict-title" class="verdict">Not handled</h2>');
  t.match(
    html,
    'Scenario FAULT-001 tcp-ports-closed-midday: NOT handled, 1 of 3 expectations failed',
  );
  t.match(
    html,
    'every post took effect exactly once</a>: <span class="reason">expected 10 effects',
  );
  t.notMatch(html, 'id="matrix"', 'no area matrix');
  t.notMatch(html, 'id="case-table"', 'no case table: the scenario is the page');

  const chart = chartOf(html);
  t.match(
    chart,
    /^<figure id="chart-scenario-timeline"><svg role="img" aria-label="Timeline of FAULT-001/,
  );
  for (const lane of SCENARIO_LANES) t.match(chart, `>${lane}</text>`, `the ${lane} lane`);
  for (const legend of ['action', 'reconnect', 'failure', 'delivered', 'delivered / bucket']) {
    t.match(chart, `>${legend}</text>`, `${legend} in the legend`);
  }
  t.match(chart, '>A1 relay #1 started (pid 20896); live</text>', 'each action has its line');
  t.match(chart, '>A2 firewall: refuse 9350-9354 (open connection…</text>', 'its text clipped');
  t.match(chart, '>A3 firewall: the starting rules again</text>');
  t.match(chart, 'stroke-dasharray', 'the action lines are dashed');
  t.match(chart, '>scenario time (seconds)</text>', 'x is scenario seconds');
  t.match(chart, '>per 1 s</text>', 'the deliveries per bucket under it');
  t.match(
    chart,
    /aria-label="[^"]*3 actions \(0\.0 s relay #1 started[^"]*49 delivered, 2 failed deliveries or requests; 4 reconnects; 3 failures marked"/,
  );
  t.notMatch(chart, /<script/i, 'no script in the chart');

  t.match(html, `<dt>sequence digest</dt><dd><code>${DIGEST}</code></dd>`);
  t.match(html, '<dt>seed</dt><dd>11</dd>');
  t.match(
    html,
    '<dt>rerun</dt><dd><code>relaycheck reproduce tcp-ports-closed-midday --seed 11 --speed max --fast</code></dd>',
  );
  const actions = /<table id="scenario-actions"[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
  t.equal((actions.match(/<tr><td>A\d+<\/td>/g) ?? []).length, 3, 'a row per action');
  const verdicts = /<table id="scenario-verdicts"[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
  t.match(
    verdicts,
    '<tr class="failed"><td><span class="outcome fail">FAILED</span></td><td>every post took effect exactly once</td><td><pre>10 effects: none lost, duplicated, altered or stray</pre></td><td><pre>lost posts-s11-1-2; duplicated none</pre></td><td>effects</td></tr>',
  );
  t.equal((verdicts.match(/<tr class="ok">/g) ?? []).length, 2);
  t.match(html, /<table id="scenario-tallies"[\s\S]*<td class="num">4<\/td><\/tr><\/tbody>/);
  const notable = /<table id="scenario-timeline"[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
  t.match(
    notable,
    '<tr class="mark-reconnect"><td class="t">83.1 s</td><td class="lane">connection</td><td>relay #1</td><td>relay transport-lost</td></tr>',
  );
  t.match(notable, '<tr class="mark-failure"><td class="t">81.5 s</td>');
  t.notMatch(notable, '>completed lookups', 'completed deliveries are on the chart only');
  t.match(html, '<dt>selection</dt><dd>cases FAULT-001</dd>');
  t.end();
});

void t.test('many actions are numbered on the chart, their text in the table', (t) => {
  const base = scenarioRun();
  const kills = Array.from({ length: ACTION_LABELS + 8 }, (_, i) => ({
    t: 5000 + i * 4000,
    lane: 'action' as const,
    what: `relay #${String(i + 1)} killed (SIGKILL)`,
    source: 'runner',
    notable: true,
  }));
  const html = page({
    ...base,
    timeline: [...base.timeline, ...kills].sort((a, b) => a.t - b.t),
  });
  const chart = chartOf(html);
  t.match(chart, '>A20</text>', 'numbered');
  t.notMatch(chart, '>A20 ', 'without their text');
  t.match(html, '<td>A23</td><td class="t">81.0 s</td><td>relay #20 killed (SIGKILL)</td>');
  t.end();
});

const PAYLOAD = `<script>alert(1)</script> "q" & 'a' </table><img src=x onerror=alert(2)>`;
const ESCAPED =
  '&lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot; &amp; &#39;a&#39; &lt;/table&gt;&lt;img src=x onerror=alert(2)&gt;';

void t.test('every text of a scenario run is escaped, in the page and in the chart', (t) => {
  const base = scenarioRun({ failing: true, defect: 'sticky' });
  const run: ScenarioRun = {
    ...base,
    scenario: {
      ...base.scenario,
      title: `title ${PAYLOAD}`,
      symptom: `symptom ${PAYLOAD}`,
      description: `description ${PAYLOAD}`,
    },
    timeline: base.timeline.map((e) =>
      e.lane === 'action' || e.lane === 'connection'
        ? { ...e, what: `${e.lane} ${PAYLOAD}`, source: `source ${PAYLOAD}` }
        : e,
    ),
    verdicts: base.verdicts.map((v) => ({
      ...v,
      what: `what ${PAYLOAD}`,
      expected: `expected ${PAYLOAD}`,
      observed: `observed ${PAYLOAD}`,
    })),
  };
  const built = buildScenarioReport(scenarioInputOf(run), SCENARIO_META);
  // the checks, the defect and the run id through the reader (the runner's types fix them)
  const doc = JSON.parse(JSON.stringify(built)) as {
    scenario: { defect: string; verdicts: { check: string }[] };
    run: { id: string };
  };
  for (const v of doc.scenario.verdicts) v.check = `check ${PAYLOAD}`;
  doc.scenario.defect = `defect ${PAYLOAD}`;
  doc.run.id = `run ${PAYLOAD}`;
  const html = renderHtml(parseReport(doc));
  t.notMatch(html, 'alert(1)</script>', 'the payload never appears raw');
  t.notMatch(html, /<img\b/i, 'no element comes from a text');
  t.equal((html.match(/<script/gi) ?? []).length, 1, 'the only script is the page’s own');
  t.same(brokenTags(html), [], 'no quote broke out of an attribute');
  for (const label of [
    'title',
    'symptom',
    'description',
    'action',
    'connection',
    'source',
    'what',
    'expected',
    'observed',
    'check',
    'defect',
    'run',
  ]) {
    t.match(html, `${label} ${ESCAPED}`, `the ${label} is shown, escaped`);
  }
  const chart = chartOf(html);
  t.match(
    chart,
    '>A2 action &lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot; &amp; &#39;a&#39; …</text>',
    'echarts escaped an action line label',
  );
  t.match(
    chart,
    /aria-label="[^"]*; 20\.1 s action &lt;script&gt;alert\(1\)&lt;\/script&gt; &quot;q&quot;/,
    'and the aria-label',
  );
  t.end();
});
