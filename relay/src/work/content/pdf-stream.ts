// The data of one PDF stream, between `stream` and `endstream`, as it arrives in pieces. In:
// the bytes after the `stream` keyword, the stream's direct /Length (if any) and whether its
// data is to be kept for decoding. Out: where `endstream` ends (the body's lexer takes over
// there); the data kept (at most maxKeep bytes, else refused: rule 'inflate'); and, in passing,
// every object header `N G obj` inside the data: a viewer that follows the cross-reference table
// could parse an object there, so the names after it are scanned (and 'hidden-object' flagged);
// a refusal of such a name is raised when the stream ends (never before its size is known, so
// the verdict does not depend on where the pieces were cut). Stream data is never lexed as PDF
// syntax otherwise: binary data gives no false names.
//
// Where the data ends: as a viewer, the bytes up to the first end of line after `stream` are
// skipped; then, when /Length is a direct integer, the first /Length bytes are data whatever
// they hold, and the data ends at the first `endstream` after them; without a direct /Length,
// at the first `endstream`. Up to 8 bytes at the end of a piece may turn out to be the start of
// `endstream`: they are taken back from what was kept (nothing else depends on them).
import { NameSink } from './pdf-objstm';
import { ENDS as ENDS_, OBJ_DFA as OBJ_DFA_, OBJ_MATCH as OBJ_MATCH_, PdfLexer } from './pdf-lexer';
import type { RelayContentError } from './errors';
import type { PdfFindings, Refuse } from './pdf-rules';

const ENDS = ENDS_;
const OBJ_DFA = OBJ_DFA_;
const OBJ_MATCH = OBJ_MATCH_;
const ENDSTREAM = Buffer.from('endstream', 'latin1');
const OBJ = Buffer.from('obj', 'latin1');
/** Bytes before an `obj` the header DFA looks at. */
const HEADER_WINDOW = 64;
/** Data bytes remembered from earlier pieces (for `endstream` and `obj` across pieces). */
const HIST = HEADER_WINDOW + 8;
/** Bytes of a piece that may be the start of `endstream` (its length minus one). */
const TENTATIVE = ENDSTREAM.length - 1;
/**
 * How many `obj` candidates one body may have checked with the header DFA; past it, every
 * candidate counts as a header (its stream's names are then scanned: safe, and linear work).
 */
export const MAX_HEADER_CHECKS = 4096;

/** What is left of a body's MAX_HEADER_CHECKS, shared by its streams. */
export interface HeaderBudget {
  left: number;
}

export interface StreamPlan {
  /** /Length when a direct integer. */
  readonly length: number | undefined;
  /** Keep the data (to decode it at the end). */
  readonly keep: boolean;
  /** The most data bytes kept; more is refused. */
  readonly maxKeep: number;
}

export class StreamData {
  /** Absolute offset of the first data byte (-1 until the line after `stream` ended). */
  dataStart = -1;
  readonly #plan: StreamPlan;
  readonly #findings: PdfFindings;
  readonly #refuse: Refuse;
  readonly #budget: HeaderBudget;
  /** 0: skipping to the end of the `stream` line; 1: after a CR; 2: in the data. */
  #pre = 0;
  /** Data bytes taken, including up to TENTATIVE that may be taken back. */
  #seen = 0;
  #hist: Buffer = Buffer.alloc(0);
  readonly #kept: Buffer[] = [];
  #keptBytes = 0;
  readonly #names: NameSink;
  #sub: PdfLexer | undefined;
  /** Bytes taken but not yet given to #sub (the tentative tail). */
  #lag: Buffer = Buffer.alloc(0);
  #done = false;

  constructor(plan: StreamPlan, findings: PdfFindings, refuse: Refuse, budget: HeaderBudget) {
    this.#plan = plan;
    this.#findings = findings;
    this.#refuse = refuse;
    this.#budget = budget;
    this.#names = new NameSink(findings, { defer: true });
  }

  /** Data bytes kept now (for peakBufferedBytes). */
  get buffered(): number {
    return this.#keptBytes;
  }

  /** The data's length (final once the stream ended). */
  get length(): number {
    return this.#seen;
  }

  /** The kept data, once the stream ended. */
  data(): Buffer {
    return this.#kept.length === 1 ? (this.#kept[0] ?? Buffer.alloc(0)) : Buffer.concat(this.#kept);
  }

  /**
   * Takes buf[from, to) (`at` is the absolute offset of buf[from]). Returns -1 when all of it is
   * stream data, else the index right after `endstream`.
   */
  feed(buf: Buffer, from: number, to: number, at: number): number {
    let i = from;
    while (this.#pre < 2 && i < to) {
      const c = buf[i] ?? 0;
      if (this.#pre === 1) {
        this.#pre = 2;
        if (c === 0x0a) i++;
      } else {
        i++;
        if (c === 0x0a) this.#pre = 2;
        else if (c === 0x0d) this.#pre = 1;
      }
    }
    if (this.#pre < 2) return -1;
    if (this.dataStart < 0) {
      this.dataStart = at + (i - from);
      if (i === to) return -1;
    }
    const view = buf.subarray(0, to);
    // Where `endstream` may begin, counted in data bytes.
    const skip = Math.max(0, (this.#plan.length ?? 0) - this.#seen);
    let dataEnd = to;
    let end = -1;
    let takeBack = 0;
    const hist = this.#hist;
    const h = hist.length;
    if (h > 0) {
      const probe = Buffer.concat([hist.subarray(-TENTATIVE), view.subarray(i, i + TENTATIVE)]);
      const ph = Math.min(h, TENTATIVE);
      const p = probe.indexOf(ENDSTREAM);
      if (p >= 0 && p < ph && this.#seen - ph + p >= (this.#plan.length ?? 0)) {
        takeBack = ph - p;
        dataEnd = i;
        end = i + ENDSTREAM.length - takeBack;
      }
    }
    if (end < 0) {
      const k = view.indexOf(ENDSTREAM, i + skip);
      if (k >= 0) {
        dataEnd = k;
        end = k + ENDSTREAM.length;
      }
    }
    const seen = this.#seen + (dataEnd - i) - takeBack;
    if (this.#plan.keep) {
      // Refused once surely too long: the data ends later (seen - TENTATIVE bytes at least).
      const definite = end >= 0 ? seen : seen - TENTATIVE;
      if (definite > this.#plan.maxKeep) {
        throw this.#refuse(
          'inflate',
          `a stream to inflate holds more than ${this.#plan.maxKeep} bytes (maxStreamBytes)`,
          { limit: this.#plan.maxKeep, offset: this.dataStart },
        );
      }
      if (dataEnd > i) this.#kept.push(Buffer.from(view.subarray(i, dataEnd)));
      this.#keptBytes += dataEnd - i;
      if (takeBack > 0) this.#takeBack(takeBack);
    }
    const first = this.#sub === undefined ? this.#header(view, i, dataEnd) : -1;
    this.#feedSub(view, i, dataEnd, first, at + (i - from), end >= 0, takeBack);
    this.#seen = seen;
    if (end >= 0) {
      this.#done = true;
      const refused = this.#names.deferred;
      if (refused !== undefined) throw refused;
      return end;
    }
    const added = view.subarray(Math.max(i, to - HIST), to);
    this.#hist =
      added.length >= HIST ? Buffer.from(added) : Buffer.concat([hist, added]).subarray(-HIST);
    return -1;
  }

  /**
   * The body ended inside this stream: every byte taken was data. Returns the refusal the end
   * of the stream would have raised (too much data to keep, or a name in a hidden object).
   */
  abandon(): RelayContentError | undefined {
    if (this.#done) return undefined;
    this.#done = true;
    if (this.#plan.keep && this.#seen > this.#plan.maxKeep) {
      return this.#refuse(
        'inflate',
        `a stream to inflate holds more than ${this.#plan.maxKeep} bytes (maxStreamBytes)`,
        { limit: this.#plan.maxKeep, offset: this.dataStart },
      );
    }
    if (this.#sub !== undefined) {
      this.#sub.feed(this.#lag, 0, this.#lag.length);
      this.#sub.finish();
    }
    return this.#names.deferred;
  }

  #takeBack(n: number): void {
    let left = n;
    while (left > 0) {
      const last = this.#kept.pop();
      if (last === undefined) break;
      if (last.length > left) {
        this.#kept.push(last.subarray(0, last.length - left));
        left = 0;
      } else {
        left -= last.length;
      }
    }
    this.#keptBytes = Math.max(0, this.#keptBytes - n);
  }

  /**
   * The index in buf (in [a, b)) where the first object header `N G obj` of the data ends, or
   * -1: each `obj` found with indexOf (also across the previous piece) and followed by white
   * space or a delimiter is confirmed by the header DFA, run over the HEADER_WINDOW bytes before
   * it from every state (so it may match more than a viewer would, never less); past the body's
   * budget of checks, it is taken as a header. An `obj` whose next byte has not arrived yet is
   * decided with the next piece.
   */
  #header(view: Buffer, a: number, b: number): number {
    const hist = this.#hist;
    const h = hist.length;
    // The data seen: hist then view[a, ...); logical position x >= h is view[a + x - h].
    const byteAt = (x: number): number => (x < h ? (hist[x] ?? 0) : (view[a + x - h] ?? 0));
    const limit = h + (b - a); // logical end of the data in this piece
    const isHeader = (p: number): boolean => {
      const f = p + 3;
      if (f >= limit) return false; // the next byte is `endstream` ('e'), or has not arrived
      if (ENDS[byteAt(f)] !== 1) return false;
      if (this.#budget.left <= 0) return true;
      this.#budget.left--;
      const from = Math.max(0, p - HEADER_WINDOW);
      const win = new Uint8Array(f + 1 - from);
      for (let x = from; x <= f; x++) win[x - from] = byteAt(x);
      return headerIn(win);
    };
    if (h > 0) {
      const base = Math.max(0, h - 3);
      const probe = Buffer.concat([hist.subarray(base), view.subarray(a, Math.min(b, a + 3))]);
      for (let p = probe.indexOf(OBJ); p >= 0 && base + p < h; p = probe.indexOf(OBJ, p + 1)) {
        if (isHeader(base + p)) return a + base + p + 3 - h;
      }
    }
    for (let k = view.indexOf(OBJ, a); k >= 0 && k + 3 <= b; k = view.indexOf(OBJ, k + 1)) {
      if (isHeader(h + k - a)) return k + 3;
    }
    return -1;
  }

  /**
   * Feeds the hidden-object lexer the data buf[a, b), starting it at `first` (a header's end)
   * when it has not started. Once started it reads the rest of the stream's data: its own guard
   * leaves a string or comment at an object header. The last TENTATIVE bytes are held back
   * (they may be `endstream`) until known.
   */
  #feedSub(
    buf: Buffer,
    a: number,
    b: number,
    first: number,
    at: number,
    ended: boolean,
    takeBack: number,
  ): void {
    let from = a;
    if (first >= 0) {
      this.#findings.add('hidden-object');
      this.#sub = new PdfLexer(this.#names, at + (first - a));
      this.#lag = Buffer.alloc(0);
      from = first;
    }
    if (this.#sub === undefined) return;
    if (ended) {
      this.#lag = this.#lag.subarray(0, Math.max(0, this.#lag.length - takeBack));
      this.#subFeed(buf, from, b, true);
      this.#sub.finish();
    } else {
      this.#subFeed(buf, from, b, false);
    }
  }

  /** Feeds #sub the lag and buf[a, b); keeps the last TENTATIVE bytes back unless `all`. */
  #subFeed(buf: Buffer, a: number, b: number, all: boolean): void {
    const sub = this.#sub;
    if (sub === undefined) return;
    const bytes =
      this.#lag.length > 0 ? Buffer.concat([this.#lag, buf.subarray(a, b)]) : buf.subarray(a, b);
    const keep = all ? 0 : Math.min(TENTATIVE, bytes.length);
    sub.feed(bytes, 0, bytes.length - keep);
    this.#lag = Buffer.from(bytes.subarray(bytes.length - keep));
  }
}

/** Whether the header DFA, from some state, ends `win` (which ends `obj` + one byte) matched. */
function headerIn(win: Uint8Array): boolean {
  for (let start = 0; start < OBJ_MATCH; start++) {
    let s = start;
    for (const c of win) s = OBJ_DFA[(s << 8) | c] ?? 0;
    if (s === OBJ_MATCH) return true;
  }
  return false;
}
