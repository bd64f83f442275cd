// The relay's one listening socket: the health and metrics endpoint, on loopback only. In: a
// host and port (a non-loopback host is refused with RELAY_E_CONFIG before anything listens)
// and a provider of the health snapshot and the metrics registry. Out: GET|HEAD /healthz →
// the snapshot as JSON (200 when healthy, 503 otherwise), GET|HEAD /metrics → Prometheus
// text; other methods 405, other paths 404, a request with a body 413, a Host header that is
// not loopback 421 (DNS rebinding). Events `relay:health:listening` / `relay:health:closed`.
import diagnostics from 'node:diagnostics_channel';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { configError } from '../config/errors';
import { isLoopbackHost } from '../config/loopback';
import { scrubSecrets } from '../log';
import { RelayHealthError } from './errors';
import type { Metrics } from './metrics';
import type { HealthSnapshot } from './snapshot';

export const HEALTH_CHANNELS = Object.freeze({
  listening: 'relay:health:listening',
  closed: 'relay:health:closed',
} as const);

export interface HealthServerOptions {
  /** 127.0.0.0/8, ::1 or localhost. */
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
}

export interface HealthProvider {
  /** The current snapshot; called once per /healthz request. */
  readonly health: () => HealthSnapshot | Promise<HealthSnapshot>;
  readonly metrics: Metrics;
}

export interface HealthServer {
  /** `http://127.0.0.1:<port>` (IPv6 hosts in brackets). */
  readonly url: string;
  /** The address actually bound. */
  readonly host: string;
  readonly port: number;
  /** Stops listening and drops open connections. Idempotent. */
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

function hostOf(header: string): string {
  if (header.startsWith('[')) {
    const end = header.indexOf(']');
    return end === -1 ? header : header.slice(0, end + 1);
  }
  const colon = header.lastIndexOf(':');
  return colon === -1 ? header : header.slice(0, colon);
}

function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  extra: Record<string, string> = {},
): void {
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': type,
    'content-length': String(bytes.byteLength),
    ...extra,
  });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';

function safeJson(value: unknown): string {
  return `${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'string' ? scrubSecrets(v) : v))}\n`;
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  provider: HealthProvider,
): Promise<void> {
  const host = req.headers.host;
  if (host !== undefined && !isLoopbackHost(hostOf(host))) {
    send(
      req,
      res,
      421,
      TEXT_TYPE,
      'misdirected request: this endpoint answers loopback names only\n',
    );
    return;
  }
  const length = req.headers['content-length'];
  if (req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')) {
    send(req, res, 413, TEXT_TYPE, 'no request body is accepted\n', { connection: 'close' });
    return;
  }
  const path = (req.url ?? '').split('?')[0];
  if (path !== '/healthz' && path !== '/metrics') {
    send(req, res, 404, TEXT_TYPE, 'not found: try /healthz or /metrics\n');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(req, res, 405, TEXT_TYPE, 'method not allowed\n', { allow: 'GET, HEAD' });
    return;
  }
  if (path === '/metrics') {
    let text: string;
    try {
      text = provider.metrics.render();
    } catch {
      send(req, res, 500, TEXT_TYPE, 'the metrics could not be rendered\n');
      return;
    }
    send(req, res, 200, provider.metrics.contentType, text);
    return;
  }
  let snapshot: HealthSnapshot;
  try {
    snapshot = await provider.health();
  } catch {
    send(req, res, 500, JSON_TYPE, safeJson({ healthy: false, error: 'no health snapshot' }));
    return;
  }
  send(req, res, snapshot.healthy ? 200 : 503, JSON_TYPE, safeJson(snapshot));
}

/** Starts the endpoint; resolves once it listens. */
export async function startHealthServer(
  options: HealthServerOptions,
  provider: HealthProvider,
): Promise<HealthServer> {
  const where = { file: '(health endpoint)', path: 'health.host' };
  if (typeof options.host !== 'string' || !isLoopbackHost(options.host)) {
    throw configError(
      where,
      'a loopback host (127.0.0.0/8, ::1 or localhost)',
      typeof options.host === 'string' ? JSON.stringify(options.host.slice(0, 64)) : 'no text',
    );
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw configError(
      { ...where, path: 'health.port' },
      'a port from 0 to 65535',
      String(options.port),
    );
  }
  const server = createServer({
    maxHeaderSize: 8 * 1024,
    requestTimeout: 10_000,
    headersTimeout: 5_000,
  });
  server.keepAliveTimeout = 5_000;
  server.maxConnections = 64;
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res, provider).catch(() => {
      if (!res.headersSent) send(req, res, 500, TEXT_TYPE, 'internal error\n');
      else res.destroy();
    });
  });
  server.on('clientError', (_err, socket) => {
    socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      reject(
        new RelayHealthError(
          'RELAY_E_HEALTH_LISTEN',
          `the health endpoint cannot listen on ${options.host}:${options.port}: ${e.code ?? e.message}`,
          { host: options.host, port: options.port, errno: e.code },
        ),
      );
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host: options.host, port: options.port, exclusive: true });
  });

  const address = server.address() as AddressInfo;
  if (!isLoopbackHost(address.address)) {
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
    throw new RelayHealthError(
      'RELAY_E_HEALTH_LISTEN',
      `the health endpoint got the non-loopback address ${address.address} for ${options.host}; closed`,
      { host: options.host, address: address.address },
    );
  }
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  diagnostics
    .channel(HEALTH_CHANNELS.listening)
    .publish({ host: address.address, port: address.port });

  let closing: Promise<void> | undefined;
  return Object.freeze({
    url: `http://${shown}:${address.port}`,
    host: address.address,
    port: address.port,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => {
          diagnostics
            .channel(HEALTH_CHANNELS.closed)
            .publish({ host: address.address, port: address.port });
          resolve();
        });
        server.closeAllConnections();
      });
      return closing;
    },
  });
}
