// summary.md of a fault reproduction. In: reports built from the hand-made ScenarioRun of
// ./lib/scenario-fixture.ts (failing, passing, and one whose texts hold pipes and markup). Out:
// checks the summary has the scenario's headline, verdict and symptom, the seed, the sequence
// digest and the rerun command, a verdicts table with expected and observed (a failure in
// bold), the tallies, the notable timeline lines (actions, reconnects, failures; not the plain
// deliveries) and that no text can add a column to a table.
import t from 'tap';
import { buildScenarioReport, renderSummary } from '../src';
import { scenarioInputOf } from '../../suites/fault/lib/report';
import { cells } from './lib/markdown';
import { DIGEST, SCENARIO_META, scenarioRun } from './lib/scenario-fixture';

function summaryOf(run: ReturnType<typeof scenarioRun>): string {
  return renderSummary(buildScenarioReport(scenarioInputOf(run), SCENARIO_META));
}

/** The table rows under a heading, as cells. */
function table(md: string, heading: string): string[][] {
  const at = md.indexOf(`## ${heading}`);
  if (at < 0) return [];
  const rows: string[][] = [];
  for (const line of md.slice(at).split('\n').slice(1)) {
    if (line.startsWith('## ')) break;
    if (line.startsWith('|')) rows.push(cells(line));
  }
  return rows;
}

void t.test('a failed scenario: headline, symptom, seed and digest, verdicts, timeline', (t) => {
  const md = summaryOf(scenarioRun({ failing: true }));
  t.match(
    md,
    /^# Scenario FAULT-001 tcp-ports-closed-midday: NOT handled, 1 of 3 expectations failed\n/,
  );
  t.match(md, /\*\*Not handled\*\*: 2 of 3 expectations held over 96\.8 s of scenario time/);
  t.match(md, 'The run fails (exit code 1).');
  t.match(md, 'Symptom: "Since the network team\'s firewall change at lunchtime');

  const facts = new Map(table(md, 'Same seed, same sequence').map((r) => [r[0], r[1]]));
  t.equal(facts.get('seed'), '11');
  t.equal(facts.get('sequence digest'), DIGEST);
  t.equal(facts.get('planned sequence'), '45 sends, 2 actions');
  t.equal(
    facts.get('rerun'),
    'relaycheck reproduce tcp-ports-closed-midday --seed 11 --speed max --fast',
  );
  t.match(facts.get('speed'), /^max \(×20/);

  const verdicts = table(md, 'Verdicts');
  t.same(verdicts[0], ['result', 'expectation', 'expected', 'observed', 'check']);
  t.equal(verdicts.length, 2 + 3, 'header, rule and a row per verdict');
  t.same(verdicts[3], [
    '**FAIL**',
    'every post took effect exactly once',
    '10 effects: none lost, duplicated, altered or stray',
    'lost posts-s11-1-2; duplicated none',
    'effects',
  ]);
  t.equal(verdicts[2]?.[0], 'pass');

  const tallies = table(md, 'Tallies');
  t.same(tallies[0], [
    'sent',
    'answered',
    'failed',
    'dead-lettered',
    'lost',
    'duplicated',
    'relay starts',
    'reconnects',
  ]);
  t.same(tallies[2], ['45', '44', '1', '0', '1', '0', '1', '4']);

  t.match(md, /\n## Timeline \(21 notable lines\)\n/, 'the notable lines counted');
  const timeline = table(md, 'Timeline');
  t.ok(timeline.length > 2, 'the notable timeline is there');
  const whats = timeline.slice(2).map((r) => r[3]);
  t.ok(whats.includes('firewall: refuse 9350-9354 (open connections cut)'), 'an action');
  t.ok(whats.includes('relay transport-lost'), 'a reconnect, though not printed live');
  t.ok(
    whats.includes('**request posts-s11-1-2 failed: 503 service unavailable**'),
    'a failure, in bold',
  );
  t.notOk(
    whats.some((w) => w?.startsWith('completed ')),
    'deliveries that completed are on the chart, not in the list',
  );
  t.match(timeline[2], ['0.0 s', 'connection', 'relay \\#1', 'mode unknown → tcp: tcp path works']);
  t.match(md, 'timeline.txt beside this file has the timeline as printed live');
  t.end();
});

void t.test('a passing scenario says it was handled; exit code 0', (t) => {
  const md = summaryOf(scenarioRun());
  t.match(md, /^# Scenario FAULT-001 tcp-ports-closed-midday: reproduced and handled/);
  t.match(md, '**Reproduced and handled**: 3 of 3 expectations held');
  t.match(md, 'The run passes (exit code 0).');
  t.end();
});

void t.test('pipes, newlines and markup in texts stay inside their cells', (t) => {
  const hostile = 'a | b\n| c | <script>x</script> `d`';
  const base = scenarioRun({ failing: true });
  const md = summaryOf({
    ...base,
    verdicts: base.verdicts.map((v) => ({
      ...v,
      what: hostile,
      expected: hostile,
      observed: hostile,
    })),
    timeline: base.timeline.map((e) => (e.lane === 'action' ? { ...e, what: hostile } : e)),
  });
  for (const heading of ['Verdicts', 'Timeline']) {
    const rows = table(md, heading);
    const width = rows[0]?.length;
    t.ok(
      rows.every((r) => r.length === width),
      `${heading}: every row has ${String(width)} cells`,
    );
  }
  t.notMatch(md, '<script>', 'no markup');
  t.match(md, 'a \\| b<br>\\| c \\| &lt;script&gt;x&lt;/script&gt; \\`d\\`');
  t.end();
});
