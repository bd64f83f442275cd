// The HTTP edge of every back-office mock: one node:http (or node:https) server per service,
// on loopback. In: HTTP requests; the service's handler; the fault controller's verdict for
// each request. Out: the handler's answer, or the fault's act on the socket (status, reset,
// empty close, hang, truncated body, malformed chunked encoding, slow dribble, delay); one
// journal entry per exchange, written when it ends; `sim:bo:*` events. Typed refusals are
// rendered here as XML <Error> bodies; anything unexpected is a 500, never a crash.
// This is the one file of the back office that touches sockets.
import {
  createServer as createHttpServer,
  STATUS_CODES,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Clock } from '../../../relay/src/protocol/primitives';
import { isLoopbackHost } from '../control/json-http';
import { RelaycheckError } from '../../../relay/src/protocol/errors';
import type { ServiceName } from './config';
import { SimBackOfficeError } from './errors';
import { BO_CHANNELS, publish } from './events';
import type { FaultAction, FaultController } from './faults';
import type { Journal, Outcome } from './journal';
import {
  bodyLength,
  XML_TYPE,
  type BoBody,
  type BoRequest,
  type BoResponse,
  type RequestNotes,
  type ServiceHandler,
} from './service';
import { sleep, type Timers } from './timers';
import { errorXml } from './xml';

export interface EdgeOptions {
  readonly service: ServiceName;
  readonly host: string;
  readonly port: number;
  /** Key and certificate (PEM) to serve HTTPS; undefined: plain HTTP. */
  readonly tls: { readonly key: string; readonly cert: string } | undefined;
  readonly handler: ServiceHandler;
  readonly journal: Journal;
  readonly faults: FaultController;
  readonly clock: Clock;
  readonly timers: Timers;
  /** Lower-case names of the request headers the journal keeps. */
  readonly journalHeaders: readonly string[];
  /** Lower-case names; the first present is the request's idempotency key. */
  readonly idempotencyHeaders: readonly string[];
}

export interface ServiceEndpoint {
  readonly name: ServiceName;
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  /** Exchanges not yet ended (including hung ones). */
  inFlight(): number;
  close(): Promise<void>;
}

/** After a refusal, at most this much of an unread body is read and dropped; then the connection closes. */
const DRAIN_CAP = 16 * 1_048_576;
/** Journal header values are cut to this length. */
const MAX_HEADER_VALUE = 256;

interface Target {
  readonly path: string;
  readonly query: string;
  readonly segments: readonly string[] | undefined;
}

/** Splits the request target; segments are undefined when a segment's %-encoding is malformed. */
export function parseTarget(raw: string): Target {
  let path: string;
  let query: string;
  if (raw.startsWith('/')) {
    const q = raw.indexOf('?');
    path = q < 0 ? raw : raw.slice(0, q);
    query = q < 0 ? '' : raw.slice(q + 1);
  } else {
    try {
      const u = new URL(raw); // absolute-form (a proxy-style request)
      path = u.pathname;
      query = u.search.slice(1);
    } catch {
      return { path: raw.slice(0, 200), query: '', segments: [] };
    }
  }
  let segments: string[] | undefined;
  try {
    segments = path.split('/').slice(1).map(decodeURIComponent);
  } catch {
    segments = undefined;
  }
  return { path, query, segments };
}

function headerValue(v: string | string[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  const s = Array.isArray(v) ? v.join(', ') : v;
  return s.length > MAX_HEADER_VALUE ? s.slice(0, MAX_HEADER_VALUE) : s;
}

/** Reads and drops what is left of a request body; false when over the cap or cut off. */
function drain(req: IncomingMessage, cap: number): Promise<boolean> {
  if (req.complete || req.readableEnded) return Promise.resolve(true);
  if (req.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    let n = 0;
    const done = (ok: boolean): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onClose);
      resolve(ok);
    };
    const onData = (c: Buffer): void => {
      n += c.length;
      if (n > cap) done(false);
    };
    const onEnd = (): void => {
      done(true);
    };
    const onClose = (): void => {
      done(req.complete);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    req.on('error', onClose);
    req.resume();
  });
}

function errorResponse(e: unknown): { response: BoResponse; code: string } {
  if (e instanceof RelaycheckError) {
    const details: Record<string, string | number | boolean | undefined> = { ...e.details };
    const headers: Record<string, string> = { 'content-type': XML_TYPE };
    if (e.code === 'SIM_E_BO_METHOD' && typeof details.allow === 'string')
      headers.allow = details.allow;
    return {
      response: {
        status: e.http ?? 500,
        headers,
        body: Buffer.from(errorXml(e.code, e.message, details)),
      },
      code: e.code,
    };
  }
  const err = new SimBackOfficeError('SIM_E_BO_INTERNAL', 'the mock service failed unexpectedly');
  return {
    response: {
      status: 500,
      headers: { 'content-type': XML_TYPE },
      body: Buffer.from(errorXml(err.code, err.message)),
    },
    code: err.code,
  };
}

/** The raw TCP socket under a (possibly TLS) socket, for a real RST. */
function rawSocket(s: Socket): Socket {
  const parent = (s as Socket & { _parent?: unknown })._parent;
  return parent !== null && typeof parent === 'object' && 'resetAndDestroy' in parent
    ? (parent as Socket)
    : s;
}

function reset(s: Socket): void {
  try {
    rawSocket(s).resetAndDestroy();
  } catch {
    s.destroy();
  }
}

/** Starts one service's server on loopback. */
export async function startServiceEdge(o: EdgeOptions): Promise<ServiceEndpoint> {
  if (!isLoopbackHost(o.host)) {
    throw new SimBackOfficeError(
      'SIM_E_BO_BIND',
      `a back-office service may not listen on ${o.host}`,
      { host: o.host },
    );
  }
  const closing = new AbortController();
  const inflight = new Set<Promise<void>>();
  let open = 0;
  let exchanges = 0;

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const startedAt = o.clock.now();
    const t0 = performance.now();
    const exchange = `${o.service}:${String(++exchanges)}`;
    const method = (req.method ?? 'GET').toUpperCase();
    const target = parseTarget(req.url ?? '/');
    const headers: Record<string, string> = {};
    for (const name of o.journalHeaders) {
      const v = headerValue(req.headers[name]);
      if (v !== undefined) headers[name] = v;
    }
    let idempotencyKey: string | undefined;
    for (const name of o.idempotencyHeaders) {
      idempotencyKey = headerValue(req.headers[name]);
      if (idempotencyKey !== undefined) break;
    }
    const notes: { reference?: string | undefined; requestBytes: number; replayed?: true } = {
      requestBytes: 0,
    };
    let outcome: Outcome | undefined;
    let status: number | undefined;
    let error: string | undefined;
    let fault: { ruleId: string; type: string } | undefined;
    let responseBytes = 0;
    let matched = true;
    let ended = false;
    open++;

    req.on('error', () => undefined);
    res.on('error', () => undefined);
    let finish!: () => void;
    const endedPromise = new Promise<void>((resolve) => {
      finish = resolve;
    });
    // The entry is written when the connection is done with AND the service's work has
    // settled (a write cleaned up after an abort, say), so the journal shows the final state.
    let markHandled!: () => void;
    const handled = new Promise<void>((resolve) => {
      markHandled = resolve;
    });
    res.on('close', () => {
      if (ended) return;
      ended = true;
      const endedAt = o.clock.now();
      const final: Outcome = outcome ?? (res.writableFinished ? 'answered' : 'client-closed');
      const sent = status ?? (res.headersSent ? res.statusCode : undefined);
      void handled.then(() => {
        record(endedAt, final, sent);
      });
    });
    const record = (endedAt: number, final: Outcome, sent: number | undefined): void => {
      open--;
      o.journal.record({
        kind: 'request',
        service: o.service,
        method,
        path: target.path,
        query: target.query,
        headers,
        idempotencyKey,
        startedAt,
        endedAt,
        durationMs: endedAt - startedAt,
        elapsedMs: performance.now() - t0,
        status: sent,
        outcome: final,
        matched,
        requestBytes: notes.requestBytes,
        responseBytes,
        error,
        fault,
        reference: notes.reference,
        file: undefined,
        ...(notes.replayed === true ? { replayed: true } : {}),
      });
      publish(BO_CHANNELS.response, {
        service: o.service,
        exchange,
        method,
        path: target.path,
        status: sent,
        outcome: final,
        error,
        responseBytes,
        elapsedMs: performance.now() - t0,
      });
      finish();
    };

    publish(BO_CHANNELS.request, { service: o.service, exchange, method, path: target.path });

    /** Faults before the work, then the work. Undefined: a fault already ended the exchange. */
    const prepare = async (): Promise<
      { response: BoResponse; act: FaultAction | undefined } | undefined
    > => {
      const verdict = o.faults.decide(o.service, { method, path: target.path, idempotencyKey });
      if (verdict !== undefined) {
        fault = { ruleId: verdict.ruleId, type: verdict.action.type };
        publish(BO_CHANNELS.fault, {
          service: o.service,
          exchange,
          ruleId: verdict.ruleId,
          action: verdict.action.type,
          delayMs: verdict.delayMs,
          path: target.path,
        });
        if (verdict.delayMs > 0) {
          const waited = await sleep(o.timers, verdict.delayMs, closing.signal);
          if (!waited) {
            outcome = 'shutdown';
            req.socket.destroy();
            return undefined;
          }
        }
      }

      const act = verdict?.action;
      const when = act !== undefined && 'when' in act ? act.when : 'before';

      if (act?.type === 'status') {
        await drain(req, DRAIN_CAP);
        const e = new SimBackOfficeError(
          'SIM_E_BO_FAULT',
          `injected fault: ${String(act.status)} ${STATUS_CODES[act.status] ?? ''}`.trim(),
          {
            rule: verdict?.ruleId,
          },
        );
        error = e.code;
        const h: Record<string, string> = { 'content-type': XML_TYPE };
        if (verdict?.retryAfter !== undefined) h['retry-after'] = verdict.retryAfter;
        send(res, method, {
          status: act.status,
          headers: h,
          body: Buffer.from(errorXml(e.code, e.message, e.details)),
        });
        return undefined;
      }
      if (
        act !== undefined &&
        when === 'before' &&
        (act.type === 'reset' || act.type === 'empty' || act.type === 'hang')
      ) {
        await socketAct(act.type);
        return undefined;
      }

      // The service does its work.
      const request: BoRequest = {
        method,
        path: target.path,
        segments: target.segments ?? [],
        query: new URLSearchParams(target.query),
        headers: req.headers,
        body: req,
        idempotencyKey,
        note(facts: RequestNotes) {
          if (facts.reference !== undefined) notes.reference = facts.reference;
          if (facts.requestBytes !== undefined) notes.requestBytes = facts.requestBytes;
          if (facts.replayed === true) notes.replayed = true;
        },
      };
      try {
        if (target.segments === undefined) {
          throw new SimBackOfficeError(
            'SIM_E_BO_ARGUMENT',
            'the path has a malformed percent-encoding',
          );
        }
        return { response: await o.handler(request), act };
      } catch (e) {
        const r = errorResponse(e);
        error = r.code;
        if (r.code === 'SIM_E_BO_ROUTE' || r.code === 'SIM_E_BO_METHOD') matched = false;
        const response = (await drain(req, DRAIN_CAP))
          ? r.response
          : { ...r.response, headers: { ...r.response.headers, connection: 'close' } };
        return { response, act };
      }
    };
    let prepared: Awaited<ReturnType<typeof prepare>>;
    try {
      prepared = await prepare();
    } finally {
      markHandled();
    }
    if (prepared === undefined) return endedPromise;
    const { response, act } = prepared;
    if (req.complete && notes.requestBytes === 0)
      notes.requestBytes = Number(req.headers['content-length'] ?? 0) || 0;

    if (
      act !== undefined &&
      (act.type === 'reset' || act.type === 'empty' || act.type === 'hang')
    ) {
      await socketAct(act.type); // when: 'after': the work is done, the answer is lost
      return endedPromise;
    }
    if (act?.type === 'truncate') {
      outcome = 'truncated';
      await truncate(res, response, act.sendBytes);
      return endedPromise;
    }
    if (act?.type === 'malformed-chunked') {
      outcome = 'malformed';
      status = response.status;
      await malformedChunked(req.socket, response);
      return endedPromise;
    }
    if (act?.type === 'dribble') {
      await dribble(res, method, response, act);
      return endedPromise;
    }
    send(res, method, response);
    return endedPromise;

    // --- the acts -------------------------------------------------------------------

    async function socketAct(type: 'reset' | 'empty' | 'hang'): Promise<void> {
      if (type === 'reset') {
        outcome = 'reset';
        reset(req.socket);
      } else if (type === 'empty') {
        outcome = 'empty';
        await drain(req, DRAIN_CAP);
        req.socket.end();
      } else {
        outcome = 'hung'; // the connection stays open until the client or close() ends it
      }
    }

    function countBytes(): Transform {
      return new Transform({
        transform(chunk: Buffer, _enc, done) {
          responseBytes += chunk.length;
          done(null, chunk);
        },
      });
    }

    function send(r: ServerResponse, m: string, answer: BoResponse): void {
      const length = bodyLength(answer.body);
      r.writeHead(answer.status, { ...answer.headers, 'content-length': String(length) });
      if (m === 'HEAD') {
        r.end();
        return;
      }
      if (Buffer.isBuffer(answer.body)) {
        responseBytes += answer.body.length;
        r.end(answer.body);
        return;
      }
      pipeline(answer.body.open(), countBytes(), r).catch(() => {
        r.destroy();
      });
    }

    async function firstBytes(body: BoBody, n: number): Promise<Buffer> {
      if (Buffer.isBuffer(body)) return body.subarray(0, n);
      const parts: Buffer[] = [];
      let have = 0;
      const stream = body.open();
      try {
        for await (const chunk of stream) {
          const b = chunk as Buffer;
          parts.push(b.subarray(0, n - have));
          have += Math.min(b.length, n - have);
          if (have >= n) break;
        }
      } finally {
        stream.destroy();
      }
      return Buffer.concat(parts);
    }

    async function truncate(
      r: ServerResponse,
      answer: BoResponse,
      sendBytes: number | undefined,
    ): Promise<void> {
      const length = bodyLength(answer.body);
      const sendN = Math.min(sendBytes ?? Math.floor(length / 2), length);
      const declared = Math.max(length, sendN + 1);
      const part = await firstBytes(answer.body, sendN);
      r.writeHead(answer.status, { ...answer.headers, 'content-length': String(declared) });
      responseBytes += part.length;
      r.write(part, () => {
        req.socket.end();
      });
    }

    async function malformedChunked(socket: Socket, answer: BoResponse): Promise<void> {
      const part = await firstBytes(answer.body, 64);
      const lines = [
        `HTTP/1.1 ${String(answer.status)} ${STATUS_CODES[answer.status] ?? 'Unknown'}`,
      ];
      for (const [k, v] of Object.entries(answer.headers)) lines.push(`${k}: ${v}`);
      lines.push('transfer-encoding: chunked', 'connection: close', '', '');
      const head = Buffer.from(lines.join('\r\n'), 'latin1');
      // One good chunk, then a chunk-size line that is not hexadecimal.
      const chunk =
        part.length === 0
          ? Buffer.alloc(0)
          : Buffer.concat([
              Buffer.from(`${part.length.toString(16)}\r\n`),
              part,
              Buffer.from('\r\n'),
            ]);
      const bad = Buffer.from('zz\r\nnot a chunk\r\n', 'latin1');
      responseBytes += part.length;
      socket.write(Buffer.concat([head, chunk, bad]), () => {
        socket.end();
      });
      return Promise.resolve();
    }

    async function dribble(
      r: ServerResponse,
      m: string,
      answer: BoResponse,
      a: Extract<FaultAction, { type: 'dribble' }>,
    ): Promise<void> {
      const length = bodyLength(answer.body);
      r.writeHead(answer.status, { ...answer.headers, 'content-length': String(length) });
      if (m === 'HEAD') {
        r.end();
        return;
      }
      const source = Buffer.isBuffer(answer.body)
        ? Readable.from([answer.body])
        : answer.body.open();
      let first = true;
      try {
        for await (const chunk of source) {
          const b = chunk as Buffer;
          for (let off = 0; off < b.length; off += a.bytes) {
            if (!first) {
              const waited = await sleep(o.timers, a.intervalMs, closing.signal);
              if (!waited) {
                outcome = 'shutdown';
                req.socket.destroy();
                return;
              }
            }
            first = false;
            if (r.destroyed) return;
            const piece = b.subarray(off, off + a.bytes);
            responseBytes += piece.length;
            if (!r.write(piece))
              await new Promise<void>((resolve) => {
                r.once('drain', resolve);
                r.once('close', resolve);
              });
          }
        }
        r.end();
      } finally {
        source.destroy();
      }
    }
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const p = serve(req, res).catch(() => {
      // serve() answers every failure itself; this is a last guard against a crash.
      res.destroy();
    });
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };

  const server: Server =
    o.tls === undefined
      ? createHttpServer(onRequest)
      : createHttpsServer({ key: o.tls.key, cert: o.tls.cert, minVersion: 'TLSv1.2' }, onRequest);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // A parse error is a bad request; a socket that ends mid-message (HPE_INVALID_EOF_STATE)
    // is a client going away, which the request's own entry already records.
    if (
      typeof err.code === 'string' &&
      err.code.startsWith('HPE_') &&
      err.code !== 'HPE_INVALID_EOF_STATE'
    ) {
      const now = o.clock.now();
      o.journal.record({
        kind: 'request',
        service: o.service,
        method: '-',
        path: '-',
        query: '',
        headers: {},
        idempotencyKey: undefined,
        startedAt: now,
        endedAt: now,
        durationMs: 0,
        elapsedMs: 0,
        status: 400,
        outcome: 'bad-request',
        matched: false,
        requestBytes: 0,
        responseBytes: 0,
        error: err.code,
        fault: undefined,
        reference: undefined,
        file: undefined,
      });
      if (socket.writable) {
        socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
        return;
      }
    }
    socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      reject(
        new SimBackOfficeError(
          'SIM_E_BO_BIND',
          `${o.service} cannot listen on ${o.host}:${String(o.port)}: ${e.code ?? e.message}`,
          { host: o.host, port: o.port, errno: e.code },
        ),
      );
    };
    server.once('error', onError);
    server.listen(o.port, o.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shown = o.host.includes(':') ? `[${o.host}]` : o.host;
  const url = `${o.tls === undefined ? 'http' : 'https'}://${shown}:${String(port)}`;
  publish(BO_CHANNELS.listening, { service: o.service, port, tls: o.tls !== undefined, url });

  let closed: Promise<void> | undefined;
  return {
    name: o.service,
    url,
    host: o.host,
    port,
    tls: o.tls !== undefined,
    inFlight: () => open,
    close(): Promise<void> {
      closed ??= (async () => {
        closing.abort();
        const done = new Promise<void>((resolve) => {
          server.close(() => {
            resolve();
          });
        });
        server.closeAllConnections();
        await done;
        await Promise.allSettled([...inflight]);
      })();
      return closed;
    },
  };
}
