// One rendezvous WebSocket (`sb-hc-action=request`). In: an address from the service, dialled
// as given (after the dial policy, which may answer later, with the logical Host kept), and the
// messages the service sends on it. Out: requests handed to the listener one at a time (a
// rendezvous socket carries one sender's requests in order), each body streamed to its request
// as frames arrive — reading stops while the handler's stream is full, and a body over
// maxRequestBytes is answered 413 and the socket closed without reading the rest — the
// responses' frames, and a close: after the last response when idle for rendezvousIdleMs (0: at
// once), after a refusal that must close it, when a body was left unread, or on abort.
import type { Logger } from 'pino';
import { HcError, isHcError } from './errors';
import { RequestAssembler, type AssembledRequest } from './hc-assembler';
import type { HcListenerConfig } from './hc-config';
import type { HcEventPublisher } from './hc-events';
import type { BodyFeed, Exchange, ResponseChannel } from './hc-exchange';
import { excerpt } from './hc-frames';
import type { Scheduler, TimerHandle } from './scheduler';
import {
  CLOSE,
  type DialTarget,
  type HcSocket,
  type SocketFactory,
  type SocketOptions,
  type StreamingHcSocket,
} from './socket';

/** What a rendezvous channel needs from the listener. */
export interface RendezvousHost {
  readonly config: HcListenerConfig;
  readonly scheduler: Scheduler;
  readonly events: HcEventPublisher;
  readonly logger: Logger;
  readonly sockets: SocketFactory;
  isClosing(): boolean;
  /** The largest message a socket accepts. */
  readonly maxMessageBytes: number;
  /**
   * Makes the exchange for a request that arrived on `channel` (not yet dispatched); a whole
   * or refused request is announced (relay:hc:request-received) now, a streamed one by
   * received() when its body is complete or failed.
   */
  createExchange(item: AssembledRequest, channel: RendezvousChannel): Exchange;
  /** A streamed request's body is complete (or failed) after `size` bytes. */
  received(exchange: Exchange, method: string, size: number): void;
  /** Bytes of one streamed body held for its handler (stream + socket), for the peak figure. */
  noteBuffered(bytes: number): void;
  /** Dispatches (or refuses) an exchange made by createExchange. */
  launch(exchange: Exchange, item: AssembledRequest, channel: RendezvousChannel): void;
  fault(error: HcError, requestId?: string): void;
  channelClosed(channel: RendezvousChannel): void;
}

export interface RendezvousOptions {
  /** The request whose notice or response opened this socket (for events). */
  readonly requestId: string | undefined;
  /** A control-channel request whose response this socket was opened for. */
  readonly bound: Exchange | undefined;
}

type State = 'connecting' | 'open' | 'closing' | 'closed';

/** At most this many requests wait behind the one being answered on one socket. */
const MAX_PIPELINED = 1;

interface Queued {
  readonly item: AssembledRequest;
  /** Made at arrival for a streamed request (its body needs somewhere to go). */
  readonly exchange: Exchange | undefined;
}

export class RendezvousChannel implements ResponseChannel, BodyFeed {
  readonly #host: RendezvousHost;
  /** Undefined until the dial policy answered. */
  #socket: HcSocket | undefined;
  /** The same socket when it streams (pause/resume); undefined for whole-message sockets. */
  #streaming: StreamingHcSocket | undefined;
  readonly #assembler: RequestAssembler;
  readonly #requestId: string | undefined;
  readonly #log: Logger;
  #state: State = 'connecting';
  #everOpened = false;
  #current: Exchange | undefined;
  #bound: Exchange | undefined;
  /** The request whose body is arriving now. */
  #inbound: { readonly exchange: Exchange; readonly method: string } | undefined;
  #dialError: HcError | undefined;
  readonly #queue: Queued[] = [];
  #timer: TimerHandle | undefined;
  #refusal: { status: number; description: string } | undefined;
  #error: string | undefined;
  readonly #opened: Promise<void>;
  #resolveOpened: () => void = () => undefined;
  #rejectOpened: (e: HcError) => void = () => undefined;
  readonly #closed: Promise<void>;
  #resolveClosed: () => void = () => undefined;

  constructor(
    host: RendezvousHost,
    target: DialTarget | Promise<DialTarget>,
    options: RendezvousOptions,
  ) {
    this.#host = host;
    this.#requestId = options.requestId;
    this.#bound = options.bound;
    this.#current = options.bound;
    this.#log = host.logger.child({ rendezvous: options.requestId ?? '(notice)' });
    this.#opened = new Promise<void>((resolve, reject) => {
      this.#resolveOpened = resolve;
      this.#rejectOpened = reject;
    });
    this.#opened.catch(() => undefined);
    this.#closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    this.#assembler = new RequestAssembler(
      host.config.maxRequestBytes,
      {
        request: (item) => {
          this.#enqueue(item);
        },
        rendezvous: () => {
          host.fault(
            new HcError('RELAY_E_HC_FRAME', 'a rendezvous notice arrived on a rendezvous socket'),
          );
        },
        accept: () => {
          host.fault(new HcError('RELAY_E_HC_FRAME', 'an accept arrived on a rendezvous socket'));
        },
        fault: (error) => {
          host.fault(error, this.#requestId);
        },
      },
      (id) => this.#bound?.id === id,
      {
        data: (chunk) => {
          this.#bodyData(chunk);
        },
        end: (size) => {
          this.#bodyEnd(size);
        },
        failed: (error, size) => {
          this.#bodyFailed(error, size);
        },
      },
    );
    this.#timer = host.scheduler.setTimer(() => {
      this.#timer = undefined;
      this.#error = 'the rendezvous handshake timed out';
      this.#terminateSocket();
    }, host.config.handshakeTimeoutMs);
    if (target instanceof Promise) {
      target.then(
        (t) => {
          this.#open(t);
        },
        (e: unknown) => {
          this.#dialFailed(e);
        },
      );
    } else this.#open(target);
  }

  #open(target: DialTarget): void {
    if (this.#state !== 'connecting' || this.#socket !== undefined) return;
    const host = this.#host;
    const options: SocketOptions = {
      url: target.url,
      headers: target.headers,
      maxMessageBytes: host.maxMessageBytes,
      ...(target.servername !== undefined ? { servername: target.servername } : {}),
    };
    const common = {
      onOpen: () => {
        this.#onOpen();
      },
      onText: (text: string) => {
        this.#assembler.text(text);
      },
      onPong: () => undefined,
      onRefused: (status: number, description: string) => {
        this.#refusal = { status, description: excerpt(description) };
      },
      onError: (error: Error) => {
        this.#error = excerpt(error.message);
      },
      onClose: (code: number, reason: string) => {
        this.#onClose(code, reason);
      },
    };
    if (host.sockets.openStreaming !== undefined) {
      const socket = host.sockets.openStreaming(options, {
        ...common,
        onBinaryPiece: (data, fin) => {
          this.#assembler.piece(data, fin);
        },
      });
      this.#streaming = socket;
      this.#socket = socket;
    } else {
      // Whole messages: each is one piece with fin.
      this.#socket = host.sockets.open(options, {
        ...common,
        onBinary: (data) => {
          this.#assembler.piece(data, true);
        },
      });
    }
  }

  #dialFailed(e: unknown): void {
    if (this.#state === 'closed' || this.#socket !== undefined) return;
    this.#dialError = isHcError(e)
      ? e
      : new HcError('RELAY_E_HC_ADDRESS', 'the dial policy refused the rendezvous address');
    this.#onClose(CLOSE.abnormal, '');
  }

  /** Drops the socket (or, while the dial policy has not answered, gives up on it). */
  #terminateSocket(): void {
    if (this.#socket !== undefined) this.#socket.terminate();
    else if (this.#state !== 'closed') this.#onClose(CLOSE.abnormal, '');
  }

  // --- BodyFeed: the handler read, so read on.

  resume(): void {
    if (this.#state === 'open') this.#streaming?.resume();
  }

  get isOpen(): boolean {
    return this.#state === 'open';
  }

  /** Resolves when the socket is closed. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  whenOpen(): Promise<void> {
    return this.#opened;
  }

  sendText(text: string): Promise<void> {
    if (this.#state !== 'open' || this.#socket === undefined) return Promise.reject(notOpen());
    return this.#socket.sendText(text);
  }

  sendBinary(data: Uint8Array, fin: boolean): Promise<void> {
    if (this.#state !== 'open' || this.#socket === undefined) return Promise.reject(notOpen());
    return this.#socket.sendBinary(data, fin);
  }

  release(exchange: Exchange, closeCode: number | undefined): void {
    if (this.#bound === exchange) this.#bound = undefined;
    const bodyLeft = this.#inbound?.exchange === exchange;
    if (bodyLeft) this.#inbound = undefined;
    if (this.#current !== exchange) {
      // A queued request that ended before its turn (its socket is going anyway).
      const at = this.#queue.findIndex((q) => q.exchange === exchange);
      if (at !== -1) this.#queue.splice(at, 1);
      return;
    }
    this.#current = undefined;
    if (closeCode !== undefined) {
      this.close(closeCode, 'request refused');
      return;
    }
    if (bodyLeft) {
      // Answered before its body was read: reading the rest only to drop it costs more than a
      // new socket, so this one closes (after the response, which is already sent).
      this.close(CLOSE.normal, 'request body not read');
      return;
    }
    if (this.#host.isClosing()) {
      this.close(CLOSE.normal, 'listener closing');
      return;
    }
    if (!this.#pump() && this.#state === 'open') this.#idle();
  }

  abort(code: number, reason: string): void {
    if (code === CLOSE.abnormal) this.#terminateSocket();
    else this.close(code, reason);
  }

  /** Starts the closing handshake; the socket is dropped if it does not finish in time. */
  close(code: number, reason: string): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    const wasConnecting = this.#state === 'connecting';
    this.#state = 'closing';
    this.#clearTimer();
    const socket = this.#socket;
    if (wasConnecting || socket === undefined) {
      this.#terminateSocket();
      return;
    }
    socket.close(code, reason);
    this.#timer = this.#host.scheduler.setTimer(() => {
      this.#timer = undefined;
      socket.terminate();
    }, this.#host.config.closeTimeoutMs);
  }

  /** Closes the socket now if it has no request in hand (used by close() of the listener). */
  closeIfIdle(): void {
    if (this.#current === undefined && this.#queue.length === 0) {
      this.close(CLOSE.normal, 'listener closing');
    }
  }

  terminate(): void {
    this.#terminateSocket();
  }

  #onOpen(): void {
    if (this.#state !== 'connecting') return;
    this.#state = 'open';
    this.#everOpened = true;
    this.#clearTimer();
    this.#host.events.publish('relay:hc:rendezvous', {
      requestId: this.#requestId,
      event: 'open',
    });
    this.#resolveOpened();
    if (this.#current === undefined) {
      // Opened for a notice: the service sends the request promptly.
      this.#timer = this.#host.scheduler.setTimer(() => {
        this.#timer = undefined;
        this.#host.fault(
          new HcError('RELAY_E_HC_RENDEZVOUS', 'no request arrived on the rendezvous socket'),
          this.#requestId,
        );
        this.close(CLOSE.normal, 'no request');
      }, this.#host.config.responseDeadlineMs);
    }
  }

  #enqueue(item: AssembledRequest): void {
    if (this.#state !== 'open') return;
    if (this.#queue.length >= MAX_PIPELINED) {
      this.#host.fault(
        new HcError('RELAY_E_HC_FRAME', 'too many requests pipelined on one rendezvous socket', {
          requestId: excerpt(item.head.id),
        }),
        item.head.id,
      );
      this.close(CLOSE.policy, 'too many pipelined requests');
      return;
    }
    let exchange: Exchange | undefined;
    if (item.kind === 'streamed') {
      exchange = this.#host.createExchange(item, this);
      exchange.streamBody(this);
      this.#inbound = { exchange, method: item.head.method };
    }
    this.#queue.push({ item, exchange });
    this.#pump();
  }

  #bodyData(chunk: Buffer): void {
    const inbound = this.#inbound;
    if (inbound === undefined) return;
    const { exchange } = inbound;
    const more = exchange.bodyData(chunk);
    if (!more) this.#streaming?.pause();
    this.#host.noteBuffered(exchange.bodyBuffered + (this.#streaming?.bufferedBytes ?? 0));
  }

  #bodyEnd(size: number): void {
    const inbound = this.#inbound;
    if (inbound === undefined) return;
    this.#inbound = undefined;
    this.#host.received(inbound.exchange, inbound.method, size);
    inbound.exchange.bodyEnd();
  }

  #bodyFailed(error: HcError, size: number): void {
    const inbound = this.#inbound;
    if (inbound === undefined) return;
    this.#inbound = undefined;
    this.#host.received(inbound.exchange, inbound.method, size);
    inbound.exchange.bodyFailed(error);
  }

  /** Starts the next queued request; true when one is in hand afterwards. */
  #pump(): boolean {
    if (this.#current !== undefined) return true;
    if (this.#state !== 'open') return false;
    const next = this.#queue.shift();
    if (next === undefined) return false;
    this.#clearTimer();
    const exchange = next.exchange ?? this.#host.createExchange(next.item, this);
    this.#current = exchange;
    this.#host.launch(exchange, next.item, this);
    return true;
  }

  #idle(): void {
    this.#clearTimer();
    const idleMs = this.#host.config.rendezvousIdleMs;
    if (idleMs === 0) {
      this.close(CLOSE.normal, 'done');
      return;
    }
    this.#timer = this.#host.scheduler.setTimer(() => {
      this.#timer = undefined;
      this.close(CLOSE.normal, 'idle');
    }, idleMs);
  }

  #onClose(code: number, reason: string): void {
    const wasOpen = this.#everOpened;
    this.#state = 'closed';
    this.#clearTimer();
    let lostBecause: HcError | undefined;
    if (!wasOpen) {
      const status = this.#refusal?.status;
      const error =
        this.#dialError ??
        new HcError(
          'RELAY_E_HC_RENDEZVOUS',
          status !== undefined
            ? `the rendezvous socket was refused with ${status}`
            : `the rendezvous socket could not be opened: ${this.#error ?? `closed with ${code}`}`,
          { requestId: excerpt(this.#requestId ?? ''), status, code },
        );
      lostBecause = error;
      this.#rejectOpened(error);
      this.#host.events.publish('relay:hc:rendezvous', {
        requestId: this.#requestId,
        event: 'failed',
        status,
        code,
      });
      this.#host.fault(error, this.#requestId);
    } else {
      const pending = this.#assembler.pendingId;
      if (code === CLOSE.tooBig && pending !== undefined) {
        // A whole-message transport refused a body over maxMessageBytes before it was whole:
        // no 413 can be sent on a socket that is already closing.
        this.#host.fault(
          new HcError(
            'RELAY_E_HC_TOO_LARGE',
            'a request body over the limit closed its rendezvous socket',
            {
              requestId: excerpt(pending),
            },
          ),
          pending,
        );
      }
      this.#host.events.publish('relay:hc:rendezvous', {
        requestId: this.#requestId,
        event: 'closed',
        code,
        reason: excerpt(reason),
      });
    }
    this.#log.debug({ code }, 'rendezvous closed');
    const current = this.#current;
    this.#current = undefined;
    this.#bound = undefined;
    this.#inbound = undefined;
    current?.channelLost(lostBecause?.code);
    for (const { item, exchange } of this.#queue.splice(0)) {
      this.#host.fault(
        new HcError('RELAY_E_HC_RENDEZVOUS', 'a request was lost with its rendezvous socket', {
          requestId: excerpt(item.head.id),
        }),
        item.head.id,
      );
      exchange?.channelLost();
    }
    this.#host.channelClosed(this);
    this.#resolveClosed();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#host.scheduler.clearTimer(this.#timer);
    this.#timer = undefined;
  }
}

function notOpen(): HcError {
  return new HcError('RELAY_E_HC_RENDEZVOUS', 'the rendezvous socket is not open');
}
