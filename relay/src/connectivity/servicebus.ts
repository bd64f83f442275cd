// Service Bus clients whose dials pass the egress layer. In: the chosen mode (tcp or https),
// the egress layer (settings: logical host, SAS key name and key) and client options. Out: a
// real @azure/service-bus ServiceBusClient. tcp: AMQPS on 5671 to the logical host, through
// `customEndpointAddress` = the network map's loopback target when there is one (the SDK then
// dials it itself: one egress check at creation; in production it resolves the name again
// itself — a documented limitation). https: AMQP over WebSockets on 443 with a `ws` subclass
// that plans, checks and maps EVERY dial (Host and SNI stay the logical host, the configured
// CA and minVersion apply). Development only: plain AMQP on 5672 (UseDevelopmentEmulator).
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
    if (!plan.mapped) return new ServiceBusClient(connectionString(egress, plain), base);
    if (plan.dial.host.includes(':')) {
      throw new EgressError(
        'RELAY_E_EGRESS_UNMAPPED',
        `${host}:${plan.port}: the SDK's customEndpointAddress cannot name an IPv6 dial target (${plan.dial.host})`,
        { host, port: plan.port, purpose: plan.purpose },
      );
    }
    return new ServiceBusClient(connectionString(egress, plain), {
      ...base,
      customEndpointAddress: `sb://${plan.dial.host}:${plan.dial.port}`,
    });
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
    return new ServiceBusClient(connectionString(egress, false), {
      ...base,
      webSocketOptions: {
        webSocket: egressWebSocket(egress, 'servicebus-wss', choice.connectTimeoutMs),
      },
    });
  }
  throw new EgressError(
    'RELAY_E_EGRESS_MODE',
    `no Service Bus client for mode ${JSON.stringify(mode)}: only tcp and https carry traffic`,
    { mode },
  );
}
