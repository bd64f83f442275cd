// The security section in report.json. In: the run of ./lib/security-fixture.ts built and
// written into a temporary folder, and copies of its report.json with one field of the section
// changed. Out: checks that report.json reads back equal and frozen through the schema, that a
// report without any attack has no section (with or without antivirus facts) and neither has a
// benchmark report, and that the reader refuses a section that breaks a bound or disagrees with
// the cases (REPORT_E_SCHEMA naming the field's path).
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import {
  SECURITY_LIMITS,
  buildBenchReport,
  buildReport,
  parseReport,
  readReport,
  renderHtml,
  renderSummary,
  reportFromJson,
  reportToJson,
  writeReport,
} from '../src';
import { BENCH_META, benchSection } from './lib/bench-fixture';
import { input, pass, secrets } from './lib/fixture';
import { securityRun } from './lib/security-fixture';

type Json = Record<string, unknown>;

void t.test('report.json with a security section reads back equal and frozen', (t) => {
  const report = buildReport(
    securityRun(secrets().token, {
      antivirus: { clamdAvailable: true, clamdVersion: 'ClamAV 1.4.6' },
    }),
  );
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'relaycheck-security-')));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const paths = writeReport(dir, report);
  const back = readReport(paths.reportJson);
  t.same(back, report);
  t.ok(back.security !== undefined && Object.isFrozen(back.security.rows[0]), 'frozen');
  t.equal(reportToJson(back), readFileSync(paths.reportJson, 'utf8'));
  t.match(readFileSync(paths.reportJson, 'utf8'), /"security": \{\n {4}"counts"/);
  t.end();
});

void t.test('a report without any attack has no security section', (t) => {
  const report = buildReport(
    input([pass('PORT-001'), pass('DLV-001')], {
      antivirus: { clamdAvailable: true, clamdVersion: 'ClamAV 1.4.6' },
    }),
  );
  t.notOk('security' in report, 'no field, even when antivirus facts were given');
  t.notOk(renderSummary(report).includes('## Security'), 'summary.md has no security part');
  const html = renderHtml(report);
  t.notOk(html.includes('id="security"'), 'index.html has no security part');
  t.notOk(html.includes('href="#security"'), 'nor a link to one');
  t.notOk('security' in buildBenchReport(benchSection(), BENCH_META), 'a benchmark has none');
  t.end();
});

/** The report's JSON with `change` applied to its security section. */
function changed(change: (s: Json & { rows: Json[]; groups: Json[] }) => void): string {
  const report = buildReport(securityRun(secrets().token));
  const copy = JSON.parse(reportToJson(report)) as Json & {
    security: Json & { rows: Json[]; groups: Json[] };
  };
  change(copy.security);
  return JSON.stringify(copy);
}

function item(list: Json[], i: number): Json {
  const found = list[i];
  if (found === undefined) throw new Error(`the fixture has no item ${i}`);
  return found;
}

function row(s: { rows: Json[] }, i: number): Json {
  return item(s.rows, i);
}

const BAD: readonly (readonly [string, string, string])[] = [
  [
    'an unknown field',
    changed((s) => {
      s.extra = true;
    }),
    'security',
  ],
  [
    'an outcome that is not the case outcome',
    changed((s) => {
      row(s, 0).outcome = 'fail';
    }),
    'security.rows[0].outcome',
  ],
  [
    'a row that names no case of the report',
    changed((s) => {
      row(s, 1).id = 'XML-099';
    }),
    'security.rows[1].id',
  ],
  [
    'another title than the case',
    changed((s) => {
      row(s, 2).attack = 'something harmless';
    }),
    'security.rows[2].attack',
  ],
  [
    'a case given two rows',
    changed((s) => {
      s.rows.push({ ...row(s, 0) });
    }),
    'security.rows[13].id',
  ],
  [
    'counts that do not match the rows',
    changed((s) => {
      (s.counts as Json).pass = 99;
    }),
    'security.counts',
  ],
  [
    "a group's counts that do not match its rows",
    changed((s) => {
      (item(s.groups, 0).counts as Json).fail = 0;
    }),
    'security.groups[0].counts',
  ],
  [
    'a group title that is not the area title',
    changed((s) => {
      row(s, 0).group = 'Friendly XML';
    }),
    'security.rows[0].group',
  ],
  [
    'an evidence line over the bound',
    changed((s) => {
      row(s, 0).evidence = ['x'.repeat(SECURITY_LIMITS.line + 1)];
    }),
    'security.rows[0].evidence[0]',
  ],
  [
    'too many evidence lines',
    changed((s) => {
      row(s, 0).evidence = Array.from({ length: SECURITY_LIMITS.evidenceLines + 2 }, () => 'x');
    }),
    'security.rows[0].evidence',
  ],
  [
    'no rows (a report without attacks has no section)',
    changed((s) => {
      s.rows = [];
      s.groups = [];
    }),
    'security.groups',
  ],
  [
    'a scanner mode that is not one',
    changed((s) => {
      s.antivirus = {
        clamd: 'unknown',
        clamdVersion: null,
        clamdNote: null,
        scannerMode: 'fail-sideways',
        scannerModeSource: 'run',
        skipReasons: [],
      };
    }),
    'security.antivirus.scannerMode',
  ],
];

void t.test('the reader refuses a section that breaks the schema, by path', (t) => {
  for (const [what, json, path] of BAD) {
    t.throws(() => reportFromJson(json), { code: 'REPORT_E_SCHEMA', details: { path } }, what);
  }
  t.end();
});

void t.test('a section with rows left out still reads: a row per attack is not required', (t) => {
  const report = buildReport(securityRun(secrets().token));
  const copy = JSON.parse(reportToJson(report)) as Json & {
    security: { rows: Json[]; groups: Json[]; counts: Json };
  };
  // the first group (XML) only: a reader of an older report with a shorter list
  const xml = copy.security.rows.filter((r) => r.area === 'xml');
  copy.security.rows = xml;
  copy.security.groups = copy.security.groups.slice(0, 1);
  copy.security.counts = item(copy.security.groups, 0).counts as Json;
  t.doesNotThrow(() => parseReport(copy));
  t.end();
});
