// The message envelope v1 (docs/protocol/envelope-v1.md): end-to-end sealing of relayed bodies.
// In: a body, its message binding (tenant, messageId, route, direction), the tenant key K with
// its kid, and an injected clock and randomness. Out: the sealed body plus the rc-* metadata
// that travels beside it (AMQP application properties or HTTP headers); and the reverse, which
// returns the body only when every segment authenticates, or throws an EnvelopeError with a
// catalogued ENV_E_* code. Pure: no IO. The streaming form lives in envelope-stream.ts.
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import { defineErrors, familyError, type ErrorDetails } from './errors';
import {
  b64url,
  fromB64url,
  hkdf32,
  IV_BYTES,
  KEY_BYTES,
  SALT_BYTES,
  systemClock,
  systemRandom,
  TAG_BYTES,
  TENANT_PATTERN,
  type Clock,
  type RandomBytes,
} from './primitives';

export const ENVELOPE_ERRORS = defineErrors('envelope', {
  ENV_E_FORMAT: {
    summary:
      'The envelope metadata is malformed: an rc-* field is missing, not text, or not in its exact encoding.',
    http: 400,
    amqp: 'amqp:decode-error',
  },
  ENV_E_VERSION: {
    summary: 'rc-env names an envelope version other than v1.',
    http: 400,
    amqp: 'amqp:not-implemented',
  },
  ENV_E_KID: {
    summary: 'rc-kid is not the key id the receiver holds for this tenant.',
    http: 403,
    amqp: 'amqp:unauthorized-access',
  },
  ENV_E_AUTH: {
    summary:
      'A sealed segment failed authentication: wrong key, altered bytes, a body moved to another message, route, direction or tenant, or segments reordered or duplicated.',
    http: 403,
    amqp: 'amqp:unauthorized-access',
  },
  ENV_E_STALE: {
    summary:
      'rc-ts is older than the entity time-to-live plus the skew window, or further ahead than the skew window.',
    http: 400,
    amqp: 'amqp:precondition-failed',
  },
  ENV_E_TRUNCATED: {
    summary: 'The sealed body ends before its final segment.',
    http: 400,
    amqp: 'amqp:decode-error',
  },
  ENV_E_TRAILING: {
    summary: 'Bytes follow the final segment of the sealed body.',
    http: 400,
    amqp: 'amqp:decode-error',
  },
  ENV_E_PLAIN: {
    summary: 'An unsealed body arrived under the production profile, which requires sealing.',
    http: 403,
    amqp: 'amqp:not-allowed',
  },
  ENV_E_BINDING: {
    summary:
      'The message binding is invalid: tenant, messageId, route or direction outside its allowed form.',
    http: 400,
    amqp: 'amqp:invalid-field',
  },
  ENV_E_CONFIG: {
    summary:
      'The local envelope configuration is invalid: key not 32 bytes, malformed kid, bad clock, randomness or staleness policy.',
    http: 500,
    amqp: 'amqp:internal-error',
  },
});

export type EnvelopeErrorCode = (typeof ENVELOPE_ERRORS.codes)[number];

/** A refusal of the envelope layer. The code is one of ENVELOPE_ERRORS; details hold no secrets. */
export class EnvelopeError extends familyError(ENVELOPE_ERRORS) {}

/** True when `e` is an EnvelopeError (optionally with this code). */
export function isEnvelopeError(e: unknown, code?: EnvelopeErrorCode): e is EnvelopeError {
  return e instanceof EnvelopeError && (code === undefined || e.code === code);
}

// ---------------------------------------------------------------------------------------------
// Format constants

export const ENVELOPE_VERSION = 'v1';
/** Plaintext bytes per segment; the last segment holds 0..SEGMENT_BYTES bytes. */
export const SEGMENT_BYTES = 64 * 1024;
/** Bytes of one full sealed segment: ciphertext then the 16-byte GCM tag. */
export const SEALED_SEGMENT_BYTES = SEGMENT_BYTES + TAG_BYTES;
/** Skew window for rc-ts, as for the handshake. */
export const DEFAULT_SKEW_MS = 120_000;

/** Names of the metadata fields, exactly as they travel (lower case). */
export const METADATA_FIELDS = Object.freeze({
  env: 'rc-env',
  kid: 'rc-kid',
  salt: 'rc-salt',
  iv: 'rc-iv',
  ts: 'rc-ts',
} as const);

/** Printable ASCII without space and without '|', which separates the AAD fields. */
const MESSAGE_ID = /^[!-{}~]{1,128}$/;
const ROUTE = /^[!-{}~]{1,256}$/;
const KID = /^[A-Za-z0-9._-]{1,64}$/;
const TS = /^(?:0|[1-9][0-9]{0,15})$/;
const SALT_TEXT = Math.ceil((SALT_BYTES * 4) / 3);
const IV_TEXT = Math.ceil((IV_BYTES * 4) / 3);

// ---------------------------------------------------------------------------------------------
// Public types

export type Direction = 'c2r' | 'r2c';

/** What a sealed body is bound to: moving it to another message changes its AAD or key. */
export interface MessageBinding {
  /** The council's id, `[a-z0-9-]{3,64}`. */
  readonly tenant: string;
  /** The message id: 1..128 printable ASCII characters, no space, no '|'. */
  readonly messageId: string;
  /** The route: 1..256 printable ASCII characters, no space, no '|'. */
  readonly route: string;
  /** `c2r` cloud to relay, `r2c` replies. */
  readonly direction: Direction;
}

export interface EnvelopeDeps {
  readonly clock: Clock;
  readonly random: RandomBytes;
}

export interface EnvelopeParams extends MessageBinding {
  /** The tenant secret K, 32 bytes. Never logged. */
  readonly key: Uint8Array;
  /** K's key id, `[A-Za-z0-9._-]{1,64}`. */
  readonly kid: string;
  /** Defaults: systemClock and systemRandom. */
  readonly deps?: Partial<EnvelopeDeps>;
}

/** How the receiving side judges an incoming body. */
export interface OpenPolicy {
  /** Production profile: true (plain bodies refused, ENV_E_PLAIN). Development: false. */
  readonly requireSealed: boolean;
  /** The entity's time-to-live in ms (>= 0; Infinity when the entity has none). */
  readonly ttlMs: number;
  /** Skew window in ms, default 120 000. */
  readonly skewMs?: number;
}

export interface OpenParams extends EnvelopeParams {
  readonly policy: OpenPolicy;
}

/** The two profiles of HANDSHAKE.md, as the `requireSealed` part of an OpenPolicy. */
export const ENVELOPE_PROFILES = Object.freeze({
  production: Object.freeze({ requireSealed: true }),
  development: Object.freeze({ requireSealed: false }),
});

/** The rc-* metadata of one sealed message, decoded. */
export interface EnvelopeMetadata {
  readonly version: typeof ENVELOPE_VERSION;
  readonly kid: string;
  readonly salt: Buffer;
  readonly iv: Buffer;
  /** Sealing time, ms since the epoch. */
  readonly ts: number;
}

export interface SealedBody {
  readonly metadata: EnvelopeMetadata;
  readonly sealed: Buffer;
}

export interface OpenedMessage {
  readonly body: Buffer;
  /** False when a plain body was accepted under the development profile. */
  readonly sealed: boolean;
}

// ---------------------------------------------------------------------------------------------
// Metadata

/** The metadata as header / application-property values. */
export function metadataToHeaders(metadata: EnvelopeMetadata): Record<string, string> {
  return {
    [METADATA_FIELDS.env]: metadata.version,
    [METADATA_FIELDS.kid]: metadata.kid,
    [METADATA_FIELDS.salt]: b64url(metadata.salt),
    [METADATA_FIELDS.iv]: b64url(metadata.iv),
    [METADATA_FIELDS.ts]: String(metadata.ts),
  };
}

function formatError(message: string, field?: string): EnvelopeError {
  return new EnvelopeError('ENV_E_FORMAT', message, field === undefined ? {} : { field });
}

/** Reads one own property; anything that throws (proxies, getters) is a format error. */
function ownField(source: object, name: string): unknown {
  try {
    return Object.hasOwn(source, name) ? (source as Record<string, unknown>)[name] : undefined;
  } catch {
    throw formatError('the metadata could not be read', name);
  }
}

function textField(value: unknown, name: string): string {
  if (value === undefined) throw formatError(`${name} is missing`, name);
  if (typeof value !== 'string') throw formatError(`${name} is not text`, name);
  return value;
}

function bytesField(value: unknown, name: string, bytes: number, textLength: number): Buffer {
  const text = textField(value, name);
  const decoded = text.length === textLength ? fromB64url(text) : undefined;
  if (decoded?.length !== bytes) {
    throw formatError(`${name} is not ${bytes} bytes of unpadded base64url`, name);
  }
  return decoded;
}

/**
 * Decodes the rc-* fields of a header or application-property record. Returns undefined when
 * none of them is present (a plain body); throws ENV_E_FORMAT for anything partial or malformed
 * and ENV_E_VERSION when rc-env is text other than "v1". Other keys are ignored. A field whose
 * value is `undefined` counts as absent.
 */
export function parseMetadata(input: unknown): EnvelopeMetadata | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw formatError('the metadata is not a record');
  }
  const env = ownField(input, METADATA_FIELDS.env);
  const kid = ownField(input, METADATA_FIELDS.kid);
  const salt = ownField(input, METADATA_FIELDS.salt);
  const iv = ownField(input, METADATA_FIELDS.iv);
  const ts = ownField(input, METADATA_FIELDS.ts);
  if ([env, kid, salt, iv, ts].every((v) => v === undefined)) return undefined;

  const version = textField(env, METADATA_FIELDS.env);
  if (version !== ENVELOPE_VERSION) {
    throw new EnvelopeError('ENV_E_VERSION', 'rc-env is not v1', {
      version: version.slice(0, 16),
    });
  }
  const kidText = textField(kid, METADATA_FIELDS.kid);
  if (!KID.test(kidText)) throw formatError('rc-kid is not a key id', METADATA_FIELDS.kid);
  const saltBytes = bytesField(salt, METADATA_FIELDS.salt, SALT_BYTES, SALT_TEXT);
  const ivBytes = bytesField(iv, METADATA_FIELDS.iv, IV_BYTES, IV_TEXT);
  const tsText = textField(ts, METADATA_FIELDS.ts);
  const tsValue = Number(tsText);
  if (!TS.test(tsText) || !Number.isSafeInteger(tsValue)) {
    throw formatError('rc-ts is not a canonical decimal integer', METADATA_FIELDS.ts);
  }
  return Object.freeze({
    version: ENVELOPE_VERSION,
    kid: kidText,
    salt: saltBytes,
    iv: ivBytes,
    ts: tsValue,
  });
}

// ---------------------------------------------------------------------------------------------
// Per-message keying, shared with envelope-stream.ts

/** Everything needed to seal or open the segments of one message. Derived once per message. */
export interface MessageKeying {
  readonly key: KeyObject;
  readonly iv: Buffer;
  /** The message AAD text (without the segment suffix). */
  readonly aad: string;
}

function configError(message: string, details: ErrorDetails = {}): EnvelopeError {
  return new EnvelopeError('ENV_E_CONFIG', message, details);
}

function checkBinding(params: MessageBinding): void {
  const bad = (field: string): EnvelopeError =>
    new EnvelopeError('ENV_E_BINDING', `the ${field} is outside its allowed form`, { field });
  if (typeof params.tenant !== 'string' || !TENANT_PATTERN.test(params.tenant)) throw bad('tenant');
  if (typeof params.messageId !== 'string' || !MESSAGE_ID.test(params.messageId)) {
    throw bad('messageId');
  }
  if (typeof params.route !== 'string' || !ROUTE.test(params.route)) throw bad('route');
  const direction: unknown = params.direction; // callers may pass wire text
  if (direction !== 'c2r' && direction !== 'r2c') throw bad('direction');
}

function checkKey(params: EnvelopeParams): void {
  if (!(params.key instanceof Uint8Array) || params.key.byteLength !== KEY_BYTES) {
    throw configError('the key is not 32 bytes');
  }
  if (typeof params.kid !== 'string' || !KID.test(params.kid)) {
    throw configError('the kid is not a key id');
  }
}

function now(params: EnvelopeParams): number {
  const t = (params.deps?.clock ?? systemClock).now();
  if (!Number.isSafeInteger(t) || t < 0) throw configError('the clock did not give integer ms');
  return t;
}

function fresh(params: EnvelopeParams, n: number, what: string): Buffer {
  const bytes = (params.deps?.random ?? systemRandom)(n);
  if (!(bytes instanceof Uint8Array) || bytes.byteLength !== n) {
    throw configError(`the randomness did not give ${n} bytes for the ${what}`);
  }
  return Buffer.from(bytes); // an owned copy: the source may reuse its buffer
}

function keying(params: EnvelopeParams, salt: Buffer, iv: Buffer, ts: number): MessageKeying {
  const { tenant, messageId, route, direction } = params;
  const derived = hkdf32(params.key, salt, `relaycheck env v1 ${direction} ${tenant}`);
  const key = createSecretKey(derived);
  derived.fill(0);
  return {
    key,
    iv,
    aad: `v1|${tenant}|${messageId}|${route}|${String(ts)}|${direction}`,
  };
}

/** Validates the parameters, draws salt and iv, reads the clock and derives the message key. */
export function prepareSeal(params: EnvelopeParams): {
  metadata: EnvelopeMetadata;
  keying: MessageKeying;
} {
  checkBinding(params);
  checkKey(params);
  const salt = fresh(params, SALT_BYTES, 'salt');
  const iv = fresh(params, IV_BYTES, 'iv');
  const ts = now(params);
  const metadata: EnvelopeMetadata = Object.freeze({
    version: ENVELOPE_VERSION,
    kid: params.kid,
    salt,
    iv,
    ts,
  });
  return { metadata, keying: keying(params, salt, iv, ts) };
}

function checkPolicy(policy: OpenPolicy): number {
  const skew = policy.skewMs ?? DEFAULT_SKEW_MS;
  if (typeof policy.requireSealed !== 'boolean') throw configError('requireSealed is not boolean');
  if (typeof policy.ttlMs !== 'number' || Number.isNaN(policy.ttlMs) || policy.ttlMs < 0) {
    throw configError('ttlMs is not a non-negative number');
  }
  if (typeof skew !== 'number' || !Number.isFinite(skew) || skew < 0) {
    throw configError('skewMs is not a finite non-negative number');
  }
  return skew;
}

/**
 * Checks everything that can be checked before the body: parameters, profile, kid and the
 * time window. Returns undefined for an accepted plain body (development profile only),
 * else the keying to open the segments with.
 */
export function prepareOpen(
  params: OpenParams,
  metadata: EnvelopeMetadata | undefined,
): MessageKeying | undefined {
  checkBinding(params);
  checkKey(params);
  const skew = checkPolicy(params.policy);
  if (metadata === undefined) {
    if (params.policy.requireSealed) {
      throw new EnvelopeError('ENV_E_PLAIN', 'an unsealed body is refused by this profile');
    }
    return undefined;
  }
  if (metadata.kid !== params.kid) {
    throw new EnvelopeError('ENV_E_KID', 'the body is sealed under another key id', {
      kid: metadata.kid,
    });
  }
  const t = now(params);
  if (metadata.ts > t + skew) {
    throw new EnvelopeError('ENV_E_STALE', 'rc-ts is further ahead than the skew window', {
      aheadMs: metadata.ts - t,
    });
  }
  if (t - metadata.ts > params.policy.ttlMs + skew) {
    throw new EnvelopeError('ENV_E_STALE', 'rc-ts is older than the time-to-live and skew', {
      ageMs: t - metadata.ts,
    });
  }
  return keying(params, metadata.salt, metadata.iv, metadata.ts);
}

// ---------------------------------------------------------------------------------------------
// Segments

/** Number of segments of a body of `n` plaintext bytes: at least one. */
export function segmentCount(n: number): number {
  return n === 0 ? 1 : Math.ceil(n / SEGMENT_BYTES);
}

/** Length of the sealed form of a body of `n` plaintext bytes. */
export function sealedLength(n: number): number {
  return n + TAG_BYTES * segmentCount(n);
}

/** Segment i's nonce: iv XOR i, i as a 64-bit big-endian integer over iv bytes 4..11. */
export function segmentNonce(iv: Buffer, i: number): Buffer {
  const nonce = Buffer.from(iv);
  const hi = Math.floor(i / 0x1_0000_0000);
  const lo = i % 0x1_0000_0000;
  nonce.writeUInt32BE((nonce.readUInt32BE(4) ^ hi) >>> 0, 4);
  nonce.writeUInt32BE((nonce.readUInt32BE(8) ^ lo) >>> 0, 8);
  return nonce;
}

/** Segment i's AAD: `aad|seg|i|more` or, for the last one, `aad|seg|i|final|total`. */
export function segmentAad(aad: string, i: number, finalTotal: number | undefined): Buffer {
  const tail = finalTotal === undefined ? 'more' : `final|${String(finalTotal)}`;
  return Buffer.from(`${aad}|seg|${String(i)}|${tail}`, 'utf8');
}

/** Starts sealing segment i. The caller feeds update() and then appends getAuthTag(). */
export function segmentCipher(k: MessageKeying, i: number, finalTotal: number | undefined) {
  const cipher = createCipheriv('aes-256-gcm', k.key, segmentNonce(k.iv, i), {
    authTagLength: TAG_BYTES,
  });
  cipher.setAAD(segmentAad(k.aad, i, finalTotal));
  return cipher;
}

/**
 * Opens segment i whose ciphertext is `ct` (in pieces) and tag `tag`. Returns the plaintext
 * pieces, or undefined when the segment does not authenticate under that position and flag.
 */
export function openSegment(
  k: MessageKeying,
  i: number,
  finalTotal: number | undefined,
  ct: readonly Buffer[],
  tag: Buffer,
): Buffer[] | undefined {
  const decipher = createDecipheriv('aes-256-gcm', k.key, segmentNonce(k.iv, i), {
    authTagLength: TAG_BYTES,
  });
  decipher.setAAD(segmentAad(k.aad, i, finalTotal));
  decipher.setAuthTag(tag);
  const out = ct.map((piece) => decipher.update(piece));
  try {
    decipher.final();
  } catch {
    for (const piece of out) piece.fill(0);
    return undefined;
  }
  return out;
}

function sumLength(pieces: readonly Buffer[]): number {
  let n = 0;
  for (const p of pieces) n += p.length;
  return n;
}

/**
 * Opens a full-size segment that is followed by more bytes. When it only opens as a final
 * segment, the bytes after it were appended: ENV_E_TRAILING; otherwise ENV_E_AUTH.
 */
export function openInnerSegment(
  k: MessageKeying,
  i: number,
  openedSoFar: number,
  ct: readonly Buffer[],
  tag: Buffer,
): Buffer[] {
  const pt = openSegment(k, i, undefined, ct, tag);
  if (pt !== undefined) return pt;
  const asFinal = openSegment(k, i, openedSoFar + sumLength(ct), ct, tag);
  if (asFinal !== undefined) {
    for (const piece of asFinal) piece.fill(0);
    throw new EnvelopeError('ENV_E_TRAILING', 'bytes follow the final segment', { segment: i });
  }
  throw new EnvelopeError('ENV_E_AUTH', 'a segment failed authentication', { segment: i });
}

/**
 * Opens the last segment present (`length` sealed bytes). When a full-size segment only opens
 * as a non-final one, the body was cut at a segment boundary: ENV_E_TRUNCATED.
 */
export function openLastSegment(
  k: MessageKeying,
  i: number,
  openedSoFar: number,
  ct: readonly Buffer[],
  tag: Buffer,
): Buffer[] {
  const ctLength = sumLength(ct);
  const pt = openSegment(k, i, openedSoFar + ctLength, ct, tag);
  if (pt !== undefined) return pt;
  if (ctLength === SEGMENT_BYTES) {
    const asInner = openSegment(k, i, undefined, ct, tag);
    if (asInner !== undefined) {
      for (const piece of asInner) piece.fill(0);
      throw new EnvelopeError('ENV_E_TRUNCATED', 'the body ends before its final segment', {
        segment: i,
      });
    }
  }
  throw new EnvelopeError('ENV_E_AUTH', 'a segment failed authentication', { segment: i });
}

export function truncatedError(i: number): EnvelopeError {
  return new EnvelopeError('ENV_E_TRUNCATED', 'the body ends inside a segment tag', {
    segment: i,
  });
}

// ---------------------------------------------------------------------------------------------
// Single shot

/** Seals a whole body held in memory. Output: metadata and ciphertext||tag per segment. */
export function sealBody(params: EnvelopeParams, body: Uint8Array): SealedBody {
  if (!(body instanceof Uint8Array)) throw configError('the body is not bytes');
  const { metadata, keying: k } = prepareSeal(params);
  const plain = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const n = plain.length;
  const count = segmentCount(n);
  const sealed = Buffer.allocUnsafe(n + TAG_BYTES * count);
  let out = 0;
  for (let i = 0; i < count; i++) {
    const start = i * SEGMENT_BYTES;
    const end = Math.min(n, start + SEGMENT_BYTES);
    const cipher = segmentCipher(k, i, i === count - 1 ? n : undefined);
    out += cipher.update(plain.subarray(start, end)).copy(sealed, out);
    out += cipher.final().copy(sealed, out);
    out += cipher.getAuthTag().copy(sealed, out);
  }
  return { metadata, sealed };
}

/**
 * Opens a whole sealed body held in memory. `metadata` undefined means a plain body (accepted
 * as is only when the policy does not require sealing). Returns the plaintext, never part of it.
 */
export function openBody(
  params: OpenParams,
  metadata: EnvelopeMetadata | undefined,
  sealed: Uint8Array,
): Buffer {
  if (!(sealed instanceof Uint8Array)) throw formatError('the body is not bytes');
  const k = prepareOpen(params, metadata);
  const input = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (k === undefined) return input;
  const total = input.length;
  const count = Math.max(1, Math.ceil(total / SEALED_SEGMENT_BYTES));
  const lastLength = total - (count - 1) * SEALED_SEGMENT_BYTES;
  if (lastLength < TAG_BYTES) {
    // The bytes after the last full segment cannot hold a tag. If that segment is final the
    // bytes were appended (ENV_E_TRAILING, found by the inner open), else the body was cut.
    if (count > 1) {
      const at = (count - 2) * SEALED_SEGMENT_BYTES;
      const ct = input.subarray(at, at + SEGMENT_BYTES);
      const tag = input.subarray(at + SEGMENT_BYTES, at + SEALED_SEGMENT_BYTES);
      openInnerSegment(k, count - 2, (count - 2) * SEGMENT_BYTES, [ct], tag);
    }
    throw truncatedError(count - 1);
  }
  const plain = Buffer.allocUnsafe(total - TAG_BYTES * count);
  let out = 0;
  try {
    for (let i = 0; i < count; i++) {
      const at = i * SEALED_SEGMENT_BYTES;
      const end = Math.min(total, at + SEALED_SEGMENT_BYTES);
      const ct = input.subarray(at, end - TAG_BYTES);
      const tag = input.subarray(end - TAG_BYTES, end);
      const pieces =
        i === count - 1
          ? openLastSegment(k, i, out, [ct], tag)
          : openInnerSegment(k, i, out, [ct], tag);
      for (const piece of pieces) out += piece.copy(plain, out);
    }
  } catch (e) {
    plain.fill(0);
    throw e;
  }
  return plain;
}

/**
 * Reads the metadata from a header / property record and opens the body: the one call a
 * receiver makes. `sealed` in the result says whether the body was sealed.
 */
export function openMessage(
  params: OpenParams,
  properties: unknown,
  body: Uint8Array,
): OpenedMessage {
  const metadata = parseMetadata(properties);
  return { body: openBody(params, metadata, body), sealed: metadata !== undefined };
}
