// The back-office client's decisions, as pure functions. In: an HTTP status, a thrown fetch
// error, a Retry-After header and the clock's time, a retry number and a random draw, an error
// body. Out: success / transient / permanent; the errno to report; the delay before the next
// attempt; the back office's own reason in at most 200 readable characters.

export type Verdict = 'success' | 'transient' | 'permanent';

/** Statuses worth another attempt: timeouts, too early, too many requests, server trouble. */
export const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([408, 425, 429, 500, 502, 503, 504]);

/**
 * 2xx and 3xx are success (redirects are never followed: a 3xx is returned as it is);
 * TRANSIENT_STATUSES are transient; every other 4xx and 5xx (501, 505, ...) is permanent.
 * A value that is not an HTTP status (not an integer in 200-599, 1xx included) is transient:
 * a broken answer, not a refusal.
 */
export function classifyStatus(status: number): Verdict {
  if (!Number.isInteger(status) || status < 200 || status > 599) return 'transient';
  if (status < 400) return 'success';
  return TRANSIENT_STATUSES.has(status) ? 'transient' : 'permanent';
}

/** Errors that say the request itself was unusable: another attempt would fail the same way. */
const PERMANENT_ERRNOS: ReadonlySet<string> = new Set([
  'ERR_INVALID_URL',
  'ERR_INVALID_ARG_TYPE',
  'ERR_INVALID_ARG_VALUE',
  'ERR_INVALID_HTTP_TOKEN',
  'ERR_INVALID_CHAR',
  'UND_ERR_INVALID_ARG',
  'UND_ERR_NOT_SUPPORTED',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'EINVAL',
]);

const ERRNO = /^[A-Za-z][A-Za-z0-9_]{0,47}$/;

function codeField(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && ERRNO.test(code) ? code : undefined;
}

/**
 * The system or library code of a failed fetch, safe to log (never its message, which may hold
 * a URL): `code`, else its cause's (or the cause's cause's) code; "socket hang up" is
 * ECONNRESET; a TypeError other than "fetch failed" is EINVAL (fetch refused its arguments);
 * anything else is ENETWORK.
 */
export function errnoOf(e: unknown): string {
  let cur: unknown = e;
  for (let depth = 0; depth < 3 && typeof cur === 'object' && cur !== null; depth++) {
    const code = codeField(cur);
    if (code !== undefined) return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  const message =
    typeof e === 'object' && e !== null ? (e as { message?: unknown }).message : undefined;
  if (typeof message === 'string' && /socket hang up/i.test(message)) return 'ECONNRESET';
  if (e instanceof TypeError && message !== 'fetch failed' && codeField(e.cause) === undefined) {
    return 'EINVAL';
  }
  return 'ENETWORK';
}

/** A failed fetch (no answer at all): transient unless the request itself was unusable. */
export function classifyError(e: unknown): { verdict: 'transient' | 'permanent'; errno: string } {
  const errno = errnoOf(e);
  return { verdict: PERMANENT_ERRNOS.has(errno) ? 'permanent' : 'transient', errno };
}

const SECONDS = /^\s*(\d{1,12})\s*$/;
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
/** IMF-fixdate, the obsolete RFC 850 form and asctime (RFC 9110 section 5.6.7). */
const HTTP_DATE = new RegExp(
  `^\\s*(?:${DAY}, \\d{2} ${MONTH} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT` +
    `|(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \\d{2}-${MONTH}-\\d{2} \\d{2}:\\d{2}:\\d{2} GMT` +
    `|${DAY} ${MONTH} [ \\d]\\d \\d{2}:\\d{2}:\\d{2} \\d{4})\\s*$`,
);

/**
 * The wait a Retry-After header asks for, in milliseconds from `nowMs`: delay-seconds, or an
 * HTTP-date (a date in the past is 0). Undefined when absent or malformed (then only back-off
 * applies). Very large values come back as they are; the caller compares them with its cap.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number,
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const seconds = SECONDS.exec(value);
  if (seconds !== null) return Number(seconds[1]) * 1000;
  if (!HTTP_DATE.test(value)) return undefined;
  let text = value.trim();
  // asctime has no zone: it is GMT.
  if (!text.endsWith('GMT')) text = `${text} GMT`;
  const at = Date.parse(text);
  if (!Number.isFinite(at)) return undefined;
  return Math.max(0, at - nowMs);
}

export interface BackoffOptions {
  /** The first retry's base delay. */
  readonly baseMs: number;
  /** The largest delay back-off alone ever asks for (jitter included). */
  readonly maxMs: number;
  /** Each retry's base is the previous one times this. */
  readonly factor: number;
  /** A delay is stretched by up to this fraction: base * (1 + jitter * u), u in [0, 1). */
  readonly jitter: number;
}

function rawBase(retry: number, o: BackoffOptions): number {
  const n = Math.max(0, Math.floor(retry));
  return o.baseMs * Math.pow(o.factor, n);
}

/** The smallest and largest back-off delay before retry `retry` (0 = the second attempt). */
export function backoffBounds(retry: number, o: BackoffOptions): readonly [number, number] {
  const base = rawBase(retry, o);
  return [
    Math.min(o.maxMs, Math.floor(base)),
    Math.min(o.maxMs, Math.floor(base * (1 + o.jitter))),
  ];
}

/**
 * The back-off delay before retry `retry`: min(maxMs, floor(baseMs * factor^retry * (1 +
 * jitter * u))). `u` comes from the random source; NaN or values outside [0, 1) are clamped,
 * so a bad source cannot push the delay outside backoffBounds.
 */
export function backoffDelay(retry: number, o: BackoffOptions, u: number): number {
  const r = Number.isFinite(u) ? Math.min(Math.max(u, 0), 1) : 0;
  const [lo, hi] = backoffBounds(retry, o);
  const d = Math.min(o.maxMs, Math.floor(rawBase(retry, o) * (1 + o.jitter * r)));
  return Math.min(Math.max(d, lo), hi);
}

/** The wait before the next attempt: the back-off delay, or longer if Retry-After asks. */
export function retryDelay(backoffMs: number, retryAfterMs: number | undefined): number {
  return Math.max(backoffMs, retryAfterMs ?? 0);
}

/** The most of an error body that is read for its reason. */
export const MAX_ERROR_BODY_BYTES = 4096;
/** The most of a reason that goes into a dead-letter description. */
export const MAX_REASON_CHARS = 200;

const ENTITIES: Readonly<Record<string, string>> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
};

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|[a-z]{2,4});/g, (whole, name: string) => {
    if (name.startsWith('#')) {
      const cp = name[1] === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : ' ';
    }
    return ENTITIES[name] ?? whole;
  });
}

/** Whitespace and control characters become single spaces; at most `max` code points. */
export function tidyReason(s: string, max: number = MAX_REASON_CHARS): string {
  // eslint-disable-next-line no-control-regex
  const flat = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\s]+/g, ' ').trim();
  const chars = Array.from(flat);
  return chars.length <= max ? flat : chars.slice(0, max).join('');
}

/** Fields of a JSON error body that carry its reason, best first. */
const JSON_FIELDS = [
  'message',
  'error_description',
  'detail',
  'title',
  'reason',
  'error',
  'errors',
] as const;

function jsonReason(v: unknown, depth: number): string | undefined {
  if (typeof v === 'string') return v;
  if (depth > 3 || typeof v !== 'object' || v === null) return undefined;
  if (Array.isArray(v)) return v.length > 0 ? jsonReason(v[0], depth + 1) : undefined;
  const o = v as Record<string, unknown>;
  for (const f of JSON_FIELDS) {
    const found = jsonReason(o[f], depth + 1);
    if (found !== undefined && found.trim() !== '') return found;
  }
  return undefined;
}

/** The start of the first known field's string in JSON that does not parse (cut short). */
function jsonFieldPrefix(text: string): string | undefined {
  for (const f of JSON_FIELDS) {
    const m = new RegExp(`"${f}"\\s*:\\s*"((?:[^"\\\\]|\\\\.){1,2000})`).exec(text);
    const raw = m?.[1];
    if (raw === undefined) continue;
    try {
      return JSON.parse(`"${raw}"`) as string;
    } catch {
      return raw;
    }
  }
  return undefined;
}

/** Elements of an XML or HTML error body that carry its reason, best first. */
const XML_ELEMENTS = [
  'message',
  'faultstring',
  'reason',
  'description',
  'detail',
  'error',
  'title',
] as const;

function xmlReason(text: string): string | undefined {
  for (const name of XML_ELEMENTS) {
    const open = new RegExp(`<(?:[A-Za-z_][\\w.-]{0,63}:)?${name}(?:\\s[^<>]*)?>`, 'i');
    const m = open.exec(text);
    if (m === null) continue;
    const start = m.index + m[0].length;
    const rest = text.slice(start);
    const cdata = /^\s*<!\[CDATA\[/.exec(rest);
    const inner =
      cdata !== null ? rest.slice(cdata[0].length).split(']]>', 1)[0] : rest.split('<', 1)[0];
    const found = decodeEntities(inner ?? '');
    if (found.trim() !== '') return found;
  }
  // No known element: the text of the document, markup (and scripts, styles) removed.
  const stripped = text
    .replace(/<(script|style)\b[^<>]*>[^<]*<\/\1\s*>/gi, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<[^<>]*>/g, ' ');
  return decodeEntities(stripped);
}

/**
 * The reason an error body gives, for a dead-letter description: from JSON (message,
 * error_description, detail, title, reason, error, errors[0]), XML or HTML (message,
 * faultstring, reason, description, detail, error, title; else all text) or plain text.
 * At most MAX_ERROR_BODY_BYTES are looked at; the answer is tidied to at most `max` code points
 * (empty when the body says nothing). Never throws.
 */
export function reasonText(
  contentType: string | undefined,
  body: Buffer,
  max: number = MAX_REASON_CHARS,
): string {
  const text = body.subarray(0, MAX_ERROR_BODY_BYTES).toString('utf8');
  const ct = (contentType ?? '').toLowerCase();
  const head = text.trimStart();
  if (ct.includes('json') || head.startsWith('{') || head.startsWith('[')) {
    try {
      const found = jsonReason(JSON.parse(text) as unknown, 0);
      if (found !== undefined) return tidyReason(found, max);
    } catch {
      // Not JSON after all, or cut at 4 KiB: look for a known field's string as it begins.
      const found = jsonFieldPrefix(text);
      if (found !== undefined) return tidyReason(found, max);
    }
  }
  if (ct.includes('xml') || ct.includes('html') || head.startsWith('<')) {
    return tidyReason(xmlReason(text) ?? '', max);
  }
  return tidyReason(text, max);
}
