// The relay's Hybrid Connections listener. In: a listener config (validated here), the relay's
// request handler, and injected IO (socket factory, scheduler, randomness, logger, dial map).
// Out: an outbound control channel `wss://{ns}/$hc/{path}?sb-hc-action=listen` kept open (token
// renewal, keep-alive pings, half-open detection, reconnects with jitter), requests served
// through the handler, typed refusals and faults as events, and a clean close().
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { EventEmitter } from 'node:events';
import pino, { type Logger } from 'pino';
import { createSasToken } from '../protocol/sas';
import { HcError, isHcError, type HcErrorCode } from './errors';
import { RequestAssembler, type AssembledRequest } from './hc-assembler';
import { reconnectDelay } from './hc-backoff';
import {
  CONTROL_BODY_LIMIT,
  CONTROL_HEADER_LIMIT,
  parseHcListenerConfig,
  type HcListenerConfig,
  type HcListenerConfigInput,
} from './hc-config';
import { HcEventPublisher } from './hc-events';
import { Exchange, type ExchangeHost, type ResponseChannel } from './hc-exchange';
import { excerpt, listenUrl, rejectUrl, renewTokenFrame, sanitizeUrl } from './hc-frames';
import { ConcurrencyGate } from './hc-gate';
import type { HcHandler } from './hc-handler';
import { RendezvousChannel, type RendezvousHost } from './hc-rendezvous';
import { systemScheduler, type RandomSource, type Scheduler, type TimerHandle } from './scheduler';
import { CLOSE, type DialTarget, type HcSocket, type SocketFactory } from './socket';
import { wsSocketFactory } from './ws-socket';

/** Paths a pino logger given to the listener should redact (the listener never logs them). */
export const HC_LOG_REDACT: readonly string[] = Object.freeze([
  'headers.ServiceBusAuthorization',
  'headers.servicebusauthorization',
  'headers.authorization',
  'headers.Authorization',
  'headers["sb-hc-token"]',
  'token',
  'key',
]);

/** Why a URL is dialled. */
export type DialPurpose = 'control' | 'rendezvous' | 'reject';

export interface HcListenerDeps {
  /** The relay's dispatcher. */
  readonly handler: HcHandler;
  /**
   * The WebSocket transport (default: wsSocketFactory(): `ws` for the control channel, the
   * listener's own streaming client for rendezvous sockets, whose bodies must not be joined).
   */
  readonly sockets?: SocketFactory;
  readonly scheduler?: Scheduler;
  /** Jitter source, uniform in [0, 1) (default Math.random). */
  readonly random?: RandomSource;
  /** A pino logger; a child is made per connection and per request (default: silent). */
  readonly logger?: Logger;
  /**
   * The endpoint map and egress policy: turns a logical URL into the one to dial (e.g. the
   * loopback port of a simulator proxy), at once or later (a DNS check is asynchronous), or
   * throws / rejects to refuse it (RELAY_E_HC_ADDRESS). Default: dial as given.
   */
  readonly dial?: DialPolicy;
}

/** The dial dependency: the URL to dial for a logical one, now or later; throw to refuse. */
export type DialPolicy = (url: URL, purpose: DialPurpose) => URL | Promise<URL>;

export type HcListenerState =
  'idle' | 'connecting' | 'connected' | 'waiting' | 'closing' | 'closed' | 'failed';

export interface HcListenerEvents {
  /** The control channel is open. */
  connected: [];
  /** An open control channel was lost (a reconnect follows). */
  disconnected: [error: HcError];
  /** A connect attempt failed (401/403/404 or another handshake failure). */
  refused: [error: HcError];
  /** A typed problem that did not stop the listener (malformed frame, handler failure, ...). */
  fault: [error: HcError];
  /** The listener gave up (maxRefusals consecutive 401/403/404): it will not reconnect. */
  failed: [error: HcError];
  /** close() finished. */
  closed: [];
}

/** 401/403/404: refusals that a retry with the same configuration rarely cures. */
const REFUSAL_CODES: ReadonlySet<HcErrorCode> = new Set([
  'RELAY_E_HC_UNAUTHORIZED',
  'RELAY_E_HC_FORBIDDEN',
  'RELAY_E_HC_NOT_FOUND',
]);

/** Classifies a refused opening handshake by its HTTP status. */
export function classifyHandshake(status: number, description: string): HcError {
  const details = { status, description: excerpt(description) };
  switch (status) {
    case 401:
      return new HcError(
        'RELAY_E_HC_UNAUTHORIZED',
        'the service refused the listener token (401)',
        details,
      );
    case 403:
      return new HcError(
        'RELAY_E_HC_FORBIDDEN',
        'the token does not grant Listen on this hybrid connection (403)',
        details,
      );
    case 404:
      return new HcError('RELAY_E_HC_NOT_FOUND', 'no such hybrid connection (404)', details);
    default:
      return new HcError(
        'RELAY_E_HC_HANDSHAKE',
        `the service answered the handshake with ${status}`,
        details,
      );
  }
}

/** True for failures worth retrying on the normal schedule without counting as refusals. */
export function isRetryable(error: HcError): boolean {
  return !REFUSAL_CODES.has(error.code);
}

interface ControlConnection {
  readonly n: number;
  readonly socket: HcSocket;
  readonly assembler: RequestAssembler;
  readonly log: Logger;
  openedAt: number | undefined;
  closing: boolean;
  refusal: HcError | undefined;
  error: string | undefined;
  timedOut: boolean;
  pingTimedOut: boolean;
  handshakeTimer: TimerHandle | undefined;
  renewTimer: TimerHandle | undefined;
  pingTimer: TimerHandle | undefined;
  pongTimer: TimerHandle | undefined;
  closeTimer: TimerHandle | undefined;
  pingSentAt: number;
}

const parsedConfigs = new WeakSet<object>();

/** Validates config input (or passes an already parsed config through). */
export function listenerConfig(input: HcListenerConfigInput | HcListenerConfig): HcListenerConfig {
  if (typeof input === 'object' && parsedConfigs.has(input)) return input as HcListenerConfig;
  const config = parseHcListenerConfig(input);
  parsedConfigs.add(config);
  return config;
}

export class HybridListener extends EventEmitter<HcListenerEvents> {
  readonly config: HcListenerConfig;
  readonly #handler: HcHandler;
  readonly #sockets: SocketFactory;
  readonly #scheduler: Scheduler;
  readonly #random: RandomSource;
  readonly #logger: Logger;
  readonly #dial: DialPolicy | undefined;
  readonly #events: HcEventPublisher;
  readonly #gate: ConcurrencyGate;
  readonly #maxMessageBytes: number;
  readonly #exchangeHost: ExchangeHost;
  readonly #rendezvousHost: RendezvousHost;
  #state: HcListenerState = 'idle';
  #control: ControlConnection | undefined;
  #connects = 0;
  #backoff = 0;
  #refusals = 0;
  #reconnectTimer: TimerHandle | undefined;
  readonly #exchanges = new Set<Exchange>();
  readonly #channels = new Set<RendezvousChannel>();
  readonly #probes = new Set<HcSocket>();
  readonly #ready: Promise<void>;
  #readySettled = false;
  #resolveReady: () => void = () => undefined;
  #rejectReady: (e: HcError) => void = () => undefined;
  #closing: Promise<void> | undefined;
  #resolveClosing: () => void = () => undefined;
  #graceTimer: TimerHandle | undefined;
  #aborted = 0;
  #peakBuffered = 0;

  constructor(config: HcListenerConfigInput | HcListenerConfig, deps: HcListenerDeps) {
    super();
    this.config = listenerConfig(config);
    this.#handler = deps.handler;
    this.#sockets = deps.sockets ?? wsSocketFactory();
    this.#scheduler = deps.scheduler ?? systemScheduler;
    this.#random = deps.random ?? Math.random;
    this.#dial = deps.dial;
    const instance = randomUUID();
    this.#logger = (deps.logger ?? pino({ level: 'silent' })).child({
      component: 'hc-listener',
      path: this.config.path,
      instance,
    });
    this.#events = new HcEventPublisher(this.config.path, instance);
    this.#gate = new ConcurrencyGate(this.config.maxConcurrent, this.config.maxQueued);
    this.#maxMessageBytes = Math.max(
      this.config.maxRequestBytes,
      2 * (CONTROL_BODY_LIMIT + CONTROL_HEADER_LIMIT),
    );
    this.#ready = new Promise<void>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.#ready.catch(() => undefined);
    this.#exchangeHost = this.#makeExchangeHost();
    this.#rendezvousHost = this.#makeRendezvousHost();
  }

  get state(): HcListenerState {
    return this.#state;
  }

  /** Requests dispatched and not yet answered. */
  get inFlight(): number {
    return this.#gate.active;
  }

  /** Requests waiting for a free slot. */
  get queued(): number {
    return this.#gate.queued;
  }

  /** Open or opening rendezvous sockets. */
  get rendezvousCount(): number {
    return this.#channels.size;
  }

  /**
   * The most bytes of one streamed request body held at once since the listener was made:
   * arrived and not yet read by its handler (its body stream plus what its socket kept while
   * paused). Reading stops at 64 KiB in the stream, so this stays near that plus one network
   * read, however slowly a handler reads.
   */
  get peakBufferedRequestBytes(): number {
    return this.#peakBuffered;
  }

  /** Starts connecting (once). */
  start(): this {
    if (this.#state === 'idle') this.#connect();
    return this;
  }

  /**
   * Resolves when the control channel is first open; rejects with the HcError that made the
   * listener give up, or RELAY_E_HC_SHUTDOWN when close() came first.
   */
  ready(): Promise<void> {
    return this.#ready;
  }

  /**
   * Stops reconnecting, answers waiting requests 503, closes the control channel (1000), lets
   * running requests finish for shutdownGraceMs (their responses go over rendezvous), then
   * aborts what is left. Resolves when every socket is closed. Safe to call more than once.
   */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#closing = new Promise((resolve) => {
      this.#resolveClosing = resolve;
    });
    const previous = this.#state;
    this.#state = 'closing';
    this.#settleReady(
      new HcError('RELAY_E_HC_SHUTDOWN', 'the listener was closed before it connected'),
    );
    if (this.#reconnectTimer !== undefined) this.#scheduler.clearTimer(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    this.#logger.info({ from: previous }, 'closing');

    for (const ex of [...this.#exchanges]) if (ex.waiting) ex.shutdown();
    const control = this.#control;
    if (control !== undefined) this.#closeControl(control);
    for (const ch of [...this.#channels]) ch.closeIfIdle();
    for (const probe of [...this.#probes]) probe.terminate();

    this.#graceTimer = this.#scheduler.setTimer(() => {
      this.#graceTimer = undefined;
      for (const ex of [...this.#exchanges]) {
        this.#aborted++;
        ex.abortForShutdown();
      }
      for (const ch of [...this.#channels]) ch.terminate();
      if (this.#control !== undefined) this.#control.socket.terminate();
    }, this.config.shutdownGraceMs);
    this.#checkClosed();
    return this.#closing;
  }

  // -------------------------------------------------------------------------------------
  // Control channel

  #connect(): void {
    if (this.#state === 'closing' || this.#state === 'closed' || this.#state === 'failed') return;
    this.#reconnectTimer = undefined;
    this.#state = 'connecting';
    const n = ++this.#connects;
    let token: string;
    try {
      token = this.#token();
    } catch (e) {
      this.#fail(asConfigError(e));
      return;
    }
    const useQuery = this.config.tokenPlacement === 'query' || !this.#sockets.canSetHeaders;
    const logical = listenUrl(this.config, useQuery ? token : undefined);
    this.#events.publish('relay:hc:connecting', { attempt: n, url: sanitizeUrl(logical) });
    const log = this.#logger.child({ connection: n });
    log.debug({ url: sanitizeUrl(logical) }, 'connecting');
    let mapped: DialTarget | Promise<DialTarget>;
    try {
      mapped = this.#mapUrl(logical, 'control');
    } catch (e) {
      this.#connectFailed(n, asAddressError(e, 'control'), log);
      return;
    }
    if (mapped instanceof Promise) {
      // The dial policy answers later: within the handshake bound, like the handshake itself.
      let settled = false;
      const live = (): boolean => {
        if (settled || this.#connects !== n || this.#state !== 'connecting') return false;
        settled = true;
        this.#scheduler.clearTimer(timer);
        return true;
      };
      const timer = this.#scheduler.setTimer(() => {
        if (live()) {
          this.#connectFailed(
            n,
            addressError('the dial policy did not answer within the handshake bound'),
            log,
          );
        }
      }, this.config.handshakeTimeoutMs);
      mapped.then(
        (target) => {
          if (live()) this.#openControl(n, target, token, useQuery, log);
        },
        (e: unknown) => {
          if (live()) this.#connectFailed(n, asAddressError(e, 'control'), log);
        },
      );
      return;
    }
    this.#openControl(n, mapped, token, useQuery, log);
  }

  #openControl(n: number, target: DialTarget, token: string, useQuery: boolean, log: Logger): void {
    const headers: Record<string, string> = {
      ...target.headers,
      ...(useQuery ? {} : { ServiceBusAuthorization: token }),
    };

    const assembler = new RequestAssembler(this.config.maxRequestBytes, {
      request: (item) => {
        this.#controlRequest(item, n);
      },
      rendezvous: (address, id) => {
        this.#openNotice(address, id);
      },
      accept: (id, address) => {
        this.#rejectAccept(id, address);
      },
      fault: (error) => {
        this.#fault(error);
      },
    });
    // Socket factories report asynchronously, so `ref.conn` is set before any handler runs.
    const ref: { conn?: ControlConnection } = {};
    const current = (): ControlConnection | undefined =>
      ref.conn !== undefined && this.#control === ref.conn ? ref.conn : undefined;
    const socket = this.#sockets.open(
      {
        url: target.url,
        headers,
        maxMessageBytes: this.#maxMessageBytes,
        ...(target.servername !== undefined ? { servername: target.servername } : {}),
      },
      {
        onOpen: () => {
          const c = current();
          if (c !== undefined) this.#onOpen(c);
        },
        onText: (text) => {
          const c = current();
          if (c === undefined) return;
          this.#alive(c);
          c.assembler.text(text);
        },
        onBinary: (data) => {
          const c = current();
          if (c === undefined) return;
          this.#alive(c);
          c.assembler.binary(data);
        },
        onPong: () => {
          const c = current();
          if (c === undefined) return;
          this.#events.publish('relay:hc:pong');
          this.#alive(c);
        },
        onRefused: (status, description) => {
          if (ref.conn !== undefined) ref.conn.refusal = classifyHandshake(status, description);
        },
        onError: (error) => {
          if (ref.conn !== undefined) ref.conn.error = excerpt(error.message);
        },
        onClose: (code, reason) => {
          if (ref.conn !== undefined) this.#onClose(ref.conn, code, reason);
        },
      },
    );
    const conn: ControlConnection = {
      n,
      socket,
      assembler,
      log,
      openedAt: undefined,
      closing: false,
      refusal: undefined,
      error: undefined,
      timedOut: false,
      pingTimedOut: false,
      handshakeTimer: undefined,
      renewTimer: undefined,
      pingTimer: undefined,
      pongTimer: undefined,
      closeTimer: undefined,
      pingSentAt: 0,
    };
    ref.conn = conn;
    this.#control = conn;
    conn.handshakeTimer = this.#scheduler.setTimer(() => {
      conn.handshakeTimer = undefined;
      conn.timedOut = true;
      conn.socket.terminate();
    }, this.config.handshakeTimeoutMs);
  }

  #token(): string {
    return createSasToken(
      {
        resource: this.config.tokenResource,
        keyName: this.config.keyName,
        key: this.config.key,
        ttlSeconds: this.config.tokenTtlSeconds,
      },
      { clock: { now: () => this.#scheduler.now() } },
    );
  }

  #onOpen(conn: ControlConnection): void {
    if (this.#control !== conn) return;
    this.#clear(conn, 'handshakeTimer');
    conn.openedAt = this.#scheduler.now();
    if (this.#state === 'closing') {
      this.#closeControl(conn);
      return;
    }
    this.#state = 'connected';
    this.#refusals = 0;
    this.#events.publish('relay:hc:connected', { attempt: conn.n });
    conn.log.info('control channel open');
    this.#scheduleRenewal(conn);
    this.#schedulePing(conn);
    this.#settleReady(undefined);
    this.emit('connected');
  }

  #onClose(conn: ControlConnection, code: number, reason: string): void {
    for (const t of [
      'handshakeTimer',
      'renewTimer',
      'pingTimer',
      'pongTimer',
      'closeTimer',
    ] as const) {
      this.#clear(conn, t);
    }
    if (this.#control === conn) this.#control = undefined;
    const opened = conn.openedAt !== undefined;
    if (opened) {
      this.#events.publish('relay:hc:closed', {
        attempt: conn.n,
        code,
        reason: excerpt(reason),
        by: conn.closing || conn.pingTimedOut ? 'listener' : 'service',
      });
      conn.log.info({ code }, 'control channel closed');
    }
    if (this.#state === 'closing') {
      this.#checkClosed();
      return;
    }
    if (this.#state === 'closed' || this.#state === 'failed') return;

    if (opened) {
      const error = conn.pingTimedOut
        ? new HcError('RELAY_E_HC_PING_TIMEOUT', 'no pong came back: the channel was half-open')
        : new HcError('RELAY_E_HC_CLOSED', closeMessage(code), {
            code,
            reason: excerpt(reason),
          });
      this.emit('disconnected', error);
      const lived = this.#scheduler.now() - (conn.openedAt ?? 0);
      if (lived >= this.config.healthyAfterMs) this.#backoff = 0;
      this.#scheduleReconnect(error.code);
      return;
    }

    const error =
      conn.refusal ??
      new HcError(
        'RELAY_E_HC_HANDSHAKE',
        conn.timedOut
          ? 'the control channel handshake timed out'
          : `the control channel could not be opened: ${conn.error ?? `closed with ${code}`}`,
        { code },
      );
    this.#connectFailed(conn.n, error, conn.log);
  }

  /** A connect attempt failed (refused, not opened, or its dial refused): maybe retry. */
  #connectFailed(attempt: number, error: HcError, log: Logger): void {
    const retryable = isRetryable(error);
    this.#events.publish('relay:hc:refused', {
      attempt,
      status: typeof error.details.status === 'number' ? error.details.status : undefined,
      code: error.code,
      retryable,
    });
    log.warn({ code: error.code }, 'connect attempt failed');
    this.emit('refused', error);
    if (!retryable) {
      this.#refusals++;
      if (this.#refusals >= this.config.maxRefusals) {
        this.#fail(error);
        return;
      }
    }
    this.#scheduleReconnect(error.code);
  }

  #scheduleReconnect(reason: string): void {
    const attempt = this.#backoff++;
    const delayMs = reconnectDelay(
      attempt,
      this.config.reconnectDelaysMs,
      this.config.reconnectJitter,
      this.#random,
    );
    this.#state = 'waiting';
    this.#events.publish('relay:hc:reconnect-scheduled', { attempt, delayMs, reason });
    this.#reconnectTimer = this.#scheduler.setTimer(() => {
      this.#connect();
    }, delayMs);
  }

  #fail(error: HcError): void {
    this.#state = 'failed';
    this.#events.publish('relay:hc:failed', {
      code: error.code,
      status: typeof error.details.status === 'number' ? error.details.status : undefined,
    });
    this.#logger.error({ code: error.code }, 'listener gave up');
    this.#settleReady(error);
    this.emit('failed', error);
  }

  #closeControl(conn: ControlConnection): void {
    if (conn.closing) return;
    conn.closing = true;
    for (const t of ['handshakeTimer', 'renewTimer', 'pingTimer', 'pongTimer'] as const) {
      this.#clear(conn, t);
    }
    if (conn.openedAt === undefined) {
      conn.socket.terminate();
      return;
    }
    conn.socket.close(CLOSE.normal, 'listener closing');
    conn.closeTimer = this.#scheduler.setTimer(() => {
      conn.closeTimer = undefined;
      conn.socket.terminate();
    }, this.config.closeTimeoutMs);
  }

  #scheduleRenewal(conn: ControlConnection): void {
    const afterMs = Math.floor(this.config.tokenTtlSeconds * 1000 * this.config.renewAtFraction);
    conn.renewTimer = this.#scheduler.setTimer(() => {
      conn.renewTimer = undefined;
      this.#renew(conn);
    }, afterMs);
  }

  #renew(conn: ControlConnection): void {
    if (this.#control !== conn || conn.closing) return;
    let token: string;
    try {
      token = this.#token();
    } catch (e) {
      this.#fault(asConfigError(e));
      return;
    }
    const expiresAt = Math.floor(this.#scheduler.now() / 1000) + this.config.tokenTtlSeconds;
    conn.socket.sendText(renewTokenFrame(token)).then(
      () => {
        this.#events.publish('relay:hc:token-renewed', { expiresAt });
        conn.log.debug({ expiresAt }, 'token renewed');
      },
      () => {
        this.#fault(new HcError('RELAY_E_HC_CLOSED', 'the renewToken frame could not be sent'));
      },
    );
    this.#scheduleRenewal(conn);
  }

  #schedulePing(conn: ControlConnection): void {
    if (!this.#sockets.canPing) return;
    conn.pingTimer = this.#scheduler.setTimer(() => {
      conn.pingTimer = undefined;
      this.#ping(conn);
    }, this.config.pingIntervalMs);
  }

  #ping(conn: ControlConnection): void {
    if (this.#control !== conn || conn.closing) return;
    if (conn.socket.ping()) {
      this.#events.publish('relay:hc:ping');
      if (conn.pongTimer === undefined) {
        conn.pingSentAt = this.#scheduler.now();
        conn.pongTimer = this.#scheduler.setTimer(() => {
          conn.pongTimer = undefined;
          this.#pingTimeout(conn);
        }, this.config.pongTimeoutMs);
      }
    }
    this.#schedulePing(conn);
  }

  #pingTimeout(conn: ControlConnection): void {
    if (this.#control !== conn || conn.closing) return;
    const waitedMs = this.#scheduler.now() - conn.pingSentAt;
    this.#events.publish('relay:hc:ping-timeout', { waitedMs });
    this.#fault(
      new HcError('RELAY_E_HC_PING_TIMEOUT', 'no pong within the bound: dropping the channel', {
        waitedMs,
      }),
    );
    conn.pingTimedOut = true;
    conn.socket.terminate();
  }

  /** Any frame from the service proves the channel is alive. */
  #alive(conn: ControlConnection): void {
    this.#clear(conn, 'pongTimer');
  }

  #clear(
    conn: ControlConnection,
    key: 'handshakeTimer' | 'renewTimer' | 'pingTimer' | 'pongTimer' | 'closeTimer',
  ): void {
    const t = conn[key];
    if (t !== undefined) this.#scheduler.clearTimer(t);
    conn[key] = undefined;
  }

  // -------------------------------------------------------------------------------------
  // Requests

  #controlRequest(item: AssembledRequest, connection: number): void {
    this.#announce(item, 'control');
    const ex = new Exchange(
      this.#exchangeHost,
      { mode: 'control', connection },
      item.head,
      bodyOf(item),
      item.size,
    );
    this.#exchanges.add(ex);
    if (item.kind === 'refused') ex.refuse(item.error);
    else if (this.#state === 'closing') ex.refuse(shutdownError(item.head.id));
    else ex.dispatch();
  }

  #announce(item: AssembledRequest, mode: 'control' | 'rendezvous'): void {
    if (!this.#events.has('relay:hc:request-received')) return;
    this.#events.publish('relay:hc:request-received', {
      requestId: item.head.id,
      mode,
      method: item.head.method,
      size: item.size,
    });
  }

  #openNotice(address: string, id: string | undefined): void {
    let target: DialTarget | Promise<DialTarget>;
    try {
      target = this.#rendezvousUrl(address);
    } catch (e) {
      this.#fault(isHcError(e) ? e : addressError('refused by the dial policy'), id);
      return;
    }
    const ch = new RendezvousChannel(this.#rendezvousHost, target, {
      requestId: id,
      bound: undefined,
    });
    this.#channels.add(ch);
  }

  #rejectAccept(id: string, address: string): void {
    if (this.#state === 'closing') return;
    const status = 501;
    let target: DialTarget | Promise<DialTarget>;
    try {
      target = this.#rendezvousUrl(
        rejectUrl(address, status, 'this relay serves HTTP requests only'),
        'reject',
      );
    } catch (e) {
      this.#fault(isHcError(e) ? e : addressError('refused by the dial policy'), id);
      return;
    }
    if (target instanceof Promise) {
      target.then(
        (t) => {
          if (this.#state !== 'closing' && this.#state !== 'closed') this.#probe(id, t, status);
        },
        (e: unknown) => {
          this.#fault(isHcError(e) ? e : addressError('refused by the dial policy'), id);
        },
      );
      return;
    }
    this.#probe(id, target, status);
  }

  /** Dials a reject URL; the service answers it (410) and the socket is dropped. */
  #probe(id: string, target: DialTarget, status: number): void {
    let answered: number | undefined;
    const socket = this.#sockets.open(
      {
        url: target.url,
        headers: target.headers,
        maxMessageBytes: CONTROL_HEADER_LIMIT,
        ...(target.servername !== undefined ? { servername: target.servername } : {}),
      },
      {
        onOpen: () => {
          // The service should refuse (410); an open socket is closed at once.
          socket.close(CLOSE.normal, 'rejected');
        },
        onText: () => undefined,
        onBinary: () => undefined,
        onPong: () => undefined,
        onRefused: (s) => {
          answered = s;
        },
        onError: () => undefined,
        onClose: () => {
          this.#scheduler.clearTimer(timer);
          this.#probes.delete(socket);
          this.#events.publish('relay:hc:accept-rejected', { id, status, answered });
          this.#checkClosed();
        },
      },
    );
    this.#probes.add(socket);
    const timer = this.#scheduler.setTimer(() => {
      socket.terminate();
    }, this.config.handshakeTimeoutMs);
  }

  /** Checks a rendezvous address from the service and maps it for dialling. */
  #rendezvousUrl(
    address: string,
    purpose: DialPurpose = 'rendezvous',
  ): DialTarget | Promise<DialTarget> {
    let url: URL;
    try {
      url = new URL(address);
    } catch {
      throw addressError('the rendezvous address is not a URL');
    }
    if (url.protocol !== 'wss:' && !(url.protocol === 'ws:' && this.config.insecure)) {
      throw addressError(
        url.protocol === 'ws:'
          ? 'a plain ws:// rendezvous address needs the insecure (development) flag'
          : 'the rendezvous address is not a ws/wss URL',
      );
    }
    if (url.username !== '' || url.password !== '') {
      throw addressError('the rendezvous address carries user info');
    }
    if (!sameService(url.hostname, this.config.host)) {
      throw addressError('the rendezvous host is outside the namespace domain', {
        host: excerpt(url.hostname),
      });
    }
    return this.#mapUrl(url.toString(), purpose);
  }

  /**
   * The target for a logical URL after the dial policy: at once when it answers at once, else a
   * promise. A refusal (thrown or rejected) is an HcError, RELAY_E_HC_ADDRESS unless the policy
   * threw an HcError of its own.
   */
  #mapUrl(logical: string, purpose: DialPurpose): DialTarget | Promise<DialTarget> {
    if (this.#dial === undefined) return { url: logical, headers: {} };
    let mapped: URL | Promise<URL>;
    try {
      mapped = this.#dial(new URL(logical), purpose);
    } catch (e) {
      throw asAddressError(e, purpose);
    }
    if (mapped instanceof Promise) {
      return mapped.then(
        (url) => dialTarget(new URL(logical), url),
        (e: unknown) => {
          throw asAddressError(e, purpose);
        },
      );
    }
    return dialTarget(new URL(logical), mapped);
  }

  #sendOnControl(
    frame: string,
    body: Buffer | undefined,
    connection: number,
  ): Promise<void> | undefined {
    const conn = this.#control;
    // Only on the connection the request came on: a later connection is another channel.
    if (conn?.openedAt === undefined || conn.closing || conn.n !== connection) return undefined;
    // Queued back to back: nothing else can come between the response and its body. A socket
    // that fails the first send fails the second too, so the second's outcome is the answer.
    const head = conn.socket.sendText(frame);
    if (body === undefined) return head;
    head.catch(noop);
    return conn.socket.sendBinary(body, true);
  }

  #fault(error: HcError, requestId?: string): void {
    this.#events.publish('relay:hc:fault', {
      code: error.code,
      message: error.message,
      requestId,
    });
    this.#logger.warn({ code: error.code, requestId }, error.message);
    this.emit('fault', error);
  }

  #settleReady(error: HcError | undefined): void {
    if (this.#readySettled) return;
    this.#readySettled = true;
    if (error === undefined) this.#resolveReady();
    else this.#rejectReady(error);
  }

  #checkClosed(): void {
    if (this.#state !== 'closing') return;
    if (
      this.#control !== undefined ||
      this.#exchanges.size > 0 ||
      this.#channels.size > 0 ||
      this.#probes.size > 0
    ) {
      return;
    }
    if (this.#graceTimer !== undefined) this.#scheduler.clearTimer(this.#graceTimer);
    this.#graceTimer = undefined;
    this.#state = 'closed';
    this.#events.publish('relay:hc:shutdown', { aborted: this.#aborted });
    this.#logger.info({ aborted: this.#aborted }, 'closed');
    this.emit('closed');
    this.#resolveClosing();
  }

  #makeExchangeHost(): ExchangeHost {
    return {
      config: this.config,
      scheduler: this.#scheduler,
      events: this.#events,
      logger: this.#logger,
      handler: this.#handler,
      gate: this.#gate,
      sendOnControl: (frame, body, connection) => this.#sendOnControl(frame, body, connection),
      rendezvousFor: (exchange, address): ResponseChannel => {
        const target = this.#rendezvousUrl(address);
        const ch = new RendezvousChannel(this.#rendezvousHost, target, {
          requestId: exchange.id,
          bound: exchange,
        });
        this.#channels.add(ch);
        return ch;
      },
      fault: (error, requestId) => {
        this.#fault(error, requestId);
      },
      finished: (exchange) => {
        this.#exchanges.delete(exchange);
        this.#checkClosed();
      },
    };
  }

  #makeRendezvousHost(): RendezvousHost {
    return {
      config: this.config,
      scheduler: this.#scheduler,
      events: this.#events,
      logger: this.#logger,
      sockets: this.#sockets,
      isClosing: () => this.#state === 'closing',
      maxMessageBytes: this.#maxMessageBytes,
      createExchange: (item, channel) => {
        if (item.kind !== 'streamed') this.#announce(item, 'rendezvous');
        const ex = new Exchange(
          this.#exchangeHost,
          { mode: 'rendezvous', channel },
          item.head,
          bodyOf(item),
          item.size,
        );
        this.#exchanges.add(ex);
        return ex;
      },
      launch: (ex, item) => {
        if (item.kind === 'refused') {
          ex.refuse(
            item.error,
            item.error.code === 'RELAY_E_HC_TOO_LARGE' ? CLOSE.tooBig : undefined,
          );
        } else if (this.#state === 'closing') {
          ex.refuse(shutdownError(item.head.id), CLOSE.normal);
        } else ex.dispatch();
      },
      received: (exchange, method, size) => {
        this.#events.publish('relay:hc:request-received', {
          requestId: exchange.id,
          mode: 'rendezvous',
          method,
          size,
        });
      },
      noteBuffered: (bytes) => {
        if (bytes > this.#peakBuffered) this.#peakBuffered = bytes;
      },
      fault: (error, requestId) => {
        this.#fault(error, requestId);
      },
      channelClosed: (channel) => {
        this.#channels.delete(channel);
        this.#checkClosed();
      },
    };
  }
}

/** Makes a listener (not yet started). */
export function createHybridListener(
  config: HcListenerConfigInput | HcListenerConfig,
  deps: HcListenerDeps,
): HybridListener {
  return new HybridListener(config, deps);
}

/**
 * The socket target for a logical URL the dial policy mapped to `mapped`. When the authority
 * changed (an endpoint map to a loopback port, a proxy), the service must still see its own
 * name: the Host header keeps the logical authority and TLS verifies the logical host name
 * (SNI). Otherwise the service would build its rendezvous addresses on the mapped address,
 * which the relay then refuses as outside the namespace.
 */
export function dialTarget(logical: URL, mapped: URL): DialTarget {
  const url = mapped.toString();
  if (mapped.host === logical.host) return { url, headers: {} };
  const name = logical.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    url,
    headers: { Host: logical.host },
    ...(isIP(name) === 0 ? { servername: name } : {}),
  };
}

function noop(): void {
  // the outcome is read from another promise
}

function bodyOf(item: AssembledRequest): Buffer | undefined {
  return item.kind === 'request' ? item.body : undefined;
}

function shutdownError(id: string): HcError {
  return new HcError('RELAY_E_HC_SHUTDOWN', 'the listener is shutting down', {
    requestId: excerpt(id),
  });
}

function addressError(message: string, details: Record<string, string> = {}): HcError {
  return new HcError('RELAY_E_HC_ADDRESS', message, details);
}

/** What the dial policy threw or rejected with, as a typed error. */
function asAddressError(e: unknown, purpose: DialPurpose): HcError {
  if (isHcError(e)) return e;
  return addressError(`the dial policy refused the ${purpose} address`);
}

function asConfigError(e: unknown): HcError {
  if (isHcError(e)) return e;
  return new HcError(
    'RELAY_E_HC_CONFIG',
    'a listener token could not be made from the configuration',
    { cause: e instanceof Error ? e.name : 'unknown' },
  );
}

function closeMessage(code: number): string {
  switch (code) {
    case 1001:
      return 'the service closed the control channel: the hybrid connection was deleted or disabled (1001)';
    case 1008:
      return 'the service closed the control channel: the token expired or its renewal was refused (1008)';
    case 1011:
      return 'the service closed the control channel after an internal error (1011)';
    default:
      return `the control channel closed (${code})`;
  }
}

const IPV4 = /^[0-9.]+$/;

/**
 * True when a rendezvous host belongs to the same service as the namespace: the same host, or
 * (for DNS names of four labels or more) the same parent domain of three labels or more, e.g.
 * a gateway node `g2-prod-xx.servicebus.windows.net` for `council-42.servicebus.windows.net`.
 */
export function sameService(host: string, namespaceHost: string): boolean {
  const a = host.toLowerCase();
  const b = namespaceHost.toLowerCase();
  if (a === b) return true;
  if (IPV4.test(a) || a.includes(':') || IPV4.test(b) || b.includes(':')) return false;
  const la = a.split('.');
  const lb = b.split('.');
  if (la.length < 4 || lb.length < 4) return false;
  return la.slice(1).join('.') === lb.slice(1).join('.');
}
