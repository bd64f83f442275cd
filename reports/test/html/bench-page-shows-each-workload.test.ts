// index.html of a benchmark report, as text (no browser). In: the bench section of
// ../lib/bench-fixture.ts built with buildBenchReport, and one whose free texts carry markup.
// Out: checks the page has a benchmark banner (no go-live verdict, no case parts), the
// profile's exact limits, one throughput and one latency chart per workload with their lines,
// the steps, ratios, zero-loss line and targets, escapes every text, and loads nothing.
import t from 'tap';
import { buildBenchReport, parseReport, renderHtml, type BenchSection } from '../../src';
import { BENCH_META, LIMITS_TEXT, benchSection, jsonCopy } from '../lib/bench-fixture';
import { brokenTags } from './fixture';

const report = buildBenchReport(benchSection(), BENCH_META);
const html = renderHtml(report);

const count = (text: string, pattern: RegExp): number => (text.match(pattern) ?? []).length;

/** The page's <section id=...> up to its end (sections do not nest). */
function section(page: string, id: string): string {
  const start = page.indexOf(`<section id="${id}"`);
  const end = page.indexOf('</section>', start);
  if (start < 0 || end < 0) throw new Error(`no section ${id}`);
  return page.slice(start, end);
}

/** A workload's <article> on the page. */
function workload(page: string, index: number): string {
  const start = page.indexOf(`<article class="workload" id="bench-w${index}"`);
  const end = page.indexOf('</article>', start);
  if (start < 0 || end < 0) throw new Error(`no workload ${index}`);
  return page.slice(start, end);
}

void t.test('the banner says benchmark and no go-live verdict; no case part is shown', (t) => {
  const banner = section(html, 'verdict');
  t.match(banner, 'class="banner bench"');
  t.match(banner, '>Benchmark<');
  t.match(banner, 'Benchmark (profile min-spec): no conformance cases were run; figures below');
  t.match(banner, '<span class="outcome pass">4 met</span>');
  t.match(banner, '<span class="outcome fail">2 missed</span>');
  t.match(banner, '<span class="outcome skip">1 not measured</span>');
  t.notMatch(html, /ready for go-live/i, 'neither ready nor not ready for go-live');
  for (const id of ['matrix', 'charts', 'cases', 'details']) {
    t.notMatch(html, `<section id="${id}"`, `no ${id} section`);
  }
  t.match(html, '<title>relaycheck benchmark: profile min-spec (20261123T090000Z-b3c4d5)</title>');
  t.end();
});

void t.test('the profile and its exact limits are listed', (t) => {
  const bench = section(html, 'bench');
  for (const fact of [
    `<dt>limits</dt><dd>${LIMITS_TEXT}</dd>`,
    '<dt>cores</dt><dd>pinned to 1</dd>',
    '<dt>CPU quota</dt><dd>37,000 µs per 100,000 µs period</dd>',
    '<dt>CPU share</dt><dd>0.37 of a core&#39;s time (37%)</dd>',
    '<dt>memory limit</dt><dd>536,870,912 bytes (512.0 MiB)</dd>',
    '<dt>applied by</dt><dd>cgroup-v2: ',
    '<dt>approximate</dt><dd>no: the limits were enforced as stated</dd>',
    '<dt>this machine</dt><dd>2 cores at 2.70 GHz</dd>',
    '<dt>profile hardware</dt><dd>1 core, 1 GHz, 512 MiB</dd>',
    '<dt>repeats</dt><dd>each workload ran 3 times; figures are medians</dd>',
    '<dt>peak memory (cgroup)</dt><dd>109.5 MiB</dd>',
    '<dt>OOM kills</dt><dd>0</dd>',
    '<li>the simulator, back office and load generator ran on core 0</li>',
    '<td>Service Bus Standard namespace</td><td class="num">1,000</td><td>messages/s</td>',
    '<h3>Targets of the whole run</h3>',
    '<tr><td>relay peak memory</td><td>&lt;= 512 MiB</td><td>109.5 MiB</td><td><span class="outcome pass">met</span></td></tr>',
  ]) {
    t.match(bench, fact);
  }
  const approximate = renderHtml(
    buildBenchReport(
      {
        ...benchSection(),
        limits: {
          ...benchSection().limits,
          cpuList: null,
          quotaUs: null,
          cpuShare: null,
          memoryBytes: null,
          backend: 'approximate',
          approximate: true,
        },
      },
      BENCH_META,
    ),
  );
  t.match(approximate, '<dt>cores</dt><dd>not pinned: every core</dd>');
  t.match(approximate, '<dt>CPU quota</dt><dd>none: whole cores (period 100,000 µs)</dd>');
  t.match(approximate, '<dt>memory limit</dt><dd>none</dd>');
  t.match(approximate, '<dt>approximate</dt><dd>yes: the limits are approximated');
  t.end();
});

void t.test('each workload has one throughput and one latency chart', (t) => {
  const workloads = report.bench?.workloads ?? [];
  t.equal(workloads.length, 3);
  t.equal(count(html, /<svg /g), workloads.length * 2, 'two charts a workload, no other');
  workloads.forEach((w, i) => {
    const part = workload(html, i);
    t.equal(count(part, /<svg /g), 2, `${w.name}: two charts`);
    t.match(
      part,
      new RegExp(
        `<figure id="chart-bench-w${i}-throughput"><svg role="img" aria-label="Achieved against offered rate per second for ${w.name}: relay `,
      ),
    );
    t.match(
      part,
      new RegExp(
        `<figure id="chart-bench-w${i}-latency"><svg role="img" aria-label="Latency through the relay against offered rate per second for ${w.name}, in ms: p50 `,
      ),
    );
    t.match(part, `>${w.name}: throughput</text>`, 'the throughput chart has its title');
    t.match(part, `>${w.name}: latency through the relay</text>`);
    t.match(part, '>offered per second</text>', 'the x axis is named');
    t.match(part, '>offered (y = x)</text>', 'the offered line is in the legend');
    for (const b of w.baselines) t.match(part, `>${b.name}</text>`, `${b.name} is drawn`);
    for (const p of ['p50', 'p95', 'p99']) t.match(part, `>${p}</text>`);
  });
  t.notMatch(html, 'could not be drawn');
  t.notMatch(html, 'ecmeta_');
  t.end();
});

void t.test('each workload shows its steps, ratios, zero-loss line and targets', (t) => {
  const posts = workload(html, 0);
  t.match(posts, '<dt>relay CPU per request</dt><dd>2.4 ms</dd>', 'the relay’s CPU per request');
  t.notMatch(workload(html, 1), 'relay CPU per request', 'left out where the section has none');
  t.equal(count(posts, /<table class="bench steps">/g), 2, 'the relay’s steps and direct’s');
  t.match(
    posts,
    '<td class="num">200</td><td class="num">101</td><td class="num">1.01</td><td class="num">2,400</td><td class="num">6,000</td><td class="num">9,600</td><td class="num">3</td><td class="num">12</td><td><span class="outcome non-strict">saturated</span></td>',
    'the saturated step with its figures',
  );
  t.match(posts, '<dt>relay / direct</dt><dd>5.0% (direct sustained 2,000/s)</dd>');
  t.match(posts, 'zero loss: 9,412 answered, 0 missing at the back office');
  t.match(
    posts,
    '<tr><td>XML posts sustained</td><td>&gt;= 1,000 msg/s</td><td>99 msg/s</td><td><span class="outcome fail">missed</span></td></tr>',
  );
  t.match(posts, '<span class="outcome pass">met</span>');
  t.match(posts, '<pre>step 200/s: 3 sends timed out after 30 s</pre>');
  const retrievals = workload(html, 1);
  t.match(retrievals, '<dt>relay / hyco-https</dt><dd>50% (hyco-https sustained 400/s)</dd>');
  const pdf = workload(html, 2);
  t.match(pdf, '<dt>zero loss</dt><dd>not checked (the notes say why)</dd>');
  t.match(pdf, 'No baseline was run for this workload');
  t.match(pdf, '<span class="outcome skip">not measured</span>');
  t.match(pdf, '<td class="num">—</td>', 'a step where nothing completed has no latency');
  t.end();
});

const PAYLOAD = `<script>alert(1)</script> "q" & 'a' </article></table><img src=x onerror=alert(2)>`;
const ESCAPED =
  '&lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot; &amp; &#39;a&#39; &lt;/article&gt;&lt;/table&gt;&lt;img src=x onerror=alert(2)&gt;';

function hostileSection(): BenchSection {
  const s = benchSection();
  return {
    ...s,
    command: `relaycheck bench relay --workload '${PAYLOAD}'`,
    profile: { ...s.profile, description: `profile ${PAYLOAD}` },
    limits: { ...s.limits, text: `limits ${PAYLOAD}`, cpuList: `cores ${PAYLOAD}` },
    notes: [`note ${PAYLOAD}`],
    ceilings: [{ name: `ceiling ${PAYLOAD}`, value: 1, unit: '<u>"' }],
    workloads: s.workloads.map((w) => ({
      ...w,
      name: `${w.name} ${PAYLOAD}`,
      description: `description ${PAYLOAD}`,
      baselines: w.baselines.map((b) => ({ ...b, description: `baseline ${PAYLOAD}` })),
      targets: w.targets.map((x) => ({
        what: `what ${PAYLOAD}`,
        target: `target ${PAYLOAD}`,
        measured: `measured ${PAYLOAD}`,
        met: x.met,
      })),
      errorSamples: [`error ${PAYLOAD}`],
    })),
  };
}

void t.test('markup in workload descriptions, notes and every other text shows as text', (t) => {
  // through the reader too: a report.json from anywhere renders the same way
  const page = renderHtml(parseReport(jsonCopy(buildBenchReport(hostileSection(), BENCH_META))));
  t.notMatch(page, 'alert(1)</script>', 'the payload never appears raw');
  t.notMatch(page, /<img\b/i, 'no element comes from a text');
  t.equal(count(page, /<script/gi), 1, 'the only script is the page’s own');
  t.equal(count(page, /<article /g), 3, 'no article opened by a text');
  t.equal(count(page, /<\/article>/g), 3, 'and none closed early');
  t.same(brokenTags(page), [], 'no quote broke out of an attribute');
  for (const label of [
    'profile',
    'limits',
    'pinned to cores',
    'note',
    'ceiling',
    'description',
    'baseline',
    'what',
    'target',
    'measured',
    'error',
  ]) {
    t.match(page, `${label} ${ESCAPED}`, `"${label} ..." is shown, escaped`);
  }
  t.match(page, `relaycheck bench relay --workload &#39;${ESCAPED}&#39;`, 'the command too');
  t.match(page, `>xml-posts ${ESCAPED}: throughput</text>`, 'echarts escaped the chart title');
  t.match(page, `<h3 id="bench-w0-title">Workload xml-posts ${ESCAPED}</h3>`);
  t.end();
});

void t.test('the page stays self-contained: the CSP, no URL of any host, one script', (t) => {
  t.match(
    html,
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">`,
  );
  const markup = html.replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1>/g, '<$1></$1>');
  const attrs = [...markup.matchAll(/\s([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/g)].map(
    (m) => ({ name: (m[1] ?? '').toLowerCase(), value: m[2] ?? m[3] ?? m[4] ?? '' }),
  );
  const links = attrs.filter((a) => /^(?:src|href|xlink:href|action|srcset|data)$/.test(a.name));
  t.ok(links.length >= 3, 'links were found to check');
  t.same(
    links.filter((a) => !a.value.startsWith('#') && !a.value.startsWith('data:')),
    [],
    'every src and href is a fragment or a data: URL',
  );
  t.same(
    attrs.filter((a) => /(?:https?:)?\/\/[a-z0-9]/i.test(a.value) && !a.name.startsWith('xmlns')),
    [],
    'no attribute holds a URL of any host',
  );
  t.same(
    attrs.filter((a) => a.name.startsWith('on')).map((a) => a.name),
    [],
    'no event handler attribute',
  );
  const css = [...html.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style>/g)].map((m) => m[1]).join('');
  const head = html.slice(0, html.indexOf('</head>'));
  t.match(
    head,
    /<style>[^<]*\.banner\.bench \{/,
    'the benchmark rules are in the page’s style sheet',
  );
  t.notMatch(css, /@import|url\(\s*["']?(?!data:|#)|@font-face/i, 'nothing fetched by any style');
  t.equal(count(html, /<script/gi), 1);
  t.same(brokenTags(html), []);
  t.equal(renderHtml(report), html, 'the same report renders the same page');
  t.end();
});

void t.test('the run part names the benchmark and its profile, not a case selection', (t) => {
  const env = section(html, 'environment');
  t.match(
    env,
    '<dt>command</dt><dd><code>relaycheck bench relay --profile min-spec --repeats 3</code></dd>',
  );
  t.match(env, '<dt>kind</dt><dd>benchmark: no conformance cases</dd>');
  t.match(env, '<dt>profile</dt><dd>min-spec (<a href="#bench-limits">its limits</a>)</dd>');
  t.notMatch(env, '<dt>selection</dt>');
  t.notMatch(env, '<dt>strict</dt>');
  t.match(env, '<dt>CPUs</dt><dd>2 x Test CPU</dd>');
  t.end();
});
