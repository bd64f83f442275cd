// Observability of the simulated namespace for suites. In: the edge's own events (connection
// open and close, attach, detach, CBS decisions, transfers, dispositions, $management calls,
// protocol errors, TLS refusals) and the engine's events. Out: messages on
// node:diagnostics_channel channels named `sim:sb:*`. Payloads are plain objects of
// strings, numbers and booleans; a token, key or signature is never published.
import diagnostics from 'node:diagnostics_channel';
import type { SbEventData, SbEventName } from '../engine/types';

/** The edge's own channels (the engine's are SbEventName). */
export const EDGE_CHANNELS = Object.freeze({
  connection: 'sim:sb:connection',
  attach: 'sim:sb:attach',
  detach: 'sim:sb:detach',
  cbs: 'sim:sb:cbs',
  transfer: 'sim:sb:transfer',
  disposition: 'sim:sb:disposition',
  management: 'sim:sb:management',
  protocolError: 'sim:sb:protocol-error',
  tls: 'sim:sb:tls',
  listening: 'sim:sb:listening',
} as const);

export type EdgeChannel = (typeof EDGE_CHANNELS)[keyof typeof EDGE_CHANNELS];

export type EventData = Readonly<Record<string, string | number | boolean | undefined>>;

/** Every channel name the simulator publishes on. */
export const ALL_CHANNELS: readonly string[] = Object.freeze([
  ...Object.values(EDGE_CHANNELS),
  'sim:sb:enqueued',
  'sim:sb:scheduled',
  'sim:sb:activated',
  'sim:sb:cancelled',
  'sim:sb:duplicate',
  'sim:sb:dropped',
  'sim:sb:locked',
  'sim:sb:received',
  'sim:sb:settled',
  'sim:sb:lock-renewed',
  'sim:sb:lock-expired',
  'sim:sb:lock-lost',
  'sim:sb:deadlettered',
  'sim:sb:expired',
  'sim:sb:purged',
  'sim:sb:receiver-opened',
  'sim:sb:receiver-closed',
  'sim:sb:session-locked',
  'sim:sb:session-lock-renewed',
  'sim:sb:session-lock-lost',
  'sim:sb:session-state',
] satisfies string[]);

/** Publishes on one channel; cheap when nobody listens. `namespace` tags every event. */
export class EventPublisher {
  readonly #namespace: string;

  constructor(namespace: string) {
    this.#namespace = namespace;
  }

  edge(channel: EdgeChannel, data: EventData): void {
    publish(channel, { namespace: this.#namespace, ...data });
  }

  engine(name: SbEventName, data: SbEventData): void {
    publish(name, { namespace: this.#namespace, ...data });
  }
}

function publish(name: string, data: EventData): void {
  const channel = diagnostics.channel(name);
  if (channel.hasSubscribers) channel.publish(data);
}
