// The `scenario` section of a report (docs/report.md, "scenario"): one `relaycheck reproduce`
// run of a fault scenario. In: the run as the fault runner recorded it (ScenarioInput: the
// scenario's facts, speed, seed, planned sequence, timeline, verdicts, tallies), with each
// timeline entry optionally marked (action, delivery, reconnect, failure) by the caller that
// knows the runner's words. Out: its zod schema (strict, bounded), its TypeScript types, the
// section builder (texts redacted and clipped, the timeline thinned to its bound with what was
// left out counted, deliveries per time bucket counted from the whole timeline) and the words
// both renderers (summary.md, index.html) use. Pure; imports nothing of the report so that
// schema.ts can import it (the report builder is in build.ts).
import { z } from 'zod';
import { redact } from './redact';

/** The bounds of a scenario section; a section read from disk that breaks one is refused. */
export const SCENARIO_LIMITS = Object.freeze({
  /** Timeline entries kept (actions, failures and checks first; the rest spread; see thin). */
  entries: 5000,
  /** Characters of an entry's text. */
  what: 400,
  /** Characters of an entry's source. */
  source: 100,
  /** Characters of a name: the scenario, its title, a verdict's check, the speed, a defect. */
  name: 200,
  /** Characters of a long text: the symptom, the description, the command. */
  text: 4000,
  /** Verdicts kept. */
  verdicts: 200,
  /** Characters of a verdict's what, expected and observed. */
  verdictText: 2000,
  /** Buckets of the deliveries count. */
  buckets: 400,
});

/** The lanes of the timeline, top to bottom on the chart. */
export const SCENARIO_LANES = [
  'workload',
  'action',
  'connection',
  'delivery',
  'world',
  'check',
] as const;
export type ScenarioLane = (typeof SCENARIO_LANES)[number];

/**
 * What an entry is, beyond its lane: an action of the scenario (a fault injected, a restart),
 * a delivery that completed, the relay losing a connection it then re-makes (a reconnect), or
 * a failure (a failed request, delivery or check). Unmarked entries are plain events.
 */
export const SCENARIO_MARKS = ['action', 'delivery', 'reconnect', 'failure'] as const;
export type ScenarioMark = (typeof SCENARIO_MARKS)[number];

export const SCENARIO_VARIANTS = ['full', 'fast'] as const;
export type ScenarioVariant = (typeof SCENARIO_VARIANTS)[number];

export interface ScenarioEntry {
  /** Scenario time, ms from the start. */
  readonly t: number;
  readonly lane: ScenarioLane;
  readonly what: string;
  /** Who: runner, relay #n, or the simulator's channel. */
  readonly source: string;
  /** Printed live by `relaycheck reproduce`; the summary and the page list these. */
  readonly notable: boolean;
  readonly mark?: ScenarioMark;
}

export interface ScenarioVerdict {
  /** The kind of expectation (sequence, events, answered, effects, ...). */
  readonly check: string;
  readonly what: string;
  readonly expected: string;
  readonly observed: string;
  readonly pass: boolean;
}

export interface ScenarioTallies {
  readonly sent: number;
  readonly answered: number;
  readonly failed: number;
  readonly deadLettered: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly relayStarts: number;
  /** Times the relay lost its Service Bus connection or a Hybrid Connection control channel. */
  readonly reconnects: number;
}

/** Deliveries per bucket of scenario time, counted over the whole timeline (never thinned). */
export interface ScenarioDeliveries {
  readonly bucketMs: number;
  /** Deliveries completed (or answered) in bucket i: [i × bucketMs, (i + 1) × bucketMs). */
  readonly completed: readonly number[];
  /** Requests, deliveries and dead letters that failed in bucket i. */
  readonly failed: readonly number[];
}

export interface ScenarioFacts {
  readonly name: string;
  /** Its FAULT-NNN case. */
  readonly case: string;
  readonly title: string;
  /** The customer's words. */
  readonly symptom: string;
  readonly description: string;
}

export interface ScenarioSection {
  readonly kind: 'fault-reproduction';
  readonly scenario: ScenarioFacts;
  readonly variant: ScenarioVariant;
  /** As given: 1, 10 or max. */
  readonly speed: string;
  /** Scenario ms per wall ms. */
  readonly factor: number;
  readonly seed: number;
  /** The deliberate defect the relay ran with, or null. */
  readonly defect: string | null;
  /** The planned sequence: the same seed gives the same digest and counts. */
  readonly sequence: {
    readonly digest: string;
    readonly sends: number;
    readonly actions: number;
  };
  /** The command that reruns it with the same seed. */
  readonly command: string;
  /** ISO 8601, UTC. */
  readonly startedAt: string;
  readonly wallMs: number;
  readonly scenarioMs: number;
  readonly outcome: 'pass' | 'fail';
  /** False when the settle bound ended the run before the broker and the tenant were quiet. */
  readonly settled: boolean;
  readonly tallies: ScenarioTallies;
  readonly verdicts: readonly ScenarioVerdict[];
  /** In scenario time order. */
  readonly timeline: readonly ScenarioEntry[];
  /** Entries the runner or this section left out. */
  readonly timelineDropped: number;
  readonly deliveries: ScenarioDeliveries;
}

const L = SCENARIO_LIMITS;
const count = z.number().int().nonnegative();
const ms = z.number().nonnegative();
const text = (max: number): z.ZodString => z.string().max(max);
const name = z.string().min(1).max(L.name);
const timestamp = z.iso.datetime({ offset: false });

const entrySchema = z.strictObject({
  t: ms,
  lane: z.enum(SCENARIO_LANES),
  what: text(L.what),
  source: text(L.source),
  notable: z.boolean(),
  mark: z.enum(SCENARIO_MARKS).optional(),
});

const verdictSchema = z.strictObject({
  check: name,
  what: text(L.verdictText),
  expected: text(L.verdictText),
  observed: text(L.verdictText),
  pass: z.boolean(),
});

/** The scenario section as report.json holds it. */
export const scenarioSectionSchema = z
  .strictObject({
    kind: z.literal('fault-reproduction'),
    scenario: z.strictObject({
      name,
      case: z.string().regex(/^FAULT-\d{3}$/, 'a FAULT-NNN case id'),
      title: name,
      symptom: text(L.text),
      description: text(L.text),
    }),
    variant: z.enum(SCENARIO_VARIANTS),
    speed: name,
    factor: z.number().positive(),
    seed: z.number().int().nonnegative(),
    defect: name.nullable(),
    sequence: z.strictObject({
      digest: z.string().regex(/^[0-9a-f]{16,128}$/, 'a hex digest'),
      sends: count,
      actions: count,
    }),
    command: text(L.text),
    startedAt: timestamp,
    wallMs: ms,
    scenarioMs: ms,
    outcome: z.enum(['pass', 'fail']),
    settled: z.boolean(),
    tallies: z.strictObject({
      sent: count,
      answered: count,
      failed: count,
      deadLettered: count,
      lost: count,
      duplicated: count,
      relayStarts: count,
      reconnects: count,
    }),
    verdicts: z.array(verdictSchema).max(L.verdicts),
    timeline: z.array(entrySchema).max(L.entries),
    timelineDropped: count,
    deliveries: z.strictObject({
      bucketMs: z.number().int().positive(),
      completed: z.array(count).max(L.buckets),
      failed: z.array(count).max(L.buckets),
    }),
  })
  .superRefine((s, ctx) => {
    const held = s.verdicts.every((v) => v.pass);
    if ((s.outcome === 'pass') !== held) {
      ctx.addIssue({
        code: 'custom',
        message: held ? 'every verdict passed: the outcome is pass' : 'a verdict failed: fail',
        path: ['outcome'],
      });
    }
    if (s.deliveries.completed.length !== s.deliveries.failed.length) {
      ctx.addIssue({
        code: 'custom',
        message: 'completed and failed have a count per bucket each',
        path: ['deliveries', 'failed'],
      });
    }
    for (let i = 1; i < s.timeline.length; i++) {
      if ((s.timeline[i]?.t ?? 0) < (s.timeline[i - 1]?.t ?? 0)) {
        ctx.addIssue({
          code: 'custom',
          message: 'the timeline is in scenario time order',
          path: ['timeline', i, 't'],
        });
        break;
      }
    }
  });

/** The headline of every scenario report starts with this word. */
export const SCENARIO_HEADLINE_START = 'Scenario';

/** The verdict headline: which fault, whether the relay handled it, how many expectations held. */
export function scenarioHeadline(s: ScenarioSection): string {
  const n = s.verdicts.length;
  const failed = s.verdicts.filter((v) => !v.pass).length;
  const defect = s.defect === null ? '' : ` with defect ${s.defect}`;
  const which = `${SCENARIO_HEADLINE_START} ${s.scenario.case} ${s.scenario.name}${defect}`;
  if (s.outcome === 'pass') {
    const held = n === 1 ? 'the one expectation held' : `all ${n} expectations held`;
    return s.defect === null
      ? `${which}: reproduced and handled, ${held}`
      : `${which}: the defect was NOT caught, ${held}`;
  }
  const of = `${failed} of ${n} ${n === 1 ? 'expectation' : 'expectations'} failed`;
  return s.defect === null ? `${which}: NOT handled, ${of}` : `${which}: defect caught, ${of}`;
}

/** The verdict in two words: what the banner says. */
export function scenarioVerdictWords(s: ScenarioSection): string {
  if (s.defect !== null) return s.outcome === 'fail' ? 'Defect caught' : 'Defect not caught';
  return s.outcome === 'pass' ? 'Reproduced and handled' : 'Not handled';
}

/** Milliseconds of scenario time as seconds: `20.1 s`. */
export function scenarioSeconds(t: number): string {
  return `${(t / 1000).toFixed(1)} s`;
}

/** The sequence facts for rerunning: [name, value] pairs, the same in summary.md and the page. */
export function sequenceFacts(s: ScenarioSection): [string, string][] {
  return [
    ['seed', String(s.seed)],
    ['sequence digest', s.sequence.digest],
    [
      'planned sequence',
      `${s.sequence.sends} ${s.sequence.sends === 1 ? 'send' : 'sends'}, ${s.sequence.actions} ${s.sequence.actions === 1 ? 'action' : 'actions'}`,
    ],
    [
      'speed',
      `${s.speed} (×${String(Number(s.factor.toPrecision(4)))} scenario time per wall time), ${s.variant} variant`,
    ],
    ['defect', s.defect ?? 'none: the reference relay as built'],
    ['rerun', s.command],
  ];
}

/** The run's length and state as [name, value] pairs. */
export function runFacts(s: ScenarioSection): [string, string][] {
  return [
    ['started', s.startedAt],
    ['scenario time', scenarioSeconds(s.scenarioMs)],
    ['wall time', scenarioSeconds(s.wallMs)],
    [
      'settled',
      s.settled
        ? 'yes: every request answered and the queue quiet before the checks'
        : 'NO: the settle bound ended the run before it was quiet',
    ],
  ];
}

/** The tallies with their names, in order. */
export function tallyRows(t: ScenarioTallies): [string, number][] {
  return [
    ['sent', t.sent],
    ['answered', t.answered],
    ['failed', t.failed],
    ['dead-lettered', t.deadLettered],
    ['lost', t.lost],
    ['duplicated', t.duplicated],
    ['relay starts', t.relayStarts],
    ['reconnects', t.reconnects],
  ];
}

/** The scenario's actions in order (the entries of the action lane). */
export function actionsOf(s: ScenarioSection): ScenarioEntry[] {
  return s.timeline.filter((e) => e.lane === 'action');
}

/** The entries a reader scans: notable ones and every marked one that is not a delivery. */
export function notableOf(s: ScenarioSection): ScenarioEntry[] {
  return s.timeline.filter((e) => e.notable || (e.mark !== undefined && e.mark !== 'delivery'));
}

// ---- the section builder -------------------------------------------------------------------

/** One timeline entry as the runner recorded it (any extra data is not kept). */
export interface ScenarioInputEntry {
  readonly t: number;
  readonly lane: ScenarioLane;
  readonly what: string;
  readonly source: string;
  readonly notable: boolean;
  readonly mark?: ScenarioMark | undefined;
}

/** A scenario run as the fault runner recorded it (a ScenarioRun, its entries marked). */
export interface ScenarioInput {
  readonly scenario: ScenarioFacts;
  readonly variant: ScenarioVariant;
  readonly speed: string;
  readonly factor: number;
  readonly seed: number;
  readonly defect: string | null;
  readonly sequence: { readonly digest: string; readonly sends: number; readonly actions: number };
  readonly timeline: readonly ScenarioInputEntry[];
  readonly timelineDropped: number;
  readonly verdicts: readonly ScenarioVerdict[];
  readonly outcome: 'pass' | 'fail';
  readonly settled: boolean;
  readonly startedAt: string;
  readonly wallMs: number;
  readonly scenarioMs: number;
  readonly tallies: ScenarioTallies;
  /** The command that reruns it; default: built from the name, seed, speed, variant, defect. */
  readonly command?: string | undefined;
}

/** `text` redacted and cut to `max` characters, the last one "…" when cut. */
function clean(value: string, max: number): string {
  const t = redact(value);
  if (t.length <= max) return t;
  let end = Math.max(max - 1, 0);
  const last = t.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${t.slice(0, end)}…`;
}

/** At most `max` of `list`, evenly spread, in their order. */
function spread<T>(list: readonly T[], max: number): T[] {
  if (list.length <= max) return [...list];
  if (max <= 0) return [];
  if (max === 1) return list.slice(0, 1);
  const out: T[] = [];
  for (let i = 0; i < max; i++) {
    const item = list[Math.round((i * (list.length - 1)) / (max - 1))];
    if (item !== undefined) out.push(item);
  }
  return out;
}

/** The tier an entry is kept in when the timeline is thinned: 0 first. */
function tier(e: ScenarioInputEntry): number {
  if (e.lane === 'action' || e.lane === 'check' || e.mark === 'failure') return 0;
  if (e.notable || e.mark === 'reconnect') return 1;
  return 2;
}

/**
 * At most `max` entries of `timeline` (in order): every tier-0 entry (actions, checks,
 * failures), then the notable ones and reconnects, then the rest, each tier spread evenly over
 * the room the tiers before it left.
 */
export function thinTimeline<E extends ScenarioInputEntry>(
  timeline: readonly E[],
  max: number = L.entries,
): E[] {
  if (timeline.length <= max) return [...timeline];
  const indexed = timeline.map((e, i) => ({ e, i }));
  const kept: { e: E; i: number }[] = [];
  for (const t of [0, 1, 2]) {
    const room = max - kept.length;
    kept.push(
      ...spread(
        indexed.filter((x) => tier(x.e) === t),
        room,
      ),
    );
  }
  return kept.sort((a, b) => a.i - b.i).map((x) => x.e);
}

/** Bucket sizes for the deliveries count, in ms. */
const BUCKETS_MS = [
  100, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000,
  900_000, 1_800_000, 3_600_000,
];
/** The deliveries count aims at no more than this many buckets. */
const BUCKETS_AIMED = 120;

/** The bucket size for a run of `scenarioMs`: the least nice size giving at most ~120 buckets. */
export function bucketMsFor(scenarioMs: number): number {
  const found = BUCKETS_MS.find((b) => scenarioMs / b <= BUCKETS_AIMED);
  return found ?? Math.ceil(scenarioMs / L.buckets / 1000) * 1000;
}

/** A failure that counts in the deliveries chart: in the workload or delivery lane. */
function deliveryFailure(e: ScenarioInputEntry): boolean {
  return e.mark === 'failure' && (e.lane === 'delivery' || e.lane === 'workload');
}

/** Deliveries and delivery failures per bucket over the whole of `timeline`. */
export function deliveriesOf(
  timeline: readonly ScenarioInputEntry[],
  scenarioMs: number,
): ScenarioDeliveries {
  const last = Math.max(scenarioMs, ...timeline.map((e) => e.t), 0);
  const bucketMs = bucketMsFor(last);
  const n = Math.min(Math.floor(last / bucketMs) + 1, L.buckets);
  const completed = new Array<number>(n).fill(0);
  const failed = new Array<number>(n).fill(0);
  for (const e of timeline) {
    const i = Math.min(Math.floor(e.t / bucketMs), n - 1);
    if (e.mark === 'delivery') completed[i] = (completed[i] ?? 0) + 1;
    else if (deliveryFailure(e)) failed[i] = (failed[i] ?? 0) + 1;
  }
  return { bucketMs, completed, failed };
}

/** The command that reruns a scenario with the same seed, speed and variant. */
export function rerunCommand(input: ScenarioInput): string {
  const parts = ['relaycheck reproduce', input.scenario.name, '--seed', String(input.seed)];
  parts.push('--speed', input.speed);
  if (input.variant === 'fast') parts.push('--fast');
  if (input.defect !== null) parts.push('--defect', input.defect);
  return parts.join(' ');
}

/**
 * The section of a scenario run: texts redacted and clipped, the timeline in scenario time
 * order (stable) and thinned to its bound (what was left out added to the runner's count),
 * verdicts kept whole up to their bound (failed ones first when there are more), deliveries
 * counted per bucket from the whole timeline. Not validated here: the report builder does
 * that with the schema above.
 */
export function buildScenarioSection(input: ScenarioInput): ScenarioSection {
  const ordered = input.timeline
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.t - b.e.t || a.i - b.i)
    .map((x) => x.e);
  const kept = thinTimeline(ordered);
  const verdicts =
    input.verdicts.length <= L.verdicts
      ? input.verdicts
      : [...input.verdicts.filter((v) => !v.pass), ...input.verdicts.filter((v) => v.pass)].slice(
          0,
          L.verdicts,
        );
  const v = (s: string): string => clean(s, L.verdictText);
  return {
    kind: 'fault-reproduction',
    scenario: {
      name: clean(input.scenario.name, L.name),
      case: input.scenario.case,
      title: clean(input.scenario.title, L.name),
      symptom: clean(input.scenario.symptom, L.text),
      description: clean(input.scenario.description, L.text),
    },
    variant: input.variant,
    speed: clean(input.speed, L.name),
    factor: input.factor,
    seed: input.seed,
    defect: input.defect === null ? null : clean(input.defect, L.name),
    sequence: { ...input.sequence },
    command: clean(input.command ?? rerunCommand(input), L.text),
    startedAt: input.startedAt,
    wallMs: input.wallMs,
    scenarioMs: input.scenarioMs,
    outcome: input.outcome,
    settled: input.settled,
    tallies: { ...input.tallies },
    verdicts: verdicts.map((x) => ({
      check: clean(x.check, L.name),
      what: v(x.what),
      expected: v(x.expected),
      observed: v(x.observed),
      pass: x.pass,
    })),
    timeline: kept.map((e) => ({
      t: e.t,
      lane: e.lane,
      what: clean(e.what, L.what),
      source: clean(e.source, L.source),
      notable: e.notable,
      ...(e.mark === undefined ? {} : { mark: e.mark }),
    })),
    timelineDropped: input.timelineDropped + (ordered.length - kept.length),
    deliveries: deliveriesOf(ordered, input.scenarioMs),
  };
}
