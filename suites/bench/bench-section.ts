// The relay benchmark's result as the report's `bench` section (reports/src/bench.ts, report v1)
// and its report folder. In: a RelayLoadResult and the command line that produced it. Out: the
// section (unknowns as null, never NaN; each workload's runs and range in the notes), and the
// folder written by the report writer: report.json, summary.md, junit.xml and index.html with
// the throughput and latency charts. A bench report goes under reports/bench/, so it never
// moves reports/latest (the conformance run's).
import { join } from 'node:path';
import {
  buildBenchReport,
  collectEnvironment,
  writeReport,
  type BenchSection,
  type BenchStep,
  type BenchTarget,
  type ReportPaths,
} from '../../reports/src';
import { REPO_ROOT } from '../lib/scan';
import { runId } from '../runner/run';
import type { RelayLoadResult, Step, TargetLine } from './workloads';

/** The default report folder of a benchmark run started at `startedAt`. */
export function defaultBenchOut(startedAt: Date): string {
  return join(REPO_ROOT, 'reports', 'bench', runId(startedAt));
}

const num = (v: number | undefined): number | null =>
  v === undefined || !Number.isFinite(v) ? null : v;

function step(s: Step): BenchStep {
  return {
    offeredPerSecond: s.offeredPerSecond,
    achievedPerSecond: s.achievedPerSecond,
    mbPerSecond: s.mbPerSecond,
    p50Ms: num(s.p50Ms),
    p95Ms: num(s.p95Ms),
    p99Ms: num(s.p99Ms),
    errors: s.errors,
    shed: s.shed,
    saturated: s.saturated,
  };
}

const target = (t: TargetLine): BenchTarget => ({
  what: t.what,
  target: t.target,
  measured: t.measured,
  met: t.met ?? null,
});

export function toBenchSection(r: RelayLoadResult, command: string): BenchSection {
  const runNotes = r.workloads
    .filter((w) => w.runs > 1)
    .map(
      (w) =>
        `${w.workload}: ${String(w.runs)} runs through the relay, sustained ${w.sustainedRange[0].toFixed(2)}–${w.sustainedRange[1].toFixed(2)}/s (the median run is shown)`,
    );
  return {
    kind: 'relay-load',
    command,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    repeats: r.repeats,
    profile: r.profile,
    machine: { cpus: r.machine.cpus, ghz: num(r.machine.ghz) },
    limits: {
      text: r.limitsText,
      cpuList: r.limits.cpuList ?? null,
      periodUs: r.limits.periodUs,
      quotaUs: num(r.limits.quotaUs),
      cpuShare: num(r.limits.cpuShare),
      memoryBytes: num(r.limits.memoryBytes),
      backend: r.backend,
      approximate: r.backend === 'approximate',
    },
    compiled: r.compiled,
    notes: [...r.notes, ...runNotes],
    ceilings: r.ceilings.map((c) => ({ ...c })),
    relay: {
      memoryPeakBytes: num(r.relay.memoryPeakBytes),
      vmHwmMiB: num(r.relay.vmHwmMiB),
      cpuSeconds: r.relay.cpuNs === undefined ? null : r.relay.cpuNs / 1e9,
      throttledPeriods: num(r.relay.throttledPeriods),
      oomKills: num(r.relay.oomKills),
      killed: r.relay.killed,
    },
    workloads: r.workloads.map((w) => ({
      name: w.workload,
      description: w.description,
      unitBytes: Math.round(w.unitBytes),
      steps: w.steps.map(step),
      sustainedPerSecond: w.sustainedPerSecond,
      sustainedMBPerSecond: w.sustainedMBPerSecond,
      baselines: w.baselines.map((b) => ({
        name: b.name,
        description: b.description,
        steps: b.steps.map(step),
        sustainedPerSecond: b.sustainedPerSecond,
        ratio: num(b.ratio),
      })),
      zeroLoss: w.zeroLoss === undefined ? null : { ...w.zeroLoss },
      rssGrowthMiB: num(w.rssGrowthMiB),
      relayCpuMsPerRequest: num(w.cpuMsPerRequest),
      targets: w.targets.map(target),
      errorSamples: [...w.errorSamples],
    })),
    targets: r.targets.map(target),
  };
}

/** Writes the benchmark's report folder; returns the paths written. */
export function writeBenchReport(outDir: string, r: RelayLoadResult, command: string): ReportPaths {
  return writeReport(
    outDir,
    buildBenchReport(toBenchSection(r, command), {
      id: runId(new Date(r.startedAt)),
      environment: collectEnvironment(),
    }),
  );
}
