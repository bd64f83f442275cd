// A frame guard between a byte stream (TCP, TLS or a WebSocket stream) and rhea. In: the raw
// bytes of one connection and the size limits. Out: the same bytes handed to rhea, as the
// socket-like object rhea expects, until the stream breaks a rule; then no further byte
// reaches rhea and `onViolation` says what happened. rhea itself buffers any frame size a
// peer announces (up to 4 GiB), so a size check must happen before rhea sees the bytes.
//
// Rules: the stream opens with an 8-byte protocol header `AMQP` + id (0 AMQP, 3 SASL) + 1.0.0;
// then frames, each `size` (4 bytes, ≥ 8, ≤ maxFrameSize) + body; after SASL a new AMQP
// header follows (recognised by its `AMQP` magic, which is never a valid frame size).
import type { Duplex } from 'node:stream';

export type ViolationKind = 'protocol-header' | 'frame-too-large' | 'framing';

export interface Violation {
  readonly kind: ViolationKind;
  readonly message: string;
  /** The frame size the peer announced, for frame-too-large. */
  readonly size?: number;
  /** True while no AMQP open can have been exchanged (still in the headers or SASL). */
  readonly beforeAmqp: boolean;
}

export interface GuardLimits {
  /** Largest frame accepted after the AMQP header (the max-frame-size announced in open). */
  readonly maxFrameSize: number;
  /** Largest SASL frame accepted (SASL frames are small; default 64 KiB). */
  readonly maxSaslFrameSize?: number;
  /** Grace before a socket rhea ended is destroyed when the peer does not close (ms). */
  readonly endGraceMs?: number;
}

type Handler = (arg?: unknown) => void;

const MAGIC = 0x414d5150; // "AMQP"
const HEADER_BYTES = 8;
const MIN_FRAME = 8;
const DEFAULT_SASL_MAX = 64 * 1024;
const DEFAULT_GRACE_MS = 2000;

/** The AMQP 1.0 header the simulator answers a bad header with (SASL, as it accepts SASL). */
export const SASL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 3, 1, 0, 0]);

/**
 * The socket-like object given to rhea's Connection.accept. rhea uses on('data'|'error'|'end'),
 * write, end, destroy and setNoDelay.
 */
export class FrameGuard {
  readonly #stream: Duplex;
  readonly #limits: Required<GuardLimits>;
  readonly #onViolation: (v: Violation) => void;
  readonly #handlers = new Map<string, Handler>();
  /** Bytes of a header or size prefix collected so far. */
  #head = Buffer.alloc(0);
  /** Bytes of the current frame body still to pass. */
  #skip = 0;
  /** Protocol headers seen: 0 none, 1 the first (SASL or AMQP), 2 the AMQP after SASL. */
  #headers = 0;
  #saslPhase = false;
  #stopped = false;
  #ended = false;
  /** rhea has been told the socket ended (once). */
  #told = false;
  #graceTimer: NodeJS.Timeout | undefined;
  /** Bytes that passed to rhea. */
  bytesIn = 0;

  constructor(stream: Duplex, limits: GuardLimits, onViolation: (v: Violation) => void) {
    this.#stream = stream;
    this.#limits = {
      maxFrameSize: limits.maxFrameSize,
      maxSaslFrameSize: limits.maxSaslFrameSize ?? DEFAULT_SASL_MAX,
      endGraceMs: limits.endGraceMs ?? DEFAULT_GRACE_MS,
    };
    this.#onViolation = onViolation;
    stream.on('data', (chunk: Buffer) => {
      this.#input(chunk);
    });
    stream.on('error', (e: Error) => {
      this.#handlers.get('error')?.(e);
    });
    stream.on('end', () => {
      this.#tellEnd();
    });
    stream.on('close', () => {
      this.#clearGrace();
      // A destroyed stream may never emit 'end'; rhea must still learn the socket is gone, also
      // when the simulator ended or dropped it itself (else rhea's heartbeat timer lives on and
      // keeps the process up).
      this.#tellEnd();
      this.#ended = true;
    });
  }

  #tellEnd(): void {
    if (this.#told) return;
    this.#told = true;
    this.#handlers.get('end')?.();
  }

  // -- what rhea calls ------------------------------------------------------------------

  on(event: string, handler: Handler): this {
    this.#handlers.set(event, handler);
    return this;
  }

  write(data: Buffer | Uint8Array): boolean {
    if (this.#stream.destroyed || this.#stream.writableEnded) return false;
    return this.#stream.write(data);
  }

  /** Ends after pending writes (rhea may queue a close frame on the next tick). */
  end(): void {
    this.#stopped = true;
    if (this.#ended) return;
    this.#ended = true;
    setImmediate(() => {
      if (!this.#stream.destroyed) this.#stream.end();
    });
    this.#graceTimer = setTimeout(() => {
      this.#stream.destroy();
    }, this.#limits.endGraceMs);
    this.#graceTimer.unref();
  }

  destroy(): void {
    this.#stopped = true;
    this.#clearGrace();
    this.#stream.destroy();
  }

  setNoDelay(noDelay?: boolean): void {
    const s = this.#stream as Duplex & { setNoDelay?: (on?: boolean) => void };
    s.setNoDelay?.(noDelay);
  }

  get_id_string(): string {
    const s = this.#stream as Duplex & { remoteAddress?: string; remotePort?: number };
    return `${s.remoteAddress ?? 'stream'}:${s.remotePort ?? 0}`;
  }

  // -- what the server calls ------------------------------------------------------------

  /** Stops passing bytes to rhea (e.g. after a protocol error rhea reported). */
  stop(): void {
    this.#stopped = true;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Writes raw bytes, then ends the stream (used to answer a bad header). */
  refuse(bytes?: Buffer): void {
    this.#stopped = true;
    if (bytes !== undefined && !this.#stream.destroyed) this.#stream.write(bytes);
    this.end();
  }

  // -- scanning ---------------------------------------------------------------------------

  #clearGrace(): void {
    if (this.#graceTimer !== undefined) clearTimeout(this.#graceTimer);
    this.#graceTimer = undefined;
  }

  #input(chunk: Buffer): void {
    if (this.#stopped) return;
    const violation = this.#scan(chunk);
    if (violation !== undefined) {
      this.#stopped = true;
      this.#onViolation(violation);
      return;
    }
    this.bytesIn += chunk.length;
    this.#handlers.get('data')?.(chunk);
  }

  #scan(chunk: Buffer): Violation | undefined {
    let i = 0;
    while (i < chunk.length) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.length - i);
        this.#skip -= n;
        i += n;
        continue;
      }
      const wanted = this.#wantedHeadBytes();
      const take = Math.min(wanted - this.#head.length, chunk.length - i);
      this.#head = Buffer.concat([this.#head, chunk.subarray(i, i + take)]);
      i += take;
      // Four bytes of `AMQP` turn a size prefix into an 8-byte header: look again.
      if (this.#head.length < this.#wantedHeadBytes()) {
        if (this.#head.length >= 4 && this.#headers === 0 && !this.#startsWithMagic()) {
          return this.#headerViolation();
        }
        continue;
      }
      const v = this.#complete();
      if (v !== undefined) return v;
    }
    return undefined;
  }

  #startsWithMagic(): boolean {
    return this.#head.length >= 4 && this.#head.readUInt32BE(0) === MAGIC;
  }

  #wantedHeadBytes(): number {
    if (this.#headers === 0) return HEADER_BYTES;
    if (this.#head.length >= 4 && this.#startsWithMagic()) return HEADER_BYTES;
    return 4;
  }

  #headerViolation(): Violation {
    return {
      kind: 'protocol-header',
      message: 'the peer did not send an AMQP 1.0 protocol header',
      beforeAmqp: true,
    };
  }

  /** A full header or size prefix is in #head. */
  #complete(): Violation | undefined {
    const head = this.#head;
    this.#head = Buffer.alloc(0);
    if (head.length === HEADER_BYTES) {
      if (head.readUInt32BE(0) !== MAGIC) return this.#headerViolation();
      const id = head[4];
      const ok = (id === 0 || id === 3) && head[5] === 1 && head[6] === 0 && head[7] === 0;
      if (!ok) return this.#headerViolation();
      if (this.#headers >= 2 || (this.#headers === 1 && (!this.#saslPhase || id !== 0))) {
        return {
          kind: 'framing',
          message: 'a protocol header arrived where a frame was expected',
          beforeAmqp: this.#saslPhase,
        };
      }
      this.#headers += 1;
      this.#saslPhase = id === 3;
      return undefined;
    }
    const size = head.readUInt32BE(0);
    const limit = this.#saslPhase ? this.#limits.maxSaslFrameSize : this.#limits.maxFrameSize;
    if (size < MIN_FRAME) {
      return {
        kind: 'framing',
        message: `a frame announced ${size} bytes, under the 8-byte minimum`,
        size,
        beforeAmqp: this.#saslPhase,
      };
    }
    if (size > limit) {
      return {
        kind: 'frame-too-large',
        message: `a frame of ${size} bytes exceeds the max-frame-size of ${limit}`,
        size,
        beforeAmqp: this.#saslPhase,
      };
    }
    this.#skip = size - 4;
    return undefined;
  }
}
