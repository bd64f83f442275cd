// `relaycheck run`'s runner end to end, on a fixture suite: a real tap child process, the
// report it writes (report.json, junit.xml, summary.md), what the command prints, and the
// exit code when a must-level case fails.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import type { RunProgress } from '../../suites/runner/progress';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { readReport } from '../../reports/src';
import { findCase, type Case } from '../../suites/catalogue';
import { runCases } from '../../suites/runner/run';
import { renderRun } from '../src/commands/run';

function catalogued(id: string): Case {
  const c = findCase(id);
  if (c === undefined) throw new Error(`${id} is not catalogued`);
  return c;
}

const cases = ['HS-001', 'HS-002', 'HS-003', 'HS-004'].map(catalogued);
const suitesDir = join(__dirname, 'fixtures', 'run-suite');

void t.test(
  'a run reports pass, fail, skip and missing cases and fails on a must case',
  async (t) => {
    const outDir = mkdtempSync(join(tmpdir(), 'relaycheck-run-'));
    t.teardown(() => {
      rmSync(outDir, { recursive: true, force: true });
    });
    const progress: RunProgress[] = [];
    const summary = await runCases({
      cases,
      outDir,
      suitesDir,
      seed: 7,
      profile: 'min-spec',
      selection: { include: ['HS-00*'] },
      command: 'relaycheck run --case HS-00* --seed 7',
      onProgress: (p) => {
        progress.push(p);
      },
    });
    // Every finished case reached the progress display, with the final counts last.
    t.same(progress.at(-1)?.counts, { pass: 1, 'non-strict': 0, fail: 1, skip: 1 });
    t.equal(progress.at(-1)?.done, 3, 'the three cases a file declares were seen finishing');
    t.match(
      readFileSync(join(outDir, 'results.jsonl'), 'utf8'),
      /\{"id":"HS-001","event":"start"\}/,
      'each case writes a start line for the live display',
    );
    const byId = Object.fromEntries(summary.outcomes.map((o) => [o.case.id, o]));
    t.equal(byId['HS-001']?.outcome, 'pass');
    t.equal(byId['HS-002']?.outcome, 'fail');
    t.match(byId['HS-002']?.reason, /fails on purpose/);
    t.equal(byId['HS-003']?.outcome, 'skip');
    t.equal(byId['HS-003']?.reason, 'skipped on purpose');
    t.equal(byId['HS-004']?.outcome, 'fail', 'a case no file declares cannot pass');
    t.same(summary.counts, { pass: 1, 'non-strict': 0, fail: 2, skip: 1 });
    t.equal(summary.exitCode, 1);
    const written = readReport(join(outDir, 'report.json'));
    t.same(written, summary.report, 'report.json holds the report the run returned');
    t.equal(written.run.seed, 7);
    t.equal(written.run.profile, 'min-spec');
    t.same(written.run.selection, { include: ['HS-00*'] });
    t.equal(written.verdict.headline, 'Not ready: 2 must cases failed: HS-002, HS-004');
    t.same(written.verdict.skipped, ['HS-003']);
    t.same(
      written.cases.find((c) => c.id === 'HS-002')?.evidence.failures,
      ['fails on purpose'],
      'the failed assertion is kept as evidence, without the case prefix',
    );
    t.same(
      readdirSync(outDir).sort(),
      ['index.html', 'junit.xml', 'report.json', 'results.jsonl', 'summary.md', 'tap.log'],
      'the report files beside the raw results and tap log',
    );
    t.match(
      readFileSync(join(outDir, 'junit.xml'), 'utf8'),
      /<failure message="[^"]*fails on purpose/,
    );
    t.match(readFileSync(join(outDir, 'summary.md'), 'utf8'), /^# Not ready: 2 must cases failed/);
    const printed = renderRun(summary);
    t.match(printed, /\nverdict: Not ready: 2 must cases failed: HS-002, HS-004\n/);
    t.match(
      printed,
      `report: ${join(outDir, 'report.json')}, ${join(outDir, 'summary.md')}, ${join(outDir, 'junit.xml')}\n`,
    );
    t.match(printed, `\nopen in a browser: ${join(outDir, 'index.html')}\n`);
    t.same(
      written.cases.map((c) => [c.id, c.outcome]),
      [
        ['HS-001', 'pass'],
        ['HS-002', 'fail'],
        ['HS-003', 'skip'],
        ['HS-004', 'fail'],
      ],
    );
    t.ok(
      written.cases.every((c) => c.requirement !== ''),
      'each case carries its requirement',
    );
    t.match(readFileSync(join(outDir, 'tap.log'), 'utf8'), /fails on purpose/);
  },
);

void t.test('a run of passing cases only exits 0', async (t) => {
  const outDir = mkdtempSync(join(tmpdir(), 'relaycheck-run-'));
  t.teardown(() => {
    rmSync(outDir, { recursive: true, force: true });
  });
  const summary = await runCases({ cases: cases.slice(0, 1), outDir, suitesDir });
  t.same(summary.counts, { pass: 1, 'non-strict': 0, fail: 0, skip: 0 });
  t.equal(summary.exitCode, 0);
  t.equal(summary.report.verdict.headline, 'Ready for go-live: the one must case passes');
});
