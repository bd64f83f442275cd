// The report's security section (issue 10; docs/report.md, "security"). In: the report's cases as
// built (redacted, clipped), its areas (for their titles) and the run's optional antivirus facts
// (whether clamd was there and its version, the relay's scanner mode). Out: one row per attack
// (the cases of the security areas and the security checks of other areas, SECURITY_CASE_IDS):
// its group, case id, the attack (case title), the verdict (the case outcome; pass = refused as
// required), expected vs observed and a few telling evidence lines (typed error codes and rules,
// dead-letter reasons, AV signature names, TLS errors) from the case's assertions, events and
// metrics, redacted and clipped; counts per group and overall; the antivirus facts. Also the
// section's zod schema, the checks of a section against its report's cases, and the words both
// renderers use. Pure; it imports nothing of the report at run time, so schema.ts can import it.
import { z } from 'zod';
import { ReportError } from './errors';
import { redact } from './redact';
import type { OutcomeCounts, ReportCase, ReportOutcome } from './schema';

/** The areas whose every case is an attack (suites/catalogue/{xml,pdf,fn,tls,av,sec}.ts). */
export const SECURITY_AREAS = ['xml', 'pdf', 'fn', 'tls', 'av', 'sec'] as const;

/**
 * The cases of other areas that are security checks: tampered, moved, replayed or stale sealed
 * bodies, handshake forgery and replay, SAS tokens, TLS floors, ports and exposure, refused
 * routes and content. An id the catalogue does not have is ignored.
 */
export const SECURITY_CASE_IDS: readonly string[] = Object.freeze([
  ...range('ENV', 4, 17),
  'ENV-024',
  ...range('HS', 2, 9),
  'HS-013',
  'HS-014',
  'HS-017',
  'HS-025',
  'HS-029',
  ...range('SAS', 4, 10),
  'SAS-012',
  'SAS-017',
  'SB-008',
  'SB-009',
  'SB-022',
  'SB-024',
  'PORT-008',
  'PORT-009',
  'PORT-011',
  'ROUTE-009',
  'ROUTE-010',
]);

function range(prefix: string, from: number, to: number): string[] {
  const out: string[] = [];
  for (let n = from; n <= to; n++) out.push(`${prefix}-${String(n).padStart(3, '0')}`);
  return out;
}

/** What the relay does with a file when clamd cannot scan it: refuse it, or let it through. */
export const SCANNER_MODES = ['fail-closed', 'fail-open'] as const;
export type ScannerMode = (typeof SCANNER_MODES)[number];
/** The relay's own default, assumed when the run does not state its mode. */
export const DEFAULT_SCANNER_MODE: ScannerMode = 'fail-closed';

/** The bounds of the section; the builder clips to them, the reader refuses beyond them. */
export const SECURITY_LIMITS = Object.freeze({
  /** Evidence lines kept per attack (then one line counting the rest). */
  evidenceLines: 4,
  /** Characters of an evidence line, an expected and an observed value. */
  line: 240,
  /** Characters of a reason (why it failed, or was skipped). */
  reason: 600,
  /** Characters of clamd's version line and of a note. */
  version: 200,
  note: 400,
  /** Distinct skip reasons of the AV cases kept. */
  skipReasons: 5,
});

/** One attack of the run and what became of it. */
export interface SecurityRow {
  readonly id: string;
  readonly area: string;
  /** The area's title: `Hostile XML`, `Message envelope`. */
  readonly group: string;
  /** The case title. */
  readonly attack: string;
  readonly level: 'must' | 'should';
  /** The case outcome: `pass` is refused as required. */
  readonly outcome: ReportOutcome;
  /** Why it did not pass (the skip reason, the failed assertions); null for a pass. */
  readonly reason: string | null;
  readonly expected: string | null;
  readonly observed: string | null;
  /** The most telling lines of the case's evidence, clipped. */
  readonly evidence: readonly string[];
}

export interface SecurityGroup {
  readonly area: string;
  readonly title: string;
  readonly counts: OutcomeCounts;
}

/** What the run says about its antivirus scanner. */
export interface SecurityAntivirus {
  /** `unknown`: the run did not say. */
  readonly clamd: 'available' | 'unavailable' | 'unknown';
  /** `clamd --version`'s line, e.g. `ClamAV 1.4.6`; null when not known. */
  readonly clamdVersion: string | null;
  /** Why clamd was not available, or what else the run said about it. */
  readonly clamdNote: string | null;
  readonly scannerMode: ScannerMode;
  /** `run`: the run stated the mode; `default`: it did not, the relay's default is assumed. */
  readonly scannerModeSource: 'run' | 'default';
  /** The distinct reasons the run's AV cases were skipped (none when none was). */
  readonly skipReasons: readonly string[];
}

export interface SecuritySection {
  /** Attacks by outcome over the whole section. */
  readonly counts: OutcomeCounts;
  /** One per group that has an attack, in the order of the rows. */
  readonly groups: readonly SecurityGroup[];
  /** The security areas' groups first (xml, pdf, fn, tls, av, sec), then the others'. */
  readonly rows: readonly SecurityRow[];
  /** Present when the run stated antivirus facts, or an AV case is in the rows. */
  readonly antivirus?: SecurityAntivirus;
}

/** Antivirus facts as the run gives them to the builder; every field optional. */
export interface AntivirusFacts {
  /** Whether clamd could be used in the run (installed); undefined: not known. */
  readonly clamdAvailable?: boolean | undefined;
  /** `clamd --version`'s first line. */
  readonly clamdVersion?: string | undefined;
  /** Why clamd was not available (e.g. not installed), or anything else to say about it. */
  readonly clamdNote?: string | undefined;
  /** The relay's scanner mode in the run's worlds; default 'fail-closed' (the relay's). */
  readonly scannerMode?: ScannerMode | undefined;
}

export interface SecurityInput {
  readonly cases: readonly ReportCase[];
  /** The report's areas, for the group titles (an area not listed is named by its id). */
  readonly areas: readonly { readonly area: string; readonly title: string }[];
  readonly antivirus?: AntivirusFacts | undefined;
}

/** Whether a case is an attack of the security section. */
export function isSecurityCase(c: { readonly id: string; readonly area: string }): boolean {
  return (SECURITY_AREAS as readonly string[]).includes(c.area) || SECURITY_CASE_IDS.includes(c.id);
}

// ---------------------------------------------------------------------------------------------
// Words (both renderers)

/** The verdict of an attack in words. */
export const SECURITY_VERDICTS: Readonly<Record<ReportOutcome, string>> = Object.freeze({
  pass: 'refused',
  fail: 'failed',
  'non-strict': 'non-strict',
  skip: 'skipped',
  info: 'info',
});

/** What each verdict means. */
export const SECURITY_VERDICT_MEANING: Readonly<Record<ReportOutcome, string>> = Object.freeze({
  pass: 'refused as required (the case passed)',
  fail: 'a must-level attack was not refused as required',
  'non-strict': 'a should-level attack was not handled as recommended',
  skip: 'not tried (with the reason)',
  info: 'a finding without a verdict',
});

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `46 attacks: 44 refused, 1 failed, 1 skipped` (non-strict and info only when there are). */
export function securityTally(counts: OutcomeCounts): string {
  const parts = [
    `${counts.pass} refused`,
    `${counts.fail} failed`,
    ...(counts['non-strict'] > 0 ? [`${counts['non-strict']} non-strict`] : []),
    `${counts.skip} skipped`,
    ...(counts.info > 0 ? [`${counts.info} info`] : []),
  ];
  return `${plural(counts.total, 'attack', 'attacks')}: ${parts.join(', ')}`;
}

/** The antivirus facts as name/value pairs for a table. */
export function antivirusFacts(av: SecurityAntivirus): [string, string][] {
  const clamd =
    av.clamd === 'available'
      ? `available${av.clamdVersion === null ? '' : ` (${av.clamdVersion})`}`
      : av.clamd === 'unavailable'
        ? 'not available'
        : 'not stated by the run';
  const mode =
    av.scannerMode === 'fail-closed'
      ? 'fail-closed: nothing is written unscanned (retried while clamd is unavailable; a file it cannot scan is dead-lettered)'
      : 'fail-open: a file clamd cannot scan is written unscanned, and its event says so';
  return [
    ['clamd', `${clamd}${av.clamdNote === null ? '' : `: ${av.clamdNote}`}`],
    [
      'scanner mode',
      `${mode}${av.scannerModeSource === 'default' ? " (the relay's default; the run did not state it)" : ''}`,
    ],
    ...(av.skipReasons.length > 0
      ? [['AV cases skipped because', av.skipReasons.join('; ')] as [string, string]]
      : []),
  ];
}

// ---------------------------------------------------------------------------------------------
// The builder

/** `text` cut to `max` characters, the last one "…" when cut (never half a surrogate pair). */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(max - 1, 0);
  const last = text.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** Redacted, on one line, then clipped (a cut never leaves half a key). */
function clean(text: string, max: number): string {
  return clip(
    redact(text)
      .replace(/\s*\r?\n\s*/g, ' ⏎ ')
      .trim(),
    max,
  );
}

/** A typed error code: RELAY_E_CONTENT_XML, HS_E_FORMAT, SAS_E_EXPIRED. */
const CODE = /\b[A-Z][A-Z0-9]*_E_[A-Z0-9_]+\b/;
/** Event fields that say why something was refused, in the order they are shown. */
const TELLING_FIELDS = [
  'code',
  'errorCode',
  'rule',
  'reason',
  'deadLetterReason',
  'deadLetterErrorDescription',
  'condition',
  // an AV signature name: never in a field named `signature`, which is redacted as a SAS one
  'virus',
  'threat',
  'alert',
  'tlsError',
  'error',
  // what a check flagged but let through, and the declared file name as logged
  'findings',
  'declaredName',
] as const;
/** Fields that say what was refused, shown after the outcome of a telling event. */
const CONTEXT_FIELDS = ['kind', 'route', 'port'] as const;
/** Fields that hold an outcome; telling when the outcome is a refusal (or a file unscanned). */
const VERDICT_FIELDS = ['outcome', 'verdict', 'state', 'status', 'scan'] as const;
const REFUSAL =
  /refus|reject|dead|den(?:y|ied)|drop|fail|infect|unscanned|found|expired|invalid|block|alert|error|stale|forbidden|unauthori[sz]ed|^4\d\d$|^5\d\d$/i;
/** Assertion names worth showing for a passing attack. */
const TELLING_NAME =
  /refus|reject|dead-?letter|found|signature|virus|infect|alert|tls|certificate|cipher|canary|nothing (?:is )?written|no (?:file|partial)|_E_|stale|replay|expired|forbidden|401|403|422/i;

type FieldValue = string | number | boolean | null;

function fieldValueText(v: FieldValue): string {
  return v === null ? 'null' : String(v);
}

/** The telling line of an event, or undefined when it says nothing about a refusal. */
function eventLine(e: {
  readonly channel: string;
  readonly text: string;
  readonly fields?: Readonly<Record<string, FieldValue>>;
}): string | undefined {
  const fields = e.fields ?? {};
  const telling = TELLING_FIELDS.filter(
    (k) => Object.hasOwn(fields, k) && fields[k] !== null && fields[k] !== '',
  );
  const verdicts = VERDICT_FIELDS.filter(
    (k) => Object.hasOwn(fields, k) && REFUSAL.test(fieldValueText(fields[k] ?? null)),
  );
  if (telling.length === 0 && verdicts.length === 0) {
    return CODE.test(e.text) ? `${e.channel}: ${e.text}` : undefined;
  }
  const context = CONTEXT_FIELDS.filter((k) => Object.hasOwn(fields, k));
  const shown = [...verdicts, ...context, ...telling].map(
    (k) => `${k}=${fieldValueText(fields[k] ?? null)}`,
  );
  return `${e.channel}: ${shown.join(' ')}`;
}

/** Lines in their first order, each once, with `(×N)` when it came N times. */
class Lines {
  readonly #seen = new Map<string, number>();

  add(line: string): void {
    const key = clean(line, SECURITY_LIMITS.line);
    if (key === '') return;
    this.#seen.set(key, (this.#seen.get(key) ?? 0) + 1);
  }

  list(): string[] {
    return [...this.#seen].map(([line, n]) =>
      n === 1 ? line : clip(`${line} (×${n})`, SECURITY_LIMITS.line),
    );
  }
}

function evidenceLines(c: ReportCase): string[] {
  const events = new Lines();
  for (const e of c.evidence.events ?? []) {
    const line = eventLine(e);
    if (line !== undefined) events.add(line);
  }
  const failed = new Lines();
  const held = new Lines();
  const assertions = c.evidence.assertions ?? [];
  for (const a of assertions) {
    if (!a.ok) failed.add(`FAILED: ${a.name}`);
    else if (TELLING_NAME.test(a.name)) held.add(`ok: ${a.name}`);
  }
  if (assertions.length === 0) {
    for (const f of c.evidence.failures) failed.add(`FAILED: ${f}`);
  }
  const measured = new Lines();
  for (const m of c.evidence.metrics ?? []) {
    if (m.kind === 'samples' && m.values.length > 0 && m.values.length <= 5) {
      measured.add(`${m.name}: ${m.values.join(', ')}${m.unit === '' ? '' : ` ${m.unit}`}`);
    }
  }
  // a failed attack shows its failed assertions first; a refused one what the relay said
  const ordered =
    c.outcome === 'pass'
      ? [...events.list(), ...held.list(), ...measured.list()]
      : [...failed.list(), ...events.list(), ...held.list(), ...measured.list()];
  const max = SECURITY_LIMITS.evidenceLines;
  if (ordered.length <= max) return ordered;
  return [
    ...ordered.slice(0, max),
    `… and ${ordered.length - max} more (the case's details have its whole evidence)`,
  ];
}

/** Expected and observed: the first failed assertion that has them, else the first that does. */
function expectedObserved(c: ReportCase): { expected: string | null; observed: string | null } {
  const assertions = c.evidence.assertions ?? [];
  const has = (a: (typeof assertions)[number]): boolean =>
    a.expected !== undefined || a.observed !== undefined;
  const chosen = assertions.find((a) => !a.ok && has(a)) ?? assertions.find(has);
  const text = (v: string | undefined): string | null =>
    v === undefined ? null : clean(v, SECURITY_LIMITS.line);
  return { expected: text(chosen?.expected), observed: text(chosen?.observed) };
}

function reasonOf(c: ReportCase): string | null {
  if (c.outcome === 'pass') return null;
  const text = c.reason ?? (c.evidence.failures.join('; ') || null);
  return text === null ? null : clean(text, SECURITY_LIMITS.reason);
}

function countOf(rows: readonly { readonly outcome: ReportOutcome }[]): OutcomeCounts {
  const counts: Record<ReportOutcome, number> = {
    pass: 0,
    'non-strict': 0,
    fail: 0,
    skip: 0,
    info: 0,
  };
  for (const r of rows) counts[r.outcome] += 1;
  return { ...counts, total: rows.length };
}

function antivirusOf(
  facts: AntivirusFacts | undefined,
  rows: readonly SecurityRow[],
): SecurityAntivirus | undefined {
  const avRows = rows.filter((r) => r.area === 'av');
  if (facts === undefined && avRows.length === 0) return undefined;
  const bad = (message: string): never => {
    throw new ReportError('REPORT_E_INPUT', `the antivirus facts: ${message}`, {
      path: 'security.antivirus',
    });
  };
  const f = facts ?? {};
  if (f.scannerMode !== undefined && !SCANNER_MODES.includes(f.scannerMode)) {
    bad(
      `the scanner mode ${JSON.stringify(f.scannerMode)} is not one of ${SCANNER_MODES.join(', ')}`,
    );
  }
  if (f.clamdAvailable !== undefined && typeof f.clamdAvailable !== 'boolean') {
    bad('clamdAvailable is not true or false');
  }
  const text = (v: unknown, max: number): string | null =>
    typeof v === 'string' && v.trim() !== '' ? clean(v, max) : null;
  const skipReasons = [
    ...new Set(
      avRows
        .filter((r) => r.outcome === 'skip')
        .map((r) => r.reason ?? '(no reason recorded)')
        .map((r) => clean(r, SECURITY_LIMITS.note)),
    ),
  ].slice(0, SECURITY_LIMITS.skipReasons);
  return {
    clamd:
      f.clamdAvailable === undefined ? 'unknown' : f.clamdAvailable ? 'available' : 'unavailable',
    clamdVersion: text(f.clamdVersion, SECURITY_LIMITS.version),
    clamdNote: text(f.clamdNote, SECURITY_LIMITS.note),
    scannerMode: f.scannerMode ?? DEFAULT_SCANNER_MODE,
    scannerModeSource: f.scannerMode === undefined ? 'default' : 'run',
    skipReasons,
  };
}

/**
 * The security section of a report with these cases, or undefined when none of them is an
 * attack (the report then has no section). Throws REPORT_E_INPUT for antivirus facts that are
 * not valid (a scanner mode that is not one of SCANNER_MODES).
 */
export function buildSecuritySection(input: SecurityInput): SecuritySection | undefined {
  const attacks = input.cases.filter(isSecurityCase);
  if (attacks.length === 0) return undefined;
  const titles = new Map(input.areas.map((a) => [a.area, a.title]));
  const known: readonly string[] = SECURITY_AREAS;
  const present = [...new Set(attacks.map((c) => c.area))];
  const areaOrder = [
    ...SECURITY_AREAS.filter((a) => present.includes(a)),
    ...input.areas.map((a) => a.area).filter((a) => present.includes(a) && !known.includes(a)),
    ...present.filter((a) => !known.includes(a) && !titles.has(a)),
  ];
  const rows: SecurityRow[] = [];
  for (const area of areaOrder) {
    const group = titles.get(area) ?? area.toUpperCase();
    for (const c of attacks.filter((x) => x.area === area)) {
      rows.push({
        id: c.id,
        area,
        group,
        attack: c.title,
        level: c.level,
        outcome: c.outcome,
        reason: reasonOf(c),
        ...expectedObserved(c),
        evidence: evidenceLines(c),
      });
    }
  }
  const antivirus = antivirusOf(input.antivirus, rows);
  return {
    counts: countOf(rows),
    groups: areaOrder.map((area) => ({
      area,
      title: titles.get(area) ?? area.toUpperCase(),
      counts: countOf(rows.filter((r) => r.area === area)),
    })),
    rows,
    ...(antivirus !== undefined ? { antivirus } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// The schema (the reader)

const L = SECURITY_LIMITS;
const count = z.number().int().nonnegative();
const nonEmpty = z.string().min(1);
const caseId = z.string().regex(/^[A-Z]{2,6}-\d{3}$/, 'a case id (AREA-NNN)');
const areaId = z.string().regex(/^[a-z]{2,6}$/, 'an area id (2-6 lower-case letters)');
const OUTCOMES = ['pass', 'non-strict', 'fail', 'skip', 'info'] as const satisfies readonly [
  ReportOutcome,
  ...ReportOutcome[],
];
const countsSchema = z.strictObject({
  pass: count,
  'non-strict': count,
  fail: count,
  skip: count,
  info: count,
  total: count,
});

const rowSchema = z.strictObject({
  id: caseId,
  area: areaId,
  group: nonEmpty,
  attack: nonEmpty,
  level: z.enum(['must', 'should']),
  outcome: z.enum(OUTCOMES),
  reason: z.string().max(L.reason).nullable(),
  expected: z.string().max(L.line).nullable(),
  observed: z.string().max(L.line).nullable(),
  evidence: z.array(z.string().max(L.line)).max(L.evidenceLines + 1),
});

const antivirusSchema = z.strictObject({
  clamd: z.enum(['available', 'unavailable', 'unknown']),
  clamdVersion: z.string().min(1).max(L.version).nullable(),
  clamdNote: z.string().min(1).max(L.note).nullable(),
  scannerMode: z.enum(SCANNER_MODES),
  scannerModeSource: z.enum(['run', 'default']),
  skipReasons: z.array(z.string().max(L.note)).max(L.skipReasons),
});

/** The section as report.json holds it (its agreement with the cases: securityProblems). */
export const securitySectionSchema = z.strictObject({
  counts: countsSchema,
  groups: z.array(z.strictObject({ area: areaId, title: nonEmpty, counts: countsSchema })).min(1),
  rows: z.array(rowSchema).min(1),
  antivirus: antivirusSchema.optional(),
});

/** A place where a section disagrees with its report, by path from the report's root. */
export interface SecurityProblem {
  readonly path: (string | number)[];
  readonly message: string;
}

function sameCounts(a: OutcomeCounts, b: OutcomeCounts): boolean {
  return OUTCOMES.every((o) => a[o] === b[o]) && a.total === b.total;
}

/**
 * Where a section disagrees with the report it is in: a row that names no case of the report,
 * or says another area, title, level or outcome than its case; a case given two rows; a group
 * title that is not the area's; counts that do not match the rows; a group with no row or a
 * row with no group.
 */
export function securityProblems(
  section: SecuritySection,
  cases: readonly ReportCase[],
  areas: readonly { readonly area: string; readonly title: string }[],
): SecurityProblem[] {
  const out: SecurityProblem[] = [];
  const byId = new Map(cases.map((c) => [c.id, c]));
  const titles = new Map(areas.map((a) => [a.area, a.title]));
  const seen = new Set<string>();
  section.rows.forEach((r, i) => {
    const at = (field: string): (string | number)[] => ['security', 'rows', i, field];
    if (seen.has(r.id)) out.push({ path: at('id'), message: `${r.id} has two rows` });
    seen.add(r.id);
    const c = byId.get(r.id);
    if (c === undefined) {
      out.push({ path: at('id'), message: `${r.id} is not a case of the report` });
      return;
    }
    if (c.area !== r.area) out.push({ path: at('area'), message: `${r.id} is of area ${c.area}` });
    if (c.title !== r.attack) out.push({ path: at('attack'), message: `not ${r.id}'s title` });
    if (c.level !== r.level) out.push({ path: at('level'), message: `${r.id} is ${c.level}` });
    if (c.outcome !== r.outcome) {
      out.push({ path: at('outcome'), message: `${r.id}'s outcome is ${c.outcome}` });
    }
    const title = titles.get(r.area);
    if (title !== undefined && title !== r.group) {
      out.push({ path: at('group'), message: `the group of area ${r.area} is "${title}"` });
    }
  });
  if (!sameCounts(section.counts, countOf(section.rows))) {
    out.push({ path: ['security', 'counts'], message: 'the counts do not match the rows' });
  }
  const grouped = new Set<string>();
  section.groups.forEach((g, i) => {
    if (grouped.has(g.area)) {
      out.push({ path: ['security', 'groups', i, 'area'], message: `${g.area} appears twice` });
    }
    grouped.add(g.area);
    const rows = section.rows.filter((r) => r.area === g.area);
    if (rows.length === 0) {
      out.push({ path: ['security', 'groups', i], message: `group ${g.area} has no row` });
    }
    if (!sameCounts(g.counts, countOf(rows))) {
      out.push({
        path: ['security', 'groups', i, 'counts'],
        message: `the counts of ${g.area} do not match its rows`,
      });
    }
    if (rows.some((r) => r.group !== g.title)) {
      out.push({ path: ['security', 'groups', i, 'title'], message: `not its rows' group` });
    }
  });
  const loose = section.rows.findIndex((r) => !grouped.has(r.area));
  if (loose >= 0) {
    out.push({ path: ['security', 'rows', loose, 'area'], message: 'its area has no group' });
  }
  return out;
}
