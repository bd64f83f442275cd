// A case's evidence made fit for the report, pure. In: what its test recorded (assertions with
// expected/observed, an event log slice, metrics) as results.jsonl carried it, of any shape.
// Out: the same redacted of keys and tokens and clipped to the schema's bounds (texts cut with
// "…", events thinned to first and last halves, failed assertions kept first), drops counted.
import { redact, REDACTED } from './redact';
import {
  EVIDENCE_LIMITS as L,
  type ReportAssertion,
  type ReportEvent,
  type ReportFieldValue,
  type ReportMetric,
} from './schema';

/** The evidence fields of a case as its test recorded them (see ReportCaseInput). */
export interface EvidenceInput {
  readonly assertions?: readonly ReportAssertion[] | undefined;
  readonly events?: readonly ReportEvent[] | undefined;
  readonly eventsDropped?: number | undefined;
  readonly metrics?: readonly ReportMetric[] | undefined;
}

/** The evidence fields of a report case (all optional: absent when nothing was recorded). */
export interface EvidenceOutput {
  assertions?: ReportAssertion[];
  assertionsDropped?: number;
  events?: ReportEvent[];
  eventsDropped?: number;
  metrics?: ReportMetric[];
}

/** Field names whose value is a secret whatever it looks like (a hex key, a password). */
const SECRET_FIELD =
  /^(?:sig|signature|key|secret|password|passphrase|token|sas|sastoken|accesskey|sharedaccesskey|sharedaccesssignature|primarykey|secondarykey|accountkey|authorization|auth|credential|credentials|connectionstring)$/i;
/** ... or that end in one as a word: tenantKey, hc_token, x-api-key, clientSecret. */
const SECRET_SUFFIX =
  /(?:[_.-](?:key|token|secret|password|sig|signature)|[a-z0-9](?:Key|Token|Secret|Password|Sig|Signature))$/;
/** Keys that name things, not secrets (evidence worth keeping). */
const NAMING_KEY = /^(?:idempotency|cache|partition|session|routing|message|dedup|sort)[_.-]?key$/i;

/** Whether a field's value is a secret by its name. */
export function isSecretField(name: string): boolean {
  return SECRET_FIELD.test(name) || (SECRET_SUFFIX.test(name) && !NAMING_KEY.test(name));
}

/** `text` cut to `max` characters, the last one "…" when cut (never half a surrogate pair). */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(max - 1, 0);
  const last = text.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** Any recorded value as text: a string as it is, anything else as JSON. */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  try {
    // JSON.stringify answers undefined for undefined and functions, though typed as string
    const json = JSON.stringify(value) as string | undefined;
    return json ?? typeof value;
  } catch {
    return typeof value; // a cycle: shown as its type, never a crash
  }
}

/** Redacted, then clipped (in that order, so a cut can never leave half a key behind). */
function clean(value: unknown, max: number): string {
  return clipText(redact(textOf(value)), max);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** An optional text: absent stays absent, anything else is redacted and clipped. */
function optional(value: unknown, max: number): string | undefined {
  return value === undefined || value === null ? undefined : clean(value, max);
}

function assertionOf(a: Record<string, unknown>): ReportAssertion {
  const diag = optional(a.diag, L.assertionText);
  const expected = optional(a.expected, L.assertionText);
  const observed = optional(a.observed, L.assertionText);
  const at = optional(a.at, L.at);
  return {
    // the name is a failure line's twin: bounded like one (4000), not like the diag
    name: clean(a.name ?? '(unnamed assertion)', 4000),
    ok: a.ok === true,
    ...(diag !== undefined ? { diag } : {}),
    ...(expected !== undefined ? { expected } : {}),
    ...(observed !== undefined ? { observed } : {}),
    ...(at !== undefined ? { at } : {}),
  };
}

/**
 * At most L.assertions, in their recorded order: every failed one is kept before any passing
 * one (failed ones beyond the bound too are left out only once no passing one is left).
 */
function assertionsOf(list: readonly unknown[]): { kept: ReportAssertion[]; dropped: number } {
  const shaped = list.filter(isObject);
  const failed = shaped.filter((a) => a.ok !== true).length;
  let passRoom = Math.max(L.assertions - failed, 0);
  let failRoom: number = L.assertions;
  const kept: ReportAssertion[] = [];
  for (const a of shaped) {
    if (a.ok === true) {
      if (passRoom === 0) continue;
      passRoom -= 1;
    } else {
      if (failRoom === 0) continue;
      failRoom -= 1;
    }
    kept.push(assertionOf(a));
  }
  return { kept, dropped: list.length - kept.length };
}

function fieldsOf(value: unknown): Record<string, ReportFieldValue> | undefined {
  if (!isObject(value)) return undefined;
  const out: Record<string, ReportFieldValue> = {};
  let n = 0;
  for (const [rawKey, v] of Object.entries(value)) {
    if (n === L.fields) break;
    if (v === undefined) continue;
    const key = clean(rawKey, L.fieldKey);
    if (Object.hasOwn(out, key)) continue;
    if (isSecretField(rawKey) && v !== null) out[key] = REDACTED;
    else if (v === null || typeof v === 'boolean' || isFiniteNumber(v)) out[key] = v;
    else if (typeof v === 'number')
      out[key] = String(v); // NaN, Infinity: shown, not lost
    else out[key] = clean(v, L.fieldText);
    n += 1;
  }
  return out;
}

function sourceOf(value: unknown): string {
  const s = clean(value ?? '', L.source).trim();
  return s.length >= 2 ? s : s.padEnd(2, '?');
}

function eventOf(e: Record<string, unknown>): ReportEvent | undefined {
  if (!isFiniteNumber(e.atMs)) return undefined;
  const fields = fieldsOf(e.fields);
  const channel = clean(e.channel ?? '', L.channel);
  return {
    atMs: Math.max(e.atMs, 0),
    source: sourceOf(e.source),
    channel: channel === '' ? '(none)' : channel,
    // one line: line breaks would break the log table's rhythm, not its meaning
    text: clean(
      typeof e.text === 'string' ? e.text.replace(/\r?\n/g, ' ⏎ ') : (e.text ?? ''),
      L.eventText,
    ),
    ...(fields !== undefined ? { fields } : {}),
  };
}

/** A count as the report can hold it: a whole number from 0 to 2^53 - 1 (else 0). */
function countOf(value: unknown): number {
  return isFiniteNumber(value) && value > 0
    ? Math.min(Math.floor(value), Number.MAX_SAFE_INTEGER)
    : 0;
}

/** The first and last halves of at most L.events events; the rest are counted as dropped. */
function eventsOf(
  list: readonly unknown[],
  droppedBefore: unknown,
): { kept: ReportEvent[]; dropped: number } {
  const shaped: ReportEvent[] = [];
  for (const e of list) {
    const event = isObject(e) ? eventOf(e) : undefined;
    if (event !== undefined) shaped.push(event);
  }
  const head = Math.ceil(L.events / 2);
  const kept =
    shaped.length > L.events
      ? [...shaped.slice(0, head), ...shaped.slice(shaped.length - (L.events - head))]
      : shaped;
  return { kept, dropped: countOf(countOf(droppedBefore) + list.length - kept.length) };
}

/** At most `max` items spread evenly over `list` (the first and last always among them). */
export function spread<T>(list: readonly T[], max: number): T[] {
  if (list.length <= max) return [...list];
  if (max <= 1) return list.slice(0, max);
  const out: T[] = [];
  for (let i = 0; i < max; i++) {
    const item = list[Math.round((i * (list.length - 1)) / (max - 1))];
    if (item !== undefined) out.push(item);
  }
  return out;
}

function metricOf(m: Record<string, unknown>): ReportMetric | undefined {
  const unit = clean(m.unit ?? '', L.unit);
  const named = (kept: number, total: number): string => {
    const note = kept < total ? ` (${kept} of ${total} kept)` : '';
    return `${clipText(redact(textOf(m.name ?? '(unnamed metric)')), L.metricName - note.length)}${note}`;
  };
  if (m.kind === 'samples' && Array.isArray(m.values)) {
    const values = spread(m.values.filter(isFiniteNumber), L.samples);
    return { name: named(values.length, m.values.length), unit, kind: 'samples', values };
  }
  if (m.kind === 'series' && Array.isArray(m.points)) {
    const points = m.points
      .filter(
        (p): p is [number, number] =>
          Array.isArray(p) && p.length === 2 && isFiniteNumber(p[0]) && isFiniteNumber(p[1]),
      )
      .map(([x, y]): [number, number] => [x, y]);
    const kept = spread(points, L.points);
    return { name: named(kept.length, m.points.length), unit, kind: 'series', points: kept };
  }
  return undefined;
}

/**
 * The evidence of a case, fit for the report: only the fields that were recorded, redacted,
 * clipped to EVIDENCE_LIMITS, with the counts of what was left out.
 */
export function evidenceOf(input: EvidenceInput): EvidenceOutput {
  const out: EvidenceOutput = {};
  const raw = input as Record<string, unknown>;
  if (Array.isArray(raw.assertions)) {
    const { kept, dropped } = assertionsOf(raw.assertions);
    out.assertions = kept;
    if (dropped > 0) out.assertionsDropped = dropped;
  }
  if (Array.isArray(raw.events)) {
    const { kept, dropped } = eventsOf(raw.events, raw.eventsDropped);
    out.events = kept;
    if (dropped > 0) out.eventsDropped = dropped;
  } else if (countOf(raw.eventsDropped) > 0) {
    out.eventsDropped = countOf(raw.eventsDropped);
  }
  if (Array.isArray(raw.metrics)) {
    const metrics: ReportMetric[] = [];
    for (const m of raw.metrics) {
      if (metrics.length === L.metrics) break;
      const metric = isObject(m) ? metricOf(m) : undefined;
      if (metric !== undefined) metrics.push(metric);
    }
    out.metrics = metrics;
  }
  return out;
}
