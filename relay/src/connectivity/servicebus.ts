// Service Bus clients whose dials pass the egress layer. In: the chosen mode (tcp or https),
// the egress layer (settings: logical host, SAS key name and key) and client options. Out: a
// real @azure/service-bus ServiceBusClient. tcp: AMQPS on 5671 to the logical host, through
// `customEndpointAddress` = the network map's loopback target when there is one (the SDK then
// dials it itself: one egress check at creation; in production it resolves the name again
// itself — a documented limitation). https: AMQP over WebSockets on 443 with a `ws` subclass
// that plans, checks and maps EVERY dial (Host and SNI stay the logical host, the configured
// CA and minVersion apply). Development only: plain AMQP on 5672 (UseDevelopmentEmulator).
// Either way the AMQP idle timeout is the relay's (idleTimeoutMs): Service Bus is asked for a
// frame at least every half of it, and a connection on which nothing arrives for twice it (a
// firewall that silently drops, a half-open TCP connection) is closed, so the relay notices.
import { Constants as AmqpConstants } from '@azure/core-amqp';
import { ServiceBusClient, type ServiceBusClientOptions } from '@azure/service-bus';
import WebSocket from 'ws';
import type { Egress } from './egress';
import { EgressError } from './errors';
import type { Mode } from './modes';

export interface ServiceBusClientChoice {
  /** Development profile only: plain AMQP on 5672 (UseDevelopmentEmulator=true); tcp mode. */
  readonly plain?: boolean;
  /** Passed to the SDK (retry options, identifier, ...); the transport options are ours. */
  readonly clientOptions?: Omit<
    ServiceBusClientOptions,
    'webSocketOptions' | 'customEndpointAddress'
  >;
  /** Bound on each WebSocket dial in https mode (default: the egress layer's). */
  readonly connectTimeoutMs?: number;
  /**
   * The AMQP idle timeout the connection opens with (default: the SDK's, 60 s). The peer sends
   * an empty frame when it has been quiet for half of it; the connection is closed as dead when
   * nothing at all arrived for twice it.
   */
  readonly idleTimeoutMs?: number;
}

/** The SDK's default idle timeout (a fixed 60 s it gives no option for). */
export const SDK_IDLE_TIMEOUT_MS: number = AmqpConstants.defaultConnectionIdleTimeoutInMs;

/**
 * Builds a client whose AMQP connection opens with `idleTimeoutMs`. The SDK offers no option: it
 * reads core-amqp's constant when the client is constructed (synchronously, here), and keeps the
 * connection options it built for its own reconnects; the constant is put back at once.
 */
function clientWithIdleTimeout(
  idleTimeoutMs: number | undefined,
  build: () => ServiceBusClient,
): ServiceBusClient {
  if (idleTimeoutMs === undefined) return build();
  const constants = AmqpConstants as { defaultConnectionIdleTimeoutInMs: number };
  const before = constants.defaultConnectionIdleTimeoutInMs;
  constants.defaultConnectionIdleTimeoutInMs = idleTimeoutMs;
  try {
    return build();
  } finally {
    constants.defaultConnectionIdleTimeoutInMs = before;
  }
}

type WsClientOptions = WebSocket.ClientOptions;

/** A `ws` WebSocket class as the SDK constructs it: (url, protocols?, options?). */
export type EgressWebSocketClass = new (
  address: string | URL,
  protocols?: string | string[] | WsClientOptions,
  options?: WsClientOptions,
) => WebSocket;

/**
 * A `ws` WebSocket class whose every connection is planned, checked and mapped by the egress
 * layer: the URL's host and port are the logical ones (so Host and SNI are too); the socket
 * goes to the planned target with the configured CA and minVersion.
 */
export function egressWebSocket(
  egress: Egress,
  purpose: string,
  timeoutMs?: number,
): EgressWebSocketClass {
  const createConnection = egress.createConnection(purpose, timeoutMs);
  class EgressWebSocket extends WebSocket {
    constructor(
      address: string | URL,
      protocols?: string | string[] | WsClientOptions,
      options?: WsClientOptions,
    ) {
      const list = typeof protocols === 'string' || Array.isArray(protocols) ? protocols : [];
      const given =
        typeof protocols === 'object' && !Array.isArray(protocols) ? protocols : options;
      super(address, list, {
        ...given,
        followRedirects: false,
        createConnection: createConnection as unknown as WsClientOptions['createConnection'],
      });
    }
  }
  return EgressWebSocket;
}

/** What watchServiceBusConnection needs of the SDK's AMQP connection (rhea-promise). */
interface AmqpConnectionLike {
  once(event: 'disconnected', listener: (context: unknown) => void): unknown;
  removeListener(event: 'disconnected', listener: (context: unknown) => void): unknown;
}

function isConnectionLike(v: unknown): v is AmqpConnectionLike {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as Record<string, unknown>).once === 'function' &&
    typeof (v as Record<string, unknown>).removeListener === 'function'
  );
}

/** A short, secret-free reason of a rhea `disconnected` event (the socket's error code). */
function lostReason(context: unknown): string {
  const error: unknown =
    typeof context === 'object' && context !== null
      ? (context as { rheaContext?: { error?: unknown } }).rheaContext?.error
      : undefined;
  if (typeof error === 'object' && error !== null) {
    const e = error as { code?: unknown; condition?: unknown };
    if (typeof e.code === 'string') return `AMQP connection lost (${e.code.slice(0, 64)})`;
    if (typeof e.condition === 'string') {
      return `AMQP connection lost (${e.condition.slice(0, 64)})`;
    }
  }
  return 'AMQP connection lost';
}

/**
 * Calls `onLost` once when the client's AMQP connection goes down: a socket closed or reset, an
 * idle timeout (nothing arrived for twice idleTimeoutMs: a silent drop, a half-open connection).
 * The SDK has no public event for it: it reconnects to the address it was given by itself, and
 * tells its receivers only after a whole retry cycle of connection attempts (minutes against a
 * firewall that drops). This reads the SDK's connection context (@azure/service-bus 7.x);
 * without that shape it watches nothing (the SDK's own reports remain). Returns a function that
 * stops watching.
 */
export function watchServiceBusConnection(
  client: ServiceBusClient,
  onLost: (reason: string) => void,
): () => void {
  const context: unknown = Reflect.get(client, '_connectionContext');
  const connection: unknown =
    typeof context === 'object' && context !== null
      ? (context as { connection?: unknown }).connection
      : undefined;
  if (!isConnectionLike(connection)) return () => undefined;
  const listener = (ctx: unknown): void => {
    onLost(lostReason(ctx));
  };
  connection.once('disconnected', listener);
  return () => {
    connection.removeListener('disconnected', listener);
  };
}

function connectionString(egress: Egress, plain: boolean): string {
  const sb = egress.settings.serviceBus;
  const dev = plain ? ';UseDevelopmentEmulator=true' : '';
  return `Endpoint=sb://${sb.host}/;SharedAccessKeyName=${sb.keyName};SharedAccessKey=${sb.key}${dev}`;
}

/**
 * A ServiceBusClient for `mode`. The egress check runs before the client exists (a refusal
 * throws here, typed, with a relay:egress:dial event); in https mode it runs again on every
 * WebSocket dial the SDK makes.
 */
export async function serviceBusClientFor(
  mode: Mode,
  egress: Egress,
  choice: ServiceBusClientChoice = {},
): Promise<ServiceBusClient> {
  const host = egress.settings.serviceBus.host;
  const base: ServiceBusClientOptions = { ...choice.clientOptions };
  if (mode === 'tcp') {
    const plain = choice.plain === true;
    // plan() refuses 5672 outside the development profile (RELAY_E_EGRESS_PLAIN) first.
    const plan = await egress.plan({
      host,
      port: plain ? 5672 : 5671,
      purpose: plain ? 'servicebus-amqp' : 'servicebus-amqps',
    });
    if (!plan.mapped) {
      return clientWithIdleTimeout(
        choice.idleTimeoutMs,
        () => new ServiceBusClient(connectionString(egress, plain), base),
      );
    }
    if (plan.dial.host.includes(':')) {
      throw new EgressError(
        'RELAY_E_EGRESS_UNMAPPED',
        `${host}:${plan.port}: the SDK's customEndpointAddress cannot name an IPv6 dial target (${plan.dial.host})`,
        { host, port: plan.port, purpose: plan.purpose },
      );
    }
    return clientWithIdleTimeout(
      choice.idleTimeoutMs,
      () =>
        new ServiceBusClient(connectionString(egress, plain), {
          ...base,
          customEndpointAddress: `sb://${plan.dial.host}:${plan.dial.port}`,
        }),
    );
  }
  if (mode === 'https') {
    if (choice.plain === true) {
      throw new EgressError(
        'RELAY_E_EGRESS_MODE',
        'plain AMQP is a tcp-mode option; https mode always uses TLS on 443',
        { mode },
      );
    }
    await egress.plan({ host, port: 443, purpose: 'servicebus-wss' });
    return clientWithIdleTimeout(
      choice.idleTimeoutMs,
      () =>
        new ServiceBusClient(connectionString(egress, false), {
          ...base,
          webSocketOptions: {
            webSocket: egressWebSocket(egress, 'servicebus-wss', choice.connectTimeoutMs),
          },
        }),
    );
  }
  throw new EgressError(
    'RELAY_E_EGRESS_MODE',
    `no Service Bus client for mode ${JSON.stringify(mode)}: only tcp and https carry traffic`,
    { mode },
  );
}
