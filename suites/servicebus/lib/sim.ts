// Shared set-up of the SB conformance cases. In: a tap test and the entities a case needs.
// Out: a running simulated namespace on loopback port 0 with keys made at run time, real
// @azure/service-bus clients for its listeners, and a teardown that closes every client and
// then the simulator. No sleeps: cases wait on SDK promises and diagnostics events.
import { randomBytes } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { ServiceBusClient, type ServiceBusClientOptions } from '@azure/service-bus';
import {
  startServiceBusSimulator,
  type ListenerKind,
  type NamespaceConfigInput,
  type ServiceBusSimulator,
  type ServiceBusSimulatorOptions,
} from '../../../simulator/src/cloud/servicebus';

export const ROOT_KEY_NAME = 'RootManageSharedAccessKey';
export const LISTEN_KEY_NAME = 'listen-only';
export const SEND_KEY_NAME = 'send-only';

export interface SimHarness {
  readonly sim: ServiceBusSimulator;
  readonly keys: Readonly<Record<string, string>>;
  /** A client on a listener (default plain) with a key (default the root key). */
  readonly client: (options?: ClientChoice) => ServiceBusClient;
}

export interface ClientChoice {
  readonly listener?: ListenerKind;
  readonly keyName?: string;
  readonly key?: string;
  readonly clientOptions?: ServiceBusClientOptions;
}

export interface HarnessOptions {
  readonly queues?: NamespaceConfigInput['queues'];
  readonly topics?: NamespaceConfigInput['topics'];
  readonly relaxedLimits?: boolean;
  readonly profile?: 'standard' | 'premium';
  readonly listeners?: ServiceBusSimulatorOptions['listeners'];
  readonly limits?: ServiceBusSimulatorOptions['limits'];
}

/** A fresh random key, as Azure makes them (32 random bytes, base64). */
export function newKey(): string {
  return randomBytes(32).toString('base64');
}

/** Retry options that fail fast: refusals must surface as errors, not as minutes of retries. */
export const FAST_FAIL: ServiceBusClientOptions = {
  retryOptions: { maxRetries: 0, timeoutInMs: 10_000 },
};

/** Starts a namespace (plain listener only unless asked) and registers its teardown. */
export async function startSim(t: tap.Test, options: HarnessOptions = {}): Promise<SimHarness> {
  const rootKey = newKey();
  const listenKey = newKey();
  const sendKey = newKey();
  const keys: Record<string, string> = {
    [ROOT_KEY_NAME]: rootKey,
    [LISTEN_KEY_NAME]: listenKey,
    [SEND_KEY_NAME]: sendKey,
  };
  const sim = await startServiceBusSimulator({
    config: {
      namespace: 'council-42',
      profile: options.profile ?? 'standard',
      relaxedLimits: options.relaxedLimits ?? false,
      authorizationRules: [
        { keyName: ROOT_KEY_NAME, key: rootKey, rights: ['Manage', 'Listen', 'Send'] },
        { keyName: LISTEN_KEY_NAME, key: listenKey, rights: ['Listen'] },
        { keyName: SEND_KEY_NAME, key: sendKey, rights: ['Send'] },
      ],
      queues: options.queues ?? [{ name: 'q1' }],
      topics: options.topics ?? [],
    },
    listeners: options.listeners ?? { plain: {}, tls: false, websocket: false },
    ...(options.limits !== undefined ? { limits: options.limits } : {}),
  });
  const clients: ServiceBusClient[] = [];
  t.teardown(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await sim.close();
  });
  return {
    sim,
    keys,
    client: (o: ClientChoice = {}) => {
      const listener = o.listener ?? 'plain';
      const keyName = o.keyName ?? ROOT_KEY_NAME;
      const key = o.key ?? keys[keyName] ?? newKey();
      const port = sim.listeners[listener]?.port;
      if (port === undefined) throw new Error(`the ${listener} listener is not open`);
      const dev = listener === 'plain' ? ';UseDevelopmentEmulator=true' : '';
      const cs = `Endpoint=sb://localhost:${port}/;SharedAccessKeyName=${keyName};SharedAccessKey=${key}${dev}`;
      const client = new ServiceBusClient(cs, o.clientOptions ?? {});
      clients.push(client);
      return client;
    },
  };
}

/** Resolves with the first message published on `channel` that matches `predicate`. */
export function nextEvent<T = Record<string, unknown>>(
  channel: string,
  predicate: (data: T) => boolean = () => true,
): Promise<T> {
  return new Promise((resolve) => {
    const listener = (data: unknown): void => {
      if (!predicate(data as T)) return;
      diagnostics.unsubscribe(channel, listener);
      resolve(data as T);
    };
    diagnostics.subscribe(channel, listener);
  });
}

/** The `code` of a ServiceBusError (or any error carrying one). */
export function errorCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : undefined;
}
