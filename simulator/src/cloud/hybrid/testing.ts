// A minimal Hybrid Connections peer for tests and conformance cases, on raw `ws` and
// node:http. In: listener and sender URLs, tokens, the simulator's CA. Out: a control
// channel (or rendezvous socket) whose messages arrive in order through next(), helpers to
// answer requests, a typed refusal with the HTTP status when a handshake is refused, and an
// HTTP sender that collects the whole answer; a test namespace with run-time keys; an event
// recorder. It speaks the protocol literally and checks
// nothing for the caller: tests assert on what it saw.
import { randomBytes } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { WebSocket, type ClientOptions } from 'ws';
import type { HybridNamespaceConfigInput } from './config';

/** One message as received. */
export type Received =
  | {
      readonly kind: 'text';
      readonly text: string;
      readonly json: Record<string, unknown> | undefined;
    }
  | { readonly kind: 'binary'; readonly data: Buffer };

/** A refused WebSocket handshake: the HTTP status and description the endpoint answered. */
export class HandshakeRefused extends Error {
  readonly status: number;
  readonly statusMessage: string;
  readonly body: string;

  constructor(status: number, statusMessage: string, body: string) {
    super(`handshake refused: ${status} ${statusMessage}`);
    this.status = status;
    this.statusMessage = statusMessage;
    this.body = body;
  }
}

export interface PeerOptions {
  /** Trust this CA (the simulator's caPem) for wss://. */
  readonly ca?: string | undefined;
  /** Extra handshake headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Subprotocols to ask for. */
  readonly protocols?: readonly string[];
  /** Largest message accepted (default 256 MiB). */
  readonly maxPayload?: number;
}

/**
 * Opens a WebSocket; rejects with HandshakeRefused when the endpoint answers non-101.
 * `attach` runs before the handshake completes, so no message sent right after it is missed.
 */
export function openSocket(
  url: string,
  options: PeerOptions = {},
  attach: (ws: WebSocket) => void = () => undefined,
): Promise<WebSocket> {
  const wsOptions: ClientOptions = {
    perMessageDeflate: false,
    maxPayload: options.maxPayload ?? 256 * 1024 * 1024,
    ...(options.headers !== undefined ? { headers: { ...options.headers } } : {}),
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
  };
  const ws = new WebSocket(url, [...(options.protocols ?? [])], wsOptions);
  attach(ws);
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => {
      reject(e);
    };
    ws.once('open', () => {
      ws.off('error', onError);
      ws.on('error', () => undefined);
      resolve(ws);
    });
    ws.once('unexpected-response', (req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('end', () => {
        reject(
          new HandshakeRefused(
            res.statusCode ?? 0,
            res.statusMessage ?? '',
            Buffer.concat(chunks).toString('utf8'),
          ),
        );
        req.destroy();
      });
      res.once('error', () => {
        reject(new HandshakeRefused(res.statusCode ?? 0, res.statusMessage ?? '', ''));
      });
    });
    ws.on('error', onError);
  });
}

/** Opens a WebSocket and queues its messages from the first one on. */
export async function openQueue(url: string, options: PeerOptions = {}): Promise<FrameQueue> {
  let queue: FrameQueue | undefined;
  await openSocket(url, options, (ws) => {
    queue = new FrameQueue(ws);
  });
  if (queue === undefined) throw new Error('unreachable: the queue is attached before open');
  return queue;
}

/** A WebSocket whose messages queue up for next(). */
export class FrameQueue {
  readonly ws: WebSocket;
  readonly closed: Promise<{ readonly code: number; readonly reason: string }>;
  readonly #queue: Received[] = [];
  readonly #waiting: ((m: Received | undefined) => void)[] = [];
  #ended = false;

  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data, isBinary) => {
      const bytes = Buffer.isBuffer(data)
        ? data
        : Array.isArray(data)
          ? Buffer.concat(data)
          : Buffer.from(data);
      let m: Received;
      if (isBinary) {
        m = { kind: 'binary', data: bytes };
      } else {
        const text = bytes.toString('utf8');
        let json: Record<string, unknown> | undefined;
        try {
          const parsed: unknown = JSON.parse(text);
          json =
            typeof parsed === 'object' && parsed !== null
              ? (parsed as Record<string, unknown>)
              : undefined;
        } catch {
          json = undefined;
        }
        m = { kind: 'text', text, json };
      }
      const w = this.#waiting.shift();
      if (w !== undefined) w(m);
      else this.#queue.push(m);
    });
    this.closed = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        this.#ended = true;
        for (const w of this.#waiting.splice(0)) w(undefined);
        resolve({ code, reason: reason.toString('utf8') });
      });
    });
  }

  /** The next message; rejects if the socket closes first. */
  next(): Promise<Received> {
    const m = this.#queue.shift();
    if (m !== undefined) return Promise.resolve(m);
    if (this.#ended) return Promise.reject(new Error('the socket is closed'));
    return new Promise((resolve, reject) => {
      this.#waiting.push((x) => {
        if (x === undefined) reject(new Error('the socket closed while a message was awaited'));
        else resolve(x);
      });
    });
  }

  /** The next message, which must be a JSON text message with this one top-level name. */
  async nextJson(verb: string): Promise<Record<string, unknown>> {
    const m = await this.next();
    if (m.kind !== 'text' || m.json === undefined || typeof m.json[verb] !== 'object') {
      throw new Error(
        `expected a "${verb}" message, got ${m.kind === 'text' ? m.text.slice(0, 200) : `${m.data.length} binary bytes`}`,
      );
    }
    return m.json[verb] as Record<string, unknown>;
  }

  /** The next message, which must be binary. */
  async nextBinary(): Promise<Buffer> {
    const m = await this.next();
    if (m.kind !== 'binary')
      throw new Error(`expected a binary message, got text ${m.text.slice(0, 200)}`);
    return m.data;
  }

  /** A request message and, when it says body: true, its body. */
  async nextRequest(): Promise<{ request: Record<string, unknown>; body: Buffer | undefined }> {
    const request = await this.nextJson('request');
    const body = request.body === true ? await this.nextBinary() : undefined;
    return { request, body };
  }

  sendJson(value: unknown): void {
    this.ws.send(JSON.stringify(value));
  }

  /** Sends a response message (and its body as one binary message). */
  respond(
    requestId: string,
    statusCode: number,
    options: {
      readonly headers?: Readonly<Record<string, string>>;
      readonly body?: Buffer | string;
      readonly description?: string;
    } = {},
  ): void {
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    this.sendJson({
      response: {
        requestId,
        statusCode,
        ...(options.description !== undefined ? { statusDescription: options.description } : {}),
        responseHeaders: options.headers ?? {},
        body: body !== undefined,
      },
    });
    if (body !== undefined) this.ws.send(body, { binary: true });
  }

  close(code = 1000): Promise<{ readonly code: number; readonly reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close(code);
    }
    return this.closed;
  }
}

/** A listener's control channel. */
export class TestListener extends FrameQueue {
  /**
   * Connects a control channel to `url` (a listenerUrl). The token goes in the
   * ServiceBusAuthorization header, or in the sb-hc-token query parameter.
   */
  static async connect(
    url: string,
    token: string | undefined,
    options: PeerOptions & { readonly tokenIn?: 'header' | 'query' } = {},
  ): Promise<TestListener> {
    let target = url;
    const headers: Record<string, string> = { ...options.headers };
    if (token !== undefined) {
      if (options.tokenIn === 'query') {
        target = `${url}${url.includes('?') ? '&' : '?'}sb-hc-token=${encodeURIComponent(token)}`;
      } else {
        headers.ServiceBusAuthorization = token;
      }
    }
    let listener: TestListener | undefined;
    await openSocket(target, { ...options, headers }, (ws) => {
      listener = new TestListener(ws);
    });
    if (listener === undefined) throw new Error('unreachable: attached before open');
    return listener;
  }

  /** Opens the rendezvous address of a request or accept message. */
  static rendezvous(address: string, options: PeerOptions = {}): Promise<FrameQueue> {
    return openQueue(address, options);
  }
}

export interface RelayedResponse {
  readonly status: number;
  readonly statusMessage: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Sends one HTTP request (no connection reuse) and collects the whole answer. */
export function relayRequest(
  url: string,
  options: {
    readonly method?: string;
    readonly headers?: Readonly<Record<string, string | string[]>>;
    /** A buffer (sent with Content-Length) or a stream (sent chunked). */
    readonly body?: Buffer | string | Readable;
    readonly ca?: string | undefined;
  } = {},
): Promise<RelayedResponse> {
  const u = new URL(url);
  const make = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = make(
      u,
      {
        method: options.method ?? 'GET',
        headers: { ...options.headers },
        agent: false,
        ...(options.ca !== undefined ? { ca: options.ca } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            statusMessage: res.statusMessage ?? '',
            headers: res.headers,
            body: Buffer.concat(chunks),
          });
        });
        res.once('error', reject);
      },
    );
    req.once('error', reject);
    const body = options.body;
    if (body === undefined) req.end();
    else if (typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
    else body.pipe(req);
  });
}

/** A namespace for tests: keys made at run time (never committed, never logged). */
export function testHybridConfig(namespace = 'council-42'): {
  readonly config: HybridNamespaceConfigInput;
  readonly keys: {
    readonly root: string;
    readonly listen: string;
    readonly send: string;
    readonly entity: string;
  };
} {
  const key = (): string => randomBytes(32).toString('base64');
  const keys = { root: key(), listen: key(), send: key(), entity: key() };
  return {
    keys,
    config: {
      namespace,
      authorizationRules: [
        {
          keyName: 'RootManageSharedAccessKey',
          key: keys.root,
          rights: ['Manage', 'Listen', 'Send'],
        },
        { keyName: 'listen', key: keys.listen, rights: ['Listen'] },
        { keyName: 'send', key: keys.send, rights: ['Send'] },
      ],
      hybridConnections: [
        {
          path: 'hyco',
          authorizationRules: [{ keyName: 'hyco-listen', key: keys.entity, rights: ['Listen'] }],
        },
        { path: 'open', requiresClientAuthorization: false },
        { path: 'tax' },
      ],
    },
  };
}

/** Records every event published on `channels` until stop() is called. */
export function captureEvents(channels: readonly string[]): {
  readonly events: { readonly channel: string; readonly data: Record<string, unknown> }[];
  of(channel: string): Record<string, unknown>[];
  stop(): void;
} {
  const events: { channel: string; data: Record<string, unknown> }[] = [];
  const handlers = channels.map((channel) => {
    const handler = (data: unknown): void => {
      events.push({ channel, data: data as Record<string, unknown> });
    };
    diagnostics.subscribe(channel, handler);
    return { channel, handler };
  });
  return {
    events,
    of: (channel) => events.filter((e) => e.channel === channel).map((e) => e.data),
    stop: () => {
      for (const h of handlers) diagnostics.unsubscribe(h.channel, h.handler);
    },
  };
}

/** Resolves with the first event on `channel` that `match` accepts (subscribe before acting). */
export function nextEvent(
  channel: string,
  match: (data: Record<string, unknown>) => boolean = () => true,
): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const handler = (data: unknown): void => {
      const d = data as Record<string, unknown>;
      if (!match(d)) return;
      diagnostics.unsubscribe(channel, handler);
      resolve(d);
    };
    diagnostics.subscribe(channel, handler);
  });
}
