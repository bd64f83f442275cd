// The relay's back-office client. In: a call (service, route, method, path, headers, body,
// idempotency key, abort signal, lock renewal) and injected time, randomness and fetch. Out: the
// back office's answer (2xx/3xx streamed, a permanent refusal buffered to 4 KiB) after at most
// `attempts` tries with exponential back-off, jitter and Retry-After, each under a headers and a
// body-idle timeout, behind a circuit breaker per service (opened at once by a Retry-After longer
// than the cap; a call holding a Service Bus message waits, its lock renewed, for an open breaker
// before it gives up) and a bounded slot per route (such a call waits for one rather than being
// refused as busy); or a typed error: TRANSIENT / OPEN / BUSY / ABORTED (abandon the work) or
// REQUEST (dead-letter).
// Sockets live in fetch (global by default, so nock scripts every outcome in tests), over a
// dispatcher holding the relay's TLS policy (BACKOFFICE_TLS).
import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import { Agent } from 'undici';
import { RELAY_TLS_CIPHERS, RELAY_TLS_MIN_VERSION } from '../../connectivity/tls-trust';
import { checkPath, RelayRouteError } from '../route-path';
import {
  systemScheduler,
  type RandomSource,
  type Scheduler,
  type TimerHandle,
} from '../../transports/scheduler';
import { nextChunk, readBounded, ResponseBody, uploadStream, type ChunkReader } from './body';
import { CircuitBreaker } from './breaker';
import { parseBackOfficeConfig, type BackOfficeConfig } from './config';
import { RelayBackOfficeError } from './errors';
import { publishAttempt, type AttemptEvent, type BreakerState } from './events';
import { RouteLimiter, type Release, type RouteLoad } from './limiter';
import {
  backoffDelay,
  classifyError,
  classifyStatus,
  errnoOf,
  MAX_ERROR_BODY_BYTES,
  parseRetryAfter,
  reasonText,
  retryDelay,
} from './policy';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface BackOfficeDeps {
  /** Time and timers (default: the system clock). */
  readonly scheduler?: Scheduler;
  /** Uniform [0, 1) draws for the back-off jitter (default Math.random). */
  readonly random?: RandomSource;
  /** Default: the global fetch, looked up at each attempt, with BACKOFFICE_TLS on its sockets. */
  readonly fetch?: FetchLike;
  /** Told about every attempt, like `relay:backoffice:attempt`; its exceptions are ignored. */
  readonly onAttempt?: (e: AttemptEvent) => void;
}

export interface BackOfficeCall {
  /** A service of config.services. */
  readonly service: string;
  /** The route label: the unit of concurrency, and named in events and errors. */
  readonly route: string;
  /** GET, HEAD, POST or PUT. */
  readonly method: string;
  /** Path and query relative to the service's base URL, starting with '/'. */
  readonly path: string;
  /** Request headers; hop-by-hop ones, host, content-length and idempotency-key are set here. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * A Buffer is replayable: every attempt sends it. A stream can be sent once only, so a call
   * with a stream body makes a single attempt (a transient failure ends the call at once). The
   * client owns a stream body: it is consumed, or destroyed when the call fails before it is.
   */
  readonly body?: Buffer | Readable | undefined;
  /** Sent as `Idempotency-Key` on every attempt (the same on retries): 1-200 printable ASCII. */
  readonly idempotencyKey: string;
  /** Aborts the call: an attempt in flight, a back-off wait, a wait for a slot, the body. */
  readonly signal?: AbortSignal;
  /**
   * Called before each retry wait so that the Service Bus lock of the message being delivered
   * stays valid through the wait (keep backoff.maxMs and retryAfterCapMs under the lock
   * duration). If it rejects, or does not settle within headersTimeoutMs, the call ends with
   * RELAY_E_BACKOFFICE_ABORTED: the lock is gone, so the message comes back anyway. A call that
   * has one can hold its work: refused by an open breaker, it waits for the breaker (renewing
   * before each wait, at most breakerWaitMs in all) instead of failing at once.
   */
  readonly renewLock?: () => Promise<void>;
}

export interface BackOfficeResponse {
  readonly status: number;
  /** Lower-case names; only content-type, content-length, location and retry-after. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * `success`: streamed from the back office under the body idle timeout; consume or destroy
   * it (the route's slot is held until it closes); an error mid-body destroys it with a typed
   * RELAY_E_BACKOFFICE_TRANSIENT (or _ABORTED). `permanent`: at most 4 KiB, already read.
   */
  readonly body: Readable;
  /** Attempts made, this one included. */
  readonly attempts: number;
  /** 2xx/3xx, or a permanent refusal the caller dead-letters (see refusedError). */
  readonly outcome: 'success' | 'permanent';
}

export interface BackOfficeClient {
  readonly config: BackOfficeConfig;
  call(call: BackOfficeCall): Promise<BackOfficeResponse>;
  /** The breaker state of a configured service (undefined for an unknown one). */
  breakerState(service: string): BreakerState | undefined;
  /** Calls running and waiting on a route. */
  load(route: string): RouteLoad;
  /** True when the route's slots are all taken: a cue for the receiver to lower its credit. */
  saturated(route: string): boolean;
}

/** Read through a call so that no earlier check narrows it: the signal may fire at any await. */
function aborted(c: BackOfficeCall): boolean {
  return c.signal?.aborted ?? false;
}

const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT']);
const RETURNED = ['content-type', 'content-length', 'location', 'retry-after'] as const;
/** Request headers the client sets itself or that belong to one connection only. */
const MANAGED: ReadonlySet<string> = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'content-length',
  'accept-encoding',
  'idempotency-key',
]);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
const HEADER_VALUE = /^[\t\u0020-\u007e\u0080-\u00ff]{0,8192}$/;
const KEY = /^[\x21-\x7e]{1,200}$/;
const ROUTE = /^[\x21-\x7e]{1,128}$/;
const MAX_HEADERS = 64;

/**
 * The longest a call holding a Service Bus message waits in all for an open breaker: under the
 * work receiver's handler timeout (55 s), which would otherwise end the wait as a failure.
 */
export const BREAKER_WAIT_CAP_MS = 45_000;
/** How often a call waiting for a half-open breaker looks again while a probe is out (at most). */
export const BREAKER_PROBE_POLL_MS = 1_000;

/**
 * How long, in all, a call that can hold its work (it renews a Service Bus lock) waits for an
 * open breaker before it fails with RELAY_E_BACKOFFICE_OPEN: two open periods, so that it sees
 * at least one probe decide, and at most BREAKER_WAIT_CAP_MS. Waiting keeps the message with the
 * relay: an abandon each open period would use up the broker's max delivery count in a long
 * outage (ten 30 s periods are Azure's default 10 deliveries in five minutes).
 */
export function breakerWaitMs(openMs: number): number {
  return Math.min(BREAKER_WAIT_CAP_MS, 2 * openMs);
}

/** What one attempt came to. */
type Attempt =
  | { kind: 'success'; response: Response; body: Readable; streaming: boolean }
  | { kind: 'permanent'; response: Response; bytes: Buffer }
  | { kind: 'transient'; status?: number; errno?: string; retryAfterMs?: number }
  | { kind: 'aborted'; reason: string }
  | { kind: 'unusable'; errno: string };

interface Prepared {
  readonly call: BackOfficeCall;
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly breaker: CircuitBreaker;
}

/**
 * The TLS policy of back-office HTTPS calls: TLS 1.2 at least and the relay's cipher list
 * (tls-trust.ts), set on the connections of the default fetch so that Node's process-wide
 * defaults (--tls-min-v1.0, --tls-cipher-list, also through NODE_OPTIONS) do not decide them
 * (TLS-010). The CA store stays Node's default one, with NODE_EXTRA_CA_CERTS (the relay
 * command sets it from tls.caFile).
 */
export const BACKOFFICE_TLS = Object.freeze({
  minVersion: RELAY_TLS_MIN_VERSION,
  ciphers: RELAY_TLS_CIPHERS,
});

/** The global fetch (looked up at each call) over one undici Agent with BACKOFFICE_TLS. */
function policyFetch(): FetchLike {
  let dispatcher: Agent | undefined;
  return (url, init) => {
    dispatcher ??= new Agent({ connect: { ...BACKOFFICE_TLS } });
    // The undici package's Agent is the dispatcher type Node's fetch takes (undici-types).
    const via = dispatcher as unknown as RequestInit['dispatcher'];
    return globalThis.fetch(url, { ...init, dispatcher: via });
  };
}

/** Builds the client over a validated (or raw, validated here) configuration. */
export function createBackOfficeClient(
  input: unknown,
  deps: BackOfficeDeps = {},
): BackOfficeClient {
  const config = parseBackOfficeConfig(input);
  const scheduler = deps.scheduler ?? systemScheduler;
  const random = deps.random ?? Math.random;
  const fetchFn: FetchLike = deps.fetch ?? policyFetch();
  const limiter = new RouteLimiter({
    maxConcurrent: config.maxConcurrentPerRoute,
    maxQueued: config.maxQueuedPerRoute,
  });
  const bases = new Map<string, URL>();
  const breakers = new Map<string, CircuitBreaker>();
  for (const [service, base] of Object.entries(config.services)) {
    bases.set(service, new URL(base.endsWith('/') ? base : `${base}/`));
    breakers.set(service, new CircuitBreaker(service, config.breaker, scheduler));
  }

  const emit = (e: AttemptEvent): void => {
    publishAttempt(e);
    try {
      deps.onAttempt?.(e);
    } catch {
      // An observer's failure must not change the delivery.
    }
  };

  function prepare(c: BackOfficeCall): Prepared {
    const refuse = (why: string): never => {
      throw new RelayBackOfficeError('RELAY_E_BACKOFFICE_REQUEST', `the call is refused: ${why}`, {
        service: c.service.slice(0, 64),
      });
    };
    const fields = [c.service, c.route, c.method, c.path] as unknown[];
    if (fields.some((f) => typeof f !== 'string')) {
      throw new RelayBackOfficeError(
        'RELAY_E_BACKOFFICE_REQUEST',
        'the call is refused: service, route, method and path are strings',
      );
    }
    if (!ROUTE.test(c.route)) refuse('a route label is 1-128 printable ASCII characters');
    const base = bases.get(c.service);
    const breaker = breakers.get(c.service);
    if (base === undefined || breaker === undefined) {
      throw new RelayRouteError(
        'RELAY_E_ROUTE_UNKNOWN',
        `no back-office service "${c.service.slice(0, 64)}"`,
        { route: c.route, service: c.service.slice(0, 64) },
      );
    }
    const method = c.method.toUpperCase();
    if (!METHODS.has(method)) {
      throw new RelayRouteError(
        'RELAY_E_ROUTE_PATH',
        `the method ${method.slice(0, 16)} is not forwarded`,
        { route: c.route },
      );
    }
    const url = new URL(checkPath(c.path).slice(1), base);
    if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) {
      throw new RelayRouteError('RELAY_E_ROUTE_PATH', 'the path leaves the configured service', {
        route: c.route,
      });
    }
    if (typeof c.idempotencyKey !== 'string' || !KEY.test(c.idempotencyKey)) {
      refuse('an idempotency key is 1-200 printable ASCII characters');
    }
    const given = Object.entries(c.headers ?? {});
    if (given.length > MAX_HEADERS) refuse(`more than ${MAX_HEADERS} headers`);
    const headers: Record<string, string> = {};
    for (const [name, value] of given) {
      if (!HEADER_NAME.test(name)) refuse(`a header name HTTP cannot carry (${name.slice(0, 32)})`);
      if (typeof value !== 'string' || !HEADER_VALUE.test(value)) {
        refuse(`the value of header ${name} holds characters HTTP cannot carry`);
      }
      const lower = name.toLowerCase();
      if (!MANAGED.has(lower)) headers[lower] = value;
    }
    headers['idempotency-key'] = c.idempotencyKey;
    // Bytes pass through as the back office sent them: no transparent decompression.
    headers['accept-encoding'] = 'identity';
    const body = c.body;
    if (body !== undefined && !Buffer.isBuffer(body) && !(body instanceof Readable)) {
      refuse('a body is a Buffer or a Readable');
    }
    if ((method === 'GET' || method === 'HEAD') && body !== undefined) {
      if (body instanceof Readable || body.length > 0) refuse(`a ${method} carries no body`);
    }
    return Object.freeze({
      call: c,
      url: url.href,
      method,
      headers: Object.freeze(headers),
      breaker,
    });
  }

  /** One exchange: never throws; every way it can end is an Attempt. */
  async function attempt(p: Prepared): Promise<Attempt> {
    const c = p.call;
    const controller = new AbortController();
    let timer: TimerHandle | undefined;
    // Set from timers and stream callbacks: read through `flags` so that narrowing holds no stale value.
    const flags: { fired?: 'headers' | 'upload' | 'body'; sourceFailed: boolean } = {
      sourceFailed: false,
    };
    const arm = (ms: number, which: 'headers' | 'upload'): void => {
      if (timer !== undefined) scheduler.clearTimer(timer);
      timer = scheduler.setTimer(() => {
        timer = undefined;
        flags.fired = which;
        controller.abort(new Error(`${which} timeout`));
      }, ms);
    };
    const disarm = (): void => {
      if (timer !== undefined) scheduler.clearTimer(timer);
      timer = undefined;
    };
    let live: Readable | undefined;
    const onCallerAbort = (): void => {
      disarm();
      controller.abort(new Error('aborted by the caller'));
      live?.destroy(bodyError(c, undefined, false));
    };
    const detach = (): void => {
      c.signal?.removeEventListener('abort', onCallerAbort);
    };
    if (aborted(c)) return { kind: 'aborted', reason: 'signal' };
    c.signal?.addEventListener('abort', onCallerAbort, { once: true });

    let body: Buffer | ReadableStream<Uint8Array> | undefined;
    if (c.body instanceof Readable) {
      body = uploadStream(c.body, {
        touch: () => {
          arm(config.bodyTimeoutMs, 'upload');
        },
        done: () => {
          arm(config.headersTimeoutMs, 'headers');
        },
        failed: () => {
          flags.sourceFailed = true;
        },
      });
      arm(config.bodyTimeoutMs, 'upload');
    } else {
      body = p.method === 'GET' || p.method === 'HEAD' ? undefined : c.body;
      arm(config.headersTimeoutMs, 'headers');
    }

    let response: Response;
    try {
      response = await fetchFn(p.url, {
        method: p.method,
        headers: p.headers,
        redirect: 'manual',
        signal: controller.signal,
        ...(body === undefined ? {} : { body }),
        ...(c.body instanceof Readable ? { duplex: 'half' } : {}),
      });
    } catch (e) {
      disarm();
      detach();
      if (aborted(c)) return { kind: 'aborted', reason: 'signal' };
      // A timeout first: giving up on the upload also ends (and so fails) the source stream.
      if (flags.fired !== undefined) return { kind: 'transient', errno: 'ETIMEDOUT' };
      if (flags.sourceFailed) return { kind: 'aborted', reason: 'request-body-failed' };
      const { verdict, errno } = classifyError(e);
      return verdict === 'transient' ? { kind: 'transient', errno } : { kind: 'unusable', errno };
    }
    disarm();

    const reader: ChunkReader | undefined = response.body?.getReader();
    const next = (): Promise<Buffer | undefined> =>
      reader === undefined
        ? Promise.resolve(undefined)
        : nextChunk(reader, scheduler, config.bodyTimeoutMs, () => {
            flags.fired = 'body';
            const e = new Error('body timeout');
            controller.abort(e);
            return e;
          });
    const cancel = (reason: unknown): void => {
      controller.abort(reason);
      reader?.cancel(reason).catch(() => undefined);
    };

    const verdict = classifyStatus(response.status);
    if (verdict === 'success') {
      if (reader === undefined) {
        detach();
        return { kind: 'success', response, body: Readable.from([]), streaming: false };
      }
      const stream = new ResponseBody(
        next,
        (e) => bodyError(c, e, flags.fired === 'body'),
        (reason) => {
          cancel(reason);
        },
      );
      live = stream;
      stream.once('close', detach);
      return { kind: 'success', response, body: stream, streaming: true };
    }
    if (verdict === 'transient') {
      cancel(new Error('a transient answer: its body is not read'));
      detach();
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), scheduler.now());
      return {
        kind: 'transient',
        status: response.status,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      };
    }
    try {
      const { bytes, truncated } = await readBounded(next, MAX_ERROR_BODY_BYTES);
      if (truncated) cancel(new Error('the rest of an error body is not read'));
      return { kind: 'permanent', response, bytes };
    } catch (e) {
      cancel(e);
      if (aborted(c)) return { kind: 'aborted', reason: 'signal' };
      return {
        kind: 'transient',
        status: response.status,
        errno: flags.fired === 'body' ? 'ETIMEDOUT' : errnoOf(e),
      };
    } finally {
      detach();
    }
  }

  function bodyError(c: BackOfficeCall, e: unknown, idle: boolean): Error {
    if (aborted(c)) {
      return new RelayBackOfficeError(
        'RELAY_E_BACKOFFICE_ABORTED',
        `the ${c.service} back-office answer was aborted by the caller mid-body`,
        { service: c.service, route: c.route, phase: 'body' },
      );
    }
    const errno = idle ? 'ETIMEDOUT' : errnoOf(e);
    return new RelayBackOfficeError(
      'RELAY_E_BACKOFFICE_TRANSIENT',
      `the ${c.service} back-office answer failed mid-body (${errno})`,
      { service: c.service, route: c.route, errno, phase: 'body' },
    );
  }

  /** Waits `ms` on the scheduler (the timer is set before this returns); the signal ends it. */
  function wait(ms: number, c: BackOfficeCall): Promise<void> {
    if (aborted(c)) return Promise.reject(abortedError(c, 'signal'));
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        scheduler.clearTimer(timer);
        reject(abortedError(c, 'signal'));
      };
      const timer = scheduler.setTimer(() => {
        c.signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      c.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Renews the caller's lock before a retry wait, bounded by headersTimeoutMs and the signal. */
  async function renew(c: BackOfficeCall): Promise<void> {
    const renewLock = c.renewLock;
    if (renewLock === undefined) return;
    if (aborted(c)) throw abortedError(c, 'signal');
    let timer: TimerHandle | undefined;
    let onAbort: (() => void) | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        timer = scheduler.setTimer(() => {
          reject(abortedError(c, 'renew-lock-timeout'));
        }, config.headersTimeoutMs);
        onAbort = () => {
          reject(abortedError(c, 'signal'));
        };
        c.signal?.addEventListener('abort', onAbort, { once: true });
        Promise.resolve()
          .then(renewLock)
          .then(resolve, (e: unknown) => {
            reject(abortedError(c, 'renew-lock-failed', errnoOf(e)));
          });
      });
    } finally {
      if (timer !== undefined) scheduler.clearTimer(timer);
      if (onAbort !== undefined) c.signal?.removeEventListener('abort', onAbort);
    }
  }

  function abortedError(c: BackOfficeCall, reason: string, errno?: string): RelayBackOfficeError {
    const what =
      reason === 'signal'
        ? 'was aborted by the caller'
        : reason === 'request-body-failed'
          ? 'ended: its request body stream failed'
          : 'ended: the lock could not be renewed before a retry';
    return new RelayBackOfficeError(
      'RELAY_E_BACKOFFICE_ABORTED',
      `the ${c.service} back-office call ${what}`,
      { service: c.service, route: c.route, reason, ...(errno === undefined ? {} : { errno }) },
    );
  }

  function responseOf(
    o: Extract<Attempt, { kind: 'success' | 'permanent' }>,
    attempts: number,
  ): BackOfficeResponse {
    const headers: Record<string, string> = {};
    for (const name of RETURNED) {
      const v = o.response.headers.get(name);
      if (v !== null) headers[name] = v;
    }
    if (o.kind === 'success') {
      // A body fetch decoded anyway is no longer as long as the header says.
      if (o.response.headers.get('content-encoding') !== null) delete headers['content-length'];
      return Object.freeze({
        status: o.response.status,
        headers: Object.freeze(headers),
        body: o.body,
        attempts,
        outcome: 'success',
      });
    }
    headers['content-length'] = String(o.bytes.length);
    return Object.freeze({
      status: o.response.status,
      headers: Object.freeze(headers),
      body: Readable.from(o.bytes.length === 0 ? [] : [o.bytes]),
      attempts,
      outcome: 'permanent',
    });
  }

  async function call(c: BackOfficeCall): Promise<BackOfficeResponse> {
    const stream = c.body instanceof Readable ? c.body : undefined;
    let release: Release | undefined;
    try {
      const p = prepare(c);
      // A Service Bus message (it can renew its lock) waits for a slot, never refused as busy.
      release = await limiter.acquire(c.route, c.signal, c.renewLock !== undefined);
      const replayable = stream === undefined;
      const waitBudget = c.renewLock === undefined ? 0 : breakerWaitMs(config.breaker.openMs);
      let waited = 0;
      for (let n = 1; n <= config.attempts; n++) {
        const base = { service: c.service, route: c.route, attempt: n };
        if (aborted(c)) throw abortedError(c, 'signal');
        let gate = p.breaker.tryAcquire();
        while (!gate.ok) {
          // Open (or half-open with its probes out): a call that holds a Service Bus message
          // waits for a probe to decide, its lock renewed, while its budget allows.
          const ms =
            gate.retryInMs > 0
              ? gate.retryInMs
              : Math.max(1, Math.min(BREAKER_PROBE_POLL_MS, Math.ceil(config.breaker.openMs / 10)));
          if (waited + ms > waitBudget) break;
          await renew(c);
          await wait(ms, c);
          waited += ms;
          gate = p.breaker.tryAcquire();
        }
        if (!gate.ok) {
          emit({ ...base, outcome: 'open' });
          throw new RelayBackOfficeError(
            'RELAY_E_BACKOFFICE_OPEN',
            `the ${c.service} back office is failing: its circuit breaker is open`,
            { service: c.service, route: c.route, attempts: n - 1, retryInMs: gate.retryInMs },
          );
        }
        const o = await attempt(p);
        if (o.kind === 'success' || o.kind === 'permanent') {
          p.breaker.success(gate.ticket);
          emit({ ...base, outcome: o.kind, status: o.response.status });
          const res = responseOf(o, n);
          if (o.kind === 'success' && o.streaming) {
            const slot = release;
            release = undefined;
            res.body.once('close', slot);
          }
          return res;
        }
        if (o.kind === 'aborted') {
          p.breaker.neutral(gate.ticket);
          emit({ ...base, outcome: 'aborted' });
          throw abortedError(c, o.reason);
        }
        if (o.kind === 'unusable') {
          p.breaker.neutral(gate.ticket);
          emit({ ...base, outcome: 'permanent', errno: o.errno });
          throw new RelayBackOfficeError(
            'RELAY_E_BACKOFFICE_REQUEST',
            `the ${c.service} back-office request could not be made (${o.errno})`,
            { service: c.service, route: c.route, errno: o.errno },
          );
        }
        const seen = {
          ...(o.status === undefined ? {} : { status: o.status }),
          ...(o.errno === undefined ? {} : { errno: o.errno }),
          ...(o.retryAfterMs === undefined ? {} : { retryAfterMs: o.retryAfterMs }),
        };
        const overCap = o.retryAfterMs !== undefined && o.retryAfterMs > config.retryAfterCapMs;
        if (overCap) {
          // The service says it is down for longer than a call waits: open its breaker now,
          // so that its work is held (or fails fast) instead of going round the broker, each
          // redelivery using up one of the message's deliveries to hear the same answer.
          p.breaker.trip(gate.ticket);
          if (n < config.attempts && replayable && waitBudget > waited) {
            // Work that can hold waits on the breaker (the next attempt) for a probe.
            emit({ ...base, outcome: 'transient', ...seen, delayMs: 0 });
            continue;
          }
        } else {
          p.breaker.failure(gate.ticket);
        }
        if (n >= config.attempts || !replayable || overCap) {
          emit({ ...base, outcome: 'transient', ...seen });
          const why = overCap
            ? `asked to wait ${o.retryAfterMs ?? 0} ms, more than ${config.retryAfterCapMs}`
            : !replayable
              ? 'failed and its streamed body cannot be sent again'
              : `still failed after ${n} attempts`;
          throw new RelayBackOfficeError(
            'RELAY_E_BACKOFFICE_TRANSIENT',
            `the ${c.service} back office ${why} (${o.status ?? o.errno ?? 'no answer'})`,
            {
              service: c.service,
              route: c.route,
              attempts: n,
              reason: overCap
                ? 'retry-after-over-cap'
                : !replayable
                  ? 'body-not-replayable'
                  : 'attempts-exhausted',
              ...(o.status === undefined ? {} : { lastStatus: o.status }),
              ...(o.errno === undefined ? {} : { errno: o.errno }),
              ...(o.retryAfterMs === undefined ? {} : { retryAfterMs: o.retryAfterMs }),
            },
          );
        }
        const delayMs = retryDelay(backoffDelay(n - 1, config.backoff, random()), o.retryAfterMs);
        await renew(c);
        const waiting = wait(delayMs, c);
        emit({ ...base, outcome: 'transient', ...seen, delayMs });
        await waiting;
      }
      // Unreachable: the last attempt either returns or throws above.
      throw new RelayBackOfficeError('RELAY_E_BACKOFFICE_TRANSIENT', 'no attempt was made', {
        service: c.service,
        route: c.route,
      });
    } catch (e) {
      if (stream !== undefined && !stream.readableEnded) stream.destroy();
      throw e;
    } finally {
      release?.();
    }
  }

  return Object.freeze({
    config,
    call,
    breakerState: (service: string) => breakers.get(service)?.state,
    load: (route: string) => limiter.load(route),
    saturated: (route: string) => limiter.saturated(route),
  });
}

/**
 * The dead-letter error for a permanent answer: RELAY_E_BACKOFFICE_REFUSED whose message holds
 * the status and at most 200 characters of the back office's own reason (from a JSON, XML,
 * HTML or text error body; at most 4 KiB of `res.body` are read, then it is destroyed).
 * details: service, route, status, reason.
 */
export async function refusedError(
  res: Pick<BackOfficeResponse, 'status' | 'headers' | 'body'>,
  where: { readonly service: string; readonly route: string },
): Promise<RelayBackOfficeError> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      parts.push(b);
      size += b.length;
      if (size >= MAX_ERROR_BODY_BYTES) break;
    }
  } catch {
    // A body that fails still has a status worth reporting.
  } finally {
    res.body.destroy();
  }
  const reason = reasonText(res.headers['content-type'], Buffer.concat(parts, size));
  return new RelayBackOfficeError(
    'RELAY_E_BACKOFFICE_REFUSED',
    `the ${where.service} back office refused the work with ${res.status}${reason === '' ? '' : `: ${reason}`}`,
    { service: where.service, route: where.route, status: res.status, reason },
  );
}
