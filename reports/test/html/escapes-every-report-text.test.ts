// Every text of a report reaches index.html escaped. In: a report whose every free text
// (case title, requirement, source, reason, failures, assertions and their expected/observed,
// events and their fields, metric names and units, area title, command, environment, run id)
// carries a script tag, quotes and ampersands, and arbitrary strings for escapeHtml. Out:
// checks they appear only as text, no element but the page's own exists, escapeHtml is inert.
import fc from 'fast-check';
import t from 'tap';
import { buildReport, parseReport, renderHtml, type ReportCaseInput } from '../../src';
import { escapeHtml } from '../../src/html/escape';
import { checkProperty } from '../../../suites/lib/property';
import { input, mkCase, pass } from '../lib/fixture';
import { brokenTags } from './fixture';

const PAYLOAD = `<script>alert(1)</script> "quoted" & 'single' </details></table><!-- <img src=x onerror=alert(2)>`;
const ESCAPED =
  '&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot; &amp; &#39;single&#39; &lt;/details&gt;&lt;/table&gt;&lt;!-- &lt;img src=x onerror=alert(2)&gt;';

function hostileReport(): ReturnType<typeof parseReport> {
  const hostile = (id: string, level: 'must' | 'should' = 'must'): ReportCaseInput['case'] => ({
    ...mkCase(id, level),
    title: `title ${PAYLOAD}`,
    requirement: `requirement ${PAYLOAD}`,
    source: `source ${PAYLOAD}`,
  });
  const built = buildReport(
    input(
      [
        pass('HS-001'),
        {
          case: hostile('PORT-003'),
          outcome: 'fail',
          ms: 12,
          reason: `reason ${PAYLOAD}`,
          failures: [`failure ${PAYLOAD}`],
          assertions: [
            {
              name: `assertion ${PAYLOAD}`,
              ok: false,
              diag: `diag ${PAYLOAD}`,
              expected: `expected ${PAYLOAD}`,
              observed: `observed ${PAYLOAD}`,
              at: `at ${PAYLOAD}`,
            },
          ],
          events: [
            {
              atMs: 1,
              source: `<b>"'&`,
              channel: PAYLOAD,
              text: `event ${PAYLOAD}`,
              fields: { [`key<b>"'&`]: `field ${PAYLOAD}` },
            },
            {
              atMs: 2,
              source: 'net',
              channel: 'sim:net:dial',
              text: 'dial',
              fields: { port: `port ${PAYLOAD}`, verdict: `verdict ${PAYLOAD}` },
            },
          ],
          metrics: [
            { name: `samples ${PAYLOAD}`, unit: `<u>"'&`, kind: 'samples', values: [1, 2, 3] },
            { name: `series ${PAYLOAD}`, unit: `<u>"'&`, kind: 'series', points: [[0, 1]] },
          ],
        },
        { case: hostile('SB-010', 'should'), outcome: 'fail', ms: 3, reason: `should ${PAYLOAD}` },
        { case: hostile('IP-004'), outcome: 'skip', ms: 0, reason: `skip ${PAYLOAD}` },
      ],
      { command: `relaycheck run --case '${PAYLOAD}'` },
    ),
  );
  // fields the builder takes from the catalogue or the machine, set through the reader
  const doc = JSON.parse(JSON.stringify(built)) as {
    areas: { title: string }[];
    environment: { cpus: { model: string }; node: string; hostname?: string };
    run: { id: string };
  };
  for (const a of doc.areas) a.title = `area ${PAYLOAD}`;
  doc.environment.cpus.model = `cpu ${PAYLOAD}`;
  doc.environment.node = `node ${PAYLOAD}`;
  doc.environment.hostname = `host ${PAYLOAD}`;
  doc.run.id = `run ${PAYLOAD}`;
  return parseReport(doc);
}

void t.test('script tags, quotes and ampersands in report texts appear escaped', (t) => {
  const report = hostileReport();
  const html = renderHtml(report);
  t.notMatch(html, 'alert(1)</script>', 'the payload never appears raw');
  t.notMatch(html, '"quoted"');
  t.notMatch(html, /<img\b/i, 'no element comes from a text');
  t.notMatch(html, /<!-- /, 'no comment comes from a text');
  t.equal((html.match(/<script/gi) ?? []).length, 1, 'the only script is the page’s own');
  t.same(brokenTags(html), [], 'no quote broke out of an attribute');
  t.equal((html.match(/<\/script>/gi) ?? []).length, 1);
  t.equal((html.match(/<details /g) ?? []).length, report.cases.length, 'a drill-down per case');
  t.equal((html.match(/<\/details>/g) ?? []).length, report.cases.length, 'none closed early');
  t.equal(
    (html.match(/<\/table>/g) ?? []).length,
    5,
    'matrix, case table, and one assertion, measurement and event table',
  );
  for (const label of [
    'title',
    'requirement',
    'source',
    'reason',
    'failure',
    'assertion',
    'diag',
    'should',
    'skip',
    'cpu',
    'node',
    'host',
    'run',
    'expected',
    'observed',
    'at',
    'event',
    'field',
    'samples',
    'series',
  ]) {
    t.match(html, `${label} ${ESCAPED}`, `the ${label} is shown, escaped`);
  }
  t.match(html, `area ${ESCAPED} (PORT)`, 'the area title is shown, escaped');
  t.match(html, `relaycheck run --case &#39;${ESCAPED}&#39;`, 'the command is shown, escaped');
  t.match(html, `>area ${ESCAPED} (PORT)</text>`, 'echarts escaped the area title in the chart');
  t.match(html, `<td><code>${ESCAPED}</code></td>`, 'the event channel is shown, escaped');
  t.match(html, '<td>&lt;b&gt;&quot;&#39;&amp;</td>', 'the event source is shown, escaped');
  t.match(html, `key&lt;b&gt;&quot;&#39;&amp;=field ${ESCAPED}`, 'a field is shown, escaped');
  t.match(html, `>samples ${ESCAPED}</text>`, 'echarts escaped the metric name in its chart');
  t.match(html, `>verdict ${ESCAPED}</text>`, 'and the verdict in the dial chart legend');
  t.match(html, `>port ${ESCAPED}</text>`, 'and the port on its axis');
  t.end();
});

void t.test('escapeHtml output holds no markup character and decodes to its input', async (t) => {
  const decode = (s: string): string =>
    s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) =>
      e === 'amp' ? '&' : e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'quot' ? '"' : "'",
    );
  const markupy = fc.constantFrom('<', '>', '&', '"', "'", '&amp;', '<script>', 'a', ' ', 'é');
  await checkProperty(
    t,
    fc.property(
      fc.array(fc.oneof(markupy, fc.string({ unit: 'grapheme' })), { maxLength: 12 }),
      (parts) => {
        const text = parts.join('');
        const out = escapeHtml(text);
        return (
          !/[<>"']/.test(out) && !/&(?!(?:amp|lt|gt|quot|#39);)/.test(out) && decode(out) === text
        );
      },
    ),
  );
});

void t.test('control characters and lone surrogates are written visibly, not passed on', (t) => {
  t.equal(escapeHtml('a\u0000b\u001bc\u007f'), 'a\\u0000b\\u001bc\\u007f');
  t.equal(escapeHtml('tab\tline\nret\r'), 'tab\tline\nret\r', 'tab and line breaks stay');
  t.equal(escapeHtml('x\ud800y'), 'x\ufffdy', 'a lone surrogate becomes U+FFFD');
  t.equal(escapeHtml('pair \ud83d\ude00'), 'pair \ud83d\ude00', 'a surrogate pair stays');
  t.end();
});
