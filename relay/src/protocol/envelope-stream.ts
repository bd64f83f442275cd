// The message envelope v1 as Node streams, for bodies of any size in bounded memory.
// In: plaintext bytes written to a SealStream, or sealed bytes written to an OpenStream, in
// chunks of any size. Out: the same bytes as envelope.ts's sealBody/openBody produce, read
// from the other end. Each stream holds at most one segment plus one written chunk, respects
// backpressure on both sides, and an OpenStream emits a segment's plaintext only after its tag
// verified; on any failure it is destroyed with an EnvelopeError. Pure: no IO of its own.
import { Duplex } from 'node:stream';
import { TAG_BYTES } from './primitives';
import {
  openInnerSegment,
  openLastSegment,
  prepareOpen,
  prepareSeal,
  SEALED_SEGMENT_BYTES,
  SEGMENT_BYTES,
  segmentCipher,
  truncatedError,
  type EnvelopeMetadata,
  type EnvelopeParams,
  type MessageKeying,
  type OpenParams,
} from './envelope';

/** Bytes held inside a stream (queued input plus plaintext awaiting its tag), now and at most. */
export interface BufferStats {
  readonly bufferedBytes: number;
  readonly peakBufferedBytes: number;
}

/** A FIFO of written chunks that hands out byte ranges as subarrays, without copying. */
class ByteQueue {
  private chunks: Buffer[] = [];
  private head = 0;
  private offset = 0;
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Removes the first `n` bytes (n <= length) and returns them as pieces. */
  take(n: number): Buffer[] {
    const out: Buffer[] = [];
    let left = n;
    while (left > 0) {
      const chunk = this.chunks[this.head];
      if (chunk === undefined) break;
      const available = chunk.length - this.offset;
      const size = Math.min(available, left);
      out.push(chunk.subarray(this.offset, this.offset + size));
      left -= size;
      if (size === available) {
        this.chunks[this.head] = EMPTY;
        this.head++;
        this.offset = 0;
      } else {
        this.offset += size;
      }
    }
    this.length -= n - left;
    if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.offset = 0;
    this.length = 0;
  }
}

const EMPTY = Buffer.alloc(0);

/** Splits pieces into everything but the last `n` bytes, and those `n` bytes (one Buffer). */
function splitTail(pieces: Buffer[], n: number): { head: Buffer[]; tail: Buffer } {
  const last = pieces[pieces.length - 1];
  if (last !== undefined && last.length >= n) {
    const head = pieces.slice(0, -1);
    if (last.length > n) head.push(last.subarray(0, last.length - n));
    return { head, tail: last.subarray(last.length - n) };
  }
  let total = 0;
  for (const p of pieces) total += p.length;
  const head: Buffer[] = [];
  const tailParts: Buffer[] = [];
  let at = 0;
  const cut = total - n;
  for (const p of pieces) {
    if (at + p.length <= cut) head.push(p);
    else if (at >= cut) tailParts.push(p);
    else {
      head.push(p.subarray(0, cut - at));
      tailParts.push(p.subarray(cut - at));
    }
    at += p.length;
  }
  return { head, tail: Buffer.concat(tailParts, n) };
}

/**
 * The shared engine: queues written bytes, turns whole units into output when the reader
 * wants more, holds the writer back while a unit is queued and the reader is full.
 */
abstract class SegmentStream extends Duplex implements BufferStats {
  protected readonly queue = new ByteQueue();
  /** Bytes of the unit currently being turned into output (plaintext awaiting its tag). */
  protected held = 0;
  private peak = 0;
  private wantMore = true;
  private pumping = false;
  private ended = false;
  private done = false;
  private pendingWrite: ((error?: Error | null) => void) | undefined;
  private pendingFinal: ((error?: Error | null) => void) | undefined;

  constructor() {
    super({
      readableHighWaterMark: SEGMENT_BYTES,
      writableHighWaterMark: SEGMENT_BYTES,
      decodeStrings: true,
    });
  }

  get bufferedBytes(): number {
    return this.queue.length + this.held;
  }

  get peakBufferedBytes(): number {
    return this.peak;
  }

  /** Bytes that must be queued before the first unit can be emitted without seeing the end. */
  protected abstract readonly unit: number;
  /** Emits one unit that is known not to be the last. */
  protected abstract emitInner(): void;
  /** Emits the rest at end of input. */
  protected abstract emitLast(): void;

  protected note(): void {
    const now = this.queue.length + this.held;
    if (now > this.peak) this.peak = now;
  }

  protected send(chunk: Buffer): void {
    if (!this.push(chunk)) this.wantMore = false;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.queue.push(chunk);
    this.note();
    this.pendingWrite = callback;
    this.pump();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.ended = true;
    this.pendingFinal = callback;
    this.pump();
  }

  override _read(): void {
    this.wantMore = true;
    this.pump();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.queue.clear();
    this.held = 0;
    this.pendingWrite = undefined;
    this.pendingFinal = undefined;
    callback(error);
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.wantMore && !this.destroyed && !this.done) {
        if (this.queue.length > this.unit) {
          this.emitInner();
        } else if (this.ended) {
          this.emitLast();
          this.done = true;
          this.push(null);
        } else {
          break;
        }
      }
    } catch (e) {
      this.destroy(e as Error);
      return;
    } finally {
      this.pumping = false;
    }
    if (this.pendingWrite !== undefined && this.queue.length <= this.unit) {
      const callback = this.pendingWrite;
      this.pendingWrite = undefined;
      callback();
    }
    if (this.done && this.pendingFinal !== undefined) {
      const callback = this.pendingFinal;
      this.pendingFinal = undefined;
      callback();
    }
  }
}

/** Seals what is written to it; read the sealed body from it. */
export class SealStream extends SegmentStream {
  protected readonly unit = SEGMENT_BYTES;
  private index = 0;
  private total = 0;

  constructor(private readonly keying: MessageKeying) {
    super();
  }

  private seal(n: number, last: boolean): void {
    const pieces = this.queue.take(n);
    this.total += n;
    const cipher = segmentCipher(this.keying, this.index, last ? this.total : undefined);
    this.index++;
    for (const piece of pieces) {
      const ct = cipher.update(piece);
      if (ct.length > 0) this.send(ct);
    }
    cipher.final();
    this.send(cipher.getAuthTag());
  }

  protected emitInner(): void {
    this.seal(SEGMENT_BYTES, false);
  }

  protected emitLast(): void {
    this.seal(this.queue.length, true);
  }
}

/** Opens what is written to it; read the plaintext from it. `sealed` false: a plain body. */
export class OpenStream extends SegmentStream {
  protected readonly unit = SEALED_SEGMENT_BYTES;
  private index = 0;
  private opened = 0;

  constructor(private readonly keying: MessageKeying | undefined) {
    super();
  }

  /** False when the stream passes a plain body through (development profile). */
  get sealed(): boolean {
    return this.keying !== undefined;
  }

  private open(n: number, last: boolean): void {
    const k = this.keying;
    if (k === undefined) {
      for (const piece of this.queue.take(n)) this.send(piece);
      return;
    }
    if (n < TAG_BYTES) throw truncatedError(this.index);
    // While a segment is opened, its sealed bytes and its plaintext both exist.
    this.held = n - TAG_BYTES;
    this.note();
    this.held = 0;
    const { head, tail } = splitTail(this.queue.take(n), TAG_BYTES);
    const pieces = last
      ? openLastSegment(k, this.index, this.opened, head, tail)
      : openInnerSegment(k, this.index, this.opened, head, tail);
    this.index++;
    this.opened += n - TAG_BYTES;
    for (const piece of pieces) if (piece.length > 0) this.send(piece);
  }

  protected emitInner(): void {
    this.open(SEALED_SEGMENT_BYTES, false);
  }

  protected emitLast(): void {
    this.open(this.queue.length, true);
  }
}

/** Starts sealing one message: the metadata to send beside the body and the sealing stream. */
export function createSealStream(params: EnvelopeParams): {
  metadata: EnvelopeMetadata;
  stream: SealStream;
} {
  const { metadata, keying } = prepareSeal(params);
  return { metadata, stream: new SealStream(keying) };
}

/**
 * Starts opening one message. Checks the parameters, the profile, the kid and the time window
 * at once and throws an EnvelopeError for them; errors in the body destroy the stream.
 */
export function createOpenStream(
  params: OpenParams,
  metadata: EnvelopeMetadata | undefined,
): OpenStream {
  return new OpenStream(prepareOpen(params, metadata));
}
