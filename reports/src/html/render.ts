// Renders a report as one self-contained index.html. In: a Report (as read from report.json).
// Out: HTML with inline CSS, inline SVG charts and one small script, under a CSP that lets it
// load nothing: verdict, area x outcome matrix, charts, the security section (a row per attack,
// ./security.ts) when the run tried any, case table, a drill-down per case (expected vs
// observed, measurements, charts, event log), the run. A benchmark report (with
// `bench`, no cases) shows its own banner and figures (./bench.ts) instead of the case parts; a
// fault reproduction (with `scenario`) its verdict, timeline chart and verdicts (./scenario.ts).
// Every text is escaped.
import {
  REPORT_OUTCOMES,
  type OutcomeCounts,
  type Report,
  type ReportAssertion,
  type ReportCase,
  type ReportEvent,
  type ReportFieldValue,
  type ReportMetric,
  type ReportRun,
} from '../schema';
import { REDACTED } from '../redact';
import { CONTENT_SECURITY_POLICY, SCRIPT, STYLE } from './assets';
import { BENCH_STYLE, benchBanner, benchSection } from './bench';
import { SCENARIO_STYLE, scenarioBanner, scenarioSection } from './scenario';
import { SECURITY_STYLE, securitySection } from './security';
import {
  dialsByPortChart,
  dialsOf,
  dialsOverTimeChart,
  formatNumber,
  outcomesPerAreaChart,
  percentilesText,
  sampleStats,
  samplesChart,
  seriesChart,
  slowestCasesChart,
  type ChartResult,
} from './charts';
import { escapeHtml as h } from './escape';

/** A reason in the case table keeps at most this many characters (the drill-down has all). */
const TABLE_REASON = 200;
/** More passing assertions than this fold away behind a count (failed ones always show). */
export const PASSING_SHOWN = 40;
/** An event log longer than this starts folded. */
export const EVENTS_OPEN = 20;
/** The page shows at most this many events of a case that did not pass (first and last halves). */
export const EVENTS_SHOWN = 100;
/** ... and of a case that passed (report.json has them all). */
export const EVENTS_SHOWN_PASSED = 40;
/** Charts per case at most: the dial chart, then the metrics in their order. */
export const CASE_CHARTS = 4;

/** What each outcome means, for the matrix header and the table legend. */
const OUTCOME_MEANING = {
  pass: 'passed',
  'non-strict': 'a should-level case failed (recommended, not required unless --strict)',
  fail: 'a must-level case failed',
  skip: 'did not run (with the reason)',
  info: 'a finding without a verdict',
} as const;

/** A case's drill-down anchor: `case-PORT-003`. */
export function caseAnchor(id: string): string {
  return `case-${id}`;
}

/** A duration for people: 12.3 ms, 4.1 s, 2 min 5 s. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'unknown';
  if (ms < 1000) return `${(Math.round(ms * 10) / 10).toString()} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** A coloured label that always carries its word: colour is never the only signal. */
function badge(outcome: string, word: string = outcome): string {
  return `<span class="outcome ${h(outcome)}">${h(word)}</span>`;
}

function outcomeBadge(outcome: string): string {
  return badge(outcome);
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

function caseLink(c: ReportCase): string {
  return `<a href="#${h(caseAnchor(c.id))}">${h(c.id)}</a>`;
}

/** Why a case did not pass, in one text: its reason, else its recorded failures. */
function why(c: ReportCase): string {
  return c.reason ?? c.evidence.failures.join('; ');
}

function banner(report: Report, byId: ReadonlyMap<string, ReportCase>): string {
  const { verdict, run } = report;
  const listOf = (ids: readonly string[]): string => {
    const items = ids.map((id) => {
      const c = byId.get(id);
      if (c === undefined) return `<li>${h(id)}</li>`;
      const reason = why(c);
      return (
        `<li>${caseLink(c)} ${h(c.title)}` +
        (reason === '' ? '' : `: <span class="reason">${h(clip(reason, TABLE_REASON))}</span>`) +
        '</li>'
      );
    });
    return `<ul>${items.join('')}</ul>`;
  };
  let html = `<section id="verdict" class="banner ${verdict.ready ? 'ready' : 'not-ready'}" aria-labelledby="verdict-title">`;
  const partial = report.cases.some((c) => c.level === 'must' && c.outcome === 'skip');
  html += `<h2 id="verdict-title" class="verdict">${verdict.ready ? (partial ? 'Ready for go-live on what ran' : 'Ready for go-live') : 'Not ready for go-live'}</h2>`;
  html += `<p class="headline">${h(verdict.headline)}</p>`;
  if (verdict.failedMust.length > 0) {
    html += `<h3>Must cases that failed (${verdict.failedMust.length})</h3>`;
    html += '<p>These are required: the relay is not ready until each of them passes.</p>';
    html += listOf(verdict.failedMust);
  }
  if (verdict.nonStrict.length > 0) {
    html += run.strict
      ? `<h3>Should cases that failed this --strict run (${verdict.nonStrict.length})</h3>`
      : `<h3>Should cases that failed: recommended, not required (${verdict.nonStrict.length})</h3>`;
    html += listOf(verdict.nonStrict);
  }
  if (verdict.skipped.length > 0) {
    html += `<p>${verdict.skipped.length} ${verdict.skipped.length === 1 ? 'case was' : 'cases were'} skipped: <a href="#cases" data-filter-outcome="skip" data-filter-area="">see them and why</a>.</p>`;
  }
  html += `<p>The run ${verdict.ready ? 'passes (exit code 0)' : 'fails (exit code 1)'}: ${report.counts.total} cases in ${h(formatDuration(run.durationMs))}.</p>`;
  return `${html}</section>`;
}

function countCells(counts: OutcomeCounts, area: string, label: string): string {
  return REPORT_OUTCOMES.map((o) => {
    const n = counts[o];
    if (n === 0) return `<td class="count zero">0</td>`;
    return (
      `<td class="count nz-${o}"><a href="#cases" data-filter-outcome="${o}" data-filter-area="${h(area)}"` +
      ` aria-label="${h(`${n} ${o} in ${label}: show them`)}">${n}<span class="word">${o}</span></a></td>`
    );
  }).join('');
}

function matrix(report: Report): string {
  let html = '<section id="matrix" aria-labelledby="matrix-title">';
  html += '<h2 id="matrix-title">Outcomes by area</h2>';
  html +=
    '<table class="matrix"><caption>Cases per area and outcome; a count opens the case table filtered to those cases.</caption>';
  html += '<thead><tr><th scope="col">area</th>';
  for (const o of REPORT_OUTCOMES) {
    html += `<th scope="col" class="num" title="${h(OUTCOME_MEANING[o])}">${o}</th>`;
  }
  html += '<th scope="col" class="num">total</th></tr></thead><tbody>';
  for (const a of report.areas) {
    const label = `${a.title} (${a.area.toUpperCase()})`;
    html += `<tr data-area="${h(a.area)}"><th scope="row">${h(label)}</th>`;
    html += `${countCells(a.counts, a.area, label)}<td class="num">${a.counts.total}</td></tr>`;
  }
  html += `<tr class="total"><th scope="row">all areas</th>${countCells(report.counts, '', 'all areas')}<td class="num">${report.counts.total}</td></tr>`;
  html += '</tbody></table>';
  html +=
    '<p class="note">' +
    REPORT_OUTCOMES.map((o) => `${outcomeBadge(o)} ${h(OUTCOME_MEANING[o])}`).join('; ') +
    '.</p>';
  return `${html}</section>`;
}

function figure(id: string, chart: ChartResult, caption: string): string {
  const body = chart.ok
    ? chart.svg
    : `<p class="note">This chart could not be drawn: ${h(chart.reason)}</p>`;
  return `<figure id="${h(id)}">${body}<figcaption>${h(caption)}</figcaption></figure>`;
}

function charts(report: Report): string {
  let html = '<section id="charts" aria-labelledby="charts-title">';
  html += '<h2 id="charts-title">Charts</h2>';
  const dials = report.cases.flatMap((c) => dialsOf(c.evidence.events ?? []));
  html += figure(
    'chart-outcomes',
    outcomesPerAreaChart(report),
    'The cases of each area by outcome (the same numbers as the table above).',
  );
  html += figure(
    'chart-durations',
    slowestCasesChart(report),
    'How long the slowest cases took, in seconds, coloured by outcome (skipped cases did not run and are left out).',
  );
  if (dials.length > 0) {
    html += figure(
      'chart-dials',
      dialsByPortChart(dials),
      "Every dial the relay made in the cases of this run, by logical port and firewall verdict (of the events each case kept; each case's details show its dials over time).",
    );
  }
  return `${html}</section>`;
}

function filterForm(report: Report): string {
  let html =
    '<form id="case-filter" class="filter" hidden role="search" aria-label="Filter the cases">';
  html +=
    '<label>Find <input id="filter-text" type="search" placeholder="id or words of the title" autocomplete="off"></label>';
  html += '<fieldset><legend>Outcome</legend>';
  for (const o of REPORT_OUTCOMES) {
    html += `<label><input type="checkbox" name="outcome" value="${o}" checked> ${outcomeBadge(o)}</label>`;
  }
  html += '</fieldset>';
  html += '<label>Area <select id="filter-area"><option value="">all areas</option>';
  for (const a of report.areas) {
    html += `<option value="${h(a.area)}">${h(`${a.title} (${a.area.toUpperCase()})`)}</option>`;
  }
  html += '</select></label>';
  html += '<button type="reset">Show all</button>';
  return `${html}</form>`;
}

function caseTable(report: Report): string {
  let html = '<section id="cases" aria-labelledby="cases-title">';
  html += '<h2 id="cases-title">Cases</h2>';
  html += filterForm(report);
  html += `<p id="filter-status" aria-live="polite">All ${report.cases.length} cases shown.</p>`;
  html +=
    '<table id="case-table" class="cases"><caption>Every case of the run; the id opens its details.</caption>';
  html +=
    '<thead><tr><th scope="col">case</th><th scope="col">title</th><th scope="col">area</th><th scope="col">level</th><th scope="col">outcome</th><th scope="col" class="num">duration</th><th scope="col">reason</th></tr></thead><tbody>';
  for (const c of report.cases) {
    const search = `${c.id} ${c.title}`.toLowerCase();
    html +=
      `<tr id="row-${h(c.id)}" data-outcome="${h(c.outcome)}" data-area="${h(c.area)}" data-search="${h(search)}">` +
      `<td class="id">${caseLink(c)}</td><td>${h(c.title)}</td><td>${h(c.area.toUpperCase())}</td><td>${h(c.level)}</td>` +
      `<td>${outcomeBadge(c.outcome)}</td><td class="num">${h(formatDuration(c.ms))}</td>` +
      `<td class="reason">${h(clip(why(c), TABLE_REASON))}</td></tr>`;
  }
  html += '</tbody></table>';
  return `${html}</section>`;
}

function fact(name: string, value: string): string {
  return `<dt>${h(name)}</dt><dd>${value}</dd>`;
}

/** A cell of text, or a dash when there is none. */
function preCell(text: string | undefined, cls = ''): string {
  return text === undefined ? '' : `<pre${cls === '' ? '' : ` class="${cls}"`}>${h(text)}</pre>`;
}

function assertionRows(list: readonly ReportAssertion[]): string {
  let html = '';
  for (const a of list) {
    const observed = preCell(a.observed) + preCell(a.diag, 'diag');
    html +=
      `<tr class="${a.ok ? 'ok' : 'failed'}"><td>${h(a.name)}</td>` +
      `<td>${a.ok ? badge('pass', 'ok') : badge('fail', 'FAILED')}</td>` +
      `<td>${a.expected === undefined ? '<span class="note">—</span>' : preCell(a.expected)}</td>` +
      `<td>${observed === '' ? '<span class="note">—</span>' : observed}</td>` +
      `<td class="at">${a.at === undefined ? '' : `<code>${h(a.at)}</code>`}</td></tr>`;
  }
  return html;
}

function assertionTable(list: readonly ReportAssertion[], caption: string): string {
  return (
    `<table class="assertions"><caption>${h(caption)}</caption>` +
    '<thead><tr><th scope="col">assertion</th><th scope="col">result</th><th scope="col">expected</th><th scope="col">observed</th><th scope="col">at</th></tr></thead>' +
    `<tbody>${assertionRows(list)}</tbody></table>`
  );
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Expected vs observed: failed assertions first; many passing ones fold behind a count. */
function assertionsPart(c: ReportCase): string {
  const all = c.evidence.assertions ?? [];
  const dropped = c.evidence.assertionsDropped ?? 0;
  if (all.length === 0 && dropped === 0) return '';
  const failed = all.filter((a) => !a.ok);
  const passing = all.filter((a) => a.ok);
  let html = '<h3>Expected and observed</h3>';
  const caption = 'Each assertion the case made: what it expected, what was observed, and where.';
  if (passing.length > PASSING_SHOWN) {
    if (failed.length > 0) html += assertionTable(failed, `${caption} Failed ones:`);
    html +=
      `<details class="more"><summary>${h(plural(passing.length, 'passing assertion', 'passing assertions'))}</summary>` +
      `${assertionTable(passing, 'The assertions that held.')}</details>`;
  } else if (all.length > 0) {
    html += assertionTable([...failed, ...passing], `${caption} Failed ones first.`);
  }
  if (dropped > 0) {
    html += `<p class="note">${h(plural(dropped, 'more assertion was', 'more assertions were'))} not kept in the report (passing ones are left out before failed ones).</p>`;
  }
  return html;
}

function fieldText(v: ReportFieldValue): string {
  return v === null ? 'null' : String(v);
}

/** The fields of an event that its text does not already say (as `name=value` or the value). */
function unsaid(e: ReportEvent): [string, ReportFieldValue][] {
  return Object.entries(e.fields ?? {}).filter(([k, v]) => {
    const value = fieldText(v);
    const said = value.length >= 6 && value !== REDACTED && e.text.includes(value);
    return !e.text.includes(`${k}=${value}`) && !said;
  });
}

function eventRows(events: readonly ReportEvent[]): string {
  let html = '';
  for (const e of events) {
    const fields = unsaid(e);
    html +=
      `<tr><td class="num">+${h((Math.round(e.atMs * 10) / 10).toFixed(1))}</td><td>${h(e.source)}</td>` +
      `<td><code>${h(e.channel)}</code></td><td>${h(e.text)}` +
      (fields.length === 0
        ? ''
        : `<span class="fields">${fields.map(([k, v]) => `${h(k)}=${h(fieldText(v))}`).join(' ')}</span>`) +
      '</td></tr>';
  }
  return html;
}

/** The event log slice: a table, folded when long; what was left out is said, never hidden. */
function eventsPart(c: ReportCase): string {
  const events = c.evidence.events ?? [];
  const dropped = c.evidence.eventsDropped ?? 0;
  let html = '<h3>Event log</h3>';
  if (events.length === 0) {
    html +=
      dropped > 0
        ? `<p class="note">${h(plural(dropped, 'event was', 'events were'))} recorded but not kept.</p>`
        : '<p class="note">The case recorded no event log; tap.log beside this page has the test output.</p>';
    return html;
  }
  const shown = c.outcome === 'pass' ? EVENTS_SHOWN_PASSED : EVENTS_SHOWN;
  const head = Math.ceil(shown / 2);
  const thinned = events.length > shown;
  const tail = shown - head;
  let rows = eventRows(thinned ? events.slice(0, head) : events);
  if (thinned) {
    rows += `<tr class="gap"><td colspan="4" class="note">${h(plural(events.length - shown, 'more event', 'more events'))} here: report.json has them.</td></tr>`;
    rows += eventRows(events.slice(events.length - tail));
  }
  const table =
    '<table class="events"><caption>What the simulator and the relay published while the case ran, in order: milliseconds since the case started, who, on which channel, what.</caption>' +
    '<thead><tr><th scope="col" class="num">+ms</th><th scope="col">source</th><th scope="col">channel</th><th scope="col">text</th></tr></thead>' +
    `<tbody>${rows}</tbody></table>`;
  html +=
    events.length > EVENTS_OPEN
      ? `<details class="more events"><summary>${h(plural(events.length, 'event', 'events'))}</summary>${table}</details>`
      : table;
  if (dropped > 0) {
    html += `<p class="note">${h(plural(dropped, 'more event', 'more events'))} not kept (the slice keeps the first and last ones).</p>`;
  }
  return html;
}

function metricRow(m: ReportMetric): string {
  if (m.kind === 'samples') {
    const s = sampleStats(m.values);
    const cells = [s.n, s.min, s.p50, s.p95, s.p99, s.max].map(
      (n) => `<td class="num">${Number.isFinite(n) ? h(formatNumber(n)) : '—'}</td>`,
    );
    return `<tr><td>${h(m.name)}</td><td>samples</td><td>${h(m.unit)}</td>${cells.join('')}</tr>`;
  }
  const ys = m.points.map((p) => p[1]);
  const min = ys.length === 0 ? Number.NaN : Math.min(...ys);
  const max = ys.length === 0 ? Number.NaN : Math.max(...ys);
  return (
    `<tr><td>${h(m.name)}</td><td>series</td><td>${h(m.unit)}</td>` +
    `<td class="num">${m.points.length}</td><td class="num">${Number.isFinite(min) ? h(formatNumber(min)) : '—'}</td>` +
    '<td colspan="3" class="note">a series over time: see its chart</td>' +
    `<td class="num">${Number.isFinite(max) ? h(formatNumber(max)) : '—'}</td></tr>`
  );
}

/** A chart's caption in words: what it shows, with the percentiles of a histogram. */
function metricCaption(m: ReportMetric): string {
  return m.kind === 'samples'
    ? `Histogram of ${m.name} (${m.unit === '' ? 'values' : m.unit}): ${percentilesText(sampleStats(m.values), m.unit)}.`
    : `${m.name} over the case, in ${m.unit === '' ? 'its unit' : m.unit} against milliseconds since the case started.`;
}

/** The measurements table and at most CASE_CHARTS charts: the dials, then the metrics. */
function chartsPart(c: ReportCase): string {
  const metrics = c.evidence.metrics ?? [];
  const dials = dialsOf(c.evidence.events ?? []);
  let html = '';
  if (metrics.length > 0) {
    html += '<h3>Measurements</h3>';
    html +=
      '<table class="metrics"><caption>What the case measured; for samples the count, least, median (p50), p95, p99 and greatest value.</caption>' +
      '<thead><tr><th scope="col">measurement</th><th scope="col">kind</th><th scope="col">unit</th><th scope="col" class="num">n</th><th scope="col" class="num">min</th><th scope="col" class="num">p50</th><th scope="col" class="num">p95</th><th scope="col" class="num">p99</th><th scope="col" class="num">max</th></tr></thead>' +
      `<tbody>${metrics.map(metricRow).join('')}</tbody></table>`;
  }
  const figures: string[] = [];
  const base = `chart-${c.id}`;
  if (dials.length > 0) {
    figures.push(
      figure(
        `${base}-dials`,
        dialsOverTimeChart(`${base}-dials`, dials),
        `Each dial the relay made during the case: when (ms since the case started), to which logical port, and the verdict: the firewall's for connections that reached the network model, "probe …" for the relay's probes that were refused or timed out before reaching it (${plural(dials.length, 'dial', 'dials')}).`,
      ),
    );
  }
  const drawable = metrics.filter((m) => (m.kind === 'samples' ? m.values : m.points).length > 0);
  const room = CASE_CHARTS - figures.length;
  drawable.slice(0, room).forEach((m, i) => {
    const id = `${base}-m${i}`;
    figures.push(
      figure(id, m.kind === 'samples' ? samplesChart(id, m) : seriesChart(id, m), metricCaption(m)),
    );
  });
  if (figures.length > 0)
    html += `<h3>Charts</h3><div class="case-charts">${figures.join('')}</div>`;
  if (drawable.length > room) {
    html += `<p class="note">${h(plural(drawable.length - room, 'more measurement is', 'more measurements are'))} not drawn (at most ${CASE_CHARTS} charts a case); the table above has them.</p>`;
  }
  return html;
}

function evidence(c: ReportCase): string {
  let html = assertionsPart(c);
  if (c.evidence.failures.length > 0) {
    html += '<h3>Failed assertions</h3><ul class="failures">';
    for (const f of c.evidence.failures) html += `<li><pre>${h(f)}</pre></li>`;
    html += '</ul>';
  }
  if (html === '' && c.outcome !== 'pass' && c.outcome !== 'skip') {
    html += '<p class="note">The case recorded no assertions beyond its reason.</p>';
  }
  html += chartsPart(c);
  html += eventsPart(c);
  return html;
}

function drillDown(c: ReportCase): string {
  let html = `<details class="case" id="${h(caseAnchor(c.id))}" data-outcome="${h(c.outcome)}">`;
  html += `<summary>${h(c.id)} ${outcomeBadge(c.outcome)} ${h(c.title)}</summary>`;
  html += '<dl class="facts">';
  html += fact('requirement', h(c.requirement));
  html += fact('source', h(c.source));
  html += fact('level', `${h(c.level)}${c.level === 'must' ? ' (required)' : ' (recommended)'}`);
  html += fact('outcome', `${outcomeBadge(c.outcome)} ${h(OUTCOME_MEANING[c.outcome])}`);
  html += fact('duration', h(formatDuration(c.ms)));
  html += fact(
    'reason',
    c.reason === null ? '<span class="note">none</span>' : `<pre>${h(c.reason)}</pre>`,
  );
  html += '</dl>';
  html += evidence(c);
  return `${html}</details>`;
}

function drillDowns(report: Report): string {
  let html = '<section id="details" aria-labelledby="details-title">';
  html += '<h2 id="details-title">Case details</h2>';
  html +=
    '<p>Each case: its requirement and where it comes from, what it expected and what it observed.</p>';
  for (const c of report.cases) html += drillDown(c);
  return `${html}</section>`;
}

function environment(report: Report): string {
  const { run, environment: env, bench } = report;
  const selection = [
    ...(run.selection.areas !== undefined ? [`areas ${run.selection.areas.join(', ')}`] : []),
    ...(run.selection.include !== undefined ? [`cases ${run.selection.include.join(', ')}`] : []),
    ...(run.selection.exclude !== undefined
      ? [`excluding ${run.selection.exclude.join(', ')}`]
      : []),
  ];
  let html = '<section id="environment" aria-labelledby="environment-title">';
  html += '<h2 id="environment-title">Run and environment</h2>';
  html += '<h3>The run</h3><dl class="facts">';
  html += fact('command', `<code>${h(run.command)}</code>`);
  html += fact('run id', h(run.id));
  if (bench === undefined) {
    html += fact(
      'selection',
      h(selection.length > 0 ? selection.join('; ') : 'the whole catalogue'),
    );
    html += fact('profile', h(run.profile));
    html += fact('seed', run.seed === null ? 'none' : h(String(run.seed)));
    html += fact('strict', run.strict ? 'yes: should-level failures fail the run' : 'no');
  } else {
    html += fact('kind', 'benchmark: no conformance cases');
    html += fact('profile', `${h(bench.profile.name)} (<a href="#bench-limits">its limits</a>)`);
  }
  html += fact('target', h(targetText(run)));
  html += fact('relay', h(relayText(run)));
  html += fact('started', h(run.startedAt));
  html += fact('ended', h(run.endedAt));
  html += fact('duration', h(formatDuration(run.durationMs)));
  html += '</dl><h3>The machine</h3><dl class="facts">';
  html += fact('relaycheck', h(env.relaycheck));
  html += fact('Node.js', h(env.node));
  html += fact('platform', h(`${env.platform} ${env.arch}`));
  html += fact('CPUs', h(`${env.cpus.count} x ${env.cpus.model}`));
  html += fact('memory', h(`${env.memoryMiB} MiB`));
  if (env.hostname !== undefined) html += fact('host', h(env.hostname));
  html += '</dl>';
  return `${html}</section>`;
}

/** What the relay was pointed at, in words. */
function targetText(run: ReportRun): string {
  if (run.target !== 'azure') return 'simulator (the simulated Azure side)';
  const ns = run.namespaces;
  return ns === undefined
    ? 'azure (the council’s own namespaces)'
    : `azure: Service Bus ${ns.serviceBus.host} (rule ${ns.serviceBus.keyName}), Azure Relay ${ns.relay.host} (rule ${ns.relay.keyName}), tenant ${ns.tenant}`;
}

/** Which relay was tested, in words (with the config an external one was given). */
function relayText(run: ReportRun): string {
  if (run.relay === 'reference') return "reference (relaycheck's own)";
  return `external (one relaycheck did not write${run.relayConfig === undefined ? '' : `; config ${run.relayConfig}`})`;
}

/** The parts of the page between its header and the run: a conformance run's, a benchmark's or a scenario's. */
function parts(report: Report): {
  title: string;
  heading: string;
  intro?: string;
  nav: string;
  main: string[];
} {
  const { run, bench, scenario } = report;
  const link = (id: string, text: string): string => `<li><a href="#${id}">${text}</a></li>`;
  if (scenario !== undefined) {
    return {
      title: `relaycheck reproduce ${scenario.scenario.case} ${scenario.scenario.name}: ${report.verdict.ready ? 'passed' : 'failed'} (${run.id})`,
      heading: 'relaycheck fault reproduction report',
      intro: `<p>Run <code>${h(run.id)}</code>, started ${h(run.startedAt)}: scenario ${h(scenario.scenario.name)} (${h(scenario.scenario.case)}) against the simulator with the reference relay${scenario.defect === null ? '' : ` given the defect ${h(scenario.defect)}`}, seed ${h(String(scenario.seed))}.</p>`,
      nav: [
        link('verdict', 'Verdict'),
        link('scenario-facts', 'Seed and sequence'),
        link('scenario-chart', 'Timeline chart'),
        link('scenario-verdicts-title', 'Verdicts'),
        link('scenario-notable', 'Notable timeline'),
        link('environment', 'Run and environment'),
      ].join(''),
      main: [scenarioBanner(report, scenario), scenarioSection(scenario)],
    };
  }
  if (bench !== undefined) {
    return {
      title: `relaycheck benchmark: profile ${bench.profile.name} (${run.id})`,
      heading: 'relaycheck benchmark report',
      nav: [
        link('verdict', 'Benchmark run'),
        link('bench', 'Profile, limits and workloads'),
        link('environment', 'Run and environment'),
      ].join(''),
      main: [benchBanner(report, bench), benchSection(bench)],
    };
  }
  const byId = new Map(report.cases.map((c) => [c.id, c]));
  return {
    title: `relaycheck: ${report.verdict.ready ? 'ready for go-live' : 'not ready for go-live'} (${run.id})`,
    heading: 'relaycheck conformance report',
    nav: [
      link('verdict', 'Verdict'),
      link('matrix', 'Outcomes by area'),
      link('charts', 'Charts'),
      ...(report.security !== undefined ? [link('security', 'Security')] : []),
      link('cases', 'Cases'),
      link('details', 'Case details'),
      link('environment', 'Run and environment'),
    ].join(''),
    main: [
      banner(report, byId),
      matrix(report),
      charts(report),
      ...(report.security !== undefined ? [securitySection(report.security)] : []),
      caseTable(report),
      drillDowns(report),
    ],
  };
}

/** The report as one self-contained HTML page. */
export function renderHtml(report: Report): string {
  const page = parts(report);
  const bench = report.bench;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    '<link rel="icon" href="data:,">',
    `<title>${h(page.title)}</title>`,
    `<style>${STYLE}${bench === undefined ? '' : BENCH_STYLE}${report.security === undefined ? '' : SECURITY_STYLE}${report.scenario === undefined ? '' : SCENARIO_STYLE}</style>`,
    '</head>',
    '<body>',
    '<header class="page">',
    `<h1>${h(page.heading)}</h1>`,
    page.intro ??
      (bench === undefined
        ? `<p>Run <code>${h(report.run.id)}</code>, started ${h(report.run.startedAt)}, against ${report.run.target === 'azure' ? 'the council’s own namespaces' : 'the simulator'} with ${report.run.relay === 'external' ? 'an external' : 'the reference'} relay.</p>`
        : `<p>Run <code>${h(report.run.id)}</code>, started ${h(report.run.startedAt)}: the reference relay confined to profile ${h(bench.profile.name)}, against the simulator.</p>`),
    `<nav aria-label="Contents"><ul>${page.nav}</ul></nav>`,
    '</header>',
    '<main>',
    ...page.main,
    environment(report),
    '</main>',
    `<footer>Rendered from report.json (${h(report.schema)} version ${report.version}). This page is self-contained: it loads nothing from anywhere.</footer>`,
    `<script>${SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
