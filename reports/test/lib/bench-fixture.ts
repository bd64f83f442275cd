// A benchmark run for the bench report tests, with no IO. In: nothing. Out: a bench section of
// `relaycheck bench relay --profile min-spec` in the shape the benchmark writes (three
// workloads: XML posts through Service Bus that saturate early, retrievals with both
// baselines, PDF bills whose zero-loss check was not made; targets per workload and for the
// whole run), its report meta, and a JSON copy helper.
import type { BenchReportMeta, BenchSection, BenchStep } from '../../src';
import { ENVIRONMENT } from './fixture';

export const BENCH_RUN_ID = '20261123T090000Z-b3c4d5';

export const BENCH_META: BenchReportMeta = { id: BENCH_RUN_ID, environment: ENVIRONMENT };

/** A step: `achieved` of `offered`, latencies from a base that grows as the step fills. */
export function step(offered: number, achieved: number, baseMs: number | null): BenchStep {
  const load = achieved / offered;
  const saturated = load < 0.9;
  const at = (m: number): number | null =>
    baseMs === null ? null : Math.round(baseMs * m * (saturated ? 40 : 1 + load) * 10) / 10;
  return {
    offeredPerSecond: offered,
    achievedPerSecond: achieved,
    mbPerSecond: Math.round(achieved * 0.01 * 100) / 100,
    p50Ms: at(1),
    p95Ms: at(2.5),
    p99Ms: at(4),
    errors: saturated ? 3 : 0,
    shed: saturated ? 12 : 0,
    saturated,
  };
}

/** The limits text min-spec gets on a 2-core 2.7 GHz machine with cgroup v2. */
export const LIMITS_TEXT = 'core 1, 37% of a 2.70 GHz core (models 1 GHz), 512 MiB of memory';

/** A whole bench section (a fresh copy each call). */
export function benchSection(): BenchSection {
  return {
    kind: 'relay-load',
    command: 'relaycheck bench relay --profile min-spec --repeats 3',
    startedAt: '2026-11-23T09:00:00.000Z',
    finishedAt: '2026-11-23T09:07:30.250Z',
    repeats: 3,
    profile: {
      name: 'min-spec',
      description: "The guide's minimum server: one 1 GHz processor and 512 MB of RAM.",
      cpus: 1,
      cpuGHz: 1,
      memoryMiB: 512,
    },
    machine: { cpus: 2, ghz: 2.7 },
    limits: {
      text: LIMITS_TEXT,
      cpuList: '1',
      periodUs: 100_000,
      quotaUs: 37_000,
      cpuShare: 0.37,
      memoryBytes: 536_870_912,
      backend: 'cgroup-v2',
      approximate: false,
    },
    compiled: true,
    notes: [
      'the simulator, back office and load generator ran on core 0',
      'pdf-bills: the zero-loss check needs the documents journal, which this run did not keep',
    ],
    ceilings: [
      { name: 'Service Bus Standard namespace', value: 1000, unit: 'messages/s' },
      { name: 'Service Bus Premium, per messaging unit', value: 4, unit: 'MB/s' },
    ],
    relay: {
      memoryPeakBytes: 114_819_072,
      vmHwmMiB: 98.4,
      cpuSeconds: 161.2,
      throttledPeriods: 2710,
      oomKills: 0,
      killed: false,
    },
    workloads: [
      {
        name: 'xml-posts',
        description: '10 KB XML posts through Service Bus to the licensing intake',
        unitBytes: 10_240,
        steps: [step(25, 25, 30), step(50, 50, 32), step(100, 99, 41), step(200, 101, 60)],
        sustainedPerSecond: 99,
        sustainedMBPerSecond: 0.99,
        baselines: [
          {
            name: 'direct',
            description: 'straight to the back-office service, no relay',
            steps: [step(25, 25, 2), step(50, 50, 2), step(100, 100, 2), step(200, 200, 3)],
            sustainedPerSecond: 2000,
            ratio: 0.0495,
          },
        ],
        zeroLoss: { answered: 9_412, missing: 0, duplicated: 0, deadLettered: 0 },
        rssGrowthMiB: 6.5,
        relayCpuMsPerRequest: 2.4,
        targets: [
          {
            what: 'XML posts sustained',
            target: '>= 1,000 msg/s',
            measured: '99 msg/s',
            met: false,
          },
          { what: 'zero loss', target: '0 missing, 0 duplicated', measured: '0, 0', met: true },
        ],
        errorSamples: ['step 200/s: 3 sends timed out after 30 s'],
      },
      {
        name: 'retrievals',
        description: 'council tax account retrievals through the Hybrid Connection',
        unitBytes: 1_800,
        steps: [step(50, 50, 12), step(100, 100, 13), step(200, 198, 19), step(400, 230, 25)],
        sustainedPerSecond: 198,
        sustainedMBPerSecond: 0.36,
        baselines: [
          {
            name: 'direct',
            description: 'straight to the back-office service, no relay',
            steps: [step(50, 50, 1), step(100, 100, 1), step(200, 200, 1), step(400, 400, 2)],
            sustainedPerSecond: 2200,
            ratio: 0.09,
          },
          {
            name: 'hyco-https',
            description: "Microsoft's hyco-https listener in the relay's place",
            steps: [step(50, 50, 8), step(100, 100, 9), step(200, 200, 10), step(400, 380, 14)],
            sustainedPerSecond: 400,
            ratio: 0.495,
          },
        ],
        zeroLoss: { answered: 21_003, missing: 0, duplicated: 0, deadLettered: 0 },
        rssGrowthMiB: 2.1,
        targets: [
          { what: 'retrievals p95', target: '< 500 ms', measured: '48 ms', met: true },
          { what: 'retrievals sustained', target: '>= 200/s', measured: '198/s', met: false },
        ],
        errorSamples: [],
      },
      {
        name: 'pdf-bills',
        description: '200 KB PDF bills through the documents Hybrid Connection',
        unitBytes: 204_800,
        steps: [step(5, 5, 80), step(10, 10, 95), step(20, 0, null)],
        sustainedPerSecond: 10,
        sustainedMBPerSecond: 2.05,
        baselines: [],
        zeroLoss: null,
        rssGrowthMiB: null,
        targets: [{ what: 'PDF bills sustained', target: '>= 20/s', measured: '—', met: null }],
        errorSamples: [],
      },
    ],
    targets: [
      { what: 'relay peak memory', target: '<= 512 MiB', measured: '109.5 MiB', met: true },
      { what: 'relay never killed', target: 'no OOM kill', measured: '0 OOM kills', met: true },
    ],
  };
}

/** A JSON copy of `value` (a report, a section) to change and feed back. */
export function jsonCopy(value: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}
