// Fuzz target for the relay's PDF content guard (relay/src/work/content/pdf.ts). In: bodies —
// every generated good and hostile PDF (JavaScript, Launch, a script in an object stream, an
// escaped name, an embedded file, an encrypted PDF, Flate bombs, broken and missing xref,
// truncated, HTML and executables named .pdf; relay/test/content/lib/pdf-hostile.ts) as made or
// with bytes set, inserted, deleted, PDF syntax spliced in, cut short or repeated
// (lib/pdf-arbitraries.ts), and random bytes behind a real header — checked under random valid
// options (inflate bounds of at most 1 MiB, both policies), whole and cut at random places.
// Out: a summary or RELAY_E_CONTENT_PDF; any other exception is a finding, and so is a verdict
// that differs between the whole body and the same body cut in pieces.
import fc from 'fast-check';
import {
  createPdfCheck,
  isRelayContentError,
  type PdfCheckInput,
  type PdfSummary,
} from '../../../relay/src/work/content';
import {
  SAMPLES,
  cuts,
  junk,
  mutated,
  options,
} from '../../../relay/test/content/lib/pdf-arbitraries';
import type { FuzzTarget } from '../types';

export interface PdfFuzzInput {
  readonly body: Buffer;
  readonly options: PdfCheckInput;
  /** Offsets to cut the body at (any order; out-of-range ones ignored). */
  readonly cuts: readonly number[];
}

const body: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 6, arbitrary: mutated },
  { weight: 2, arbitrary: junk },
  { weight: 1, arbitrary: fc.constantFrom(...SAMPLES) },
);

/** Inflate bounds of at most 1 MiB: a bomb costs a millisecond, not the default 32 MiB. */
const SMALL_BOUNDS = { maxInflatedBytes: 1024 * 1024, maxTotalInflatedBytes: 2 * 1024 * 1024 };

const arbitrary: fc.Arbitrary<PdfFuzzInput> = fc
  .tuple(body, options, cuts)
  .map(([b, o, cut]) => ({ body: b, options: { ...SMALL_BOUNDS, ...o }, cuts: cut(b.length) }));

function pieces(b: Buffer, at: readonly number[]): Buffer[] {
  const points = [...new Set(at.filter((c) => c > 0 && c < b.length))].sort((x, y) => x - y);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of [...points, b.length]) {
    out.push(b.subarray(from, p));
    from = p;
  }
  return out;
}

/** The verdict as text: the summary, or the code and rule; rethrows anything untyped. */
function verdict(input: PdfFuzzInput, chunks: readonly Buffer[]): string {
  const check = createPdfCheck(input.options);
  try {
    for (const c of chunks) check.push(c);
    return JSON.stringify(check.end());
  } catch (e) {
    if (!isRelayContentError(e)) throw e;
    return `${e.code}/${String(e.details.rule)}`;
  }
}

export const pdfGuardTarget: FuzzTarget<PdfFuzzInput> = {
  name: 'pdf guard',
  arbitrary,
  run: (input) => {
    const split = verdict(input, pieces(input.body, input.cuts));
    const mismatch = (whole: string): Error =>
      new Error(`the verdict depends on the cuts: whole ${whole}, split ${split}`);
    const check = createPdfCheck(input.options);
    let summary: PdfSummary;
    try {
      check.push(input.body);
      summary = check.end();
    } catch (e) {
      // The typed refusal goes on to the report (counted by code) once it matches the split.
      if (isRelayContentError(e) && `${e.code}/${String(e.details.rule)}` !== split) {
        throw mismatch(`${e.code}/${String(e.details.rule)}`);
      }
      throw e;
    }
    if (JSON.stringify(summary) !== split) throw mismatch(JSON.stringify(summary));
    return summary;
  },
};
