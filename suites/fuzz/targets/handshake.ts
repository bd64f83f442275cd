// Fuzz targets for the handshake: HELLO parsing and opening on the cloud side, WELCOME opening
// on the relay side. In: hostile inputs (random text and bytes, JSON-ish objects with hostile
// keys, valid messages with one edit, sizes around 4 KiB). Out: a verdict, or a HandshakeError.
// Also exports the fixture (tenants, keys, a manual clock, deterministic randomness) and the
// arbitraries that the HS conformance cases in suites/handshake/ share.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  createHello,
  HANDSHAKE_ERRORS,
  HandshakeError,
  HandshakeVerifier,
  MESSAGE_FIELDS,
  openWelcome,
  REJECT_MESSAGE,
  type HandshakeDeps,
  type HandshakeErrorCode,
  type HelloParams,
  type PendingHello,
  type VerifierOptions,
  type VerifyResult,
} from '../../../relay/src/protocol/handshake';
import type { Clock, RandomBytes } from '../../../relay/src/protocol/primitives';
import type { FuzzTarget } from '../types';

// ---------------------------------------------------------------------------------------
// Fixture

/** The fixed "now" of every HS case: 2026-01-01T00:00:00Z, in milliseconds. */
export const HS_NOW_MS = 1_767_225_600_000;

export const TENANT_A = 'council-42';
export const KID_A = 'k1';
export const KEY_A: Buffer = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
export const TENANT_B = 'borough-7';
export const KID_B = 'kb1';
export const KEY_B: Buffer = Buffer.from(Array.from({ length: 32 }, (_, i) => 0xa0 ^ (i * 7)));
export const RELAY_ID = 'relay-01.council-42';

/** A clock that moves only when told to. */
export class ManualClock implements Clock {
  constructor(private ms: number = HS_NOW_MS) {}
  now(): number {
    return this.ms;
  }
  set(ms: number): void {
    this.ms = ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** A clock stopped at `ms`. */
export function clockAt(ms: number): Clock {
  return Object.freeze({ now: () => ms });
}

/** Deterministic bytes: SHA-256(seed, counter) blocks. Distinct seeds give distinct streams. */
export function seededRandom(seed: number | string): RandomBytes {
  let counter = 0;
  return (n) => {
    const out: Buffer[] = [];
    let have = 0;
    while (have < n) {
      const block = createHash('sha256').update(`${seed}/${counter++}`).digest();
      out.push(block);
      have += block.length;
    }
    return Buffer.concat(out).subarray(0, n);
  };
}

/** Returns exactly `values`, in order; throws when asked for another length or for more. */
export function scriptedRandom(values: readonly Uint8Array[]): RandomBytes {
  let i = 0;
  return (n) => {
    const next = values[i++];
    if (next?.byteLength !== n) {
      throw new Error(`scripted randomness: draw ${i} wanted ${n} bytes`);
    }
    return Buffer.from(next);
  };
}

/** The fixture tenants: A with one active key, B with another. */
export function fixtureTenants(): VerifierOptions['tenants'] {
  return {
    [TENANT_A]: [{ kid: KID_A, key: KEY_A }],
    [TENANT_B]: [{ kid: KID_B, key: KEY_B }],
  };
}

/** A verifier over the fixture tenants, at HS_NOW_MS unless a clock is given. */
export function fixtureVerifier(
  options: Partial<VerifierOptions> = {},
  deps: HandshakeDeps = {},
): HandshakeVerifier {
  return new HandshakeVerifier(
    { tenants: fixtureTenants(), ...options },
    { clock: clockAt(HS_NOW_MS), random: seededRandom('verifier'), ...deps },
  );
}

/** A HELLO from tenant A's relay (override any parameter), at HS_NOW_MS unless told. */
export function fixtureHello(
  params: Partial<HelloParams> = {},
  deps: HandshakeDeps = {},
): { message: string; pending: PendingHello } {
  return createHello(
    { tenant: TENANT_A, kid: KID_A, key: KEY_A, relay: RELAY_ID, caps: ['hc', 'sb'], ...params },
    { clock: clockAt(HS_NOW_MS), ...deps },
  );
}

/** The code of a verify result: 'ok' or the error's code. */
export function verdict(result: VerifyResult): 'ok' | HandshakeErrorCode {
  return result.ok ? 'ok' : result.error.code;
}

/** What the peer receives for a refusal (undefined when accepted), typed as plain text. */
export function rejectText(result: VerifyResult): string | undefined {
  return result.ok ? undefined : result.reject;
}

/** Runs `fn`: 'ok', the HandshakeError's code, or 'untyped' for any other exception. */
export function outcome(fn: () => unknown): 'ok' | 'untyped' | HandshakeErrorCode {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return e instanceof HandshakeError ? e.code : 'untyped';
  }
}

export type Fields = Record<(typeof MESSAGE_FIELDS)[number], unknown>;

/** The outer fields of a message (which must be a JSON object). */
export function fieldsOf(message: string): Fields {
  return JSON.parse(message) as Fields;
}

/** A message from fields, keys in wire order (the canonical form). */
export function messageOf(fields: Fields): string {
  return JSON.stringify(Object.fromEntries(MESSAGE_FIELDS.map((k) => [k, fields[k]])));
}

/** base64url text with bit `bit` (mod its length in bits) of its decoded bytes flipped. */
export function flipBitB64(text: string, bit: number): string {
  const bytes = Buffer.from(text, 'base64url');
  const at = bit % (bytes.length * 8);
  bytes[at >> 3] = (bytes[at >> 3] ?? 0) ^ (1 << (at & 7));
  return bytes.toString('base64url');
}

// ---------------------------------------------------------------------------------------
// Arbitraries

/** Any UTF-16 text, lone surrogates and control characters included. */
export const anyText: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.nat(0xffff).map((n) => String.fromCharCode(n)), maxLength: 200 }),
);

/** Values of the wrong kind for any field: numbers, null, arrays, objects, odd strings. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('', 'hello', 'welcome', 'reject', TENANT_A, KID_A, '__proto__', 'AAAA', '=='),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('__proto__', 'v', 't', 'constructor'), fc.integer(), {
    maxKeys: 2,
  }),
  anyText,
);

/** A valid HELLO of tenant A at HS_NOW_MS, with fresh randomness per seed. */
export const validHello: fc.Arbitrary<string> = fc
  .record({ seed: fc.integer(), caps: fc.subarray(['hc', 'sb', 'env.v1', 'x-1']) })
  .map(({ seed, caps }) => fixtureHello({ caps }, { random: seededRandom(seed) }).message);

/** The JSON object `text` holds, or undefined (edits of edits may no longer be JSON). */
function objectOf(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** One structural edit of a message's text (the result may or may not still be valid JSON). */
function edited(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const field = fc.constantFrom(...MESSAGE_FIELDS);
  return fc.oneof(
    // flip one bit of one character
    fc
      .tuple(valid, fc.nat(), fc.nat(6))
      .map(
        ([m, at, bit]) =>
          m.slice(0, at % m.length) +
          String.fromCharCode(m.charCodeAt(at % m.length) ^ (1 << bit)) +
          m.slice((at % m.length) + 1),
      ),
    // truncate, or append
    fc.tuple(valid, fc.nat()).map(([m, at]) => m.slice(0, at % m.length)),
    fc.tuple(valid, anyText).map(([m, tail]) => m + tail),
    // replace one field's value by anything
    fc.tuple(valid, field, hostileValue).map(([m, k, value]) => {
      const f = objectOf(m);
      return f === undefined ? m : messageOf({ ...(f as Fields), [k]: value });
    }),
    // drop a field, or add one (hostile keys included)
    fc.tuple(valid, field).map(([m, k]) => {
      const f = objectOf(m);
      if (f === undefined) return m;
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete
      delete f[k];
      return JSON.stringify(f);
    }),
    fc
      .tuple(
        valid,
        fc.constantFrom('__proto__', 'constructor', 'v', 'extra', 'tenant'),
        hostileValue,
      )
      .map(([m, k, value]) => `${m.slice(0, -1)},${JSON.stringify(k)}:${JSON.stringify(value)}}`),
    // whitespace, reordering, escapes
    valid.map((m) => JSON.stringify(objectOf(m) ?? m, null, 1)),
    valid.map((m) =>
      JSON.stringify(Object.fromEntries(Object.entries(objectOf(m) ?? {}).reverse())),
    ),
    valid.map((m) => m.replace('"tenant"', '"\\u0074enant"')),
  );
}

/** JSON-ish text: any JSON value, or objects with hostile keys. */
export const jsonish: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc
    .dictionary(
      fc.oneof(fc.constantFrom(...MESSAGE_FIELDS, '__proto__', 'constructor')),
      hostileValue,
    )
    .map((o) => JSON.stringify(o)),
  fc.constantFrom(
    '{"__proto__":{"v":1,"t":"hello"}}',
    '{"v":1,"__proto__":{"polluted":true}}',
    '{"v":"1"}',
    '{"v":2}',
    '{"v":1.0}',
    '{"v":1e400}',
    '{"v":-0}',
    '[1]',
    'null',
    REJECT_MESSAGE,
    '{"v":1,"t":"reject","x":1}',
    '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[',
    `${'['.repeat(2000)}${']'.repeat(2000)}`,
  ),
);

/** Text around the 4 KiB bound and far beyond it. */
export const bigText: fc.Arbitrary<string> = fc.integer({ min: 4090, max: 4100 }).chain((n) =>
  fc.oneof(
    fc.constant('x'.repeat(n)),
    validHello.map((m) => `${m.slice(0, -1)},"pad":"${'p'.repeat(Math.max(0, n - m.length))}"}`),
    fc.constant(`{"v":1,"t":"hello","tenant":"${'a'.repeat(n)}"}`),
  ),
);

/** Anything a hostile peer might send as HELLO, as text or bytes. */
export const hostileHello: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  validHello,
  edited(validHello),
  edited(edited(validHello)),
  anyText,
  jsonish,
  bigText,
  fc.uint8Array({ maxLength: 600 }),
  fc.tuple(validHello, fc.nat(), fc.nat(255)).map(([m, at, b]) => {
    const bytes = Buffer.from(m, 'utf8');
    bytes[at % bytes.length] = b; // any byte, including non-UTF-8 ones
    return new Uint8Array(bytes);
  }),
);

/** The relay-side pending HELLO that WELCOME fuzzing answers: always the same nr. */
export function fuzzPending(): { message: string; pending: PendingHello } {
  return fixtureHello({}, { random: seededRandom('fuzz-pending') });
}

/** A valid WELCOME answering fuzzPending(), with fresh cloud randomness per seed. */
export const validWelcome: fc.Arbitrary<string> = fc.integer().map((seed) => {
  const result = fixtureVerifier({}, { random: seededRandom(seed) }).verify(fuzzPending().message);
  if (!result.ok) throw new Error(`fixture HELLO refused: ${result.error.code}`);
  return result.welcome;
});

/** Anything a hostile cloud (or a reflector) might send back as WELCOME. */
export const hostileWelcome: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  validWelcome,
  edited(validWelcome),
  validHello,
  edited(validHello),
  anyText,
  jsonish,
  bigText,
  fc.uint8Array({ maxLength: 600 }),
);

// ---------------------------------------------------------------------------------------
// Targets

const CODES: ReadonlySet<string> = new Set(HANDSHAKE_ERRORS.codes);

export const handshakeHelloTarget: FuzzTarget<string | Uint8Array> = Object.freeze({
  name: 'handshake HELLO (cloud side)',
  arbitrary: hostileHello,
  run(input: string | Uint8Array): unknown {
    const result = fixtureVerifier().verify(input);
    if (result.ok) return 'ok';
    if (rejectText(result) !== REJECT_MESSAGE || !CODES.has(result.error.code)) {
      throw new Error('a refusal that is not the fixed REJECT with a catalogued code');
    }
    // A checked refusal: thrown so that the fuzz report counts it by code.
    throw result.error;
  },
});

export const handshakeWelcomeTarget: FuzzTarget<string | Uint8Array> = Object.freeze({
  name: 'handshake WELCOME (relay side)',
  arbitrary: hostileWelcome,
  run(input: string | Uint8Array): unknown {
    const session = openWelcome(fuzzPending().pending, input, { clock: clockAt(HS_NOW_MS) });
    return session.sid;
  },
});
