// Deterministic bodies for the HC cases and the hybrid benchmark, made at run time (nothing
// big is committed). In: a seed, a size and whether the bytes should look like a PDF. Out: a
// Readable that yields them in chunks with back-pressure (counting what it produced), the
// same bytes as one Buffer, their sha-256, and a streaming sha-256 helper. The bytes are an
// AES-256-CTR key stream keyed by the seed: fast, and the same seed gives the same bytes.
import { createCipheriv, createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pdfFrameOfSize } from '../../../relay/test/helpers/pdf-bytes';

const CHUNK = 64 * 1024;
/** The key stream is AES-CTR over zeros: one shared block of zeros, never written. */
const ZEROS = Buffer.alloc(CHUNK);

/** Streaming sha-256 as lower-case hex. */
export const sha256Hex = Object.freeze({
  start(): { update(data: Buffer): void; digest(): string } {
    const h = createHash('sha256');
    return {
      update: (data) => {
        h.update(data);
      },
      digest: () => h.digest('hex'),
    };
  },
  of(data: Buffer | string): string {
    return createHash('sha256').update(data).digest('hex');
  },
});

type Keystream = ReturnType<typeof createCipheriv>;

function keystream(seed: string): Keystream {
  const key = createHash('sha256').update(`relaycheck-hc:${seed}`).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
}

/** Produces the bytes of (seed, size) in order, `n` at a time. */
class Generator {
  readonly size: number;
  readonly #cipher: Keystream;
  /** The frame that makes the bytes a valid PDF (the key stream is its one stream's data). */
  readonly #frame: { readonly head: Buffer; readonly tail: Buffer } | undefined;
  #at = 0;

  constructor(seed: string, size: number, pdf: boolean) {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`bad size ${size}`);
    this.size = size;
    this.#cipher = keystream(seed);
    this.#frame = pdf ? pdfFrameOfSize(size) : undefined;
  }

  get produced(): number {
    return this.#at;
  }

  next(max: number): Buffer | undefined {
    const n = Math.min(max, this.size - this.#at);
    if (n <= 0) return undefined;
    const out = this.#cipher.update(n <= ZEROS.length ? ZEROS.subarray(0, n) : Buffer.alloc(n));
    const frame = this.#frame;
    if (frame !== undefined) {
      const { head, tail } = frame;
      const start = this.#at;
      const end = start + n;
      if (start < head.length) head.copy(out, 0, start, Math.min(head.length, end));
      const tailAt = this.size - tail.length;
      if (end > tailAt) {
        const from = Math.max(start, tailAt);
        tail.copy(out, from - start, from - tailAt, end - tailAt);
      }
    }
    this.#at += n;
    return out;
  }
}

/** A Readable of the bytes of (seed, size); `produced` counts what it has handed out. */
export class SeededSource extends Readable {
  readonly #gen: Generator;

  constructor(seed: string, size: number, options: { readonly pdf?: boolean } = {}) {
    super({ highWaterMark: CHUNK });
    this.#gen = new Generator(seed, size, options.pdf === true);
  }

  get produced(): number {
    return this.#gen.produced;
  }

  override _read(): void {
    const chunk = this.#gen.next(CHUNK);
    this.push(chunk ?? null);
  }
}

/** The bytes of (seed, size) as one Buffer (small sizes). */
export function seededBytes(seed: string, size: number, options: { pdf?: boolean } = {}): Buffer {
  const gen = new Generator(seed, size, options.pdf === true);
  return gen.next(size) ?? Buffer.alloc(0);
}

/** The sha-256 of the bytes of (seed, size), computed without holding them. */
export function seededSha256(seed: string, size: number, options: { pdf?: boolean } = {}): string {
  const gen = new Generator(seed, size, options.pdf === true);
  const hash = createHash('sha256');
  for (let chunk = gen.next(CHUNK * 16); chunk !== undefined; chunk = gen.next(CHUNK * 16)) {
    hash.update(chunk);
  }
  return hash.digest('hex');
}
