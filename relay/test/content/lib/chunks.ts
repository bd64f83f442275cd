// Helpers for feeding bodies to the content checks in pieces. In: a body and where to cut it, or
// a check and its chunks. Out: the chunks, the index of the chunk a check refused (if any), and a
// verdict object that tests compare: a summary, a typed refusal (code and rule), or 'untyped'.
import { isRelayContentError } from '../../../src/work/content';

/** `body` cut into chunks of `size` bytes (the last may be shorter). */
export function chunksOf(body: Uint8Array, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < body.length; at += size) {
    out.push(Buffer.from(body.subarray(at, Math.min(body.length, at + size))));
  }
  return out;
}

/** `body` cut at each offset in `cuts` (any order, repeats and ends ignored). */
export function splitAt(body: Uint8Array, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < body.length))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of [...points, body.length]) {
    out.push(Buffer.from(body.subarray(from, p)));
    from = p;
  }
  return out;
}

/** The index of the chunk holding byte `offset` when cut into chunks of `size`. */
export function chunkHolding(offset: number, size: number): number {
  return Math.floor(offset / size);
}

interface Pushable {
  push(chunk: Uint8Array): void;
}

/** Pushes chunks until one is refused: its index and the error, or undefined when all passed. */
export function pushUntilRefused(
  check: Pushable,
  chunks: readonly Uint8Array[],
): { at: number; error: unknown } | undefined {
  for (const [i, chunk] of chunks.entries()) {
    try {
      check.push(chunk);
    } catch (error) {
      return { at: i, error };
    }
  }
  return undefined;
}

export type Verdict =
  | { readonly ok: true; readonly summary: unknown }
  | { readonly ok: false; readonly code: string; readonly rule: unknown }
  | { readonly ok: 'untyped'; readonly error: string };

/** Runs a fresh check over `chunks` and says how it ended. */
export function verdictOf(
  check: Pushable & { end(): unknown },
  chunks: readonly Uint8Array[],
): Verdict {
  try {
    for (const chunk of chunks) check.push(chunk);
    return { ok: true, summary: check.end() };
  } catch (e) {
    if (isRelayContentError(e)) return { ok: false, code: e.code, rule: e.details.rule };
    return { ok: 'untyped', error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}

/** The rule a call refused with (throws when it did not refuse with a content error). */
export function ruleOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    if (isRelayContentError(e)) return e.details.rule;
    throw e;
  }
  throw new Error('expected a refusal, but the body was accepted');
}
