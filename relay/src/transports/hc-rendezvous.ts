// One rendezvous WebSocket (`sb-hc-action=request`). In: an address from the service, dialled
// as given (after the dial policy, with the logical Host kept), and the messages the service
// sends on it. Out: requests handed to the listener one at a time (a rendezvous socket carries
// one sender's requests in order), the responses' frames, and a close: after the last response
// when idle for rendezvousIdleMs (0: at once), after a refusal that must close it, or on abort.
import type { Logger } from 'pino';
import { HcError } from './errors';
import { RequestAssembler, type AssembledRequest } from './hc-assembler';
import type { HcListenerConfig } from './hc-config';
import type { HcEventPublisher } from './hc-events';
import type { Exchange, ResponseChannel } from './hc-exchange';
import { excerpt } from './hc-frames';
import type { Scheduler, TimerHandle } from './scheduler';
import { CLOSE, type DialTarget, type HcSocket, type SocketFactory } from './socket';

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
  /** Makes the exchange for a request that arrived on `channel` (not yet dispatched). */
  createExchange(item: AssembledRequest, channel: RendezvousChannel): Exchange;
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

export class RendezvousChannel implements ResponseChannel {
  readonly #host: RendezvousHost;
  readonly #socket: HcSocket;
  readonly #assembler: RequestAssembler;
  readonly #requestId: string | undefined;
  readonly #log: Logger;
  #state: State = 'connecting';
  #everOpened = false;
  #current: Exchange | undefined;
  #bound: Exchange | undefined;
  readonly #queue: AssembledRequest[] = [];
  #timer: TimerHandle | undefined;
  #refusal: { status: number; description: string } | undefined;
  #error: string | undefined;
  readonly #opened: Promise<void>;
  #resolveOpened: () => void = () => undefined;
  #rejectOpened: (e: HcError) => void = () => undefined;
  readonly #closed: Promise<void>;
  #resolveClosed: () => void = () => undefined;

  constructor(host: RendezvousHost, target: DialTarget, options: RendezvousOptions) {
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
    );
    this.#timer = host.scheduler.setTimer(() => {
      this.#timer = undefined;
      this.#error = 'the rendezvous handshake timed out';
      this.#socket.terminate();
    }, host.config.handshakeTimeoutMs);
    this.#socket = host.sockets.open(
      {
        url: target.url,
        headers: target.headers,
        maxMessageBytes: host.maxMessageBytes,
        ...(target.servername !== undefined ? { servername: target.servername } : {}),
      },
      {
        onOpen: () => {
          this.#onOpen();
        },
        onText: (text) => {
          this.#assembler.text(text);
        },
        onBinary: (data) => {
          this.#assembler.binary(data);
        },
        onPong: () => undefined,
        onRefused: (status, description) => {
          this.#refusal = { status, description: excerpt(description) };
        },
        onError: (error) => {
          this.#error = excerpt(error.message);
        },
        onClose: (code, reason) => {
          this.#onClose(code, reason);
        },
      },
    );
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
    if (this.#state !== 'open') return Promise.reject(notOpen());
    return this.#socket.sendText(text);
  }

  sendBinary(data: Uint8Array, fin: boolean): Promise<void> {
    if (this.#state !== 'open') return Promise.reject(notOpen());
    return this.#socket.sendBinary(data, fin);
  }

  release(exchange: Exchange, closeCode: number | undefined): void {
    if (this.#bound === exchange) this.#bound = undefined;
    if (this.#current !== exchange) return;
    this.#current = undefined;
    if (closeCode !== undefined) {
      this.close(closeCode, 'request refused');
      return;
    }
    if (this.#host.isClosing()) {
      this.close(CLOSE.normal, 'listener closing');
      return;
    }
    if (!this.#pump() && this.#state === 'open') this.#idle();
  }

  abort(code: number, reason: string): void {
    if (code === CLOSE.abnormal) this.#socket.terminate();
    else this.close(code, reason);
  }

  /** Starts the closing handshake; the socket is dropped if it does not finish in time. */
  close(code: number, reason: string): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    const wasConnecting = this.#state === 'connecting';
    this.#state = 'closing';
    this.#clearTimer();
    if (wasConnecting) {
      this.#socket.terminate();
      return;
    }
    this.#socket.close(code, reason);
    this.#timer = this.#host.scheduler.setTimer(() => {
      this.#timer = undefined;
      this.#socket.terminate();
    }, this.#host.config.closeTimeoutMs);
  }

  /** Closes the socket now if it has no request in hand (used by close() of the listener). */
  closeIfIdle(): void {
    if (this.#current === undefined && this.#queue.length === 0) {
      this.close(CLOSE.normal, 'listener closing');
    }
  }

  terminate(): void {
    this.#socket.terminate();
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
    this.#queue.push(item);
    this.#pump();
  }

  /** Starts the next queued request; true when one is in hand afterwards. */
  #pump(): boolean {
    if (this.#current !== undefined) return true;
    if (this.#state !== 'open') return false;
    const item = this.#queue.shift();
    if (item === undefined) return false;
    this.#clearTimer();
    const exchange = this.#host.createExchange(item, this);
    this.#current = exchange;
    this.#host.launch(exchange, item, this);
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
    if (!wasOpen) {
      const status = this.#refusal?.status;
      const error = new HcError(
        'RELAY_E_HC_RENDEZVOUS',
        status !== undefined
          ? `the rendezvous socket was refused with ${status}`
          : `the rendezvous socket could not be opened: ${this.#error ?? `closed with ${code}`}`,
        { requestId: excerpt(this.#requestId ?? ''), status, code },
      );
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
        // The transport refused a body over maxMessageBytes before it was whole: no 413 can
        // be sent on a socket that is already closing (see docs/relay/hybrid-listener.md).
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
    current?.channelLost();
    for (const item of this.#queue.splice(0)) {
      this.#host.fault(
        new HcError('RELAY_E_HC_RENDEZVOUS', 'a request was lost with its rendezvous socket', {
          requestId: excerpt(item.head.id),
        }),
        item.head.id,
      );
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
