// The `bench` section of a report (docs/report.md, "bench"): the figures of one `relaycheck
// bench relay` run. In: the JSON the benchmark produces. Out: its zod schema (strict, bounded,
// finite numbers only: null for unknown), its TypeScript types, and the words both renderers
// (summary.md, index.html) use for its limits, ratios, zero-loss line and targets. Pure; it
// imports nothing of the report so that schema.ts can import it (the builder is in build.ts).
import { z } from 'zod';

/** The bounds of a bench section; a section read from disk that breaks one is refused. */
export const BENCH_LIMITS = Object.freeze({
  /** Characters of a long text: the command, a description, the limits text, a note. */
  text: 4000,
  /** Characters of a name (profile, workload, Azure ceiling). */
  name: 200,
  /** Characters of a target's what, target and measured texts. */
  target: 200,
  /** Characters of a unit. */
  unit: 32,
  /** Characters of an error sample (the builder clips longer ones). */
  errorText: 1000,
  /** Error samples kept per workload (the builder keeps the first ones). */
  errorSamples: 5,
  notes: 50,
  ceilings: 20,
  workloads: 20,
  /** Offered rates per workload (relay or baseline). */
  steps: 100,
  targets: 20,
});

/** How the profile's limits were applied (suites/bench/confine.ts). */
export const BENCH_BACKENDS = [
  'cgroup-v1',
  'cgroup-v2',
  'approximate',
  'none',
  'container',
] as const;
export type BenchBackend = (typeof BENCH_BACKENDS)[number];

/** What a workload was also run through, for comparison with the relay. */
export const BENCH_BASELINES = ['direct', 'hyco-https'] as const;
export type BenchBaselineName = (typeof BENCH_BASELINES)[number];

/** One offered rate of a workload, the median of its repeats. */
export interface BenchStep {
  readonly offeredPerSecond: number;
  readonly achievedPerSecond: number;
  readonly mbPerSecond: number;
  /** Latency percentiles in ms; null when nothing completed in the step. */
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
  readonly errors: number;
  /** Requests not sent because the in-flight bound was reached. */
  readonly shed: number;
  readonly saturated: boolean;
}

export interface BenchBaseline {
  readonly name: BenchBaselineName;
  readonly description: string;
  readonly steps: readonly BenchStep[];
  readonly sustainedPerSecond: number;
  /** The relay's sustained rate over this baseline's; null when it cannot be said. */
  readonly ratio: number | null;
}

export interface BenchZeroLoss {
  readonly answered: number;
  readonly missing: number;
  readonly duplicated: number;
  readonly deadLettered: number;
}

export interface BenchTarget {
  readonly what: string;
  readonly target: string;
  readonly measured: string;
  /** null: not measured. */
  readonly met: boolean | null;
}

export interface BenchWorkload {
  readonly name: string;
  readonly description: string;
  /** Bytes of one request body (posts) or one answer (retrievals). */
  readonly unitBytes: number;
  /** Through the relay. */
  readonly steps: readonly BenchStep[];
  readonly sustainedPerSecond: number;
  readonly sustainedMBPerSecond: number;
  readonly baselines: readonly BenchBaseline[];
  /** null: not checked (the notes say why). */
  readonly zeroLoss: BenchZeroLoss | null;
  /** The relay's peak RSS growth during this workload, in MiB, when measured. */
  readonly rssGrowthMiB: number | null;
  /** Optional: the relay's CPU time per request in this workload, in ms; null: not measured. */
  readonly relayCpuMsPerRequest?: number | null;
  readonly targets: readonly BenchTarget[];
  readonly errorSamples: readonly string[];
}

export interface BenchProfile {
  readonly name: string;
  readonly description: string;
  readonly cpus: number | null;
  readonly cpuGHz: number | null;
  readonly memoryMiB: number | null;
}

export interface BenchLimits {
  /** The limits in words, as the benchmark printed them. */
  readonly text: string;
  /** The cores the relay was pinned to (taskset -c), e.g. "1"; null: not pinned. */
  readonly cpuList: string | null;
  readonly periodUs: number;
  /** CFS quota per period; null: no quota (whole cores). */
  readonly quotaUs: number | null;
  /** quota / period: cores' worth of CPU time; null: no quota. */
  readonly cpuShare: number | null;
  readonly memoryBytes: number | null;
  readonly backend: BenchBackend;
  readonly approximate: boolean;
}

export interface BenchRelayResources {
  readonly memoryPeakBytes: number | null;
  readonly vmHwmMiB: number | null;
  readonly cpuSeconds: number | null;
  readonly throttledPeriods: number | null;
  readonly oomKills: number | null;
  /** The relay died during the run. */
  readonly killed: boolean;
}

/** An Azure limit to read the figures against, e.g. Standard namespace 1000 messages/s. */
export interface BenchCeiling {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

export interface BenchSection {
  readonly kind: 'relay-load';
  /** The command line that produced it (redacted by the builder). */
  readonly command: string;
  /** ISO 8601, UTC. */
  readonly startedAt: string;
  readonly finishedAt: string;
  /** How many times each workload was run; the figures are medians. */
  readonly repeats: number;
  readonly profile: BenchProfile;
  readonly machine: { readonly cpus: number; readonly ghz: number | null };
  readonly limits: BenchLimits;
  /** The relay ran compiled (dist/), not through ts-node. */
  readonly compiled: boolean;
  readonly notes: readonly string[];
  readonly ceilings: readonly BenchCeiling[];
  readonly relay: BenchRelayResources;
  readonly workloads: readonly BenchWorkload[];
  /** Optional: the whole run's targets (e.g. the relay's peak memory, never killed). */
  readonly targets?: readonly BenchTarget[];
}

const L = BENCH_LIMITS;
const text = (max: number = L.text): z.ZodString => z.string().max(max);
const name = z.string().min(1).max(L.name);
// zod 4 refuses NaN and the infinities in every number
const nonNegative = z.number().nonnegative();
const positive = z.number().positive();
const count = z.number().int().nonnegative();
const timestamp = z.iso.datetime({ offset: false });

const stepSchema = z.strictObject({
  offeredPerSecond: nonNegative,
  achievedPerSecond: nonNegative,
  mbPerSecond: nonNegative,
  p50Ms: nonNegative.nullable(),
  p95Ms: nonNegative.nullable(),
  p99Ms: nonNegative.nullable(),
  errors: count,
  shed: count,
  saturated: z.boolean(),
});
const steps = z.array(stepSchema).min(1).max(L.steps);

const baselineSchema = z.strictObject({
  name: z.enum(BENCH_BASELINES),
  description: text(),
  steps,
  sustainedPerSecond: nonNegative,
  ratio: nonNegative.nullable(),
});

const targetSchema = z.strictObject({
  what: z.string().min(1).max(L.target),
  target: text(L.target),
  measured: text(L.target),
  met: z.boolean().nullable(),
});

const workloadSchema = z.strictObject({
  name,
  description: text(),
  unitBytes: count,
  steps,
  sustainedPerSecond: nonNegative,
  sustainedMBPerSecond: nonNegative,
  baselines: z
    .array(baselineSchema)
    .max(BENCH_BASELINES.length)
    .superRefine((list, ctx) => {
      list.forEach((b, i) => {
        if (list.findIndex((o) => o.name === b.name) !== i) {
          ctx.addIssue({ code: 'custom', message: `baseline ${b.name} twice`, path: [i, 'name'] });
        }
      });
    }),
  zeroLoss: z
    .strictObject({ answered: count, missing: count, duplicated: count, deadLettered: count })
    .nullable(),
  rssGrowthMiB: z.number().nullable(),
  relayCpuMsPerRequest: z.number().min(0).nullable().optional(),
  targets: z.array(targetSchema).max(L.targets),
  errorSamples: z.array(text(L.errorText)).max(L.errorSamples),
});

/** The bench section as report.json holds it. */
export const benchSectionSchema = z
  .strictObject({
    kind: z.literal('relay-load'),
    command: text(),
    startedAt: timestamp,
    finishedAt: timestamp,
    repeats: z.number().int().min(1),
    profile: z.strictObject({
      name,
      description: text(),
      cpus: z.number().int().positive().nullable(),
      cpuGHz: positive.nullable(),
      memoryMiB: positive.nullable(),
    }),
    machine: z.strictObject({ cpus: z.number().int().positive(), ghz: positive.nullable() }),
    limits: z.strictObject({
      text: z.string().min(1).max(L.text),
      cpuList: z.string().min(1).max(L.name).nullable(),
      periodUs: z.number().int().positive(),
      quotaUs: z.number().int().positive().nullable(),
      cpuShare: positive.nullable(),
      memoryBytes: z.number().int().positive().nullable(),
      backend: z.enum(BENCH_BACKENDS),
      approximate: z.boolean(),
    }),
    compiled: z.boolean(),
    notes: z.array(text()).max(L.notes),
    ceilings: z
      .array(z.strictObject({ name, value: nonNegative, unit: text(L.unit) }))
      .max(L.ceilings),
    relay: z.strictObject({
      memoryPeakBytes: count.nullable(),
      vmHwmMiB: nonNegative.nullable(),
      cpuSeconds: nonNegative.nullable(),
      throttledPeriods: count.nullable(),
      oomKills: count.nullable(),
      killed: z.boolean(),
    }),
    workloads: z.array(workloadSchema).max(L.workloads),
    targets: z.array(targetSchema).max(L.targets).optional(),
  })
  .superRefine((b, ctx) => {
    if (Date.parse(b.finishedAt) < Date.parse(b.startedAt)) {
      ctx.addIssue({ code: 'custom', message: 'finishes before it starts', path: ['finishedAt'] });
    }
    b.workloads.forEach((w, i) => {
      if (b.workloads.findIndex((o) => o.name === w.name) !== i) {
        ctx.addIssue({
          code: 'custom',
          message: `workload ${w.name} appears twice`,
          path: ['workloads', i, 'name'],
        });
      }
    });
  });

/** The headline of every benchmark report starts with this word, never "Ready"/"Not ready". */
export const BENCH_HEADLINE_START = 'Benchmark';

/** The verdict headline of a benchmark run: what it is, and that it judges no case. */
export function benchHeadline(bench: BenchSection): string {
  return `${BENCH_HEADLINE_START} (profile ${bench.profile.name}): no conformance cases were run; figures below`;
}

/** A target's state in words: met, missed or not measured. */
export type TargetStatus = 'met' | 'missed' | 'not measured';

export function targetStatus(target: BenchTarget): TargetStatus {
  return target.met === null ? 'not measured' : target.met ? 'met' : 'missed';
}

/** How many of `targets` are met, missed and not measured. */
export function targetTally(targets: readonly BenchTarget[]): Record<TargetStatus, number> {
  const tally: Record<TargetStatus, number> = { met: 0, missed: 0, 'not measured': 0 };
  for (const t of targets) tally[targetStatus(t)] += 1;
  return tally;
}

/** The tally in words, the states with none left out: `1 met, 2 missed`; `none stated`. */
export function tallyText(targets: readonly BenchTarget[]): string {
  const tally = targetTally(targets);
  const parts = (['met', 'missed', 'not measured'] as const)
    .filter((s) => tally[s] > 0)
    .map((s) => `${tally[s]} ${s}`);
  return parts.length === 0 ? 'none stated' : parts.join(', ');
}

/** Every target of the run: each workload's, then the whole run's. */
export function allTargets(bench: BenchSection): BenchTarget[] {
  return [...bench.workloads.flatMap((w) => w.targets), ...(bench.targets ?? [])];
}

/** A rate or size for people: grouped whole numbers from 100 up, 3 significant digits below. */
export function numberText(n: number): string {
  if (!Number.isFinite(n)) return '—';
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-GB');
  return String(Number(n.toPrecision(3)));
}

/** A ratio as a percentage: `12%`, `4.6%`; `unknown` for null. */
export function ratioText(ratio: number | null): string {
  if (ratio === null) return 'unknown';
  const pct = ratio * 100;
  return pct >= 10 ? `${Math.round(pct).toLocaleString('en-GB')}%` : `${pct.toFixed(1)}%`;
}

/** The zero-loss check in one line. */
export function zeroLossText(z: BenchZeroLoss | null): string {
  if (z === null) return 'not checked (the notes say why)';
  const lost = z.missing > 0 || z.duplicated > 0 || z.deadLettered > 0;
  const counts =
    `${numberText(z.answered)} answered, ${numberText(z.missing)} missing at the back office, ` +
    `${numberText(z.duplicated)} duplicated, ${numberText(z.deadLettered)} dead-lettered`;
  return `${lost ? 'LOSS OR DUPLICATION' : 'zero loss'}: ${counts}`;
}

const MiB = 1024 * 1024;

/** Mebibytes to a tenth, e.g. `109.5 MiB`. */
function mib(bytes: number): string {
  return `${(bytes / MiB).toLocaleString('en-GB', { minimumFractionDigits: 1, maximumFractionDigits: 1 })} MiB`;
}

/** What each backend means, for the limits' facts. */
const BACKEND_WORDS: Readonly<Record<BenchBackend, string>> = {
  'cgroup-v1': "the kernel's cgroup v1 controllers (cpu, cpuacct, memory) and taskset",
  'cgroup-v2': "the kernel's cgroup v2 limits (cpu.max, memory.max) and taskset",
  approximate: 'approximately: taskset and a V8 heap limit, without cgroups',
  none: 'not applied: the relay ran unconfined',
  container: "the limits of the relay's container",
};

/** The profile, the machine and the profile's exact limits as [name, value] facts. */
export function limitFacts(bench: BenchSection): [string, string][] {
  const { profile: p, machine: m, limits: l } = bench;
  const hardware = [
    p.cpus === null ? 'any number of cores' : `${p.cpus} ${p.cpus === 1 ? 'core' : 'cores'}`,
    p.cpuGHz === null ? 'any clock' : `${numberText(p.cpuGHz)} GHz`,
    p.memoryMiB === null ? 'any memory' : `${numberText(p.memoryMiB)} MiB`,
  ];
  return [
    ['profile', `${p.name}: ${p.description}`],
    ['profile hardware', hardware.join(', ')],
    [
      'this machine',
      `${m.cpus} ${m.cpus === 1 ? 'core' : 'cores'} at ${m.ghz === null ? 'an unknown clock' : `${m.ghz.toFixed(2)} GHz`}`,
    ],
    ['limits', l.text],
    ['cores', l.cpuList === null ? 'not pinned: every core' : `pinned to ${l.cpuList}`],
    [
      'CPU quota',
      l.quotaUs === null
        ? `none: whole cores (period ${numberText(l.periodUs)} µs)`
        : `${numberText(l.quotaUs)} µs per ${numberText(l.periodUs)} µs period`,
    ],
    [
      'CPU share',
      l.cpuShare === null
        ? 'no quota'
        : `${numberText(l.cpuShare)} of a core's time (${numberText(l.cpuShare * 100)}%)`,
    ],
    [
      'memory limit',
      l.memoryBytes === null
        ? 'none'
        : `${l.memoryBytes.toLocaleString('en-GB')} bytes (${mib(l.memoryBytes)})`,
    ],
    ['applied by', `${l.backend}: ${BACKEND_WORDS[l.backend]}`],
    [
      'approximate',
      l.approximate
        ? 'yes: the limits are approximated, so the figures are indicative'
        : 'no: the limits were enforced as stated',
    ],
    [
      'relay build',
      bench.compiled ? 'compiled (dist/)' : 'ts-node (not compiled: slower start, more memory)',
    ],
    [
      'repeats',
      `each workload ran ${bench.repeats} ${bench.repeats === 1 ? 'time' : 'times'}${bench.repeats > 1 ? '; figures are medians' : ''}`,
    ],
  ];
}

/** What the relay used over the run as [name, value] facts. */
export function resourceFacts(relay: BenchRelayResources): [string, string][] {
  const or = (v: number | null, f: (n: number) => string): string =>
    v === null ? 'not measured' : f(v);
  return [
    ['peak memory (cgroup)', or(relay.memoryPeakBytes, mib)],
    ['peak RSS (VmHWM)', or(relay.vmHwmMiB, (n) => mib(n * MiB))],
    ['CPU time', or(relay.cpuSeconds, (n) => `${numberText(n)} s`)],
    ['throttled periods', or(relay.throttledPeriods, numberText)],
    ['OOM kills', or(relay.oomKills, numberText)],
    ['died during the run', relay.killed ? 'YES: the relay died during the run' : 'no'],
  ];
}

/** Where a workload saturated, in words. */
export function saturationText(steps: readonly BenchStep[]): string {
  const first = steps.find((s) => s.saturated);
  if (first !== undefined) return `saturated at ${numberText(first.offeredPerSecond)}/s offered`;
  const last = steps[steps.length - 1];
  return last === undefined
    ? 'no step ran'
    : `not saturated at ${numberText(last.offeredPerSecond)}/s, the highest rate offered`;
}
