// The simulated namespace's control API: JSON over HTTP, bound to loopback only. In: HTTP
// requests from suites and users (list entities and messages, peek dead-letter queues,
// purge, inject faults). Out: JSON answers; state changes in the engine and in the fault
// switches the AMQP edge consults (refuse CBS, delay dispositions, drop connections).
//
//   GET    /entities                       every entity with its counts
//   GET    /messages?path=<entity>         the messages an entity holds (payloads left out)
//   GET    /deadletter?path=<entity>       the messages of <entity>/$DeadLetterQueue
//   DELETE /messages?path=<entity>         purge; answers {"purged": n}
//   GET    /faults                         the current fault switches
//   POST   /faults/cbs                     {"status": 401 | 403 | 503 | null}: answer every
//                                          put-token with that status (null: verify again)
//   POST   /faults/dispositions            {"delayMs": n}: delay every settlement reply by n ms
//   POST   /faults/drop-connections        {}: close every AMQP connection; answers {"dropped": n}
//   POST   /faults/lock-loss               {"lockToken": "<uuid>" | "all"}: answers {"lost": n}
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RelaycheckError, defineErrors, familyError } from '../../../../relay/src/protocol/errors';
import type { MessageSnapshot, ServiceBusEngineApi } from './engine/types';
import { SimServiceBusError } from './engine/errors';

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

/**
 * Fault switches: set by the control API, read by the AMQP edge on every decision (the
 * same shape as the edge's EdgeFaults).
 */
export interface ServiceBusFaults {
  /** Answer every CBS put-token with this status instead of verifying it; undefined: off. */
  refuseCbs?: number | undefined;
  /** Hold every disposition answer this long (ms); undefined or 0: off. */
  dispositionDelayMs?: number | undefined;
}

export function noFaults(): ServiceBusFaults {
  return {};
}

/** The statuses a put-token refusal may carry: what Azure answers when it refuses one. */
const CBS_REFUSALS = new Set([401, 403, 404, 500, 503]);

/** What the control API acts on. */
export interface ControlTarget {
  readonly engine: ServiceBusEngineApi;
  readonly faults: ServiceBusFaults;
  /** Closes every AMQP connection of the simulator; returns how many. */
  dropConnections(): number;
}

export interface ControlApi {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;
const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/;

/** A message as the control API shows it: everything but the opaque payload. */
export function describeMessage(m: MessageSnapshot): Record<string, unknown> {
  const { message, ...rest } = m;
  return { ...rest, size: message.size, contentType: message.contentType ?? null };
}

function readBody(req: IncomingMessage): Promise<unknown> {
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

function field(body: unknown, name: string): unknown {
  return typeof body === 'object' && body !== null
    ? (body as Record<string, unknown>)[name]
    : undefined;
}

function entityPath(url: URL): string {
  const path = url.searchParams.get('path');
  if (path === null || path === '') {
    throw new SimControlError('SIM_E_CTL_REQUEST', 'the query parameter "path" names the entity');
  }
  return path;
}

function nonNegative(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new SimControlError('SIM_E_CTL_REQUEST', `"${name}" must be a whole number ≥ 0`);
  }
  return value;
}

/** Routes one request. Pure but for the target's state; returns the JSON to answer. */
export async function handleControl(
  target: ControlTarget,
  method: string,
  url: URL,
  body: () => Promise<unknown>,
): Promise<unknown> {
  const route = `${method} ${url.pathname}`;
  switch (route) {
    case 'GET /entities':
      return { entities: target.engine.listEntities() };
    case 'GET /messages':
      return { messages: target.engine.messages(entityPath(url)).map(describeMessage) };
    case 'GET /deadletter': {
      const path = target.engine.resolvePath(entityPath(url));
      return { messages: target.engine.messages(`${path}/$DeadLetterQueue`).map(describeMessage) };
    }
    case 'DELETE /messages':
      return { purged: target.engine.purge(entityPath(url)) };
    case 'GET /faults':
      return faultsView(target.faults);
    case 'POST /faults/cbs': {
      const status = field(await body(), 'status');
      if (status !== null && !(typeof status === 'number' && CBS_REFUSALS.has(status))) {
        throw new SimControlError(
          'SIM_E_CTL_REQUEST',
          `"status" is one of ${[...CBS_REFUSALS].join(', ')}, or null to verify tokens again`,
        );
      }
      target.faults.refuseCbs = status ?? undefined;
      return faultsView(target.faults);
    }
    case 'POST /faults/dispositions': {
      const delay = nonNegative(field(await body(), 'delayMs'), 'delayMs');
      target.faults.dispositionDelayMs = delay === 0 ? undefined : delay;
      return faultsView(target.faults);
    }
    case 'POST /faults/drop-connections':
      return { dropped: target.dropConnections() };
    case 'POST /faults/lock-loss': {
      const token = field(await body(), 'lockToken');
      if (typeof token !== 'string' || token === '') {
        throw new SimControlError('SIM_E_CTL_REQUEST', '"lockToken" is a lock token or "all"');
      }
      return { lost: target.engine.forceLockLoss(token) };
    }
    default:
      throw new SimControlError('SIM_E_CTL_ROUTE', `no route ${route}`);
  }
}

function faultsView(f: ServiceBusFaults): { refuseCbs: number | null; dispositionDelayMs: number } {
  return { refuseCbs: f.refuseCbs ?? null, dispositionDelayMs: f.dispositionDelayMs ?? 0 };
}

function answer(res: ServerResponse, status: number, json: unknown): void {
  const text = JSON.stringify(json) + '\n';
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function statusOf(e: RelaycheckError): number {
  if (e instanceof SimServiceBusError)
    return e.code === 'SIM_E_SB_NOT_FOUND' ? 404 : (e.http ?? 400);
  return e.http ?? 500;
}

/** Starts the control API on loopback (port 0 unless given). */
export function startControlApi(
  target: ControlTarget,
  options: { readonly host?: string; readonly port?: number } = {},
): Promise<ControlApi> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.test(host)) {
    return Promise.reject(
      new SimControlError('SIM_E_CTL_BIND', `the control API may not listen on ${host}`),
    );
  }
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://control.invalid');
    handleControl(target, req.method ?? 'GET', url, () => readBody(req)).then(
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
