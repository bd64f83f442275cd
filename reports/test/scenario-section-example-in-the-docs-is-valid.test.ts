// docs/report.md's example scenario section. In: the JSON block after "A scenario section,
// shortened" in docs/report.md. Out: checks the schema accepts it and that a report holding it
// (built from the same run, then given the example as its section) is read back by the reader,
// so the example a reader of report.json copies stays true to the schema.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  buildScenarioReport,
  reportFromJson,
  reportToJson,
  scenarioSectionSchema,
  type ScenarioSection,
} from '../src';
import { REPO_ROOT } from '../../suites/lib/scan';
import { SCENARIO_META } from './lib/scenario-fixture';

void t.test('the example scenario section in docs/report.md makes a valid report', (t) => {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'report.md'), 'utf8');
  const at = doc.indexOf('A scenario section, shortened');
  t.ok(at > 0, 'the example is there');
  const block = /```json\n([\s\S]*?)\n```/.exec(doc.slice(at))?.[1] ?? '';
  const section = JSON.parse(block) as ScenarioSection;
  t.ok(scenarioSectionSchema.safeParse(section).success, 'the schema accepts it');

  const report = buildScenarioReport(
    {
      scenario: section.scenario,
      variant: section.variant,
      speed: section.speed,
      factor: section.factor,
      seed: section.seed,
      defect: section.defect,
      sequence: section.sequence,
      timeline: section.timeline,
      timelineDropped: section.timelineDropped,
      verdicts: section.verdicts,
      outcome: section.outcome,
      settled: section.settled,
      startedAt: section.startedAt,
      wallMs: section.wallMs,
      scenarioMs: section.scenarioMs,
      tallies: section.tallies,
      command: section.command,
    },
    SCENARIO_META,
  );
  t.same(
    { ...report.scenario, deliveries: section.deliveries },
    section,
    'the builder keeps it as written (but the deliveries, counted from the whole timeline)',
  );
  const read = reportFromJson(reportToJson({ ...report, scenario: section }));
  t.same(read.scenario, section, 'and the reader reads it back');
  t.end();
});
