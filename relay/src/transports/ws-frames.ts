// RFC 6455 framing for the listener's own WebSocket client (ws-client.ts), as data. In: bytes
// from a server in chunks of any size, split anywhere. Out: whole text messages, binary
// messages piece by piece as their bytes arrive (never joined), pings, pongs and the close
// frame, handed to a sink; the first malformed frame becomes one HcError RELAY_E_HC_FRAME
// naming the close code to answer with (1002, 1007, 1009), never a throw. Also the client's
// masked frames. Pure: no IO; reading can be paused, which keeps the unread bytes here.
import { isUtf8 } from 'node:buffer';
import { HcError } from './errors';

export const OPCODE = Object.freeze({
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
});

/** What a FrameReader hands over, in wire order. */
export interface FrameSink {
  /** A whole text message (fragments joined), valid UTF-8. */
  text(text: string): void;
  /** A piece of a binary message; `fin` on its last piece (which may be empty). */
  binary(data: Buffer, fin: boolean): void;
  ping(data: Buffer): void;
  pong(data: Buffer): void;
  /** The close frame (1005 when it carried no code). Nothing follows it. */
  close(code: number, reason: string): void;
  /** The first malformed frame (details.closeCode: the close code to send). Nothing follows. */
  error(error: HcError): void;
}

export interface FrameLimits {
  /** The largest text message (after joining fragments). */
  readonly maxTextBytes: number;
  /** The largest binary message (default: no bound here; the receiver counts). */
  readonly maxBinaryBytes?: number;
}

/** Close codes a peer may send (RFC 6455 section 7.4, as `ws` accepts them). */
export function isValidCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
    (code >= 3000 && code <= 4999)
  );
}

function malformed(message: string, closeCode: number): HcError {
  return new HcError('RELAY_E_HC_FRAME', message, { closeCode });
}

const EMPTY = Buffer.alloc(0);
/** 2^53: lengths at or above this cannot be counted exactly. */
const MAX_SAFE_HIGH = 0x1fffff;

type Phase = 'header' | 'payload' | 'done';

/**
 * An incremental reader of server-to-client frames. push() chunks; the sink is called for
 * each complete unit. While paused, bytes are kept (bufferedBytes) and nothing is handed over.
 */
export class FrameReader {
  readonly #sink: FrameSink;
  readonly #maxText: number;
  readonly #maxBinary: number;
  readonly #chunks: Buffer[] = [];
  #head = 0; // offset into #chunks[0]
  #buffered = 0;
  #paused = false;
  #draining = false;
  #phase: Phase = 'header';
  // The frame being read.
  #fin = false;
  #opcode = 0;
  #remaining = 0;
  #control: Buffer[] = [];
  // The data message in progress (0: none).
  #message = 0;
  #messageBytes = 0;
  #text: Buffer[] = [];

  constructor(limits: FrameLimits, sink: FrameSink) {
    this.#maxText = limits.maxTextBytes;
    this.#maxBinary = limits.maxBinaryBytes ?? Number.POSITIVE_INFINITY;
    this.#sink = sink;
  }

  /** Bytes received and not yet handed over. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** True after a close frame or an error: further bytes are ignored. */
  get done(): boolean {
    return this.#phase === 'done';
  }

  /** Adds received bytes and hands over what they complete (unless paused). */
  push(chunk: Buffer): void {
    if (this.#phase === 'done' || chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    this.#drain();
  }

  /** Stops handing over (the sink may call this from inside a callback). */
  pause(): void {
    this.#paused = true;
  }

  /** Hands over what is kept, then whatever comes. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#drain();
  }

  #drain(): void {
    if (this.#draining) return; // a sink callback resumed us: the running loop continues
    this.#draining = true;
    try {
      while (!this.#paused && this.#phase !== 'done' && this.#step()) {
        // each step hands over at most one unit
      }
    } finally {
      this.#draining = false;
    }
  }

  /** One unit of work; false when more bytes are needed. */
  #step(): boolean {
    if (this.#phase === 'header') return this.#readHeader();
    return this.#readPayload();
  }

  #readHeader(): boolean {
    if (this.#buffered < 2) return false;
    const b0 = this.#peek(0);
    const b1 = this.#peek(1);
    const len7 = b1 & 0x7f;
    const extra = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
    if ((b1 & 0x80) !== 0) {
      return this.#fail(malformed('the server sent a masked frame', 1002));
    }
    if (this.#buffered < 2 + extra) return false;
    const head = this.#take(2 + extra);
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    if ((b0 & 0x70) !== 0) {
      return this.#fail(malformed('a frame has reserved bits set (no extension was agreed)', 1002));
    }
    let length = len7;
    if (len7 === 126) length = head.readUInt16BE(2);
    else if (len7 === 127) {
      const high = head.readUInt32BE(2);
      if (high > MAX_SAFE_HIGH) return this.#fail(malformed('a frame is too long', 1009));
      length = high * 0x1_0000_0000 + head.readUInt32BE(6);
    }
    if (opcode >= 0x8) {
      if (opcode > OPCODE.pong) {
        return this.#fail(malformed(`unknown control opcode ${opcode}`, 1002));
      }
      if (!fin) return this.#fail(malformed('a control frame is fragmented', 1002));
      if (length > 125) {
        return this.#fail(malformed('a control frame is longer than 125 bytes', 1002));
      }
    } else if (opcode === OPCODE.continuation) {
      if (this.#message === 0) {
        return this.#fail(malformed('a continuation frame without a message to continue', 1002));
      }
    } else if (opcode === OPCODE.text || opcode === OPCODE.binary) {
      if (this.#message !== 0) {
        return this.#fail(malformed('a new message began before the last one ended', 1002));
      }
      this.#message = opcode;
      this.#messageBytes = 0;
    } else {
      return this.#fail(malformed(`unknown data opcode ${opcode}`, 1002));
    }
    if (opcode < 0x8) {
      this.#messageBytes += length;
      const max = this.#message === OPCODE.text ? this.#maxText : this.#maxBinary;
      if (this.#messageBytes > max) {
        return this.#fail(malformed('a message is larger than the limit', 1009));
      }
    }
    this.#fin = fin;
    this.#opcode = opcode;
    this.#remaining = length;
    this.#phase = 'payload';
    return true;
  }

  #readPayload(): boolean {
    const opcode = this.#opcode;
    const binary = opcode === OPCODE.binary || (opcode === 0 && this.#message === OPCODE.binary);
    if (binary) {
      if (this.#remaining === 0) {
        this.#phase = 'header';
        if (this.#fin) {
          this.#message = 0;
          this.#sink.binary(EMPTY, true);
        }
        return true;
      }
      if (this.#buffered === 0) return false;
      const piece = this.#takeUpTo(this.#remaining);
      this.#remaining -= piece.length;
      const last = this.#remaining === 0;
      if (last) {
        this.#phase = 'header';
        if (this.#fin) this.#message = 0;
      }
      this.#sink.binary(piece, last && this.#fin);
      return true;
    }
    // Text and control payloads are handed over whole.
    while (this.#remaining > 0) {
      if (this.#buffered === 0) return false;
      const piece = this.#takeUpTo(this.#remaining);
      this.#remaining -= piece.length;
      if (opcode >= 0x8) this.#control.push(piece);
      else this.#text.push(piece);
    }
    this.#phase = 'header';
    if (opcode >= 0x8) {
      const payload = joined(this.#control);
      this.#control = [];
      return this.#controlFrame(opcode, payload);
    }
    if (!this.#fin) return true;
    const bytes = joined(this.#text);
    this.#text = [];
    this.#message = 0;
    if (!isUtf8(bytes)) return this.#fail(malformed('a text message is not valid UTF-8', 1007));
    this.#sink.text(bytes.toString('utf8'));
    return true;
  }

  #controlFrame(opcode: number, payload: Buffer): boolean {
    if (opcode === OPCODE.ping) {
      this.#sink.ping(payload);
      return true;
    }
    if (opcode === OPCODE.pong) {
      this.#sink.pong(payload);
      return true;
    }
    if (payload.length === 0) {
      this.#finish();
      this.#sink.close(1005, '');
      return false;
    }
    if (payload.length === 1) {
      return this.#fail(malformed('a close frame with a one-byte payload', 1002));
    }
    const code = payload.readUInt16BE(0);
    if (!isValidCloseCode(code)) {
      return this.#fail(malformed(`a close frame with the invalid code ${code}`, 1002));
    }
    const reason = payload.subarray(2);
    if (!isUtf8(reason)) {
      return this.#fail(malformed('a close reason is not valid UTF-8', 1007));
    }
    this.#finish();
    this.#sink.close(code, reason.toString('utf8'));
    return false;
  }

  #fail(error: HcError): boolean {
    this.#finish();
    this.#sink.error(error);
    return false;
  }

  #finish(): void {
    this.#phase = 'done';
    this.#chunks.length = 0;
    this.#head = 0;
    this.#buffered = 0;
    this.#text = [];
    this.#control = [];
  }

  #peek(i: number): number {
    let at = this.#head + i;
    for (const c of this.#chunks) {
      if (at < c.length) return c[at] ?? 0;
      at -= c.length;
    }
    return 0;
  }

  /** Exactly n bytes (n <= bufferedBytes); joined only when they span chunks. */
  #take(n: number): Buffer {
    const first = this.#chunks[0] ?? EMPTY;
    if (first.length - this.#head >= n) {
      const out = first.subarray(this.#head, this.#head + n);
      this.#advance(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const piece = this.#takeUpTo(n - filled);
      piece.copy(out, filled);
      filled += piece.length;
    }
    return out;
  }

  /** Up to n bytes from the first chunk, without copying. */
  #takeUpTo(n: number): Buffer {
    const first = this.#chunks[0] ?? EMPTY;
    const count = Math.min(n, first.length - this.#head);
    const out = first.subarray(this.#head, this.#head + count);
    this.#advance(count);
    return out;
  }

  #advance(n: number): void {
    this.#head += n;
    this.#buffered -= n;
    const first = this.#chunks[0];
    if (first !== undefined && this.#head >= first.length) {
      this.#chunks.shift();
      this.#head = 0;
    }
  }
}

function joined(parts: readonly Buffer[]): Buffer {
  if (parts.length === 0) return EMPTY;
  if (parts.length === 1) return parts[0] ?? EMPTY;
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------
// Client frames

/** The size of the client frame that carries `payloadBytes`. */
export function maskedFrameSize(payloadBytes: number): number {
  return payloadBytes + (payloadBytes < 126 ? 6 : payloadBytes < 0x1_0000 ? 8 : 14);
}

/** Writes a client frame header with `mask` into `out`; returns where the payload starts. */
function writeHead(out: Buffer, opcode: number, n: number, fin: boolean, mask: Uint8Array): number {
  out[0] = (fin ? 0x80 : 0) | opcode;
  let at = 2;
  if (n < 126) out[1] = 0x80 | n;
  else if (n < 0x1_0000) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(n, 2);
    at = 4;
  } else {
    out[1] = 0x80 | 127;
    out.writeUInt32BE(Math.floor(n / 0x1_0000_0000), 2);
    out.writeUInt32BE(n >>> 0, 6);
    at = 10;
  }
  out[at] = mask[0] ?? 0;
  out[at + 1] = mask[1] ?? 0;
  out[at + 2] = mask[2] ?? 0;
  out[at + 3] = mask[3] ?? 0;
  return at + 4;
}

const maskBytes = new Uint8Array(4);
const maskWord = new Uint32Array(maskBytes.buffer);

/** out[offset + i] = src[i] ^ mask[i % 4]: a word at a time where both sides are aligned. */
function maskInto(src: Uint8Array, out: Buffer, offset: number, mask: Uint8Array): void {
  const n = src.length;
  const m0 = mask[0] ?? 0;
  const m1 = mask[1] ?? 0;
  const m2 = mask[2] ?? 0;
  const m3 = mask[3] ?? 0;
  let i = 0;
  const outAt = out.byteOffset + offset;
  if (n >= 32 && (outAt & 3) === 0 && (src.byteOffset & 3) === 0) {
    maskBytes[0] = m0;
    maskBytes[1] = m1;
    maskBytes[2] = m2;
    maskBytes[3] = m3;
    const m = maskWord[0] ?? 0; // the mask in the platform's byte order, like the views
    const words = n >>> 2;
    const from = new Uint32Array(src.buffer, src.byteOffset, words);
    const to = new Uint32Array(out.buffer, outAt, words);
    for (let w = 0; w < words; w++) to[w] = (from[w] ?? 0) ^ m;
    i = words << 2;
  }
  for (; i < n; i++) {
    const k = i & 3;
    out[offset + i] = (src[i] ?? 0) ^ (k === 0 ? m0 : k === 1 ? m1 : k === 2 ? m2 : m3);
  }
}

/**
 * One client frame: header, the 4-byte mask and the masked payload in one buffer — `into` (from
 * its start) when it is large enough, else a new one (the payload given is not changed). `mask`
 * must be 4 unpredictable bytes (RFC 6455 section 5.3).
 */
export function maskedFrame(
  opcode: number,
  payload: Uint8Array,
  fin: boolean,
  mask: Uint8Array,
  into?: Buffer,
): Buffer {
  const size = maskedFrameSize(payload.length);
  const out =
    into !== undefined && into.length >= size ? into.subarray(0, size) : Buffer.allocUnsafe(size);
  const offset = writeHead(out, opcode, payload.length, fin, mask);
  maskInto(payload, out, offset, mask);
  return out;
}

/** A whole text message as one client frame, encoded straight into the frame buffer. */
export function maskedTextFrame(text: string, mask: Uint8Array): Buffer {
  const n = Buffer.byteLength(text, 'utf8');
  const out = Buffer.allocUnsafe(maskedFrameSize(n));
  const offset = writeHead(out, OPCODE.text, n, true, mask);
  out.write(text, offset, 'utf8');
  const payload = out.subarray(offset);
  maskInto(payload, out, offset, mask); // in place: each byte is read before it is written
  return out;
}

/** The payload of a close frame: the code and a UTF-8 reason cut to fit 125 bytes. */
export function closePayload(code: number, reason: string): Buffer {
  if (code === 1005) return EMPTY;
  let text = Buffer.from(reason, 'utf8');
  if (text.length > 123) {
    // Cut on a character boundary.
    let end = 123;
    while (end > 0 && ((text[end] ?? 0) & 0xc0) === 0x80) end--;
    text = text.subarray(0, end);
  }
  const out = Buffer.allocUnsafe(2 + text.length);
  out.writeUInt16BE(code, 0);
  text.copy(out, 2);
  return out;
}
