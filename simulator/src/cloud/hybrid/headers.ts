// Header and URL rules of the Hybrid Connections HTTP gateway. In: a sender's raw request
// headers and request target, whether the Hybrid Connection requires client authorization,
// the namespace host; a listener's response headers. Out: the token to evaluate (and where
// it came from), the header object and request target forwarded to the listener (tokens,
// sb-hc-* parameters and hop-by-hop headers removed, Via added), the connectHeaders of an
// accept message, and the headers the sender gets back. Pure: no IO.

/** Where a sender's or listener's token was found. */
export type TokenSource = 'sb-hc-token' | 'ServiceBusAuthorization' | 'Authorization';

export interface FoundToken {
  /** The token text; undefined when none was presented. */
  readonly token: string | undefined;
  readonly source: TokenSource | undefined;
  /** True when the Authorization header carried the token and must not be forwarded. */
  readonly authorizationConsumed: boolean;
}

/**
 * Headers never forwarded in either direction: RFC 7230's connection-level fields (the
 * protocol document's list: Connection, Content-Length, Host is kept, TE, Trailer,
 * Transfer-Encoding, Upgrade, Close) plus Keep-Alive, Expect and every Proxy-* field.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'trailers',
  'transfer-encoding',
  'upgrade',
  'close',
  'content-length',
  'expect',
]);

function isHopByHop(lower: string): boolean {
  return HOP_BY_HOP.has(lower) || lower.startsWith('proxy-');
}

/** Pairs of [name, value] from Node's rawHeaders. */
export function headerPairs(rawHeaders: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    out.push([rawHeaders[i] ?? '', rawHeaders[i + 1] ?? '']);
  }
  return out;
}

/** The size of the header block as it came on the wire: `name: value\r\n` per field. */
export function headerBlockBytes(rawHeaders: readonly string[]): number {
  let n = 0;
  for (const [name, value] of headerPairs(rawHeaders)) n += name.length + value.length + 4;
  return n;
}

function firstHeader(rawHeaders: readonly string[], lower: string): string | undefined {
  for (const [name, value] of headerPairs(rawHeaders)) {
    if (name.toLowerCase() === lower) return value;
  }
  return undefined;
}

/** The query parameters of a raw target as [rawName, rawPart]; no decoding of the rest. */
function queryParts(target: string): { path: string; parts: string[] } {
  const q = target.indexOf('?');
  if (q === -1) return { path: target, parts: [] };
  return { path: target.slice(0, q), parts: target.slice(q + 1).split('&') };
}

function partName(part: string): string {
  const eq = part.indexOf('=');
  const raw = eq === -1 ? part : part.slice(0, eq);
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/** One query parameter's decoded value (first occurrence), or undefined. */
export function queryParam(target: string, name: string): string | undefined {
  for (const part of queryParts(target).parts) {
    if (partName(part).toLowerCase() !== name.toLowerCase()) continue;
    const eq = part.indexOf('=');
    const raw = eq === -1 ? '' : part.slice(eq + 1);
    try {
      return decodeURIComponent(raw.replace(/\+/g, ' '));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The request target with every `sb-hc-*` query parameter removed (raw text otherwise kept). */
export function stripHcParameters(target: string): string {
  const { path, parts } = queryParts(target);
  if (parts.length === 0) return path;
  const kept = parts.filter((p) => p !== '' && !partName(p).toLowerCase().startsWith('sb-hc-'));
  return kept.length === 0 ? path : `${path}?${kept.join('&')}`;
}

/**
 * The sender's token, following the protocol document: `sb-hc-token` in the query, else the
 * `ServiceBusAuthorization` header, else — only when client authorization is required — the
 * `Authorization` header. Without required authorization, Authorization is never consumed.
 */
export function findSenderToken(
  target: string,
  rawHeaders: readonly string[],
  requiresClientAuthorization: boolean,
): FoundToken {
  const query = queryParam(target, 'sb-hc-token');
  if (query !== undefined) {
    return { token: query, source: 'sb-hc-token', authorizationConsumed: false };
  }
  const sba = firstHeader(rawHeaders, 'servicebusauthorization');
  if (sba !== undefined) {
    return { token: sba, source: 'ServiceBusAuthorization', authorizationConsumed: false };
  }
  if (requiresClientAuthorization) {
    const auth = firstHeader(rawHeaders, 'authorization');
    if (auth !== undefined) {
      return { token: auth, source: 'Authorization', authorizationConsumed: true };
    }
  }
  return { token: undefined, source: undefined, authorizationConsumed: false };
}

/** A listener's token: the ServiceBusAuthorization header, else `sb-hc-token` in the query. */
export function findListenerToken(target: string, rawHeaders: readonly string[]): FoundToken {
  const sba = firstHeader(rawHeaders, 'servicebusauthorization');
  if (sba !== undefined) {
    return { token: sba, source: 'ServiceBusAuthorization', authorizationConsumed: false };
  }
  const query = queryParam(target, 'sb-hc-token');
  if (query !== undefined) {
    return { token: query, source: 'sb-hc-token', authorizationConsumed: false };
  }
  return { token: undefined, source: undefined, authorizationConsumed: false };
}

/** `1.1 <host>`, the service's Via entry (RFC 7230 §5.7.1). */
export function viaEntry(host: string): string {
  return `1.1 ${host}`;
}

function addField(out: Record<string, string>, name: string, value: string): void {
  const lower = name.toLowerCase();
  const existing = Object.keys(out).find((k) => k.toLowerCase() === lower);
  if (existing === undefined) {
    out[name] = value;
  } else {
    out[existing] = `${out[existing] ?? ''}${lower === 'cookie' ? '; ' : ', '}${value}`;
  }
}

/**
 * The requestHeaders a listener gets: every header of the sender except the token headers
 * (ServiceBusAuthorization always; Authorization when it carried the token), hop-by-hop
 * headers and the headers the Connection header names; repeated fields joined; the
 * service's entry appended to Via.
 */
export function forwardRequestHeaders(
  rawHeaders: readonly string[],
  options: { readonly authorizationConsumed: boolean; readonly viaHost: string },
): Record<string, string> {
  const pairs = headerPairs(rawHeaders);
  const named = new Set<string>();
  for (const [name, value] of pairs) {
    if (name.toLowerCase() !== 'connection') continue;
    for (const token of value.split(',')) named.add(token.trim().toLowerCase());
  }
  const out: Record<string, string> = {};
  for (const [name, value] of pairs) {
    const lower = name.toLowerCase();
    if (isHopByHop(lower) || named.has(lower) || lower === 'servicebusauthorization') continue;
    if (lower === 'authorization' && options.authorizationConsumed) continue;
    addField(out, name, value);
  }
  addField(out, 'Via', viaEntry(options.viaHost));
  return out;
}

/**
 * The connectHeaders of an accept message: every header the sender supplied (including the
 * Sec-WebSocket-* fields) except the token headers.
 */
export function connectHeaders(
  rawHeaders: readonly string[],
  authorizationConsumed: boolean,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of headerPairs(rawHeaders)) {
    const lower = name.toLowerCase();
    if (lower === 'servicebusauthorization') continue;
    if (lower === 'authorization' && authorizationConsumed) continue;
    addField(out, name, value);
  }
  return out;
}

/**
 * The headers a sender gets with a listener's response: the listener's, less connection-level
 * fields (the endpoint frames the body itself), with the service's entry appended to Via —
 * the presence of Via is how a sender tells a listener's answer from the service's own.
 */
export function senderResponseHeaders(
  responseHeaders: Readonly<Record<string, string>>,
  viaHost: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(responseHeaders)) {
    if (isHopByHop(name.toLowerCase())) continue;
    addField(out, name, value);
  }
  addField(out, 'Via', viaEntry(viaHost));
  return out;
}
