// A fault reproduction's report on disk. In: the hand-made ScenarioRun of
// ./lib/scenario-fixture.ts written by writeScenarioReport (suites/fault/lib/report.ts) into a
// temporary reports/scenarios/<name> folder beside a reports/latest link. Out: checks the
// folder holds the pipeline's four files plus timeline.txt and scenario.json, report.json reads
// back equal and schema-valid with one FAULT case (the verdicts as its assertions) and the
// scenario section (seed, sequence digest and counts, marks, tallies), junit.xml is well-formed
// with that one case (a failure for a failed scenario), reports/latest is left alone, and the
// entries are marked from the runner's words.
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SaxesParser } from 'saxes';
import t from 'tap';
import { buildScenarioReport, readReport, renderJunit, reportFromJson, reportToJson } from '../src';
import {
  markOf,
  scenarioInputOf,
  scenarioRunId,
  writeScenarioReport,
} from '../../suites/fault/lib/report';
import { formatEntry } from '../../suites/fault/lib/timeline';
import { DIGEST, SCENARIO_META, scenarioRun } from './lib/scenario-fixture';

function tempDir(t: tap.Test): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'relaycheck-scenario-report-')));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** The elements of an XML text, by name (throws when it is not well-formed). */
function elements(xml: string): { name: string; attributes: Record<string, string> }[] {
  const out: { name: string; attributes: Record<string, string> }[] = [];
  const parser = new SaxesParser();
  parser.on('opentag', (tag) => {
    const attributes: Record<string, string> = {};
    for (const [k, v] of Object.entries(tag.attributes)) attributes[k] = v;
    out.push({ name: tag.name, attributes });
  });
  parser.on('error', (e) => {
    throw e;
  });
  parser.write(xml).close();
  return out;
}

void t.test('writeScenarioReport writes the report folder and leaves reports/latest', async (t) => {
  const root = tempDir(t);
  const reports = join(root, 'reports');
  mkdirSync(join(reports, 'runs', 'earlier'), { recursive: true });
  symlinkSync(join('runs', 'earlier'), join(reports, 'latest'), 'dir');
  const out = join(reports, 'scenarios', 'tcp-ports-closed-midday-20261123T052715Z');
  const run = scenarioRun({ failing: true });

  const written = await writeScenarioReport(run, out);
  t.equal(written, out, 'it answers the folder');
  t.same(readdirSync(out).sort(), [
    'index.html',
    'junit.xml',
    'report.json',
    'scenario.json',
    'summary.md',
    'timeline.txt',
  ]);
  t.equal(readlinkSync(join(reports, 'latest')), join('runs', 'earlier'), 'latest not moved');
  t.same(JSON.parse(readFileSync(join(out, 'scenario.json'), 'utf8')), run, 'the run record');
  t.equal(
    readFileSync(join(out, 'timeline.txt'), 'utf8'),
    run.timeline.map(formatEntry).join('\n') + '\n',
    'the timeline as printed live',
  );

  const report = readReport(join(out, 'report.json'));
  t.equal(reportToJson(report), readFileSync(join(out, 'report.json'), 'utf8'));
  t.same(reportFromJson(reportToJson(report)), report, 'reads back equal');
  t.equal(report.run.id, scenarioRunId(run));
  t.equal(report.run.seed, 11);
  t.same(report.run.selection, { include: ['FAULT-001'] });
  t.equal(
    report.run.command,
    'relaycheck reproduce tcp-ports-closed-midday --seed 11 --speed max --fast',
  );
  t.equal(report.run.durationMs, 6425);
  t.equal(report.verdict.ready, false);
  t.equal(
    report.verdict.headline,
    'Scenario FAULT-001 tcp-ports-closed-midday: NOT handled, 1 of 3 expectations failed',
  );
  t.same(report.verdict.failedMust, ['FAULT-001']);
  t.same(
    report.areas.map((a) => a.area),
    ['fault'],
  );

  t.equal(report.cases.length, 1, 'one case');
  const c = report.cases[0];
  t.match(c, { id: 'FAULT-001', area: 'fault', level: 'must', outcome: 'fail' });
  t.equal(c?.reason, '1 of 3 expectations failed: every post took effect exactly once');
  t.same(c?.evidence.failures, ['every post took effect exactly once']);
  t.same(
    c?.evidence.assertions?.map((a) => [a.name, a.ok, a.expected, a.observed]),
    [
      [
        'the relay went tcp → https → tcp',
        true,
        'relay:connectivity:mode mode: tcp → https → tcp',
        'tcp → https → tcp',
      ],
      [
        'every post took effect exactly once',
        false,
        '10 effects: none lost, duplicated, altered or stray',
        'lost posts-s11-1-2; duplicated none',
      ],
      [
        "the tenant's lookups were answered with success",
        true,
        'all 35 answered',
        '35 answered; failed: none',
      ],
    ],
    'the verdicts are its assertions, in order, with expected and observed',
  );

  const s = report.scenario;
  t.ok(s !== undefined, 'the scenario section is there');
  if (s === undefined) return;
  t.same(s.scenario, run.scenario);
  t.same(s.sequence, { digest: DIGEST, sends: 45, actions: 2 }, 'the same seed, the same sequence');
  t.match(s, {
    seed: 11,
    speed: 'max',
    factor: 20,
    variant: 'fast',
    defect: null,
    outcome: 'fail',
  });
  t.same(s.tallies, run.tallies);
  t.same(s.verdicts, run.verdicts);
  t.equal(s.timeline.length, run.timeline.length, 'every entry kept (under the bound)');
  t.equal(s.timelineDropped, 0);
  const marked = (m: string): number => s.timeline.filter((e) => e.mark === m).length;
  t.equal(marked('action'), 3, 'the three actions');
  t.equal(marked('reconnect'), run.tallies.reconnects, 'reconnects as the tally counts them');
  t.equal(marked('failure'), 3, 'the failed request, the expired lock, the failed check');
  t.equal(marked('delivery'), 49, 'the deliveries that completed or were answered');
  t.equal(
    s.deliveries.completed.reduce((a, b) => a + b, 0),
    49,
    'deliveries per bucket count them all',
  );
  t.equal(
    s.deliveries.failed.reduce((a, b) => a + b, 0),
    2,
    'the failed request and lock',
  );
  t.equal(s.deliveries.bucketMs, 1000, '1 s buckets for a 97 s run');

  const xml = readFileSync(join(out, 'junit.xml'), 'utf8');
  const tags = elements(xml);
  const cases = tags.filter((e) => e.name === 'testcase');
  t.equal(cases.length, 1, 'junit.xml has the one case');
  t.match(cases[0]?.attributes, { classname: 'relaycheck.fault', name: /^FAULT-001 / });
  t.equal(tags.filter((e) => e.name === 'failure').length, 1, 'with its failure');
  t.match(xml, /expected: 10 effects: none lost, duplicated, altered or stray/);
  t.match(xml, /observed: lost posts-s11-1-2; duplicated none/);
});

void t.test('a passing run is one passing case; a defect caught is said so', (t) => {
  const pass = buildScenarioReport(scenarioInputOf(scenarioRun()), SCENARIO_META);
  t.equal(pass.verdict.ready, true);
  t.equal(
    pass.verdict.headline,
    'Scenario FAULT-001 tcp-ports-closed-midday: reproduced and handled, all 3 expectations held',
  );
  t.match(pass.cases[0], { outcome: 'pass', reason: null });
  t.same(pass.cases[0]?.evidence.failures, []);
  const tags = elements(renderJunit(pass));
  t.equal(tags.filter((e) => e.name === 'testcase').length, 1, 'one case in junit.xml');
  t.equal(tags.filter((e) => e.name === 'failure').length, 0, 'and no failure');

  const caught = buildScenarioReport(
    scenarioInputOf(scenarioRun({ failing: true, defect: 'sticky-https' })),
    SCENARIO_META,
  );
  t.equal(
    caught.verdict.headline,
    'Scenario FAULT-001 tcp-ports-closed-midday with defect sticky-https: defect caught, 1 of 3 expectations failed',
  );
  t.match(caught.run.command, / --defect sticky-https$/);
  const missed = buildScenarioReport(
    scenarioInputOf(scenarioRun({ defect: 'sticky-https' })),
    SCENARIO_META,
  );
  t.match(missed.verdict.headline, /the defect was NOT caught, all 3 expectations held$/);
  t.end();
});

void t.test("entries are marked from the runner's words", (t) => {
  const e = (lane: Parameters<typeof markOf>[0]['lane'], what: string) =>
    markOf({ t: 0, lane, what, source: 'x', notable: true });
  t.equal(e('action', 'firewall: refuse 9350-9354'), 'action');
  t.equal(e('action', 'firewall FAILED: no such rule'), 'failure');
  t.equal(e('delivery', 'completed m-1'), 'delivery');
  t.equal(e('delivery', 'answered hc-1'), 'delivery');
  t.equal(e('delivery', 'dead-lettered m-2 (MaxDeliveryCountExceeded)'), 'failure');
  t.equal(e('delivery', 'abandoned m-3 (RELAY_E_BO_5XX)'), 'failure');
  t.equal(e('delivery', 'lock-lost m-4'), 'failure');
  t.equal(e('delivery', 'breaker council-tax open'), undefined);
  t.equal(e('connection', 'relay transport-lost'), 'reconnect');
  t.equal(e('connection', 'hc documents closed (1006)'), 'reconnect');
  t.equal(e('connection', 'hc documents connected'), undefined);
  t.equal(e('connection', 'session live'), undefined);
  t.equal(e('workload', 'request posts-1 failed: 503 '), 'failure');
  t.equal(e('workload', 'send posts-1'), undefined);
  t.equal(e('check', 'FAIL every post: lost p-1'), 'failure');
  t.equal(e('check', 'did not settle within 60s (scenario time)'), 'failure');
  t.equal(e('check', 'PASS every post: lost none'), undefined);
  t.equal(e('world', 'dns servicebus: a → b'), undefined);
  t.end();
});
