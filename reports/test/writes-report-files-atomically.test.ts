// writeReport in a temporary folder laid out like reports/runs/<timestamp>. In: built reports.
// Out: checks that report.json is written first, each file through a temp name beside it that
// is fsynced then renamed, that no temp is left (even when a write fails), and that
// reports/latest is replaced atomically (and a real folder of that name is left alone).
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import t from 'tap';
import {
  buildReport,
  readReport,
  renderHtml,
  renderJunit,
  renderSummary,
  reportToJson,
  writeReport,
  type ReportWriteEvent,
} from '../src';
import { mixedRun } from './lib/fixture';

function reportsTree(t: tap.Test): { reports: string; runs: string } {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'relaycheck-reports-')));
  t.teardown(() => {
    rmSync(root, { recursive: true, force: true });
  });
  const reports = join(root, 'reports');
  const runs = join(reports, 'runs');
  mkdirSync(runs, { recursive: true });
  return { reports, runs };
}

/** The write events published while `fn` runs. */
function recorded<T>(fn: () => T): { result: T; events: ReportWriteEvent[] } {
  const events: ReportWriteEvent[] = [];
  const onEvent = (e: unknown): void => {
    events.push(e as ReportWriteEvent);
  };
  subscribe('relaycheck:report:write', onEvent);
  try {
    return { result: fn(), events };
  } finally {
    unsubscribe('relaycheck:report:write', onEvent);
  }
}

const temporaries = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

void t.test('report.json comes first, each file through fsync and rename of a temp name', (t) => {
  const { reports, runs } = reportsTree(t);
  const out = join(runs, '2026-11-22T10-00-00-000Z');
  const report = buildReport(mixedRun());
  const { result: paths, events } = recorded(() => writeReport(out, report));
  t.same(paths, {
    reportJson: join(out, 'report.json'),
    junitXml: join(out, 'junit.xml'),
    summaryMd: join(out, 'summary.md'),
    indexHtml: join(out, 'index.html'),
    latest: join(reports, 'latest'),
  });
  const finals = ['report.json', 'junit.xml', 'summary.md', 'index.html'];
  t.same(
    events.map((e) => [e.step, basename(e.to ?? e.path)]),
    [
      ...finals.flatMap((f) => [
        ['write', basename(events.find((e) => e.to?.endsWith(f))?.path ?? '?')],
        ['fsync', basename(events.find((e) => e.to?.endsWith(f))?.path ?? '?')],
        ['rename', f],
      ]),
      ['link', '2026-11-22T10-00-00-000Z'],
    ],
    'write, fsync, rename per file, report.json first, the link last',
  );
  for (const e of events.filter((k) => k.step === 'rename')) {
    t.equal(dirname(e.path), out, `${basename(e.to ?? '')} was written beside its final name`);
    t.not(e.path, e.to);
  }
  t.same(temporaries(out), [], 'no temporary file is left');
  t.equal(readFileSync(paths.reportJson, 'utf8'), reportToJson(report));
  t.equal(readFileSync(paths.junitXml, 'utf8'), renderJunit(report));
  t.equal(readFileSync(paths.summaryMd, 'utf8'), renderSummary(report));
  t.equal(readFileSync(paths.indexHtml, 'utf8'), renderHtml(report));
  t.same(readReport(paths.reportJson), report, 'report.json reads back as the same report');
  t.end();
});

void t.test('reports/latest moves to the newest run by renaming a new link over it', (t) => {
  const { reports, runs } = reportsTree(t);
  const latest = join(reports, 'latest');
  const first = join(runs, 'first');
  writeReport(first, buildReport(mixedRun()));
  t.equal(readlinkSync(latest), join('runs', 'first'), 'a relative link');
  const second = join(runs, 'second');
  const { events } = recorded(() => writeReport(second, buildReport(mixedRun({ seed: 9 }))));
  t.equal(readlinkSync(latest), join('runs', 'second'));
  t.equal(readReport(join(latest, 'report.json')).run.seed, 9, 'latest opens the newest run');
  const link = events.find((e) => e.step === 'link');
  t.equal(link?.path, latest);
  t.same(temporaries(reports), [], 'the temporary link was renamed, not left');
  t.ok(lstatSync(first).isDirectory(), 'the older run stays');
  t.end();
});

void t.test('a folder outside reports/runs/ gets its files and no latest link', (t) => {
  const { reports } = reportsTree(t);
  const out = join(reports, 'elsewhere', 'run');
  const paths = writeReport(out, buildReport(mixedRun()));
  t.equal(paths.latest, undefined);
  t.same(readdirSync(reports).sort(), ['elsewhere', 'runs']);
  t.same(readdirSync(out).sort(), ['index.html', 'junit.xml', 'report.json', 'summary.md']);
  t.end();
});

void t.test('a reports/latest that is not a symlink is left as it is', (t) => {
  const { reports, runs } = reportsTree(t);
  const latest = join(reports, 'latest');
  mkdirSync(latest);
  writeFileSync(join(latest, 'mine.txt'), 'keep');
  const { result: paths, events } = recorded(() =>
    writeReport(join(runs, 'r1'), buildReport(mixedRun())),
  );
  t.equal(paths.latest, undefined);
  t.equal(readFileSync(join(latest, 'mine.txt'), 'utf8'), 'keep');
  t.match(events.at(-1), { step: 'link-skipped', path: latest });
  t.end();
});

void t.test('a file that cannot be written fails with REPORT_E_WRITE and leaves no temp', (t) => {
  const { runs, reports } = reportsTree(t);
  const out = join(runs, 'broken');
  mkdirSync(join(out, 'junit.xml', 'in-the-way'), { recursive: true });
  const report = buildReport(mixedRun());
  t.throws(() => writeReport(out, report), {
    name: 'ReportError',
    code: 'REPORT_E_WRITE',
    details: { path: join(out, 'junit.xml') },
  });
  t.same(readReport(join(out, 'report.json')), report, 'report.json, written first, is whole');
  t.same(temporaries(out), []);
  t.same(readdirSync(reports).sort(), ['runs'], 'latest is not moved to a broken run');
  t.end();
});

void t.test('an existing latest link is replaced even when it points nowhere', (t) => {
  const { reports, runs } = reportsTree(t);
  symlinkSync(join('runs', 'gone'), join(reports, 'latest'));
  writeReport(join(runs, 'r2'), buildReport(mixedRun()));
  t.equal(readlinkSync(join(reports, 'latest')), join('runs', 'r2'));
  t.end();
});
