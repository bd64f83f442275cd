// The listener's WebSocket channels. In: one accepted WebSocket (a control channel, or a
// rendezvous socket a listener opened for one sender's requests) and the messages on it.
// Out: request and accept messages sent to the listener (request bodies as one binary
// message, streamed as fragments with back-pressure on rendezvous), responses handed to
// their HttpExchange, token renewal and expiry (close 1008), refusals of malformed messages
// (close 1008; 1009 when a message is over the channel's limit), and events.
import type { Duplex } from 'node:stream';
import { WebSocket, type RawData } from 'ws';
import { SasError, type SasGrant } from '../../../../relay/src/protocol/sas';
import { verifyHcToken } from './auth';
import type { EndpointContext, HybridListenerKind } from './context';
import { HC_CLOSE_CODES, SimHybridError, type SimHybridCode } from './errors';
import { HC_CHANNELS } from './events';
import type { AfterHead, HttpExchange } from './exchange';
import { parseListenerMessage, requestFrame, type ResponseFrame } from './frames';
import type { Cancel } from './scheduler';

/** A close reason fits in 123 bytes (RFC 6455 §5.5). */
function closeReason(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 120 ? clean.slice(0, 120) : clean;
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** The part both kinds of channel share: reading response messages and their bodies. */
abstract class ListenerChannel {
  readonly id: string;
  readonly path: string;
  protected readonly ctx: EndpointContext<unknown>;
  protected readonly ws: WebSocket;
  /** The socket under the WebSocket, to end it when ws stops reading it. */
  readonly #raw: Duplex;
  protected readonly kind: 'control' | 'rendezvous';
  #expect: HttpExchange | 'discard' | undefined;
  #closedBy: 'service' | 'listener' = 'listener';
  #failure: SimHybridCode = 'SIM_E_HC_LISTENER_GONE';

  constructor(
    ctx: EndpointContext<unknown>,
    ws: WebSocket,
    raw: Duplex,
    kind: 'control' | 'rendezvous',
    id: string,
    path: string,
  ) {
    this.ctx = ctx;
    this.ws = ws;
    this.#raw = raw;
    this.kind = kind;
    this.id = id;
    this.path = path;
    ws.on('message', (data, isBinary) => {
      try {
        this.#onMessage(toBuffer(data), isBinary);
      } catch (e) {
        // A bug must not take the endpoint down: this channel alone ends, with 1011.
        this.ctx.events.publish(HC_CHANNELS.protocolError, {
          channel: this.kind,
          channelId: this.id,
          path: this.path,
          code: 'SIM_E_HC_INTERNAL',
          detail: e instanceof Error ? e.message.slice(0, 200) : 'internal error',
          action: 'closed',
        });
        this.close(HC_CLOSE_CODES.SIM_E_HC_INTERNAL ?? 1011, 'internal error');
      }
    });
    ws.on('error', (e: Error & { code?: string }) => {
      // ws has sent a close frame (1009 for an oversized message, 1002/1007 otherwise) and
      // stopped reading, so the peer's reply would never be seen: end the socket once the
      // close frame is out instead of waiting 30 s for it.
      const tooLarge = e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
      this.#closedBy = 'service';
      this.#failure = tooLarge ? 'SIM_E_HC_FRAME_TOO_LARGE' : 'SIM_E_HC_LISTENER_GONE';
      this.ctx.events.publish(HC_CHANNELS.protocolError, {
        channel: this.kind,
        channelId: this.id,
        path: this.path,
        code: tooLarge ? 'SIM_E_HC_FRAME_TOO_LARGE' : 'SIM_E_HC_FRAME',
        detail: e.code ?? 'websocket error',
        action: 'closed',
      });
      this.#abandonAll(this.#failure);
      this.#raw.end();
    });
    ws.once('close', (code, reason) => {
      this.#abandonAll(this.#failure);
      this.onClosed(code, reason.toString('utf8'), this.#closedBy);
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Closes the channel from the service side; waiting senders are answered at once. */
  close(code: number, reason: string, failure: SimHybridCode = 'SIM_E_HC_LISTENER_GONE'): void {
    this.#closedBy = 'service';
    this.#failure = failure;
    this.#abandonAll(failure);
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close(code, closeReason(reason));
    }
  }

  /** Destroys the socket without a closing handshake (shutdown). */
  terminate(): void {
    this.#closedBy = 'service';
    this.ws.terminate();
  }

  protected sendText(text: string, verb: string): void {
    this.ws.send(text, { binary: false }, () => undefined);
    this.frameEvent('out', verb, Buffer.byteLength(text));
  }

  protected frameEvent(direction: 'in' | 'out', verb: string, bytes: number): void {
    this.ctx.events.publish(HC_CHANNELS.frame, {
      direction,
      channel: this.kind,
      channelId: this.id,
      path: this.path,
      verb,
      bytes,
    });
  }

  /** Refuses a malformed message: the channel is closed with the error's close code. */
  protected refuse(error: SimHybridError): void {
    this.ctx.events.publish(HC_CHANNELS.protocolError, {
      channel: this.kind,
      channelId: this.id,
      path: this.path,
      code: error.code,
      detail: error.message,
      action: 'closed',
    });
    this.close(HC_CLOSE_CODES[error.code] ?? 1008, error.message, 'SIM_E_HC_LISTENER_GONE');
  }

  protected ignored(detail: string): void {
    this.ctx.events.publish(HC_CHANNELS.protocolError, {
      channel: this.kind,
      channelId: this.id,
      path: this.path,
      code: 'SIM_E_HC_FRAME',
      detail,
      action: 'ignored',
    });
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (this.#expect !== undefined) {
      const target = this.#expect;
      this.#expect = undefined;
      this.frameEvent('in', 'body', data.length);
      if (!isBinary) {
        this.refuse(
          new SimHybridError('SIM_E_HC_FRAME', 'text message where the response body belongs'),
        );
        if (target !== 'discard')
          target.fail(
            new SimHybridError('SIM_E_HC_LISTENER_GONE', 'the listener broke its response'),
          );
        return;
      }
      if (target !== 'discard') target.responseBody(data);
      return;
    }
    if (isBinary) {
      this.frameEvent('in', 'binary', data.length);
      this.refuse(
        new SimHybridError('SIM_E_HC_FRAME', 'binary message where a JSON message belongs'),
      );
      return;
    }
    let message;
    try {
      message = parseListenerMessage(data.toString('utf8'));
    } catch (e) {
      this.frameEvent('in', 'malformed', data.length);
      if (e instanceof SimHybridError) {
        this.refuse(e);
        return;
      }
      throw e;
    }
    this.frameEvent('in', message.kind === 'unknown' ? message.verb : message.kind, data.length);
    switch (message.kind) {
      case 'response':
        this.#onResponse(message.response);
        return;
      case 'renewToken':
        this.onRenew(message.token);
        return;
      default:
        this.ignored(`unknown message "${message.verb}"`);
    }
  }

  #onResponse(frame: ResponseFrame): void {
    const exchange = this.lookup(frame.requestId);
    if (exchange === undefined) {
      this.ignored('response for no waiting request (unknown id, answered or timed out)');
      if (frame.body) this.#expect = 'discard';
      return;
    }
    this.responded(exchange);
    const after: AfterHead = exchange.responseHead(frame);
    if (after === 'body') this.#expect = exchange;
    else if (after === 'discard') this.#expect = 'discard';
  }

  /** Fails the response whose body was awaited, then every request still waiting. */
  #abandonAll(failure: SimHybridCode): void {
    const expected = this.#expect;
    this.#expect = undefined;
    if (expected !== undefined && expected !== 'discard') {
      expected.fail(
        new SimHybridError(failure, 'the channel closed before the response body arrived', {
          requestId: expected.id,
        }),
      );
    }
    this.abandon(failure);
  }

  /** Fails every request still waiting on this channel with `failure`. */
  protected abstract abandon(failure: SimHybridCode): void;
  /** The exchange a response names, if this channel may answer it. */
  protected abstract lookup(requestId: string): HttpExchange | undefined;
  /** A response for `exchange` arrived here. */
  protected abstract responded(exchange: HttpExchange): void;
  protected abstract onRenew(token: string): void;
  protected abstract onClosed(code: number, reason: string, by: 'service' | 'listener'): void;
}

export interface ControlChannelInit {
  readonly ctx: EndpointContext<unknown>;
  readonly ws: WebSocket;
  /** The socket under `ws`. */
  readonly raw: Duplex;
  readonly id: string;
  readonly clientId: string | undefined;
  readonly path: string;
  readonly via: HybridListenerKind;
  readonly remote: string;
  /** `ws[s]://authority` the listener used: where its rendezvous addresses point. */
  readonly addressBase: string;
  readonly grant: SasGrant;
  readonly onClosed: (channel: ControlChannel, code: number, reason: string, by: string) => void;
}

/** A listener's control channel: one per `sb-hc-action=listen` WebSocket. */
export class ControlChannel extends ListenerChannel {
  readonly clientId: string | undefined;
  readonly via: HybridListenerKind;
  readonly remote: string;
  readonly addressBase: string;
  readonly connectedAt: number;
  readonly #pending = new Map<string, HttpExchange>();
  readonly #notify: ControlChannelInit['onClosed'];
  #expiresAt: number;
  #cancelExpiry: Cancel | undefined;
  #closeCode: number | undefined;
  #cancelIdle: Cancel | undefined;
  #idleReason: string | undefined;

  constructor(init: ControlChannelInit) {
    super(init.ctx, init.ws, init.raw, 'control', init.id, init.path);
    this.clientId = init.clientId;
    this.via = init.via;
    this.remote = init.remote;
    this.addressBase = init.addressBase;
    this.connectedAt = init.ctx.scheduler.now();
    this.#notify = init.onClosed;
    this.#expiresAt = init.grant.expiresAt;
    this.#armExpiry();
    if (init.ctx.limits.listenerIdleTimeoutMs > 0) {
      const heard = (): void => {
        this.#armIdle();
      };
      init.ws.on('message', heard);
      init.ws.on('ping', heard);
      init.ws.on('pong', heard);
      this.#armIdle();
    }
  }

  /** Token expiry, Unix seconds. */
  get expiresAt(): number {
    return this.#expiresAt;
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Sends a request (and its body as one binary message) on the control channel. */
  dispatch(exchange: HttpExchange, body: Buffer | undefined, address: string): void {
    const r = exchange.request;
    this.#pending.set(exchange.id, exchange);
    exchange.onSettled(() => this.#pending.delete(exchange.id));
    this.sendText(
      requestFrame({
        address,
        id: exchange.id,
        requestTarget: r.requestTarget,
        method: r.method,
        requestHeaders: r.requestHeaders,
        body: r.hasBody,
      }),
      'request',
    );
    if (r.hasBody) {
      const bytes = body ?? Buffer.alloc(0);
      this.ws.send(bytes, { binary: true }, () => undefined);
      this.frameEvent('out', 'body', bytes.length);
    }
  }

  /** Tells the listener to fetch a request at a rendezvous address: `{request:{address,id}}`. */
  announce(exchange: HttpExchange, address: string): void {
    this.sendText(requestFrame({ address, id: exchange.id }), 'request');
  }

  /** Sends an accept message (WebSocket mode). */
  offer(acceptText: string): void {
    this.sendText(acceptText, 'accept');
  }

  /** Closes with 1008 as if the token had run out (also the control API's early expiry). */
  expireToken(): void {
    this.ctx.events.publish(HC_CHANNELS.token, {
      path: this.path,
      listenerId: this.id,
      action: 'expired',
      code: 'SIM_E_HC_TOKEN_EXPIRED',
      expiresAt: this.#expiresAt,
    });
    this.#closeCode = HC_CLOSE_CODES.SIM_E_HC_TOKEN_EXPIRED ?? 1008;
    this.close(this.#closeCode, 'The security token has expired', 'SIM_E_HC_LISTENER_GONE');
  }

  protected lookup(requestId: string): HttpExchange | undefined {
    const e = this.#pending.get(requestId);
    return e === undefined || e.done ? undefined : e;
  }

  protected responded(exchange: HttpExchange): void {
    this.#pending.delete(exchange.id);
  }

  protected onRenew(token: string): void {
    let grant: SasGrant;
    try {
      grant = verifyHcToken(this.ctx.auth, token, this.path, 'Listen');
    } catch (e) {
      if (!(e instanceof SasError)) throw e;
      this.ctx.events.publish(HC_CHANNELS.token, {
        path: this.path,
        listenerId: this.id,
        action: 'renew-refused',
        code: 'SIM_E_HC_RENEW_REFUSED',
        expiresAt: this.#expiresAt,
        reason: e.code,
      });
      this.#closeCode = HC_CLOSE_CODES.SIM_E_HC_RENEW_REFUSED ?? 1008;
      this.close(this.#closeCode, `renewToken refused: ${e.message}`, 'SIM_E_HC_LISTENER_GONE');
      return;
    }
    this.#expiresAt = grant.expiresAt;
    this.#armExpiry();
    this.ctx.events.publish(HC_CHANNELS.token, {
      path: this.path,
      listenerId: this.id,
      action: 'renewed',
      expiresAt: grant.expiresAt,
      keyName: grant.keyName,
    });
  }

  protected abandon(failure: SimHybridCode): void {
    for (const exchange of [...this.#pending.values()]) {
      exchange.fail(
        new SimHybridError(failure, 'the control channel closed before the response was complete', {
          requestId: exchange.id,
        }),
      );
    }
    this.#pending.clear();
  }

  protected onClosed(code: number, reason: string, by: 'service' | 'listener'): void {
    this.#cancelExpiry?.();
    this.#cancelIdle?.();
    this.#notify(this, this.#closeCode ?? code, this.#idleReason ?? reason, by);
  }

  /**
   * (Re)starts the idle watch: nothing from the listener for listenerIdleTimeoutMs (a half-open
   * connection: its frames go nowhere) and the channel is dropped without a closing handshake
   * (1006: a close frame would go nowhere either), its waiting senders answered at once.
   */
  #armIdle(): void {
    this.#cancelIdle?.();
    const ms = this.ctx.limits.listenerIdleTimeoutMs;
    this.#cancelIdle = this.ctx.scheduler.schedule(ms, () => {
      if (!this.open) return;
      this.#idleReason = `nothing from the listener for ${String(ms)} ms: dropped as dead`;
      this.#closeCode = 1006;
      this.close(1001, this.#idleReason);
      this.terminate();
    });
  }

  #armExpiry(): void {
    this.#cancelExpiry?.();
    const ms = this.#expiresAt * 1000 - this.ctx.scheduler.now();
    this.#cancelExpiry = this.ctx.scheduler.schedule(ms, () => {
      if (this.open) this.expireToken();
    });
  }
}

/**
 * A rendezvous socket for HTTP: the listener opened it to fetch a large request, or to
 * answer a control-channel request with a large response. It stays with the sender's
 * connection: later requests on that connection go over it, and when either side goes away
 * the other is closed too.
 */
export class RendezvousChannel extends ListenerChannel {
  readonly #sender: Duplex;
  #current: HttpExchange | undefined;
  #streaming = false;

  constructor(
    ctx: EndpointContext<unknown>,
    ws: WebSocket,
    raw: Duplex,
    id: string,
    path: string,
    sender: Duplex,
  ) {
    super(ctx, ws, raw, 'rendezvous', id, path);
    this.#sender = sender;
  }

  /** True when the channel is open and has no request in flight. */
  get idle(): boolean {
    return this.open && !this.#streaming && (this.#current === undefined || this.#current.done);
  }

  /** Waits here for the response of a request sent on the control channel. */
  awaitResponse(exchange: HttpExchange): void {
    this.#current = exchange;
    exchange.onSettled(() => {
      if (!this.open) return;
      // A request that failed (timeout, refused answer) ends the rendezvous too.
      if (exchange.outcome !== 'answered') this.close(1001, 'request ended');
    });
  }

  /** Sends the whole request here: the request message, then the body streamed. */
  deliver(exchange: HttpExchange): void {
    this.awaitResponse(exchange);
    const r = exchange.request;
    this.sendText(
      requestFrame({
        id: exchange.id,
        requestTarget: r.requestTarget,
        method: r.method,
        requestHeaders: r.requestHeaders,
        body: r.hasBody,
      }),
      'request',
    );
    if (r.hasBody) this.#streamBody(exchange);
  }

  #streamBody(exchange: HttpExchange): void {
    const { req } = exchange.request;
    this.#streaming = true;
    let sent = 0;
    const stop = (): void => {
      this.#streaming = false;
      req.off('data', onData);
      req.off('end', onEnd);
    };
    const onData = (chunk: Buffer): void => {
      if (!this.open) {
        stop();
        return;
      }
      sent += chunk.length;
      req.pause();
      // One message in fragments: fin stays false until the sender's body ends.
      this.ws.send(chunk, { binary: true, fin: false }, (err) => {
        if (!(err instanceof Error)) req.resume();
      });
    };
    const onEnd = (): void => {
      stop();
      if (!this.open) return;
      this.ws.send(Buffer.alloc(0), { binary: true, fin: true }, () => undefined);
      this.frameEvent('out', 'body', sent);
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.resume();
  }

  protected lookup(requestId: string): HttpExchange | undefined {
    const c = this.#current;
    return c !== undefined && !c.done && c.id === requestId ? c : undefined;
  }

  protected responded(): void {
    // the exchange settles itself
  }

  protected onRenew(): void {
    this.ignored('renewToken on a rendezvous socket');
  }

  protected abandon(failure: SimHybridCode): void {
    const c = this.#current;
    if (c !== undefined && !c.done) {
      c.fail(
        new SimHybridError(
          failure,
          'the rendezvous socket closed before the response was complete',
          {
            requestId: c.id,
          },
        ),
      );
    }
  }

  protected onClosed(): void {
    this.#streaming = false;
    // The protocol: when the listener drops the rendezvous, the sender's connection goes too
    // (after whatever answer was already written).
    if (!this.#sender.destroyed) this.#sender.end();
  }
}
