// Shared set-up of the HC conformance cases: the whole path on loopback. In: a tap test and
// what a case needs (TLS listeners, a manual clock, limits). Out: the simulated Azure Relay
// endpoint with keys made at run time; OUR relay listener (createHybridListener over its
// production sockets, its own WebSocket client) that dials the logical namespace host through
// an endpoint map to the simulator's loopback ports; an HTTP sender with a Send token; one event log of every `sim:hc:*` and
// `relay:hc:*` event; and a teardown that closes every listener, then the simulator.
import { randomBytes } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import {
  HC_CHANNELS as RELAY_CHANNELS,
  clientSocketFactory,
  createHybridListener,
  type HcHandler,
  type HcListenerConfigInput,
  type HybridListener,
  type RandomSource,
  type Scheduler as RelayScheduler,
  type TimerHandle,
} from '../../../relay/src/transports';
import {
  HC_CHANNELS as SIM_CHANNELS,
  ManualScheduler,
  startHybridSimulator,
  testHybridConfig,
  type HybridLimitsInput,
  type HybridListenerKind,
  type HybridSimulator,
} from '../../../simulator/src/cloud/hybrid';
import { sha256Hex } from './bytes';

export { SIM_CHANNELS, RELAY_CHANNELS };
export const KIB = 1024;
export const MIB = 1024 * 1024;

/** The logical endpoint OUR listener is configured with, per simulator server socket. */
const LOGICAL_PORT: Readonly<Record<HybridListenerKind, number>> = {
  plain: 80,
  https: 443,
  tcp: 9352,
};

export type Event = Readonly<Record<string, unknown>>;

/** Every sim:hc:* and relay:hc:* event of a case, in order; waits resolve on past or future. */
export class EventLog {
  readonly all: { readonly channel: string; readonly data: Event }[] = [];
  #waiters: {
    readonly channel: string;
    readonly match: (e: Event) => boolean;
    readonly resolve: (e: Event) => void;
  }[] = [];
  readonly #subs: [string, (m: unknown) => void][] = [];

  constructor() {
    const channels = [...Object.values(SIM_CHANNELS), ...Object.values(RELAY_CHANNELS)];
    for (const channel of channels) {
      const fn = (message: unknown): void => {
        const data = message as Event;
        this.all.push({ channel, data });
        this.#waiters = this.#waiters.filter((w) => {
          if (w.channel !== channel || !w.match(data)) return true;
          w.resolve(data);
          return false;
        });
      };
      diagnostics.subscribe(channel, fn);
      this.#subs.push([channel, fn]);
    }
  }

  /** The events seen on `channel` (optionally only those `match` accepts). */
  of(channel: string, match: (e: Event) => boolean = () => true): Event[] {
    return this.all.filter((e) => e.channel === channel && match(e.data)).map((e) => e.data);
  }

  /** The first event on `channel` that `match` accepts, already seen or still to come. */
  until(channel: string, match: (e: Event) => boolean = () => true): Promise<Event> {
    const seen = this.of(channel, match)[0];
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => {
      this.#waiters.push({ channel, match, resolve });
    });
  }

  /** The `n`-th event (1-based) on `channel` that `match` accepts, seen or to come. */
  nth(channel: string, n: number, match: (e: Event) => boolean = () => true): Promise<Event> {
    const past = this.of(channel, match);
    const seen = past[n - 1];
    if (seen !== undefined) return Promise.resolve(seen);
    let count = past.length;
    return new Promise((resolve) => {
      this.#waiters.push({ channel, match: (e) => match(e) && ++count === n, resolve });
    });
  }

  /** Forgets what was seen so far (waits still pending are kept). */
  clear(): void {
    this.all.splice(0);
  }

  stop(): void {
    for (const [channel, fn] of this.#subs) diagnostics.unsubscribe(channel, fn);
  }
}

interface Timer {
  readonly fn: () => void;
  cancel: () => void;
  cancelled: boolean;
}

/**
 * The relay listener's scheduler on the simulator's ManualScheduler: one clock for both sides,
 * so tokens made by one verify on the other. `hold()` keeps the relay's timers from running
 * when the clock passes them (they run at `release()`), e.g. to let a token expire without
 * the listener renewing it.
 */
export class LinkedRelayScheduler implements RelayScheduler {
  readonly clock: ManualScheduler;
  #held = false;
  #deferred: Timer[] = [];

  constructor(clock: ManualScheduler) {
    this.clock = clock;
  }

  now(): number {
    return this.clock.now();
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const timer: Timer = { fn, cancel: () => undefined, cancelled: false };
    timer.cancel = this.clock.schedule(ms, () => {
      if (timer.cancelled) return;
      if (this.#held) this.#deferred.push(timer);
      else fn();
    });
    return timer as unknown as TimerHandle;
  }

  clearTimer(handle: TimerHandle): void {
    const timer = handle as unknown as Timer;
    timer.cancelled = true;
    timer.cancel();
    this.#deferred = this.#deferred.filter((d) => d !== timer);
  }

  hold(): void {
    this.#held = true;
  }

  /** Stops holding and runs the timers that fell due meanwhile (not cancelled). */
  release(): number {
    this.#held = false;
    const due = this.#deferred.splice(0).filter((d) => !d.cancelled);
    for (const d of due) d.fn();
    return due.length;
  }
}

export interface HarnessOptions {
  /** Open the TLS listeners (logical 443 and 9352) as well as the plain one (default false). */
  readonly tls?: boolean;
  /** The simulator's clock (default: real time). */
  readonly clock?: ManualScheduler;
  readonly limits?: HybridLimitsInput;
}

export interface ListenOptions {
  readonly handler: HcHandler;
  /** Hybrid connection (default 'hyco'). */
  readonly path?: string;
  /** Which simulator server socket the listener's logical endpoint maps to (default plain). */
  readonly via?: HybridListenerKind;
  /** SAS rule (default the namespace's Listen-only rule, with its real key). */
  readonly keyName?: string;
  readonly key?: string;
  /** Trust the simulator's CA (default true; false: the system's CAs only). */
  readonly trustCa?: boolean;
  readonly config?: Partial<HcListenerConfigInput>;
  readonly scheduler?: RelayScheduler;
  readonly random?: RandomSource;
  /** Await ready() (default true). */
  readonly ready?: boolean;
}

export interface SendOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string | string[]>>;
  /** A buffer (sent with Content-Length) or a stream (chunked unless headers say otherwise). */
  readonly body?: Buffer | string | Readable;
  /** Which server socket (default plain). */
  readonly via?: HybridListenerKind;
  /** Where the Send token goes (default the ServiceBusAuthorization header). */
  readonly token?: 'ServiceBusAuthorization' | 'Authorization' | 'query' | 'none';
  /** Hash the answer's body instead of keeping it (large bodies). */
  readonly hashOnly?: boolean;
  /** Trust the simulator's CA (default true). */
  readonly trustCa?: boolean;
}

export interface Answer {
  readonly status: number;
  readonly statusMessage: string;
  readonly headers: IncomingHttpHeaders;
  /** The body (empty when hashOnly). */
  readonly body: Buffer;
  readonly bytes: number;
  readonly sha256: string;
  /** The body as JSON, or undefined. */
  json(): unknown;
}

export interface Harness {
  readonly sim: HybridSimulator;
  readonly events: EventLog;
  readonly keys: ReturnType<typeof testHybridConfig>['keys'];
  /** Every URL our listeners asked to dial, as `purpose logical -> real`. */
  readonly dials: string[];
  /** Starts OUR listener (and by default waits until its control channel is open). */
  listen(options: ListenOptions): Promise<HybridListener>;
  /** One HTTP request through the simulator's sender front; the whole answer. */
  send(target: string, options?: SendOptions): Promise<Answer>;
  /** A Send token for the hybrid connection `path`. */
  sendToken(path?: string): string;
  /** Closes one listener now (as the teardown would). */
  stop(listener: HybridListener): Promise<void>;
  /** Points a logical endpoint at another loopback port (a proxy in front of the simulator). */
  route(kind: HybridListenerKind, port: number): void;
}

/** Starts the simulator (plain listener, plus TLS when asked) and registers the teardown. */
export async function startHarness(t: tap.Test, options: HarnessOptions = {}): Promise<Harness> {
  const { config, keys } = testHybridConfig();
  const sim = await startHybridSimulator(config, {
    listeners: options.tls === true ? {} : { https: false, tcp: false },
    ...(options.clock !== undefined ? { scheduler: options.clock } : {}),
    ...(options.limits !== undefined ? { limits: options.limits } : {}),
  });
  const events = new EventLog();
  const listeners = new Map<HybridListener, RelayScheduler | undefined>();
  const dials: string[] = [];

  const stop = async (listener: HybridListener): Promise<void> => {
    if (!listeners.has(listener)) return;
    const scheduler = listeners.get(listener);
    listeners.delete(listener);
    const closing = listener.close();
    // A manual clock only moves when told: let the grace and close timers run out.
    if (scheduler instanceof LinkedRelayScheduler) {
      scheduler.release();
      scheduler.clock.advance(listener.config.shutdownGraceMs + listener.config.closeTimeoutMs + 1);
    }
    await closing;
  };

  t.teardown(async () => {
    await Promise.all([...listeners.keys()].map(stop));
    await sim.close();
    events.stop();
  });

  // The endpoint map: the logical namespace host on 80/443/9352 -> the simulator's loopback
  // ports. Anything else is refused, so no test can dial off the machine.
  const map = new Map<string, string>();
  for (const kind of ['plain', 'https', 'tcp'] as const) {
    const info = sim.listeners[kind];
    if (info !== undefined) map.set(`${sim.host}:${LOGICAL_PORT[kind]}`, `127.0.0.1:${info.port}`);
  }
  const dial = (url: URL, purpose: string): URL => {
    const port = url.port !== '' ? url.port : url.protocol === 'wss:' ? '443' : '80';
    const real = map.get(`${url.hostname}:${port}`);
    if (real === undefined) throw new Error(`no endpoint map entry for ${url.hostname}:${port}`);
    const mapped = new URL(url);
    mapped.host = real;
    dials.push(`${purpose} ${url.hostname}:${port} -> ${real}`);
    return mapped;
  };

  const listen = async (o: ListenOptions): Promise<HybridListener> => {
    const via = o.via ?? 'plain';
    const port = LOGICAL_PORT[via];
    const endpoint =
      via === 'plain'
        ? `ws://${sim.host}`
        : port === 443
          ? `wss://${sim.host}`
          : `wss://${sim.host}:${port}`;
    const ca = o.trustCa === false ? undefined : sim.caPem;
    const listener = createHybridListener(
      {
        endpoint,
        path: o.path ?? 'hyco',
        keyName: o.keyName ?? 'listen',
        key: o.key ?? keys.listen,
        insecure: via === 'plain',
        ...o.config,
      },
      {
        handler: o.handler,
        // The production sockets (the listener's own client), trusting the simulator's CA.
        sockets: clientSocketFactory(ca === undefined ? {} : { tls: { ca } }),
        dial,
        ...(o.scheduler !== undefined ? { scheduler: o.scheduler } : {}),
        ...(o.random !== undefined ? { random: o.random } : {}),
      },
    );
    listeners.set(listener, o.scheduler);
    listener.start();
    if (o.ready !== false) await listener.ready();
    return listener;
  };

  const sendToken = (path = 'hyco'): string => sim.token(path, { right: 'Send' });

  const send = (target: string, o: SendOptions = {}): Promise<Answer> => {
    const path = target.split(/[/?]/)[0] ?? '';
    const token = sendToken(path);
    const headers: Record<string, string | string[]> = { ...o.headers };
    let url = sim.senderUrl(target, o.via ?? 'plain');
    switch (o.token ?? 'ServiceBusAuthorization') {
      case 'ServiceBusAuthorization':
        headers.ServiceBusAuthorization = token;
        break;
      case 'Authorization':
        headers.Authorization = token;
        break;
      case 'query':
        url += `${url.includes('?') ? '&' : '?'}sb-hc-token=${encodeURIComponent(token)}`;
        break;
      case 'none':
        break;
    }
    return httpSend(url, {
      method: o.method ?? 'GET',
      headers,
      body: o.body,
      ca: o.trustCa === false ? undefined : sim.caPem,
      hashOnly: o.hashOnly === true,
    });
  };

  const route = (kind: HybridListenerKind, port: number): void => {
    map.set(`${sim.host}:${LOGICAL_PORT[kind]}`, `127.0.0.1:${port}`);
  };

  return { sim, events, keys, dials, listen, send, sendToken, stop, route };
}

/** One request (no connection reuse); collects or hashes the whole answer. */
export function httpSend(
  url: string,
  o: {
    readonly method: string;
    readonly headers: Readonly<Record<string, string | string[]>>;
    readonly body?: Buffer | string | Readable | undefined;
    readonly ca?: string | undefined;
    readonly hashOnly?: boolean;
  },
): Promise<Answer> {
  const u = new URL(url);
  const make = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = make(
      u,
      {
        method: o.method,
        headers: { ...o.headers },
        agent: false,
        ...(o.ca !== undefined ? { ca: o.ca } : {}),
      },
      (res) => {
        const hash = sha256Hex.start();
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          hash.update(c);
          if (o.hashOnly !== true) chunks.push(c);
        });
        res.once('end', () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            statusMessage: res.statusMessage ?? '',
            headers: res.headers,
            body,
            bytes,
            sha256: hash.digest(),
            json: () => {
              try {
                return JSON.parse(body.toString('utf8')) as unknown;
              } catch {
                return undefined;
              }
            },
          });
        });
        res.once('error', reject);
      },
    );
    req.once('error', reject);
    const body = o.body;
    if (body === undefined) req.end();
    else if (typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
    else body.pipe(req);
  });
}

/** A random key nobody configured (for refusals). */
export function strayKey(): string {
  return randomBytes(32).toString('base64');
}
