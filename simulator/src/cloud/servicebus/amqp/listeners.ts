// The sockets of the simulated namespace. In: which listeners to open (plain AMQP, AMQP over
// TLS, AMQP over WebSockets), loopback host and ports (0 = any), the TLS key and certificate.
// Out: bound servers with their actual ports; every accepted connection handed over as a
// byte stream (a net.Socket, a TLSSocket, or a Duplex over a WebSocket) with its listener
// kind; TLS handshake refusals reported; close() that ends every socket it accepted.
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import {
  createServer as createNetServer,
  type AddressInfo,
  type Server,
  type Socket,
} from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer, TLSSocket } from 'node:tls';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { closeServer } from '../../../util/close-server';

export type ListenerKind = 'plain' | 'tls' | 'websocket';

/** The WebSocket path the SDK dials (`wss://host:port/$servicebus/websocket`). */
export const WEBSOCKET_PATH = '/$servicebus/websocket';
/** The WebSocket subprotocol of AMQP over WebSockets. */
export const WEBSOCKET_PROTOCOL = 'AMQPWSB10';

export interface ListenerOptions {
  readonly kind: ListenerKind;
  /** Loopback address to bind (default 127.0.0.1). */
  readonly host?: string;
  /** Port to bind (default 0: any free port). */
  readonly port?: number;
}

export interface TlsCredentials {
  readonly key: string;
  readonly cert: string;
}

export interface AcceptedStream {
  readonly kind: ListenerKind;
  readonly stream: Duplex;
  readonly remote: string;
  /** Negotiated TLS version (TLS and WebSocket listeners). */
  readonly tlsProtocol?: string;
}

export interface BoundListener {
  readonly kind: ListenerKind;
  readonly host: string;
  readonly port: number;
}

export interface ListenerHooks {
  readonly onStream: (accepted: AcceptedStream) => void;
  readonly onTlsError?: (kind: ListenerKind, error: Error, remote: string) => void;
  /** Largest WebSocket message accepted (bytes). */
  readonly maxWebSocketPayload: number;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/;

/** A set of listening servers; close() stops them and destroys every open stream. */
export class Listeners {
  readonly #servers: (Server | HttpsServer)[] = [];
  readonly #wss: WebSocketServer[] = [];
  readonly #streams = new Set<Duplex>();
  readonly bound: BoundListener[] = [];

  static async open(
    specs: readonly ListenerOptions[],
    tls: TlsCredentials | undefined,
    hooks: ListenerHooks,
  ): Promise<Listeners> {
    const l = new Listeners();
    try {
      for (const spec of specs) await l.#open(spec, tls, hooks);
    } catch (e) {
      await l.close();
      throw e;
    }
    return l;
  }

  async #open(
    spec: ListenerOptions,
    tls: TlsCredentials | undefined,
    hooks: ListenerHooks,
  ): Promise<void> {
    const host = spec.host ?? '127.0.0.1';
    if (!LOOPBACK.test(host)) {
      throw new Error(`the simulator binds loopback only (127.0.0.0/8, ::1); refused host ${host}`);
    }
    const track = (stream: Duplex, remote: string, tlsProtocol?: string): void => {
      this.#streams.add(stream);
      stream.once('close', () => this.#streams.delete(stream));
      hooks.onStream({
        kind: spec.kind,
        stream,
        remote,
        ...(tlsProtocol !== undefined ? { tlsProtocol } : {}),
      });
    };
    const remoteOf = (s: Socket): string => `${s.remoteAddress ?? '?'}:${s.remotePort ?? 0}`;
    let server: Server | HttpsServer;
    if (spec.kind === 'plain') {
      server = createNetServer((socket) => {
        socket.setNoDelay(true);
        track(socket, remoteOf(socket));
      });
    } else if (spec.kind === 'tls') {
      if (tls === undefined) throw new Error('the TLS listener needs a key and certificate');
      const s = createTlsServer(
        { key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' },
        (socket: TLSSocket) => {
          socket.setNoDelay(true);
          track(socket, remoteOf(socket), socket.getProtocol() ?? undefined);
        },
      );
      s.on('tlsClientError', (e, socket) => {
        hooks.onTlsError?.('tls', e, remoteOf(socket));
      });
      server = s;
    } else {
      if (tls === undefined) throw new Error('the WebSocket listener needs a key and certificate');
      const https = createHttpsServer({ key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' });
      https.on('tlsClientError', (e, socket) => {
        hooks.onTlsError?.('websocket', e, remoteOf(socket));
      });
      https.on('request', (_req, res) => {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('AMQP over WebSockets only\n');
      });
      const wss = new WebSocketServer({
        server: https,
        path: WEBSOCKET_PATH,
        maxPayload: hooks.maxWebSocketPayload,
        handleProtocols: (protocols) =>
          protocols.has(WEBSOCKET_PROTOCOL) ? WEBSOCKET_PROTOCOL : false,
      });
      wss.on('connection', (ws, req) => {
        const socket = req.socket;
        if (ws.protocol !== WEBSOCKET_PROTOCOL) {
          ws.close(1002, `subprotocol ${WEBSOCKET_PROTOCOL} required`);
          return;
        }
        socket.setNoDelay(true);
        const stream = createWebSocketStream(ws);
        stream.on('error', () => {
          stream.destroy();
        });
        const protocol = socket instanceof TLSSocket ? socket.getProtocol() : null;
        track(stream, remoteOf(socket), protocol ?? undefined);
      });
      this.#wss.push(wss);
      server = https;
    }
    this.#servers.push(server);
    // Raw sockets are tracked too, so close() can end half-open handshakes.
    server.on('connection', (socket: Socket) => {
      this.#streams.add(socket);
      socket.once('close', () => this.#streams.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port: spec.port ?? 0 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    this.bound.push({ kind: spec.kind, host, port: address.port });
  }

  /** Stops listening and destroys every accepted socket and stream. */
  async close(): Promise<void> {
    for (const wss of this.#wss) {
      for (const client of wss.clients) client.terminate();
    }
    for (const s of this.#streams) s.destroy();
    this.#streams.clear();
    await Promise.all(this.#servers.map((server) => closeServer(server)));
    await Promise.all(
      this.#wss.map(
        (wss) =>
          new Promise<void>((resolve) => {
            wss.close(() => {
              resolve();
            });
          }),
      ),
    );
  }
}
