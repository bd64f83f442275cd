// The contract between the HTTP edge and each mock service. In: a request as data (method,
// decoded path segments, query, headers) with its body as a stream. Out: an answer as data
// (status, headers, a body of bytes or a stream of known length), or a thrown
// SimBackOfficeError that the edge renders as an XML <Error>. Also the small routing helpers
// the services share.
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { SimBackOfficeError } from './errors';

export interface BoRequest {
  readonly method: string;
  /** The path as sent (percent-encoded). */
  readonly path: string;
  /** Path segments, percent-decoded; the leading empty one is dropped. */
  readonly segments: readonly string[];
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Readable;
  readonly idempotencyKey: string | undefined;
  /** Adds facts to the request's journal entry. */
  note(facts: RequestNotes): void;
}

export interface RequestNotes {
  readonly reference?: string | undefined;
  readonly requestBytes?: number | undefined;
  /** The answer repeats an earlier one for the same Idempotency-Key (nothing new was done). */
  readonly replayed?: boolean | undefined;
}

/** A streamed body: exactly `length` bytes, made when the answer is sent. */
export interface StreamBody {
  readonly length: number;
  open(): Readable;
}

export type BoBody = Buffer | StreamBody;

export interface BoResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: BoBody;
}

export type ServiceHandler = (req: BoRequest) => Promise<BoResponse>;

export const XML_TYPE = 'application/xml; charset=utf-8';

export function bodyLength(body: BoBody): number {
  return Buffer.isBuffer(body) ? body.length : body.length;
}

export function xmlResponse(
  status: number,
  xml: string,
  headers: Readonly<Record<string, string>> = {},
): BoResponse {
  return { status, headers: { 'content-type': XML_TYPE, ...headers }, body: Buffer.from(xml) };
}

/** SIM_E_BO_ROUTE for a path no route has. */
export function noRoute(req: BoRequest): SimBackOfficeError {
  return new SimBackOfficeError('SIM_E_BO_ROUTE', `no route for ${req.method} ${req.path}`, {
    method: req.method,
  });
}

/** SIM_E_BO_METHOD listing the methods the path has. */
export function wrongMethod(req: BoRequest, allowed: readonly string[]): SimBackOfficeError {
  return new SimBackOfficeError(
    'SIM_E_BO_METHOD',
    `${req.method} is not allowed here; use ${allowed.join(', ')}`,
    { allow: allowed.join(', ') },
  );
}

/** True when the method is one of `allowed`; throws SIM_E_BO_METHOD otherwise. */
export function requireMethod(req: BoRequest, allowed: readonly string[]): void {
  if (!allowed.includes(req.method)) throw wrongMethod(req, allowed);
}

/** An Error shaped like Node's for a request whose client went away mid-body. */
export function abortedError(): Error {
  return Object.assign(new Error('the request body was aborted'), { code: 'ECONNRESET' });
}

/**
 * Feeds every chunk of `stream` to `onChunk` (which may be async: the stream is paused
 * meanwhile) and resolves at its end. If `onChunk` throws, or the stream errors or closes
 * early, it rejects and leaves the stream paused, not destroyed, so that the edge can still
 * drain the rest of the body and send its answer on an intact connection.
 */
export function consume(
  stream: Readable,
  onChunk: (chunk: Buffer) => void | Promise<void>,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let busy = false;
    let ended = false;
    let settled = false;
    const cleanup = (): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
    const fail = (e: unknown): void => {
      if (settled) return;
      settled = true;
      cleanup();
      stream.pause();
      reject(e instanceof Error ? e : new Error(String(e)));
    };
    const succeed = (): void => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve();
    };
    const onData = (chunk: Buffer): void => {
      let result: void | Promise<void>;
      try {
        result = onChunk(chunk);
      } catch (e) {
        fail(e);
        return;
      }
      if (result instanceof Promise) {
        busy = true;
        stream.pause();
        result.then(() => {
          busy = false;
          if (settled) return;
          if (ended) succeed();
          else stream.resume();
        }, fail);
      }
    };
    const onEnd = (): void => {
      ended = true;
      if (!busy) succeed();
    };
    const onError = (e: Error): void => {
      fail(e);
    };
    const onClose = (): void => {
      if (!ended) fail(abortedError());
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
    if (stream.readableEnded) succeed();
    // Destroyed before we got here (the client went away during a fault delay): 'close' has
    // already been emitted and will not come again, so waiting would never end.
    else if (stream.destroyed) fail(abortedError());
  });
}
