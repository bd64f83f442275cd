// The PDF check's stream decoders, each bounded. In: one stream's raw bytes, its /Filter chain
// and the inflate budget of the body. Out: the decoded bytes, whether every filter of the chain
// was applied, and whether a decoder rejected the data. FlateDecode (and its abbreviation Fl),
// ASCIIHexDecode (AHx) and ASCII85Decode (A85) are decoded; any other filter ends the chain
// there (undecoded: LZW, RunLength, images, Crypt). A Flate stream is inflated with
// zlib.inflateSync and maxOutputLength: one that would inflate past the budget stops after at
// most the budget's work (plus one zlib chunk) and is refused (rule 'inflate'). A decoded
// ASCII85 stream larger than the per-stream budget is refused the same way.
import { constants, inflateSync } from 'node:zlib';
import { WHITE } from './pdf-lexer';
import type { Refuse } from './pdf-rules';

/** The most a deflate stream can inflate per byte (258 bytes per 2 bits, rounded up). */
export const MAX_DEFLATE_RATIO = 1032;

export interface InflateBudget {
  /** Bytes one stream may decode to. */
  readonly perStream: number;
  /** Bytes all streams of the body together may inflate to. */
  readonly total: number;
  /** Bytes inflated so far (a failed inflate is charged what it could have done). */
  used: number;
}

export interface Decoded {
  readonly data: Buffer;
  /** Every filter of the chain was applied. */
  readonly complete: boolean;
  /** A decoder rejected the data (broken zlib, bad hex, bad ASCII85). */
  readonly bad: boolean;
}

const FLATE = new Set(['FlateDecode', 'Fl']);
const AHX = new Set(['ASCIIHexDecode', 'AHx']);
const A85 = new Set(['ASCII85Decode', 'A85']);

/** Whether the check can decode `filter`. */
export function decodable(filter: string): boolean {
  return FLATE.has(filter) || AHX.has(filter) || A85.has(filter);
}

/** Whether a Flate filter comes before the first filter the check cannot decode. */
export function reachesFlate(filters: readonly string[]): boolean {
  for (const f of filters) {
    if (FLATE.has(f)) return true;
    if (!decodable(f)) return false;
  }
  return false;
}

/** Decodes `raw` through `filters` (stopping at the first it cannot decode). */
export function decodeChain(
  raw: Buffer,
  filters: readonly string[],
  budget: InflateBudget,
  refuse: Refuse,
  at: number,
): Decoded {
  let data = raw;
  for (const f of filters) {
    let out: Buffer | undefined;
    if (FLATE.has(f)) out = inflate(data, budget, refuse, at);
    else if (AHX.has(f)) out = asciiHex(data);
    else if (A85.has(f)) out = ascii85(data, budget.perStream, refuse, at);
    else return { data, complete: false, bad: false };
    if (out === undefined) return { data, complete: false, bad: true };
    data = out;
  }
  return { data, complete: true, bad: false };
}

/** The two-byte zlib header is one zlib (and pdf.js) accept: deflate, no preset dictionary. */
function zlibHeaderOk(data: Buffer): boolean {
  if (data.length < 2) return false;
  const cmf = data[0] ?? 0;
  const flg = data[1] ?? 0;
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 === 0 && !(flg & 0x20);
}

function inflate(
  data: Buffer,
  budget: InflateBudget,
  refuse: Refuse,
  at: number,
): Buffer | undefined {
  if (data.length === 0) return data;
  if (!zlibHeaderOk(data)) return undefined;
  const room = Math.max(0, Math.min(budget.perStream, budget.total - budget.used));
  const tooBig = (): Error => {
    const perStream = room === budget.perStream;
    return refuse(
      'inflate',
      perStream
        ? `a Flate stream inflates to more than ${budget.perStream} bytes (maxInflatedBytes)`
        : `the Flate streams inflate to more than ${budget.total} bytes in all (maxTotalInflatedBytes)`,
      {
        limit: perStream ? budget.perStream : budget.total,
        inflatedBytes: room,
        totalInflatedBytes: budget.used + room,
        offset: at,
      },
    );
  };
  let out: Buffer;
  try {
    // Z_SYNC_FLUSH: a truncated stream gives what it holds, as viewers show it.
    out = inflateSync(data, {
      maxOutputLength: Math.max(1, room),
      finishFlush: constants.Z_SYNC_FLUSH,
    });
  } catch (e) {
    if ((e as { code?: unknown } | null)?.code === 'ERR_BUFFER_TOO_LARGE') throw tooBig();
    // Charge what the failed inflate could have produced: work stays within the budget.
    budget.used += Math.min(room, data.length * MAX_DEFLATE_RATIO);
    return undefined;
  }
  if (out.length > room) throw tooBig();
  budget.used += out.length;
  return out;
}

const HEX: Int8Array = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let i = 0; i < 10; i++) t[0x30 + i] = i;
  for (let i = 0; i < 6; i++) {
    t[0x41 + i] = 10 + i;
    t[0x61 + i] = 10 + i;
  }
  return t;
})();

function asciiHex(data: Buffer): Buffer | undefined {
  const out = Buffer.allocUnsafe((data.length >> 1) + 1);
  let n = 0;
  let high = -1;
  for (const c of data) {
    if (c === 0x3e) break;
    if (WHITE[c] === 1) continue;
    const v = HEX[c] ?? -1;
    if (v === -1) return undefined;
    if (high === -1) {
      high = v;
    } else {
      out[n++] = (high << 4) | v;
      high = -1;
    }
  }
  if (high !== -1) out[n++] = high << 4;
  return out.subarray(0, n);
}

function ascii85(data: Buffer, cap: number, refuse: Refuse, at: number): Buffer | undefined {
  let size = 0;
  let k = 0;
  for (const c of data) {
    if (WHITE[c] === 1) continue;
    if (c === 0x7e) break;
    if (c === 0x7a && k === 0) {
      size += 4;
      continue;
    }
    if (c < 0x21 || c > 0x75) return undefined;
    if (++k === 5) {
      size += 4;
      k = 0;
    }
  }
  if (k === 1) return undefined;
  if (k > 0) size += k - 1;
  if (size > cap) {
    throw refuse('inflate', `an ASCII85 stream decodes to more than ${cap} bytes`, {
      limit: cap,
      inflatedBytes: size,
      offset: at,
    });
  }
  const out = Buffer.allocUnsafe(size);
  let n = 0;
  let group = 0;
  k = 0;
  const put = (value: number, bytes: number): void => {
    for (let i = 0; i < bytes; i++) out[n++] = (value >>> (24 - 8 * i)) & 0xff;
  };
  for (const c of data) {
    if (WHITE[c] === 1) continue;
    if (c === 0x7e) break;
    if (c === 0x7a && k === 0) {
      put(0, 4);
      continue;
    }
    group = group * 85 + (c - 0x21);
    if (++k === 5) {
      if (group > 0xffffffff) return undefined;
      put(group, 4);
      group = 0;
      k = 0;
    }
  }
  if (k > 0) {
    for (let i = k; i < 5; i++) group = group * 85 + 84;
    if (group > 0xffffffff) return undefined;
    put(group, k - 1);
  }
  return out;
}
