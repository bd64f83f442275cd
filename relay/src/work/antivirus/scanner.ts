// The relay's antivirus scan: one body through clamd's INSTREAM. In: a validated config (where clamd
// listens, fail-closed or fail-open, the timeout, maxBytes) and a body (a stream or async iterable of
// bytes, read with backpressure, never buffered whole). Out: 'clean'; or RELAY_E_AV_INFECTED naming
// the signature; or, when the body could not be scanned, RELAY_E_AV_UNAVAILABLE / _UNSCANNABLE
// (fail-closed) or an 'unscanned' outcome saying why (fail-open); RELAY_E_AV_ABORTED when the
// caller's signal fires, RELAY_E_AV_BODY when the body fails (a typed error of the body's own is
// passed on as it is). One `relay:av` event per scan. The body is consumed or destroyed on every
// path, and the connection to clamd is closed on every path.
//
// One scan: connect (timeoutMs); `zINSTREAM\0`; the body in frames of at most 64 KiB (a 4-byte
// big-endian length, then the bytes), each write waiting for the socket to drain (timeoutMs); a
// zero-length frame; clamd's reply (timeoutMs). A body over maxBytes is cut off before the chunk
// that takes it over (nothing beyond maxBytes is sent). An answer before the end (clamd's own size
// limit) stops the stream; a connection that ends mid-stream without an answer is probed once to
// tell clamd's size limit (UNSCANNABLE) from a crash (UNAVAILABLE).
import { Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { isRelaycheckError, type ErrorDetails } from '../../protocol/errors';
import { clip } from '../content/errors';
import {
  CHUNK_BYTES,
  ClamdSession,
  END_OF_STREAM,
  INSTREAM_COMMAND,
  command,
  frame,
  overStreamLimit,
  parseScanReply,
  settle,
  type Settled,
  type Stop,
  type Waited,
} from './clamd';
import { parseAntivirusConfig, type AntivirusConfig, type AntivirusInput } from './config';
import { RelayAvError } from './errors';
import { publishAv, type AvEvent } from './events';

export interface ScanOptions {
  /** Aborts the scan (shutdown, lost lock): RELAY_E_AV_ABORTED; the connection is closed. */
  readonly signal?: AbortSignal | undefined;
  /** The form type, for the `relay:av` event only. */
  readonly formType?: string | undefined;
}

/** A scan that let the body through. 'unscanned' only ever comes under fail-open. */
export type ScanOutcome =
  | { readonly verdict: 'clean'; readonly ms: number; readonly bytes: number }
  | {
      readonly verdict: 'unscanned';
      readonly code: 'RELAY_E_AV_UNAVAILABLE' | 'RELAY_E_AV_UNSCANNABLE';
      readonly why: string;
      readonly ms: number;
      readonly bytes: number;
    };

/** A stream or async iterable of bytes (read with backpressure), or bytes already in memory. */
export type ScanBody = AsyncIterable<Uint8Array> | Readable | Uint8Array;

export interface Scanner {
  readonly config: AntivirusConfig;
  /**
   * Scans one body. Resolves with a ScanOutcome; rejects with RelayAvError (INFECTED, and under
   * fail-closed UNAVAILABLE or UNSCANNABLE; ABORTED; BODY) or the body's own typed error.
   */
  scan(body: ScanBody, opts?: ScanOptions): Promise<ScanOutcome>;
  /** clamd answers PING and VERSION: its version text. Rejects RELAY_E_AV_UNAVAILABLE. */
  ping(opts?: { readonly signal?: AbortSignal | undefined }): Promise<{ version: string }>;
}

/** What one scan came to, before the policy (fail-closed / fail-open) is applied. */
type Verdict =
  | { readonly kind: 'clean' }
  | { readonly kind: 'infected'; readonly signature: string }
  | {
      readonly kind: 'unscannable';
      readonly why: string;
      readonly reason: 'maxBytes' | 'clamd-limit' | 'clamd-error';
    }
  | {
      readonly kind: 'unavailable';
      readonly why: string;
      readonly step: 'connect' | 'send' | 'reply';
      readonly errno?: string | undefined;
    }
  | { readonly kind: 'aborted' }
  | { readonly kind: 'body'; readonly error: unknown; readonly why: string };

/** The body as something to pull from and to stop. */
interface Source {
  next(): Promise<Settled<IteratorResult<unknown>>>;
  /** Destroys a stream body, returns an iterator body (idempotent, never throws). */
  stop(): void;
}

function sourceOf(body: unknown): Source | undefined {
  if (body instanceof Uint8Array) {
    let given = false;
    return {
      next: () => {
        const r: IteratorResult<unknown> = given
          ? { done: true, value: undefined }
          : { done: false, value: body };
        given = true;
        return Promise.resolve({ ok: true, value: r });
      },
      stop: () => undefined,
    };
  }
  if (body instanceof Readable) {
    const it = body[Symbol.asyncIterator]();
    return {
      next: () => settle(it.next()),
      stop: () => {
        if (!body.destroyed) body.destroy();
      },
    };
  }
  if (typeof body !== 'object' || body === null || !(Symbol.asyncIterator in body))
    return undefined;
  const make = (body as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator];
  if (typeof make !== 'function') return undefined;
  let it: AsyncIterator<unknown>;
  try {
    it = (make as () => AsyncIterator<unknown>).call(body);
  } catch {
    return undefined;
  }
  let stopped = false;
  return {
    next: () => settle(Promise.resolve().then(() => it.next())),
    stop: () => {
      if (stopped) return;
      stopped = true;
      void settle(Promise.resolve().then(() => it.return?.()));
    },
  };
}

/** The code of a failed stream, when it is a system-like code. */
function errnoOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,39}$/.test(code) ? code : undefined;
}

interface Tally {
  bytes: number;
}

/** Streams the body through INSTREAM and reads clamd's answer. Never throws. */
async function exchange(
  config: AntivirusConfig,
  src: Source,
  signal: AbortSignal | undefined,
  tally: Tally,
): Promise<Verdict> {
  const { timeoutMs } = config;
  const opened = await ClamdSession.open(config.clamd, timeoutMs, signal);
  if (!(opened instanceof ClamdSession)) return stopped(opened, 'connect');
  const session = opened;
  let sent = 0;

  /** Why the exchange ended early (`step`: where), probing clamd's size limit if need be. */
  async function ended(w: Waited<unknown>, step: 'send' | 'reply'): Promise<Verdict> {
    const stop = asStop(w);
    if (stop.kind === 'reply') {
      if (session.reply === undefined) {
        return {
          kind: 'unavailable',
          step,
          why: 'clamd answered more than 4 KiB without ending its reply',
        };
      }
      const early = parseScanReply(session.reply);
      if (step === 'send' && early.kind !== 'unscannable' && early.kind !== 'unavailable') {
        return { kind: 'unavailable', step, why: 'clamd answered before the end of the stream' };
      }
      return early.kind === 'unavailable' ? { ...early, step } : early;
    }
    if (stop.kind === 'closed' && sent > 0) {
      session.close();
      if (await overStreamLimit(config.clamd, sent, timeoutMs, signal)) {
        return {
          kind: 'unscannable',
          reason: 'clamd-limit',
          why: "the body is over clamd's StreamMaxLength",
        };
      }
      if (signal?.aborted === true) return { kind: 'aborted' };
    }
    return stopped(stop, step);
  }

  try {
    session.write(INSTREAM_COMMAND);
    for (;;) {
      const read = await session.until({ promise: src.next(), signal, stopOnReply: true });
      if (read.kind !== 'value') return await ended(read, 'send');
      const r = read.value;
      if (!r.ok)
        return { kind: 'body', error: r.error, why: 'the body stream failed before its end' };
      if (r.value.done === true) break;
      const chunk: unknown = r.value.value;
      if (!(chunk instanceof Uint8Array)) {
        return { kind: 'body', error: undefined, why: 'a body chunk is not bytes' };
      }
      tally.bytes += chunk.length;
      if (tally.bytes > config.maxBytes) {
        return {
          kind: 'unscannable',
          reason: 'maxBytes',
          why: `the body is larger than maxBytes (${config.maxBytes} bytes)`,
        };
      }
      for (let at = 0; at < chunk.length; at += CHUNK_BYTES) {
        const piece = chunk.subarray(at, at + CHUNK_BYTES);
        sent += piece.length;
        if (!session.write(frame(piece))) {
          const w = await session.until({
            ready: () => session.ended === undefined && !session.needsDrain,
            timeoutMs,
            signal,
            stopOnReply: true,
          });
          if (w.kind !== 'ready') return await ended(w, 'send');
        }
      }
    }
    session.write(END_OF_STREAM);
    const w = await session.until({
      ready: () => session.reply !== undefined || session.overlong,
      timeoutMs,
      signal,
      stopOnReply: false,
    });
    if (w.kind !== 'ready') return await ended(w, 'reply');
    if (session.reply === undefined) {
      return {
        kind: 'unavailable',
        step: 'reply',
        why: 'clamd answered more than 4 KiB without ending its reply',
      };
    }
    const reply = parseScanReply(session.reply);
    return reply.kind === 'unavailable' ? { ...reply, step: 'reply' } : reply;
  } finally {
    session.close();
  }
}

/** A wait that ended without its value or readiness, as the Stop it was. */
function asStop(w: Waited<unknown>): Stop {
  return w.kind === 'value' || w.kind === 'ready' ? { kind: 'closed', errno: undefined } : w;
}

/** The verdict of a wait that ended with `stop` at `step`. */
function stopped(stop: Stop, step: 'connect' | 'send' | 'reply'): Verdict {
  const where = { connect: 'connecting', send: 'during the stream', reply: 'before its answer' }[
    step
  ];
  switch (stop.kind) {
    case 'aborted':
      return { kind: 'aborted' };
    case 'timeout':
      return { kind: 'unavailable', step, why: `clamd timed out ${where}` };
    case 'unreachable':
      return { kind: 'unavailable', step, why: stop.why };
    case 'reply':
      return { kind: 'unavailable', step, why: 'clamd answered something unexpected' };
    case 'closed':
      return step === 'connect'
        ? {
            kind: 'unavailable',
            step,
            errno: stop.errno,
            why: `clamd is unreachable${stop.errno === undefined ? '' : ` (${stop.errno})`}`,
          }
        : {
            kind: 'unavailable',
            step,
            errno: stop.errno,
            why: `clamd closed the connection ${where}${stop.errno === undefined ? '' : ` (${stop.errno})`}`,
          };
  }
}

/** A scanner over the clamd of `config` (validated here when it is not already). */
export function createScanner(input: AntivirusConfig | AntivirusInput): Scanner {
  const config = parseAntivirusConfig(input);
  const failOpen = config.onUnavailable === 'fail-open';

  async function scan(body: ScanBody, opts: ScanOptions = {}): Promise<ScanOutcome> {
    const started = performance.now();
    const signal = opts.signal;
    const formType = typeof opts.formType === 'string' ? clip(opts.formType) : undefined;
    const tally: Tally = { bytes: 0 };
    const src = sourceOf(body);
    let verdict: Verdict;
    if (src === undefined) {
      verdict = {
        kind: 'body',
        error: undefined,
        why: 'the body is neither a stream nor an async iterable',
      };
    } else {
      try {
        verdict =
          signal?.aborted === true
            ? { kind: 'aborted' }
            : await exchange(config, src, signal, tally);
      } finally {
        src.stop();
      }
    }
    const ms = Math.round(performance.now() - started);
    const bytes = tally.bytes;
    const event = (e: Omit<AvEvent, 'bytes' | 'ms' | 'formType'>): void => {
      publishAv({ ...e, bytes, ms, ...(formType === undefined ? {} : { formType }) });
    };
    const details = (d: ErrorDetails): ErrorDetails => ({
      ...d,
      bytes,
      ...(formType === undefined ? {} : { formType }),
    });
    switch (verdict.kind) {
      case 'clean':
        event({ verdict: 'clean' });
        return { verdict: 'clean', ms, bytes };
      case 'infected':
        event({ verdict: 'infected', virus: verdict.signature, code: 'RELAY_E_AV_INFECTED' });
        throw new RelayAvError(
          'RELAY_E_AV_INFECTED',
          `clamd found ${verdict.signature} in the body`,
          details({ signature: verdict.signature }),
        );
      case 'unscannable':
      case 'unavailable': {
        const code =
          verdict.kind === 'unscannable' ? 'RELAY_E_AV_UNSCANNABLE' : 'RELAY_E_AV_UNAVAILABLE';
        if (failOpen) {
          event({ verdict: 'unscanned', code });
          return { verdict: 'unscanned', code, why: verdict.why, ms, bytes };
        }
        event({ verdict: 'failed', code });
        throw verdict.kind === 'unscannable'
          ? new RelayAvError(
              code,
              `the body cannot be scanned: ${verdict.why}`,
              details({ reason: verdict.reason }),
            )
          : new RelayAvError(
              code,
              `the body was not scanned: ${verdict.why}`,
              details({ step: verdict.step, errno: verdict.errno }),
            );
      }
      case 'aborted':
        event({ verdict: 'failed', code: 'RELAY_E_AV_ABORTED' });
        throw new RelayAvError(
          'RELAY_E_AV_ABORTED',
          'the scan was aborted by the caller',
          details({}),
        );
      case 'body': {
        if (isRelaycheckError(verdict.error)) {
          event({ verdict: 'failed', code: verdict.error.code });
          throw verdict.error;
        }
        const errno = errnoOf(verdict.error);
        event({ verdict: 'failed', code: 'RELAY_E_AV_BODY' });
        throw new RelayAvError(
          'RELAY_E_AV_BODY',
          `${verdict.why}${errno === undefined ? '' : ` (${errno})`}`,
          details({ errno }),
        );
      }
    }
  }

  async function ping(opts: { readonly signal?: AbortSignal | undefined } = {}): Promise<{
    version: string;
  }> {
    const unavailable = (why: string): RelayAvError =>
      new RelayAvError('RELAY_E_AV_UNAVAILABLE', `clamd did not answer: ${why}`, { step: 'ping' });
    const whyOf = (r: { readonly reply: string } | Stop, asked: string): string | undefined => {
      if ('reply' in r) return undefined;
      const v = stopped(r, 'reply');
      return v.kind === 'unavailable' ? `${asked}: ${v.why}` : `${asked}: aborted`;
    };
    const pong = await command(config.clamd, 'PING', config.timeoutMs, opts.signal);
    const pongWhy = whyOf(pong, 'PING');
    if (pongWhy !== undefined) throw unavailable(pongWhy);
    if ('reply' in pong && pong.reply.replace(/\n$/, '') !== 'PONG') {
      throw unavailable('PING was not answered PONG');
    }
    const version = await command(config.clamd, 'VERSION', config.timeoutMs, opts.signal);
    const versionWhy = whyOf(version, 'VERSION');
    if (versionWhy !== undefined) throw unavailable(versionWhy);
    const text = 'reply' in version ? version.reply.replace(/\n$/, '') : '';
    if (!/^ClamAV [\x20-\x7e]{1,200}$/.test(text)) {
      throw unavailable('VERSION was not answered with a ClamAV version');
    }
    return { version: text };
  }

  return Object.freeze({ config, scan, ping });
}
