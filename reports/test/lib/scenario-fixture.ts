// A hand-made scenario run for the scenario report tests, with no IO and no world: the shape
// suites/fault/lib/run.ts records (a ScenarioRun), in the runner's own words. In: the outcome
// wanted and overrides. Out: a run of FAULT-001 (the TCP ports closed mid-day) with the relay
// starting, a firewall change, Hybrid Connections closing (reconnects), the fall-back, a
// request that failed, a lock that expired, deliveries throughout, the ports reopened and the
// checks; passing, or failing one expectation.
import type { ScenarioRun } from '../../../suites/fault/lib/run';
import type { TimelineEntry } from '../../../suites/fault/lib/timeline';
import { ENVIRONMENT } from './fixture';

export const SCENARIO_META = {
  id: 'tcp-ports-closed-midday-20261123T052715Z',
  environment: ENVIRONMENT,
};

/** The sequence digest of the fixture's plan (what a rerun with seed 11 must show again). */
export const DIGEST = '2d54087cfb2261bcea0581110de62131d829a980865fea3601d39e2a4332579f';

function entry(
  t: number,
  lane: TimelineEntry['lane'],
  what: string,
  source = 'relay #1',
  notable = true,
): TimelineEntry {
  return { t, lane, what, source, notable };
}

/** The fixture's timeline: 3 actions, 4 reconnects, 2 failures, deliveries every 2 s. */
export function fixtureTimeline(failing: boolean): TimelineEntry[] {
  const out: TimelineEntry[] = [
    entry(0, 'connection', 'mode unknown → tcp: tcp path works'),
    entry(0, 'world', 'azure relay: listener council-tax connected', 'sim:hc:listener-connected'),
    entry(0, 'connection', 'session live'),
    {
      ...entry(1, 'action', 'relay #1 started (pid 20896); live', 'runner'),
      data: { digest: DIGEST },
    },
  ];
  for (let t = 500; t < 96_000; t += 2000) {
    out.push(entry(t, 'workload', `send lookups-s11-0-${t}`, 'runner', false));
    out.push(entry(t + 300, 'delivery', `completed lookups-s11-0-${t}`, 'relay #1', false));
  }
  out.push(
    {
      ...entry(20_098, 'action', 'firewall: refuse 9350-9354 (open connections cut)', 'runner'),
      data: { step: 0, repeat: 0, planned: 20_000 },
    },
    entry(
      20_326,
      'world',
      'azure relay: listener documents closed (1006)',
      'sim:hc:listener-closed',
    ),
    entry(20_339, 'connection', 'hc council-tax closed (1006)'),
    entry(20_340, 'connection', 'hc documents closed (1006)'),
    entry(21_227, 'connection', 'hc council-tax refused (RELAY_E_HC_HANDSHAKE)'),
    entry(21_358, 'connection', 'mode tcp → https: https path works; tcp path: hc:9352 refused'),
    entry(21_500, 'workload', 'request posts-s11-1-2 failed: 503 service unavailable', 'runner'),
    entry(22_487, 'delivery', 'answered hc-lookups-s11-2-2'),
    {
      ...entry(60_075, 'action', 'firewall: the starting rules again', 'runner'),
      data: { step: 1, repeat: 0, planned: 60_000 },
    },
    entry(81_538, 'delivery', 'lock-expired posts-s11-1-2', 'sim:sb:lock-expired'),
    entry(82_351, 'connection', 'mode https → tcp: tcp path works'),
    entry(83_087, 'connection', 'hc council-tax closed (1000)'),
    entry(83_088, 'connection', 'relay transport-lost'),
    entry(
      96_043,
      'check',
      'workload sent and timeline done; waiting for the run to settle',
      'runner',
    ),
    entry(96_334, 'check', 'settled', 'runner'),
    entry(96_809, 'check', 'PASS the relay went tcp → https → tcp: tcp → https → tcp', 'runner'),
    entry(
      96_809,
      'check',
      failing
        ? 'FAIL every post took effect exactly once: lost posts-s11-1-2'
        : 'PASS every post took effect exactly once: lost none',
      'runner',
    ),
  );
  return out.sort((a, b) => a.t - b.t);
}

/** A ScenarioRun as the fault runner returns it. */
export function scenarioRun(
  options: { failing?: boolean; defect?: string | null } = {},
  overrides: Partial<ScenarioRun> = {},
): ScenarioRun {
  const failing = options.failing === true;
  return {
    scenario: {
      name: 'tcp-ports-closed-midday',
      case: 'FAULT-001',
      title:
        'falls back to 443 when 9350-9354 are closed mid-day, and returns to TCP when they reopen',
      symptom:
        '"Since the network team\'s firewall change at lunchtime the proxy keeps reconnecting."',
      description:
        'The firewall team drops 9350-9354 at noon and restores them at 14:30; the relay falls back to 443 and returns.',
    },
    variant: 'fast',
    speed: 'max',
    factor: 20,
    seed: 11,
    defect: options.defect ?? null,
    sequence: { digest: DIGEST, sends: 45, actions: 2 },
    timeline: fixtureTimeline(failing),
    timelineDropped: 0,
    verdicts: [
      {
        check: 'sequence',
        what: 'the relay went tcp → https → tcp',
        expected: 'relay:connectivity:mode mode: tcp → https → tcp',
        observed: 'tcp → https → tcp',
        pass: true,
      },
      {
        check: 'effects',
        what: 'every post took effect exactly once',
        expected: '10 effects: none lost, duplicated, altered or stray',
        observed: failing ? 'lost posts-s11-1-2; duplicated none' : 'lost none; duplicated none',
        pass: !failing,
      },
      {
        check: 'answered',
        what: "the tenant's lookups were answered with success",
        expected: 'all 35 answered',
        observed: '35 answered; failed: none',
        pass: true,
      },
    ],
    outcome: failing ? 'fail' : 'pass',
    settled: true,
    startedAt: '2026-11-23T05:27:15.295Z',
    wallMs: 6425,
    scenarioMs: 96_813,
    tallies: {
      sent: 45,
      answered: 44,
      failed: 1,
      deadLettered: 0,
      lost: failing ? 1 : 0,
      duplicated: 0,
      relayStarts: 1,
      reconnects: 4,
    },
    ...overrides,
  };
}
