// The plumbing every control API of the simulator shares: a JSON-over-HTTP server bound to
// loopback only. In: a route handler (method, URL, lazily read JSON body → JSON answer or a
// typed error) and a bind address. Out: a running server ({url, port, close}); typed errors
// answered as {code, message} with their HTTP status, anything else as a bare 500.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RelaycheckError, defineErrors, familyError } from '../../../relay/src/protocol/errors';

export const SIM_CONTROL_ERRORS = defineErrors('sim-control', {
  SIM_E_CTL_ROUTE: { summary: 'No control API route has this method and path.', http: 404 },
  SIM_E_CTL_REQUEST: {
    summary: 'The control API request is malformed: not JSON, a missing or wrong field.',
    http: 400,
  },
  SIM_E_CTL_TOO_LARGE: {
    summary:
      'The control API request body is over its bound: 64 KiB, or 64 MiB for the tenant control API (POST /work, /call).',
    http: 413,
  },
  SIM_E_CTL_BIND: {
    summary: 'The control API may only listen on a loopback address (127.0.0.0/8 or ::1).',
  },
});

export type SimControlCode = (typeof SIM_CONTROL_ERRORS.codes)[number];

export class SimControlError extends familyError(SIM_CONTROL_ERRORS) {}

/** A running control API. */
export interface ControlApi {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Routes one request: answers JSON or throws a RelaycheckError. */
export type ControlHandler = (
  method: string,
  url: URL,
  body: () => Promise<unknown>,
) => Promise<unknown>;

export interface ControlServerOptions {
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  /** The HTTP status for a typed error; default: the error's own `http`, else 500. */
  readonly statusOf?: ((e: RelaycheckError) => number) | undefined;
  /** The largest request body read (default 64 KiB). */
  readonly maxBodyBytes?: number | undefined;
  /** Requests handled at once; the rest wait their turn (default: no bound). */
  readonly maxConcurrent?: number | undefined;
  /** Typed errors are answered with their details too (default: code and message only). */
  readonly errorDetails?: boolean | undefined;
}

const MAX_BODY = 64 * 1024;
/** Past the bound this much more is read and dropped (so the 413 can be read); then cut. */
const DRAIN_AFTER_LIMIT = 1024 * 1024;
const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/;

/** True when `host` is a loopback address or `localhost`. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.test(host);
}

/** Reads a request body of at most `max` bytes (default 64 KiB) as JSON; empty is `{}`. */
export function readJsonBody(req: IncomingMessage, max = MAX_BODY): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    const chunks: Buffer[] = [];
    let size = 0;
    let over = declared > max;
    const tooLarge = (): SimControlError =>
      new SimControlError(
        'SIM_E_CTL_TOO_LARGE',
        max === MAX_BODY
          ? 'request body over 64 KiB'
          : `the request body is over ${String(max)} bytes (base64 included)`,
      );
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max && !over) {
        chunks.push(chunk);
        return;
      }
      over = true;
      chunks.length = 0;
      // Read and drop a little so the client can still read its 413; past that, cut.
      if (size > max + DRAIN_AFTER_LIMIT) req.destroy();
    });
    let ended = false;
    req.on('error', reject);
    req.on('close', () => {
      // Settles a body cut off by the client (or by the bound) that never reached 'end'.
      if (!ended) {
        reject(
          over
            ? tooLarge()
            : new SimControlError('SIM_E_CTL_REQUEST', 'the request body ended early'),
        );
      }
    });
    req.on('end', () => {
      ended = true;
      if (over) {
        reject(tooLarge());
        return;
      }
      const text = Buffer.concat(chunks, size).toString('utf8');
      chunks.length = 0;
      if (text.trim() === '') {
        resolve({});
        return;
      }
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new SimControlError('SIM_E_CTL_REQUEST', 'the request body is not JSON'));
      }
    });
  });
}

/** One field of a parsed JSON body, or undefined when the body is not an object. */
export function field(body: unknown, name: string): unknown {
  return typeof body === 'object' && body !== null
    ? (body as Record<string, unknown>)[name]
    : undefined;
}

/** A whole number ≥ 0 from a body field, or a SIM_E_CTL_REQUEST naming the field. */
export function nonNegative(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new SimControlError('SIM_E_CTL_REQUEST', `"${name}" must be a whole number ≥ 0`);
  }
  return value;
}

function answer(res: ServerResponse, status: number, json: unknown, close = false): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(json) + '\n';
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(text);
}

/** A bound on concurrent work: acquire() waits for a slot, release() frees it. */
function slots(n: number): { acquire(): Promise<void>; release(): void } {
  let busy = 0;
  const waiting: (() => void)[] = [];
  return {
    acquire() {
      if (busy < n) {
        busy++;
        return Promise.resolve();
      }
      return new Promise((resolve) => waiting.push(resolve));
    },
    release() {
      const next = waiting.shift();
      if (next === undefined) busy--;
      else next();
    },
  };
}

/** Starts a control API on loopback (port 0 unless given). */
export function startControlServer(
  handler: ControlHandler,
  options: ControlServerOptions = {},
): Promise<ControlApi> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host)) {
    return Promise.reject(
      new SimControlError('SIM_E_CTL_BIND', `the control API may not listen on ${host}`),
    );
  }
  const statusOf = options.statusOf ?? ((e: RelaycheckError) => e.http ?? 500);
  const max = options.maxBodyBytes ?? MAX_BODY;
  const gate = slots(Math.max(1, options.maxConcurrent ?? Number.MAX_SAFE_INTEGER));
  const server = createServer((req, res) => {
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'http://control.invalid');
    void gate.acquire().then(async () => {
      try {
        answer(res, 200, await handler(req.method ?? 'GET', url, () => readJsonBody(req, max)));
      } catch (e) {
        if (e instanceof RelaycheckError) {
          answer(
            res,
            statusOf(e),
            {
              code: e.code,
              message: e.message,
              ...(options.errorDetails === true ? { details: e.details } : {}),
            },
            e.code === 'SIM_E_CTL_TOO_LARGE',
          );
        } else {
          answer(res, 500, { code: 'internal', message: 'internal error' });
        }
      } finally {
        gate.release();
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      const { port } = server.address() as AddressInfo;
      const shown = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${shown}:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => {
              done();
            });
          }),
      });
    });
  });
}
