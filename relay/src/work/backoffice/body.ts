// Bodies between the back-office client and fetch. In: a fetch response body (a web stream
// reader) or the caller's request stream, an injected scheduler and an idle bound. Out: the next
// chunk or a timeout error when none comes within the bound; a bounded read of an error body;
// a Node Readable over a response body whose idle timer runs only while it waits for the back
// office (a slow reader downstream is back-pressure, not idleness); a web stream over a request
// stream that reports each chunk it moves so that an upload that stalls is noticed.
import { Readable } from 'node:stream';
import { ReadableStream } from 'node:stream/web';
import type { Scheduler } from '../../transports/scheduler';

export interface ChunkReader {
  read(): Promise<{ done: boolean; value?: Uint8Array | undefined }>;
  cancel(reason?: unknown): Promise<void>;
}

/**
 * The next chunk of `reader` (undefined at its end). If none comes within `idleMs`, `onIdle()`
 * is called (it aborts the exchange and returns the error) and the promise rejects with its
 * error at once, whatever the reader does afterwards.
 */
export function nextChunk(
  reader: ChunkReader,
  scheduler: Scheduler,
  idleMs: number,
  onIdle: () => Error,
): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = scheduler.setTimer(() => {
      if (settled) return;
      settled = true;
      reject(onIdle());
    }, idleMs);
    reader.read().then(
      ({ done, value }) => {
        scheduler.clearTimer(timer);
        if (settled) return;
        settled = true;
        if (done || value === undefined) resolve(undefined);
        else resolve(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      },
      (e: unknown) => {
        scheduler.clearTimer(timer);
        if (settled) return;
        settled = true;
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/**
 * Reads at most `maxBytes` from `next` (one call per chunk). Out: the bytes and whether the
 * body went on beyond them. The caller cancels the rest.
 */
export async function readBounded(
  next: () => Promise<Buffer | undefined>,
  maxBytes: number,
): Promise<{ bytes: Buffer; truncated: boolean }> {
  const parts: Buffer[] = [];
  let size = 0;
  // Each turn either ends or adds at least one byte: bounded by maxBytes + 1 turns at worst,
  // and by the idle timeout in time.
  for (let turn = 0; turn <= maxBytes; turn++) {
    const chunk = await next();
    if (chunk === undefined) return { bytes: Buffer.concat(parts, size), truncated: false };
    if (chunk.length === 0) continue;
    const room = maxBytes - size;
    parts.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
    size += Math.min(chunk.length, room);
    if (chunk.length > room || size >= maxBytes) {
      return { bytes: Buffer.concat(parts, size), truncated: chunk.length > room };
    }
  }
  return { bytes: Buffer.concat(parts, size), truncated: true };
}

/**
 * A response body as a Node Readable. `pull` gives the next chunk (undefined at the end) and
 * carries the idle timeout; its errors go through `mapError` and destroy the stream. Destroying
 * it (or an error) calls `cancel` so that the back-office exchange is given up.
 */
export class ResponseBody extends Readable {
  readonly #pull: () => Promise<Buffer | undefined>;
  readonly #mapError: (e: unknown) => Error;
  readonly #cancel: (reason: unknown) => void;
  #pulling = false;
  #ended = false;

  constructor(
    pull: () => Promise<Buffer | undefined>,
    mapError: (e: unknown) => Error,
    cancel: (reason: unknown) => void,
  ) {
    super();
    this.#pull = pull;
    this.#mapError = mapError;
    this.#cancel = cancel;
  }

  override _read(): void {
    if (!this.#pulling) void this.#pump();
  }

  async #pump(): Promise<void> {
    this.#pulling = true;
    try {
      for (;;) {
        const chunk = await this.#pull();
        if (this.destroyed) return;
        if (chunk === undefined) {
          this.#ended = true;
          this.push(null);
          return;
        }
        if (chunk.length > 0 && !this.push(chunk)) return;
      }
    } catch (e) {
      if (!this.destroyed) this.destroy(this.#mapError(e));
    } finally {
      this.#pulling = false;
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.#ended) this.#cancel(error ?? new Error('the response body was destroyed'));
    callback(error);
  }
}

/** A body that is not bytes: the call is refused rather than sending something else. */
export class UnusableChunkError extends Error {
  constructor() {
    super('a request body stream gave a chunk that is neither a Buffer, a Uint8Array nor a string');
    this.name = 'UnusableChunkError';
  }
}

export interface UploadWatch {
  /** A chunk moved (or fetch asked for one): the upload is not idle. */
  touch(): void;
  /** The source ended: the whole body has been handed to fetch. */
  done(): void;
  /** The source failed, or gave a chunk that is not bytes. */
  failed(e: unknown): void;
}

/**
 * The caller's request stream as a web stream for fetch (with `duplex: 'half'`). Every pull and
 * every chunk calls `watch.touch()`, the end `watch.done()`; cancelling it destroys the source
 * (without an error, so that a caller's stream with no 'error' listener does not crash the
 * process).
 */
export function uploadStream(source: Readable, watch: UploadWatch): ReadableStream<Uint8Array> {
  const it = source[Symbol.asyncIterator]() as AsyncIterator<unknown>;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      watch.touch();
      let step: IteratorResult<unknown>;
      try {
        step = await it.next();
      } catch (e) {
        watch.failed(e);
        controller.error(e);
        return;
      }
      if (step.done === true) {
        controller.close();
        watch.done();
        return;
      }
      const v = step.value;
      let bytes: Uint8Array;
      if (v instanceof Uint8Array) bytes = v;
      else if (typeof v === 'string') bytes = Buffer.from(v);
      else {
        const e = new UnusableChunkError();
        watch.failed(e);
        source.destroy();
        controller.error(e);
        return;
      }
      watch.touch();
      controller.enqueue(bytes);
    },
    cancel() {
      // Without an error: the caller's stream may have no 'error' listener yet.
      source.destroy();
    },
  });
}
