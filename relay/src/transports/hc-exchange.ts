// One relayed HTTP request and its response. In: a request header and body from the control
// channel (whole) or a rendezvous socket (streamed piece by piece, with back-pressure through
// a BodyFeed), the relay's handler, the concurrency gate and a deadline. Out: exactly one
// outcome — a response sent whole on the channel it may use (control channel when the body is
// at most 64 KiB, else streamed over rendezvous with back-pressure), an immediate refusal
// (400/413/503), or an abort reported on relay:hc:response-aborted.
import { STATUS_CODES } from 'node:http';
import { Readable, Writable } from 'node:stream';
import type { Logger } from 'pino';
import { HcError, type HcErrorCode } from './errors';
import type { RefusedRequest } from './hc-assembler';
import { CONTROL_BODY_LIMIT, CONTROL_HEADER_LIMIT, type HcListenerConfig } from './hc-config';
import type { HcEventPublisher } from './hc-events';
import {
  checkStatus,
  excerpt,
  headerJsonBytes,
  prepareResponseHeaders,
  responseFrame,
} from './hc-frames';
import type { RequestHead } from './hc-frames';
import type { ConcurrencyGate, GateEntry } from './hc-gate';
import type { HcHandler, HcHeaders, HcMode, HcRequest, HcResponse } from './hc-handler';
import type { Scheduler, TimerHandle } from './scheduler';
import { CLOSE } from './socket';

/** Where a streamed request body comes from: told to read on when the handler wants more. */
export interface BodyFeed {
  resume(): void;
}

/** A rendezvous socket as the exchange uses it. */
export interface ResponseChannel {
  /** Resolves once the socket is open; rejects with HcError RELAY_E_HC_RENDEZVOUS. */
  whenOpen(): Promise<void>;
  sendText(text: string): Promise<void>;
  sendBinary(data: Uint8Array, fin: boolean): Promise<void>;
  /** The exchange is done with the channel; `closeCode` closes the channel afterwards. */
  release(exchange: Exchange, closeCode: number | undefined): void;
  /** The response cannot be completed: drop the channel. */
  abort(code: number, reason: string): void;
}

/** What an exchange needs from the listener. */
export interface ExchangeHost {
  readonly config: HcListenerConfig;
  readonly scheduler: Scheduler;
  readonly events: HcEventPublisher;
  readonly logger: Logger;
  readonly handler: HcHandler;
  readonly gate: ConcurrencyGate;
  /**
   * Sends a response frame (and its body message) on control connection `connection` — the one
   * the request came on; undefined when that connection is no longer open.
   */
  sendOnControl(
    frame: string,
    body: Buffer | undefined,
    connection: number,
  ): Promise<void> | undefined;
  /** Opens a rendezvous socket to `address` for this exchange's response; throws HcError. */
  rendezvousFor(exchange: Exchange, address: string): ResponseChannel;
  fault(error: HcError, requestId?: string): void;
  /** The exchange reached its outcome. */
  finished(exchange: Exchange): void;
}

export type Origin =
  | { readonly mode: 'control'; readonly connection: number }
  | { readonly mode: 'rendezvous'; readonly channel: ResponseChannel };

type Phase = 'new' | 'waiting' | 'running' | 'done';
type Commit = 'none' | 'sending' | 'streaming' | 'complete' | 'aborted';

interface StatusLine {
  readonly code: number;
  readonly description: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly contentLength: number | undefined;
  readonly headerBytes: number;
}

const EMPTY = Buffer.alloc(0);
const BODY_CHUNK = 64 * 1024;
/** A streamed request body stops being read while this much waits for the handler. */
export const BODY_HIGH_WATER = 64 * 1024;

export class Exchange implements GateEntry {
  readonly id: string;
  readonly #host: ExchangeHost;
  readonly #origin: Origin;
  readonly #method: string | undefined;
  readonly #target: string;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #address: string | undefined;
  readonly #body: Buffer | undefined;
  #size: number;
  /** A streamed body is still arriving. */
  #bodyOpen = false;
  #feed: BodyFeed | undefined;
  /** The handler's body stream was full: resume the feed when it reads. */
  #starved = false;
  /** The streamed body failed before this request's turn: refuse it when its turn comes. */
  #bodyFailure: { readonly error: HcError; readonly closeCode: number } | undefined;
  #logger: Logger | undefined;
  /** Made when the handler first reads req.signal (most never do): see #signal(). */
  #abortController: AbortController | undefined;
  #abortReason: HcError | undefined;
  #phase: Phase = 'new';
  #commit: Commit = 'none';
  #deadline: TimerHandle | undefined;
  #idle: TimerHandle | undefined;
  #request: Readable | undefined;
  #writable: Writable | undefined;
  #ownDestroy = false;
  #status: StatusLine | undefined;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #upgrading: Promise<ResponseChannel> | undefined;
  #stream: ResponseChannel | undefined;
  /** A rendezvous socket this exchange opened for its response (control-channel requests). */
  #opened: ResponseChannel | undefined;
  #mode: HcMode;
  #bytes = 0;
  #closeAfter: number | undefined;
  /** Made on first read of `done` (nothing in the listener awaits it on the hot path). */
  #done: Promise<void> | undefined;
  #resolveDone: (() => void) | undefined;

  constructor(
    host: ExchangeHost,
    origin: Origin,
    head: RequestHead | RefusedRequest,
    body: Buffer | undefined,
    size: number,
  ) {
    this.#host = host;
    this.#origin = origin;
    this.id = head.id;
    this.#method = head.method;
    this.#target = 'target' in head ? head.target : '/';
    this.#headers = 'headers' in head ? head.headers : Object.freeze({});
    this.#address = head.address;
    this.#body = body;
    this.#size = size;
    this.#mode = origin.mode;
  }

  /** The per-request child logger, made on first use (a child costs a serialisation). */
  get #log(): Logger {
    this.#logger ??= this.#host.logger.child({
      requestId: excerpt(this.id),
      mode: this.#origin.mode,
    });
    return this.#logger;
  }

  /** req.signal: made on first read, already aborted if the request was. */
  #signal(): AbortSignal {
    if (this.#abortController === undefined) {
      this.#abortController = new AbortController();
      if (this.#abortReason !== undefined) this.#abortController.abort(this.#abortReason);
    }
    return this.#abortController.signal;
  }

  #abortSignal(reason: HcError): void {
    this.#abortReason ??= reason;
    this.#abortController?.abort(reason);
  }

  /** Resolves when the exchange reached its outcome (sent, refused or aborted). */
  get done(): Promise<void> {
    if (this.#done === undefined) {
      if (this.#phase === 'done') {
        this.#done = Promise.resolve();
      } else {
        this.#done = new Promise((resolve) => {
          this.#resolveDone = resolve;
        });
      }
    }
    return this.#done;
  }

  /**
   * Streaming (rendezvous): the body comes piece by piece through bodyData/bodyEnd/bodyFailed.
   * Call before dispatch; the handler's body stream exists from now on.
   */
  streamBody(feed: BodyFeed): void {
    if (this.#request !== undefined) return;
    this.#bodyOpen = true;
    this.#feed = feed;
    const request = new Readable({
      highWaterMark: BODY_HIGH_WATER,
      read: () => {
        if (!this.#starved) return;
        this.#starved = false;
        this.#feed?.resume();
      },
    });
    request.on('error', () => undefined);
    this.#request = request;
  }

  /** A piece of a streamed body; false when the handler's stream is full (stop reading). */
  bodyData(chunk: Buffer): boolean {
    const request = this.#request;
    if (!this.#bodyOpen || request === undefined || request.destroyed) return true;
    this.#size += chunk.length;
    if (request.push(chunk)) return true;
    this.#starved = true;
    return false;
  }

  /** The streamed body is complete. */
  bodyEnd(): void {
    if (!this.#bodyOpen) return;
    this.#bodyOpen = false;
    this.#feed = undefined;
    const request = this.#request;
    if (request !== undefined && !request.destroyed) request.push(null);
  }

  /**
   * The streamed body will not complete (over maxRequestBytes, or cut off). The handler's body
   * stream fails with `error`; the request is answered with its status (413, 400) if nothing was
   * committed yet, else the response is aborted. Over the limit, the socket closes with 1009.
   */
  bodyFailed(error: HcError): void {
    if (!this.#bodyOpen) return;
    this.#bodyOpen = false;
    this.#feed = undefined;
    this.#request?.destroy(error);
    const closeCode = error.code === 'RELAY_E_HC_TOO_LARGE' ? CLOSE.tooBig : CLOSE.policy;
    if (this.#phase === 'new') {
      // Queued behind another request on its socket: answering now could land inside that
      // request's streamed response. dispatch() refuses it in turn.
      this.#bodyFailure = { error, closeCode };
      return;
    }
    if (this.#phase === 'done') return;
    this.#closeAfter = closeCode;
    if (this.#commit === 'none') this.#respondError(error);
    else if (this.#commit === 'streaming') this.#abortWith(error.code, closeCode);
  }

  /** Body bytes that arrived and wait for the handler to read them. */
  get bodyBuffered(): number {
    return this.#request?.readableLength ?? 0;
  }

  /** Waiting for a slot in the gate (not yet answered). */
  get waiting(): boolean {
    return this.#phase === 'waiting' && this.#commit === 'none';
  }

  get isDone(): boolean {
    return this.#phase === 'done';
  }

  /** Dispatches through the gate: started, queued, or answered 503 when the queue is full. */
  dispatch(): void {
    if (this.#phase !== 'new') return;
    if (this.#bodyFailure !== undefined) {
      this.refuse(this.#bodyFailure.error, this.#bodyFailure.closeCode);
      return;
    }
    this.#phase = 'waiting';
    this.#deadline = this.#host.scheduler.setTimer(() => {
      this.#onDeadline();
    }, this.#host.config.responseDeadlineMs);
    if (this.#host.gate.enter(this) === 'full') {
      this.#respondError(
        new HcError(
          'RELAY_E_HC_BUSY',
          'the relay is at its concurrency limit and its wait queue is full',
          { requestId: excerpt(this.id) },
        ),
      );
    }
  }

  /** Answers at once without dispatching; `closeCode` closes a rendezvous origin afterwards. */
  refuse(error: HcError, closeCode?: number): void {
    if (this.#phase !== 'new') return;
    this.#phase = 'waiting';
    this.#closeAfter = closeCode;
    this.#respondError(error);
  }

  /** The listener is shutting down: a waiting request is answered 503, a running one aborted. */
  shutdown(): void {
    if (this.#phase === 'waiting' && this.#commit === 'none') {
      this.#respondError(
        new HcError('RELAY_E_HC_SHUTDOWN', 'the listener is shutting down', {
          requestId: excerpt(this.id),
        }),
      );
    } else if (this.#phase !== 'done' && this.#commit !== 'sending') {
      this.#abortWith('RELAY_E_HC_SHUTDOWN', CLOSE.goingAway);
    }
  }

  /** The grace period is over: whatever is not complete is aborted. */
  abortForShutdown(): void {
    if (this.#phase !== 'done') this.#abortWith('RELAY_E_HC_SHUTDOWN', CLOSE.goingAway);
  }

  /**
   * The rendezvous socket this request came on (or its response used) is gone, or could not be
   * opened (`code`: why, e.g. RELAY_E_HC_ADDRESS when the dial policy refused it).
   */
  channelLost(code: HcErrorCode = 'RELAY_E_HC_RENDEZVOUS'): void {
    this.#abortWith(code, CLOSE.abnormal);
  }

  /** GateEntry: a slot is free for this request. */
  start(): void {
    if (this.#phase !== 'waiting' || this.#commit !== 'none') {
      // Answered while waiting (deadline, shutdown): hand the slot on.
      this.#host.gate.leave();
      return;
    }
    this.#phase = 'running';
    let request = this.#request;
    if (request === undefined) {
      request = new WholeBody();
      const body = this.#body ?? EMPTY;
      for (let at = 0; at < body.length; at += BODY_CHUNK) {
        request.push(body.subarray(at, Math.min(at + BODY_CHUNK, body.length)));
      }
      request.push(null);
      this.#request = request;
    }
    const writable = new ResponseBody(this);
    this.#writable = writable;
    const req = new RelayedRequest(this, request);
    const res = new RelayedResponse(this, writable);
    let result: unknown;
    try {
      result = this.#host.handler(req, res);
    } catch (e) {
      this.#handlerFailed(e);
      return;
    }
    if (result instanceof Promise) {
      result.then(undefined, (e: unknown) => {
        this.#handlerFailed(e);
      });
    }
  }

  // -------------------------------------------------------------------------------------
  // What the handler's request, response and body objects call (not for the handler itself)

  /** Body bytes so far (the whole size once the body ended). */
  get bodySize(): number {
    return this.#size;
  }

  get requestMethod(): string {
    return this.#method ?? 'GET';
  }

  get requestTarget(): string {
    return this.#target;
  }

  get requestHeaders(): Readonly<Record<string, string>> {
    return this.#headers;
  }

  get originMode(): HcMode {
    return this.#origin.mode;
  }

  get abortSignal(): AbortSignal {
    return this.#signal();
  }

  get hasStatus(): boolean {
    return this.#status !== undefined;
  }

  setStatus(code: number, description: string | undefined, headers: HcHeaders | undefined): void {
    this.#setStatus(code, description, headers);
  }

  writeBody(chunk: Buffer, cb: (error?: Error | null) => void): void {
    this.#write(chunk, cb);
  }

  finalBody(cb: (error?: Error | null) => void): void {
    this.#final(cb);
  }

  /** res.body was destroyed: by the listener, or by the handler before the response completed. */
  bodyDestroyed(err: Error | null): void {
    if (!this.#ownDestroy && this.#commit !== 'complete' && this.#commit !== 'aborted') {
      this.#handlerFailed(err ?? new Error('the response body was destroyed'));
    }
  }

  // -------------------------------------------------------------------------------------
  // Response

  #setStatus(code: number, description: string | undefined, headers: HcHeaders | undefined): void {
    if (this.#status !== undefined) {
      throw new HcError('RELAY_E_HC_STATUS', 'status() was already called for this response');
    }
    if (this.#commit !== 'none') {
      throw new HcError('RELAY_E_HC_STATUS', 'the response is already complete or aborted');
    }
    checkStatus(code, description);
    const prepared = prepareResponseHeaders(headers);
    this.#status = {
      code,
      description: description ?? STATUS_CODES[code],
      headers: prepared.headers,
      contentLength: prepared.contentLength,
      headerBytes: headerJsonBytes(prepared.headers, CONTROL_HEADER_LIMIT),
    };
  }

  #mustStream(): boolean {
    const s = this.#status;
    if (s === undefined) return false;
    return (
      this.#buffered > CONTROL_BODY_LIMIT ||
      (s.contentLength ?? 0) > CONTROL_BODY_LIMIT ||
      s.headerBytes > CONTROL_HEADER_LIMIT
    );
  }

  #write(chunk: Buffer, cb: (error?: Error | null) => void): void {
    if (this.#commit === 'complete' || this.#commit === 'aborted' || this.#commit === 'sending') {
      cb(new Error('the response is already complete or aborted'));
      return;
    }
    if (this.#status === undefined) this.#setStatus(200, undefined, undefined);
    if (this.#stream !== undefined) {
      this.#streamChunk(this.#stream, chunk, cb);
      return;
    }
    if (this.#upgrading !== undefined) {
      this.#upgrading.then(
        (ch) => {
          this.#streamChunk(ch, chunk, cb);
        },
        (e: unknown) => {
          cb(asError(e));
        },
      );
      return;
    }
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
    }
    if (this.#mustStream()) {
      this.#upgrade().then(
        () => {
          cb();
        },
        (e: unknown) => {
          cb(asError(e));
        },
      );
    } else cb();
  }

  #streamChunk(ch: ResponseChannel, chunk: Buffer, cb: (error?: Error | null) => void): void {
    if (this.#commit !== 'streaming') {
      cb(new Error('the response is already complete or aborted'));
      return;
    }
    if (chunk.length === 0) {
      cb();
      return;
    }
    ch.sendBinary(chunk, false).then(
      () => {
        this.#bytes += chunk.length;
        this.#armIdle();
        cb();
      },
      (e: unknown) => {
        this.#abortWith('RELAY_E_HC_RENDEZVOUS', CLOSE.abnormal);
        cb(asError(e));
      },
    );
  }

  #final(cb: (error?: Error | null) => void): void {
    if (this.#commit === 'complete' || this.#commit === 'aborted' || this.#commit === 'sending') {
      cb(new Error('the response is already complete or aborted'));
      return;
    }
    if (this.#status === undefined) this.#setStatus(200, undefined, undefined);
    const status = this.#status;
    if (status === undefined) return;
    if (this.#upgrading !== undefined || this.#stream !== undefined) {
      const upgrading = this.#upgrading ?? Promise.resolve(this.#stream);
      upgrading
        .then((ch) => {
          if (ch === undefined) throw new Error('no rendezvous socket');
          return ch.sendBinary(EMPTY, true);
        })
        .then(
          () => {
            this.#completed(status.code);
            cb();
          },
          (e: unknown) => {
            this.#abortWith('RELAY_E_HC_RENDEZVOUS', CLOSE.abnormal);
            cb(asError(e));
          },
        );
      return;
    }
    const body =
      this.#chunks.length === 1 ? (this.#chunks[0] ?? EMPTY) : Buffer.concat(this.#chunks);
    this.#chunks = [];
    this.#sendWhole(status, body, cb);
  }

  /**
   * Sends a whole response (header frame + at most one body message); `done` runs when it was
   * handed to the network, or with the error that aborted it. (Callbacks, not async: this is on
   * every request's path.)
   */
  #sendWhole(status: StatusLine, body: Buffer, done: (error?: Error) => void): void {
    this.#commit = 'sending';
    this.#clearDeadline();
    const frame = responseFrame({
      requestId: this.id,
      statusCode: status.code,
      statusDescription: status.description,
      headers: status.headers,
      body: body.length > 0,
    });
    const payload = body.length > 0 ? body : undefined;
    let sending: Promise<unknown>;
    if (this.#origin.mode === 'control') {
      const sent = this.#host.sendOnControl(frame, payload, this.#origin.connection);
      if (sent !== undefined) {
        this.#mode = 'control';
        sending = sent;
      } else {
        // The control channel is down (reconnecting or closed): the request's address is
        // valid for answering this request.
        sending = this.#openRendezvous().then((ch) => {
          this.#mode = 'rendezvous';
          return sendOn(ch, frame, payload);
        });
      }
    } else {
      sending = sendOn(this.#origin.channel, frame, payload);
    }
    sending.then(
      () => {
        this.#bytes = body.length;
        this.#completed(status.code);
        done();
      },
      (e: unknown) => {
        this.#abortWith(
          isHcErrorCode(e) ??
            (this.#mode === 'control' ? 'RELAY_E_HC_CLOSED' : 'RELAY_E_HC_RENDEZVOUS'),
          CLOSE.abnormal,
        );
        done(asError(e));
      },
    );
  }

  async #openRendezvous(): Promise<ResponseChannel> {
    if (this.#opened !== undefined) {
      await this.#opened.whenOpen();
      return this.#opened;
    }
    if (this.#address === undefined) {
      throw new HcError(
        'RELAY_E_HC_RENDEZVOUS',
        'the response needs a rendezvous socket but the request carried no address',
        { requestId: excerpt(this.id) },
      );
    }
    const ch = this.#host.rendezvousFor(this, this.#address);
    this.#opened = ch;
    await ch.whenOpen();
    return ch;
  }

  /** Commits the status on a rendezvous socket and flushes what is buffered. */
  #upgrade(): Promise<ResponseChannel> {
    if (this.#upgrading !== undefined) return this.#upgrading;
    const status = this.#status;
    if (status === undefined) return Promise.reject(new Error('no status'));
    this.#commit = 'streaming';
    this.#clearDeadline();
    this.#mode = 'rendezvous';
    const run = async (): Promise<ResponseChannel> => {
      const ch =
        this.#origin.mode === 'rendezvous' ? this.#origin.channel : await this.#openRendezvous();
      if (!this.#isStreaming()) throw new Error('the response was aborted');
      await ch.sendText(
        responseFrame({
          requestId: this.id,
          statusCode: status.code,
          statusDescription: status.description,
          headers: status.headers,
          body: true,
        }),
      );
      const chunks = this.#chunks;
      this.#chunks = [];
      this.#buffered = 0;
      for (const chunk of chunks) {
        if (!this.#isStreaming()) throw new Error('the response was aborted');
        await ch.sendBinary(chunk, false);
        this.#bytes += chunk.length;
      }
      this.#stream = ch;
      this.#armIdle();
      return ch;
    };
    const upgrading = run();
    this.#upgrading = upgrading;
    upgrading.catch((e: unknown) => {
      this.#abortWith(isHcErrorCode(e) ?? 'RELAY_E_HC_RENDEZVOUS', CLOSE.abnormal);
    });
    return upgrading;
  }

  /** Read through a method: the state changes while an upgrade awaits. */
  #isStreaming(): boolean {
    return this.#commit === 'streaming';
  }

  #completed(status: number): void {
    if (this.#commit === 'complete' || this.#commit === 'aborted') return;
    this.#commit = 'complete';
    if (this.#host.events.has('relay:hc:response-sent')) {
      this.#host.events.publish('relay:hc:response-sent', {
        requestId: this.id,
        status,
        mode: this.#mode,
        bytes: this.#bytes,
      });
    }
    if (this.#host.logger.isLevelEnabled('debug')) {
      this.#log.debug({ status, bytes: this.#bytes, via: this.#mode }, 'response sent');
    }
    this.#finish();
  }

  // -------------------------------------------------------------------------------------
  // Failure paths

  /** Answers with the error's status and a JSON body naming only its code and the request. */
  #respondError(error: HcError): void {
    if (this.#commit === 'streaming') {
      this.#abortWith(error.code, CLOSE.internalError);
      return;
    }
    if (this.#commit !== 'none') return;
    this.#abortSignal(error);
    this.#destroyStreams();
    const code = error.http ?? 500;
    const body = Buffer.from(
      JSON.stringify({ code: error.code, message: error.message, requestId: this.id }),
      'utf8',
    );
    const status: StatusLine = {
      code,
      description: STATUS_CODES[code],
      headers: { 'Content-Type': 'application/json' },
      contentLength: body.length,
      headerBytes: 0,
    };
    this.#status ??= status;
    this.#sendWhole(status, body, noop);
  }

  #handlerFailed(e: unknown): void {
    if (this.#commit === 'complete' || this.#commit === 'aborted') return;
    // The listener already decided this request (413, deadline, shutdown): the handler failing
    // now is the listener's doing, not a fault of its own.
    if (this.#abortReason !== undefined) return;
    const error =
      e instanceof HcError && e.code === 'RELAY_E_HC_STATUS'
        ? e
        : new HcError('RELAY_E_HC_HANDLER', 'the request could not be handled', {
            requestId: excerpt(this.id),
          });
    this.#log.warn({ err: e }, 'the handler failed');
    this.#host.fault(error, this.id);
    if (this.#commit === 'none') this.#respondError(error);
    else if (this.#commit === 'streaming') this.#abortWith(error.code, CLOSE.internalError);
  }

  #onDeadline(): void {
    this.#deadline = undefined;
    if (this.#commit !== 'none') return;
    if (this.#phase === 'waiting') {
      this.#respondError(
        new HcError('RELAY_E_HC_DEADLINE', 'the request waited too long for a free slot', {
          requestId: excerpt(this.id),
        }),
      );
    } else if (this.#phase === 'running') {
      if (this.#status === undefined) {
        this.#respondError(
          new HcError('RELAY_E_HC_DEADLINE', 'the dispatcher did not answer in time', {
            requestId: excerpt(this.id),
          }),
        );
      } else {
        // The status is known but the body is still coming: commit it on a rendezvous socket
        // now so the service gets the response frame within its 60 s.
        this.#upgrade().catch(() => undefined);
      }
    }
  }

  #armIdle(): void {
    if (this.#idle !== undefined) this.#host.scheduler.clearTimer(this.#idle);
    this.#idle = this.#host.scheduler.setTimer(() => {
      this.#idle = undefined;
      this.#abortWith('RELAY_E_HC_DEADLINE', CLOSE.internalError);
    }, this.#host.config.responseDeadlineMs);
  }

  #abortWith(code: HcErrorCode, closeCode: number): void {
    if (this.#commit === 'complete' || this.#commit === 'aborted' || this.#phase === 'done') return;
    const wasStreaming = this.#commit === 'streaming';
    this.#commit = 'aborted';
    this.#abortSignal(new HcError(code, 'the request was aborted'));
    this.#destroyStreams();
    const ch = this.#stream ?? this.#opened;
    if (wasStreaming && ch !== undefined) ch.abort(closeCode, 'response aborted');
    else if (this.#origin.mode === 'rendezvous' && closeCode !== CLOSE.abnormal) {
      this.#origin.channel.abort(closeCode, 'response aborted');
    }
    this.#host.events.publish('relay:hc:response-aborted', {
      requestId: this.id,
      code,
      mode: this.#mode,
    });
    this.#log.warn({ code }, 'response aborted');
    this.#finish();
  }

  #destroyStreams(): void {
    this.#ownDestroy = true;
    this.#bodyOpen = false;
    this.#feed = undefined;
    this.#request?.destroy();
    this.#writable?.destroy();
  }

  #clearDeadline(): void {
    if (this.#deadline !== undefined) this.#host.scheduler.clearTimer(this.#deadline);
    this.#deadline = undefined;
  }

  #finish(): void {
    if (this.#phase === 'done') return;
    const phase = this.#phase;
    this.#phase = 'done';
    this.#clearDeadline();
    if (this.#idle !== undefined) this.#host.scheduler.clearTimer(this.#idle);
    this.#idle = undefined;
    if (phase === 'running') this.#host.gate.leave();
    else if (phase === 'waiting') this.#host.gate.remove(this);
    if (this.#origin.mode === 'rendezvous') this.#origin.channel.release(this, this.#closeAfter);
    if (this.#opened !== undefined) this.#opened.release(this, undefined);
    this.#host.finished(this);
    this.#resolveDone?.();
  }
}

function sendOn(ch: ResponseChannel, frame: string, body: Buffer | undefined): Promise<unknown> {
  // Both sends are queued before either settles, so nothing can come between them.
  const sends = [ch.sendText(frame)];
  if (body !== undefined) sends.push(ch.sendBinary(body, true));
  return Promise.all(sends);
}

function noop(): void {
  // an 'error' listener that only keeps an unlistened error from crashing the relay
}

/** A body that arrived whole: pushed at once, nothing to read on demand. */
class WholeBody extends Readable {
  constructor() {
    super({ autoDestroy: false, emitClose: false });
    // Failures are reported as events; an unlistened 'error' must not crash the relay.
    this.on('error', noop);
  }

  override _read(): void {
    // everything is pushed already
  }
}

/** res.body: its write and final callbacks are the exchange's (and the back-pressure). */
class ResponseBody extends Writable {
  readonly #exchange: Exchange;

  constructor(exchange: Exchange) {
    // No autoDestroy: a destroy is then always someone's decision (see bodyDestroyed).
    super({ highWaterMark: BODY_CHUNK, autoDestroy: false, emitClose: false });
    this.#exchange = exchange;
    this.on('error', noop);
  }

  override _write(chunk: Buffer, _encoding: string, cb: (error?: Error | null) => void): void {
    this.#exchange.writeBody(chunk, cb);
  }

  override _final(cb: (error?: Error | null) => void): void {
    this.#exchange.finalBody(cb);
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.#exchange.bodyDestroyed(err);
    cb(null);
  }
}

/** The handler's request: fields, plus size and signal read from the exchange when asked. */
class RelayedRequest implements HcRequest {
  readonly id: string;
  readonly method: string;
  readonly target: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Readable;
  readonly mode: HcMode;
  readonly #exchange: Exchange;

  constructor(exchange: Exchange, body: Readable) {
    this.#exchange = exchange;
    this.id = exchange.id;
    this.method = exchange.requestMethod;
    this.target = exchange.requestTarget;
    this.headers = exchange.requestHeaders;
    this.body = body;
    this.mode = exchange.originMode;
    Object.freeze(this);
  }

  get size(): number {
    return this.#exchange.bodySize;
  }

  get signal(): AbortSignal {
    return this.#exchange.abortSignal;
  }
}

/** The handler's response. */
class RelayedResponse implements HcResponse {
  readonly body: Writable;
  readonly #exchange: Exchange;

  constructor(exchange: Exchange, body: Writable) {
    this.#exchange = exchange;
    this.body = body;
    Object.freeze(this);
  }

  get statusSet(): boolean {
    return this.#exchange.hasStatus;
  }

  status(code: number, description?: string, headers?: HcHeaders): void {
    this.#exchange.setStatus(code, description, headers);
  }

  send(code: number, data?: string | Uint8Array, headers?: HcHeaders): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#exchange.setStatus(code, undefined, headers);
      // end()'s callback runs at 'finish', or with the error if the body is destroyed first
      // (lighter than stream.finished() on every response).
      this.body.end(data, (err?: Error | null) => {
        if (err) reject(err);
        else resolve();
      });
    });
  }
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error('failed');
}

function isHcErrorCode(e: unknown): HcErrorCode | undefined {
  return e instanceof HcError ? e.code : undefined;
}
