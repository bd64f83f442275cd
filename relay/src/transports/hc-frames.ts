// The Hybrid Connections wire messages, as data. In: text frames from the service (untrusted
// JSON) and the listener's own response/renewal data. Out: typed frames (request, rendezvous
// notice, accept, or an answerable bad request) or an HcError RELAY_E_HC_FRAME; the JSON text
// of `response` and `renewToken`; listen/reject URLs; URLs with the token removed for events.
// Pure: no IO. Shapes follow Microsoft's "Azure Relay Hybrid Connections protocol" document.
import { HcError } from './errors';
import type { HcListenerConfig } from './hc-config';

/** The parts of a `request` message the dispatcher sees. */
export interface RequestHead {
  readonly id: string;
  readonly method: string;
  /** The request target (path and query, `sb-hc-*` parameters already stripped by the service). */
  readonly target: string;
  /** Header names lower-cased; repeated values joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  /** A binary body message follows. */
  readonly body: boolean;
  /** The rendezvous address for this request (absent when the service sent none). */
  readonly address: string | undefined;
}

export type ServiceFrame =
  /** A whole request header; when `head.body` a binary message follows. */
  | { readonly verb: 'request'; readonly head: RequestHead }
  /** A request too large for the control channel: connect to `address` to read it. */
  | { readonly verb: 'rendezvous'; readonly address: string; readonly id: string | undefined }
  /** A request with a usable id but otherwise unusable: answer 400 (skip its body if any). */
  | {
      readonly verb: 'bad-request';
      readonly id: string;
      readonly body: boolean;
      readonly address: string | undefined;
      readonly error: HcError;
    }
  /** A WebSocket (not HTTP) connection offer. */
  | { readonly verb: 'accept'; readonly id: string; readonly address: string };

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// eslint-disable-next-line no-control-regex
const TARGET = /^[^\u0000-\u0020\u007f]+$/;
// eslint-disable-next-line no-control-regex
const FIELD_VALUE = /^[^\u0000-\u0008\u000a-\u001f\u007f]*$/;
const MAX_ID = 256;
const MAX_METHOD = 32;
const MAX_TARGET = 16 * 1024;
const MAX_ADDRESS = 4 * 1024;

/** Headers of RFC 7230 that never cross the relay (the protocol strips or forbids them). */
export const CONNECTION_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'content-length',
  'host',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'close',
  'keep-alive',
]);

/** A short, printable excerpt of untrusted text for messages and details. */
export function excerpt(text: string, max = 80): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

function frameError(message: string, details: Record<string, string | number> = {}): HcError {
  return new HcError('RELAY_E_HC_FRAME', message, details);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads one text frame from the service. Unknown properties inside a known verb are ignored
 * (the service may add some); an unknown verb, bad JSON or a wrongly typed field is refused.
 */
export function parseServiceFrame(text: string): ServiceFrame {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw frameError('a text frame from the service is not JSON', { length: text.length });
  }
  if (!isRecord(json)) throw frameError('a text frame from the service is not a JSON object');
  const verbs = Object.keys(json);
  if (verbs.length !== 1) {
    throw frameError('a frame from the service must hold exactly one verb', {
      verbs: excerpt(verbs.join(',')),
    });
  }
  const verb = verbs[0] ?? '';
  const body = json[verb];
  if (verb === 'request') return parseRequest(body);
  if (verb === 'accept') return parseAccept(body);
  throw frameError(`unknown verb "${excerpt(verb, 32)}" from the service`, {
    verb: excerpt(verb, 32),
  });
}

function optionalAddress(v: Record<string, unknown>): string | undefined {
  const a = v.address;
  if (a === undefined || a === null || a === '') return undefined;
  if (typeof a !== 'string' || a.length > MAX_ADDRESS) {
    throw frameError('request.address is not a string of at most 4 KiB');
  }
  return a;
}

function parseId(v: Record<string, unknown>, verb: string): string | undefined {
  const id = v.id;
  if (id === undefined || id === null) return undefined;
  if (typeof id !== 'string' || id === '' || id.length > MAX_ID || !TARGET.test(id)) {
    throw frameError(`${verb}.id is not a printable string of 1-${MAX_ID} characters`);
  }
  return id;
}

function parseRequest(v: unknown): ServiceFrame {
  if (!isRecord(v)) throw frameError('request is not an object');
  const address = optionalAddress(v);
  const id = parseId(v, 'request');
  if (v.method === undefined || v.method === null) {
    if (address === undefined) {
      throw frameError('a request without a method must carry a rendezvous address');
    }
    return { verb: 'rendezvous', address, id };
  }
  if (id === undefined) throw frameError('request.id is missing');
  if (v.body !== undefined && typeof v.body !== 'boolean') {
    // Without a reliable body flag the next binary frame cannot be assigned: not answerable.
    throw frameError('request.body is not a boolean', { requestId: excerpt(id) });
  }
  const hasBody = v.body === true;
  const bad = (message: string): ServiceFrame => ({
    verb: 'bad-request',
    id,
    body: hasBody,
    address,
    error: new HcError('RELAY_E_HC_BAD_REQUEST', message, { requestId: excerpt(id) }),
  });
  const method = v.method;
  if (typeof method !== 'string' || method.length > MAX_METHOD || !TOKEN.test(method)) {
    return bad('request.method is not an HTTP method token');
  }
  if (method === 'CONNECT') return bad('the CONNECT method must not be relayed');
  const target = v.requestTarget ?? '/';
  if (typeof target !== 'string' || target.length > MAX_TARGET || !TARGET.test(target)) {
    return bad('request.requestTarget is not a printable request target');
  }
  const headers = parseHeaders(v.requestHeaders);
  if (typeof headers === 'string') return bad(headers);
  return { verb: 'request', head: { id, method, target, headers, body: hasBody, address } };
}

/** Header object → lower-cased names; a string message when it is unusable. */
function parseHeaders(raw: unknown): Readonly<Record<string, string>> | string {
  if (raw === undefined || raw === null) return Object.freeze({});
  if (!isRecord(raw)) return 'request.requestHeaders is not an object';
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  // for...in: JSON.parse made `raw`, so every enumerable key is its own (no entries() arrays).
  for (const name in raw) {
    if (!TOKEN.test(name)) return `request header name "${excerpt(name, 40)}" is not a token`;
    const value = raw[name];
    let text: string;
    if (typeof value === 'string') text = value;
    else if (Array.isArray(value) && value.every((x) => typeof x === 'string')) {
      text = value.join(', ');
    } else return `request header "${excerpt(name, 40)}" has a value that is not text`;
    if (!FIELD_VALUE.test(text)) return `request header "${excerpt(name, 40)}" has a bad value`;
    const key = name.toLowerCase();
    const seen = out[key];
    out[key] = seen === undefined ? text : `${seen}, ${text}`;
  }
  return Object.freeze(out);
}

function parseAccept(v: unknown): ServiceFrame {
  if (!isRecord(v)) throw frameError('accept is not an object');
  const address = optionalAddress(v);
  const id = parseId(v, 'accept');
  if (address === undefined || id === undefined) {
    throw frameError('accept needs an address and an id');
  }
  return { verb: 'accept', id, address };
}

// ---------------------------------------------------------------------------------------
// Listener → service

export interface ResponseHead {
  readonly requestId: string;
  readonly statusCode: number;
  readonly statusDescription: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: boolean;
}

/** `{"response":{...}}` (written out by hand: it is on every request's path). */
export function responseFrame(r: ResponseHead): string {
  const description =
    r.statusDescription === undefined
      ? ''
      : `,"statusDescription":${JSON.stringify(r.statusDescription)}`;
  return `{"response":{"requestId":${JSON.stringify(r.requestId)},"statusCode":${String(r.statusCode)}${description},"responseHeaders":${JSON.stringify(r.headers)},"body":${r.body ? 'true' : 'false'}}}`;
}

/**
 * The UTF-8 size of `JSON.stringify(headers)`, serialising only when it could matter: while a
 * cheap upper bound is at most `small`, the bound is returned (6 bytes per UTF-16 unit is the
 * worst case: a lone surrogate is written as \uXXXX).
 */
export function headerJsonBytes(headers: Readonly<Record<string, string>>, small: number): number {
  let units = 2;
  for (const name in headers) {
    units += name.length + (headers[name]?.length ?? 0) + 6;
  }
  const bound = 6 * units;
  return bound <= small ? bound : Buffer.byteLength(JSON.stringify(headers));
}

/** `{"renewToken":{"token":"SharedAccessSignature ..."}}` */
export function renewTokenFrame(token: string): string {
  return JSON.stringify({ renewToken: { token } });
}

/** Statuses a listener may answer with: 200-599 except 502 and 504 (reserved to the service). */
export function isAllowedStatus(code: number): boolean {
  return Number.isInteger(code) && code >= 200 && code <= 599 && code !== 502 && code !== 504;
}

const DESCRIPTION = /^[\t\u0020-\u007e\u0080-\uffff]{0,256}$/;

/** Checks a status and reason phrase; throws HcError RELAY_E_HC_STATUS. */
export function checkStatus(code: number, description: string | undefined): void {
  if (!isAllowedStatus(code)) {
    throw new HcError(
      'RELAY_E_HC_STATUS',
      code === 502 || code === 504
        ? `status ${code} is reserved to the service; answer 500 or 503 instead`
        : 'the status must be a whole number from 200 to 599',
      { status: Number.isFinite(code) ? code : -1 },
    );
  }
  if (description !== undefined && !DESCRIPTION.test(description)) {
    throw new HcError(
      'RELAY_E_HC_STATUS',
      'the status description must be at most 256 printable characters',
    );
  }
}

/**
 * Validates response headers and drops RFC 7230 connection headers. Returns the headers to
 * send and the declared content-length (a size hint), or throws HcError RELAY_E_HC_STATUS.
 */
export function prepareResponseHeaders(headers: Readonly<Record<string, unknown>> | undefined): {
  headers: Readonly<Record<string, string>>;
  contentLength: number | undefined;
} {
  const out: Record<string, string> = {};
  let contentLength: number | undefined;
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!TOKEN.test(name)) {
      throw new HcError(
        'RELAY_E_HC_STATUS',
        `response header name "${excerpt(name, 40)}" is not a token`,
      );
    }
    let text: string;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
    else {
      throw new HcError('RELAY_E_HC_STATUS', `response header "${excerpt(name, 40)}" is not text`);
    }
    if (!FIELD_VALUE.test(text)) {
      throw new HcError(
        'RELAY_E_HC_STATUS',
        `response header "${excerpt(name, 40)}" has a bad value`,
      );
    }
    const lower = name.toLowerCase();
    if (lower === 'content-length' && /^[0-9]{1,15}$/.test(text.trim())) {
      contentLength = Number(text.trim());
    }
    if (!CONNECTION_HEADERS.has(lower)) out[name] = text;
  }
  return { headers: Object.freeze(out), contentLength };
}

// ---------------------------------------------------------------------------------------
// URLs

/** The control channel URL: `.../$hc/<path>?sb-hc-action=listen[&sb-hc-id][&sb-hc-token]`. */
export function listenUrl(config: HcListenerConfig, queryToken: string | undefined): string {
  let url = `${config.baseUrl}?sb-hc-action=listen`;
  if (config.listenerId !== undefined) url += `&sb-hc-id=${encodeURIComponent(config.listenerId)}`;
  if (queryToken !== undefined) url += `&sb-hc-token=${encodeURIComponent(queryToken)}`;
  return url;
}

/** The URL that rejects an `accept`: the address plus sb-hc-statusCode/-Description. */
export function rejectUrl(address: string, status: number, description: string): string {
  const url = new URL(address);
  url.searchParams.set('sb-hc-statusCode', String(status));
  url.searchParams.set('sb-hc-statusDescription', description);
  return url.toString();
}

/** `url` without its sb-hc-token parameter and without user info: safe for events and logs. */
export function sanitizeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.searchParams.delete('sb-hc-token');
    return u.toString();
  } catch {
    return '(not a URL)';
  }
}
