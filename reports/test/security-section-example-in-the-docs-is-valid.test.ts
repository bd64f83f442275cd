// docs/report.md's example security section. In: the JSON block after "A security section,
// shortened" in docs/report.md. Out: checks it is a section the reader accepts in a report
// whose cases are the ones it names, and that the builder makes the same counts and groups
// from those cases, so the example a reader of report.json goes by stays true to the schema.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  buildReport,
  parseReport,
  reportToJson,
  securitySectionSchema,
  type ReportCaseInput,
  type SecuritySection,
} from '../src';
import { REPO_ROOT } from '../../suites/lib/scan';
import { input, mkCase } from './lib/fixture';

void t.test('the example security section in docs/report.md makes a valid report', (t) => {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'report.md'), 'utf8');
  const at = doc.indexOf('A security section, shortened');
  t.ok(at > 0, 'the example is there');
  const block = /```json\n([\s\S]*?)\n```/.exec(doc.slice(at))?.[1] ?? '';
  const section = securitySectionSchema.parse(JSON.parse(block)) as SecuritySection;

  // the cases the example names, with the outcomes and reasons it shows
  const outcomes: ReportCaseInput[] = section.rows.map((r) => ({
    case: { ...mkCase(r.id, r.level), title: r.attack },
    outcome: r.outcome,
    ms: r.outcome === 'skip' ? 0 : 10,
    ...(r.reason !== null ? { reason: r.reason } : {}),
  }));
  const built = buildReport(
    input(outcomes, {
      antivirus: {
        clamdAvailable: false,
        clamdNote: 'clamd is not installed (.ci/run installs clamav-daemon)',
      },
    }),
  );
  t.same(built.security?.counts, section.counts, 'the counts the builder makes');
  t.same(built.security?.groups, section.groups, 'the groups it makes');
  t.same(built.security?.antivirus, section.antivirus, 'the antivirus facts it makes');
  t.same(
    built.security?.rows.map((r) => [r.id, r.group, r.outcome, r.reason]),
    section.rows.map((r) => [r.id, r.group, r.outcome, r.reason]),
  );

  const json = JSON.parse(reportToJson(built)) as Record<string, unknown>;
  json.security = section;
  t.same(parseReport(json).security, section, 'the reader reads it in that report');
  t.end();
});
