// Name scanning outside the body's own structure: the objects of an object stream (/Type
// /ObjStm, where PDF 1.5+ writers put dictionaries, and where /JavaScript hides), and objects
// hidden in stream data. In: the inflated content of an object stream with its /N and /First,
// or raw bytes. Out: every name through the findings (which may refuse it); false when an
// object stream's header (N pairs of object number and offset before /First) cannot be read.
// Each object is lexed from its own offset with a fresh lexer, as a viewer parses it: a string
// left open in one object cannot hide the next one.
import { PdfLexer, WHITE, type LexSink } from './pdf-lexer';
import type { RelayContentError } from './errors';
import type { PdfFindings } from './pdf-rules';

/**
 * A lexer sink that only hands names to the findings. `defer`: a refusal is kept (the first
 * one) instead of thrown, for the owner to throw when it knows the verdict of what holds them.
 */
export class NameSink implements LexSink {
  readonly #findings: PdfFindings;
  /** Report every name at this offset (an object stream's), else where the lexer saw it. */
  readonly #at: number | undefined;
  readonly #defer: boolean;
  #deferred: RelayContentError | undefined;

  constructor(findings: PdfFindings, options: { at?: number; defer?: boolean } = {}) {
    this.#findings = findings;
    this.#at = options.at;
    this.#defer = options.defer ?? false;
  }

  /** The first refusal kept back (defer only). */
  get deferred(): RelayContentError | undefined {
    return this.#deferred;
  }

  name(name: string | undefined, at: number): void {
    if (this.#deferred !== undefined) return;
    const refused = this.#findings.verdict(name, this.#at ?? at);
    if (refused === undefined) return;
    if (!this.#defer) throw refused;
    this.#deferred = refused;
  }

  token(): boolean {
    return false;
  }

  open(): void {
    // Structure is not read here.
  }

  close(): void {
    // Structure is not read here.
  }

  string(): void {
    // Structure is not read here.
  }

  comment(): void {
    // Structure is not read here.
  }

  hidden(): void {
    this.#findings.add('hidden-object');
  }
}

/**
 * The offsets (from /First) of the first `n` objects, from the header content[0, first): `n`
 * pairs of non-negative integers (object number, offset). Undefined when it is not that.
 */
function offsetsOf(content: Buffer, n: number, first: number): Uint32Array | undefined {
  // Each pair takes 4 bytes at least ("1 0 "): no more fit before /First.
  if (n > (first >> 2) + 1) return undefined;
  const out = new Uint32Array(n);
  let i = 0;
  for (let count = 0; count < n * 2; count++) {
    while (i < first && WHITE[content[i] ?? 0] === 1) i++;
    if (i >= first) return undefined;
    let v = 0;
    const start = i;
    while (i < first) {
      const c = content[i] ?? 0;
      if (c < 0x30 || c > 0x39) break;
      v = v * 10 + (c - 0x30);
      i++;
    }
    if (i === start || v > 0xffffffff) return undefined;
    if (i < first && WHITE[content[i] ?? 0] !== 1) return undefined;
    if (count % 2 === 1) out[count >> 1] = v;
  }
  return out;
}

/**
 * Scans the objects of an inflated object stream for names. False when its header cannot be
 * read (then nothing was scanned: the caller refuses the body).
 */
export function scanObjectStream(
  content: Buffer,
  n: number | undefined,
  first: number | undefined,
  findings: PdfFindings,
  at: number,
): boolean {
  if (n === undefined || first === undefined || first > content.length) return false;
  if (n === 0) return true;
  const offsets = offsetsOf(content, n, first);
  if (offsets === undefined) return false;
  offsets.sort();
  const lexer = new PdfLexer(new NameSink(findings, { at }), 0);
  for (let i = 0; i < offsets.length; i++) {
    const start = first + (offsets[i] ?? 0);
    if (start > content.length) return false;
    if (i > 0 && offsets[i] === offsets[i - 1]) continue;
    let next = i + 1;
    while (next < offsets.length && offsets[next] === offsets[i]) next++;
    const end =
      next < offsets.length
        ? Math.min(content.length, first + (offsets[next] ?? 0))
        : content.length;
    lexer.reset(start);
    lexer.feed(content, start, end);
    lexer.finish();
  }
  return true;
}
