// Shared set-up of the messaging internals tests: the whole path on loopback. In: a tap test and
// what it needs (queue options, a manual clock). Out: a simulated Service Bus namespace with the
// four messaging entities (handshake, session-enabled handshake-replies, requests, session-
// enabled replies) on its plain AMQP listener, keys made at run time; real SDK clients for a
// relay (Listen+Send) and a tenant (Listen+Send); the tenant driver; OUR relay side (handshake
// client, work receiver); one log of every relay:* and sim:tenant:* event; and a teardown that
// closes the relay, the tenant, every client, then the simulator.
import type { IdempotencyStore } from '../../../relay/src/work/idempotency';
import type { HandlerSettlement } from '../../../relay/src/messaging/work-receiver';
import { randomBytes } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { ServiceBusClient, type ServiceBusClientOptions } from '@azure/service-bus';
import {
  createHandshakeClient,
  createWorkReceiver,
  MESSAGING_CHANNELS,
  TenantKeys,
  type HandshakeClient,
  type HandshakeClientOptionsInput,
  type TenantKeyInput,
  type WorkHandler,
  type WorkReceiver,
  type WorkReceiverOptionsInput,
} from '../../../relay/src/messaging';
import {
  startServiceBusSimulator,
  type NamespaceConfigInput,
  type ServiceBusSimulator,
} from '../../../simulator/src/cloud/servicebus';
import {
  startTenantDriver,
  TENANT_CHANNELS,
  type TenantDriver,
  type TenantDriverOptions,
} from '../../../simulator/src/cloud/tenant';
import { ManualClock as BaseClock } from '../../../relay/test/helpers/manual-clock';

export const TENANT = 'council-42';
export const ROUTES = ['council-tax', 'business-rates'] as const;

export type Event = Readonly<Record<string, unknown>>;

/** A fresh 32-byte tenant key (made at run time, never committed or logged). */
export function newTenantKey(): Buffer {
  return randomBytes(32);
}

/** Every relay:session, relay:work and sim:tenant:* event, in order; waits see past and future. */
export class EventLog {
  readonly all: { readonly channel: string; readonly data: Event }[] = [];
  #waiters: {
    readonly channel: string;
    readonly match: (e: Event) => boolean;
    readonly resolve: (e: Event) => void;
  }[] = [];
  readonly #subs: [string, (m: unknown) => void][] = [];

  constructor(channels: readonly string[]) {
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

  of(channel: string, match: (e: Event) => boolean = () => true): Event[] {
    return this.all.filter((e) => e.channel === channel && match(e.data)).map((e) => e.data);
  }

  /** The first event on `channel` that `match` accepts, already seen or still to come. */
  until(channel: string, match: (e: Event) => boolean = () => true): Promise<Event> {
    const seen = this.of(channel, match)[0];
    if (seen !== undefined) return Promise.resolve(seen);
    return this.next(channel, match);
  }

  /** The `n`-th event (1-based) on `channel` that `match` accepts, seen or still to come. */
  nth(channel: string, n: number, match: (e: Event) => boolean = () => true): Promise<Event> {
    const past = this.of(channel, match);
    const seen = past[n - 1];
    if (seen !== undefined) return Promise.resolve(seen);
    let count = past.length;
    return this.next(channel, (e) => match(e) && ++count === n);
  }

  /** The next event on `channel` that `match` accepts, from now on. */
  next(channel: string, match: (e: Event) => boolean = () => true): Promise<Event> {
    return new Promise((resolve) => {
      this.#waiters.push({ channel, match, resolve });
    });
  }

  stop(): void {
    for (const [channel, fn] of this.#subs) diagnostics.unsubscribe(channel, fn);
  }
}

/** The relay's shared manual clock (also the tenant's Clock), starting now by default. */
export class ManualClock extends BaseClock {
  constructor(start = Date.now()) {
    super(start);
  }
}

export interface WorldOptions {
  /** Replaces the default queues (the four messaging entities). */
  readonly queues?: NamespaceConfigInput['queues'];
  readonly relaxedLimits?: boolean;
  readonly profile?: 'standard' | 'premium';
}

export interface RelayOptions {
  readonly instanceId?: string;
  readonly keys: readonly TenantKeyInput[];
  readonly clock?: ManualClock;
  readonly handshake?: Partial<HandshakeClientOptionsInput>;
  /** Start a work receiver with this handler. */
  readonly handler?: WorkHandler;
  readonly work?: Partial<WorkReceiverOptionsInput>;
  /** The work receiver's idempotency store (default: its own memory store). */
  readonly store?: IdempotencyStore;
  /** What becomes of a failed handler's request (default: abandoned). */
  readonly settlementOf?: (error: unknown) => HandlerSettlement;
  /** Call start() on the handshake client (default true). */
  readonly start?: boolean;
}

export interface Relay {
  readonly keys: TenantKeys;
  readonly handshake: HandshakeClient;
  readonly work: WorkReceiver | undefined;
  readonly client: ServiceBusClient;
  close(): Promise<void>;
}

export interface World {
  readonly sim: ServiceBusSimulator;
  readonly events: EventLog;
  /** A new SDK client on the plain listener with one of the namespace's rules. */
  client(
    keyName?: 'relay' | 'tenant' | 'RootManageSharedAccessKey',
    options?: ServiceBusClientOptions,
  ): ServiceBusClient;
  startTenant(
    options: Omit<TenantDriverOptions, 'serviceBus' | 'tenant'> & { tenant?: string },
  ): Promise<TenantDriver>;
  startRelay(options: RelayOptions): Relay;
}

/** The simulated namespace's events the tests look at. */
export const SB_CHANNELS = [
  'sim:sb:enqueued',
  'sim:sb:receiver-opened',
  'sim:sb:settled',
  'sim:sb:deadlettered',
] as const;

/** The four entities of docs/protocol/messaging.md. */
export const MESSAGING_QUEUES: NonNullable<NamespaceConfigInput['queues']> = [
  { name: 'handshake' },
  { name: 'handshake-replies', requiresSession: true },
  { name: 'requests' },
  { name: 'replies', requiresSession: true },
];

/** Starts the namespace and registers the teardown (relays, tenants, clients, simulator). */
export async function startWorld(t: tap.Test, options: WorldOptions = {}): Promise<World> {
  const key = (): string => randomBytes(32).toString('base64');
  const keys = { RootManageSharedAccessKey: key(), relay: key(), tenant: key() };
  const sim = await startServiceBusSimulator({
    config: {
      namespace: 'council-42',
      profile: options.profile ?? 'standard',
      relaxedLimits: options.relaxedLimits ?? false,
      authorizationRules: [
        {
          keyName: 'RootManageSharedAccessKey',
          key: keys.RootManageSharedAccessKey,
          rights: ['Manage', 'Listen', 'Send'],
        },
        { keyName: 'relay', key: keys.relay, rights: ['Listen', 'Send'] },
        { keyName: 'tenant', key: keys.tenant, rights: ['Listen', 'Send'] },
      ],
      queues: options.queues ?? MESSAGING_QUEUES,
    },
    listeners: { plain: {}, tls: false, websocket: false },
  });
  const events = new EventLog([
    ...Object.values(MESSAGING_CHANNELS),
    ...Object.values(TENANT_CHANNELS),
    ...SB_CHANNELS,
  ]);
  const clients: ServiceBusClient[] = [];
  const tenants: TenantDriver[] = [];
  const relays: Relay[] = [];
  t.teardown(async () => {
    await Promise.allSettled(relays.map((r) => r.close()));
    await Promise.allSettled(tenants.map((d) => d.close()));
    await Promise.allSettled(clients.map((c) => c.close()));
    await sim.close();
    events.stop();
  });

  const client = (
    keyName: 'relay' | 'tenant' | 'RootManageSharedAccessKey' = 'RootManageSharedAccessKey',
    clientOptions: ServiceBusClientOptions = {},
  ): ServiceBusClient => {
    const port = sim.listeners.plain?.port;
    if (port === undefined) throw new Error('the plain listener is not open');
    const cs =
      `Endpoint=sb://localhost:${port}/;SharedAccessKeyName=${keyName};` +
      `SharedAccessKey=${keys[keyName]};UseDevelopmentEmulator=true`;
    const c = new ServiceBusClient(cs, {
      retryOptions: { maxRetries: 2, retryDelayInMs: 50, timeoutInMs: 10_000 },
      ...clientOptions,
    });
    clients.push(c);
    return c;
  };

  const startTenant: World['startTenant'] = async (o) => {
    const driver = await startTenantDriver({ tenant: TENANT, ...o, serviceBus: client('tenant') });
    tenants.push(driver);
    return driver;
  };

  const startRelay = (o: RelayOptions): Relay => {
    const sb = client('relay');
    const ring = new TenantKeys(o.keys);
    const scheduler = o.clock;
    const handshake = createHandshakeClient(
      {
        tenant: TENANT,
        instanceId: o.instanceId ?? 'relay-a',
        answerTimeoutMs: 10_000,
        ...o.handshake,
      },
      { serviceBus: sb, keys: ring, ...(scheduler !== undefined ? { scheduler } : {}) },
    );
    const work =
      o.handler === undefined
        ? undefined
        : createWorkReceiver(
            { tenant: TENANT, routes: [...ROUTES], ...o.work },
            {
              serviceBus: sb,
              keys: ring,
              session: handshake,
              handler: o.handler,
              ...(scheduler !== undefined ? { scheduler } : {}),
              ...(o.store !== undefined ? { store: o.store } : {}),
              ...(o.settlementOf !== undefined ? { settlementOf: o.settlementOf } : {}),
            },
          );
    work?.start();
    if (o.start !== false) handshake.start();
    const relay: Relay = {
      keys: ring,
      handshake,
      work,
      client: sb,
      close: async () => {
        await work?.close();
        await handshake.close();
      },
    };
    relays.push(relay);
    return relay;
  };

  return { sim, events, client, startTenant, startRelay };
}

/** An echo handler: answers 200 with `<route>:` and the body. */
export const echoHandler: WorkHandler = (route, body) =>
  Promise.resolve({
    status: 200,
    body: Buffer.concat([Buffer.from(`${route}:`), body]),
    contentType: 'text/plain',
  });

/** The `code` of an error (typed errors and SDK errors), else undefined. */
export function codeOf(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : undefined;
}

/** Resolves with the rejection of `p` (fails the test if it resolves). */
export async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}
