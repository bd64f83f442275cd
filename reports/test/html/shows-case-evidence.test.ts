// A case's evidence in its drill-down, as text (no browser). In: the recorded run of
// ./fixture.ts (PORT-003 with assertions and 26 events with dials, SB-020 with metrics,
// HS-001 with 45 passing assertions) and runs made here. Out: checks the expected vs observed
// table (failed first, many passing ones folded), the event log (folded when long, what was
// left out said), the charts (dials by verdict, histograms with p50/p95/p99, lines; at most 4
// a case) and the page's size with evidence on every case of the catalogue (under 28 KB a
// case: the 5 MB the page of the first 180 cases was held to).
import fc from 'fast-check';
import t from 'tap';
import {
  buildReport,
  renderHtml,
  type ReportCaseInput,
  type ReportEvent,
  type ReportMetric,
} from '../../src';
import { DIALS_DRAWN, histogram, percentile, thinDials } from '../../src/html/charts';
import {
  CASE_CHARTS,
  EVENTS_OPEN,
  EVENTS_SHOWN,
  EVENTS_SHOWN_PASSED,
  PASSING_SHOWN,
} from '../../src/html/render';
import { checkProperty } from '../../../suites/lib/property';
import { input, mkCase } from '../lib/fixture';
import { brokenTags, dial, numbers, port003Events, recordedRun, sb020Metrics } from './fixture';

const html = renderHtml(buildReport(recordedRun()));

/** The drill-down of case `id` in `page`, from its <details> to the end of its last part. */
function drill(id: string, page = html): string {
  const start = page.indexOf(`<details class="case" id="case-${id}"`);
  if (start < 0) throw new Error(`no drill-down for ${id}`);
  const next = page.indexOf('<details class="case"', start + 1);
  return page.slice(start, next < 0 ? page.indexOf('</section>', start) : next);
}

const count = (text: string, pattern: RegExp): number => (text.match(pattern) ?? []).length;

/** The assertion names of a table's rows, in order, with their result word. */
function rows(part: string): string[] {
  return [
    ...part.matchAll(/<tr class="(?:ok|failed)"><td>([^<]*)<\/td><td><span [^>]*>(\w+)</g),
  ].map((m) => `${m[2] ?? ''} ${m[1] ?? ''}`);
}

/** A page of one failed case with the given evidence. */
function pageOf(extra: Partial<ReportCaseInput>): string {
  return renderHtml(
    buildReport(
      input([{ case: mkCase('PORT-003'), outcome: 'fail', ms: 5, reason: 'r', ...extra }]),
    ),
  );
}

function event(i: number): ReportEvent {
  return { atMs: i, source: 'relay', channel: 'relay:session', text: `event ${i}` };
}

void t.test('expected and observed: a row per assertion, failed ones first', (t) => {
  const part = drill('PORT-003');
  t.same(rows(part), [
    'FAILED relays a message',
    'ok the relay dials 5671 first',
    'ok the firewall refuses 5671',
  ]);
  t.match(
    part,
    '<thead><tr><th scope="col">assertion</th><th scope="col">result</th><th scope="col">expected</th><th scope="col">observed</th><th scope="col">at</th></tr></thead>',
  );
  t.match(
    part,
    '<td><pre>5671</pre></td><td><pre>5671</pre></td><td class="at"><code>suites/port/falls-back.test.ts:61</code></td>',
  );
  t.match(part, '<td class="at"><code>suites/port/falls-back.test.ts:88</code></td>');
  t.match(
    part,
    '<tr class="ok"><td>the firewall refuses 5671</td><td><span class="outcome pass">ok</span></td><td><span class="note">—</span></td><td><span class="note">—</span></td>',
    'a dash where nothing was recorded',
  );
  t.end();
});

void t.test(`more than ${PASSING_SHOWN} passing assertions fold behind their count`, (t) => {
  const many = drill('HS-001');
  t.match(many, '<details class="more"><summary>45 passing assertions</summary>');
  t.equal(count(many, /<table class="assertions">/g), 1, 'one table, inside the fold');
  t.ok(
    many.indexOf('<table class="assertions">') > many.indexOf('<details class="more">'),
    'the passing ones are in the fold',
  );
  const passing = (n: number): { name: string; ok: boolean }[] =>
    Array.from({ length: n }, (_, i) => ({ name: `p${i}`, ok: true }));
  const failed = [
    { name: 'f1', ok: false },
    { name: 'f2', ok: false },
  ];
  const folded = drill('PORT-003', pageOf({ assertions: [...passing(41), ...failed] }));
  const before = folded.slice(0, folded.indexOf('<details class="more">'));
  t.same(rows(before), ['FAILED f1', 'FAILED f2'], 'the failed ones show outside the fold');
  t.match(folded, '<summary>41 passing assertions</summary>');
  t.equal(rows(folded).length, 43, 'and every one is on the page');
  const flat = drill('PORT-003', pageOf({ assertions: [...passing(PASSING_SHOWN), ...failed] }));
  t.notMatch(flat, '<details class="more">', `${PASSING_SHOWN} passing ones do not fold`);
  t.same(rows(flat).slice(0, 3), ['FAILED f1', 'FAILED f2', 'ok p0']);
  t.end();
});

void t.test('the event log: a row per event with its fields, folded when long', (t) => {
  const part = drill('PORT-003');
  t.match(part, '<h3>Event log</h3><details class="more events"><summary>26 events</summary>');
  t.equal(count(part, /<tr><td class="num">\+/g), 26, 'every event has a row');
  t.match(
    part,
    '<tr><td class="num">+11.2</td><td>net</td><td><code>sim:net:dial</code></td><td>dial council-42.servicebus.windows.net:5671 reject' +
      '<span class="fields">port=5671 address=51.140.146.50</span></td></tr>',
    'the fields the text does not already say (host and verdict it does)',
  );
  t.match(part, 'n=0 settled=true');
  const short = drill(
    'PORT-003',
    pageOf({ events: Array.from({ length: EVENTS_OPEN }, (_, i) => event(i)) }),
  );
  t.match(short, '<h3>Event log</h3><table class="events">', `${EVENTS_OPEN} events show open`);
  const long = drill(
    'PORT-003',
    pageOf({ events: Array.from({ length: EVENTS_OPEN + 1 }, (_, i) => event(i)) }),
  );
  t.match(long, `<summary>${EVENTS_OPEN + 1} events</summary>`, 'one more folds');
  t.end();
});

void t.test('events left out are said, never hidden', (t) => {
  const part = drill(
    'PORT-003',
    pageOf({ events: Array.from({ length: 500 }, (_, i) => event(i)), eventsDropped: 3 }),
  );
  t.equal(
    count(part, /<tr><td class="num">\+/g),
    EVENTS_SHOWN,
    'the page shows the first and last',
  );
  t.match(part, `${500 - EVENTS_SHOWN} more events here: report.json has them`);
  t.match(part, '>event 0<');
  t.match(part, '>event 499<');
  t.notMatch(part, '>event 250<');
  t.match(part, '3 more events not kept');
  const passed = renderHtml(
    buildReport(
      input([
        {
          case: mkCase('PORT-003'),
          outcome: 'pass',
          ms: 5,
          events: Array.from({ length: 500 }, (_, i) => event(i)),
        },
      ]),
    ),
  );
  t.equal(
    count(drill('PORT-003', passed), /<tr><td class="num">\+/g),
    EVENTS_SHOWN_PASSED,
    'fewer of a case that passed',
  );
  const none = drill('PORT-003', pageOf({ eventsDropped: 9 }));
  t.match(none, '9 events were recorded but not kept');
  t.end();
});

void t.test('the dial chart: a point per dial at its port, a series per verdict', (t) => {
  const part = drill('PORT-003');
  const fig = part.slice(part.indexOf('<figure id="chart-PORT-003-dials">'));
  const svg = fig.slice(0, fig.indexOf('</svg>'));
  t.match(svg, '<svg role="img" aria-label="Dial attempts over time, 6 dials by port and verdict');
  t.match(svg, '>Dial attempts over time</text>');
  for (const label of ['accept', 'reject', 'drop', '443', '5671', '9352', 'logical port']) {
    t.match(svg, `>${label}</text>`, `${label} is written`);
  }
  t.match(svg, '>ms since the case started</text>');
  const points = [
    ...svg.matchAll(/<path d="M1 0A1 1 [^"]*" transform="matrix\([^)]*\)" fill="(#\w+)"/g),
  ];
  t.same(
    points.map((m) => m[1]).sort(),
    ['#1a7f37', '#1a7f37', '#b35900', '#cf222e', '#cf222e', '#cf222e'],
    'two accepts, one drop, three rejects in their colours',
  );
  t.match(fig, '<figcaption>Each dial the relay made during the case');
  t.end();
});

void t.test('a histogram per samples metric, with p50, p95 and p99 stated', (t) => {
  const [latency] = sb020Metrics();
  if (latency?.kind !== 'samples') throw new Error('fixture');
  const sorted = [...latency.values].sort((a, b) => a - b);
  // nearest rank, shown to 4 significant digits
  const at = (p: number): number =>
    Number((sorted[Math.ceil((p / 100) * sorted.length) - 1] ?? NaN).toPrecision(4));
  const stated = `n=400, p50 ${at(50)} ms, p95 ${at(95)} ms, p99 ${at(99)} ms`;
  const part = drill('SB-020');
  t.match(part, `<figcaption>Histogram of send-to-complete latency (ms): ${stated}.</figcaption>`);
  t.match(part, `>${stated}</text>`, 'and under the chart title');
  t.match(part, '>send-to-complete latency</text>');
  t.match(part, '>count</text>');
  const bins = histogram(latency.values);
  const fig = part.slice(part.indexOf('<figure id="chart-SB-020-m0">'));
  const bars = count(fig.slice(0, fig.indexOf('</svg>')), /<path d="M[^"]*Z" [^>]*fill="#0969da"/g);
  t.equal(bars, bins.length, 'a bar per bin');
  t.match(
    part,
    `<tr><td>send-to-complete latency</td><td>samples</td><td>ms</td><td class="num">400</td><td class="num">${sorted[0]}</td><td class="num">${at(50)}</td>`,
    'the measurements table says the same',
  );
  t.end();
});

void t.test('a line per series metric, x in ms and y in its unit', (t) => {
  const part = drill('SB-020');
  const fig = part.slice(part.indexOf('<figure id="chart-SB-020-m1">'));
  const svg = fig.slice(0, fig.indexOf('</svg>'));
  t.match(svg, '<svg role="img" aria-label="throughput over time (ms): 120 points');
  t.match(svg, '>throughput</text>');
  t.match(svg, '>MiB/s</text>');
  t.match(svg, '>ms</text>');
  t.match(svg, /<path d="M[\d.]+ [\d.]+L[^"]+" fill="none" [^>]*stroke="#0969da"/, 'a line');
  t.end();
});

void t.test(`at most ${CASE_CHARTS} charts a case; the rest are said`, (t) => {
  const metrics: ReportMetric[] = Array.from({ length: 5 }, (_, i) => ({
    name: `m${i}`,
    unit: 'ms',
    kind: 'samples',
    values: [1, 2, 3, i],
  }));
  const part = drill(
    'PORT-003',
    pageOf({ metrics, events: [dial(1, 5671, 'reject'), dial(2, 443, 'accept')] }),
  );
  t.equal(count(part, /<figure /g), CASE_CHARTS, 'the dials, then the first metrics');
  t.match(part, '<figure id="chart-PORT-003-dials">');
  t.match(part, '<figure id="chart-PORT-003-m2">');
  t.notMatch(part, 'chart-PORT-003-m3');
  t.match(part, '2 more measurements are not drawn');
  t.equal(count(part, /<tr><td>m\d<\/td><td>samples/g), 5, 'the table lists every one');
  t.same(brokenTags(part), []);
  t.end();
});

void t.test('a case without evidence has no charts, tables or folds of it', (t) => {
  const part = drill('HS-002');
  t.notMatch(part, '<figure');
  t.notMatch(part, 'Expected and observed');
  t.notMatch(part, 'Measurements');
  t.end();
});

void t.test('histogram bins cover every value, within their bound', async (t) => {
  t.same(histogram([]), []);
  t.same(histogram([3, 3, 3]), [{ from: 3, to: 3, count: 3 }], 'one value, one bin');
  t.equal(percentile([1, 2, 3, 4], 50), 2, 'nearest rank');
  t.equal(percentile([1, 2, 3, 4], 99), 4);
  const next = numbers(7);
  const spread = histogram(Array.from({ length: 1000 }, () => next() * 100));
  t.ok(spread.length >= 5 && spread.length <= 40, `${spread.length} bins for 1000 values`);
  await checkProperty(
    t,
    fc.property(
      fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), {
        minLength: 1,
        maxLength: 300,
      }),
      (values) => {
        const bins = histogram(values);
        const total = bins.reduce((n, b) => n + b.count, 0);
        const first = bins[0];
        const last = bins[bins.length - 1];
        return (
          total === values.length &&
          bins.length <= 42 &&
          first !== undefined &&
          last !== undefined &&
          values.every((v) => v >= first.from && v <= last.to)
        );
      },
    ),
    300,
  );
});

void t.test('thinning many dials keeps every rare verdict', (t) => {
  const dials = [
    ...Array.from({ length: 1000 }, (_, i) => ({ atMs: i, port: '443', verdict: 'accept' })),
    ...Array.from({ length: 3 }, (_, i) => ({ atMs: i * 300, port: '5671', verdict: 'reject' })),
  ];
  const thin = thinDials(dials);
  t.ok(thin.length <= DIALS_DRAWN + 10, `${thin.length} drawn`);
  t.equal(thin.filter((d) => d.verdict === 'reject').length, 3, 'the three rejects are kept');
  t.same(thinDials(dials.slice(0, 10)), dials.slice(0, 10), 'a few are all drawn');
  t.end();
});

void t.test('a page with evidence on every case stays light (under 28 KB a case)', (t) => {
  // every case: 10 assertions, PORT-003's 26 events (6 dials); every 4th also SB-020's metrics
  const run = recordedRun();
  const heavy = buildReport({
    ...run,
    outcomes: run.outcomes.map((o, i) => ({
      ...o,
      assertions: Array.from({ length: 10 }, (_, k) => ({
        name: `assertion ${k}`,
        ok: !(k === 3 && o.outcome === 'fail'),
        expected: 'x'.repeat(40),
        observed: 'y'.repeat(40),
        at: 'suites/x/y.test.ts:12',
      })),
      events: port003Events(),
      metrics: i % 4 === 0 ? sb020Metrics() : [],
    })),
  });
  const page = renderHtml(heavy);
  const bytes = Buffer.byteLength(page);
  const charts = count(page, /<svg /g);
  t.comment(`${heavy.cases.length} cases with evidence: ${bytes} bytes, ${charts} charts`);
  t.ok(heavy.cases.length >= 170, 'the whole catalogue: at least 170 cases');
  const perCase = bytes / heavy.cases.length;
  t.ok(perCase < 28_000, `under 28 KB a case (${(perCase / 1000).toFixed(1)} KB)`);
  t.same(brokenTags(page), [], 'every tag whole');
  t.end();
});
