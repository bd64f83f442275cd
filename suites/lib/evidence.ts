// The evidence a conformance case leaves in its results line, for a reader of the report who
// does not read code. In: the running case's tap subtest (every assertion, nested ones too,
// with tap's diagnostics and the raw found/wanted values), every simulator and in-process relay
// diagnostics event published while it runs, the reference relay's events handed over by
// relay-child.ts (recordRelayEvent), and the metrics its body records (recordMetric). Out:
// `assertions` (names without the case prefix; failed ones with expected/observed/at/diag),
// `events` (a redacted slice, at most 400 with `eventsDropped`) and `metrics`.
import type {
  ReportAssertion,
  ReportEvent,
  ReportFieldValue,
  ReportMetric,
} from '../../reports/src/schema';
import { AsyncLocalStorage } from 'node:async_hooks';
import diagnostics from 'node:diagnostics_channel';
import { isAbsolute, relative } from 'node:path';
import { inspect } from 'node:util';
import { defineErrors, familyError } from '../../relay/src/protocol/errors';
import { CONNECTIVITY_CHANNELS } from '../../relay/src/connectivity/events';
import { MESSAGING_CHANNELS } from '../../relay/src/messaging/events';
import { HC_CHANNELS as RELAY_HC_CHANNELS } from '../../relay/src/transports/hc-events';
import { BACKOFFICE_CHANNELS } from '../../relay/src/work/backoffice/events';
import { CONTENT_CHANNELS } from '../../relay/src/work/content/events';
import { FILEDROP_CHANNELS } from '../../relay/src/work/filedrop/events';
import { BO_CHANNELS } from '../../simulator/src/backoffice/events';
import { HC_ALL_CHANNELS } from '../../simulator/src/cloud/hybrid/events';
import { ALL_CHANNELS as SB_ALL_CHANNELS } from '../../simulator/src/cloud/servicebus/amqp/events';
import { TENANT_CHANNELS } from '../../simulator/src/cloud/tenant/events';
import { ALL_NET_CHANNELS } from '../../simulator/src/network/events';
import { REPO_ROOT } from './scan';

// ---------------------------------------------------------------------------------------------
// The shape (shared with reports/src/schema.ts, which renders it)

/** One assertion of the case subtest or of a subtest nested in it (the report's shape). */
export type EvidenceAssertion = ReportAssertion;
export type EvidenceFieldValue = ReportFieldValue;
/** One line of the case's event log slice. */
export type EvidenceEvent = ReportEvent;
export type EvidenceMetric = ReportMetric;

/** The optional evidence fields of a case's results line (CaseResult). */
export interface CaseEvidence {
  readonly assertions?: readonly EvidenceAssertion[];
  readonly events?: readonly EvidenceEvent[];
  /** Events left out of the slice (the middle of a long case). */
  readonly eventsDropped?: number;
  readonly metrics?: readonly EvidenceMetric[];
}

/** The bounds of one case's evidence. */
export const EVIDENCE_LIMITS = Object.freeze({
  /** Passing assertions kept (names only); later ones are left out. */
  passingAssertions: 200,
  /** Failed assertions kept with their details (a runaway loop cannot make a huge line). */
  failedAssertions: 1000,
  /** Events kept from the start and from the end of the case. */
  eventsHead: 200,
  eventsTail: 200,
  /** Characters of an event's text, of a diag/expected/observed, of a field value. */
  text: 400,
  value: 2000,
  fieldValue: 200,
  fields: 16,
  /** Metric sizes (the report's contract) and metrics per case. */
  samples: 5000,
  points: 2000,
  metrics: 32,
  metricName: 200,
  metricUnit: 40,
});

// ---------------------------------------------------------------------------------------------
// Errors

export const SUITE_EVIDENCE_ERRORS = defineErrors('suite evidence', {
  SUITE_E_METRIC: {
    summary:
      'A metric a case recorded as evidence is malformed: no name or unit, a kind other than samples or series, a value that is not a finite number, more than 5000 samples or 2000 points, or more than 32 metrics in one case.',
  },
});

export class EvidenceError extends familyError(SUITE_EVIDENCE_ERRORS) {}

// ---------------------------------------------------------------------------------------------
// Channels

/**
 * Names of relay channels whose exporting module is too heavy to load in every case (relay.ts,
 * health/server.ts): 'relay:state' (RELAY_STATE_CHANNEL) and HEALTH_CHANNELS. A test checks
 * that CAPTURED_CHANNELS covers the relay's RELAY_EVENT_CHANNELS.
 */
const RELAY_UNLISTED: readonly string[] = [
  'relay:state',
  'relay:health:listening',
  'relay:health:closed',
  'relay:av',
];

/** Every diagnostics channel a case's capture subscribes to, simulator first. */
export const CAPTURED_CHANNELS: readonly string[] = Object.freeze([
  ...new Set<string>([
    ...ALL_NET_CHANNELS,
    ...SB_ALL_CHANNELS,
    ...HC_ALL_CHANNELS,
    ...Object.values(BO_CHANNELS),
    ...Object.values(TENANT_CHANNELS),
    ...Object.values(CONNECTIVITY_CHANNELS),
    ...Object.values(MESSAGING_CHANNELS),
    ...Object.values(RELAY_HC_CHANNELS),
    ...Object.values(BACKOFFICE_CHANNELS),
    ...Object.values(CONTENT_CHANNELS),
    ...Object.values(FILEDROP_CHANNELS),
    ...RELAY_UNLISTED,
  ]),
]);

/** The part of the world a channel belongs to: sim:net:dial -> 'net', relay:work -> 'relay'. */
export function sourceOf(channel: string): string {
  if (channel.startsWith('relay:')) return 'relay';
  const m = /^sim:(net|sb|hc|bo|tenant):/.exec(channel);
  return m?.[1] ?? 'sim';
}

// ---------------------------------------------------------------------------------------------
// Redaction and rendering (pure)

const SECRET_KEY = /key|secret|token|signature|sig|password|authorization|sas/i;
const REDACTED = '[redacted]';

/** Names the pattern catches that never hold a secret: a SAS rule's name, a process signal. */
const NOT_SECRET_KEYS = new Set(['keyname', 'saskeyname', 'signal']);

/** True when a field of this name may hold a secret. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !NOT_SECRET_KEYS.has(key.toLowerCase());
}

const SECRET_TEXT: readonly (readonly [RegExp, string])[] = [
  [/SharedAccessSignature(?:\s|\+|%20)+[^\s"'<>,;]*/gi, `SharedAccessSignature ${REDACTED}`],
  [/SharedAccessSignature/gi, `SharedAccessSignature ${REDACTED}`],
  [/\bsig(?:=|%3D)[^&\s"'<>,;]*/gi, `sig=${REDACTED}`],
  [/SharedAccessKey(?:=|%3D)[^;&\s"'<>,]*/gi, `SharedAccessKey=${REDACTED}`],
  [/\b(Bearer|Basic)\s+[\w.~+/=-]+/g, `$1 ${REDACTED}`],
  [/\b([\w-]*(?:token|secret|password|key))(?:=|%3D)[^&;\s"'<>,]*/gi, `$1=${REDACTED}`],
];

/** A string with anything that looks like a SAS token, signature or key removed. */
export function scrubText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_TEXT) out = out.replace(pattern, replacement);
  // The bare marker may have been produced by the first rule: keep one copy only.
  return out.replace(/(SharedAccessSignature \[redacted\])(?: \[redacted\])+/g, '$1');
}

/** At most `max` characters, with an ellipsis when cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

function oneLine(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ');
}

function byteLength(value: unknown): number | undefined {
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return value.byteLength;
  if (value instanceof ArrayBuffer) return value.byteLength;
  return undefined;
}

/**
 * A copy of `value` safe to render: secret-named keys redacted, byte arrays replaced by their
 * length, strings scrubbed, depth and width bounded.
 */
export function sanitise(value: unknown, depth = 4): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object') return value;
  const bytes = byteLength(value);
  if (bytes !== undefined) return `<${String(bytes)} bytes>`;
  if (value instanceof Error) {
    return {
      name: value.name,
      message: scrubText(value.message),
      ...sanitiseEntries(Object.entries(value), depth),
    };
  }
  if (value instanceof RegExp || value instanceof Date) return value;
  if (depth <= 0) return Array.isArray(value) ? `[${String(value.length)} items]` : '[object]';
  if (Array.isArray(value)) {
    const items = value.slice(0, 50).map((v) => sanitise(v, depth - 1));
    return value.length > 50 ? [...items, `… ${String(value.length - 50)} more`] : items;
  }
  if (value instanceof Map) {
    return new Map(
      [...value.entries()]
        .slice(0, 50)
        .map(([k, v]) => [
          k,
          typeof k === 'string' && isSecretKey(k) ? REDACTED : sanitise(v, depth - 1),
        ]),
    );
  }
  if (value instanceof Set)
    return new Set([...value].slice(0, 50).map((v) => sanitise(v, depth - 1)));
  return sanitiseEntries(Object.entries(value), depth);
}

function sanitiseEntries(entries: [string, unknown][], depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries.slice(0, 50)) {
    out[k] = isSecretKey(k) && v !== undefined && v !== null ? REDACTED : sanitise(v, depth - 1);
  }
  if (entries.length > 50) out['…'] = `${String(entries.length - 50)} more keys`;
  return out;
}

/** A value as one compact line (util.inspect, depth 4), secrets removed, at most 2000 chars. */
export function renderValue(value: unknown): string {
  const text = inspect(sanitise(value), {
    depth: 4,
    breakLength: Infinity,
    compact: true,
    maxArrayLength: 50,
    maxStringLength: EVIDENCE_LIMITS.value,
    sorted: false,
  });
  return clip(scrubText(text), EVIDENCE_LIMITS.value);
}

function fieldValue(value: unknown): EvidenceFieldValue | undefined {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') {
    return undefined;
  }
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'string') return clip(oneLine(scrubText(value)), EVIDENCE_LIMITS.fieldValue);
  const bytes = byteLength(value);
  if (bytes !== undefined) return `<${String(bytes)} bytes>`;
  if (Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object')) {
    return clip(oneLine(scrubText(value.map(String).join(','))), EVIDENCE_LIMITS.fieldValue);
  }
  return clip(oneLine(renderValue(value)), EVIDENCE_LIMITS.fieldValue);
}

/** Fields shown first (a dial: which logical port and address, and the firewall's verdict). */
const FIRST_FIELDS = ['port', 'address', 'host', 'verdict'];
/** Fields that only repeat which simulator instance spoke; left out of the one-line text. */
const QUIET_FIELDS = new Set(['model', 'namespace']);

/** A payload as flat fields: at most 16, secret-named ones redacted, bytes as their length. */
export function flatFields(data: unknown): Record<string, EvidenceFieldValue> {
  const out: Record<string, EvidenceFieldValue> = {};
  if (data === null || typeof data !== 'object' || byteLength(data) !== undefined) {
    const v = fieldValue(data);
    if (v !== undefined) out.value = v;
    return out;
  }
  const entries = Object.entries(data).filter(([, v]) => fieldValue(v) !== undefined);
  entries.sort(([a], [b]) => rank(a) - rank(b));
  const max = EVIDENCE_LIMITS.fields;
  const kept = entries.length > max ? entries.slice(0, max - 1) : entries;
  for (const [k, v] of kept) {
    out[k] = isSecretKey(k) ? REDACTED : (fieldValue(v) ?? null);
  }
  if (entries.length > max) out['…'] = `${String(entries.length - kept.length)} more fields`;
  return out;
}

function rank(key: string): number {
  const i = FIRST_FIELDS.indexOf(key);
  return i === -1 ? FIRST_FIELDS.length : i;
}

function fieldText(
  fields: Readonly<Record<string, EvidenceFieldValue>>,
  skip: Set<string>,
): string {
  return Object.entries(fields)
    .filter(([k]) => !skip.has(k) && !QUIET_FIELDS.has(k))
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}

/** The one-line summary of an event (a dial reads "dial host address:port -> verdict ..."). */
export function eventText(
  channel: string,
  fields: Readonly<Record<string, EvidenceFieldValue>>,
): string {
  const verb = channel.replace(/^(sim|relay):/, '');
  let text: string;
  if (channel === 'sim:net:dial' || channel === 'relay:egress:dial') {
    const where = [
      typeof fields.host === 'string' ? fields.host : undefined,
      fields.address !== undefined || fields.port !== undefined
        ? `${String(fields.address ?? '?')}:${String(fields.port ?? '?')}`
        : undefined,
    ]
      .filter((x) => x !== undefined)
      .join(' ');
    const rest = fieldText(fields, new Set([...FIRST_FIELDS]));
    text = `${verb} ${where} -> ${String(fields.verdict ?? '?')}${rest === '' ? '' : ` ${rest}`}`;
  } else {
    const rest = fieldText(fields, new Set());
    text = rest === '' ? verb : `${verb} ${rest}`;
  }
  return clip(oneLine(scrubText(text)), EVIDENCE_LIMITS.text);
}

/** One event of the slice from a raw diagnostics message. */
export function toEvidenceEvent(
  atMs: number,
  channel: string,
  data: unknown,
  source: string = sourceOf(channel),
): EvidenceEvent {
  const fields = flatFields(data);
  return {
    atMs: Math.max(0, Math.round(atMs * 1000) / 1000),
    source,
    channel,
    text: eventText(channel, fields),
    ...(Object.keys(fields).length > 0 ? { fields } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Metrics

function metricError(message: string, details: Record<string, string | number> = {}): never {
  throw new EvidenceError('SUITE_E_METRIC', message, details);
}

function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** A checked, frozen copy of `metric`; SUITE_E_METRIC when it does not have the shape. */
export function parseMetric(metric: unknown): EvidenceMetric {
  if (metric === null || typeof metric !== 'object') metricError('a metric is an object');
  const m = metric as Record<string, unknown>;
  const { name, unit, kind } = m;
  if (typeof name !== 'string' || name.trim() === '' || name.length > EVIDENCE_LIMITS.metricName) {
    metricError(`a metric needs a name of 1 to ${String(EVIDENCE_LIMITS.metricName)} characters`);
  }
  if (typeof unit !== 'string' || unit.trim() === '' || unit.length > EVIDENCE_LIMITS.metricUnit) {
    metricError(
      `metric "${name}" needs a unit of 1 to ${String(EVIDENCE_LIMITS.metricUnit)} characters`,
      { name },
    );
  }
  const extra = Object.keys(m).filter(
    (k) => !['name', 'unit', 'kind', 'values', 'points'].includes(k),
  );
  if (extra.length > 0)
    metricError(`metric "${name}" has unknown fields: ${extra.join(', ')}`, { name });
  if (kind === 'samples') {
    const values = m.values;
    if (!Array.isArray(values) || m.points !== undefined) {
      metricError(`samples metric "${name}" needs values: number[] (and no points)`, { name });
    }
    if (values.length > EVIDENCE_LIMITS.samples) {
      metricError(
        `samples metric "${name}" has ${String(values.length)} values (at most ${String(EVIDENCE_LIMITS.samples)})`,
        { name, count: values.length },
      );
    }
    const bad = values.findIndex((v) => !finite(v));
    if (bad !== -1)
      metricError(`samples metric "${name}": value ${String(bad)} is not a finite number`, {
        name,
        index: bad,
      });
    return Object.freeze({ name, unit, kind, values: Object.freeze([...(values as number[])]) });
  }
  if (kind === 'series') {
    const points = m.points;
    if (!Array.isArray(points) || m.values !== undefined) {
      metricError(`series metric "${name}" needs points: [x, y][] (and no values)`, { name });
    }
    if (points.length > EVIDENCE_LIMITS.points) {
      metricError(
        `series metric "${name}" has ${String(points.length)} points (at most ${String(EVIDENCE_LIMITS.points)})`,
        { name, count: points.length },
      );
    }
    const bad = points.findIndex(
      (p) => !Array.isArray(p) || p.length !== 2 || !finite(p[0]) || !finite(p[1]),
    );
    if (bad !== -1)
      metricError(`series metric "${name}": point ${String(bad)} is not [finite, finite]`, {
        name,
        index: bad,
      });
    const copy = (points as [number, number][]).map(([x, y]) => Object.freeze([x, y] as const));
    return Object.freeze({ name, unit, kind, points: Object.freeze(copy) });
  }
  return metricError(`metric "${name}" has kind ${String(kind)}; expected samples or series`, {
    name,
  });
}

// ---------------------------------------------------------------------------------------------
// Assertions

/** The parser result tap emits as 'assert' (tap-parser's Result, the part read here). */
export interface TapAssert {
  readonly ok: boolean;
  readonly name: string;
  readonly fullname: string;
  readonly todo?: boolean | string;
  readonly skip?: boolean | string;
  readonly diag?: unknown;
}

/** Tap's raw assertion result ({ok, message, extra}), emitted before it is printed. */
interface TapRawResult {
  readonly ok: boolean;
  readonly message: string;
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** The part of a tap test (a Test or a nested Base) the capture listens on. */
interface TapNode {
  readonly name: string;
  on(event: string, listener: (arg: never) => void): unknown;
}

/** "<ID> <title> > rest" -> "rest"; anything else unchanged. */
export function stripCasePrefix(name: string, caseName: string): string {
  const prefix = `${caseName} > `;
  return name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

function normaliseName(name: string): string {
  return name.replace(/\s+/g, ' ').trim();
}

/** "suites/x/y.test.ts:12" from tap's `at` ({fileName, lineNumber}), relative to the repo. */
export function atText(at: unknown): string | undefined {
  if (at === null || typeof at !== 'object') return undefined;
  const { fileName, lineNumber } = at as { fileName?: unknown; lineNumber?: unknown };
  if (typeof fileName !== 'string' || fileName === '') return undefined;
  let file = fileName.startsWith('file://') ? new URL(fileName).pathname : fileName;
  if (isAbsolute(file)) file = relative(REPO_ROOT, file);
  file = file.split('\\').join('/');
  return typeof lineNumber === 'number' ? `${file}:${String(lineNumber)}` : file;
}

interface RawValues {
  readonly expected?: string;
  readonly observed?: string;
}

function rawValues(extra: Readonly<Record<string, unknown>>): RawValues {
  const pick = (...keys: string[]): string | undefined => {
    for (const k of keys) if (Object.hasOwn(extra, k)) return renderValue(extra[k]);
    return undefined;
  };
  const expected = pick('wanted', 'expected', 'pattern');
  const observed = pick('found', 'actual');
  return {
    ...(expected !== undefined ? { expected } : {}),
    ...(observed !== undefined ? { observed } : {}),
  };
}

/** The expected and observed sides of tap's unified diff (context lines on both). */
export function sidesOfDiff(diff: string): RawValues {
  const expected: string[] = [];
  const observed: string[] = [];
  for (const line of diff.split('\n')) {
    if (line.startsWith('---') || line.startsWith('+++') || line.startsWith('@@')) continue;
    if (line.startsWith('-')) expected.push(line.slice(1));
    else if (line.startsWith('+')) observed.push(line.slice(1));
    else if (line.startsWith(' ')) {
      expected.push(line.slice(1));
      observed.push(line.slice(1));
    }
  }
  if (expected.length === 0 && observed.length === 0) return {};
  return {
    expected: clip(scrubText(expected.join('\n')), EVIDENCE_LIMITS.value),
    observed: clip(scrubText(observed.join('\n')), EVIDENCE_LIMITS.value),
  };
}

function diagText(diag: Readonly<Record<string, unknown>>): string | undefined {
  const parts: string[] = [];
  const thrown = typeof diag.tapCaught === 'string' ? diag.tapCaught : undefined;
  const type = typeof diag.type === 'string' ? diag.type : undefined;
  const code =
    typeof diag.code === 'string' || typeof diag.code === 'number' ? diag.code : undefined;
  if (thrown !== undefined || type !== undefined || code !== undefined) {
    parts.push(
      [
        thrown !== undefined ? `thrown (${thrown})` : undefined,
        type,
        code !== undefined ? `code ${String(code)}` : undefined,
      ]
        .filter((x) => x !== undefined)
        .join(', '),
    );
  }
  if (typeof diag.error === 'string') parts.push(diag.error);
  if (typeof diag.note === 'string') parts.push(diag.note);
  if (diag.cause !== null && typeof diag.cause === 'object') {
    const message = (diag.cause as { message?: unknown }).message;
    if (typeof message === 'string') parts.push(`cause: ${message}`);
  }
  if (typeof diag.diff === 'string') parts.push(diag.diff.trimEnd());
  else if (thrown !== undefined && typeof diag.stack === 'string') {
    parts.push(diag.stack.trimEnd().split('\n').slice(0, 3).join('\n'));
  }
  const text = parts.filter((p) => p !== '').join('\n');
  return text === '' ? undefined : clip(scrubText(text), EVIDENCE_LIMITS.value);
}

// ---------------------------------------------------------------------------------------------
// The recorder of one case

interface RawEvent {
  readonly atMs: number;
  readonly channel: string;
  readonly source: string;
  readonly data: unknown;
}

export interface RecorderOptions {
  /** The clock in ms (default performance.now). */
  readonly now?: () => number;
  /** The channels to subscribe to (default CAPTURED_CHANNELS). */
  readonly channels?: readonly string[];
}

const active = new Set<CaseRecorder>();
const current = new AsyncLocalStorage<CaseRecorder>();

/**
 * Collects one running case's evidence. Created by openCaseEvidence (which subscribes and
 * makes it the target of recordRelayEvent/recordMetric); finish() unsubscribes and returns it.
 */
export class CaseRecorder {
  readonly caseName: string;
  readonly #now: () => number;
  readonly #start: number;
  readonly #channels: readonly string[];
  readonly #onMessage = (message: unknown, name: string | symbol): void => {
    this.event(String(name), message);
  };
  #open = true;
  // events: the first eventsHead, then a ring of the last eventsTail
  readonly #head: RawEvent[] = [];
  readonly #tail: RawEvent[] = [];
  #tailNext = 0;
  #seen = 0;
  // assertions
  readonly #assertions: EvidenceAssertion[] = [];
  #passingKept = 0;
  #failedKept = 0;
  readonly #raw = new Map<string, RawValues[]>();
  readonly #metrics: EvidenceMetric[] = [];

  constructor(caseName: string, options: RecorderOptions = {}) {
    this.caseName = caseName;
    this.#now = options.now ?? (() => performance.now());
    this.#start = this.#now();
    this.#channels = options.channels ?? CAPTURED_CHANNELS;
    for (const channel of this.#channels) diagnostics.subscribe(channel, this.#onMessage);
    active.add(this);
  }

  /** Milliseconds since the case started. */
  elapsedMs(): number {
    return this.#now() - this.#start;
  }

  get open(): boolean {
    return this.#open;
  }

  /** Records one event (cheap: the payload is summarised at finish()). */
  event(channel: string, data: unknown, source: string = sourceOf(channel)): void {
    if (!this.#open) return;
    const raw: RawEvent = { atMs: this.#now() - this.#start, channel, source, data };
    this.#seen += 1;
    if (this.#head.length < EVIDENCE_LIMITS.eventsHead) {
      this.#head.push(raw);
      return;
    }
    if (this.#tail.length < EVIDENCE_LIMITS.eventsTail) this.#tail.push(raw);
    else this.#tail[this.#tailNext] = raw;
    this.#tailNext = (this.#tailNext + 1) % EVIDENCE_LIMITS.eventsTail;
  }

  /** Attaches a checked metric to this case; SUITE_E_METRIC when malformed or one too many. */
  metric(metric: EvidenceMetric): void {
    const parsed = parseMetric(metric);
    if (!this.#open) return;
    if (this.#metrics.length >= EVIDENCE_LIMITS.metrics) {
      metricError(`a case records at most ${String(EVIDENCE_LIMITS.metrics)} metrics`, {
        name: parsed.name,
      });
    }
    this.#metrics.push(parsed);
  }

  /** Listens to the case's tap subtest: its assertions and (nested) raw results. */
  watch(test: tap.Test): void {
    const node = test as unknown as TapNode;
    node.on('assert', (r: TapAssert) => {
      this.assertion(r);
    });
    this.#watchRaw(node, []);
  }

  #watchRaw(node: TapNode, path: readonly string[]): void {
    const onRaw = (res: TapRawResult): void => {
      if (!this.#open || res.ok || res.extra === undefined) return;
      const values = rawValues(res.extra);
      if (values.expected === undefined && values.observed === undefined) return;
      const key = normaliseName([...path, res.message].join(' > '));
      const queue = this.#raw.get(key) ?? [];
      queue.push(values);
      this.#raw.set(key, queue);
    };
    node.on('res', onRaw);
    node.on('result', onRaw);
    node.on('subtestAdd', (child: TapNode) => {
      this.#watchRaw(child, [...path, child.name]);
    });
  }

  /** Records one parsed assertion result of the case subtest. */
  assertion(r: TapAssert): void {
    if (!this.#open) return;
    const plain = stripCasePrefix(r.fullname === '' ? r.name : r.fullname, this.caseName);
    const name = scrubText(plain);
    const ok = r.ok || Boolean(r.todo) || Boolean(r.skip);
    if (ok) {
      if (this.#passingKept >= EVIDENCE_LIMITS.passingAssertions) return;
      this.#passingKept += 1;
      this.#assertions.push({ name, ok: true });
      return;
    }
    if (this.#failedKept >= EVIDENCE_LIMITS.failedAssertions) return;
    this.#failedKept += 1;
    const diag = (r.diag !== null && typeof r.diag === 'object' ? r.diag : {}) as Readonly<
      Record<string, unknown>
    >;
    const raw = this.#raw.get(normaliseName(plain))?.shift();
    let values: RawValues = raw ?? rawValues(diag);
    if (
      values.expected === undefined &&
      values.observed === undefined &&
      typeof diag.diff === 'string'
    ) {
      values = sidesOfDiff(diag.diff);
    }
    const at = atText(diag.at);
    const text = diagText(diag);
    this.#assertions.push({
      name,
      ok: false,
      ...(text !== undefined ? { diag: text } : {}),
      ...values,
      ...(at !== undefined ? { at } : {}),
    });
  }

  /** Runs `fn` with this recorder as the case recordMetric attaches to. */
  run<T>(fn: () => T): T {
    return current.run(this, fn);
  }

  /** Stops capturing (unsubscribes) and returns the evidence; later calls return the same. */
  finish(): CaseEvidence {
    if (this.#open) {
      this.#open = false;
      active.delete(this);
      for (const channel of this.#channels) diagnostics.unsubscribe(channel, this.#onMessage);
    }
    const tail = [...this.#tail.slice(this.#tailNext), ...this.#tail.slice(0, this.#tailNext)];
    const kept = [...this.#head, ...tail];
    const events = kept.map((e) => {
      try {
        return toEvidenceEvent(e.atMs, e.channel, e.data, e.source);
      } catch {
        // A payload that cannot be read (a throwing getter): keep that the event happened.
        return toEvidenceEvent(e.atMs, e.channel, { unreadable: true }, e.source);
      }
    });
    const dropped = this.#seen - kept.length;
    return {
      ...(this.#assertions.length > 0 ? { assertions: [...this.#assertions] } : {}),
      ...(events.length > 0 ? { events } : {}),
      ...(dropped > 0 ? { eventsDropped: dropped } : {}),
      ...(this.#metrics.length > 0 ? { metrics: [...this.#metrics] } : {}),
    };
  }
}

/** Starts capturing the evidence of the case named `caseName` ("<ID> <title>"). */
export function openCaseEvidence(caseName: string, options: RecorderOptions = {}): CaseRecorder {
  return new CaseRecorder(caseName, options);
}

/** The running case a call from here belongs to: its async context, else the only open one. */
function runningCase(): CaseRecorder | undefined {
  const mine = current.getStore();
  if (mine?.open === true) return mine;
  if (active.size === 1) return active.values().next().value;
  return undefined;
}

/**
 * Hands one event of the reference relay child (read from its fd 3 by relay-child.ts) to every
 * open case. A no-op when no case captures (plain `npm test`).
 */
export function recordRelayEvent(event: {
  readonly channel: string;
  readonly data: unknown;
}): void {
  if (active.size === 0) return;
  // A line of another process: trust its shape no more than the JSON parser did.
  const e = event as { readonly channel?: unknown; readonly data?: unknown } | null;
  const channel = typeof e?.channel === 'string' ? e.channel : 'relay:unknown';
  for (const r of active) r.event(channel, e?.data, 'relay');
}

/**
 * Attaches a metric (evidence only, never asserted on) to the running case. The metric is
 * always checked (SUITE_E_METRIC when malformed, also in plain `npm test`). Returns true when it
 * was recorded; false, doing nothing else, when no case captures evidence (RELAYCHECK_RESULTS
 * unset, or called outside a case).
 */
export function recordMetric(metric: EvidenceMetric): boolean {
  const parsed = parseMetric(metric);
  const r = runningCase();
  if (r === undefined) return false;
  r.metric(parsed);
  return true;
}

/** Send-to-answer times: `time(send)` adds the ms from the call to the settle of each send. */
export interface Latencies {
  /** The samples so far, in settle order (ms). */
  readonly values: readonly number[];
  time<T>(send: () => Promise<T>): Promise<T>;
}

/** A collector of latency samples for a `samples` metric (evidence only, never asserted on). */
export function latencies(now: () => number = () => performance.now()): Latencies {
  const values: number[] = [];
  return {
    values,
    time: async (send) => {
      const at = now();
      try {
        return await send();
      } finally {
        values.push(Math.round((now() - at) * 1000) / 1000);
      }
    },
  };
}

/** True when this process records case results (`relaycheck run` sets RELAYCHECK_RESULTS). */
export function captureEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const file = env.RELAYCHECK_RESULTS;
  return file !== undefined && file !== '';
}
