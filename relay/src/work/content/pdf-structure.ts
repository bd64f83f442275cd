// The PDF check's reading of a body's structure, from the lexer's events. In: names, tokens,
// brackets, strings and comments of the body outside stream data. Out: every name goes to the
// findings (which may refuse it); the top-level dictionary of each object and each trailer is
// read for what the check needs (/Length when a direct integer, /Filter, /Type, /N, /First, a
// /DecodeParms predictor); a top-level dictionary with an /Encrypt key is refused at once
// ('encrypted'); `stream` after an object's dictionary hands over to the stream reader; and the
// end is checked: `startxref <offset> %%EOF` must close the body, and the offset must be where an
// `xref` keyword or the header `N G obj` of an object of /Type /XRef begins (white space before
// either is tolerated) — else 'xref'. Memory: the offsets of xref keywords and xref-stream
// headers only (MAX_XREF_SECTIONS), never every object.
import type { LexSink } from './pdf-lexer';
import type { PdfFindings, Refuse } from './pdf-rules';

/** At most this many cross-reference sections (each incremental update adds one). */
export const MAX_XREF_SECTIONS = 10_000;
/** At most this many filters in one stream's chain. */
export const MAX_FILTERS = 8;

/** What the check reads from a top-level dictionary. */
export interface TopDict {
  readonly trailer: boolean;
  /** /Length when it is a direct non-negative integer. */
  length: number | undefined;
  /** /Filter names in order ([] for none); undefined when indirect or not understood. */
  filters: string[] | undefined;
  type: string | undefined;
  /** /First is present (an object stream, whatever its /Type says). */
  hasFirst: boolean;
  first: number | undefined;
  n: number | undefined;
  /** A /DecodeParms with /Predictor 2 or more. */
  predictor: boolean;
}

function intOf(text: string | undefined): number | undefined {
  if (text === undefined || text.length > 16) return undefined;
  let i = text.startsWith('-') || text.startsWith('+') ? 1 : 0;
  if (i === text.length) return undefined;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
  }
  return Number(text);
}

function isNumber(text: string | undefined): boolean {
  return text !== undefined && /^[+-]?(\d+\.?\d*|\.\d+)$/.test(text);
}

export class PdfStructure implements LexSink {
  /** The dictionary of the stream that starts when token() returns true. */
  streamDict: TopDict | undefined;
  readonly #findings: PdfFindings;
  readonly #refuse: Refuse;
  #depth = 0;
  #top: TopDict | undefined;
  #key: string | undefined;
  #nums = 0;
  #num1: number | undefined;
  #composite: string | undefined;
  #predictorNext = false;
  #trailerNext = false;
  #afterDict: TopDict | undefined;
  /** The last two events, when tokens: their integer values (NaN: not an integer, or none). */
  #prev1 = NaN;
  #prev2 = NaN;
  #prev1At = 0;
  #prev1After = 0;
  #prev2At = 0;
  #prev2After = 0;
  #inObject = false;
  #objAt = -1;
  #objAfter = -1;
  /** [from, at] pairs: a startxref offset in [from, at] is good. */
  readonly #candidates: number[] = [];
  #tail = 0;
  #startxref = -1;

  constructor(findings: PdfFindings, refuse: Refuse) {
    this.#findings = findings;
    this.#refuse = refuse;
  }

  /** Offsets the check remembers (pairs), for its memory bound. */
  get remembered(): number {
    return this.#candidates.length / 2;
  }

  name(name: string | undefined, at: number): void {
    this.#findings.name(name, at);
    this.#other();
    if (this.#top === undefined) return;
    if (this.#depth === 1) {
      if (this.#key === undefined) {
        this.#keyFound(name);
      } else if (this.#nums > 0) {
        this.#flushNumber();
        this.#keyFound(name);
      } else {
        this.#nameValue(this.#key, name);
        this.#key = undefined;
      }
    } else if (this.#composite === 'Filter' && this.#depth === 2) {
      const filters = this.#top.filters;
      if (filters !== undefined && name !== undefined && filters.length < MAX_FILTERS) {
        filters.push(name);
      } else {
        this.#top.filters = undefined;
      }
    } else if (this.#composite === 'DecodeParms') {
      this.#predictorNext = name === 'Predictor';
    }
  }

  token(text: string | undefined, at: number, after: number): boolean {
    const afterDict = this.#afterDict;
    this.#afterDict = undefined;
    const int = intOf(text);
    const prev1 = this.#prev1;
    const prev2 = this.#prev2;
    const prev2At = this.#prev2At;
    const prev2After = this.#prev2After;
    this.#prev2 = prev1;
    this.#prev2At = this.#prev1At;
    this.#prev2After = this.#prev1After;
    this.#prev1 = int ?? NaN;
    this.#prev1At = at;
    this.#prev1After = after;
    this.#tail =
      text === 'startxref' ? 1 : this.#tail === 1 && int !== undefined && int >= 0 ? 2 : 0;
    if (this.#tail === 2) this.#startxref = int ?? -1;
    switch (text) {
      case 'obj':
        this.#reset();
        this.#inObject = true;
        if (prev1 >= 0 && prev2 >= 0) {
          this.#objAt = prev2At;
          this.#objAfter = prev2After;
        } else {
          this.#objAt = -1;
        }
        return false;
      case 'endobj':
      case 'startxref':
        this.#reset();
        this.#inObject = false;
        return false;
      case 'xref':
        this.#reset();
        this.#inObject = false;
        this.#candidate(after, at);
        return false;
      case 'trailer':
        this.#reset();
        this.#inObject = false;
        this.#trailerNext = true;
        return false;
      case 'stream':
        if (afterDict !== undefined && this.#depth === 0) {
          this.streamDict = afterDict;
          return true;
        }
        return false;
      default:
        break;
    }
    if (this.#top === undefined) return false;
    if (this.#depth === 1) {
      if (this.#key === undefined) return false;
      if (int !== undefined || isNumber(text)) {
        if (this.#nums === 0) {
          this.#num1 = int;
          this.#nums = 1;
        } else if (this.#nums === 1) {
          this.#nums = 2;
        } else {
          this.#key = undefined;
          this.#nums = 0;
        }
      } else if (text === 'R' && this.#nums === 2) {
        this.#refValue(this.#key);
        this.#key = undefined;
        this.#nums = 0;
      } else {
        this.#key = undefined;
        this.#nums = 0;
      }
    } else if (this.#composite === 'Filter' && this.#depth === 2) {
      this.#top.filters = undefined;
    } else if (this.#composite === 'DecodeParms') {
      if (this.#predictorNext && int !== undefined && int >= 2) this.#top.predictor = true;
      this.#predictorNext = false;
    }
    return false;
  }

  open(kind: 'dict' | 'array'): void {
    this.#other();
    if (this.#depth === 0) {
      this.#top =
        kind === 'dict'
          ? {
              trailer: this.#trailerNext,
              length: undefined,
              filters: [],
              type: undefined,
              hasFirst: false,
              first: undefined,
              n: undefined,
              predictor: false,
            }
          : undefined;
      this.#key = undefined;
      this.#nums = 0;
      this.#composite = undefined;
    } else if (this.#top !== undefined && this.#depth === 1) {
      if (this.#nums > 0) this.#flushNumber();
      this.#composite = this.#key;
      this.#key = undefined;
      if (this.#composite === 'Filter') this.#top.filters = kind === 'array' ? [] : undefined;
    } else if (this.#top !== undefined && this.#composite === 'Filter') {
      this.#top.filters = undefined;
    }
    this.#trailerNext = false;
    this.#depth++;
  }

  close(_kind: 'dict' | 'array'): void {
    this.#other();
    if (this.#depth === 0) return;
    this.#depth--;
    const top = this.#top;
    if (top === undefined) return;
    if (this.#depth === 0) {
      if (this.#nums > 0) this.#flushNumber();
      this.#top = undefined;
      if (this.#inObject && top.type === 'XRef' && this.#objAt >= 0) {
        this.#candidate(this.#objAfter, this.#objAt);
      }
      this.#afterDict = top;
    } else if (this.#depth === 1) {
      this.#composite = undefined;
    }
  }

  string(): void {
    this.#other();
    if (this.#top !== undefined && this.#depth === 1) {
      if (this.#nums > 0) this.#flushNumber();
      this.#key = undefined;
    } else if (this.#composite === 'Filter' && this.#top !== undefined) {
      this.#top.filters = undefined;
    }
  }

  comment(eof: boolean): void {
    this.#tail = (this.#tail === 2 || this.#tail === 3) && eof ? 3 : 0;
  }

  hidden(_at: number): void {
    this.#findings.add('hidden-object');
    this.#other();
    this.#reset();
    this.#inObject = true;
    this.#objAt = -1;
  }

  /**
   * The end of the body (the lexer flushed). `clean`: the lexer ended between tokens and not
   * inside stream data. Throws 'xref' unless the body ends `startxref <offset> %%EOF` with the
   * offset at an xref section.
   */
  finish(clean: boolean): void {
    if (!clean || this.#tail !== 3) {
      throw this.#refuse(
        'xref',
        'broken xref: the body does not end with startxref <offset> %%EOF',
      );
    }
    const sx = this.#startxref;
    const c = this.#candidates;
    for (let i = 0; i < c.length; i += 2) {
      if ((c[i] ?? 0) <= sx && sx <= (c[i + 1] ?? -1)) return;
    }
    throw this.#refuse(
      'xref',
      'broken xref: startxref points at neither an xref table nor an xref stream',
      { startxref: sx },
    );
  }

  /** An event other than a token or comment: breaks `N G obj`, the tail and `>> stream`. */
  #other(): void {
    this.#prev1 = NaN;
    this.#prev2 = NaN;
    this.#afterDict = undefined;
    this.#tail = 0;
  }

  #reset(): void {
    this.#depth = 0;
    this.#top = undefined;
    this.#key = undefined;
    this.#nums = 0;
    this.#composite = undefined;
    this.#trailerNext = false;
  }

  #candidate(from: number, at: number): void {
    if (this.#candidates.length >= 2 * MAX_XREF_SECTIONS) {
      throw this.#refuse(
        'xref',
        `broken xref: more than ${MAX_XREF_SECTIONS} cross-reference sections`,
        { limit: MAX_XREF_SECTIONS },
      );
    }
    this.#candidates.push(from, at);
  }

  #keyFound(name: string | undefined): void {
    this.#key = name;
    this.#nums = 0;
    if (name === 'Encrypt') {
      throw this.#refuse('encrypted', 'an encrypted PDF cannot be scanned');
    }
    if (name === 'First' && this.#top !== undefined) this.#top.hasFirst = true;
  }

  #flushNumber(): void {
    const top = this.#top;
    if (this.#nums === 1 && top !== undefined) {
      const v = this.#num1;
      const whole = v !== undefined && v >= 0 && Number.isSafeInteger(v) ? v : undefined;
      if (this.#key === 'Length') top.length = whole;
      else if (this.#key === 'N') top.n = whole;
      else if (this.#key === 'First') top.first = whole;
      else if (this.#key === 'Filter') top.filters = undefined;
    }
    this.#key = undefined;
    this.#nums = 0;
  }

  #nameValue(key: string | undefined, name: string | undefined): void {
    const top = this.#top;
    if (top === undefined) return;
    if (key === 'Type') top.type = name;
    else if (key === 'Filter') top.filters = name === undefined ? undefined : [name];
  }

  #refValue(key: string | undefined): void {
    const top = this.#top;
    if (top === undefined) return;
    if (key === 'Length') top.length = undefined;
    else if (key === 'Filter') top.filters = undefined;
    else if (key === 'N') top.n = undefined;
    else if (key === 'First') top.first = undefined;
    else if (key === 'Type') top.type = undefined;
  }
}
