// The Hybrid Connections endpoint behind every server socket (logical 443, logical 9352,
// plain development). In: HTTP requests from senders, WebSocket upgrades (listen, connect,
// accept, request rendezvous), CONNECT requests and client errors, plus control operations.
// Out: listener registration (25 per path, round robin), requests routed on the control
// channel or by rendezvous, WebSocket senders bridged to listeners, typed refusals rendered
// as HTTP answers, and events. Sockets come from servers.ts; this file never binds one.
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { RelaycheckError } from '../../../../relay/src/protocol/errors';
import { SasError, type SasGrant, type SasRight } from '../../../../relay/src/protocol/sas';
import { verifyHcToken } from './auth';
import { bridge } from './bridge';
import { ControlChannel, RendezvousChannel } from './channels';
import { findHybridConnection, type HybridConnectionConfig } from './config';
import type { EndpointContext, HybridListenerKind } from './context';
import { SimHybridError } from './errors';
import { HC_CHANNELS } from './events';
import { HttpExchange } from './exchange';
import { acceptFrame } from './frames';
import {
  connectHeaders,
  findListenerToken,
  findSenderToken,
  forwardRequestHeaders,
  headerBlockBytes,
  queryParam,
  stripHcParameters,
  type FoundToken,
} from './headers';
import { answerSender, answerSocket, refuseHandshake, safePhrase } from './render';
import { ListenerRegistry } from './registry';
import type { RendezvousEntry } from './rendezvous';

/** A WebSocket sender waiting for a listener to accept or reject it. */
interface PendingConnect {
  readonly id: string;
  readonly path: string;
  readonly req: IncomingMessage;
  readonly socket: Duplex;
  readonly head: Buffer;
  readonly listenerId: string;
  /** The rendezvous key of its accept address. */
  key: string;
  settled: boolean;
}

export type RendezvousPayload =
  | { readonly kind: 'request'; readonly exchange: HttpExchange }
  | { readonly kind: 'response'; readonly exchange: HttpExchange }
  | { readonly kind: 'accept'; readonly connect: PendingConnect };

/** A listener as the control API shows it. */
export interface ListenerView {
  readonly path: string;
  readonly id: string;
  readonly clientId: string | null;
  readonly via: HybridListenerKind;
  readonly remote: string;
  readonly connectedAt: number;
  /** Token expiry, Unix seconds. */
  readonly expiresAt: number;
  /** Requests sent on the control channel and not answered yet. */
  readonly pending: number;
}

export interface ListenerFilter {
  readonly path?: string | undefined;
  readonly id?: string | undefined;
}

interface Target {
  /** The raw target (path and query), as forwarded before sb-hc-* stripping. */
  readonly raw: string;
  /** Decoded path segments. */
  readonly segments: readonly string[];
  /** The raw path after the first `skip` segments ('' or starting with '/'). */
  suffix(skip: number): string;
}

const WS_KEY = /^[+/0-9A-Za-z]{22}==$/;
const CLIENT_ID = /^[\x21-\x7e]{1,128}$/;
const HOST_HEADER = /^([A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(:[0-9]{1,5})?$/;
const LOOPBACK_NAME = /^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])$/i;

function parseTarget(url: string | undefined): Target | undefined {
  let raw = url ?? '';
  if (/^https?:\/\//i.test(raw)) {
    try {
      const u = new URL(raw);
      raw = `${u.pathname}${u.search}`;
    } catch {
      return undefined;
    }
  }
  if (!raw.startsWith('/')) return undefined;
  const q = raw.indexOf('?');
  const rawPath = q === -1 ? raw : raw.slice(0, q);
  const parts = rawPath.split('/').slice(1);
  const segments: string[] = [];
  for (const p of parts) {
    try {
      segments.push(decodeURIComponent(p));
    } catch {
      return undefined;
    }
  }
  return {
    raw,
    segments,
    suffix: (skip) => {
      const rest = parts.slice(skip);
      return rest.length === 0 ? '' : `/${rest.join('/')}`;
    },
  };
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) chunks.push(chunk);
    });
    req.once('error', reject);
    req.once('aborted', () => {
      reject(new Error('the sender aborted the request'));
    });
    req.once('end', () => {
      resolve(Buffer.concat(chunks));
    });
  });
}

export class HybridEndpoint {
  readonly #ctx: EndpointContext<RendezvousPayload>;
  readonly #channels: ListenerRegistry<ControlChannel>;
  readonly #wssControl: WebSocketServer;
  readonly #wssData: WebSocketServer;
  readonly #protocols = new WeakMap<IncomingMessage, string | false>();
  readonly #sessions = new WeakMap<Duplex, RendezvousChannel>();
  readonly #rendezvousSockets = new Set<RendezvousChannel>();
  readonly #connects = new Set<PendingConnect>();
  readonly #bound = new Map<HybridListenerKind, string>();
  #closing = false;

  constructor(ctx: EndpointContext<RendezvousPayload>) {
    this.#ctx = ctx;
    this.#channels = new ListenerRegistry<ControlChannel>(ctx.limits.maxListenersPerPath);
    this.#wssControl = new WebSocketServer({
      noServer: true,
      maxPayload: ctx.limits.controlBodyBytes,
      perMessageDeflate: false,
    });
    this.#wssData = new WebSocketServer({
      noServer: true,
      maxPayload: ctx.limits.maxRendezvousMessageBytes,
      perMessageDeflate: false,
      handleProtocols: (_protocols, request) => this.#protocols.get(request) ?? false,
    });
  }

  /** Where a server socket is bound (the fallback authority of rendezvous addresses). */
  setBound(kind: HybridListenerKind, authority: string): void {
    this.#bound.set(kind, authority);
  }

  // ---------------------------------------------------------------------------------------
  // Senders over HTTP

  onRequest(req: IncomingMessage, res: ServerResponse, via: HybridListenerKind): void {
    void this.#request(req, res, via).catch((e: unknown) => {
      this.#internal(e, res);
    });
  }

  async #request(
    req: IncomingMessage,
    res: ServerResponse,
    _via: HybridListenerKind,
  ): Promise<void> {
    const { ctx } = this;
    if (this.#closing) {
      this.#answer(res, new SimHybridError('SIM_E_HC_SHUTDOWN', 'the endpoint is shutting down'));
      return;
    }
    const target = parseTarget(req.url);
    if (target === undefined) {
      this.#refuseSender(
        res,
        '',
        new SimHybridError('SIM_E_HC_BAD_REQUEST', 'the request target is malformed'),
      );
      return;
    }
    const name = target.segments[0] ?? '';
    if (name === '$hc') {
      this.#refuseSender(
        res,
        '',
        new SimHybridError(
          'SIM_E_HC_BAD_REQUEST',
          '/$hc/ takes WebSocket clients only; HTTP requests go to https://{namespace}/{path}',
        ),
      );
      return;
    }
    const hc = findHybridConnection(ctx.config, name);
    if (hc === undefined) {
      this.#refuseSender(res, name, notFound(name));
      return;
    }
    const found = findSenderToken(target.raw, req.rawHeaders, hc.requiresClientAuthorization);
    if (hc.requiresClientAuthorization) {
      const refusal = this.#verify(found, hc.path, 'Send');
      if (refusal !== undefined) {
        this.#refuseSender(res, hc.path, refusal);
        return;
      }
    }
    const headerBytes = headerBlockBytes(req.rawHeaders);
    const chunked = req.headers['transfer-encoding'] !== undefined;
    const declared = chunked ? -1 : Number(req.headers['content-length'] ?? 0);
    const exchange = new HttpExchange(ctx, {
      path: hc.path,
      req,
      res,
      method: req.method ?? 'GET',
      requestTarget: stripHcParameters(target.raw),
      requestHeaders: forwardRequestHeaders(req.rawHeaders, {
        authorizationConsumed: found.authorizationConsumed,
        viaHost: ctx.config.host,
      }),
      hasBody: chunked || declared > 0,
      declaredBytes: declared,
      headerBytes,
    });

    const session = this.#sessions.get(req.socket);
    if (session?.idle === true) {
      exchange.route = 'session';
      exchange.listenerId = session.id;
      this.#routed(exchange);
      session.deliver(exchange);
      exchange.armDeadline('response', ctx.limits.responseDeadlineMs);
      return;
    }

    const channel = this.#channels.next(hc.path, (c) => c.open);
    if (channel === undefined) {
      exchange.fail(
        new SimHybridError('SIM_E_HC_NO_LISTENER', `no listener is connected to '${hc.path}'`, {
          path: hc.path,
        }),
      );
      return;
    }
    exchange.listenerId = channel.id;
    const small =
      !chunked &&
      declared <= ctx.limits.controlBodyBytes &&
      headerBytes <= ctx.limits.controlHeaderBytes;
    if (small) {
      let body: Buffer | undefined;
      if (declared > 0) {
        try {
          body = await readBody(req, ctx.limits.controlBodyBytes);
        } catch {
          return; // the sender went away; the exchange settled as abandoned
        }
      }
      if (exchange.done) return;
      if (!channel.open) {
        exchange.fail(
          new SimHybridError('SIM_E_HC_LISTENER_GONE', 'the listener left while the body arrived'),
        );
        return;
      }
      const entry = this.#openRendezvous('response', hc.path, exchange.id, {
        kind: 'response',
        exchange,
      });
      exchange.onSettled(() => {
        ctx.rendezvous.cancel(entry.key);
      });
      exchange.route = 'control';
      this.#routed(exchange);
      channel.dispatch(
        exchange,
        body,
        this.#address(channel.addressBase, hc.path, 'request', entry),
      );
      exchange.armDeadline('response', ctx.limits.responseDeadlineMs);
      return;
    }
    req.pause();
    const entry = this.#openRendezvous('request', hc.path, exchange.id, {
      kind: 'request',
      exchange,
    });
    exchange.onSettled(() => {
      ctx.rendezvous.cancel(entry.key);
    });
    exchange.route = 'rendezvous';
    this.#routed(exchange);
    channel.announce(exchange, this.#address(channel.addressBase, hc.path, 'request', entry));
    exchange.armDeadline('response', ctx.limits.responseDeadlineMs);
  }

  private get ctx(): EndpointContext<RendezvousPayload> {
    return this.#ctx;
  }

  #routed(exchange: HttpExchange): void {
    const r = exchange.request;
    this.#ctx.events.publish(HC_CHANNELS.request, {
      path: r.path,
      requestId: exchange.id,
      listenerId: exchange.listenerId,
      route: exchange.route,
      method: r.method,
      bodyBytes: r.declaredBytes,
      chunked: r.declaredBytes < 0,
      headerBytes: r.headerBytes,
    });
  }

  #openRendezvous(
    kind: 'request' | 'response',
    path: string,
    id: string,
    payload: RendezvousPayload,
  ): RendezvousEntry<RendezvousPayload> {
    const { ctx } = this;
    return ctx.rendezvous.create(kind, path, id, payload, ctx.limits.rendezvousTtlMs, (entry) => {
      ctx.events.publish(HC_CHANNELS.rendezvous, {
        kind: entry.kind,
        id: entry.id,
        event: 'expired',
      });
      const p = entry.payload;
      if (p.kind === 'request') {
        p.exchange.timeout(
          'rendezvous',
          `the listener did not connect to the rendezvous address within ${ctx.limits.rendezvousTtlMs} ms`,
        );
      }
    });
  }

  #address(
    base: string,
    path: string,
    action: 'request' | 'accept',
    entry: RendezvousEntry<RendezvousPayload>,
    suffix = '',
    query = '',
  ): string {
    const params = `sb-hc-action=${action}&sb-hc-id=${encodeURIComponent(entry.id)}&sb-hc-key=${entry.key}`;
    return `${base}/$hc/${encodeURIComponent(path)}${suffix}?${query === '' ? '' : `${query}&`}${params}`;
  }

  #refuseSender(res: ServerResponse, path: string, error: RelaycheckError): void {
    this.#ctx.events.publish(HC_CHANNELS.senderRefused, {
      path,
      mode: 'http',
      status: error.http,
      code: error.code,
    });
    this.#answer(res, error);
  }

  #answer(res: ServerResponse, error: RelaycheckError): void {
    answerSender(res, error, this.#ctx.config.host);
  }

  #internal(e: unknown, res?: ServerResponse): void {
    const message = e instanceof Error ? e.message : 'unknown failure';
    this.#ctx.events.publish(HC_CHANNELS.protocolError, {
      channel: 'endpoint',
      code: 'SIM_E_HC_INTERNAL',
      detail: safePhrase(message, 200),
      action: 'answered',
    });
    if (res !== undefined) {
      this.#answer(res, new SimHybridError('SIM_E_HC_INTERNAL', 'internal error'));
    }
  }

  /** undefined when the token verifies for `right` on `path`; else the refusal. */
  #verify(found: FoundToken, path: string, right: SasRight): RelaycheckError | undefined {
    try {
      verifyHcToken(this.#ctx.auth, found.token, path, right);
      return undefined;
    } catch (e) {
      if (e instanceof SasError) return e;
      throw e;
    }
  }

  // ---------------------------------------------------------------------------------------
  // WebSocket upgrades

  onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, via: HybridListenerKind): void {
    socket.on('error', () => {
      socket.destroy();
    });
    try {
      this.#upgrade(req, socket, head, via);
    } catch (e) {
      this.#internal(e);
      refuseHandshake(
        socket,
        new SimHybridError('SIM_E_HC_INTERNAL', 'internal error'),
        this.#ctx.config.host,
      );
    }
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, via: HybridListenerKind): void {
    const host = this.#ctx.config.host;
    if (this.#closing) {
      refuseHandshake(
        socket,
        new SimHybridError('SIM_E_HC_SHUTDOWN', 'the endpoint is shutting down'),
        host,
      );
      return;
    }
    const target = parseTarget(req.url);
    const action = target === undefined ? undefined : queryParam(target.raw, 'sb-hc-action');
    if (target?.segments[0] !== '$hc') {
      this.#refuseUpgrade(
        socket,
        action,
        '',
        new SimHybridError('SIM_E_HC_BAD_REQUEST', 'WebSocket clients connect under /$hc/{path}'),
      );
      return;
    }
    const name = target.segments[1] ?? '';
    const hc = findHybridConnection(this.#ctx.config, name);
    if (hc === undefined) {
      this.#refuseUpgrade(socket, action, name, notFound(name));
      return;
    }
    switch (action) {
      case 'listen':
        this.#listen(req, socket, head, hc, via, target);
        return;
      case 'connect':
        this.#connect(req, socket, head, hc, target);
        return;
      case 'accept':
      case 'request':
        this.#rendezvous(req, socket, head, hc, action, target);
        return;
      default:
        this.#refuseUpgrade(
          socket,
          action,
          hc.path,
          new SimHybridError(
            'SIM_E_HC_BAD_REQUEST',
            action === undefined
              ? 'sb-hc-action is missing'
              : 'sb-hc-action is not listen, connect, accept or request',
          ),
        );
    }
  }

  #refuseUpgrade(
    socket: Duplex,
    action: string | undefined,
    path: string,
    error: RelaycheckError,
  ): void {
    const channel = action === 'listen' ? HC_CHANNELS.listenerRefused : HC_CHANNELS.senderRefused;
    this.#ctx.events.publish(channel, {
      path,
      mode: 'websocket',
      action: action !== undefined && /^[a-z]{1,16}$/.test(action) ? action : undefined,
      status: error.http,
      code: error.code,
    });
    refuseHandshake(socket, error, this.#ctx.config.host);
  }

  #addressBase(req: IncomingMessage, via: HybridListenerKind): string {
    const scheme = via === 'plain' ? 'ws' : 'wss';
    const hostHeader = req.headers.host ?? '';
    const m = HOST_HEADER.exec(hostHeader);
    const name = (m?.[1] ?? '').toLowerCase();
    if (m !== null && (name === this.#ctx.config.host || LOOPBACK_NAME.test(name))) {
      return `${scheme}://${hostHeader.toLowerCase()}`;
    }
    return `${scheme}://${this.#bound.get(via) ?? '127.0.0.1'}`;
  }

  #listen(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    hc: HybridConnectionConfig,
    via: HybridListenerKind,
    target: Target,
  ): void {
    const { ctx } = this;
    const found = findListenerToken(target.raw, req.rawHeaders);
    let grant: SasGrant;
    try {
      grant = verifyHcToken(ctx.auth, found.token, hc.path, 'Listen');
    } catch (e) {
      if (!(e instanceof SasError)) throw e;
      this.#refuseUpgrade(socket, 'listen', hc.path, e);
      return;
    }
    if (this.#channels.count(hc.path) >= ctx.limits.maxListenersPerPath) {
      this.#refuseUpgrade(
        socket,
        'listen',
        hc.path,
        new SimHybridError(
          'SIM_E_HC_LISTENER_LIMIT',
          `QuotaExceeded: '${hc.path}' already has ${ctx.limits.maxListenersPerPath} listeners (MaximumListenersPerEndpoint)`,
          { path: hc.path },
        ),
      );
      return;
    }
    const rawId = queryParam(target.raw, 'sb-hc-id');
    const clientId = rawId !== undefined && CLIENT_ID.test(rawId) ? rawId : undefined;
    const addressBase = this.#addressBase(req, via);
    const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? 0}`;
    this.#wssControl.handleUpgrade(req, socket, head, (ws) => {
      const channel = new ControlChannel({
        ctx,
        ws,
        raw: socket,
        id: randomUUID(),
        clientId,
        path: hc.path,
        via,
        remote,
        addressBase,
        grant,
        onClosed: (ch, code, reason, by) => {
          this.#channels.remove(ch.path, ch);
          this.#releaseConnects(ch.id);
          ctx.events.publish(HC_CHANNELS.listenerClosed, {
            path: ch.path,
            listenerId: ch.id,
            code,
            reason: safePhrase(reason, 120),
            by,
            count: this.#channels.count(ch.path),
          });
        },
      });
      if (!this.#channels.tryAdd(hc.path, channel)) {
        channel.close(1008, 'QuotaExceeded: MaximumListenersPerEndpoint');
        return;
      }
      ctx.events.publish(HC_CHANNELS.listenerConnected, {
        path: hc.path,
        listenerId: channel.id,
        clientId,
        via,
        keyName: grant.keyName,
        expiresAt: grant.expiresAt,
        count: this.#channels.count(hc.path),
      });
    });
  }

  /** WebSocket senders offered to a listener that went away are refused at once (502). */
  #releaseConnects(listenerId: string): void {
    for (const pending of [...this.#connects]) {
      if (pending.listenerId !== listenerId || pending.settled) continue;
      pending.settled = true;
      this.#connects.delete(pending);
      this.#ctx.rendezvous.cancel(pending.key);
      this.#ctx.events.publish(HC_CHANNELS.connect, {
        path: pending.path,
        id: pending.id,
        listenerId,
        outcome: 'listener-gone',
        status: 502,
      });
      refuseHandshake(
        pending.socket,
        new SimHybridError(
          'SIM_E_HC_LISTENER_GONE',
          'the listener that was offered the connection went away',
        ),
        this.#ctx.config.host,
      );
    }
  }

  #connect(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    hc: HybridConnectionConfig,
    target: Target,
  ): void {
    const { ctx } = this;
    if (
      req.headers['sec-websocket-version'] !== '13' ||
      !WS_KEY.test(req.headers['sec-websocket-key'] ?? '')
    ) {
      this.#refuseUpgrade(
        socket,
        'connect',
        hc.path,
        new SimHybridError('SIM_E_HC_BAD_REQUEST', 'not a WebSocket version 13 handshake'),
      );
      return;
    }
    const found = findSenderToken(target.raw, req.rawHeaders, hc.requiresClientAuthorization);
    if (hc.requiresClientAuthorization) {
      const refusal = this.#verify(found, hc.path, 'Send');
      if (refusal !== undefined) {
        this.#refuseUpgrade(socket, 'connect', hc.path, refusal);
        return;
      }
    }
    const channel = this.#channels.next(hc.path, (c) => c.open);
    if (channel === undefined) {
      this.#refuseUpgrade(
        socket,
        'connect',
        hc.path,
        new SimHybridError(
          'SIM_E_HC_ENDPOINT_OFFLINE',
          `There are no listeners connected for the endpoint '${hc.path}'`,
          { path: hc.path },
        ),
      );
      return;
    }
    const rawId = queryParam(target.raw, 'sb-hc-id');
    const id = rawId !== undefined && CLIENT_ID.test(rawId) ? rawId : randomUUID();
    const pending: PendingConnect = {
      id,
      path: hc.path,
      req,
      socket,
      head,
      listenerId: channel.id,
      key: '',
      settled: false,
    };
    const entry = ctx.rendezvous.create(
      'accept',
      hc.path,
      id,
      { kind: 'accept', connect: pending },
      ctx.limits.rendezvousTtlMs,
      () => {
        ctx.events.publish(HC_CHANNELS.rendezvous, { kind: 'accept', id, event: 'expired' });
        if (pending.settled) return;
        pending.settled = true;
        ctx.events.publish(HC_CHANNELS.connect, {
          path: hc.path,
          id,
          listenerId: channel.id,
          outcome: 'timeout',
          status: 504,
        });
        refuseHandshake(
          socket,
          new SimHybridError(
            'SIM_E_HC_TIMEOUT',
            'the listener did not accept the connection in time',
          ),
          ctx.config.host,
        );
      },
    );
    pending.key = entry.key;
    this.#connects.add(pending);
    socket.once('close', () => {
      this.#connects.delete(pending);
      if (pending.settled) return;
      pending.settled = true;
      ctx.rendezvous.cancel(entry.key);
      ctx.events.publish(HC_CHANNELS.connect, {
        path: hc.path,
        id,
        listenerId: channel.id,
        outcome: 'abandoned',
      });
    });
    const query = stripHcParameters(target.raw);
    const q = query.indexOf('?');
    const address = this.#address(
      channel.addressBase,
      hc.path,
      'accept',
      entry,
      target.suffix(2),
      q === -1 ? '' : query.slice(q + 1),
    );
    channel.offer(
      acceptFrame({
        address,
        id,
        connectHeaders: connectHeaders(req.rawHeaders, found.authorizationConsumed),
        remoteEndpoint: {
          address: req.socket.remoteAddress ?? '',
          port: req.socket.remotePort ?? 0,
        },
      }),
    );
    ctx.events.publish(HC_CHANNELS.connect, {
      path: hc.path,
      id,
      listenerId: channel.id,
      outcome: 'offered',
    });
  }

  #rendezvous(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    hc: HybridConnectionConfig,
    action: 'accept' | 'request',
    target: Target,
  ): void {
    const { ctx } = this;
    const fault = ctx.faults.rendezvous;
    if (fault !== undefined && fault.remaining !== 0) {
      if (fault.remaining !== undefined) fault.remaining -= 1;
      const id = queryParam(target.raw, 'sb-hc-id') ?? '';
      if (fault.mode === 'drop') {
        ctx.events.publish(HC_CHANNELS.rendezvous, {
          kind: action,
          id: safePhrase(id, 128),
          event: 'dropped',
        });
        socket.destroy();
        return;
      }
      ctx.events.publish(HC_CHANNELS.rendezvous, {
        kind: action,
        id: safePhrase(id, 128),
        event: 'delayed',
        delayMs: fault.delayMs,
      });
      ctx.scheduler.schedule(fault.delayMs, () => {
        if (!socket.destroyed) this.#rendezvousNow(req, socket, head, hc, action, target);
      });
      return;
    }
    this.#rendezvousNow(req, socket, head, hc, action, target);
  }

  #rendezvousNow(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    hc: HybridConnectionConfig,
    action: 'accept' | 'request',
    target: Target,
  ): void {
    const { ctx } = this;
    const key = queryParam(target.raw, 'sb-hc-key') ?? '';
    const statusParam =
      action === 'accept' ? queryParam(target.raw, 'sb-hc-statusCode') : undefined;
    let rejectStatus: number | undefined;
    if (statusParam !== undefined) {
      rejectStatus = /^[0-9]{3}$/.test(statusParam) ? Number(statusParam) : NaN;
      if (!(rejectStatus >= 400 && rejectStatus <= 599)) {
        this.#refuseUpgrade(
          socket,
          action,
          hc.path,
          new SimHybridError(
            'SIM_E_HC_REJECT_STATUS',
            'sb-hc-statusCode must be a status from 400 to 599',
          ),
        );
        return;
      }
    }
    const taken = ctx.rendezvous.take(
      key,
      action === 'accept' ? ['accept'] : ['request', 'response'],
      hc.path,
    );
    if (!taken.ok) {
      ctx.events.publish(HC_CHANNELS.rendezvous, {
        kind: action,
        event: 'refused',
        why: taken.why,
        status: 403,
      });
      refuseHandshake(
        socket,
        new SimHybridError(
          'SIM_E_HC_RENDEZVOUS_INVALID',
          taken.why === 'expired' ? 'The URL has expired' : 'The URL is not valid',
          { why: taken.why },
        ),
        ctx.config.host,
      );
      return;
    }
    const payload = taken.entry.payload;
    if (payload.kind === 'accept') {
      this.#acceptOrReject(req, socket, head, payload.connect, rejectStatus, target);
      return;
    }
    const exchange = payload.exchange;
    this.#wssData.handleUpgrade(req, socket, head, (ws) => {
      const sender = exchange.request.req.socket;
      const channel = new RendezvousChannel(ctx, ws, socket, randomUUID(), hc.path, sender);
      this.#rendezvousSockets.add(channel);
      const onSenderClose = (): void => {
        channel.close(1001, 'the sender closed its connection');
      };
      sender.once('close', onSenderClose);
      ws.once('close', () => {
        sender.off('close', onSenderClose);
        this.#rendezvousSockets.delete(channel);
        if (this.#sessions.get(sender) === channel) this.#sessions.delete(sender);
      });
      this.#sessions.set(sender, channel);
      ctx.events.publish(HC_CHANNELS.rendezvous, {
        kind: payload.kind,
        id: exchange.id,
        event: 'opened',
      });
      if (payload.kind === 'request') channel.deliver(exchange);
      else channel.awaitResponse(exchange);
    });
  }

  #acceptOrReject(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    pending: PendingConnect,
    rejectStatus: number | undefined,
    target: Target,
  ): void {
    const { ctx } = this;
    pending.settled = true;
    this.#connects.delete(pending);
    if (rejectStatus !== undefined) {
      const description = safePhrase(
        queryParam(target.raw, 'sb-hc-statusDescription') ??
          STATUS_CODES[rejectStatus] ??
          'Rejected',
        200,
      );
      answerSocket(
        pending.socket,
        rejectStatus,
        description,
        `<Error><Code>${rejectStatus}</Code><Detail>${description.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</Detail></Error>`,
      );
      refuseHandshake(
        socket,
        new SimHybridError('SIM_E_HC_REJECTED', `the connection was rejected with ${rejectStatus}`),
        ctx.config.host,
      );
      ctx.events.publish(HC_CHANNELS.connect, {
        path: pending.path,
        id: pending.id,
        listenerId: pending.listenerId,
        outcome: 'rejected',
        status: rejectStatus,
      });
      return;
    }
    const listenerProtocol =
      (req.headers['sec-websocket-protocol'] ?? '').split(',')[0]?.trim() ?? '';
    const offered = new Set(
      (pending.req.headers['sec-websocket-protocol'] ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p !== ''),
    );
    this.#protocols.set(req, listenerProtocol === '' ? false : listenerProtocol);
    this.#protocols.set(pending.req, offered.has(listenerProtocol) ? listenerProtocol : false);
    this.#wssData.handleUpgrade(req, socket, head, (listenerWs) => {
      if (pending.socket.destroyed) {
        listenerWs.close(1001, 'the sender went away');
        return;
      }
      this.#wssData.handleUpgrade(pending.req, pending.socket, pending.head, (senderWs) => {
        ctx.events.publish(HC_CHANNELS.connect, {
          path: pending.path,
          id: pending.id,
          listenerId: pending.listenerId,
          outcome: 'accepted',
          protocol: senderWs.protocol,
        });
        bridge(senderWs, listenerWs, (stats) => {
          ctx.events.publish(HC_CHANNELS.connect, {
            path: pending.path,
            id: pending.id,
            listenerId: pending.listenerId,
            outcome: 'closed',
            senderToListener: stats.senderToListener,
            listenerToSender: stats.listenerToSender,
          });
        });
      });
    });
  }

  // ---------------------------------------------------------------------------------------
  // Other traffic on the server sockets

  /** CONNECT is never relayed. */
  onConnectMethod(socket: Duplex): void {
    socket.on('error', () => {
      socket.destroy();
    });
    this.#refuseUpgrade(
      socket,
      undefined,
      '',
      new SimHybridError('SIM_E_HC_METHOD', 'the CONNECT method is not relayed'),
    );
  }

  /** A request Node could not parse: 431 for oversized headers, 400 otherwise. */
  onClientError(error: Error & { code?: string }, socket: Duplex): void {
    if (error.code === 'HPE_HEADER_OVERFLOW') {
      this.#refuseUpgrade(
        socket,
        undefined,
        '',
        new SimHybridError(
          'SIM_E_HC_HEADERS_TOO_LARGE',
          `the request headers are over ${this.#ctx.limits.maxHeaderBytes} bytes`,
        ),
      );
      return;
    }
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    this.#refuseUpgrade(
      socket,
      undefined,
      '',
      new SimHybridError('SIM_E_HC_BAD_REQUEST', 'the request is not valid HTTP/1.1'),
    );
  }

  // ---------------------------------------------------------------------------------------
  // Control operations

  listeners(filter: ListenerFilter = {}): ListenerView[] {
    return this.#select(filter).map((c) => ({
      path: c.path,
      id: c.id,
      clientId: c.clientId ?? null,
      via: c.via,
      remote: c.remote,
      connectedAt: c.connectedAt,
      expiresAt: c.expiresAt,
      pending: c.pendingCount,
    }));
  }

  /** Closes the matching control channels with `code`; returns how many. */
  closeListeners(filter: ListenerFilter, code: number, reason: string): number {
    const chosen = this.#select(filter);
    for (const c of chosen) c.close(code, reason);
    return chosen.length;
  }

  /** Ends the matching control channels as if their tokens had expired (1008). */
  expireTokens(filter: ListenerFilter): number {
    const chosen = this.#select(filter);
    for (const c of chosen) c.expireToken();
    return chosen.length;
  }

  #select(filter: ListenerFilter): ControlChannel[] {
    const path =
      filter.path === undefined
        ? undefined
        : findHybridConnection(this.#ctx.config, filter.path)?.path;
    if (filter.path !== undefined && path === undefined) return [];
    return this.#channels
      .list(path)
      .filter(
        (c) =>
          c.open && (filter.id === undefined || c.id === filter.id || c.clientId === filter.id),
      );
  }

  /** Closes every channel (1001), withdraws every rendezvous, stops accepting. */
  async close(graceMs = 1000): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    const all: WebSocket[] = [...this.#wssControl.clients, ...this.#wssData.clients];
    const closed = Promise.all(
      all.map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === WebSocket.CLOSED) resolve();
            else
              ws.once('close', () => {
                resolve();
              });
          }),
      ),
    );
    for (const c of this.#channels.list()) {
      c.close(1001, 'The endpoint is shutting down', 'SIM_E_HC_SHUTDOWN');
    }
    for (const r of this.#rendezvousSockets) r.close(1001, 'The endpoint is shutting down');
    for (const ws of this.#wssData.clients) {
      if (ws.readyState === WebSocket.OPEN) ws.close(1001, 'The endpoint is shutting down');
    }
    this.#ctx.rendezvous.clear();
    // Bounded: peers that never answer the close handshake are cut after graceMs.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      closed,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
        timer.unref();
      }),
    ]);
    if (timer !== undefined) clearTimeout(timer);
    for (const ws of all) ws.terminate();
    await Promise.all([
      new Promise<void>((resolve) => {
        this.#wssControl.close(() => {
          resolve();
        });
      }),
      new Promise<void>((resolve) => {
        this.#wssData.close(() => {
          resolve();
        });
      }),
    ]);
  }
}

function notFound(name: string): SimHybridError {
  const shown = safePhrase(name, 64);
  return new SimHybridError(
    'SIM_E_HC_NOT_FOUND',
    `The Hybrid Connection '${shown}' could not be found`,
    { path: shown },
  );
}
