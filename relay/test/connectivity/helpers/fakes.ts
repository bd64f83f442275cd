// Fakes for the connectivity unit tests. In: calls from the code under test. Out: a manual
// clock and timer queue (time moves only on advance/runNext), a socket connector that
// records every socket it is asked to open and lets the test decide what each one does,
// a counting resolver, a test range set and settings, and an event recorder for the
// relay:egress:* / relay:connectivity:* channels.
import diagnostics from 'node:diagnostics_channel';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import {
  probeResult,
  type Connectivity,
  type ConnectivitySnapshot,
  type Diagnosis,
  type Prober,
  connectivitySettings,
  type ConnectivityConfigInput,
  type ConnectivitySettings,
  type Resolver,
  type SocketConnector,
  type TcpTarget,
} from '../../../src/connectivity';
import { ManualClock as BaseClock } from '../../helpers/manual-clock';

/** The shared manual clock, starting at 2025-01-01. */
export class ManualClock extends BaseClock {
  constructor(start = Date.UTC(2025, 0, 1)) {
    super(start);
  }
}

/** A socket the test drives: emit('connect'), emit('secureConnect'), emit('error', e). */
export class FakeSocket extends EventEmitter {
  destroyed = false;
  readonly target: TcpTarget;
  readonly tls: ConnectionOptions | undefined;

  constructor(target: TcpTarget, tls: ConnectionOptions | undefined) {
    super();
    this.target = target;
    this.tls = tls;
  }

  getProtocol(): string | null {
    return this.tls === undefined ? null : 'TLSv1.3';
  }

  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true;
      setImmediate(() => this.emit('close', false));
    }
    return this;
  }
}

/** Records every socket asked for; `onOpen` decides what each does (default: nothing). */
export class FakeSockets implements SocketConnector {
  readonly opened: FakeSocket[] = [];
  onOpen: (socket: FakeSocket) => void = () => undefined;

  tcp(target: TcpTarget): Socket {
    const s = new FakeSocket({ host: target.host, port: target.port }, undefined);
    this.opened.push(s);
    this.onOpen(s);
    return s as unknown as Socket;
  }

  tls(options: ConnectionOptions & TcpTarget): TLSSocket {
    const s = new FakeSocket({ host: options.host, port: options.port }, options);
    this.opened.push(s);
    this.onOpen(s);
    return s as unknown as TLSSocket;
  }
}

/** A resolver answering from a table, counting its queries. */
export function tableResolver(table: Record<string, readonly string[]>): Resolver & {
  readonly queries: string[];
} {
  const queries: string[] = [];
  const fn = (host: string): Promise<readonly string[]> => {
    queries.push(host);
    const answer = table[host];
    if (answer === undefined) return Promise.reject(new Error(`no such name ${host}`));
    return Promise.resolve(answer);
  };
  return Object.assign(fn, { queries });
}

export const SB_HOST = 'council-42.servicebus.windows.net';
export const HC_HOST = 'council-42-relay.servicebus.windows.net';
/** Documentation prefixes standing for Azure ranges (never dialled). */
export const RANGES = ['198.51.100.0/24', '2001:db8:1::/48'];

/** Settings for tests (a key made at run time by the caller, or a dummy one). */
export function testSettings(
  overrides: Partial<ConnectivityConfigInput> = {},
  key = 'not-a-real-key',
): ConnectivitySettings {
  return connectivitySettings({
    profile: 'production',
    serviceBus: { host: SB_HOST, keyName: 'relay', key },
    hybrid: { host: HC_HOST },
    egress: { ranges: { prefixes: RANGES } },
    ...overrides,
  });
}

/** Records the payloads published on the given channels until stop(). */
export function recordEvents(channels: readonly string[]): {
  readonly events: { channel: string; data: Record<string, unknown> }[];
  readonly stop: () => void;
} {
  const events: { channel: string; data: Record<string, unknown> }[] = [];
  const subs = channels.map((channel) => {
    const fn = (data: unknown): void => {
      events.push({ channel, data: data as Record<string, unknown> });
    };
    diagnostics.subscribe(channel, fn);
    return { channel, fn };
  });
  return {
    events,
    stop: () => {
      for (const s of subs) diagnostics.unsubscribe(s.channel, s.fn);
    },
  };
}

/** A prober answering from a table keyed "amqp:5671" (default: refused); counts calls. */
export function tableProber(table: Record<string, Diagnosis>): Prober & {
  readonly calls: string[];
  readonly table: Record<string, Diagnosis>;
} {
  const calls: string[] = [];
  const fn: Prober = (target, options) => {
    const key = `${target.target}:${target.port}`;
    calls.push(key);
    const diagnosis = table[key] ?? 'refused';
    const at = options.scheduler.now();
    return Promise.resolve(
      probeResult(target, diagnosis, {
        ms: 0,
        at,
        ...(diagnosis === 'allowed' ? {} : { reason: `fake ${diagnosis}` }),
      }),
    );
  };
  return Object.assign(fn, { calls, table });
}

/** The snapshot of the next round `conn` finishes. */
export function nextRound(conn: Connectivity): Promise<ConnectivitySnapshot> {
  return new Promise((resolve) => {
    conn.once('round', resolve);
  });
}
