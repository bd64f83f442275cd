// Azure Shared Access Signature (SAS) tokens, created and verified. In: a resource URI, a key
// name and key, an expiry (create); a token string, the requested resource and right, the
// configured authorization rules and the lifetime policy (verify). Out: a token string, the
// parsed fields, or the grant a valid token carries; every refusal is a typed SasError.
// Pure: no IO; the clock is injected. The rules are written up in docs/protocol/sas.md.
import { createHmac } from 'node:crypto';
import { defineErrors, familyError, type ErrorDetails } from './errors';
import { bytesEqual, systemClock, type Clock } from './primitives';

const UNAUTHORIZED = 'amqp:unauthorized-access';

export const SAS_ERRORS = defineErrors('sas', {
  SAS_E_MISSING: {
    summary: 'No SAS token was presented.',
    http: 401,
    amqp: UNAUTHORIZED,
  },
  SAS_E_TOO_LONG: {
    summary: 'The SAS token is longer than the 4 KiB limit; it was refused before parsing.',
    http: 401,
    amqp: UNAUTHORIZED,
  },
  SAS_E_FORMAT: {
    summary:
      'The SAS token is malformed: wrong prefix, a missing, duplicate, unknown or empty field, or a badly encoded value.',
    http: 401,
    amqp: UNAUTHORIZED,
  },
  SAS_E_KEYNAME: {
    summary: 'The SAS token names a key (skn) that no configured authorization rule has.',
    http: 401,
    amqp: UNAUTHORIZED,
  },
  SAS_E_SIGNATURE: {
    summary: 'The SAS token signature does not match any key configured under its key name.',
    http: 401,
    amqp: UNAUTHORIZED,
  },
  SAS_E_EXPIRED: {
    summary: 'The SAS token has expired (its expiry is now or in the past).',
    http: 401,
    amqp: UNAUTHORIZED,
  },
  SAS_E_LIFETIME: {
    summary: 'The SAS token expires further in the future than the configured maximum lifetime.',
    http: 401,
    amqp: UNAUTHORIZED,
  },
  SAS_E_RESOURCE: {
    summary:
      'The SAS token is not valid for the requested resource, or its key rule does not cover the token resource.',
    http: 403,
    amqp: UNAUTHORIZED,
  },
  SAS_E_RIGHTS: {
    summary: 'The SAS token key rule lacks the right (Listen, Send or Manage) the operation needs.',
    http: 403,
    amqp: UNAUTHORIZED,
  },
  SAS_E_ARGUMENT: {
    summary:
      'A SAS function was called with unusable inputs (empty key, bad expiry, unparseable resource or rule scope): a programming or configuration error.',
    http: 500,
    amqp: 'amqp:internal-error',
  },
});

export type SasCode = (typeof SAS_ERRORS.codes)[number];

/** A SAS refusal. `details` never carries a key, a signature or a whole token. */
export class SasError extends familyError(SAS_ERRORS) {}

/** The rights an authorization rule can hold. Manage implies Listen and Send. */
export type SasRight = 'Listen' | 'Send' | 'Manage';
export const SAS_RIGHTS: readonly SasRight[] = Object.freeze(['Listen', 'Send', 'Manage']);

/** A shared access authorization rule, at namespace scope or entity scope. */
export interface SasRule {
  readonly keyName: string;
  /** The key as text; its UTF-8 bytes are the HMAC key (it is not base64-decoded). */
  readonly key: string;
  readonly rights: ReadonlySet<SasRight>;
  /** The URI this rule governs: the namespace (`sb://ns/`) or an entity (`sb://ns/queue1`). */
  readonly scope: string;
}

export const TOKEN_PREFIX = 'SharedAccessSignature ';
/** Longest token accepted, in UTF-8 bytes; checked before any parsing. */
export const MAX_TOKEN_LENGTH = 4096;
/** Lifetime of a created token when neither expiresAt nor ttlSeconds is given (as the SDK). */
export const DEFAULT_TTL_SECONDS = 3600;
/** Ports dropped when normalising a resource: AMQPS, AMQP, HTTPS, HTTP. */
export const DEFAULT_PORTS: readonly number[] = Object.freeze([5671, 5672, 443, 80]);
/** Schemes that all name the same namespace resource. */
export const RESOURCE_SCHEMES: readonly string[] = Object.freeze([
  'sb',
  'amqp',
  'amqps',
  'https',
  'http',
  'wss',
  'ws',
]);

const FIELDS = ['sr', 'sig', 'se', 'skn'] as const;
type Field = (typeof FIELDS)[number];
const MAX_EXPIRY_DIGITS = 12;
const MAX_KEY_NAME_LENGTH = 256;
const SIG_BYTES = 32;
/** An unknown field name short and plain enough to echo in an error. */
const FIELD_NAME = /^[A-Za-z0-9_-]{1,8}$/;

export interface SasDeps {
  readonly clock?: Clock;
}

// ---------------------------------------------------------------------------------------
// Resources

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const IPV6 = /^\[[0-9a-f:.]+\]$/;
const PORT = /^[0-9]{1,5}$/;
// Printable ASCII except the characters that would change how a path is read.
const SEGMENT = /^[!$&'()*+,\-.0-9:;=@A-Z_a-z~]+$/;

/**
 * The canonical form of a resource URI: lower-case `host[:port]/seg/seg`, with the scheme
 * (any of RESOURCE_SCHEMES, or none), a default port and a trailing slash removed.
 * Returns undefined for anything that is not a plain namespace or entity URI (userinfo,
 * query, fragment, empty or dot segments, percent signs, spaces, non-ASCII).
 */
export function normaliseResource(uri: string): string | undefined {
  let rest = uri;
  const scheme = SCHEME.exec(uri);
  if (scheme !== null) {
    if (!RESOURCE_SCHEMES.includes((scheme[1] ?? '').toLowerCase())) return undefined;
    rest = uri.slice(scheme[0].length);
  }
  const slash = rest.indexOf('/');
  const authority = (slash === -1 ? rest : rest.slice(0, slash)).toLowerCase();
  const path = slash === -1 ? '' : rest.slice(slash + 1);
  const host = normaliseAuthority(authority);
  if (host === undefined) return undefined;
  const segments = path.split('/');
  if (segments[segments.length - 1] === '') segments.pop();
  for (const s of segments) {
    if (!SEGMENT.test(s) || s === '.' || s === '..') return undefined;
  }
  return [host, ...segments.map((s) => s.toLowerCase())].join('/');
}

function normaliseAuthority(authority: string): string | undefined {
  let host = authority;
  let port: string | undefined;
  const colon = authority.lastIndexOf(':');
  if (colon !== -1 && !authority.endsWith(']')) {
    host = authority.slice(0, colon);
    port = authority.slice(colon + 1);
  }
  if (!IPV6.test(host)) {
    const labels = host.split('.');
    if (host.length > 253 || labels.some((l) => l.length > 63 || !LABEL.test(l))) {
      return undefined;
    }
  }
  if (port === undefined) return host;
  if (!PORT.test(port)) return undefined;
  const n = Number(port);
  if (n < 1 || n > 65535) return undefined;
  return DEFAULT_PORTS.includes(n) ? host : `${host}:${n}`;
}

/** True when canonical resource `outer` equals `inner` or is its parent on a segment boundary. */
export function resourceCovers(outer: string, inner: string): boolean {
  return inner === outer || inner.startsWith(outer + '/');
}

/** True when `rights` allow `right` (Manage implies Listen and Send). */
export function rightsAllow(rights: ReadonlySet<SasRight>, right: SasRight): boolean {
  return rights.has(right) || rights.has('Manage');
}

// ---------------------------------------------------------------------------------------
// Create

export interface CreateSasTokenInput {
  /** The audience, e.g. `sb://ns.servicebus.windows.net/queue1`. Signed exactly as given. */
  readonly resource: string;
  readonly keyName: string;
  readonly key: string;
  /** Expiry in Unix seconds. Give this or ttlSeconds (default: DEFAULT_TTL_SECONDS). */
  readonly expiresAt?: number;
  readonly ttlSeconds?: number;
}

function sign(key: string, stringToSign: string): Buffer {
  return createHmac('sha256', Buffer.from(key, 'utf8'))
    .update(Buffer.from(stringToSign, 'utf8'))
    .digest();
}

function encode(what: string, text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    throw new SasError('SAS_E_ARGUMENT', `the ${what} is not well-formed Unicode text`);
  }
}

/**
 * A token exactly as @azure/core-amqp builds one: `sr` = encodeURIComponent(resource),
 * `sig` = encodeURIComponent(base64(HMAC-SHA256(utf8(key), sr + "\n" + se))),
 * `skn` = encodeURIComponent(keyName).
 */
export function createSasToken(input: CreateSasTokenInput, deps: SasDeps = {}): string {
  const { resource, keyName, key, expiresAt, ttlSeconds } = input;
  if (resource === '' || keyName === '' || key === '') {
    throw new SasError('SAS_E_ARGUMENT', 'resource, keyName and key must all be non-empty');
  }
  let se: number;
  if (expiresAt !== undefined) {
    if (ttlSeconds !== undefined) {
      throw new SasError('SAS_E_ARGUMENT', 'give expiresAt or ttlSeconds, not both');
    }
    se = expiresAt;
  } else {
    const ttl = ttlSeconds ?? DEFAULT_TTL_SECONDS;
    if (!Number.isSafeInteger(ttl) || ttl <= 0) {
      throw new SasError('SAS_E_ARGUMENT', 'ttlSeconds must be a positive whole number', {
        ttlSeconds: ttl,
      });
    }
    se = Math.floor((deps.clock ?? systemClock).now() / 1000) + ttl;
  }
  if (!Number.isSafeInteger(se) || se < 0 || String(se).length > MAX_EXPIRY_DIGITS) {
    throw new SasError('SAS_E_ARGUMENT', 'the expiry must be a whole number of Unix seconds', {
      expiresAt: se,
    });
  }
  const sr = encode('resource', resource);
  const skn = encode('key name', keyName);
  const sig = sign(key, `${sr}\n${se}`).toString('base64');
  return `${TOKEN_PREFIX}sr=${sr}&sig=${encodeURIComponent(sig)}&se=${se}&skn=${skn}`;
}

// ---------------------------------------------------------------------------------------
// Parse

/** The fields of a token, URL-decoded, plus the exact text its signature covers. */
export interface SasTokenFields {
  /** The resource URI (decoded `sr`). */
  readonly sr: string;
  /** The signature, decoded from `sig`: standard base64 of 32 bytes. */
  readonly sig: string;
  /** Expiry, Unix seconds. */
  readonly se: number;
  /** The key name (decoded `skn`). */
  readonly skn: string;
  /** `sr` as it appears in the token (still URL-encoded) + "\n" + `se` as it appears. */
  readonly stringToSign: string;
}

/** A short, printable excerpt of untrusted text for messages and details. */
function excerpt(text: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return clean.length > 80 ? `${clean.slice(0, 80)}…` : clean;
}

function formatError(message: string, details: ErrorDetails = {}): SasError {
  return new SasError('SAS_E_FORMAT', message, details);
}

/** Refuses a missing (absent, empty, blank) token or one over MAX_TOKEN_LENGTH bytes. */
function checkPresentAndBounded(text: string | undefined): string {
  if (text === undefined) throw new SasError('SAS_E_MISSING', 'no SAS token was presented');
  if (text.length > MAX_TOKEN_LENGTH || Buffer.byteLength(text, 'utf8') > MAX_TOKEN_LENGTH) {
    throw new SasError('SAS_E_TOO_LONG', `the SAS token is over ${MAX_TOKEN_LENGTH} bytes`, {
      length: text.length,
    });
  }
  if (text.trim() === '') throw new SasError('SAS_E_MISSING', 'no SAS token was presented');
  return text;
}

/**
 * Parses `SharedAccessSignature sr=…&sig=…&se=…&skn=…`. Fields may come in any order; each
 * must appear exactly once with a non-empty value; no other field is allowed. Does not check
 * the signature, the expiry or the resource (see verifySasToken).
 */
export function parseSasToken(text: string | undefined): SasTokenFields {
  const token = checkPresentAndBounded(text);
  if (!token.startsWith(TOKEN_PREFIX)) {
    throw formatError(`the token does not start with "${TOKEN_PREFIX.trim()} "`);
  }
  const raw = new Map<Field, string>();
  for (const part of token.slice(TOKEN_PREFIX.length).split('&')) {
    const eq = part.indexOf('=');
    // The part may hold a signature: it is never echoed.
    if (eq === -1) throw formatError('a token field has no "="');
    const name = part.slice(0, eq);
    const value = part.slice(eq + 1);
    if (!(FIELDS as readonly string[]).includes(name)) {
      const shown = FIELD_NAME.test(name) ? name : '(not shown)';
      throw formatError(`unknown token field ${shown}`, { field: shown });
    }
    const field = name as Field;
    if (raw.has(field)) throw formatError(`token field ${field} appears twice`, { field });
    if (value === '') throw formatError(`token field ${field} is empty`, { field });
    raw.set(field, value);
  }
  const get = (field: Field): string => {
    const value = raw.get(field);
    if (value === undefined) throw formatError(`token field ${field} is missing`, { field });
    return value;
  };
  const rawSr = get('sr');
  const rawSig = get('sig');
  const rawSe = get('se');
  const rawSkn = get('skn');

  const sr = decode('sr', rawSr);
  const sig = decode('sig', rawSig);
  const skn = decode('skn', rawSkn);
  if (!/^[0-9]+$/.test(rawSe) || rawSe.length > MAX_EXPIRY_DIGITS) {
    throw formatError('token field se is not a whole number of Unix seconds', { field: 'se' });
  }
  if (!isSignatureText(sig)) {
    throw formatError('token field sig is not the base64 of a 32-byte HMAC-SHA256', {
      field: 'sig',
    });
  }
  // eslint-disable-next-line no-control-regex
  if (skn.length > MAX_KEY_NAME_LENGTH || /[\u0000-\u001f\u007f]/.test(skn)) {
    throw formatError('token field skn is not a usable key name', { field: 'skn' });
  }
  return Object.freeze({ sr, sig, se: Number(rawSe), skn, stringToSign: `${rawSr}\n${rawSe}` });
}

function decode(field: Field, raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw formatError(`token field ${field} is not valid URL encoding`, { field });
  }
}

function isSignatureText(sig: string): boolean {
  if (sig.length > 64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(sig)) return false;
  const bytes = Buffer.from(sig, 'base64');
  return bytes.byteLength === SIG_BYTES && bytes.toString('base64') === sig;
}

// ---------------------------------------------------------------------------------------
// Verify

export interface VerifySasOptions {
  /** The resource the caller wants to use, e.g. `amqps://ns.servicebus.windows.net/queue1`. */
  readonly resource: string;
  /** The right the operation needs. */
  readonly right: SasRight;
  /** The configured authorization rules (namespace- and entity-scoped). */
  readonly rules: readonly SasRule[];
  /** Policy: the token's expiry may be at most this many seconds after now. */
  readonly maxLifetimeSeconds: number;
}

/** What a valid token grants. */
export interface SasGrant {
  readonly keyName: string;
  /** Expiry, Unix seconds. */
  readonly expiresAt: number;
  /** The rights of the matching rule(s). */
  readonly rights: ReadonlySet<SasRight>;
  /** The token's resource, normalised (see normaliseResource). */
  readonly resource: string;
}

/**
 * Verifies `text` for `options.right` on `options.resource`. Order: length, format, key
 * name, signature (constant time), expiry, lifetime policy, resource (rule scope and
 * request), rights. Returns the grant; throws SasError and nothing else.
 */
export function verifySasToken(
  text: string | undefined,
  options: VerifySasOptions,
  deps: SasDeps = {},
): SasGrant {
  const { right, rules, maxLifetimeSeconds } = options;
  const requested = normaliseResource(options.resource);
  if (requested === undefined) {
    throw new SasError('SAS_E_ARGUMENT', 'the requested resource is not a usable resource URI', {
      resource: excerpt(options.resource),
    });
  }
  if (!Number.isFinite(maxLifetimeSeconds) || maxLifetimeSeconds < 0) {
    throw new SasError('SAS_E_ARGUMENT', 'maxLifetimeSeconds must be a non-negative number');
  }
  const nowMs = (deps.clock ?? systemClock).now();

  const fields = parseSasToken(text);
  const sr = normaliseResource(fields.sr);
  if (sr === undefined) {
    throw formatError('token field sr is not a usable resource URI', {
      field: 'sr',
      sr: excerpt(fields.sr),
    });
  }

  const named = rules.filter((r) => r.keyName === fields.skn);
  if (named.length === 0) {
    throw new SasError('SAS_E_KEYNAME', `no authorization rule is named "${excerpt(fields.skn)}"`, {
      keyName: excerpt(fields.skn),
    });
  }
  const presented = Buffer.from(fields.sig, 'base64');
  // Every candidate key is tried, so the time taken does not say which one matched.
  const signedBy = named.filter((r) => bytesEqual(sign(r.key, fields.stringToSign), presented));
  if (signedBy.length === 0) {
    throw new SasError('SAS_E_SIGNATURE', 'the token signature does not match its key', {
      keyName: excerpt(fields.skn),
    });
  }

  const expiresMs = fields.se * 1000;
  if (expiresMs <= nowMs) {
    throw new SasError('SAS_E_EXPIRED', 'the token has expired', {
      expiresAt: fields.se,
      now: Math.floor(nowMs / 1000),
    });
  }
  if (expiresMs - nowMs > maxLifetimeSeconds * 1000) {
    throw new SasError(
      'SAS_E_LIFETIME',
      `the token expires more than ${maxLifetimeSeconds} s from now`,
      { expiresAt: fields.se, now: Math.floor(nowMs / 1000), maxLifetimeSeconds },
    );
  }

  const inScope = signedBy.filter((r) => {
    const scope = normaliseResource(r.scope);
    if (scope === undefined) {
      throw new SasError('SAS_E_ARGUMENT', `rule "${r.keyName}" has an unusable scope`, {
        keyName: r.keyName,
      });
    }
    return resourceCovers(scope, sr);
  });
  if (inScope.length === 0) {
    throw new SasError('SAS_E_RESOURCE', 'the token resource is outside its key rule scope', {
      keyName: excerpt(fields.skn),
      sr,
    });
  }
  if (!resourceCovers(sr, requested)) {
    throw new SasError('SAS_E_RESOURCE', 'the token is not valid for the requested resource', {
      sr,
      resource: requested,
    });
  }

  const rights = new Set<SasRight>();
  for (const rule of inScope) for (const r of rule.rights) rights.add(r);
  if (!rightsAllow(rights, right)) {
    throw new SasError('SAS_E_RIGHTS', `the token key rule lacks the ${right} right`, {
      keyName: excerpt(fields.skn),
      right,
    });
  }
  return Object.freeze({ keyName: fields.skn, expiresAt: fields.se, rights, resource: sr });
}
