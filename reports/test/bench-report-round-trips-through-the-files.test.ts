// A benchmark run's report on disk. In: the bench section of ./lib/bench-fixture.ts built
// with buildBenchReport and written with writeReport into a temporary folder. Out: checks that
// report.json reads back equal and frozen, the verdict says benchmark (never ready or not
// ready for go-live), junit.xml is well-formed with no test, texts are redacted and error
// samples clipped, and that a conformance report without `bench` still reads back.
import { mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SaxesParser } from 'saxes';
import t from 'tap';
import {
  BENCH_LIMITS,
  buildBenchReport,
  buildReport,
  readReport,
  reportFromJson,
  reportToJson,
  writeReport,
} from '../src';
import { BENCH_META, benchSection } from './lib/bench-fixture';
import { mixedRun, secrets } from './lib/fixture';

function tempDir(t: tap.Test): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'relaycheck-bench-report-')));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

void t.test('a bench report written with writeReport reads back equal and frozen', (t) => {
  const report = buildBenchReport(benchSection(), BENCH_META);
  const dir = tempDir(t);
  const paths = writeReport(dir, report);
  t.same(readdirSync(dir).sort(), ['index.html', 'junit.xml', 'report.json', 'summary.md']);
  const back = readReport(paths.reportJson);
  t.same(back, report);
  t.equal(reportToJson(back), readFileSync(paths.reportJson, 'utf8'));
  t.same(back.bench, benchSection(), 'the section is kept as the benchmark wrote it');
  t.ok(back.bench !== undefined && Object.isFrozen(back.bench.workloads[0]?.steps[0]), 'frozen');
  t.end();
});

void t.test('the verdict says benchmark, never ready or not ready for go-live', (t) => {
  const report = buildBenchReport(benchSection(), BENCH_META);
  t.equal(
    report.verdict.headline,
    'Benchmark (profile min-spec): no conformance cases were run; figures below',
  );
  t.notMatch(report.verdict.headline, /ready/i);
  t.equal(report.verdict.ready, true, 'ready keeps its meaning: the run exits 0');
  t.same(report.cases, []);
  t.same(report.areas, []);
  t.equal(report.counts.total, 0);
  t.match(report.run, {
    id: BENCH_META.id,
    startedAt: '2026-11-23T09:00:00.000Z',
    endedAt: '2026-11-23T09:07:30.250Z',
    durationMs: 450_250,
    profile: 'min-spec',
    target: 'simulator',
    relay: 'reference',
    seed: null,
    strict: false,
    selection: {},
    command: 'relaycheck bench relay --profile min-spec --repeats 3',
  });
  const other = buildBenchReport(
    { ...benchSection(), profile: { ...benchSection().profile, name: 'recommended' } },
    BENCH_META,
  );
  t.equal(other.run.profile, 'default', 'a profile the run field does not name is default');
  t.equal(other.bench?.profile.name, 'recommended', 'and the section names it');
  t.end();
});

void t.test('junit.xml of a bench report is well-formed and holds no test', (t) => {
  const dir = tempDir(t);
  const paths = writeReport(dir, buildBenchReport(benchSection(), BENCH_META));
  const xml = readFileSync(paths.junitXml, 'utf8');
  const opened: { name: string; attributes: Record<string, string> }[] = [];
  const comments: string[] = [];
  const parser = new SaxesParser();
  parser.on('error', (e) => {
    throw e;
  });
  parser.on('opentag', (tag) => opened.push({ name: tag.name, attributes: tag.attributes }));
  parser.on('comment', (c) => comments.push(c));
  parser.write(xml).close();
  t.same(
    opened.map((o) => o.name),
    ['testsuites'],
    'one empty <testsuites>',
  );
  t.match(opened[0]?.attributes, { tests: '0', failures: '0', errors: '0', skipped: '0' });
  t.match(comments.join(''), /a benchmark run: no conformance cases were run/);
  t.end();
});

void t.test('texts of the section are redacted and error samples clipped to a few', (t) => {
  const { key, token } = secrets();
  const section = benchSection();
  const [first, ...rest] = section.workloads;
  if (first === undefined) throw new Error('the fixture has no workload');
  const long = `timeout ${'x'.repeat(BENCH_LIMITS.errorText * 2)}`;
  const report = buildBenchReport(
    {
      ...section,
      command: `relaycheck bench relay --key ${key}`,
      notes: [`the tenant used ${token}`],
      workloads: [
        {
          ...first,
          errorSamples: [long, ...Array.from({ length: 9 }, (_, i) => `error ${i} sig=${key}`)],
        },
        ...rest,
      ],
    },
    BENCH_META,
  );
  const json = reportToJson(report);
  t.notMatch(json, key, 'no key anywhere');
  t.notMatch(json, token, 'no token anywhere');
  t.match(report.run.command, 'relaycheck bench relay --key [redacted]');
  t.equal(report.bench?.command, report.run.command);
  t.match(report.bench?.notes[0], 'SharedAccessSignature [redacted]');
  const samples = report.bench?.workloads[0]?.errorSamples ?? [];
  t.equal(samples.length, BENCH_LIMITS.errorSamples, 'the first few samples are kept');
  t.equal(samples[0]?.length, BENCH_LIMITS.errorText, 'a long one is clipped to the bound');
  t.match(samples[0], /\.\.\.$/, 'and says so');
  t.equal(samples[1], 'error 0 sig=[redacted]');
  t.end();
});

void t.test(
  'a conformance report without bench still reads back (the section is additive)',
  (t) => {
    const report = buildReport(mixedRun({ seed: 3 }));
    const json = reportToJson(report);
    t.notMatch(json, '"bench"');
    const back = reportFromJson(json);
    t.equal(back.bench, undefined);
    t.same(back, report);
    t.end();
  },
);
