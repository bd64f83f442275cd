// Writes a scenario run's report folder. In: a ScenarioRun and the folder. Out: the folder's
// path once the report pipeline (reports/src) has written report.json (with the `scenario`
// section and the scenario's one FAULT case), junit.xml, summary.md and index.html (the timeline
// chart and the verdicts), each whole or not at all, and beside them timeline.txt (the timeline
// as printed live) and scenario.json (the run record as the runner made it: its timeline
// unthinned). reports/latest is never moved: it is for conformance runs. IO edge.
import { join } from 'node:path';
import {
  buildScenarioReport,
  collectEnvironment,
  writeFileAtomic,
  writeReport,
  type ScenarioInput,
  type ScenarioInputEntry,
  type ScenarioMark,
} from '../../../reports/src';
import type { ScenarioRun } from './run';
import { formatEntry, type TimelineEntry } from './timeline';

/**
 * What an entry is on the chart, from the runner's own words (suites/fault/lib/run.ts): an
 * action (a fault injected, a restart), a delivery that completed or was answered, a reconnect
 * (the relay lost its Service Bus transport or a Hybrid Connection control channel: the same
 * events as the reconnects tally), or a failure (a failed request, action, delivery or check).
 */
export function markOf(e: TimelineEntry): ScenarioMark | undefined {
  switch (e.lane) {
    case 'action':
      return e.what.includes(' FAILED: ') ? 'failure' : 'action';
    case 'delivery':
      if (/^(completed|answered) /.test(e.what)) return 'delivery';
      if (/^(dead-lettered|abandoned|failed|lock-lost|lock-expired) /.test(e.what)) {
        return 'failure';
      }
      return undefined;
    case 'connection':
      return /^relay transport-lost\b/.test(e.what) || /^hc \S+ closed\b/.test(e.what)
        ? 'reconnect'
        : undefined;
    case 'workload':
      return /^request \S+ failed\b/.test(e.what) ? 'failure' : undefined;
    case 'check':
      return e.what.startsWith('FAIL ') || e.what.startsWith('did not settle')
        ? 'failure'
        : undefined;
    case 'world':
      return undefined;
  }
}

/** The run as the report pipeline takes it: each entry marked, its extra data left out. */
export function scenarioInputOf(run: ScenarioRun): ScenarioInput {
  return {
    scenario: { ...run.scenario },
    variant: run.variant,
    speed: run.speed,
    factor: run.factor,
    seed: run.seed,
    defect: run.defect,
    sequence: { ...run.sequence },
    timeline: run.timeline.map((e): ScenarioInputEntry => ({
      t: e.t,
      lane: e.lane,
      what: e.what,
      source: e.source,
      notable: e.notable,
      mark: markOf(e),
    })),
    timelineDropped: run.timelineDropped,
    verdicts: run.verdicts.map((v) => ({ ...v })),
    outcome: run.outcome,
    settled: run.settled,
    startedAt: run.startedAt,
    wallMs: run.wallMs,
    scenarioMs: run.scenarioMs,
    tallies: { ...run.tallies },
  };
}

/** The run's id: `<scenario>-<start, compact UTC>`. */
export function scenarioRunId(run: ScenarioRun): string {
  const stamp = run.startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${run.scenario.name}-${stamp}`;
}

export async function writeScenarioReport(run: ScenarioRun, out: string): Promise<string> {
  const report = buildScenarioReport(scenarioInputOf(run), {
    id: scenarioRunId(run),
    environment: collectEnvironment(),
  });
  writeReport(out, report);
  writeFileAtomic(join(out, 'timeline.txt'), run.timeline.map(formatEntry).join('\n') + '\n');
  writeFileAtomic(join(out, 'scenario.json'), JSON.stringify(run, null, 2) + '\n');
  return Promise.resolve(out);
}
