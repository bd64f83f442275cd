// The salted AES-256 handshake v1 (docs/protocol/handshake-v1.md), both sides, pure.
// Relay side. In: tenant, kid, K, instance id, caps. Out: HELLO text and a PendingHello; then
// the cloud's answer → a Session (sid, session key Ks, ttl) or a thrown HandshakeError.
// Cloud side (HandshakeVerifier). In: HELLO text or bytes. Out: WELCOME text and a
// CloudSession, or the one fixed REJECT text plus a HandshakeError for the local log.
// Clock and randomness are injected; nothing here does IO, logs, or keeps timers.
import { defineErrors, familyError, type ErrorDetails } from './errors';
import { FailureLimiter, type RateLimits } from './handshake-rate';
import { ReplayCache, type ReplayCacheLimits } from './handshake-replay';
import {
  aeadOpen,
  aeadSeal,
  b64url,
  bytesEqual,
  fromB64url,
  hkdf32,
  IV_BYTES,
  KEY_BYTES,
  NONCE_BYTES,
  SALT_BYTES,
  systemClock,
  systemRandom,
  TAG_BYTES,
  TENANT_PATTERN,
  type Clock,
  type RandomBytes,
} from './primitives';

// ------------------------------------------------------------------------------- errors

export const HANDSHAKE_ERRORS = defineErrors('handshake', {
  HS_E_FORMAT: {
    summary:
      'The handshake message is not a well-formed v1 message: over 4 KiB, not printable ASCII ' +
      'JSON, not in canonical form, wrong fields or types, or wrong decoded lengths.',
  },
  HS_E_VERSION: { summary: 'The handshake message declares a protocol version other than 1.' },
  HS_E_TENANT: {
    summary:
      'The tenant is not configured on the cloud side, or a WELCOME names another tenant ' +
      'than the HELLO it answers.',
  },
  HS_E_KID: {
    summary:
      'The key id is unknown or retired for that tenant, or a WELCOME names another key id ' +
      'than the HELLO it answers.',
  },
  HS_E_AUTH: {
    summary:
      'The message does not authenticate: wrong key, a changed bit, a field moved from ' +
      'another message or tenant, or a message reflected in the other direction.',
  },
  HS_E_SKEW: {
    summary: "The message's timestamp is more than the skew window (120 s) from this side's clock.",
  },
  HS_E_REPLAY: {
    summary:
      'The salt or nonce was already used within the replay window (10 min), or the HELLO ' +
      'was already answered.',
  },
  HS_E_RATE: {
    summary:
      'Too many failed handshakes for this tenant (10 within a minute): every HELLO is ' +
      'refused during the back-off (60 s).',
  },
  HS_E_CAPACITY: {
    summary:
      "The tenant's replay cache is full: new handshakes are refused until entries expire, " +
      'rather than forgetting entries that still guard against replay.',
  },
  HS_E_NONCE: {
    summary: "The WELCOME does not echo the relay's nonce: it answers another HELLO.",
  },
  HS_E_REJECTED: {
    summary: 'The cloud side answered REJECT; the reason is only in the cloud side log.',
  },
  HS_E_CONFIG: {
    summary:
      'Handshake key material or options are invalid: a key that is not 32 bytes, a malformed ' +
      'tenant, key id or instance id, more than two active keys, or a bad limit.',
  },
});

export type HandshakeErrorCode = (typeof HANDSHAKE_ERRORS.codes)[number];

/** Every failure of the handshake, on either side, for any input. */
export class HandshakeError extends familyError(HANDSHAKE_ERRORS) {}

function fail(code: HandshakeErrorCode, message: string, details: ErrorDetails = {}): never {
  throw new HandshakeError(code, message, details);
}

// ---------------------------------------------------------------------------- constants

export const HANDSHAKE_VERSION = 1;
/** Largest accepted message, checked on the raw bytes before any parsing. */
export const MAX_MESSAGE_BYTES = 4096;
export const DEFAULT_SKEW_MS = 120_000;
export const DEFAULT_REPLAY_WINDOW_MS = 600_000;
export const DEFAULT_TTL_SECONDS = 3600;
export const MAX_TTL_SECONDS = 86_400;
export const MAX_ACTIVE_KEYS = 2;
export const MAX_CAPS = 16;
/** The only answer a refused peer ever receives, whatever went wrong. */
export const REJECT_MESSAGE = '{"v":1,"t":"reject"}';

export const DEFAULT_REPLAY_LIMITS: Omit<ReplayCacheLimits, 'windowMs'> = Object.freeze({
  maxEntries: 4096,
  maxBytes: 512 * 1024,
});
export const DEFAULT_RATE_LIMITS: RateLimits = Object.freeze({
  maxFailures: 10,
  windowMs: 60_000,
  backoffMs: 60_000,
});
export const DEFAULT_MAX_SESSIONS_PER_TENANT = 256;

export { TENANT_PATTERN };
export const KID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
export const RELAY_ID_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;
export const CAP_PATTERN = /^[a-z][a-z0-9.-]{0,31}$/;

/** Outer fields, in wire order; a message has exactly these. */
export const MESSAGE_FIELDS = ['v', 't', 'tenant', 'kid', 'salt', 'iv', 'ct', 'tag'] as const;
/** HELLO plaintext fields, in wire order. */
export const HELLO_PT_FIELDS = ['relay', 'nr', 'ts', 'caps'] as const;
/** WELCOME plaintext fields, in wire order. */
export const WELCOME_PT_FIELDS = ['nr', 'nc', 'sid', 'ts', 'ttl'] as const;

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// ------------------------------------------------------------------------ derivations

export type MessageType = 'hello' | 'welcome';

/** HKDF info of a message key: r2c for HELLO, c2r for WELCOME. */
export function messageInfo(t: MessageType, tenant: string): string {
  return `relaycheck hs v1 ${t === 'hello' ? 'r2c' : 'c2r'} ${tenant}`;
}

/** AAD text of a message; salt and kid exactly as written in the message. */
export function messageAad(t: MessageType, tenant: string, kid: string, salt: string): string {
  return `v1|${t}|${tenant}|${kid}|${salt}`;
}

/** Ks = HKDF(K, nr || nc, "relaycheck session v1 <tenant> <sid>"), sid as base64url text. */
export function deriveSessionKey(
  key: Uint8Array,
  tenant: string,
  nr: Uint8Array,
  nc: Uint8Array,
  sid: string,
): Buffer {
  return hkdf32(key, Buffer.concat([nr, nc]), `relaycheck session v1 ${tenant} ${sid}`);
}

// ------------------------------------------------------------------------- wire format

interface Sealed {
  readonly t: MessageType;
  readonly tenant: string;
  readonly kid: string;
  readonly salt: string;
  readonly iv: string;
  readonly ct: string;
  readonly tag: string;
  readonly bytes: {
    readonly salt: Buffer;
    readonly iv: Buffer;
    readonly ct: Buffer;
    readonly tag: Buffer;
  };
}

type Json = Record<string, unknown>;

/** Size and alphabet checks on the raw input; returns its text. Never parses. */
function readMessage(input: unknown): string {
  let text: string;
  if (typeof input === 'string') {
    if (input.length > MAX_MESSAGE_BYTES) fail('HS_E_FORMAT', 'message is larger than 4 KiB');
    text = input;
  } else if (input instanceof Uint8Array) {
    if (input.byteLength > MAX_MESSAGE_BYTES) fail('HS_E_FORMAT', 'message is larger than 4 KiB');
    text = Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1');
  } else {
    fail('HS_E_FORMAT', 'message is neither text nor bytes');
  }
  if (!PRINTABLE_ASCII.test(text)) fail('HS_E_FORMAT', 'message is not printable ASCII');
  return text;
}

function parseObject(text: string, what: string): Json {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    fail('HS_E_FORMAT', `${what} is not JSON`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    fail('HS_E_FORMAT', `${what} is not a JSON object`);
  }
  return doc as Json;
}

function expectFields(doc: Json, fields: readonly string[], what: string): void {
  const keys = Object.keys(doc);
  if (keys.length !== fields.length || keys.some((k, i) => k !== fields[i])) {
    fail('HS_E_FORMAT', `${what} must have exactly the fields ${fields.join(', ')} in that order`);
  }
}

function binary(value: unknown, name: string, length: number | 'nonempty'): Buffer {
  const bytes = typeof value === 'string' ? fromB64url(value) : undefined;
  if (bytes === undefined) fail('HS_E_FORMAT', `${name} is not canonical base64url`);
  if (length === 'nonempty' ? bytes.length === 0 : bytes.length !== length) {
    fail('HS_E_FORMAT', `${name} has the wrong length`);
  }
  return bytes;
}

function isTimestamp(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isTtl(value: unknown): value is number {
  return (
    typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_TTL_SECONDS
  );
}

function isCaps(value: unknown): value is string[] {
  return (
    Array.isArray(value) &&
    value.length <= MAX_CAPS &&
    value.every((c) => typeof c === 'string' && CAP_PATTERN.test(c)) &&
    new Set(value).size === value.length
  );
}

/** Parses an outer message. Returns 'reject' for the exact REJECT text. */
function parseSealed(text: string): Sealed | 'reject' {
  if (text === REJECT_MESSAGE) return 'reject';
  const doc = parseObject(text, 'message');
  const v = doc.v;
  if (!Object.hasOwn(doc, 'v') || typeof v !== 'number') {
    fail('HS_E_FORMAT', 'message has no numeric v');
  }
  if (v !== HANDSHAKE_VERSION) fail('HS_E_VERSION', 'message is not version 1', { version: v });
  expectFields(doc, MESSAGE_FIELDS, 'message');
  const { t, tenant, kid, salt, iv, ct, tag } = doc;
  if (t !== 'hello' && t !== 'welcome') fail('HS_E_FORMAT', 't is not hello or welcome');
  if (typeof tenant !== 'string' || !TENANT_PATTERN.test(tenant)) {
    fail('HS_E_FORMAT', 'tenant is malformed');
  }
  if (typeof kid !== 'string' || !KID_PATTERN.test(kid)) {
    fail('HS_E_FORMAT', 'kid is malformed', { tenant });
  }
  const bytes = {
    salt: binary(salt, 'salt', SALT_BYTES),
    iv: binary(iv, 'iv', IV_BYTES),
    ct: binary(ct, 'ct', 'nonempty'),
    tag: binary(tag, 'tag', TAG_BYTES),
  };
  // All four are strings now (binary() checked them).
  const sealed = { t, tenant, kid, salt, iv, ct, tag } as Omit<Sealed, 'bytes'>;
  if (JSON.stringify({ v: HANDSHAKE_VERSION, ...sealed }) !== text) {
    fail('HS_E_FORMAT', 'message is not in canonical form', { tenant });
  }
  return { ...sealed, bytes };
}

/** Draws `n` bytes from the injected source, refusing a source that misbehaves. */
function draw(random: RandomBytes, n: number): Buffer {
  const bytes: unknown = random(n);
  if (!(bytes instanceof Uint8Array) || bytes.byteLength !== n) {
    fail('HS_E_CONFIG', `the random source did not return ${n} bytes`);
  }
  return Buffer.from(bytes);
}

function seal(
  t: MessageType,
  tenant: string,
  kid: string,
  key: Uint8Array,
  plaintext: string,
  random: RandomBytes,
): string {
  const salt = draw(random, SALT_BYTES);
  const iv = draw(random, IV_BYTES);
  const saltText = b64url(salt);
  const aad = Buffer.from(messageAad(t, tenant, kid, saltText), 'utf8');
  const { ct, tag } = aeadSeal(
    hkdf32(key, salt, messageInfo(t, tenant)),
    iv,
    aad,
    Buffer.from(plaintext, 'utf8'),
  );
  const fields = { tenant, kid, salt: saltText, iv: b64url(iv), ct: b64url(ct), tag: b64url(tag) };
  return JSON.stringify({ v: HANDSHAKE_VERSION, t, ...fields });
}

/**
 * Opens a message as the type the receiver expects: key and AAD are built from `expected`,
 * never from the message's own `t`, so a message reflected in the other direction fails.
 */
function open(sealed: Sealed, expected: MessageType, key: Uint8Array): Buffer {
  const { tenant, kid, salt, bytes } = sealed;
  const pt = aeadOpen(
    hkdf32(key, bytes.salt, messageInfo(expected, tenant)),
    bytes.iv,
    Buffer.from(messageAad(expected, tenant, kid, salt), 'utf8'),
    bytes.ct,
    bytes.tag,
  );
  if (pt === undefined || sealed.t !== expected) {
    fail('HS_E_AUTH', `${expected.toUpperCase()} does not authenticate`, { tenant, kid });
  }
  return pt;
}

function parsePlaintext(bytes: Buffer, fields: readonly string[]): { doc: Json; text: string } {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    fail('HS_E_FORMAT', 'plaintext is not UTF-8');
  }
  const doc = parseObject(text, 'plaintext');
  expectFields(doc, fields, 'plaintext');
  return { doc, text };
}

interface HelloPlaintext {
  readonly relay: string;
  readonly nr: string;
  readonly nrBytes: Buffer;
  readonly ts: number;
  readonly caps: readonly string[];
}

function parseHelloPlaintext(bytes: Buffer): HelloPlaintext {
  const { doc, text } = parsePlaintext(bytes, HELLO_PT_FIELDS);
  const { relay, nr, ts, caps } = doc;
  if (typeof relay !== 'string' || !RELAY_ID_PATTERN.test(relay)) {
    fail('HS_E_FORMAT', 'relay is malformed');
  }
  const nrBytes = binary(nr, 'nr', NONCE_BYTES);
  if (!isTimestamp(ts)) fail('HS_E_FORMAT', 'ts is not a timestamp in ms');
  if (!isCaps(caps)) fail('HS_E_FORMAT', 'caps is malformed');
  const nrText = nr as string;
  if (JSON.stringify({ relay, nr: nrText, ts, caps }) !== text) {
    fail('HS_E_FORMAT', 'plaintext is not in canonical form');
  }
  return { relay, nr: nrText, nrBytes, ts, caps: Object.freeze([...caps]) };
}

interface WelcomePlaintext {
  readonly nrBytes: Buffer;
  readonly ncBytes: Buffer;
  readonly sid: string;
  readonly ts: number;
  readonly ttl: number;
}

function parseWelcomePlaintext(bytes: Buffer): WelcomePlaintext {
  const { doc, text } = parsePlaintext(bytes, WELCOME_PT_FIELDS);
  const { nr, nc, sid, ts, ttl } = doc;
  const nrBytes = binary(nr, 'nr', NONCE_BYTES);
  const ncBytes = binary(nc, 'nc', NONCE_BYTES);
  binary(sid, 'sid', NONCE_BYTES);
  if (!isTimestamp(ts)) fail('HS_E_FORMAT', 'ts is not a timestamp in ms');
  if (!isTtl(ttl)) fail('HS_E_FORMAT', 'ttl is not a whole number of seconds in range');
  if (JSON.stringify({ nr, nc, sid, ts, ttl }) !== text) {
    fail('HS_E_FORMAT', 'plaintext is not in canonical form');
  }
  return { nrBytes, ncBytes, sid: sid as string, ts, ttl };
}

// ---------------------------------------------------------------- shared validation

function checkKey(key: unknown, what: string): Buffer {
  if (!(key instanceof Uint8Array) || key.byteLength !== KEY_BYTES) {
    fail('HS_E_CONFIG', `${what} is not ${KEY_BYTES} bytes`);
  }
  return Buffer.from(key); // a private copy: later changes by the caller do not leak in
}

function checkTenant(tenant: unknown): string {
  if (typeof tenant !== 'string' || !TENANT_PATTERN.test(tenant)) {
    fail('HS_E_CONFIG', 'tenant must match [a-z0-9-]{3,64}');
  }
  return tenant;
}

function checkKid(kid: unknown, tenant: string): string {
  if (typeof kid !== 'string' || !KID_PATTERN.test(kid)) {
    fail('HS_E_CONFIG', 'kid must match [A-Za-z0-9._-]{1,64}', { tenant });
  }
  return kid;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  const n = value ?? fallback;
  if (!Number.isSafeInteger(n) || n <= 0) fail('HS_E_CONFIG', `${name} must be a positive integer`);
  return n;
}

/** Attaches `key` as a non-enumerable property, so logging or serialising never shows it. */
function withHiddenKey<T extends object>(record: T, key: Buffer): T & { readonly key: Buffer } {
  Object.defineProperty(record, 'key', { value: key, enumerable: false });
  return Object.freeze(record) as T & { readonly key: Buffer };
}

// --------------------------------------------------------------------------- relay side

export interface HandshakeDeps {
  readonly clock?: Clock;
  readonly random?: RandomBytes;
}

export interface HelloParams {
  readonly tenant: string;
  readonly kid: string;
  /** K: the tenant's 32-byte secret. Copied; never logged. */
  readonly key: Uint8Array;
  /** This relay's instance id, [A-Za-z0-9._:@-]{1,128}. */
  readonly relay: string;
  /** Capabilities offered, each [a-z][a-z0-9.-]{0,31}, at most 16, distinct. */
  readonly caps?: readonly string[];
}

/** What the relay remembers between HELLO and WELCOME. Its secrets are held out of sight. */
export interface PendingHello {
  readonly tenant: string;
  readonly kid: string;
  readonly relay: string;
  /** The HELLO's ts (ms); the session's expiry counts from here. */
  readonly ts: number;
  readonly caps: readonly string[];
}

/** A live session, as each side sees it. `key` (Ks) is non-enumerable: it never serialises. */
export interface Session {
  readonly tenant: string;
  readonly kid: string;
  /** Session id, base64url of 16 bytes. */
  readonly sid: string;
  readonly ttl: number;
  /** ms since the epoch. */
  readonly expiresAt: number;
  readonly key: Buffer;
}

const PENDING = new WeakMap<PendingHello, { key: Buffer; nr: Buffer; answered: boolean }>();

/**
 * Builds a HELLO. Randomness is drawn in this order: nr (16), salt (16), iv (12); ts is
 * `clock.now()`. Throws HS_E_CONFIG for bad parameters.
 */
export function createHello(
  params: HelloParams,
  deps: HandshakeDeps = {},
): { message: string; pending: PendingHello } {
  const tenant = checkTenant(params.tenant);
  const kid = checkKid(params.kid, tenant);
  const key = checkKey(params.key, 'key');
  const relay = params.relay;
  if (typeof relay !== 'string' || !RELAY_ID_PATTERN.test(relay)) {
    fail('HS_E_CONFIG', 'relay instance id must match [A-Za-z0-9._:@-]{1,128}', { tenant });
  }
  const caps: unknown = [...(params.caps ?? [])];
  if (!isCaps(caps)) fail('HS_E_CONFIG', 'caps are malformed', { tenant });
  const random = deps.random ?? systemRandom;
  const ts = (deps.clock ?? systemClock).now();
  if (!isTimestamp(ts)) fail('HS_E_CONFIG', 'the clock did not return whole ms');
  const nr = draw(random, NONCE_BYTES);
  const plaintext = JSON.stringify({ relay, nr: b64url(nr), ts, caps });
  const message = seal('hello', tenant, kid, key, plaintext, random);
  const pending: PendingHello = Object.freeze({
    tenant,
    kid,
    relay,
    ts,
    caps: Object.freeze(caps),
  });
  PENDING.set(pending, { key, nr, answered: false });
  return { message, pending };
}

export interface OpenWelcomeDeps {
  readonly clock?: Clock;
  /** Allowed |ts - now| in ms; default 120 000. */
  readonly skewMs?: number;
}

/**
 * Checks the cloud's answer to `pending` and derives the session. Enforces the mirror rules:
 * same tenant and kid, direction-bound key (a reflected HELLO fails HS_E_AUTH), echoed nr,
 * ts within the skew window, one answer per HELLO. Throws HandshakeError, HS_E_REJECTED for
 * REJECT. The session expires `ttl` seconds after the HELLO's own ts (conservative).
 */
export function openWelcome(
  pending: PendingHello,
  input: string | Uint8Array,
  deps: OpenWelcomeDeps = {},
): Session {
  const secret = PENDING.get(pending);
  if (secret === undefined) fail('HS_E_CONFIG', 'not a pending HELLO made by createHello');
  const { tenant, kid } = pending;
  if (secret.answered) fail('HS_E_REPLAY', 'this HELLO was already answered', { tenant, kid });
  const skewMs = positive(deps.skewMs, DEFAULT_SKEW_MS, 'skewMs');
  const now = (deps.clock ?? systemClock).now();
  const sealed = parseSealed(readMessage(input));
  if (sealed === 'reject')
    fail('HS_E_REJECTED', 'the cloud side refused the handshake', { tenant });
  if (sealed.tenant !== tenant) fail('HS_E_TENANT', 'WELCOME names another tenant', { tenant });
  if (sealed.kid !== kid) fail('HS_E_KID', 'WELCOME names another kid', { tenant, kid });
  const pt = parseWelcomePlaintext(open(sealed, 'welcome', secret.key));
  if (!bytesEqual(pt.nrBytes, secret.nr)) {
    fail('HS_E_NONCE', 'WELCOME does not echo this HELLO’s nonce', { tenant, kid });
  }
  if (Math.abs(pt.ts - now) > skewMs) {
    fail('HS_E_SKEW', 'WELCOME ts is outside the skew window', { tenant, kid, skew: pt.ts - now });
  }
  secret.answered = true;
  const key = deriveSessionKey(secret.key, tenant, secret.nr, pt.ncBytes, pt.sid);
  const { sid, ttl } = pt;
  return withHiddenKey({ tenant, kid, sid, ttl, expiresAt: pending.ts + ttl * 1000 }, key);
}

// --------------------------------------------------------------------------- cloud side

export type KeyState = 'active' | 'retired';

function isKeyState(value: unknown): value is KeyState {
  return value === 'active' || value === 'retired';
}

export interface TenantKey {
  readonly kid: string;
  /** K: 32 bytes. Copied; never logged. */
  readonly key: Uint8Array;
  /** Default 'active'. */
  readonly state?: KeyState;
}

export interface VerifierOptions {
  /** tenant → its keys; at most two active per tenant. */
  readonly tenants: Readonly<Record<string, readonly TenantKey[]>>;
  /** Allowed |ts - now| in ms; default 120 000. */
  readonly skewMs?: number;
  /** How long a salt or nonce is remembered, in ms; default 600 000, at least 2 × skewMs. */
  readonly replayWindowMs?: number;
  /** Session lifetime granted in WELCOME, in s; default 3600. */
  readonly ttlSeconds?: number;
  /** Per-tenant replay cache bounds; defaults DEFAULT_REPLAY_LIMITS. */
  readonly replayCache?: Partial<Omit<ReplayCacheLimits, 'windowMs'>>;
  /** Per-tenant failure limit; defaults DEFAULT_RATE_LIMITS. */
  readonly rateLimit?: Partial<RateLimits>;
  /** Live sessions kept per tenant; beyond it the oldest is dropped. Default 256. */
  readonly maxSessionsPerTenant?: number;
}

/** A session as the cloud side keeps it. */
export interface CloudSession extends Session {
  readonly relay: string;
  readonly caps: readonly string[];
  readonly createdAt: number;
}

export interface VerifyContext {
  /** The peer's transport address, for the local log only. */
  readonly peer?: string;
}

export type VerifyResult =
  | {
      readonly ok: true;
      readonly welcome: string;
      readonly session: CloudSession;
      /** Sessions dropped to stay within maxSessionsPerTenant: close their connections. */
      readonly dropped: readonly CloudSession[];
    }
  | { readonly ok: false; readonly reject: typeof REJECT_MESSAGE; readonly error: HandshakeError };

export interface ReplayStats {
  readonly entries: number;
  readonly bytes: number;
  readonly maxEntries: number;
  readonly maxBytes: number;
}

interface TenantState {
  readonly keys: Map<string, { readonly key: Buffer; state: KeyState }>;
  readonly replay: ReplayCache;
  readonly limiter: FailureLimiter;
  /** sid → session, oldest first. */
  readonly sessions: Map<string, CloudSession>;
}

/** Codes that do not count towards the failure limit: not the peer's doing, or already refused. */
const NOT_COUNTED: ReadonlySet<HandshakeErrorCode> = new Set([
  'HS_E_RATE',
  'HS_E_CAPACITY',
  'HS_E_CONFIG',
]);

/**
 * The cloud side of the handshake. Holds, per tenant: keys, a bounded replay cache, a failure
 * limiter and the live sessions. `verify` never throws for any input.
 */
export class HandshakeVerifier {
  readonly skewMs: number;
  readonly replayWindowMs: number;
  readonly ttlSeconds: number;
  readonly maxSessionsPerTenant: number;
  readonly #replayLimits: ReplayCacheLimits;
  readonly #rateLimits: RateLimits;
  readonly #clock: Clock;
  readonly #random: RandomBytes;
  readonly #tenants = new Map<string, TenantState>();

  constructor(options: VerifierOptions, deps: HandshakeDeps = {}) {
    this.skewMs = positive(options.skewMs, DEFAULT_SKEW_MS, 'skewMs');
    this.replayWindowMs = positive(
      options.replayWindowMs,
      DEFAULT_REPLAY_WINDOW_MS,
      'replayWindowMs',
    );
    if (this.replayWindowMs < 2 * this.skewMs) {
      fail('HS_E_CONFIG', 'replayWindowMs must be at least twice skewMs');
    }
    this.ttlSeconds = positive(options.ttlSeconds, DEFAULT_TTL_SECONDS, 'ttlSeconds');
    if (this.ttlSeconds > MAX_TTL_SECONDS) fail('HS_E_CONFIG', 'ttlSeconds is above 86400');
    this.maxSessionsPerTenant = positive(
      options.maxSessionsPerTenant,
      DEFAULT_MAX_SESSIONS_PER_TENANT,
      'maxSessionsPerTenant',
    );
    const cache = options.replayCache ?? {};
    this.#replayLimits = Object.freeze({
      windowMs: this.replayWindowMs,
      maxEntries: positive(cache.maxEntries, DEFAULT_REPLAY_LIMITS.maxEntries, 'maxEntries'),
      maxBytes: positive(cache.maxBytes, DEFAULT_REPLAY_LIMITS.maxBytes, 'maxBytes'),
    });
    const rate = options.rateLimit ?? {};
    this.#rateLimits = Object.freeze({
      maxFailures: positive(rate.maxFailures, DEFAULT_RATE_LIMITS.maxFailures, 'maxFailures'),
      windowMs: positive(rate.windowMs, DEFAULT_RATE_LIMITS.windowMs, 'rate windowMs'),
      backoffMs: positive(rate.backoffMs, DEFAULT_RATE_LIMITS.backoffMs, 'backoffMs'),
    });
    this.#clock = deps.clock ?? systemClock;
    this.#random = deps.random ?? systemRandom;
    for (const [tenant, keys] of Object.entries(options.tenants)) {
      this.#tenants.set(checkTenant(tenant), this.#newTenant());
      for (const k of keys) this.addKey(tenant, k);
    }
  }

  /** Adds a key (active unless stated) to a tenant, creating the tenant if new. */
  addKey(tenant: string, entry: TenantKey): void {
    checkTenant(tenant);
    const kid = checkKid(entry.kid, tenant);
    const key = checkKey(entry.key, `key ${kid} of ${tenant}`);
    const state: unknown = entry.state ?? 'active';
    if (!isKeyState(state)) fail('HS_E_CONFIG', 'key state is unknown', { tenant, kid });
    const t = this.#tenants.get(tenant) ?? this.#newTenant();
    if (t.keys.has(kid)) fail('HS_E_CONFIG', `kid ${kid} already exists`, { tenant, kid });
    const active = [...t.keys.values()].filter((k) => k.state === 'active').length;
    if (state === 'active' && active >= MAX_ACTIVE_KEYS) {
      fail('HS_E_CONFIG', 'a tenant has at most two active keys', { tenant, kid });
    }
    t.keys.set(kid, { key, state });
    this.#tenants.set(tenant, t);
  }

  /**
   * Retires a key: HELLOs under it fail HS_E_KID from now on. Returns the live sessions made
   * under it, which are dropped here and must be closed by the caller.
   */
  retireKey(tenant: string, kid: string): readonly CloudSession[] {
    const t = this.#tenants.get(tenant);
    const k = t?.keys.get(kid);
    if (t === undefined || k === undefined) fail('HS_E_CONFIG', 'no such key', { tenant, kid });
    k.state = 'retired';
    const dropped = [...t.sessions.values()].filter((s) => s.kid === kid);
    for (const s of dropped) t.sessions.delete(s.sid);
    return dropped;
  }

  /** The keys of a tenant (ids and states only). */
  keysOf(tenant: string): readonly { readonly kid: string; readonly state: KeyState }[] {
    const t = this.#tenants.get(tenant);
    return t === undefined ? [] : [...t.keys].map(([kid, k]) => ({ kid, state: k.state }));
  }

  /** The live session `sid` of `tenant`, or undefined (unknown, expired or dropped). */
  liveSession(tenant: string, sid: string): CloudSession | undefined {
    const t = this.#tenants.get(tenant);
    if (t === undefined) return undefined;
    const now = this.#clock.now();
    pruneSessions(t, now);
    const s = t.sessions.get(sid);
    return s !== undefined && s.expiresAt > now ? s : undefined;
  }

  /** Current size of a tenant's replay cache, and its bounds. */
  replayStats(tenant: string): ReplayStats | undefined {
    const t = this.#tenants.get(tenant);
    if (t === undefined) return undefined;
    const { maxEntries, maxBytes } = t.replay.limits;
    return { entries: t.replay.size, bytes: t.replay.bytes, maxEntries, maxBytes };
  }

  /** Checks one HELLO. Never throws: a failure is REJECT plus the error for the local log. */
  verify(input: unknown, context: VerifyContext = {}): VerifyResult {
    const now = this.#clock.now();
    const seen: { tenant?: string; kid?: string; relay?: string } = {};
    try {
      const { welcome, session, dropped } = this.#accept(input, now, seen);
      return { ok: true, welcome, session, dropped };
    } catch (e) {
      if (!(e instanceof HandshakeError)) throw e; // a bug, not a refusal: let it surface
      const details = {
        ...seen,
        ...e.details,
        ...(context.peer === undefined ? {} : { peer: context.peer }),
      };
      return {
        ok: false,
        reject: REJECT_MESSAGE,
        error: new HandshakeError(e.code, e.message, details),
      };
    }
  }

  #accept(
    input: unknown,
    now: number,
    seen: { tenant?: string; kid?: string; relay?: string },
  ): { welcome: string; session: CloudSession; dropped: CloudSession[] } {
    const sealed = parseSealed(readMessage(input));
    if (sealed === 'reject') fail('HS_E_FORMAT', 'REJECT sent to the cloud side');
    const { tenant, kid } = sealed;
    seen.tenant = tenant;
    seen.kid = kid;
    const t = this.#tenants.get(tenant);
    if (t === undefined) fail('HS_E_TENANT', 'unknown tenant');
    if (t.limiter.blocked(now)) {
      fail('HS_E_RATE', 'tenant is in back-off after repeated failures', {
        retryAt: t.limiter.blockedUntil,
      });
    }
    try {
      const k = t.keys.get(kid);
      if (k === undefined) fail('HS_E_KID', 'unknown kid');
      if (k.state !== 'active') fail('HS_E_KID', 'kid is retired');
      const pt = parseHelloPlaintext(open(sealed, 'hello', k.key));
      seen.relay = pt.relay;
      if (Math.abs(pt.ts - now) > this.skewMs) {
        fail('HS_E_SKEW', 'HELLO ts is outside the skew window', { skew: pt.ts - now });
      }
      const admission = t.replay.admit([`salt:${sealed.salt}`, `nr:${pt.nr}`], now);
      if (admission === 'seen') fail('HS_E_REPLAY', 'salt or nonce already seen');
      if (admission === 'full') fail('HS_E_CAPACITY', 'replay cache is full');
      return this.#welcome(t, tenant, kid, k.key, pt, now);
    } catch (e) {
      if (e instanceof HandshakeError && !NOT_COUNTED.has(e.code)) t.limiter.fail(now);
      throw e;
    }
  }

  /** Randomness is drawn in this order: nc (16), sid (16), salt' (16), iv' (12). */
  #welcome(
    t: TenantState,
    tenant: string,
    kid: string,
    key: Buffer,
    hello: HelloPlaintext,
    now: number,
  ): { welcome: string; session: CloudSession; dropped: CloudSession[] } {
    const nc = draw(this.#random, NONCE_BYTES);
    const sid = b64url(draw(this.#random, NONCE_BYTES));
    const ttl = this.ttlSeconds;
    const plaintext = JSON.stringify({ nr: hello.nr, nc: b64url(nc), sid, ts: now, ttl });
    const welcome = seal('welcome', tenant, kid, key, plaintext, this.#random);
    const session = withHiddenKey(
      {
        tenant,
        kid,
        sid,
        ttl,
        expiresAt: now + ttl * 1000,
        relay: hello.relay,
        caps: hello.caps,
        createdAt: now,
      },
      deriveSessionKey(key, tenant, hello.nrBytes, nc, sid),
    );
    pruneSessions(t, now);
    const dropped: CloudSession[] = [];
    for (const [old, s] of t.sessions) {
      if (t.sessions.size < this.maxSessionsPerTenant) break;
      t.sessions.delete(old);
      dropped.push(s);
    }
    t.sessions.set(sid, session);
    return { welcome, session, dropped };
  }

  #newTenant(): TenantState {
    return {
      keys: new Map(),
      replay: new ReplayCache(this.#replayLimits),
      limiter: new FailureLimiter(this.#rateLimits),
      sessions: new Map(),
    };
  }
}

/** Drops expired sessions, oldest first (insertion order is expiry order: one ttl for all). */
function pruneSessions(t: TenantState, now: number): void {
  for (const [sid, s] of t.sessions) {
    if (s.expiresAt > now) break;
    t.sessions.delete(sid);
  }
}
