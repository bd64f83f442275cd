// The report document, version 1 (<out>/report.json; docs/report.md documents each field).
// In: a parsed JSON value or report text. Out: a frozen, validated Report, or a ReportError:
// REPORT_E_FORMAT (not a report), REPORT_E_VERSION (another version, named), REPORT_E_SCHEMA
// (a field, by path). A benchmark run's report carries a `bench` section (./bench.ts) and no
// cases; a run with attacks among its cases a `security` section (./security.ts); a fault
// reproduction (`relaycheck reproduce`) a `scenario` section (./scenario.ts) and its one case.
import { z } from 'zod';
import { BENCH_HEADLINE_START, benchSectionSchema, type BenchSection } from './bench';
import { SCENARIO_HEADLINE_START, scenarioSectionSchema, type ScenarioSection } from './scenario';
import { securityProblems, securitySectionSchema, type SecuritySection } from './security';
import { ReportError } from './errors';

export const REPORT_SCHEMA = 'relaycheck-report';
export const REPORT_VERSION = 1;

export const REPORT_OUTCOMES = ['pass', 'non-strict', 'fail', 'skip', 'info'] as const;
export type ReportOutcome = (typeof REPORT_OUTCOMES)[number];

export const REPORT_PROFILES = ['default', 'min-spec'] as const;
export type ReportProfile = (typeof REPORT_PROFILES)[number];

/** What the relay was pointed at: the simulated Azure side, or a real Azure namespace. */
export const REPORT_TARGETS = ['simulator', 'azure'] as const;
export type ReportTarget = (typeof REPORT_TARGETS)[number];

/** Which relay was tested: relaycheck's own, or one relaycheck did not write. */
export const REPORT_RELAYS = ['reference', 'external'] as const;
export type ReportRelay = (typeof REPORT_RELAYS)[number];

/** The bounds of a case's evidence (docs/report.md, "evidence"); the builder clips to them. */
export const EVIDENCE_LIMITS = Object.freeze({
  /** Characters of an assertion's diag, expected and observed. */
  assertionText: 2000,
  /** Characters of an assertion's source location. */
  at: 400,
  /** Assertions kept per case (failed ones first; the rest counted in assertionsDropped). */
  assertions: 500,
  /** Characters of an event's text. */
  eventText: 400,
  /** Characters of an event's source (at least 2). */
  source: 12,
  /** Characters of an event's channel. */
  channel: 100,
  /** Events kept per case (the first and last halves; the rest counted in eventsDropped). */
  events: 500,
  /** Keys of an event's fields. */
  fields: 16,
  /** Characters of a field's name and of a string field value. */
  fieldKey: 64,
  fieldText: 400,
  /** Metrics kept per case. */
  metrics: 32,
  /** Characters of a metric's name and unit. */
  metricName: 200,
  unit: 32,
  /** Values of a `samples` metric, points of a `series` metric. */
  samples: 5000,
  points: 2000,
});

/** How many cases ended with each outcome, and all of them. */
export type OutcomeCounts = Readonly<Record<ReportOutcome, number>> & { readonly total: number };

export interface ReportSelection {
  readonly areas?: readonly string[];
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
}

export interface ReportRun {
  readonly id: string;
  /** ISO 8601, UTC. */
  readonly startedAt: string;
  readonly endedAt: string;
  readonly durationMs: number;
  readonly seed: number | null;
  readonly strict: boolean;
  readonly profile: ReportProfile;
  readonly target: ReportTarget;
  readonly relay: ReportRelay;
  /** The path of the relay config an external relay was given (`--relay-config`). */
  readonly relayConfig?: string;
  /** With target 'azure': the namespaces the run used (hosts and rule names; never a key). */
  readonly namespaces?: ReportNamespaces;
  readonly selection: ReportSelection;
  /** The command line, secrets redacted. */
  readonly command: string;
}

export interface ReportNamespaces {
  readonly serviceBus: { readonly host: string; readonly keyName: string };
  readonly relay: { readonly host: string; readonly keyName: string };
  readonly tenant: string;
}

export interface ReportEnvironment {
  /** relaycheck's version (package.json). */
  readonly relaycheck: string;
  readonly node: string;
  readonly platform: string;
  readonly arch: string;
  readonly cpus: { readonly count: number; readonly model: string };
  readonly memoryMiB: number;
  readonly hostname?: string;
}

export interface ReportVerdict {
  /** True exactly when the run exits 0. */
  readonly ready: boolean;
  readonly headline: string;
  readonly failedMust: readonly string[];
  readonly nonStrict: readonly string[];
  readonly skipped: readonly string[];
}

export interface ReportArea {
  readonly area: string;
  readonly title: string;
  readonly counts: OutcomeCounts;
}

/** One assertion of a case, when the case records them. */
export interface ReportAssertion {
  /** The assertion's message, without the case's "<ID> <title> > " prefix. */
  readonly name: string;
  readonly ok: boolean;
  /** Short extra text, e.g. an error message. */
  readonly diag?: string;
  /** What the assertion wanted (tap's `wanted`/`expected`), compactly rendered. */
  readonly expected?: string;
  /** What it found (tap's `found`/`actual`). */
  readonly observed?: string;
  /** Where it is: `suites/port/falls-back.test.ts:88`. */
  readonly at?: string;
}

/** A flat field value of an event. */
export type ReportFieldValue = string | number | boolean | null;

/** One line of a case's event log slice. */
export interface ReportEvent {
  /** Milliseconds since the case started (may be fractional). */
  readonly atMs: number;
  /** Who published it: 'net', 'sb', 'hc', 'bo', 'tenant', 'relay', 'sim', ... */
  readonly source: string;
  /** The diagnostics channel: 'sim:net:dial', 'relay:session', ... */
  readonly channel: string;
  /** A one-line summary, secrets removed. */
  readonly text: string;
  readonly fields?: Readonly<Record<string, ReportFieldValue>>;
}

/** Numbers a case measured: samples (e.g. latencies) or a series of [atMs, value] points. */
export type ReportMetric =
  | {
      readonly name: string;
      readonly unit: string;
      readonly kind: 'samples';
      readonly values: readonly number[];
    }
  | {
      readonly name: string;
      readonly unit: string;
      readonly kind: 'series';
      readonly points: readonly (readonly [number, number])[];
    };

export interface ReportEvidence {
  /** The names of the failed assertions, as the case recorded them. */
  readonly failures: readonly string[];
  readonly assertions?: readonly ReportAssertion[];
  /** Assertions left out of `assertions` (passing ones first). */
  readonly assertionsDropped?: number;
  readonly events?: readonly ReportEvent[];
  /** Events left out of `events`. */
  readonly eventsDropped?: number;
  readonly metrics?: readonly ReportMetric[];
}

export interface ReportCase {
  readonly id: string;
  readonly area: string;
  readonly level: 'must' | 'should';
  readonly title: string;
  readonly requirement: string;
  readonly source: string;
  readonly outcome: ReportOutcome;
  readonly ms: number;
  readonly reason: string | null;
  readonly evidence: ReportEvidence;
}

export interface Report {
  readonly schema: typeof REPORT_SCHEMA;
  readonly version: typeof REPORT_VERSION;
  readonly run: ReportRun;
  readonly environment: ReportEnvironment;
  readonly verdict: ReportVerdict;
  readonly counts: OutcomeCounts;
  readonly areas: readonly ReportArea[];
  readonly cases: readonly ReportCase[];
  /** A benchmark run's figures (then `cases` is empty); absent from a conformance run. */
  readonly bench?: BenchSection;
  /** One row per attack among the cases; absent when no case is one. */
  readonly security?: SecuritySection;
  /** A fault reproduction's run (then `cases` holds its one FAULT case); absent otherwise. */
  readonly scenario?: ScenarioSection;
}

const count = z.number().int().nonnegative();
const text = z.string();
const nonEmpty = z.string().min(1);
const ms = z.number().nonnegative();
const caseId = z.string().regex(/^[A-Z]{2,6}-\d{3}$/, 'a case id (AREA-NNN)');
const areaId = z.string().regex(/^[a-z]{2,6}$/, 'an area id (2-6 lower-case letters)');
const timestamp = z.iso.datetime({ offset: false });

const L = EVIDENCE_LIMITS;
const bounded = (max: number): z.ZodString => z.string().max(max);
const finite = z.number(); // zod 4 refuses NaN and the infinities

const assertionSchema = z.strictObject({
  name: text,
  ok: z.boolean(),
  diag: bounded(L.assertionText).optional(),
  expected: bounded(L.assertionText).optional(),
  observed: bounded(L.assertionText).optional(),
  at: bounded(L.at).optional(),
});

const eventSchema = z.strictObject({
  atMs: ms,
  source: z.string().min(2).max(L.source),
  channel: z.string().min(1).max(L.channel),
  text: bounded(L.eventText),
  fields: z
    .record(bounded(L.fieldKey), z.union([bounded(L.fieldText), finite, z.boolean(), z.null()]))
    .refine((f) => Object.keys(f).length <= L.fields, `at most ${L.fields} fields`)
    .optional(),
});

const metricName = { name: bounded(L.metricName), unit: bounded(L.unit) };
const metricSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    ...metricName,
    kind: z.literal('samples'),
    values: z.array(finite).max(L.samples),
  }),
  z.strictObject({
    ...metricName,
    kind: z.literal('series'),
    points: z.array(z.tuple([finite, finite])).max(L.points),
  }),
]);

const evidenceSchema = z.strictObject({
  failures: z.array(text),
  assertions: z.array(assertionSchema).max(L.assertions).optional(),
  assertionsDropped: count.optional(),
  events: z.array(eventSchema).max(L.events).optional(),
  eventsDropped: count.optional(),
  metrics: z.array(metricSchema).max(L.metrics).optional(),
});

const countsSchema = z.strictObject({
  pass: count,
  'non-strict': count,
  fail: count,
  skip: count,
  info: count,
  total: count,
});

const caseSchema = z.strictObject({
  id: caseId,
  area: areaId,
  level: z.enum(['must', 'should']),
  title: nonEmpty,
  requirement: nonEmpty,
  source: nonEmpty,
  outcome: z.enum(REPORT_OUTCOMES),
  ms,
  reason: text.nullable(),
  evidence: evidenceSchema,
});

const documentSchema = z.strictObject({
  schema: z.literal(REPORT_SCHEMA),
  version: z.literal(REPORT_VERSION),
  run: z.strictObject({
    id: nonEmpty,
    startedAt: timestamp,
    endedAt: timestamp,
    durationMs: ms,
    seed: z.number().int().nullable(),
    strict: z.boolean(),
    profile: z.enum(REPORT_PROFILES),
    target: z.enum(REPORT_TARGETS),
    relay: z.enum(REPORT_RELAYS),
    relayConfig: nonEmpty.optional(),
    namespaces: z
      .strictObject({
        serviceBus: z.strictObject({ host: nonEmpty, keyName: nonEmpty }),
        relay: z.strictObject({ host: nonEmpty, keyName: nonEmpty }),
        tenant: nonEmpty,
      })
      .optional(),
    selection: z.strictObject({
      areas: z.array(areaId).optional(),
      include: z.array(nonEmpty).optional(),
      exclude: z.array(nonEmpty).optional(),
    }),
    command: text,
  }),
  environment: z.strictObject({
    relaycheck: nonEmpty,
    node: nonEmpty,
    platform: nonEmpty,
    arch: nonEmpty,
    cpus: z.strictObject({ count, model: text }),
    memoryMiB: count,
    hostname: nonEmpty.optional(),
  }),
  verdict: z.strictObject({
    ready: z.boolean(),
    headline: nonEmpty,
    failedMust: z.array(caseId),
    nonStrict: z.array(caseId),
    skipped: z.array(caseId),
  }),
  counts: countsSchema,
  areas: z.array(z.strictObject({ area: areaId, title: nonEmpty, counts: countsSchema })),
  cases: z.array(caseSchema),
  bench: benchSectionSchema.optional(),
  security: securitySectionSchema.optional(),
  scenario: scenarioSectionSchema.optional(),
});

const reportSchema = documentSchema.superRefine((r, ctx) => {
  for (const problem of inconsistencies(r)) {
    ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path });
  }
});

/** Counts of `cases` by outcome. */
export function countOutcomes(
  cases: readonly { readonly outcome: ReportOutcome }[],
): OutcomeCounts {
  const counts: Record<ReportOutcome, number> = {
    pass: 0,
    'non-strict': 0,
    fail: 0,
    skip: 0,
    info: 0,
  };
  for (const c of cases) counts[c.outcome] += 1;
  return { ...counts, total: cases.length };
}

function sameCounts(a: OutcomeCounts, b: OutcomeCounts): boolean {
  return REPORT_OUTCOMES.every((o) => a[o] === b[o]) && a.total === b.total;
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

interface Problem {
  readonly path: (string | number)[];
  readonly message: string;
}

/** Where a report's summary parts disagree with its cases (the rules a built report keeps). */
function inconsistencies(r: z.infer<typeof documentSchema>): Problem[] {
  const out: Problem[] = [];
  const ids = new Set<string>();
  r.cases.forEach((c, i) => {
    if (ids.has(c.id)) out.push({ path: ['cases', i, 'id'], message: `${c.id} appears twice` });
    ids.add(c.id);
  });
  if (!sameCounts(r.counts, countOutcomes(r.cases))) {
    out.push({ path: ['counts'], message: 'the counts do not match the cases' });
  }
  r.areas.forEach((a, i) => {
    if (!sameCounts(a.counts, countOutcomes(r.cases.filter((c) => c.area === a.area)))) {
      out.push({ path: ['areas', i, 'counts'], message: `the counts of ${a.area} do not match` });
    }
  });
  const listed = new Set(r.areas.map((a) => a.area));
  const unlisted = r.cases.find((c) => !listed.has(c.area));
  if (unlisted !== undefined) {
    out.push({ path: ['areas'], message: `area ${unlisted.area} of ${unlisted.id} is not listed` });
  }
  const of = (outcome: ReportOutcome, level?: string): string[] =>
    r.cases
      .filter((c) => c.outcome === outcome && (level === undefined || c.level === level))
      .map((c) => c.id);
  const lists = [
    ['failedMust', r.verdict.failedMust, of('fail')],
    ['nonStrict', r.verdict.nonStrict, of('non-strict')],
    ['skipped', r.verdict.skipped, of('skip')],
  ] as const;
  for (const [name, listedIds, actual] of lists) {
    if (!sameIds(listedIds, actual)) {
      out.push({ path: ['verdict', name], message: `verdict.${name} does not match the cases` });
    }
  }
  const ready = isReady(r.cases, r.run.strict);
  if (r.verdict.ready !== ready) {
    out.push({ path: ['verdict', 'ready'], message: `ready must be ${String(ready)}` });
  }
  if (r.run.relayConfig !== undefined && r.run.relay !== 'external') {
    out.push({ path: ['run', 'relayConfig'], message: 'a relay config is for an external relay' });
  }
  if (r.run.namespaces !== undefined && r.run.target !== 'azure') {
    out.push({ path: ['run', 'namespaces'], message: 'namespaces are for an azure target' });
  }
  if (of('fail', 'should').length > 0) {
    out.push({ path: ['cases'], message: 'a should-level case is non-strict, never fail' });
  }
  if (r.security !== undefined) out.push(...securityProblems(r.security, r.cases, r.areas));
  if (r.bench !== undefined) {
    if (r.cases.length > 0) {
      out.push({ path: ['cases'], message: 'a benchmark report has no conformance cases' });
    }
    if (!r.verdict.headline.startsWith(BENCH_HEADLINE_START)) {
      out.push({
        path: ['verdict', 'headline'],
        message: `the headline of a benchmark report starts "${BENCH_HEADLINE_START}"`,
      });
    }
  }
  if (r.scenario !== undefined) out.push(...scenarioProblems(r.scenario, r));
  return out;
}

/** Where a fault reproduction's report disagrees with its scenario section. */
function scenarioProblems(s: ScenarioSection, r: z.infer<typeof documentSchema>): Problem[] {
  const out: Problem[] = [];
  const only = r.cases.length === 1 ? r.cases[0] : undefined;
  if (r.bench !== undefined) {
    out.push({ path: ['scenario'], message: 'a report is a benchmark or a scenario, not both' });
  }
  if (only === undefined) {
    out.push({ path: ['cases'], message: 'a scenario report has exactly one case' });
  } else {
    if (only.id !== s.scenario.case) {
      out.push({ path: ['cases', 0, 'id'], message: `the case is ${s.scenario.case}` });
    }
    if (only.area !== 'fault') {
      out.push({ path: ['cases', 0, 'area'], message: 'the case is of area fault' });
    }
    if (only.outcome !== s.outcome) {
      out.push({
        path: ['cases', 0, 'outcome'],
        message: `the scenario's outcome is ${s.outcome}`,
      });
    }
  }
  if (r.run.seed !== s.seed) {
    out.push({ path: ['run', 'seed'], message: `the run's seed is the scenario's, ${s.seed}` });
  }
  if (!r.verdict.headline.startsWith(SCENARIO_HEADLINE_START)) {
    out.push({
      path: ['verdict', 'headline'],
      message: `the headline of a scenario report starts "${SCENARIO_HEADLINE_START}"`,
    });
  }
  return out;
}

/** Whether a run with these cases is ready: no failure, and under strict no non-strict. */
export function isReady(
  cases: readonly { readonly outcome: ReportOutcome }[],
  strict: boolean,
): boolean {
  return cases.every((c) => c.outcome !== 'fail' && !(strict && c.outcome === 'non-strict'));
}

/** A JSON path for messages: `cases[3].evidence.failures`; `(document)` for the root. */
export function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    out += typeof p === 'number' ? `[${p}]` : `${out === '' ? '' : '.'}${String(p)}`;
  }
  return out === '' ? '(document)' : out;
}

function clipped(value: unknown): string {
  // JSON.stringify answers undefined for undefined and functions, though typed as string
  const json = JSON.stringify(value) as string | undefined;
  const shown = json ?? (value === undefined ? 'missing' : typeof value);
  return shown.length > 40 ? `${shown.slice(0, 40)}...` : shown;
}

/** The schema's output is a Report (checked by the compiler here). */
function asReport(document: z.infer<typeof documentSchema>): Report {
  return document;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Validates a parsed report. The header is checked first, so a report of another version is
 * refused by its version (REPORT_E_VERSION) rather than by the first field it changed.
 */
export function parseReport(value: unknown): Report {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ReportError('REPORT_E_FORMAT', 'a report is a JSON object');
  }
  const header = value as { schema?: unknown; version?: unknown };
  if (header.schema !== REPORT_SCHEMA) {
    throw new ReportError(
      'REPORT_E_FORMAT',
      `not a relaycheck report: "schema" is ${clipped(header.schema)}, expected "${REPORT_SCHEMA}"`,
    );
  }
  if (header.version !== REPORT_VERSION) {
    const named =
      typeof header.version === 'number' ? String(header.version) : clipped(header.version);
    throw new ReportError(
      'REPORT_E_VERSION',
      header.version === undefined
        ? `the report has no "version"; this relaycheck reads version ${REPORT_VERSION}`
        : `report version ${named} is not one this relaycheck reads (it reads version ${REPORT_VERSION}); use the relaycheck that wrote it`,
      { version: named },
    );
  }
  const result = reportSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = pathText(issue?.path ?? []);
    throw new ReportError(
      'REPORT_E_SCHEMA',
      `the report does not have the version ${REPORT_VERSION} shape at ${path}: ${issue?.message ?? 'invalid'}`,
      { path },
    );
  }
  return deepFreeze(asReport(result.data));
}

/** Parses report.json text: REPORT_E_FORMAT when it is not JSON, else as parseReport. */
export function reportFromJson(json: string): Report {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    throw new ReportError(
      'REPORT_E_FORMAT',
      `not a relaycheck report: not JSON (${e instanceof Error ? e.message : String(e)})`,
    );
  }
  return parseReport(value);
}

/** report.json's text: two-space JSON and a final newline. */
export function reportToJson(report: Report): string {
  return JSON.stringify(report, null, 2) + '\n';
}
