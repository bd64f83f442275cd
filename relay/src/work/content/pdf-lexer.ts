// The PDF check's lexer. In: PDF syntax bytes (a body outside its stream data, or the inflated
// content of an object stream), fed in pieces split anywhere. Out: events to a sink — names
// (hex escapes `#xx` decoded), regular tokens (numbers and keywords), dictionary and array
// brackets, ends of strings and comments — and `hidden` when an object header `N G obj` shows
// inside a string or a comment: a viewer that follows the cross-reference table would start
// parsing there, so the lexer leaves the string or comment and lexes on as a viewer would.
// Names inside strings and comments are never reported. State is fixed-size: a name of at most
// NAME_MAX bytes and a token of at most TOKEN_MAX bytes (longer ones are reported as undefined).

/** PDF white space: NUL, tab, LF, FF, CR, space. */
const WHITE: Uint8Array = table([0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]);
/** PDF delimiters: ( ) < > [ ] { } / %. */
const DELIMITER: Uint8Array = table(Array.from('()<>[]{}/%', (c) => c.charCodeAt(0)));
/** Bytes that end a name or a token. */
const ENDS: Uint8Array = Uint8Array.from(WHITE, (w, i) => w | (DELIMITER[i] ?? 0));
const HEX: Int8Array = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let i = 0; i < 10; i++) t[0x30 + i] = i;
  for (let i = 0; i < 6; i++) {
    t[0x41 + i] = 10 + i;
    t[0x61 + i] = 10 + i;
  }
  return t;
})();

function table(bytes: readonly number[]): Uint8Array {
  const t = new Uint8Array(256);
  for (const b of bytes) t[b] = 1;
  return t;
}

/** Names longer than this (decoded) are reported as undefined: none that matters is. */
const NAME_MAX = 127;
/** Regular tokens longer than this are reported as undefined. */
const TOKEN_MAX = 32;

export interface LexSink {
  /** A name, decoded, without its slash; undefined when longer than NAME_MAX. */
  name(name: string | undefined, at: number): void;
  /**
   * A regular token (a number or a keyword); undefined when longer than TOKEN_MAX. `after` is
   * where the white space before it begins (the end of the last byte that was not white).
   * Returning true stops the lexer right after the token (its terminating byte not consumed).
   */
  token(text: string | undefined, at: number, after: number): boolean;
  open(kind: 'dict' | 'array'): void;
  close(kind: 'dict' | 'array'): void;
  /** A literal or hexadecimal string ended. */
  string(): void;
  /** A comment ended; `eof` when it was exactly `%%EOF` (white space may follow). */
  comment(eof: boolean): void;
  /** An object header `N G obj` inside a string or comment ended at `at`. */
  hidden(at: number): void;
}

// Modes.
const NORMAL = 0;
const COMMENT = 1;
const LSTRING = 2;
const HSTRING = 3;
const NAME = 4;
const NAME_HASH1 = 5;
const NAME_HASH2 = 6;
const TOKEN = 7;
const LT = 8;
const GT = 9;

const EOF_SIGNATURE = [0x25, 0x45, 0x4f, 0x46]; // '%EOF' after the comment's own '%'

/**
 * A DFA over raw bytes that spots `N G obj` followed by white space or a delimiter, with white
 * space and comments between the parts, as a viewer's parser reading from an offset would
 * accept them (numbers loosely: digits, sign and point). Used inside strings and comments here
 * and over stream data (pdf-stream.ts). OBJ_MATCH marks the byte that completes a header.
 */
const OBJ_MATCH = 10;
const OBJ_DFA: Uint8Array = (() => {
  const states = 11;
  const t = new Uint8Array(states * 256);
  const digit = (c: number): boolean =>
    (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e;
  const eol = (c: number): boolean => c === 0x0a || c === 0x0d;
  for (let c = 0; c < 256; c++) {
    const d = digit(c);
    const w = WHITE[c] === 1;
    const pct = c === 0x25;
    const set = (s: number, v: number): void => {
      t[s * 256 + c] = v;
    };
    set(0, d ? 1 : 0);
    set(1, d ? 1 : w ? 2 : pct ? 3 : 0);
    set(2, w ? 2 : pct ? 3 : d ? 4 : 0);
    set(3, eol(c) ? 2 : 3);
    set(4, d ? 4 : w ? 5 : pct ? 6 : 0);
    set(5, w ? 5 : pct ? 6 : c === 0x6f ? 7 : d ? 4 : 0);
    set(6, eol(c) ? 5 : 6);
    set(7, c === 0x62 ? 8 : d ? 1 : 0);
    set(8, c === 0x6a ? 9 : d ? 1 : 0);
    set(9, ENDS[c] === 1 ? OBJ_MATCH : d ? 1 : 0);
    set(OBJ_MATCH, d ? 1 : 0);
  }
  return t;
})();

function latin1(bytes: Uint8Array, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += String.fromCharCode(bytes[i] ?? 0);
  return s;
}

export class PdfLexer {
  /** Absolute offset of the next byte the lexer takes (set by the owner after a skip). */
  pos: number;
  readonly #sink: LexSink;
  #mode = NORMAL;
  #lastSolid = 0;
  #start = 0;
  #after = 0;
  readonly #name = new Uint8Array(NAME_MAX);
  #nameLength = 0;
  #nameOver = false;
  #nibble = 0;
  readonly #token = new Uint8Array(TOKEN_MAX);
  #tokenLength = 0;
  #tokenOver = false;
  #depth = 0;
  #escape = false;
  #commentLength = 0;
  #commentEof = true;
  #dfa = 0;

  constructor(sink: LexSink, pos = 0) {
    this.#sink = sink;
    this.pos = pos;
    this.#lastSolid = pos;
  }

  /** Forgets everything but the sink: lexes anew from `pos`. */
  reset(pos = 0): void {
    this.pos = pos;
    this.#lastSolid = pos;
    this.#mode = NORMAL;
    this.#nameLength = 0;
    this.#nameOver = false;
    this.#tokenLength = 0;
    this.#tokenOver = false;
    this.#depth = 0;
    this.#escape = false;
    this.#dfa = 0;
  }

  /**
   * Lexes buf[from, to). Returns where it stopped: `to`, or the index right after a token the
   * sink asked to stop at (the owner then takes the bytes from there).
   */
  feed(buf: Uint8Array, from: number, to: number): number {
    const delta = this.pos - from;
    let i = from;
    while (i < to) {
      const c = buf[i] ?? 0;
      switch (this.#mode) {
        case NORMAL:
          if (WHITE[c] === 1) {
            i++;
            while (i < to && WHITE[buf[i] ?? 0] === 1) i++;
            continue;
          }
          this.#normal(c, delta + i);
          i++;
          continue;
        case COMMENT:
          if (c === 0x0a || c === 0x0d) {
            this.#mode = NORMAL;
            this.#sink.comment(this.#commentEof && this.#commentLength >= 4);
            i++;
            continue;
          }
          this.#lastSolid = delta + i + 1;
          if (this.#commentLength < 4) {
            if (c !== EOF_SIGNATURE[this.#commentLength]) this.#commentEof = false;
          } else if (WHITE[c] !== 1) {
            this.#commentEof = false;
          }
          this.#commentLength++;
          if (this.#hiddenStep(c, delta + i)) continue;
          i++;
          continue;
        case LSTRING:
          this.#lastSolid = delta + i + 1;
          if (this.#hiddenStep(c, delta + i)) continue;
          if (this.#escape) this.#escape = false;
          else if (c === 0x5c) this.#escape = true;
          else if (c === 0x28) this.#depth++;
          else if (c === 0x29 && --this.#depth === 0) {
            this.#mode = NORMAL;
            this.#sink.string();
          }
          i++;
          continue;
        case HSTRING:
          if (WHITE[c] === 1) {
            i++;
            continue;
          }
          if (HEX[c] !== -1) {
            this.#lastSolid = delta + i + 1;
            i++;
            continue;
          }
          this.#mode = NORMAL;
          this.#sink.string();
          if (c === 0x3e) {
            this.#lastSolid = delta + i + 1;
            i++;
          }
          // Anything else ends a broken hex string and is lexed again as normal syntax.
          continue;
        case LT:
          if (c === 0x3c) {
            this.#mode = NORMAL;
            this.#lastSolid = delta + i + 1;
            this.#sink.open('dict');
            i++;
          } else {
            this.#mode = HSTRING;
          }
          continue;
        case GT:
          this.#mode = NORMAL;
          if (c === 0x3e) {
            this.#lastSolid = delta + i + 1;
            this.#sink.close('dict');
            i++;
          }
          continue;
        case NAME: {
          // The bytes of a name, at once.
          const name = this.#name;
          let n = this.#nameLength;
          let b = c;
          while (ENDS[b] !== 1 && b !== 0x23) {
            if (n < NAME_MAX) name[n++] = b;
            else this.#nameOver = true;
            if (++i === to) break;
            b = buf[i] ?? 0;
          }
          this.#nameLength = n;
          this.#lastSolid = delta + i;
          if (i === to) continue;
          if (b === 0x23) {
            this.#mode = NAME_HASH1;
            this.#lastSolid = delta + i + 1;
            i++;
          } else {
            this.#mode = NORMAL;
            this.#emitName();
          }
          continue;
        }
        case NAME_HASH1:
          if (HEX[c] !== -1) {
            this.#nibble = c;
            this.#mode = NAME_HASH2;
            this.#lastSolid = delta + i + 1;
            i++;
          } else {
            this.#nameByte(0x23);
            this.#mode = NAME;
          }
          continue;
        case NAME_HASH2: {
          const hi = HEX[this.#nibble] ?? 0;
          const lo = HEX[c] ?? -1;
          this.#mode = NAME;
          if (lo !== -1) {
            this.#nameByte(hi * 16 + lo);
            this.#lastSolid = delta + i + 1;
            i++;
          } else {
            this.#nameByte(0x23);
            this.#nameByte(this.#nibble);
          }
          continue;
        }
        case TOKEN: {
          // The bytes of a token, at once.
          const token = this.#token;
          let n = this.#tokenLength;
          let b = c;
          while (ENDS[b] !== 1) {
            if (n < TOKEN_MAX) token[n++] = b;
            else this.#tokenOver = true;
            if (++i === to) break;
            b = buf[i] ?? 0;
          }
          this.#tokenLength = n;
          this.#lastSolid = delta + i;
          if (i === to) continue;
          this.#mode = NORMAL;
          this.pos = delta + i;
          if (this.#emitToken()) return i;
          continue;
        }
        default:
          i++;
      }
    }
    this.pos = delta + i;
    return i;
  }

  /**
   * Ends the input: a pending name, token or comment is reported. True when the lexer ended
   * between tokens (false inside a string, or when the sink was asked to stop on the last token).
   */
  finish(): boolean {
    switch (this.#mode) {
      case NAME_HASH2:
        this.#nameByte(0x23);
        this.#nameByte(this.#nibble);
        this.#emitName();
        break;
      case NAME_HASH1:
        this.#nameByte(0x23);
        this.#emitName();
        break;
      case NAME:
        this.#emitName();
        break;
      case TOKEN:
        this.#mode = NORMAL;
        if (this.#emitToken()) return false;
        break;
      case COMMENT:
        this.#sink.comment(this.#commentEof && this.#commentLength >= 4);
        break;
      case LSTRING:
      case HSTRING:
      case LT:
        return false;
      default:
        break;
    }
    this.#mode = NORMAL;
    return true;
  }

  #normal(c: number, at: number): void {
    this.#after = this.#lastSolid;
    this.#lastSolid = at + 1;
    switch (c) {
      case 0x25:
        this.#mode = COMMENT;
        this.#commentLength = 0;
        this.#commentEof = true;
        this.#dfa = 0;
        return;
      case 0x28:
        this.#mode = LSTRING;
        this.#depth = 1;
        this.#escape = false;
        this.#dfa = 0;
        return;
      case 0x3c:
        this.#mode = LT;
        return;
      case 0x3e:
        this.#mode = GT;
        return;
      case 0x5b:
        this.#sink.open('array');
        return;
      case 0x5d:
        this.#sink.close('array');
        return;
      case 0x29:
      case 0x7b:
      case 0x7d:
        return;
      case 0x2f:
        this.#mode = NAME;
        this.#start = at;
        this.#nameLength = 0;
        this.#nameOver = false;
        return;
      default:
        this.#mode = TOKEN;
        this.#start = at;
        this.#token[0] = c;
        this.#tokenLength = 1;
        this.#tokenOver = false;
    }
  }

  /** One byte of a string or comment through the header DFA; true when it left the mode. */
  #hiddenStep(c: number, at: number): boolean {
    this.#dfa = OBJ_DFA[this.#dfa * 256 + c] ?? 0;
    if (this.#dfa !== OBJ_MATCH) return false;
    this.#dfa = 0;
    this.#mode = NORMAL;
    this.#lastSolid = at;
    this.#sink.hidden(at);
    return true;
  }

  #nameByte(b: number): void {
    if (this.#nameLength < NAME_MAX) this.#name[this.#nameLength++] = b;
    else this.#nameOver = true;
  }

  #emitName(): void {
    this.#sink.name(this.#nameOver ? undefined : latin1(this.#name, this.#nameLength), this.#start);
  }

  #emitToken(): boolean {
    const text = this.#tokenOver ? undefined : latin1(this.#token, this.#tokenLength);
    return this.#sink.token(text, this.#start, this.#after);
  }
}

// Exported here, not at their declarations: references inside this module stay local (fast).
export { DELIMITER, ENDS, NAME_MAX, OBJ_DFA, OBJ_MATCH, TOKEN_MAX, WHITE };
