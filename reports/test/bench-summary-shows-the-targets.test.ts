// summary.md of a benchmark report. In: the bench section of ./lib/bench-fixture.ts built with
// buildBenchReport, and one whose texts carry pipes, line breaks and markup. Out: checks the
// headline says benchmark, the profile's limits, a row per workload with its sustained rate,
// ratios, zero-loss line and target tally, a row per target with met / missed / not measured,
// the relay's resources, and that no text adds a column or a row to a table.
import t from 'tap';
import { buildBenchReport, renderSummary } from '../src';
import { BENCH_META, LIMITS_TEXT, benchSection } from './lib/bench-fixture';
import { cells } from './lib/markdown';

/** The table under the `## heading` of `md`, as rows of cells (the header row first). */
function tableUnder(md: string, heading: string): string[][] {
  const start = md.indexOf(`## ${heading}\n`);
  if (start < 0) throw new Error(`no section ${heading}`);
  const lines = md.slice(start).split('\n').slice(1);
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first)) {
    if (!line.startsWith('|')) break;
    rows.push(cells(line));
  }
  return rows;
}

const md = renderSummary(buildBenchReport(benchSection(), BENCH_META));

void t.test('the summary opens with the benchmark headline and says nothing is judged', (t) => {
  t.equal(
    md.split('\n')[0],
    '# Benchmark (profile min-spec): no conformance cases were run; figures below',
  );
  t.match(md, 'there is no go-live verdict; nothing passes or fails on time');
  t.match(md, 'Targets: 4 met, 2 missed, 1 not measured.');
  t.notMatch(md, /ready for go-live|exit code/i);
  t.notMatch(md, '## Outcomes by area', 'no empty case tables');
  t.end();
});

void t.test('the profile and its exact limits are in a table', (t) => {
  const facts = new Map(
    tableUnder(md, 'Profile and limits')
      .slice(2)
      .map((r) => [r[0], r[1]]),
  );
  t.equal(facts.get('limits'), LIMITS_TEXT);
  t.equal(facts.get('cores'), 'pinned to 1');
  t.equal(facts.get('CPU quota'), '37,000 µs per 100,000 µs period');
  t.equal(facts.get('memory limit'), '536,870,912 bytes (512.0 MiB)');
  t.match(facts.get('applied by'), /^cgroup-v2: /);
  t.equal(facts.get('approximate'), 'no: the limits were enforced as stated');
  t.end();
});

void t.test('a row per workload: sustained rate, ratios, zero loss and its targets', (t) => {
  const rows = tableUnder(md, 'Workloads');
  t.same(rows[0], ['workload', 'sustained /s', 'MB/s', 'relay / baseline', 'zero loss', 'targets']);
  t.same(
    rows.slice(2).map((r) => [r[0], r[1], r[3], r[5]]),
    [
      ['xml-posts', '99', 'direct 5.0%', '1 met, 1 missed'],
      ['retrievals', '198', 'direct 9.0%; hyco-https 50%', '1 met, 1 missed'],
      ['pdf-bills', '10', 'no baseline', '1 not measured'],
    ],
  );
  t.match(rows[2]?.[4], /^zero loss: 9,412 answered, 0 missing/);
  t.equal(rows[4]?.[4], 'not checked (the notes say why)');
  t.end();
});

void t.test('each target is listed with what was measured: met, missed or not measured', (t) => {
  const rows = tableUnder(md, 'Targets');
  t.same(rows[0], ['workload', 'what', 'target', 'measured', 'status']);
  t.same(rows.slice(2), [
    ['xml-posts', 'XML posts sustained', '&gt;= 1,000 msg/s', '99 msg/s', '**missed**'],
    ['xml-posts', 'zero loss', '0 missing, 0 duplicated', '0, 0', 'met'],
    ['retrievals', 'retrievals p95', '&lt; 500 ms', '48 ms', 'met'],
    ['retrievals', 'retrievals sustained', '&gt;= 200/s', '198/s', '**missed**'],
    ['pdf-bills', 'PDF bills sustained', '&gt;= 20/s', '—', 'not measured'],
    ['(the whole run)', 'relay peak memory', '&lt;= 512 MiB', '109.5 MiB', 'met'],
    ['(the whole run)', 'relay never killed', 'no OOM kill', '0 OOM kills', 'met'],
  ]);
  const s = benchSection();
  const none = renderSummary(
    buildBenchReport(
      { ...s, targets: [], workloads: s.workloads.map((w) => ({ ...w, targets: [] })) },
      BENCH_META,
    ),
  );
  t.notMatch(none, '## Targets', 'no targets table when none is stated');
  t.match(none, 'Targets: 0 met, 0 missed, 0 not measured.');
  t.end();
});

void t.test('the relay’s resources and Azure’s ceilings are shown', (t) => {
  const facts = new Map(
    tableUnder(md, 'What the relay used')
      .slice(2)
      .map((r) => [r[0], r[1]]),
  );
  t.equal(facts.get('peak memory (cgroup)'), '109.5 MiB');
  t.equal(facts.get('throttled periods'), '2,710');
  t.equal(facts.get('died during the run'), 'no');
  t.match(md, 'Service Bus Standard namespace 1,000 messages/s');
  t.end();
});

void t.test('pipes, line breaks and markup in texts cannot add a column or a row', (t) => {
  const hostile = 'a | b\n| c | d |\n<b>*e*</b>';
  const s = benchSection();
  const out = renderSummary(
    buildBenchReport(
      {
        ...s,
        limits: { ...s.limits, text: hostile },
        workloads: s.workloads.map((w) => ({
          ...w,
          name: `${w.name} |x|`,
          targets: w.targets.map((x) => ({ ...x, what: hostile, measured: hostile })),
        })),
      },
      BENCH_META,
    ),
  );
  for (const heading of ['Profile and limits', 'Workloads', 'Targets', 'What the relay used']) {
    const rows = tableUnder(out, heading);
    const widths = new Set(rows.map((r) => r.length));
    t.equal(widths.size, 1, `${heading}: every row has the same number of cells`);
  }
  t.equal(tableUnder(out, 'Targets').length, 2 + 7, 'a row per target, no more');
  t.notMatch(out, '<b>', 'markup is escaped');
  t.end();
});
