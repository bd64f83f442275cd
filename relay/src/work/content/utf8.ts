// Strict, streaming UTF-8 decoding for the XML check. In: byte chunks, split anywhere. Out: for
// each chunk the text of its valid part, and whether an invalid sequence (overlong, surrogate,
// above U+10FFFF, stray continuation) follows it; a sequence cut by the chunk end is carried over.
// Nothing is ever replaced by U+FFFD: the caller refuses the body at the first bad byte.
import { isUtf8 } from 'node:buffer';

export interface Decoded {
  /** The text of every complete, valid sequence up to the first invalid one. */
  readonly text: string;
  /** True when an invalid sequence follows `text`: the body is not UTF-8. */
  readonly invalid: boolean;
}

/** Where the bytes stop being valid: `bad` (first invalid sequence) or `tail` (a cut sequence). */
function scan(data: Uint8Array): { bad: number; tail: number } {
  const n = data.length;
  let i = 0;
  while (i < n) {
    const b = data[i] ?? 0;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 3;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 4;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return { bad: i, tail: i };
    for (let j = 1; j < need; j++) {
      if (i + j >= n) return { bad: -1, tail: i };
      const c = data[i + j] ?? 0;
      if (c < (j === 1 ? lo : 0x80) || c > (j === 1 ? hi : 0xbf)) return { bad: i, tail: i };
    }
    i += need;
  }
  return { bad: -1, tail: n };
}

/** A strict UTF-8 decoder over a stream of chunks. */
export class Utf8Decoder {
  #carry: Buffer = Buffer.alloc(0);

  /** Bytes of a sequence cut by the last chunk's end, waiting for the next chunk. */
  get pending(): number {
    return this.#carry.length;
  }

  decode(chunk: Uint8Array): Decoded {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const data = this.#carry.length === 0 ? bytes : Buffer.concat([this.#carry, bytes]);
    if (isUtf8(data)) {
      this.#carry = Buffer.alloc(0);
      return { text: data.toString('utf8'), invalid: false };
    }
    const { bad, tail } = scan(data);
    this.#carry = bad === -1 ? Buffer.from(data.subarray(tail)) : Buffer.alloc(0);
    return { text: data.toString('utf8', 0, tail), invalid: bad !== -1 };
  }
}
