// Helpers for tests of the back office. In: advance(ms) calls from a test; URLs to call.
// Out: ManualTime, a Clock and Timers whose timers fire, in due order, only inside
// advance(), with waiters that resolve when a service has scheduled a timer (so a test knows
// a delay has begun without sleeping); rawRequest, a client that reports socket and parse
// errors as data, for observing faults.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Clock } from '../../../relay/src/protocol/primitives';
import type { Timers } from './timers';

interface Pending {
  readonly id: number;
  readonly due: number;
  readonly ms: number;
  readonly fn: () => void;
}

export class ManualTime implements Clock, Timers {
  #now: number;
  #next = 1;
  #pending: Pending[] = [];
  #waiters: ((ms: number) => void)[] = [];
  /** Every delay ever scheduled, in order (ms). */
  readonly scheduled: number[] = [];

  constructor(start = Date.UTC(2025, 9, 15, 9, 0, 0)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const t: Pending = { id: this.#next++, due: this.#now + Math.max(0, ms), ms, fn };
    this.#pending.push(t);
    this.scheduled.push(ms);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w(ms);
    return t.id;
  }

  clearTimeout(handle: unknown): void {
    this.#pending = this.#pending.filter((t) => t.id !== handle);
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Resolves with the delay of the next timer scheduled (or now, if one is pending and `orPending`). */
  nextTimer(orPending = true): Promise<number> {
    const first = this.#pending[0];
    if (orPending && first !== undefined) return Promise.resolve(first.ms);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Moves time on by `ms`, firing due timers in order (a timer set by one that fires also runs if due). */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (let guard = 0; guard < 100_000; guard++) {
      this.#pending.sort((a, b) => a.due - b.due || a.id - b.id);
      const t = this.#pending[0];
      if (t === undefined || t.due > until) break;
      this.#pending.shift();
      this.#now = Math.max(this.#now, t.due);
      t.fn();
    }
    this.#now = until;
  }
}

/** What a raw HTTP client saw: an answer, or the error that ended the exchange. */
export interface ClientResult {
  readonly status: number | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
  /** The error code (ECONNRESET, HPE_INVALID_CHUNK_SIZE, CERT_HAS_EXPIRED, ...), if any. */
  readonly error: string | undefined;
  readonly message: string | undefined;
}

export interface ClientOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer | readonly Buffer[];
  /** CA certificates (PEM) to trust for https: URLs; nothing else is trusted. */
  readonly ca?: string;
  readonly servername?: string;
}

/**
 * One request on a fresh connection (no agent, no keep-alive) with node:http(s); the path
 * is sent exactly as written in `url` (no dot-segment or %-normalisation). Never
 * rejects: a socket or parse error comes back in `error`, with what arrived before it.
 * Array bodies are sent chunked, one write per element.
 */
export function rawRequest(url: string, options: ClientOptions = {}): Promise<ClientResult> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const chunks: Buffer[] = [];
    let status: number | undefined;
    let headers: Record<string, string | string[] | undefined> = {};
    let settled = false;
    const done = (error?: NodeJS.ErrnoException): void => {
      if (settled) return;
      settled = true;
      resolve({
        status,
        headers,
        body: Buffer.concat(chunks),
        error: error === undefined ? undefined : (error.code ?? 'ERROR'),
        message: error?.message,
      });
    };
    const onResponse = (res: IncomingMessage): void => {
      status = res.statusCode;
      headers = res.headers;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        done();
      });
      res.on('error', done);
      res.on('aborted', () => {
        done(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
      });
    };
    // The path goes as written: no dot-segment or percent normalisation (traversal tests).
    const raw = /^https?:\/\/[^/?#]+([^#]*)/.exec(url)?.[1] ?? '/';
    const common = {
      hostname: u.hostname.replace(/^\[|\]$/g, ''),
      port: u.port,
      path: raw === '' ? '/' : raw,
      method: options.method ?? 'GET',
      headers: options.headers,
      agent: false as const,
    };
    const req =
      u.protocol === 'https:'
        ? httpsRequest(
            {
              ...common,
              ...(options.ca === undefined ? {} : { ca: options.ca }),
              ...(options.servername === undefined ? {} : { servername: options.servername }),
            },
            onResponse,
          )
        : httpRequest(common, onResponse);
    req.on('error', done);
    const body = options.body;
    if (Array.isArray(body)) {
      for (const b of body as readonly Buffer[]) req.write(b);
      req.end();
    } else {
      req.end(body as string | Buffer | undefined);
    }
  });
}
