// renderHtml on the recorded run, as text (no browser). In: the recorded run of
// ./fixture.ts, built into a report. Out: checks that index.html has the verdict banner with
// links to the failed cases, the matrix with the counts of the run, a drill-down per case,
// three run charts (and the cases' own), one script of its own, a strict CSP, nothing that
// would be fetched, all visible without script, and that writeReport writes it beside the others.
import { mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { REPORT_OUTCOMES, buildReport, renderHtml, writeReport } from '../../src';
import { brokenTags, expectedMatrix, expectedOutcome, recordedRun } from './fixture';
import { input, pass, skip } from '../lib/fixture';

const report = buildReport(recordedRun());
const html = renderHtml(report);

/** The page's <section id=...> up to its end (sections do not nest). */
function section(id: string): string {
  const start = html.indexOf(`<section id="${id}"`);
  const end = html.indexOf('</section>', start);
  if (start < 0 || end < 0) throw new Error(`no section ${id}`);
  return html.slice(start, end);
}

const count = (text: string, pattern: RegExp): number => (text.match(pattern) ?? []).length;

void t.test('the banner says not ready, why, and links each failed must case', (t) => {
  const banner = section('verdict');
  t.match(banner, 'class="banner not-ready"');
  t.match(banner, '>Not ready for go-live<');
  t.match(banner, 'Not ready: 2 must cases failed: DLV-005, PORT-003');
  for (const id of ['DLV-005', 'PORT-003']) {
    t.match(banner, `<a href="#case-${id}">${id}</a>`, `${id} links to its drill-down`);
  }
  t.match(banner, 'message executed twice after SIGKILL', 'with its reason');
  t.match(banner, 'Should cases that failed: recommended, not required (2)');
  t.match(banner, '2 cases were skipped');
  t.end();
});

void t.test('a ready run says so, with no list of failures', (t) => {
  const ready = renderHtml(buildReport(input([pass('HS-001'), pass('HS-002')])));
  const banner = ready.slice(ready.indexOf('<section id="verdict"'), ready.indexOf('</section>'));
  t.match(banner, 'class="banner ready"');
  t.match(banner, '>Ready for go-live<');
  t.match(banner, 'Ready for go-live: all 2 must cases pass');
  t.notMatch(banner, 'Must cases that failed');
  t.end();
});

void t.test('a ready run that skipped a must case says it covers what ran', (t) => {
  const page = renderHtml(buildReport(input([pass('HS-001'), skip('IP-004', 'needs root')])));
  const banner = page.slice(page.indexOf('<section id="verdict"'), page.indexOf('</section>'));
  t.match(banner, 'class="banner ready"');
  t.match(banner, '>Ready for go-live on what ran<');
  t.match(banner, '(1 must case skipped, not covered by this run)');
  t.end();
});

void t.test('a run with no cases still renders a whole page', (t) => {
  const empty = renderHtml(buildReport(input([])));
  t.match(empty, 'Ready for go-live: no must case failed (none ran)');
  t.equal(count(empty, /<svg /g), 2, 'both charts, empty');
  t.match(empty, 'All 0 cases shown.');
  t.equal(count(empty, /<details /g), 0);
  t.match(empty, /<\/html>\n$/);
  t.end();
});

void t.test('the matrix has a row per area with the counts of the run', (t) => {
  const matrix = section('matrix');
  const expected = expectedMatrix();
  t.equal(count(matrix, /<tr data-area="/g), expected.size, 'one row per area');
  let total = 0;
  for (const [area, counts] of expected) {
    const row = new RegExp(`<tr data-area="${area}">(.*?)</tr>`).exec(matrix)?.[1] ?? '';
    const cells = [...row.matchAll(/<td class="count[^"]*">(?:<a [^>]*>)?(\d+)/g)].map((m) =>
      Number(m[1]),
    );
    t.same(
      cells,
      REPORT_OUTCOMES.map((o) => counts[o]),
      `${area}: ${REPORT_OUTCOMES.join(', ')}`,
    );
    for (const o of REPORT_OUTCOMES) {
      if (counts[o] > 0) {
        t.match(
          row,
          `data-filter-outcome="${o}" data-filter-area="${area}"`,
          `${area} ${o} links to the filtered table`,
        );
        t.match(row, `<span class="word">${o}</span>`, `${area} ${o} says its outcome in words`);
      }
    }
    total += Object.values(counts).reduce((a, b) => a + b, 0);
  }
  t.match(matrix, /<tr data-area="port"><th scope="row">Outbound ports \(PORT\)<\/th>/);
  t.match(matrix, new RegExp(`all areas</th>.*<td class="num">${total}</td></tr>`));
  t.match(matrix, /<th scope="col" class="num"[^>]*>non-strict<\/th>/, 'column headers');
  t.end();
});

void t.test('every case has a row and a drill-down with its requirement and evidence', (t) => {
  const table = section('cases');
  const details = section('details');
  t.equal(count(details, /<details class="case" id="case-/g), report.cases.length);
  t.equal(count(table, /<tr id="row-/g), report.cases.length);
  for (const c of report.cases) {
    const outcome = expectedOutcome(c.id);
    t.match(table, `<tr id="row-${c.id}" data-outcome="${outcome}" data-area="${c.area}"`);
    t.match(details, `<details class="case" id="case-${c.id}" data-outcome="${outcome}">`);
  }
  const port = details.slice(details.indexOf('id="case-PORT-003"'));
  const drill = port.slice(0, port.indexOf('</details>'));
  t.match(drill, '<dt>requirement</dt>');
  t.match(drill, '<dt>source</dt><dd>integration-proxy-service-guide');
  t.match(drill, '<dt>level</dt><dd>must (required)</dd>');
  t.match(drill, '<dt>duration</dt><dd>30.0 s</dd>');
  t.match(drill, 'Expected and observed');
  t.match(
    drill,
    '<tr class="failed"><td>relays a message</td><td><span class="outcome fail">FAILED</span></td>' +
      '<td><pre>1 message completed</pre></td><td><pre>0 messages completed</pre>' +
      '<pre class="diag">found: 0 messages completed\nwanted: 1 message completed',
  );
  t.match(drill, 'Failed assertions');
  t.match(drill, '<h3>Event log</h3><details class="more events"><summary>26 events</summary>');
  const dlv = details.slice(details.indexOf('id="case-DLV-005"'));
  t.match(
    dlv.slice(0, dlv.indexOf('</details>')),
    '1234 more events not kept',
    'says what was left out rather than hiding it',
  );
  const hs = details.slice(details.indexOf('id="case-HS-002"'));
  t.match(
    hs.slice(0, hs.indexOf('</details>')),
    'The case recorded no event log',
    'says what is missing rather than inventing it',
  );
  t.end();
});

void t.test('three inline SVG run charts, with titles and axis names', (t) => {
  const charts = section('charts');
  t.equal(count(charts, /<svg /g), 3);
  t.match(charts, /<figure id="chart-dials"><svg role="img" aria-label="Dial attempts of the run/);
  t.match(charts, '>Dial attempts by port and verdict</text>');
  t.equal(
    count(html, /<svg /g),
    6,
    'the others are in drill-downs: the dials of PORT-003, the two metrics of SB-020',
  );
  t.match(charts, /<figure id="chart-outcomes"><svg role="img" aria-label="Outcomes per area: /);
  t.match(charts, /<figure id="chart-durations"><svg role="img" aria-label="The slowest cases: /);
  t.match(charts, '>Outcomes per area</text>');
  t.match(charts, '>The 20 slowest cases</text>');
  t.match(charts, '>duration (seconds)</text>');
  t.match(charts, '>cases</text>');
  t.match(charts, '>DLV-005 (fail)</text>', 'the slowest case is named with its outcome');
  t.ok(count(charts, /<path d="M[^"]*Z" [^>]*fill="#1a7f37"/g) > 5, 'bars in the colour of pass');
  t.notMatch(charts, 'ecmeta_', 'without the attributes only a script would read');
  t.notMatch(charts, 'could not be drawn');
  t.same(brokenTags(charts), [], 'no tag of the charts is broken by a quote');
  t.end();
});

void t.test('every tag of the page is a name and double-quoted attributes', (t) => {
  t.ok((html.match(/<[a-z]/g) ?? []).length > 1000, 'the tags were found');
  t.same(brokenTags(html), []);
  t.same(brokenTags('<p title="a" b"c">'), ['<p title="a" b"c">'], 'a broken tag is found');
  t.end();
});

void t.test('the page fetches nothing: no external URL, a CSP that forbids loading', (t) => {
  t.match(
    html,
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">`,
  );
  t.ok(
    html.indexOf('Content-Security-Policy') < html.indexOf('<style>'),
    'the CSP comes before any style or script',
  );
  // attributes of the markup (the script's and style sheets' own text taken out)
  const markup = html.replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1>/g, '<$1></$1>');
  const attrs = [...markup.matchAll(/\s([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/g)].map(
    (m) => ({ name: (m[1] ?? '').toLowerCase(), value: m[2] ?? m[3] ?? m[4] ?? '' }),
  );
  const links = attrs.filter((a) =>
    /^(?:src|href|xlink:href|action|formaction|poster|srcset|data|background|ping|cite|manifest)$/.test(
      a.name,
    ),
  );
  t.ok(links.length > report.cases.length, 'links were found to check');
  t.same(
    links.filter((a) => !a.value.startsWith('#') && !a.value.startsWith('data:')),
    [],
    'every src and href is a fragment or a data: URL',
  );
  t.same(
    attrs.filter((a) => /(?:https?:)?\/\/[a-z0-9]/i.test(a.value) && !a.name.startsWith('xmlns')),
    [],
    'no attribute holds a URL of any host (bar the SVG namespace names)',
  );
  t.same(
    attrs
      .filter((a) => a.name.startsWith('xmlns'))
      .map((a) => a.value)
      .filter((v) => v !== 'http://www.w3.org/2000/svg' && v !== 'http://www.w3.org/1999/xlink'),
    [],
    'namespace names are the SVG ones (names, never fetched)',
  );
  t.same(
    attrs.filter((a) => a.name.startsWith('on')).map((a) => a.name),
    [],
    'no event handler attribute',
  );
  const css = [
    ...[...html.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style>/g)].map((m) => m[1] ?? ''),
    ...attrs.filter((a) => a.name === 'style').map((a) => a.value),
  ].join('\n');
  t.ok(css.length > 1000, 'the style sheets were found to check');
  t.notMatch(css, /@import/i, 'no @import');
  t.notMatch(css, /url\(\s*["']?(?!data:|#)/i, 'no url() but data: and fragments');
  t.notMatch(css, /@font-face/i, 'no web font');
  t.equal(count(html, /<script/gi), 1, 'one script, the page’s own');
  t.notMatch(
    html,
    /<(?:link|iframe|object|embed|img|video|audio|source|base)\b(?![^>]*href="data:)/i,
  );
  t.end();
});

void t.test('without script everything is shown: no hidden row, the filter form hidden', (t) => {
  t.match(html, '<form id="case-filter" class="filter" hidden');
  // A `hidden` attribute, not the word in an attribute's value (a case title may say "hidden").
  t.notMatch(section('cases').replace(/"[^"]*"/g, '""'), /<tr [^>]*\bhidden\b/);
  t.notMatch(section('details'), /<details[^>]* open/, 'drill-downs start closed, all present');
  t.end();
});

void t.test('the environment and run are listed', (t) => {
  const env = section('environment');
  for (const text of [
    '<dt>command</dt><dd><code>relaycheck run --seed 42</code></dd>',
    '<dt>seed</dt><dd>42</dd>',
    '<dt>profile</dt><dd>default</dd>',
    '<dt>relaycheck</dt><dd>0.1.0</dd>',
    '<dt>Node.js</dt><dd>v20.19.0</dd>',
    '<dt>platform</dt><dd>linux x64</dd>',
    '<dt>CPUs</dt><dd>2 x Test CPU</dd>',
    '<dt>memory</dt><dd>4096 MiB</dd>',
  ]) {
    t.match(env, text);
  }
  t.end();
});

void t.test('the same report renders the same page', (t) => {
  t.equal(renderHtml(report), html);
  t.end();
});

void t.test('writeReport writes index.html beside the other files', (t) => {
  const out = realpathSync(mkdtempSync(join(tmpdir(), 'relaycheck-html-write-')));
  t.teardown(() => {
    rmSync(out, { recursive: true, force: true });
  });
  const paths = writeReport(out, report);
  t.equal(paths.indexHtml, join(out, 'index.html'));
  t.same(readdirSync(out).sort(), ['index.html', 'junit.xml', 'report.json', 'summary.md']);
  t.equal(readFileSync(paths.indexHtml, 'utf8'), html);
  t.end();
});
