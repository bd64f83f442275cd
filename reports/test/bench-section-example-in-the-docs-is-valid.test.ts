// docs/report.md's example bench section. In: the JSON block after "A bench section,
// shortened" in docs/report.md. Out: checks it is a section the builder accepts and the reader
// reads back, so the example a benchmark author copies stays true to the schema.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { buildBenchReport, reportFromJson, reportToJson, type BenchSection } from '../src';
import { REPO_ROOT } from '../../suites/lib/scan';
import { BENCH_META } from './lib/bench-fixture';

void t.test('the example bench section in docs/report.md makes a valid report', (t) => {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'report.md'), 'utf8');
  const at = doc.indexOf('A bench section, shortened');
  t.ok(at > 0, 'the example is there');
  const block = /```json\n([\s\S]*?)\n```/.exec(doc.slice(at))?.[1] ?? '';
  const section = JSON.parse(block) as BenchSection;
  const report = buildBenchReport(section, BENCH_META);
  t.same(report.bench, section, 'kept as written');
  t.same(reportFromJson(reportToJson(report)), report);
  t.end();
});
