// One relayed HTTP request and its response. In: a request header and body from the control
// channel or a rendezvous socket, the relay's handler, the concurrency gate and a deadline.
// Out: exactly one outcome — a response sent whole on the channel it may use (control channel
// when the body is at most 64 KiB, else streamed over rendezvous with back-pressure), an
// immediate refusal (400/413/503), or an abort reported on relay:hc:response-aborted.
import { STATUS_CODES } from 'node:http';
import { Readable, Writable } from 'node:stream';
import type { Logger } from 'pino';
import { HcError, type HcErrorCode } from './errors';
import type { RefusedRequest } from './hc-assembler';
import { CONTROL_BODY_LIMIT, CONTROL_HEADER_LIMIT, type HcListenerConfig } from './hc-config';
import type { HcEventPublisher } from './hc-events';
import { checkStatus, excerpt, prepareResponseHeaders, responseFrame } from './hc-frames';
import type { RequestHead } from './hc-frames';
import type { ConcurrencyGate, GateEntry } from './hc-gate';
import type { HcHandler, HcHeaders, HcMode, HcRequest, HcResponse } from './hc-handler';
import type { Scheduler, TimerHandle } from './scheduler';
import { CLOSE } from './socket';

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

export class Exchange implements GateEntry {
  readonly id: string;
  readonly #host: ExchangeHost;
  readonly #origin: Origin;
  readonly #method: string | undefined;
  readonly #target: string;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #address: string | undefined;
  readonly #body: Buffer | undefined;
  readonly #size: number;
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

  /** The rendezvous socket this request came on (or its response used) is gone. */
  channelLost(): void {
    this.#abortWith('RELAY_E_HC_RENDEZVOUS', CLOSE.abnormal);
  }

  /** GateEntry: a slot is free for this request. */
  start(): void {
    if (this.#phase !== 'waiting' || this.#commit !== 'none') {
      // Answered while waiting (deadline, shutdown): hand the slot on.
      this.#host.gate.leave();
      return;
    }
    this.#phase = 'running';
    const request = new Readable({ read: () => undefined });
    request.on('error', () => undefined);
    const body = this.#body ?? EMPTY;
    for (let at = 0; at < body.length; at += BODY_CHUNK) {
      request.push(body.subarray(at, Math.min(at + BODY_CHUNK, body.length)));
    }
    request.push(null);
    this.#request = request;

    const writable = new Writable({
      highWaterMark: BODY_CHUNK,
      write: (chunk: Buffer, _enc, cb) => {
        this.#write(chunk, cb);
      },
      final: (cb) => {
        this.#final(cb);
      },
      destroy: (err, cb) => {
        // autoDestroy lands here after every normal finish too: only a destroy before the
        // response completed is the handler's failure (and only then is an Error made).
        if (!this.#ownDestroy && this.#commit !== 'complete' && this.#commit !== 'aborted') {
          this.#handlerFailed(err ?? new Error('the response body was destroyed'));
        }
        cb(null);
      },
    });
    // Failures are reported as events; an unlistened 'error' must not crash the relay.
    writable.on('error', () => undefined);
    this.#writable = writable;

    const signal = (): AbortSignal => this.#signal();
    const req: HcRequest = Object.freeze({
      id: this.id,
      method: this.#method ?? 'GET',
      target: this.#target,
      headers: this.#headers,
      body: request,
      size: this.#size,
      mode: this.#origin.mode,
      get signal() {
        return signal();
      },
    });
    const statusSet = (): boolean => this.#status !== undefined;
    const res: HcResponse = {
      status: (code: number, description?: string, headers?: HcHeaders) => {
        this.#setStatus(code, description, headers);
      },
      body: writable,
      get statusSet() {
        return statusSet();
      },
      send: (code: number, data?: string | Uint8Array, headers?: HcHeaders) =>
        new Promise<void>((resolve, reject) => {
          this.#setStatus(code, undefined, headers);
          // end()'s callback runs at 'finish', or with the error if the body is destroyed
          // first (lighter than stream.finished() on every response).
          writable.end(data, (err?: Error | null) => {
            if (err) reject(err);
            else resolve();
          });
        }),
    };
    let result: unknown;
    try {
      result = this.#host.handler(req, Object.freeze(res));
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
      headerBytes: Buffer.byteLength(JSON.stringify(prepared.headers)),
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
    this.#sendWhole(status, body).then(
      () => {
        cb();
      },
      (e: unknown) => {
        cb(asError(e));
      },
    );
  }

  /** Sends a whole response (header frame + at most one body message). */
  async #sendWhole(status: StatusLine, body: Buffer): Promise<void> {
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
    try {
      if (this.#origin.mode === 'control') {
        const sent = this.#host.sendOnControl(frame, payload, this.#origin.connection);
        if (sent !== undefined) {
          this.#mode = 'control';
          await sent;
        } else {
          // The control channel is down (reconnecting or closed): the request's address is
          // valid for answering this request.
          const ch = await this.#openRendezvous();
          this.#mode = 'rendezvous';
          await sendOn(ch, frame, payload);
        }
      } else {
        await sendOn(this.#origin.channel, frame, payload);
      }
    } catch (e) {
      this.#abortWith(
        isHcErrorCode(e) ??
          (this.#mode === 'control' ? 'RELAY_E_HC_CLOSED' : 'RELAY_E_HC_RENDEZVOUS'),
        CLOSE.abnormal,
      );
      throw asError(e);
    }
    this.#bytes = body.length;
    this.#completed(status.code);
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
    this.#host.events.publish('relay:hc:response-sent', {
      requestId: this.id,
      status,
      mode: this.#mode,
      bytes: this.#bytes,
    });
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
    this.#sendWhole(status, body).catch(() => undefined);
  }

  #handlerFailed(e: unknown): void {
    if (this.#commit === 'complete' || this.#commit === 'aborted') return;
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

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error('failed');
}

function isHcErrorCode(e: unknown): HcErrorCode | undefined {
  return e instanceof HcError ? e.code : undefined;
}
