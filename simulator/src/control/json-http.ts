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
  SIM_E_CTL_TOO_LARGE: { summary: 'The control API request body is over 64 KiB.', http: 413 },
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
}

const MAX_BODY = 64 * 1024;
const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/;

/** True when `host` is a loopback address or `localhost`. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.test(host);
}

/** Reads a request body of at most 64 KiB as JSON; an empty body is `{}`. */
export function readJsonBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the bound nothing more is kept; the rest is read and dropped so that the
      // client still gets its 413 answer on an intact connection.
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      if (size > MAX_BODY) {
        reject(new SimControlError('SIM_E_CTL_TOO_LARGE', 'request body over 64 KiB'));
        return;
      }
      const text = Buffer.concat(chunks).toString('utf8');
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

function answer(res: ServerResponse, status: number, json: unknown): void {
  const text = JSON.stringify(json) + '\n';
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
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
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://control.invalid');
    handler(req.method ?? 'GET', url, () => readJsonBody(req)).then(
      (json) => {
        answer(res, 200, json);
      },
      (e: unknown) => {
        if (e instanceof RelaycheckError) {
          answer(res, statusOf(e), { code: e.code, message: e.message });
        } else {
          answer(res, 500, { code: 'internal', message: 'internal error' });
        }
      },
    );
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
