// Arbitrary PDF bodies, options and cuts for the PDF check's properties (and the `pdf guard`
// fuzz target). In: fast-check. Out: SAMPLES (every small good and hostile PDF of
// pdf-hostile.ts, small Flate bombs), `mutated` (a sample with bytes set, inserted, deleted,
// PDF syntax spliced in, cut short or repeated), `junk` (random bytes behind a real header and
// before a trailer), small but valid check options, and cut points (every byte for small bodies).
import fc from 'fast-check';
import type { PdfCheckInput } from '../../../src/work/content';
import { GOOD_PDFS, HOSTILE_PDFS, flateBomb, goodPdf, incrementalUpdate } from './pdf-hostile';

/** Each body once, made at load time (all small: at most about 1 MiB). */
export const SAMPLES: readonly Buffer[] = Object.freeze([
  ...GOOD_PDFS.map((g) => g.make()),
  ...HOSTILE_PDFS.filter((h) => h.large !== true && !h.name.startsWith('Flate bomb')).map((h) =>
    h.make(),
  ),
  flateBomb(1 / 64),
  flateBomb(1 / 8),
  goodPdf(0, { openGoTo: true, objectStreams: true }),
  incrementalUpdate(goodPdf(0, { objectStreams: true })),
]);

/** The samples of at most 8 KiB (cheap to mutate ten thousand times). */
export const SMALL_SAMPLES: readonly Buffer[] = SAMPLES.filter((s) => s.length <= 8192);

/** Bytes of PDF syntax that reach the interesting paths when spliced in. */
const SNIPPETS: readonly string[] = [
  '/JavaScript ',
  '/J#53 ',
  '/OpenAction',
  '/AA',
  '/URI',
  '/Launch',
  '/EmbeddedFile',
  '/Encrypt 9 0 R',
  '/Type /ObjStm /N 1 /First 4 ',
  '/Type /XRef',
  '/Filter /FlateDecode',
  '/Filter [/ASCIIHexDecode /FlateDecode]',
  '/Filter [/ASCII85Decode /FlateDecode]',
  '/Length 5 0 R',
  '/Length 99999999',
  '/Length -1',
  '/DecodeParms << /Predictor 12 >>',
  '<<',
  '>>',
  '[',
  ']',
  '(',
  ')',
  '\\',
  '<',
  '>',
  '%',
  '#',
  '/',
  '\r',
  '\n',
  ' 7 0 obj ',
  'endobj\n',
  'stream\n',
  'stream\r\n',
  '\nendstream',
  'endstream',
  'xref\n',
  'trailer\n',
  'startxref\n0\n',
  '%%EOF\n',
  'x\u009c',
  '\u0078\u00da\u0003\u0000',
];

export type Mutation =
  | { readonly kind: 'set'; readonly at: number; readonly byte: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'delete'; readonly at: number; readonly n: number }
  | { readonly kind: 'splice'; readonly at: number; readonly snippet: number }
  | { readonly kind: 'cut'; readonly at: number }
  | { readonly kind: 'repeat'; readonly from: number; readonly n: number; readonly at: number };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.nat({ max: 255 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.nat(),
    n: fc.integer({ min: 1, max: 32 }),
  }),
  fc.record({
    kind: fc.constant('splice' as const),
    at: fc.nat(),
    snippet: fc.nat({ max: SNIPPETS.length - 1 }),
  }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('repeat' as const),
    from: fc.nat(),
    n: fc.integer({ min: 1, max: 200 }),
    at: fc.nat(),
  }),
);

/** `body` with `m` applied (positions taken modulo the length). */
export function mutate(body: Buffer, m: Mutation): Buffer {
  const len = body.length;
  const at = len === 0 ? 0 : m.at % (len + 1);
  switch (m.kind) {
    case 'set': {
      if (len === 0) return body;
      const out = Buffer.from(body);
      out[at % len] = m.byte;
      return out;
    }
    case 'insert':
      return Buffer.concat([body.subarray(0, at), m.bytes, body.subarray(at)]);
    case 'delete':
      return Buffer.concat([body.subarray(0, at), body.subarray(at + m.n)]);
    case 'splice':
      return Buffer.concat([
        body.subarray(0, at),
        Buffer.from(SNIPPETS[m.snippet] ?? '', 'latin1'),
        body.subarray(at),
      ]);
    case 'cut':
      return body.subarray(0, at);
    case 'repeat': {
      const from = len === 0 ? 0 : m.from % len;
      return Buffer.concat([
        body.subarray(0, at),
        body.subarray(from, from + m.n),
        body.subarray(at),
      ]);
    }
  }
}

/** A small sample with one to four mutations. */
export const mutated: fc.Arbitrary<Buffer> = fc
  .tuple(
    fc.nat({ max: SMALL_SAMPLES.length - 1 }),
    fc.array(mutation, { minLength: 1, maxLength: 4 }),
  )
  .map(([i, ms]) => ms.reduce((b, m) => mutate(b, m), SMALL_SAMPLES[i] ?? Buffer.alloc(0)));

/** Random bytes, often behind a real header and before a real trailer. */
export const junk: fc.Arbitrary<Buffer> = fc
  .tuple(
    fc.constantFrom('', '%PDF-1.7\n', '%PDF-2.0\r\n', '%PDF-1.'),
    fc.uint8Array({ maxLength: 2000 }),
    fc.constantFrom('', '%%EOF\n', 'startxref\n9\n%%EOF', 'trailer\n<< >>\nstartxref\n0\n%%EOF\n'),
  )
  .map(([h, middle, tr]) =>
    Buffer.concat([Buffer.from(h, 'latin1'), middle, Buffer.from(tr, 'latin1')]),
  );

/** Valid options small enough for the samples to reach every limit. */
export const options: fc.Arbitrary<PdfCheckInput> = fc.record(
  {
    maxBytes: fc.oneof(
      { weight: 1, arbitrary: fc.constantFrom(16, 700, 4096) },
      { weight: 6, arbitrary: fc.constant(64 * 1024 * 1024) },
    ),
    actions: fc.constantFrom('refuse' as const, 'flag' as const),
    embeddedFiles: fc.constantFrom('refuse' as const, 'flag' as const),
    maxStreamBytes: fc.constantFrom(1024, 64 * 1024, 1024 * 1024),
    maxInflatedBytes: fc.constantFrom(1024, 64 * 1024, 1024 * 1024),
    maxTotalInflatedBytes: fc.constantFrom(1024, 96 * 1024, 2 * 1024 * 1024),
  },
  { requiredKeys: [] },
);

/** Where to cut a body of `length` bytes: a few random places, or after every byte (small). */
export const cuts: fc.Arbitrary<(length: number) => number[]> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .array(fc.nat(), { maxLength: 24 })
      .map((cs) => (n: number) => cs.map((c) => c % (n + 1))),
  },
  {
    weight: 1,
    arbitrary: fc.constant((n: number) =>
      n <= 4096 ? Array.from({ length: n }, (_, i) => i) : [],
    ),
  },
);
