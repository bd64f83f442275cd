// Builds the report document from a finished run, pure. In: each case's catalogue entry and
// outcome (with its recorded failures, assertions, event log slice and metrics), the run's
// options and timestamps, environment facts. Out: a frozen, validated Report (verdict, counts
// per outcome and area); test-output text is redacted and bounded, evidence clipped to the
// schema's bounds (./evidence.ts); with the run's optional antivirus facts, the security section
// (one row per attack among the cases, ./security.ts). Or, for a benchmark run, the bench section (./bench.ts)
// and environment facts: a Report with no cases, a verdict that says so, and the figures. Or,
// for a fault reproduction (`relaycheck reproduce`), the scenario run (./scenario.ts): a Report
// with its one FAULT case (the verdicts as its assertions) and the scenario section.
// Unusable input is a ReportError REPORT_E_INPUT.
import type { Area, Case } from '../../suites/catalogue';
import { AREAS, findCase } from '../../suites/catalogue';
import { BENCH_LIMITS, benchHeadline, benchSectionSchema, type BenchSection } from './bench';
import { ReportError } from './errors';
import { evidenceOf } from './evidence';
import { redact } from './redact';
import { buildSecuritySection, type AntivirusFacts } from './security';
import {
  buildScenarioSection,
  scenarioHeadline,
  scenarioSectionSchema,
  type ScenarioInput,
  type ScenarioSection,
} from './scenario';
import {
  REPORT_PROFILES,
  REPORT_RELAYS,
  REPORT_TARGETS,
  REPORT_SCHEMA,
  REPORT_VERSION,
  countOutcomes,
  isReady,
  parseReport,
  pathText,
  type Report,
  type ReportArea,
  type ReportAssertion,
  type ReportCase,
  type ReportEnvironment,
  type ReportEvent,
  type ReportMetric,
  type ReportNamespaces,
  type ReportOutcome,
  type ReportRelay,
  type ReportSelection,
  type ReportTarget,
  type ReportVerdict,
} from './schema';
import { RelaycheckError } from '../../relay/src/protocol/errors';

/** The human name of each area, as the report, junit.xml and summary.md show it. */
export const AREA_TITLES: Readonly<Record<Area, string>> = Object.freeze({
  hs: 'Handshake',
  env: 'Message envelope',
  sas: 'Shared access signatures',
  ip: 'Azure address ranges',
  sb: 'Service Bus namespace',
  hc: 'Hybrid Connections endpoint',
  port: 'Outbound ports',
  route: 'The eight uses (routes)',
  dlv: 'Delivery',
  xml: 'Hostile XML',
  pdf: 'Hostile PDFs',
  fn: 'Hostile file names',
  tls: 'TLS policy',
  av: 'Antivirus (ClamAV)',
  sec: 'Tokens, replay, secrets and exposure',
  fault: 'Fault reproductions',
});

/** A text from test output keeps at most this many characters (after redaction). */
export const MAX_TEXT = 4000;
/** A case keeps at most this many failure lines; the rest are counted in a last line. */
export const MAX_FAILURES = 50;
/** The verdict headline names at most this many case ids. */
const HEADLINE_IDS = 10;

/** One case of the run as the runner saw it. */
export interface ReportCaseInput {
  readonly case: Case;
  /** `fail` of a should-level case is reported as non-strict (CASES.md). */
  readonly outcome: ReportOutcome;
  readonly ms: number;
  readonly reason?: string | undefined;
  /** The failed assertions the case's test recorded. */
  readonly failures?: readonly string[] | undefined;
  /** Every assertion, with what it expected and observed (clipped, failed ones kept first). */
  readonly assertions?: readonly ReportAssertion[] | undefined;
  /** The case's event log slice (thinned to the first and last halves when too long). */
  readonly events?: readonly ReportEvent[] | undefined;
  /** Events the test already left out of `events`. */
  readonly eventsDropped?: number | undefined;
  readonly metrics?: readonly ReportMetric[] | undefined;
}

export interface BuildReportInput {
  readonly id: string;
  readonly startedAt: Date;
  readonly endedAt: Date;
  readonly seed?: number | undefined;
  readonly strict?: boolean | undefined;
  /** The run's hardware profile; anything else is reported as 'default'. */
  readonly profile?: string | undefined;
  readonly selection?: ReportSelection | undefined;
  /** What the relay was pointed at (default 'simulator'). */
  readonly target?: ReportTarget | undefined;
  /** Which relay was tested (default 'reference'). */
  readonly relay?: ReportRelay | undefined;
  /** The path of the relay config an external relay was given (only with relay 'external'). */
  readonly relayConfig?: string | undefined;
  /** The namespaces of an azure target (hosts and rule names; only with target 'azure'). */
  readonly namespaces?: ReportNamespaces | undefined;
  /** The command line; redacted here. Default `relaycheck run`. */
  readonly command?: string | undefined;
  readonly environment: ReportEnvironment;
  readonly outcomes: readonly ReportCaseInput[];
  /**
   * What the run knows of its antivirus scanner (clamd there and its version, the relay's
   * scanner mode), for the security section; without it clamd is 'unknown' and the mode the
   * relay's default, fail-closed.
   */
  readonly antivirus?: AntivirusFacts | undefined;
}

function bounded(text: string): string {
  const clean = redact(text);
  return clean.length > MAX_TEXT
    ? `${clean.slice(0, MAX_TEXT)}... (${clean.length - MAX_TEXT} more characters)`
    : clean;
}

function failuresOf(lines: readonly string[]): string[] {
  const kept = lines.slice(0, MAX_FAILURES).map(bounded);
  if (lines.length > MAX_FAILURES) kept.push(`... and ${lines.length - MAX_FAILURES} more`);
  return kept;
}

function toCase(input: ReportCaseInput): ReportCase {
  const c = input.case;
  const outcome = input.outcome === 'fail' && c.level === 'should' ? 'non-strict' : input.outcome;
  return {
    id: c.id,
    area: c.area,
    level: c.level,
    title: c.title,
    requirement: c.requirement,
    source: c.source,
    outcome,
    ms: Number.isFinite(input.ms) ? Math.round(input.ms * 10) / 10 : input.ms,
    reason: input.reason === undefined ? null : bounded(input.reason),
    evidence: {
      failures: failuresOf(input.failures ?? []),
      ...evidenceOf(input),
    },
  };
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function idList(ids: readonly string[]): string {
  const shown = ids.slice(0, HEADLINE_IDS).join(', ');
  return ids.length > HEADLINE_IDS ? `${shown} and ${ids.length - HEADLINE_IDS} more` : shown;
}

/** The verdict: ready exactly when the run exits 0, and a one-line headline saying why. */
export function verdictOf(cases: readonly ReportCase[], strict: boolean): ReportVerdict {
  const ids = (o: ReportOutcome): string[] => cases.filter((c) => c.outcome === o).map((c) => c.id);
  const failedMust = ids('fail');
  const nonStrict = ids('non-strict');
  const skipped = ids('skip');
  const ready = isReady(cases, strict);
  let headline: string;
  if (ready) {
    const mustPassed = cases.filter((c) => c.level === 'must' && c.outcome === 'pass').length;
    const mustSkipped = cases.filter((c) => c.level === 'must' && c.outcome === 'skip').length;
    // Skipped must cases were not shown to pass: the verdict covers what ran, and says so.
    const scope = mustSkipped > 0 ? 'Ready for go-live on what ran' : 'Ready for go-live';
    headline =
      mustPassed === 0
        ? `${scope}: no must case failed (none ran)`
        : mustPassed === 1
          ? `${scope}: the one must case passes`
          : `${scope}: all ${mustPassed} must cases pass`;
    const notes = [
      ...(mustSkipped > 0
        ? [`${plural(mustSkipped, 'must case', 'must cases')} skipped, not covered by this run`]
        : []),
      ...(nonStrict.length > 0
        ? [`${plural(nonStrict.length, 'should case', 'should cases')} non-strict`]
        : []),
    ];
    if (notes.length > 0) headline += ` (${notes.join(', ')})`;
  } else {
    const parts = [
      ...(failedMust.length > 0
        ? [`${plural(failedMust.length, 'must case', 'must cases')} failed: ${idList(failedMust)}`]
        : []),
      ...(strict && nonStrict.length > 0
        ? [
            `${plural(nonStrict.length, 'should case', 'should cases')} failed under --strict: ${idList(nonStrict)}`,
          ]
        : []),
    ];
    headline = `Not ready: ${parts.join('; ')}`;
  }
  return { ready, headline, failedMust, nonStrict, skipped };
}

function areasOf(cases: readonly ReportCase[]): ReportArea[] {
  const present = new Set(cases.map((c) => c.area));
  const known: readonly string[] = AREAS;
  const order = [
    ...AREAS.filter((a) => present.has(a)),
    ...[...present].filter((a) => !known.includes(a)),
  ];
  return order.map((area) => ({
    area,
    title: (AREA_TITLES as Readonly<Record<string, string>>)[area] ?? area.toUpperCase(),
    counts: countOutcomes(cases.filter((c) => c.area === area)),
  }));
}

function selectionOf(s: ReportSelection | undefined): ReportSelection {
  return {
    ...(s?.areas !== undefined && s.areas.length > 0 ? { areas: [...s.areas] } : {}),
    ...(s?.include !== undefined && s.include.length > 0 ? { include: [...s.include] } : {}),
    ...(s?.exclude !== undefined && s.exclude.length > 0 ? { exclude: [...s.exclude] } : {}),
  };
}

function checkInput(input: BuildReportInput): void {
  const bad = (message: string): never => {
    throw new ReportError('REPORT_E_INPUT', message);
  };
  const start = input.startedAt.getTime();
  const end = input.endedAt.getTime();
  if (!Number.isFinite(start) || !Number.isFinite(end)) bad('a run timestamp is not a valid date');
  if (end < start) bad('the run ends before it starts');
  if (input.id.trim() === '') bad('the run id is empty');
  if (input.target !== undefined && !REPORT_TARGETS.includes(input.target)) {
    bad(`the target ${JSON.stringify(input.target)} is not one of ${REPORT_TARGETS.join(', ')}`);
  }
  if (input.relay !== undefined && !REPORT_RELAYS.includes(input.relay)) {
    bad(`the relay ${JSON.stringify(input.relay)} is not one of ${REPORT_RELAYS.join(', ')}`);
  }
  if (input.relayConfig !== undefined && input.relay !== 'external') {
    bad('a relay config is given, but the relay is not external');
  }
  if (input.namespaces !== undefined && input.target !== 'azure') {
    bad('namespaces are given, but the target is not azure');
  }
  const seen = new Set<string>();
  for (const o of input.outcomes) {
    if (seen.has(o.case.id)) bad(`case ${o.case.id} is given twice`);
    seen.add(o.case.id);
    if (!Number.isFinite(o.ms) || o.ms < 0) bad(`case ${o.case.id} has a duration of ${o.ms} ms`);
  }
}

/** Validates a document the builder made: a refusal becomes REPORT_E_INPUT (same details). */
function validated(document: unknown, what: string): Report {
  try {
    return parseReport(document);
  } catch (e) {
    if (e instanceof RelaycheckError) {
      throw new ReportError(
        'REPORT_E_INPUT',
        `the ${what} makes no valid report: ${e.message}`,
        e.details,
      );
    }
    throw e;
  }
}

/** The report of a finished run. Throws REPORT_E_INPUT for unusable run data. */
export function buildReport(input: BuildReportInput): Report {
  checkInput(input);
  const cases = input.outcomes.map(toCase);
  const strict = input.strict === true;
  const profile = REPORT_PROFILES.find((p) => p === input.profile) ?? 'default';
  const areas = areasOf(cases);
  const security = buildSecuritySection({ cases, areas, antivirus: input.antivirus });
  const document = {
    schema: REPORT_SCHEMA,
    version: REPORT_VERSION,
    run: {
      id: input.id,
      startedAt: input.startedAt.toISOString(),
      endedAt: input.endedAt.toISOString(),
      durationMs: input.endedAt.getTime() - input.startedAt.getTime(),
      seed: input.seed ?? null,
      strict,
      profile,
      target: input.target ?? 'simulator',
      relay: input.relay ?? 'reference',
      ...(input.relayConfig !== undefined ? { relayConfig: bounded(input.relayConfig) } : {}),
      ...(input.namespaces !== undefined
        ? {
            namespaces: {
              serviceBus: {
                host: bounded(input.namespaces.serviceBus.host),
                keyName: bounded(input.namespaces.serviceBus.keyName),
              },
              relay: {
                host: bounded(input.namespaces.relay.host),
                keyName: bounded(input.namespaces.relay.keyName),
              },
              tenant: bounded(input.namespaces.tenant),
            },
          }
        : {}),
      selection: selectionOf(input.selection),
      command: redact(input.command ?? 'relaycheck run'),
    },
    environment: input.environment,
    verdict: verdictOf(cases, strict),
    counts: countOutcomes(cases),
    areas,
    cases,
    ...(security !== undefined ? { security } : {}),
  };
  return validated(document, 'run data');
}

/** What a benchmark report needs besides its bench section. */
export interface BenchReportMeta {
  /** The run's id, e.g. `runId(startedAt)` of suites/runner/run.ts. */
  readonly id: string;
  readonly environment: ReportEnvironment;
}

/** Every text of `value` redacted (names, descriptions, notes, error samples, the command). */
function redactTexts<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactTexts(v)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactTexts(v)])) as T;
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Error samples are arbitrary error text: the first few are kept, each clipped. Works on any
 * value (the schema refuses what is not a section afterwards).
 */
function clipErrorSamples(section: unknown): unknown {
  if (!isRecord(section) || !Array.isArray(section.workloads)) return section;
  const max = BENCH_LIMITS.errorText;
  const clip = (s: unknown): unknown =>
    typeof s === 'string' && s.length > max ? `${s.slice(0, max - 3)}...` : s;
  return {
    ...section,
    workloads: section.workloads.map((w: unknown) =>
      isRecord(w) && Array.isArray(w.errorSamples)
        ? { ...w, errorSamples: w.errorSamples.slice(0, BENCH_LIMITS.errorSamples).map(clip) }
        : w,
    ),
  };
}

/**
 * The report of a benchmark run (`relaycheck bench relay`): no cases, so no verdict on go-live
 * (the headline says "Benchmark ...: no conformance cases were run; figures below" and `ready`
 * is true: the run exits 0), the run's times and command from the section, and the section
 * itself with every text redacted and the error samples clipped. Throws REPORT_E_INPUT with
 * the path of the first field that is not valid (`bench.workloads[0].steps[2].p95Ms`).
 */
export function buildBenchReport(section: BenchSection, meta: BenchReportMeta): Report {
  const parsed = benchSectionSchema.safeParse(clipErrorSamples(redactTexts(section)));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = pathText(['bench', ...(issue?.path ?? [])]);
    throw new ReportError(
      'REPORT_E_INPUT',
      `the benchmark data makes no valid report at ${path}: ${issue?.message ?? 'invalid'}`,
      { path },
    );
  }
  if (meta.id.trim() === '') throw new ReportError('REPORT_E_INPUT', 'the run id is empty');
  const bench = parsed.data;
  const startedAt = new Date(bench.startedAt);
  const endedAt = new Date(bench.finishedAt);
  const profile = REPORT_PROFILES.find((p) => p === bench.profile.name) ?? 'default';
  const document = {
    schema: REPORT_SCHEMA,
    version: REPORT_VERSION,
    run: {
      id: meta.id,
      startedAt: startedAt.toISOString(),
      endedAt: endedAt.toISOString(),
      durationMs: endedAt.getTime() - startedAt.getTime(),
      seed: null,
      strict: false,
      profile,
      target: 'simulator',
      relay: 'reference',
      selection: {},
      command: bench.command,
    },
    environment: meta.environment,
    verdict: {
      ready: true,
      headline: benchHeadline(bench),
      failedMust: [],
      nonStrict: [],
      skipped: [],
    },
    counts: countOutcomes([]),
    areas: [],
    cases: [],
    bench,
  };
  return validated(document, 'benchmark data');
}

/** What a scenario report needs besides the run. */
export interface ScenarioReportMeta {
  /** The run's id, e.g. `<scenario>-<time>`. */
  readonly id: string;
  readonly environment: ReportEnvironment;
}

/** The catalogue's entry of a scenario's case, or one made from the scenario's own facts. */
function scenarioCase(s: ScenarioSection): Case {
  const known = findCase(s.scenario.case);
  if (known !== undefined) return known;
  return {
    id: s.scenario.case,
    area: 'fault',
    level: 'must',
    title: s.scenario.title,
    requirement: s.scenario.description.trim() === '' ? s.scenario.title : s.scenario.description,
    source: `issue 11 (fault reproduction), scenario ${s.scenario.name}`,
    profiles: ['default', 'min-spec'],
  };
}

/** The case of a scenario run: its verdicts as assertions, the failed ones as its failures. */
function scenarioCaseInput(s: ScenarioSection): ReportCaseInput {
  const failed = s.verdicts.filter((v) => !v.pass);
  const unsettled = s.settled ? [] : ['the run did not settle within its bound'];
  return {
    case: scenarioCase(s),
    outcome: s.outcome,
    ms: s.wallMs,
    ...(s.outcome === 'fail'
      ? {
          reason: [
            `${failed.length} of ${s.verdicts.length} expectations failed: ${failed.map((v) => v.what).join('; ')}`,
            ...unsettled,
          ].join('; '),
        }
      : {}),
    failures: failed.map((v) => v.what),
    assertions: s.verdicts.map((v) => ({
      name: v.what,
      ok: v.pass,
      expected: v.expected,
      observed: v.observed,
      diag: `check: ${v.check}`,
    })),
  };
}

/**
 * The report of a fault reproduction (`relaycheck reproduce`): one FAULT case (pass or fail,
 * the verdicts as its assertions with expected and observed), a headline "Scenario FAULT-NNN
 * ...", the run's seed, times and rerun command, and the scenario section (./scenario.ts).
 * Throws REPORT_E_INPUT with the path of the first field that is not valid.
 */
export function buildScenarioReport(input: ScenarioInput, meta: ScenarioReportMeta): Report {
  if (meta.id.trim() === '') throw new ReportError('REPORT_E_INPUT', 'the run id is empty');
  const parsed = scenarioSectionSchema.safeParse(buildScenarioSection(input));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = pathText(['scenario', ...(issue?.path ?? [])]);
    throw new ReportError(
      'REPORT_E_INPUT',
      `the scenario run makes no valid report at ${path}: ${issue?.message ?? 'invalid'}`,
      { path },
    );
  }
  const scenario = parsed.data;
  const cases = [toCase(scenarioCaseInput(scenario))];
  const startedAt = new Date(scenario.startedAt);
  const endedAt = new Date(startedAt.getTime() + Math.round(scenario.wallMs));
  const verdict = verdictOf(cases, false);
  const document = {
    schema: REPORT_SCHEMA,
    version: REPORT_VERSION,
    run: {
      id: meta.id,
      startedAt: startedAt.toISOString(),
      endedAt: endedAt.toISOString(),
      durationMs: endedAt.getTime() - startedAt.getTime(),
      seed: scenario.seed,
      strict: false,
      profile: 'default',
      target: 'simulator',
      relay: 'reference',
      selection: { include: [scenario.scenario.case] },
      command: scenario.command,
    },
    environment: meta.environment,
    verdict: { ...verdict, headline: scenarioHeadline(scenario) },
    counts: countOutcomes(cases),
    areas: areasOf(cases),
    cases,
    scenario,
  };
  return validated(document, 'scenario run');
}
