// Cryptographic and encoding primitives shared by the handshake, the envelope and SAS.
// In: bytes, keys, text. Out: bytes and text. No IO; the clock and randomness are
// injected through `Clock` and `RandomBytes` so tests and vectors are deterministic.
import {
  createCipheriv,
  createDecipheriv,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

/** Milliseconds since the Unix epoch. */
export interface Clock {
  now(): number;
}

/** Returns `n` fresh random bytes. */
export type RandomBytes = (n: number) => Buffer;

export const systemClock: Clock = Object.freeze({ now: () => Date.now() });
export const systemRandom: RandomBytes = (n) => randomBytes(n);

export const KEY_BYTES = 32;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;
export const SALT_BYTES = 16;
export const NONCE_BYTES = 16;

const B64URL = /^[A-Za-z0-9_-]*$/;

/** A council tenant id: what the handshake, the envelope and the CLI accept. */
export const TENANT_PATTERN = /^[a-z0-9-]{3,64}$/;

/** base64url without padding. */
export function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * Strict base64url decoding: only the URL-safe alphabet, no padding, canonical (re-encoding
 * gives the same text, so one byte string has exactly one accepted spelling).
 * Returns undefined for anything else instead of guessing.
 */
export function fromB64url(text: string): Buffer | undefined {
  if (!B64URL.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

/** HKDF-SHA256 with a 32-byte output. `info` is UTF-8 text. */
export function hkdf32(key: Uint8Array, salt: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', key, salt, Buffer.from(info, 'utf8'), KEY_BYTES));
}

/** AES-256-GCM seal. Returns ciphertext and the 16-byte tag separately. */
export function aeadSeal(
  key: Uint8Array,
  iv: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
): { ct: Buffer; tag: Buffer } {
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { ct, tag: cipher.getAuthTag() };
}

/** AES-256-GCM open. Returns the plaintext, or undefined when authentication fails. */
export function aeadOpen(
  key: Uint8Array,
  iv: Uint8Array,
  aad: Uint8Array,
  ct: Uint8Array,
  tag: Uint8Array,
): Buffer | undefined {
  if (tag.byteLength !== TAG_BYTES) return undefined;
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  const head = decipher.update(ct);
  try {
    return Buffer.concat([head, decipher.final()]);
  } catch {
    return undefined;
  }
}

/** Constant-time equality of two byte strings (false when lengths differ). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}
