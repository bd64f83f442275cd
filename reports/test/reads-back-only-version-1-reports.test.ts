// The report schema on read. In: built reports as JSON text, and documents that are not
// version 1 reports (another version, not JSON, not a report, a changed field, counts that
// disagree with the cases). Out: checks that a report round-trips unchanged, frozen, and that
// everything else is refused with the right typed error.
import fc from 'fast-check';
import t from 'tap';
import { buildReport, reportFromJson, reportToJson, type ReportCaseInput } from '../src';
import { checkProperty } from '../../suites/lib/property';
import { mkCase, input, mixedRun } from './lib/fixture';

const json = (): Record<string, unknown> =>
  JSON.parse(reportToJson(buildReport(mixedRun({ seed: 3 })))) as Record<string, unknown>;

void t.test('report.json round-trips through the schema unchanged and frozen', (t) => {
  const report = buildReport(mixedRun({ seed: 3, strict: true, command: 'relaycheck run' }));
  const back = reportFromJson(reportToJson(report));
  t.same(back, report);
  t.equal(reportToJson(back), reportToJson(report));
  t.ok(Object.isFrozen(back) && Object.isFrozen(back.cases[0]), 'deeply frozen');
  t.end();
});

void t.test('any run round-trips and keeps its counts consistent', async (t) => {
  const ids = ['HS-001', 'HS-002', 'SAS-003', 'PORT-004', 'DLV-005', 'SB-006', 'IP-007'];
  const run = fc.uniqueArray(
    fc.record({
      id: fc.constantFrom(...ids),
      level: fc.constantFrom('must' as const, 'should' as const),
      outcome: fc.constantFrom('pass' as const, 'fail' as const, 'skip' as const, 'info' as const),
      ms: fc.double({ min: 0, max: 1e6, noNaN: true }),
      reason: fc.option(fc.string({ maxLength: 30 }), { nil: undefined }),
    }),
    { selector: (c) => c.id, maxLength: ids.length },
  );
  await checkProperty(
    t,
    fc.property(run, fc.boolean(), (cases, strict) => {
      const outcomes: ReportCaseInput[] = cases.map((c) => ({
        case: mkCase(c.id, c.level),
        outcome: c.outcome,
        ms: c.ms,
        reason: c.reason,
      }));
      const report = buildReport(input(outcomes, { strict }));
      const back = reportFromJson(reportToJson(report));
      const failedMust = cases.filter((c) => c.outcome === 'fail' && c.level === 'must').length;
      const nonStrict = cases.filter((c) => c.outcome === 'fail' && c.level === 'should').length;
      return (
        JSON.stringify(back) === JSON.stringify(report) &&
        back.counts.total === cases.length &&
        back.verdict.ready === (failedMust === 0 && !(strict && nonStrict > 0)) &&
        back.verdict.headline.startsWith(back.verdict.ready ? 'Ready for go-live' : 'Not ready')
      );
    }),
    300,
  );
});

void t.test('a report of version 2 is refused with REPORT_E_VERSION naming the version', (t) => {
  const doc = { ...json(), version: 2 };
  t.throws(() => reportFromJson(JSON.stringify(doc)), {
    name: 'ReportError',
    code: 'REPORT_E_VERSION',
    message: /report version 2 is not one this relaycheck reads \(it reads version 1\)/,
    details: { version: '2' },
  });
  const unversioned = json();
  delete unversioned.version;
  t.throws(() => reportFromJson(JSON.stringify(unversioned)), {
    code: 'REPORT_E_VERSION',
    message: /has no "version"/,
  });
  t.throws(() => reportFromJson(JSON.stringify({ ...json(), version: '1' })), {
    code: 'REPORT_E_VERSION',
    message: /version "1"/,
  });
  t.end();
});

void t.test('text that is not a relaycheck report is refused with REPORT_E_FORMAT', (t) => {
  t.throws(() => reportFromJson('{"schema": '), { code: 'REPORT_E_FORMAT', message: /not JSON/ });
  t.throws(() => reportFromJson('[]'), { code: 'REPORT_E_FORMAT' });
  t.throws(() => reportFromJson('null'), { code: 'REPORT_E_FORMAT' });
  t.throws(() => reportFromJson(JSON.stringify({ ...json(), schema: 'autobahn' })), {
    code: 'REPORT_E_FORMAT',
    message: /"schema" is "autobahn"/,
  });
  t.end();
});

void t.test('a version 1 report with a wrong field is refused at that field', (t) => {
  const refused = (doc: unknown, path: string): void => {
    t.throws(
      () => reportFromJson(JSON.stringify(doc)),
      { name: 'ReportError', code: 'REPORT_E_SCHEMA', details: { path } },
      path,
    );
  };
  const base = json();
  const cases = base.cases as Record<string, unknown>[];
  const verdict = base.verdict as Record<string, unknown>;
  const counts = base.counts as Record<string, unknown>;
  refused({ ...base, extra: 1 }, '(document)');
  refused(
    { ...base, cases: [{ ...cases[0], outcome: 'maybe' }, ...cases.slice(1)] },
    'cases[0].outcome',
  );
  refused({ ...base, cases: [{ ...cases[0], ms: -1 }, ...cases.slice(1)] }, 'cases[0].ms');
  refused({ ...base, counts: { ...counts, pass: 99 } }, 'counts');
  refused({ ...base, verdict: { ...verdict, ready: true } }, 'verdict.ready');
  refused({ ...base, verdict: { ...verdict, failedMust: ['PORT-003'] } }, 'verdict.failedMust');
  refused({ ...base, cases: [...cases, cases[0]] }, 'cases[8].id');
  t.end();
});
