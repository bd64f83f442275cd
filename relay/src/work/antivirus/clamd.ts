// clamd's wire protocol over one connection (the `z` commands: NUL-terminated, answered with one
// NUL-terminated reply). In: a target (unix socket, or loopback host and port), frames to write
// and bounds (a timeout, an AbortSignal). Out: a ClamdSession that holds clamd's first reply and
// why a wait ended (ready, aborted, timed out, closed, clamd answered early); the pure parser of
// INSTREAM replies; PING / VERSION; and the probe that tells clamd's own size limit from a crash.
// Never reads more than MAX_REPLY_BYTES of a reply; never dials anything but the given target.
import { lookup } from 'node:dns/promises';
import { connect, type Socket } from 'node:net';
import { clipSignature } from './errors';
import type { ClamdTarget } from './config';

/** Largest INSTREAM chunk written (clamd's own default buffer is 64 KiB too). */
export const CHUNK_BYTES = 64 * 1024;
/** A reply longer than this without its NUL is not clamd's. */
export const MAX_REPLY_BYTES = 4096;

export const INSTREAM_COMMAND = Buffer.from('zINSTREAM\0', 'latin1');
export const END_OF_STREAM = Buffer.alloc(4);
/** What clamd answers when a chunk takes the stream over its StreamMaxLength. */
export const SIZE_LIMIT_REPLY = 'INSTREAM size limit exceeded. ERROR';

/** One INSTREAM frame: the 4-byte big-endian length, then the bytes (at most CHUNK_BYTES). */
export function frame(piece: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(4 + piece.length);
  b.writeUInt32BE(piece.length, 0);
  b.set(piece, 4);
  return b;
}

/** Why a wait ended without what it waited for. */
export type Stop =
  | { readonly kind: 'aborted' }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'closed'; readonly errno: string | undefined }
  | { readonly kind: 'reply' }
  | { readonly kind: 'unreachable'; readonly why: string };

export type Waited<T> =
  { readonly kind: 'value'; readonly value: T } | { readonly kind: 'ready' } | Stop;

export interface Until<T> {
  /** Ends the wait with its value (settled: rejections are values too, see settle()). */
  readonly promise?: Promise<T>;
  /** Ends the wait as 'ready' as soon as it holds (checked first, at every event). */
  readonly ready?: () => boolean;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal | undefined;
  /** Ends the wait as 'reply' when clamd answers (an answer before the stream's end). */
  readonly stopOnReply: boolean;
}

/** A promise's outcome as a value: never rejects. */
export type Settled<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

export function settle<T>(p: Promise<T>): Promise<Settled<T>> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** One connection to clamd: writes, clamd's first reply, and bounded waits. */
export class ClamdSession {
  /** clamd's first reply, without its NUL (latin1), once whole. */
  reply: string | undefined;
  /** More than MAX_REPLY_BYTES came without a NUL: not clamd. */
  overlong = false;
  /** The connection ended (closed, reset, refused); errno when the system gave one. */
  ended: { readonly errno: string | undefined } | undefined;
  private connected = false;
  private readonly parts: Buffer[] = [];
  private held = 0;
  private readonly wakers = new Set<() => void>();

  private constructor(private readonly socket: Socket) {
    socket.on('connect', () => {
      this.connected = true;
      this.wake();
    });
    socket.on('data', (d: Buffer) => {
      this.take(d);
    });
    socket.on('drain', () => {
      this.wake();
    });
    socket.on('end', () => {
      this.end(undefined);
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      this.end(typeof e.code === 'string' ? e.code.slice(0, 40) : undefined);
    });
    socket.on('close', () => {
      this.end(undefined);
    });
  }

  /**
   * Connects to `target` within timeoutMs; a Stop when it cannot. `localhost` is resolved here
   * and only its loopback addresses are dialled (IPv4 first), each in turn until one answers.
   */
  static async open(
    target: ClamdTarget,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<ClamdSession | Stop> {
    if (signal?.aborted === true) return { kind: 'aborted' };
    const deadline = Date.now() + timeoutMs;
    if ('socket' in target) {
      return ClamdSession.dial(() => connect({ path: target.socket }), deadline, signal);
    }
    let hosts = [target.host];
    if (target.host === 'localhost') {
      const found = await ClamdSession.loopbackOf(target.host, timeoutMs, signal);
      if (!Array.isArray(found)) return found;
      hosts = found;
    }
    let last: Stop = { kind: 'unreachable', why: 'no address to dial' };
    for (const host of hosts) {
      const r = await ClamdSession.dial(
        () => connect({ host, port: target.port, noDelay: true }),
        deadline,
        signal,
      );
      if (r instanceof ClamdSession || r.kind !== 'closed') return r;
      last = r;
    }
    return last;
  }

  private static async dial(
    make: () => Socket,
    deadline: number,
    signal?: AbortSignal,
  ): Promise<ClamdSession | Stop> {
    const session = new ClamdSession(make());
    const w = await session.until({
      ready: () => session.connected,
      timeoutMs: Math.max(1, deadline - Date.now()),
      signal,
      stopOnReply: false,
    });
    if (w.kind === 'ready') return session;
    session.close();
    return w.kind === 'value' ? { kind: 'closed', errno: undefined } : w;
  }

  /** The loopback addresses `host` resolves to, IPv4 first (never dial one that left loopback). */
  private static async loopbackOf(
    host: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<string[] | Stop> {
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stop = new Promise<Stop>((resolve) => {
      timer = setTimeout(() => {
        resolve({ kind: 'timeout' });
      }, timeoutMs);
      onAbort = () => {
        resolve({ kind: 'aborted' });
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const found = await Promise.race([settle(lookup(host, { all: true })), stop]);
      if ('kind' in found) return found;
      if (!found.ok) return { kind: 'unreachable', why: `${host} does not resolve` };
      const addresses = found.value.map((a) => a.address);
      const v4 = addresses.filter((a) => /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a));
      const v6 = addresses.filter((a) => a === '::1');
      const loopback = [...new Set([...v4, ...v6])];
      return loopback.length > 0
        ? loopback
        : { kind: 'unreachable', why: `${host} resolves to no loopback address` };
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Writes bytes; false when the socket's buffer is full (wait for ready: !needsDrain). */
  write(b: Buffer): boolean {
    if (this.ended !== undefined || this.socket.destroyed) return false;
    return this.socket.write(b);
  }

  /** Ends the write side (the probe: clamd answers or closes). */
  finish(b: Buffer): void {
    if (this.ended === undefined && !this.socket.destroyed) this.socket.end(b);
  }

  get needsDrain(): boolean {
    return this.socket.writableNeedDrain;
  }

  /** Closes the connection at once (idempotent). */
  close(): void {
    this.socket.destroy();
  }

  /**
   * Waits until `promise` settles or `ready()` holds; ends early when the signal fires, clamd
   * answers (stopOnReply), the connection ends, or timeoutMs passes. Never rejects.
   */
  until<T>(u: Until<T>): Promise<Waited<T>> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let done = false;
      const finish = (w: Waited<T>): void => {
        if (done) return;
        done = true;
        this.wakers.delete(check);
        if (timer !== undefined) clearTimeout(timer);
        u.signal?.removeEventListener('abort', check);
        resolve(w);
      };
      const check = (): void => {
        if (u.ready?.() === true) finish({ kind: 'ready' });
        else if (u.signal?.aborted === true) finish({ kind: 'aborted' });
        else if (u.stopOnReply && (this.reply !== undefined || this.overlong)) {
          finish({ kind: 'reply' });
        } else if (this.ended !== undefined) finish({ kind: 'closed', errno: this.ended.errno });
      };
      this.wakers.add(check);
      u.signal?.addEventListener('abort', check, { once: true });
      if (u.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          finish({ kind: 'timeout' });
        }, u.timeoutMs);
      }
      u.promise?.then(
        (value) => {
          finish({ kind: 'value', value });
        },
        () => {
          finish({ kind: 'closed', errno: undefined });
        },
      );
      check();
    });
  }

  private take(d: Buffer): void {
    if (this.reply !== undefined || this.overlong) return;
    const nul = d.indexOf(0);
    if (nul >= 0 && this.held + nul <= MAX_REPLY_BYTES) {
      this.parts.push(d.subarray(0, nul));
      this.reply = Buffer.concat(this.parts).toString('latin1');
      this.parts.length = 0;
    } else if (this.held + d.length > MAX_REPLY_BYTES) {
      this.overlong = true;
      this.parts.length = 0;
      this.socket.destroy();
    } else {
      this.parts.push(d);
      this.held += d.length;
    }
    this.wake();
  }

  private end(errno: string | undefined): void {
    if (this.ended === undefined) this.ended = { errno };
    else if (this.ended.errno === undefined && errno !== undefined) this.ended = { errno };
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }
}

/** What one INSTREAM reply means. */
export type ScanReply =
  | { readonly kind: 'clean' }
  | { readonly kind: 'infected'; readonly signature: string }
  | {
      readonly kind: 'unscannable';
      readonly why: string;
      readonly reason: 'clamd-limit' | 'clamd-error';
    }
  | { readonly kind: 'unavailable'; readonly why: string };

/**
 * clamd's resource failures (cl_strerror texts of CL_EOPEN..CL_EMEM): the scanner's trouble, not
 * the body's; retried rather than refused.
 */
const RESOURCE_ERROR =
  /^Can't (open file|create new file|unlink|get file status|read file|set file offset|write to file|duplicate|access file|create temporary|map file|allocate memory)/;

/** The printable ASCII of `s`, at most `n` characters (for clamd's own error texts). */
function shown(s: string, n: number): string {
  return s.slice(0, n).replace(/[^\x20-\x7e]/g, '?');
}

/**
 * Parses one INSTREAM reply (without its NUL): `stream: OK`, `stream: <Name> FOUND`,
 * `stream: <why> ERROR`, `INSTREAM size limit exceeded. ERROR`; anything else is not clamd.
 */
export function parseScanReply(text: string): ScanReply {
  const reply = text.replace(/\n$/, '');
  if (reply === 'stream: OK') return { kind: 'clean' };
  if (reply === SIZE_LIMIT_REPLY) {
    return {
      kind: 'unscannable',
      reason: 'clamd-limit',
      why: "the body is over clamd's StreamMaxLength",
    };
  }
  const found = /^stream: (.+) FOUND$/s.exec(reply);
  if (found?.[1] !== undefined) return { kind: 'infected', signature: clipSignature(found[1]) };
  const error = /^stream: (.*) ERROR$/s.exec(reply);
  if (error?.[1] !== undefined) {
    const why = shown(error[1], 120);
    return RESOURCE_ERROR.test(error[1])
      ? { kind: 'unavailable', why: `clamd could not scan (${why})` }
      : {
          kind: 'unscannable',
          reason: 'clamd-error',
          why: `clamd answered an error for the stream (${why})`,
        };
  }
  return {
    kind: 'unavailable',
    why: `clamd answered something that is not an INSTREAM reply (${reply.length} characters)`,
  };
}

/**
 * Sends `z<name>\0` on a fresh connection and resolves with clamd's reply (without its NUL), or
 * the Stop that ended the wait.
 */
export async function command(
  target: ClamdTarget,
  name: 'PING' | 'VERSION',
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ readonly reply: string } | Stop> {
  const deadline = Date.now() + timeoutMs;
  const opened = await ClamdSession.open(target, timeoutMs, signal);
  if (!(opened instanceof ClamdSession)) return opened;
  try {
    opened.write(Buffer.from(`z${name}\0`, 'latin1'));
    const w = await opened.until({
      ready: () => opened.reply !== undefined || opened.overlong,
      timeoutMs: Math.max(1, deadline - Date.now()),
      signal,
      stopOnReply: false,
    });
    if (w.kind !== 'ready') return w.kind === 'value' ? { kind: 'closed', errno: undefined } : w;
    return opened.reply === undefined ? { kind: 'reply' } : { reply: opened.reply };
  } finally {
    opened.close();
  }
}

/**
 * After the connection ended mid-stream without a reply: was it clamd's StreamMaxLength? (Its
 * answer can be lost when it closes while our bytes are still in flight.) Declares one chunk of
 * `total` bytes on a fresh connection: clamd refuses that at once when it is over its limit, and
 * closes the connection otherwise. True only when clamd answers the size-limit reply.
 */
export async function overStreamLimit(
  target: ClamdTarget,
  total: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const opened = await ClamdSession.open(target, timeoutMs, signal);
  if (!(opened instanceof ClamdSession)) return false;
  try {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(Math.min(total, 0xffffffff), 0);
    opened.finish(Buffer.concat([INSTREAM_COMMAND, header]));
    await opened.until({
      ready: () => opened.reply !== undefined || opened.overlong,
      timeoutMs: Math.max(1, deadline - Date.now()),
      signal,
      stopOnReply: false,
    });
    return opened.reply === SIZE_LIMIT_REPLY;
  } finally {
    opened.close();
  }
}
