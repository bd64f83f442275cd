// Fuzz targets for the message envelope v1, and the fixtures the ENV cases share with them.
// In: generated rc-* records and sealed bodies, mostly hostile (mutated valid messages, wrong
// types, random bytes), some valid. Out: a parsed/opened result or an EnvelopeError; any other
// exception is a finding. Fixtures: a fixed key, clock and counter-based randomness, sample
// bodies, and helpers that drive a stream and capture its output and error.
import { createCipheriv, createHash } from 'node:crypto';
import { Readable, type Duplex } from 'node:stream';
import fc from 'fast-check';
import {
  isEnvelopeError,
  metadataToHeaders,
  openMessage,
  parseMetadata,
  sealBody,
  SEALED_SEGMENT_BYTES,
  SEGMENT_BYTES,
  type EnvelopeParams,
  type OpenParams,
  type OpenPolicy,
} from '../../../relay/src/protocol/envelope';
import type { Clock, RandomBytes } from '../../../relay/src/protocol/primitives';
import type { FuzzTarget } from '../types';

// ---------------------------------------------------------------------------------------------
// Fixtures

/** A fixed "now" for sealing and opening: 2025-10-09T08:53:20Z. */
export const FIXED_NOW = 1_760_000_000_000;
/** The fixed tenant key K of the fixtures. */
export const FIXED_KEY = createHash('sha256').update('relaycheck env fixture K').digest();

export function fixedClock(now: number = FIXED_NOW): Clock {
  return { now: () => now };
}

/** Deterministic randomness: SHA-256 of (label, counter), as many bytes as asked. */
export function counterRandom(label = 'env'): RandomBytes {
  let counter = 0;
  return (n) => {
    const out = Buffer.alloc(n);
    for (let at = 0; at < n; at += 32) {
      createHash('sha256')
        .update(`${label}/${String(counter++)}`)
        .digest()
        .copy(out, at);
    }
    return out;
  };
}

/** Sealing parameters of the fixtures, with `over` applied. */
export function sealParams(over: Partial<EnvelopeParams> = {}): EnvelopeParams {
  return {
    key: FIXED_KEY,
    kid: 'k-2025',
    tenant: 'council-42',
    messageId: 'msg-0001',
    route: 'council-tax/retrieve',
    direction: 'c2r',
    deps: { clock: fixedClock(), random: counterRandom() },
    ...over,
  };
}

/** Opening parameters (production profile, 1 h TTL) matching sealParams, with `over` applied. */
export function openParams(
  over: Partial<EnvelopeParams> = {},
  policy: Partial<OpenPolicy> = {},
): OpenParams {
  return {
    ...sealParams(over),
    policy: { requireSealed: true, ttlMs: 3_600_000, ...policy },
  };
}

const POOL_BYTES = 320 * 1024;
/** Pseudo-random bytes from AES-CTR over zeros: fast, deterministic, varied. */
export const BYTE_POOL: Buffer = createCipheriv(
  'aes-256-ctr',
  createHash('sha256').update('relaycheck env pool').digest(),
  Buffer.alloc(16),
).update(Buffer.alloc(POOL_BYTES));

/** `n` deterministic bytes that depend on `seed` (n up to 320 KiB, else the pattern repeats). */
/** A sealed body cut into its sealed segments (the last one may be shorter). */
export function sealedSegments(sealed: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < sealed.length; at += SEALED_SEGMENT_BYTES) {
    out.push(sealed.subarray(at, at + SEALED_SEGMENT_BYTES));
  }
  return out;
}

export function sampleBody(n: number, seed = 0): Buffer {
  const out = Buffer.allocUnsafe(n);
  let at = 0;
  let from = (seed * 7919) % POOL_BYTES;
  while (at < n) {
    const size = Math.min(n - at, POOL_BYTES - from);
    BYTE_POOL.copy(out, at, from, from + size);
    at += size;
    from = 0;
  }
  return out;
}

/** Sizes that matter to the segmenting: 0, 1, and one below, at and above each boundary. */
export const BOUNDARY_SIZES: readonly number[] = [
  0,
  1,
  15,
  16,
  17,
  SEGMENT_BYTES - 1,
  SEGMENT_BYTES,
  SEGMENT_BYTES + 1,
  2 * SEGMENT_BYTES - 1,
  2 * SEGMENT_BYTES,
  2 * SEGMENT_BYTES + 1,
  3 * SEGMENT_BYTES,
  4 * SEGMENT_BYTES + 1,
];

/** The code of the EnvelopeError `fn` throws; 'ok' when it returns; rethrows anything else. */
export function outcomeOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (isEnvelopeError(e)) return e.code;
    throw e;
  }
}

export interface StreamRun {
  readonly output: Buffer;
  readonly error: unknown;
}

/** Writes `chunks` into `stream` (honouring backpressure) and collects what it emits. */
export async function runStream(stream: Duplex, chunks: Iterable<Buffer>): Promise<StreamRun> {
  const out: Buffer[] = [];
  let error: unknown;
  const done = new Promise<void>((resolve) => {
    stream.on('data', (c: Buffer) => out.push(c));
    stream.on('end', () => {
      resolve();
    });
    stream.on('error', (e) => {
      error = e;
      resolve();
    });
  });
  const source = Readable.from(chunks, { objectMode: false });
  source.on('error', (e) => stream.destroy(e));
  source.pipe(stream);
  await done;
  source.unpipe(stream);
  source.destroy();
  return { output: Buffer.concat(out), error };
}

/** Splits `bytes` into chunks whose sizes cycle through `sizes` (views, no copies). */
export function* chunked(bytes: Buffer, sizes: readonly number[]): Generator<Buffer> {
  let at = 0;
  let k = 0;
  while (at < bytes.length) {
    const size = Math.max(1, sizes[k++ % sizes.length] ?? 1);
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

// ---------------------------------------------------------------------------------------------
// Fuzz targets

interface Sample {
  readonly headers: Record<string, string>;
  readonly sealed: Buffer;
}

const SAMPLES: readonly Sample[] = [0, 1, 100, SEGMENT_BYTES, SEGMENT_BYTES + 7].map((n, i) => {
  const { metadata, sealed } = sealBody(
    sealParams({ deps: { clock: fixedClock(), random: counterRandom(`sample-${String(i)}`) } }),
    sampleBody(n, i),
  );
  return { headers: metadataToHeaders(metadata), sealed };
});

const FIELD_NAMES = ['rc-env', 'rc-kid', 'rc-salt', 'rc-iv', 'rc-ts'] as const;

/** A change to one text value: the hostile spellings a strict parser must refuse. */
const textMutation: fc.Arbitrary<(s: string) => unknown> = fc.oneof(
  fc.constant((s: string) => s),
  fc.constant((s: string) => s + '='),
  fc.constant((s: string) => s.slice(0, -1)),
  fc.constant((s: string) => s + 'A'),
  fc.constant((s: string) => ` ${s}`),
  fc.constant((s: string) => s.toUpperCase()),
  fc.constant((s: string) => s.replace(/-/g, '+').replace(/_/g, '/')),
  fc.constant((s: string) => `0${s}`),
  fc.constant((s: string) => [s]),
  fc.constant((s: string) => Buffer.from(s)),
  fc.constant(() => null),
  fc.constant(() => undefined),
  fc.constant(() => 1_760_000_000_000),
  fc.string({ maxLength: 40 }).map((x) => () => x),
  fc.anything().map((x) => () => x),
);

/** Metadata records: valid samples with each field kept, dropped or mutated; and junk. */
export const metadataArbitrary: fc.Arbitrary<unknown> = fc.oneof(
  fc
    .tuple(
      fc.nat({ max: SAMPLES.length - 1 }),
      fc.array(fc.tuple(fc.constantFrom(...FIELD_NAMES), textMutation), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 8 }), fc.anything(), { maxKeys: 3 }),
    )
    .map(([i, mutations, extra]) => {
      const record: Record<string, unknown> = { ...extra, ...SAMPLES[i]?.headers };
      for (const [field, mutate] of mutations) {
        const value = record[field];
        record[field] = mutate(typeof value === 'string' ? value : '');
      }
      return record;
    }),
  fc.anything(),
  fc.dictionary(fc.constantFrom(...FIELD_NAMES), fc.string({ maxLength: 30 })),
);

export const envelopeMetadataTarget: FuzzTarget = {
  name: 'envelope metadata (rc-* headers and properties)',
  arbitrary: metadataArbitrary,
  run: (input) => parseMetadata(input),
};

type BodyMutation =
  | { readonly kind: 'flip'; readonly bit: number }
  | { readonly kind: 'cut'; readonly at: number }
  | { readonly kind: 'append'; readonly bytes: Uint8Array }
  | { readonly kind: 'splice'; readonly from: number; readonly to: number; readonly n: number }
  | { readonly kind: 'replace'; readonly bytes: Uint8Array };

const bodyMutation: fc.Arbitrary<BodyMutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), bit: fc.nat() }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ maxLength: 40 }) }),
  fc.record({
    kind: fc.constant('splice' as const),
    from: fc.nat(),
    to: fc.nat(),
    n: fc.nat({ max: 100 }),
  }),
  fc.record({ kind: fc.constant('replace' as const), bytes: fc.uint8Array({ maxLength: 200 }) }),
);

function mutateBody(sealed: Buffer, m: BodyMutation): Buffer {
  const n = sealed.length;
  switch (m.kind) {
    case 'flip': {
      const out = Buffer.from(sealed);
      const bit = m.bit % (n * 8);
      out[bit >> 3] = (out[bit >> 3] ?? 0) ^ (1 << (bit & 7));
      return out;
    }
    case 'cut':
      return sealed.subarray(0, m.at % (n + 1));
    case 'append':
      return Buffer.concat([sealed, m.bytes]);
    case 'splice': {
      const from = m.from % n;
      const to = m.to % n;
      return Buffer.concat([sealed.subarray(0, to), sealed.subarray(from, from + m.n), sealed]);
    }
    case 'replace':
      return Buffer.from(m.bytes);
  }
}

export interface OpenInput {
  readonly headers: unknown;
  readonly body: Buffer;
}

/** Sealed messages with mutated metadata, mutated bodies, or both. */
export const openArbitrary: fc.Arbitrary<OpenInput> = fc
  .tuple(
    fc.nat({ max: SAMPLES.length - 1 }),
    fc.option(metadataArbitrary, { freq: 3 }),
    fc.option(bodyMutation, { freq: 5 }),
  )
  .map(([i, headers, mutation]) => {
    const sample = SAMPLES[i] ?? { headers: {}, sealed: Buffer.alloc(0) };
    return {
      headers: headers ?? sample.headers,
      body: mutation === null ? sample.sealed : mutateBody(sample.sealed, mutation),
    };
  });

export const envelopeOpenTarget: FuzzTarget<OpenInput> = {
  name: 'envelope open (metadata and sealed body)',
  arbitrary: openArbitrary,
  run: (input) => openMessage(openParams(), input.headers, input.body),
};
