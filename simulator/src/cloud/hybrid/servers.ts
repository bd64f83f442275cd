// The endpoint's server sockets. In: which listeners to open — logical 443 (HTTPS/WSS),
// logical 9352 (the "tcp" connectivity mode; the same endpoint over TLS) and an optional
// plain HTTP/WS listener for development — on loopback, port 0 unless given; the TLS key and
// certificate. Out: bound servers with their ports; every request, upgrade, CONNECT and
// client error handed to the endpoint; TLS refusals reported; close() that ends every socket.
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { HybridListenerKind } from './context';
import type { HybridEndpoint } from './endpoint';
import { SimHybridError } from './errors';
import { HC_CHANNELS, type HcEvents } from './events';
import { closeServer } from '../../util/close-server';

export interface HybridServerSpec {
  readonly kind: HybridListenerKind;
  /** Loopback address to bind (default 127.0.0.1). */
  readonly host?: string | undefined;
  /** Port (default 0: any free port). */
  readonly port?: number | undefined;
}

export interface BoundServer {
  readonly kind: HybridListenerKind;
  readonly host: string;
  readonly port: number;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/;

export class HybridServers {
  readonly #servers: Server[] = [];
  readonly #sockets = new Set<Socket>();
  readonly bound: BoundServer[] = [];

  static async open(
    specs: readonly HybridServerSpec[],
    tls: { readonly key: string; readonly cert: string } | undefined,
    endpoint: HybridEndpoint,
    events: HcEvents,
    maxHeaderBytes: number,
  ): Promise<HybridServers> {
    const s = new HybridServers();
    try {
      for (const spec of specs) await s.#open(spec, tls, endpoint, events, maxHeaderBytes);
    } catch (e) {
      await s.close();
      throw e;
    }
    return s;
  }

  async #open(
    spec: HybridServerSpec,
    tls: { readonly key: string; readonly cert: string } | undefined,
    endpoint: HybridEndpoint,
    events: HcEvents,
    maxHeaderSize: number,
  ): Promise<void> {
    const host = spec.host ?? '127.0.0.1';
    if (!LOOPBACK.test(host)) {
      throw new SimHybridError(
        'SIM_E_HC_BIND',
        `the endpoint binds loopback only; refused ${host}`,
        {
          host,
        },
      );
    }
    let server: Server;
    if (spec.kind === 'plain') {
      server = createHttpServer({ maxHeaderSize });
    } else {
      if (tls === undefined) throw new Error('a TLS listener needs a key and certificate');
      const https = createHttpsServer({
        key: tls.key,
        cert: tls.cert,
        minVersion: 'TLSv1.2',
        maxHeaderSize,
      });
      https.on('tlsClientError', (e, socket) => {
        events.publish(HC_CHANNELS.tls, {
          listener: spec.kind,
          remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`,
          error: e.message.slice(0, 200),
        });
      });
      server = https;
    }
    server.on('connection', (socket: Socket) => {
      socket.setNoDelay(true);
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    server.on('request', (req, res) => {
      endpoint.onRequest(req, res, spec.kind);
    });
    server.on('upgrade', (req, socket, head: Buffer) => {
      endpoint.onUpgrade(req, socket, head, spec.kind);
    });
    server.on('connect', (_req, socket) => {
      endpoint.onConnectMethod(socket);
    });
    server.on('clientError', (e: Error & { code?: string }, socket) => {
      endpoint.onClientError(e, socket);
    });
    this.#servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port: spec.port ?? 0 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    this.bound.push({ kind: spec.kind, host, port });
    endpoint.setBound(spec.kind, `${host.includes(':') ? `[${host}]` : host}:${port}`);
    events.publish(HC_CHANNELS.listening, { listener: spec.kind, port });
  }

  /** Stops listening and destroys every socket still open. */
  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    await Promise.all(this.#servers.map((server) => closeServer(server)));
  }
}
