// The fault reproduction part of index.html. In: a Report with a `scenario` section
// (../scenario.ts). Out: HTML: a banner with the scenario's verdict (handled or not; with a
// defect, caught or not), the customer's symptom and each failed expectation; and the section
// "Scenario": the facts to rerun it by (seed, sequence digest, speed, the command), the
// timeline chart (echarts SVG drawn on the server: x scenario seconds, a lane per row, a point
// per event coloured by lane, actions emphasised with a dashed vertical line and their text,
// reconnects and failures marked, deliveries per time bucket as bars under it), the actions,
// the verdicts (expected, observed), the tallies and the notable timeline. Every text is
// escaped. Pure.
import {
  SCENARIO_LANES,
  actionsOf,
  notableOf,
  runFacts,
  scenarioSeconds,
  scenarioVerdictWords,
  sequenceFacts,
  tallyRows,
  type ScenarioEntry,
  type ScenarioLane,
  type ScenarioMark,
  type ScenarioSection,
} from '../scenario';
import type { Report } from '../schema';
import { spread } from '../evidence';
import { CHART_FONT, CHART_WIDTH, chartTitle, drawChart, type ChartResult } from './charts';
import { escapeHtml as h } from './escape';

/** The few rules the scenario part adds to the page's style sheet. */
export const SCENARIO_STYLE = `
#scenario blockquote.symptom { margin: 8px 0; padding: 6px 14px; border-left: 4px solid var(--line); background: var(--bg-soft); font-style: italic; }
#scenario figure { margin: 8px 0 12px; }
#scenario dl.facts dd code { overflow-wrap: anywhere; }
table.scenario td { overflow-wrap: anywhere; }
table.scenario td.t { white-space: nowrap; text-align: right; font-variant-numeric: tabular-nums; }
table.scenario pre { margin: 0; white-space: pre-wrap; }
table.scenario tr.failed td:first-child, table.scenario tr.mark-failure td:first-child { border-left: 4px solid var(--fail); }
table.scenario tr.mark-action td:first-child { border-left: 4px solid #8250df; }
table.scenario tr.mark-reconnect td:first-child { border-left: 4px solid var(--non-strict); }
table.scenario tr.gap td { text-align: center; }
table.scenario .lane { font-family: ui-monospace, monospace; font-size: 0.9em; }
`;

/** The colour of each lane's plain events. */
export const LANE_COLOURS: Readonly<Record<ScenarioLane, string>> = Object.freeze({
  workload: '#6e7781',
  action: '#8250df',
  connection: '#0969da',
  delivery: '#4ac26b',
  world: '#9a6700',
  check: '#57606a',
});

/** How each mark is drawn: its legend name, colour, symbol and size. */
const MARK_STYLE: Readonly<
  Record<ScenarioMark, { name: string; colour: string; symbol: string; size: number }>
> = {
  action: { name: 'action', colour: '#8250df', symbol: 'diamond', size: 15 },
  delivery: { name: 'delivered', colour: '#1a7f37', symbol: 'circle', size: 6 },
  reconnect: {
    name: 'reconnect',
    colour: '#b35900',
    symbol: 'triangle',
    size: 12,
  },
  failure: { name: 'failure', colour: '#cf222e', symbol: 'rect', size: 11 },
};

/** The timeline chart's id (its figure's too). */
export const SCENARIO_CHART_ID = 'chart-scenario-timeline';
/** The chart draws at most this many points of a series (the tables and report.json have all). */
export const POINTS_DRAWN = 600;
/** Action lines carry their text up to this many actions; beyond, their number (A1, A2, ...). */
export const ACTION_LABELS = 12;
/** At most this many action lines are drawn. */
export const ACTION_LINES = 200;
/** The page lists at most this many notable timeline lines (the first and last halves). */
export const NOTABLE_SHOWN = 400;

const GRID_LEFT = 110;
const GRID_RIGHT = 40;
const LANE_HEIGHT = 38;

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Scenario ms as seconds to a tenth, for the chart. */
function sec(t: number): number {
  return Math.round(t / 100) / 10;
}

/** An action's label: `A1 firewall: refuse 9350-9354`. */
export function actionLabel(e: ScenarioEntry, index: number, total: number): string {
  return total <= ACTION_LABELS ? `A${index + 1} ${clip(e.what, 44)}` : `A${index + 1}`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * The timeline chart: a point per entry in its lane (plain events by lane colour; actions,
 * deliveries, reconnects and failures in their own series and symbols), a dashed vertical line
 * per action with its text, and under it the deliveries completed (and failed) per bucket.
 */
export function scenarioTimelineChart(s: ScenarioSection): ChartResult {
  const lanes = [...SCENARIO_LANES].reverse(); // echarts draws the first category at the bottom
  const y = (lane: ScenarioLane): number => lanes.indexOf(lane);
  const last = Math.max(s.scenarioMs, ...s.timeline.map((e) => e.t), 1);
  const xMax = Math.max(1, Math.ceil(last / 1000));
  const point = (e: ScenarioEntry): [number, number] => [sec(e.t), y(e.lane)];
  const actions = actionsOf(s).slice(0, ACTION_LINES);

  const plainSeries = SCENARIO_LANES.map((lane) => ({
    lane,
    entries: s.timeline.filter((e) => e.lane === lane && e.mark === undefined),
  }))
    .filter((p) => p.entries.length > 0)
    .map((p) => ({
      name: p.lane,
      type: 'scatter' as const,
      xAxisIndex: 0,
      yAxisIndex: 0,
      symbolSize: 6,
      itemStyle: { color: LANE_COLOURS[p.lane], opacity: 0.75 },
      data: spread(p.entries, POINTS_DRAWN).map(point),
    }));
  const markSeries = (['delivery', 'reconnect', 'failure', 'action'] as const)
    .map((m) => ({ m, entries: s.timeline.filter((e) => e.mark === m) }))
    .filter((x) => x.entries.length > 0 || x.m === 'action')
    .map(({ m, entries }) => {
      const st = MARK_STYLE[m];
      return {
        name: st.name,
        type: 'scatter' as const,
        xAxisIndex: 0,
        yAxisIndex: 0,
        symbol: st.symbol,
        symbolSize: st.size,
        z: m === 'delivery' ? 2 : 4,
        itemStyle: {
          color: st.colour,
          ...(m === 'delivery' ? {} : { borderColor: '#1f2328', borderWidth: 1 }),
        },
        data: spread(entries, POINTS_DRAWN).map(point),
        ...(m === 'action' && actions.length > 0
          ? {
              markLine: {
                silent: true,
                animation: false,
                symbol: ['none', 'none'],
                lineStyle: { color: '#8250df', type: 'dashed' as const, width: 1.2 },
                label: {
                  show: true,
                  position: 'insideEndBottom' as const,
                  fontSize: 10,
                  fontFamily: CHART_FONT,
                  color: '#3d2a7a',
                  formatter: (p: { name?: string }) => p.name ?? '',
                },
                data: actions.map((e, i) => ({
                  name: actionLabel(e, i, actions.length),
                  xAxis: sec(e.t),
                })),
              },
            }
          : {}),
      };
    });

  const { bucketMs, completed, failed } = s.deliveries;
  const bucketSec = bucketMs / 1000;
  const plotWidth = CHART_WIDTH - GRID_LEFT - GRID_RIGHT;
  const barWidth = Math.max(2, Math.floor(((plotWidth * bucketSec) / xMax) * 0.8));
  const centre = (i: number): number => Math.round((i + 0.5) * bucketSec * 100) / 100;
  const bars = [
    { name: 'delivered / bucket', colour: '#1a7f37', counts: completed },
    { name: 'failed / bucket', colour: '#cf222e', counts: failed },
  ].map((b) => ({
    name: b.name,
    type: 'bar' as const,
    xAxisIndex: 1,
    yAxisIndex: 1,
    stack: 'deliveries',
    barWidth,
    itemStyle: { color: b.colour },
    data: b.counts.map((n, i) => [centre(i), n]),
  }));

  const top = 100;
  const lanesHeight = lanes.length * LANE_HEIGHT;
  const barsTop = top + lanesHeight + 44;
  const barsHeight = 90;
  const height = barsTop + barsHeight + 62;
  const series = [...plainSeries, ...markSeries, ...bars];
  const option = {
    animation: false,
    title: chartTitle(
      `${s.scenario.case} ${s.scenario.name}: timeline`,
      `seed ${s.seed}, speed ${s.speed} (×${String(Number(s.factor.toPrecision(4)))}), ${s.variant} variant, sequence ${s.sequence.digest.slice(0, 16)}`,
    ),
    legend: {
      top: 52,
      left: 'center',
      width: CHART_WIDTH - 80,
      itemGap: 14,
      data: series.map((x) => x.name),
      textStyle: { fontFamily: CHART_FONT },
    },
    grid: [
      { left: GRID_LEFT, right: GRID_RIGHT, top, height: lanesHeight },
      { left: GRID_LEFT, right: GRID_RIGHT, top: barsTop, height: barsHeight },
    ],
    xAxis: [
      { type: 'value' as const, gridIndex: 0, min: 0, max: xMax },
      {
        type: 'value' as const,
        gridIndex: 1,
        min: 0,
        max: xMax,
        name: 'scenario time (seconds)',
        nameLocation: 'middle' as const,
        nameGap: 28,
      },
    ],
    yAxis: [
      {
        type: 'category' as const,
        gridIndex: 0,
        data: lanes,
        splitLine: { show: true },
        axisLabel: { fontFamily: CHART_FONT },
      },
      {
        type: 'value' as const,
        gridIndex: 1,
        name: `per ${String(bucketSec)} s`,
        nameLocation: 'middle' as const,
        nameGap: 36,
        minInterval: 1,
        splitNumber: 2,
      },
    ],
    series,
  };
  const delivered = completed.reduce((a, b) => a + b, 0);
  const failedCount = failed.reduce((a, b) => a + b, 0);
  const reconnects = s.timeline.filter((e) => e.mark === 'reconnect').length;
  const failures = s.timeline.filter((e) => e.mark === 'failure').length;
  const laneCounts = SCENARIO_LANES.map(
    (lane) => `${lane} ${s.timeline.filter((e) => e.lane === lane).length}`,
  ).join(', ');
  const actionWords = actions
    .slice(0, ACTION_LABELS)
    .map((e) => `${scenarioSeconds(e.t)} ${clip(e.what, 80)}`)
    .join('; ');
  const label =
    `Timeline of ${s.scenario.case} ${s.scenario.name} over ${scenarioSeconds(last)} of scenario time: ` +
    `${plural(s.timeline.length, 'entry', 'entries')} by lane (${laneCounts}); ` +
    `${plural(actions.length, 'action', 'actions')}${actions.length > 0 ? ` (${actionWords}${actions.length > ACTION_LABELS ? '; and more' : ''})` : ''}; ` +
    `${delivered} delivered, ${failedCount} failed deliveries or requests; ` +
    `${plural(reconnects, 'reconnect', 'reconnects')}; ${plural(failures, 'failure', 'failures')} marked`;
  return drawChart(SCENARIO_CHART_ID, option, height, label);
}

function badge(cls: string, word: string): string {
  return `<span class="outcome ${h(cls)}">${h(word)}</span>`;
}

function facts(pairs: readonly (readonly [string, string])[], codes: readonly string[]): string {
  return `<dl class="facts">${pairs
    .map(
      ([k, v]) => `<dt>${h(k)}</dt><dd>${codes.includes(k) ? `<code>${h(v)}</code>` : h(v)}</dd>`,
    )
    .join('')}</dl>`;
}

/** Whether the run turned out as wanted: handled, or with a defect, the defect caught. */
function asWanted(s: ScenarioSection): boolean {
  return s.defect === null ? s.outcome === 'pass' : s.outcome === 'fail';
}

/** The banner of a scenario page: the verdict, the symptom, the failed expectations. */
export function scenarioBanner(report: Report, s: ScenarioSection): string {
  const failed = s.verdicts.filter((v) => !v.pass);
  let html = `<section id="verdict" class="banner ${asWanted(s) ? 'ready' : 'not-ready'}" aria-labelledby="verdict-title">`;
  html += `<h2 id="verdict-title" class="verdict">${h(scenarioVerdictWords(s))}</h2>`;
  html += `<p class="headline">${h(report.verdict.headline)}</p>`;
  html += `<p>Customer symptom: ${h(s.scenario.symptom.replace(/\s+/g, ' ').trim())}</p>`;
  if (s.defect !== null) {
    html += `<p>The relay ran with the deliberate defect <code>${h(s.defect)}</code>: the scenario ${s.outcome === 'fail' ? 'caught it, as it must' : '<strong>did not catch it</strong>'}.</p>`;
  }
  if (failed.length > 0) {
    html += `<h3>Expectations that failed (${failed.length})</h3><ul>`;
    for (const v of failed) {
      html += `<li><a href="#scenario-verdicts">${h(v.what)}</a>: <span class="reason">expected ${h(v.expected)}; observed ${h(v.observed)}</span></li>`;
    }
    html += '</ul>';
  }
  if (!s.settled) {
    html +=
      '<p><strong>The run did not settle</strong> within its bound: the verdicts were taken anyway.</p>';
  }
  html += `<p>The run ${report.verdict.ready ? 'passes (exit code 0)' : 'fails (exit code 1)'}: ${s.verdicts.length - failed.length} of ${s.verdicts.length} expectations held over ${h(scenarioSeconds(s.scenarioMs))} of scenario time.</p>`;
  return `${html}</section>`;
}

function entryRows(entries: readonly ScenarioEntry[]): string {
  return entries
    .map(
      (e) =>
        `<tr${e.mark === undefined ? '' : ` class="mark-${h(e.mark)}"`}><td class="t">${h(scenarioSeconds(e.t))}</td>` +
        `<td class="lane">${h(e.lane)}</td><td>${h(e.source)}</td><td>${h(e.what)}</td></tr>`,
    )
    .join('');
}

/** The notable timeline as a table: the first and last halves when it is long. */
function notableTable(s: ScenarioSection): string {
  const notable = notableOf(s);
  const head = Math.ceil(NOTABLE_SHOWN / 2);
  const thinned = notable.length > NOTABLE_SHOWN;
  let rows = entryRows(thinned ? notable.slice(0, head) : notable);
  if (thinned) {
    rows += `<tr class="gap"><td colspan="4" class="note">${h(plural(notable.length - NOTABLE_SHOWN, 'more notable line', 'more notable lines'))} here: timeline.txt and report.json have them.</td></tr>`;
    rows += entryRows(notable.slice(notable.length - (NOTABLE_SHOWN - head)));
  }
  return (
    '<table id="scenario-timeline" class="scenario timeline"><caption>What happened, in scenario time: the lines printed live by relaycheck reproduce and every action, reconnect and failure (deliveries that completed are on the chart and in report.json).</caption>' +
    '<thead><tr><th scope="col" class="num">t</th><th scope="col">lane</th><th scope="col">source</th><th scope="col">what</th></tr></thead>' +
    `<tbody>${rows}</tbody></table>`
  );
}

function verdictTable(s: ScenarioSection): string {
  let html =
    '<table id="scenario-verdicts" class="scenario verdicts"><caption>Each expectation of the scenario: what it expected, what the run observed.</caption>' +
    '<thead><tr><th scope="col">result</th><th scope="col">expectation</th><th scope="col">expected</th><th scope="col">observed</th><th scope="col">check</th></tr></thead><tbody>';
  for (const v of s.verdicts) {
    html +=
      `<tr class="${v.pass ? 'ok' : 'failed'}"><td>${v.pass ? badge('pass', 'pass') : badge('fail', 'FAILED')}</td>` +
      `<td>${h(v.what)}</td><td><pre>${h(v.expected)}</pre></td><td><pre>${h(v.observed)}</pre></td><td>${h(v.check)}</td></tr>`;
  }
  if (s.verdicts.length === 0) {
    html += '<tr><td colspan="5" class="note">The scenario states no expectation.</td></tr>';
  }
  return `${html}</tbody></table>`;
}

function actionsTable(s: ScenarioSection): string {
  const actions = actionsOf(s);
  if (actions.length === 0) return '<p class="note">The timeline holds no action.</p>';
  let html =
    '<table id="scenario-actions" class="scenario actions"><caption>The actions of the run (the dashed lines on the chart), in order.</caption>' +
    '<thead><tr><th scope="col">line</th><th scope="col" class="num">t</th><th scope="col">what was done</th></tr></thead><tbody>';
  actions.forEach((e, i) => {
    html += `<tr${e.mark === 'failure' ? ' class="mark-failure"' : ''}><td>A${i + 1}</td><td class="t">${h(scenarioSeconds(e.t))}</td><td>${h(e.what)}</td></tr>`;
  });
  return `${html}</tbody></table>`;
}

function talliesTable(s: ScenarioSection): string {
  const rows = tallyRows(s.tallies);
  return (
    '<table id="scenario-tallies" class="scenario tallies"><caption>What the run counted.</caption>' +
    `<thead><tr>${rows.map(([k]) => `<th scope="col" class="num">${h(k)}</th>`).join('')}</tr></thead>` +
    `<tbody><tr>${rows.map(([, n]) => `<td class="num">${n}</td>`).join('')}</tr></tbody></table>`
  );
}

/** The "Scenario" section: facts, the timeline chart, actions, verdicts, tallies, timeline. */
export function scenarioSection(s: ScenarioSection): string {
  const chart = scenarioTimelineChart(s);
  let html = '<section id="scenario" aria-labelledby="scenario-title">';
  html += `<h2 id="scenario-title">${h(`${s.scenario.case} ${s.scenario.name}`)}</h2>`;
  html += `<p><strong>${h(s.scenario.title)}</strong></p>`;
  html += `<blockquote class="symptom">${h(s.scenario.symptom.replace(/\s+/g, ' ').trim())}</blockquote>`;
  if (s.scenario.description.trim() !== '') html += `<p>${h(s.scenario.description)}</p>`;
  html += '<h3 id="scenario-facts">Same seed, same sequence</h3>';
  html +=
    '<p>The workload and the actions are planned from the seed before the run starts: a rerun with the same seed plans the same sequence, so the same digest.</p>';
  html += facts([...sequenceFacts(s), ...runFacts(s)], ['sequence digest', 'rerun']);
  html += '<h3 id="scenario-chart">Timeline</h3>';
  html += `<figure id="${SCENARIO_CHART_ID}">${
    chart.ok ? chart.svg : `<p class="note">This chart could not be drawn: ${h(chart.reason)}</p>`
  }<figcaption>${h(
    `Every entry of the timeline by lane against scenario seconds: plain events in their lane's colour, actions as purple diamonds with a dashed line (A1, A2, ... as in the table below), reconnects as orange triangles, failures as red squares, completed deliveries as green dots; under it the deliveries completed (green) and failed (red) per ${String(s.deliveries.bucketMs / 1000)} s.` +
      (s.timelineDropped > 0
        ? ` ${plural(s.timelineDropped, 'entry was', 'entries were')} left out by the bounds.`
        : ''),
  )}</figcaption></figure>`;
  html += actionsTable(s);
  html += '<h3 id="scenario-verdicts-title">Verdicts</h3>';
  html += verdictTable(s);
  html += '<h3>Tallies</h3>';
  html += talliesTable(s);
  html += '<h3 id="scenario-notable">Notable timeline</h3>';
  html += notableTable(s);
  return `${html}</section>`;
}
