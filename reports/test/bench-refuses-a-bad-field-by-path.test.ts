// A bench section that is not what the schema says. In: the bench section of
// ./lib/bench-fixture.ts with one field changed, given to buildBenchReport or written into a
// report.json that is read back. Out: checks that the builder refuses it with REPORT_E_INPUT
// and the reader with REPORT_E_SCHEMA, both naming the field's path; that a benchmark report
// cannot carry cases or a go-live headline; and that the bounds hold.
import t from 'tap';
import {
  BENCH_LIMITS,
  buildBenchReport,
  buildReport,
  reportFromJson,
  reportToJson,
  type BenchSection,
} from '../src';
import { BENCH_META, benchSection, jsonCopy } from './lib/bench-fixture';
import { mixedRun } from './lib/fixture';

type Json = Record<string, unknown>;

/** A JSON copy of the fixture section with `change` applied to it. */
function changed(change: (s: Json & { workloads: Json[] }) => void): BenchSection {
  const copy = jsonCopy(benchSection()) as Json & { workloads: Json[] };
  change(copy);
  return copy as unknown as BenchSection;
}

const workload0 = (s: { workloads: Json[] }): Json => {
  const w = s.workloads[0];
  if (w === undefined) throw new Error('the fixture has no workload');
  return w;
};
/** The i-th item of a list in a JSON copy (the fixture has it). */
function item(list: unknown, i: number): Json {
  const found = (list as Json[])[i];
  if (found === undefined) throw new Error(`the fixture has no item ${i}`);
  return found;
}
const step = (s: { workloads: Json[] }, i: number): Json => item(workload0(s).steps, i);

/** Each bad section and the path it must be refused at. */
const BAD: readonly (readonly [string, BenchSection, string])[] = [
  [
    'a NaN latency',
    changed((s) => {
      step(s, 2).p95Ms = Number.NaN;
    }),
    'bench.workloads[0].steps[2].p95Ms',
  ],
  [
    'an infinite rate',
    changed((s) => {
      step(s, 0).achievedPerSecond = Number.POSITIVE_INFINITY;
    }),
    'bench.workloads[0].steps[0].achievedPerSecond',
  ],
  [
    'a negative error count',
    changed((s) => {
      step(s, 1).errors = -1;
    }),
    'bench.workloads[0].steps[1].errors',
  ],
  [
    'a backend of no known kind',
    changed((s) => {
      (s.limits as Json).backend = 'docker';
    }),
    'bench.limits.backend',
  ],
  [
    'a missing limits text',
    changed((s) => {
      delete (s.limits as Json).text;
    }),
    'bench.limits.text',
  ],
  [
    'an unknown field in a step',
    changed((s) => {
      step(s, 0).p90Ms = 12;
    }),
    'bench.workloads[0].steps[0]',
  ],
  [
    'an unknown baseline',
    changed((s) => {
      item(workload0(s).baselines, 0).name = 'iis';
    }),
    'bench.workloads[0].baselines[0].name',
  ],
  [
    'a baseline twice',
    changed((s) => {
      const list = workload0(s).baselines as Json[];
      list.push({ ...list[0] });
    }),
    'bench.workloads[0].baselines[1].name',
  ],
  [
    'a workload twice',
    changed((s) => {
      s.workloads.push({ ...workload0(s) });
    }),
    'bench.workloads[3].name',
  ],
  [
    'a workload with no step',
    changed((s) => {
      workload0(s).steps = [];
    }),
    'bench.workloads[0].steps',
  ],
  [
    'a zero-loss count that is not whole',
    changed((s) => {
      (workload0(s).zeroLoss as Json).missing = 0.5;
    }),
    'bench.workloads[0].zeroLoss.missing',
  ],
  [
    'a target met that is not true, false or null',
    changed((s) => {
      item(workload0(s).targets, 0).met = 'no';
    }),
    'bench.workloads[0].targets[0].met',
  ],
  [
    'a whole-run target with no what',
    changed((s) => {
      item(s.targets, 1).what = '';
    }),
    'bench.targets[1].what',
  ],
  [
    'an end before the start',
    changed((s) => {
      s.finishedAt = '2026-11-23T08:59:59.000Z';
    }),
    'bench.finishedAt',
  ],
  [
    'a start with a time-zone offset',
    changed((s) => {
      s.startedAt = '2026-11-23T09:00:00+01:00';
    }),
    'bench.startedAt',
  ],
  [
    'no repeats',
    changed((s) => {
      s.repeats = 0;
    }),
    'bench.repeats',
  ],
  [
    'another kind of benchmark',
    changed((s) => {
      s.kind = 'crypto';
    }),
    'bench.kind',
  ],
  [
    'a note beyond the length bound',
    changed((s) => {
      s.notes = ['x'.repeat(BENCH_LIMITS.text + 1)];
    }),
    'bench.notes[0]',
  ],
  [
    'more workloads than the bound',
    changed((s) => {
      s.workloads = Array.from({ length: BENCH_LIMITS.workloads + 1 }, (_, i) => ({
        ...workload0(s),
        name: `w${i}`,
      }));
    }),
    'bench.workloads',
  ],
];

void t.test('buildBenchReport refuses a bad field with REPORT_E_INPUT and its path', (t) => {
  for (const [what, section, path] of BAD) {
    t.throws(
      () => buildBenchReport(section, BENCH_META),
      { name: 'ReportError', code: 'REPORT_E_INPUT', details: { path } },
      `${what}: refused at ${path}`,
    );
  }
  t.throws(() => buildBenchReport(benchSection(), { ...BENCH_META, id: ' ' }), {
    code: 'REPORT_E_INPUT',
    message: /run id is empty/,
  });
  t.end();
});

void t.test('a report.json whose bench section has a bad field is refused at that field', (t) => {
  const good = jsonCopy(buildBenchReport(benchSection(), BENCH_META));
  for (const [what, section, path] of BAD) {
    // JSON has no NaN or infinity: a writer that put them in wrote null or a string
    const bench = JSON.parse(
      JSON.stringify(section, (_, v: unknown) =>
        typeof v === 'number' && !Number.isFinite(v) ? 'NaN' : v,
      ),
    ) as unknown;
    t.throws(
      () => reportFromJson(JSON.stringify({ ...good, bench })),
      { name: 'ReportError', code: 'REPORT_E_SCHEMA', details: { path } },
      `${what}: refused at ${path}`,
    );
  }
  t.end();
});

void t.test('error samples beyond the bound are clipped when built, refused when read', (t) => {
  const many = changed((s) => {
    workload0(s).errorSamples = Array.from({ length: 20 }, (_, i) => `error ${i}`);
  });
  const report = buildBenchReport(many, BENCH_META);
  t.equal(report.bench?.workloads[0]?.errorSamples.length, BENCH_LIMITS.errorSamples);
  const doc = jsonCopy(report);
  item((doc.bench as Json).workloads, 0).errorSamples = (
    (many.workloads[0]?.errorSamples ?? []) as string[]
  ).slice();
  t.throws(() => reportFromJson(JSON.stringify(doc)), {
    code: 'REPORT_E_SCHEMA',
    details: { path: 'bench.workloads[0].errorSamples' },
  });
  t.end();
});

void t.test('a benchmark report carries no cases and never a go-live headline', (t) => {
  const bench = jsonCopy(buildBenchReport(benchSection(), BENCH_META)).bench;
  const conformance = jsonCopy(buildReport(mixedRun()));
  t.throws(
    () => reportFromJson(JSON.stringify({ ...conformance, bench })),
    { code: 'REPORT_E_SCHEMA', details: { path: 'cases' } },
    'cases beside a bench section',
  );
  const benchReport = jsonCopy(buildBenchReport(benchSection(), BENCH_META));
  t.throws(
    () =>
      reportFromJson(
        JSON.stringify({
          ...benchReport,
          verdict: { ...(benchReport.verdict as Json), headline: 'Ready for go-live' },
        }),
      ),
    { code: 'REPORT_E_SCHEMA', details: { path: 'verdict.headline' } },
    'a go-live headline on a benchmark report',
  );
  t.throws(
    () =>
      reportFromJson(
        JSON.stringify({
          ...benchReport,
          verdict: { ...(benchReport.verdict as Json), ready: false },
        }),
      ),
    { code: 'REPORT_E_SCHEMA', details: { path: 'verdict.ready' } },
    'not ready with no case that failed',
  );
  t.same(reportFromJson(reportToJson(buildBenchReport(benchSection(), BENCH_META))).cases, []);
  t.end();
});
