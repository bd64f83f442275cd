// The scenario section's bounds and rules. In: reports built from the hand-made ScenarioRun of
// ./lib/scenario-fixture.ts, some with a timeline far over the bound or texts far over theirs,
// and report.json documents edited to break a rule. Out: checks the builder thins a long
// timeline to the bound keeping every action, check and failure (the rest spread, what was
// left out counted, deliveries still counted from the whole timeline), clips and redacts texts,
// and that the reader refuses, by path, a section over a bound or one that disagrees with the
// report (another case, another outcome, another seed, two cases, a headline that is not a
// scenario's, a timeline out of order).
import { randomBytes } from 'node:crypto';
import t from 'tap';
import {
  REDACTED,
  SCENARIO_LIMITS,
  buildScenarioReport,
  reportFromJson,
  reportToJson,
  thinTimeline,
  type ReportErrorCode,
} from '../src';
import { scenarioInputOf } from '../../suites/fault/lib/report';
import type { TimelineEntry } from '../../suites/fault/lib/timeline';
import { SCENARIO_META, fixtureTimeline, scenarioRun } from './lib/scenario-fixture';

/** A long run: 12,000 sends and deliveries around the fixture's entries. */
function longTimeline(): TimelineEntry[] {
  const out = fixtureTimeline(true);
  for (let i = 0; i < 6000; i++) {
    const t = i * 16;
    out.push({ t, lane: 'workload', what: `send x-${i}`, source: 'runner', notable: false });
    out.push({
      t: t + 5,
      lane: 'delivery',
      what: `completed x-${i}`,
      source: 'relay #1',
      notable: false,
    });
  }
  return out.sort((a, b) => a.t - b.t);
}

void t.test('a long timeline is thinned to the bound, keeping what matters', (t) => {
  const timeline = longTimeline();
  const run = scenarioRun({ failing: true }, { timeline, timelineDropped: 7 });
  const report = buildScenarioReport(scenarioInputOf(run), SCENARIO_META);
  const s = report.scenario;
  if (s === undefined) throw new Error('no scenario section');
  t.equal(s.timeline.length, SCENARIO_LIMITS.entries, 'kept to the bound');
  t.equal(s.timelineDropped, 7 + timeline.length - SCENARIO_LIMITS.entries, 'the rest counted');
  const kept = (f: (e: { lane: string; what: string }) => boolean): number =>
    s.timeline.filter(f).length;
  const all = (f: (e: { lane: string; what: string }) => boolean): number =>
    timeline.filter(f).length;
  for (const lane of ['action', 'check']) {
    t.equal(
      kept((e) => e.lane === lane),
      all((e) => e.lane === lane),
      `every ${lane} entry kept`,
    );
  }
  t.equal(s.timeline.filter((e) => e.mark === 'failure').length, 3, 'every failure kept');
  t.equal(s.timeline.filter((e) => e.mark === 'reconnect').length, 4, 'every reconnect kept');
  t.ok(
    s.timeline.every((e, i) => i === 0 || e.t >= (s.timeline[i - 1]?.t ?? 0)),
    'in time order',
  );
  const sends = s.timeline.filter((e) => e.lane === 'workload' && e.what.startsWith('send x-'));
  t.ok(sends.length > 1000, 'the plain entries are spread over the room left');
  t.ok((sends.at(-1)?.t ?? 0) > 90_000, 'from the start to the end of the run');
  t.equal(
    s.deliveries.completed.reduce((a, b) => a + b, 0),
    6000 + 49,
    'deliveries are counted from the whole timeline, not the thinned one',
  );
  t.same(reportFromJson(reportToJson(report)), report, 'and it reads back');
  t.end();
});

void t.test('thinTimeline keeps the order and tiers when even tier 0 is over the bound', (t) => {
  const many = Array.from({ length: 50 }, (_, i) => ({
    t: i,
    lane: 'action' as const,
    what: `a${i}`,
    source: 'runner',
    notable: true,
  }));
  const thinned = thinTimeline(many, 10);
  t.equal(thinned.length, 10);
  t.equal(thinned[0]?.what, 'a0', 'the first');
  t.equal(thinned.at(-1)?.what, 'a49', 'and the last kept');
  t.same(thinTimeline(many, 100), many, 'under the bound, all');
  t.end();
});

void t.test('texts are clipped to their bounds and redacted', (t) => {
  const key = randomBytes(32).toString('base64');
  const run = scenarioRun(
    {},
    {
      scenario: {
        ...scenarioRun().scenario,
        description: 'd'.repeat(10_000),
        symptom: `the key was ${key}`,
      },
      timeline: [
        { t: 0, lane: 'action', what: 'w'.repeat(2000), source: 's'.repeat(500), notable: true },
        { t: 1, lane: 'world', what: `SharedAccessKey=${key};`, source: 'sim', notable: true },
      ],
    },
  );
  const s = buildScenarioReport(scenarioInputOf(run), SCENARIO_META).scenario;
  t.equal(s?.scenario.description.length, SCENARIO_LIMITS.text);
  t.ok(s?.scenario.description.endsWith('…'), 'a clipped text ends with …');
  t.equal(s?.timeline[0]?.what.length, SCENARIO_LIMITS.what);
  t.equal(s?.timeline[0]?.source.length, SCENARIO_LIMITS.source);
  t.equal(s?.scenario.symptom, `the key was ${REDACTED}`);
  t.equal(s?.timeline[1]?.what, `SharedAccessKey=${REDACTED};`);
  t.notMatch(JSON.stringify(s), key, 'the key is nowhere');
  t.end();
});

/** The report.json document of the fixture's failing run, to edit. */
function document(): Record<string, unknown> & {
  scenario: Record<string, unknown> & { timeline: Record<string, unknown>[] };
  cases: Record<string, unknown>[];
  run: Record<string, unknown>;
  verdict: Record<string, unknown>;
} {
  const report = buildScenarioReport(
    scenarioInputOf(scenarioRun({ failing: true })),
    SCENARIO_META,
  );
  return JSON.parse(reportToJson(report)) as ReturnType<typeof document>;
}

function refused(t: tap.Test, doc: unknown, path: string, what: string): void {
  try {
    reportFromJson(JSON.stringify(doc));
    t.fail(`${what}: read`);
  } catch (e) {
    const err = e as { code?: ReportErrorCode; details?: { path?: string } };
    t.equal(err.code, 'REPORT_E_SCHEMA', what);
    t.equal(err.details?.path, path, `${what}: at ${path}`);
  }
}

void t.test('the reader refuses a section over a bound, by path', (t) => {
  t.doesNotThrow(() => reportFromJson(JSON.stringify(document())), 'the fixture reads');
  const over = document();
  const first = over.scenario.timeline[0] ?? {};
  over.scenario.timeline = Array.from({ length: SCENARIO_LIMITS.entries + 1 }, () => first);
  refused(t, over, 'scenario.timeline', 'too many entries');

  const long = document();
  long.scenario.timeline[2] = {
    ...long.scenario.timeline[2],
    what: 'x'.repeat(SCENARIO_LIMITS.what + 1),
  };
  refused(t, long, 'scenario.timeline[2].what', 'an entry text over its bound');

  const lane = document();
  lane.scenario.timeline[0] = { ...lane.scenario.timeline[0], lane: 'elsewhere' };
  refused(t, lane, 'scenario.timeline[0].lane', 'an unknown lane');

  const extra = document();
  extra.scenario.timeline[0] = { ...extra.scenario.timeline[0], data: { x: 1 } };
  refused(t, extra, 'scenario.timeline[0]', 'a field the schema does not know');

  const verdicts = document();
  const v = (verdicts.scenario.verdicts as unknown[])[0];
  verdicts.scenario.verdicts = Array.from({ length: SCENARIO_LIMITS.verdicts + 1 }, () => v);
  refused(t, verdicts, 'scenario.verdicts', 'too many verdicts');

  const digest = document();
  digest.scenario.sequence = { digest: 'not hex', sends: 1, actions: 1 };
  refused(t, digest, 'scenario.sequence.digest', 'a digest that is not hex');

  const order = document();
  const [a, b] = order.scenario.timeline;
  order.scenario.timeline = [{ ...b }, { ...a }, ...order.scenario.timeline.slice(2)].map((e, i) =>
    i === 0 ? { ...e, t: 50 } : e,
  );
  refused(t, order, 'scenario.timeline[1].t', 'a timeline out of order');

  const buckets = document();
  buckets.scenario.deliveries = { bucketMs: 1000, completed: [1, 2], failed: [0] };
  refused(t, buckets, 'scenario.deliveries.failed', 'deliveries of two lengths');
  t.end();
});

void t.test('the reader refuses a section that disagrees with the report', (t) => {
  const outcome = document();
  outcome.scenario.outcome = 'pass';
  refused(t, outcome, 'scenario.outcome', 'a pass with a failed verdict');

  const caseId = document();
  caseId.cases[0] = { ...caseId.cases[0], id: 'FAULT-002' };
  (caseId.verdict as { failedMust: string[] }).failedMust = ['FAULT-002'];
  refused(t, caseId, 'cases[0].id', 'another case');

  const seed = document();
  seed.run.seed = 12;
  refused(t, seed, 'run.seed', 'another seed');

  const headline = document();
  headline.verdict.headline = 'Not ready: 1 must case failed: FAULT-001';
  refused(t, headline, 'verdict.headline', 'a conformance headline');

  const two = document();
  const c = two.cases[0] ?? {};
  two.cases = [c, { ...c, id: 'FAULT-002' }];
  (two.verdict as { failedMust: string[] }).failedMust = ['FAULT-001', 'FAULT-002'];
  (two.counts as { fail: number; total: number }).fail = 2;
  (two.counts as { fail: number; total: number }).total = 2;
  const area = (two.areas as { counts: { fail: number; total: number } }[])[0];
  if (area !== undefined) area.counts = { ...area.counts, fail: 2, total: 2 };
  refused(t, two, 'cases', 'two cases');
  t.end();
});
