// Starts a simulated Service Bus namespace. In: a namespace config (or its input), which
// listeners to open and where, where to write the CA certificate, the clock, limits and an
// optional engine factory. Out: a running simulator: the actual loopback ports, a ready
// connection string per listener, the CA path and PEM, the engine (for suites and the
// control API), programmatic faults, and close() that stops every socket and timer.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock, type Clock } from '../../../../../relay/src/protocol/primitives';
import { createTlsMaterial, type CertificateAuthority, type TlsMaterial } from '../../tls/ca';
import {
  parseNamespaceConfig,
  sasRules,
  type NamespaceConfig,
  type NamespaceConfigInput,
} from '../config';
import { ServiceBusEngine } from '../engine/engine';
import type { EngineDeps, ServiceBusEngineApi } from '../engine/types';
import { AmqpEdge, type EdgeFaults, type EdgeLimits } from './edge';
import { EventPublisher } from './events';
import { Listeners, WEBSOCKET_PATH, type ListenerKind } from './listeners';

export interface ListenerConfig {
  /** Loopback address (default 127.0.0.1). */
  readonly host?: string;
  /** Port (default 0: any free port). */
  readonly port?: number;
}

export interface ServiceBusSimulatorOptions {
  /** The namespace: a parsed config, or input for parseNamespaceConfig. */
  readonly config: NamespaceConfig | NamespaceConfigInput;
  /** Which listeners to open; false leaves one out. Default: all three on port 0. */
  readonly listeners?: {
    readonly plain?: ListenerConfig | false;
    readonly tls?: ListenerConfig | false;
    readonly websocket?: ListenerConfig | false;
  };
  /** Where to write the CA certificate (PEM). Default: a temporary file removed by close(). */
  readonly caPath?: string;
  /** Issue the server certificate under this CA instead of a fresh one (a run-long CA). */
  readonly ca?: CertificateAuthority;
  readonly clock?: Clock;
  /** Limits of the AMQP edge (defaults: 65536-byte frames, 1000 links, 5000 connections). */
  readonly limits?: Partial<EdgeLimits>;
  /** Longest accepted SAS token lifetime, seconds (default 10 years: Azure sets none). */
  readonly maxTokenLifetimeSeconds?: number;
  /**
   * More names the namespace answers to besides its logical host and localhost (SAS audiences
   * and the TLS certificate): the loopback address it stands at when clients dial it directly
   * as if it were Azure (`relaycheck sim namespaces`).
   */
  readonly aliases?: readonly string[];
  /** Replaces the broker engine (tests of the edge). */
  readonly createEngine?: (deps: EngineDeps) => ServiceBusEngineApi;
}

export interface ListenerInfo {
  readonly kind: ListenerKind;
  readonly host: string;
  readonly port: number;
  /** `sb://localhost:<port>/` */
  readonly endpoint: string;
  /** A connection string with the namespace's first usable key. */
  readonly connectionString: string;
  /** For WebSockets: the URL the SDK dials. */
  readonly url?: string;
}

export interface ServiceBusSimulator {
  readonly config: NamespaceConfig;
  /** The logical host, e.g. council-42.servicebus.windows.net (never dialled). */
  readonly host: string;
  readonly listeners: {
    readonly plain?: ListenerInfo;
    readonly tls?: ListenerInfo;
    readonly websocket?: ListenerInfo;
  };
  /** The CA certificate path (trust it: NODE_EXTRA_CA_CERTS, or `ca` for ws). */
  readonly caPath: string | undefined;
  readonly caPem: string | undefined;
  readonly engine: ServiceBusEngineApi;
  readonly faults: EdgeFaults;
  /** A connection string for a listener and any configured key name. */
  connectionString(kind: ListenerKind, keyName?: string): string;
  /** Fault: drops open connections without an AMQP close; returns how many. */
  dropConnections(kind?: ListenerKind): number;
  /** Open AMQP connections. */
  readonly connectionCount: number;
  close(): Promise<void>;
}

const DEFAULT_LIMITS: EdgeLimits = Object.freeze({
  maxFrameSize: 65_536,
  maxLinksPerConnection: 1_000,
  maxConnections: 5_000,
  sessionAcceptTimeoutMs: 60_000,
});

const TEN_YEARS_S = 10 * 365 * 24 * 3600;

function isParsed(c: NamespaceConfig | NamespaceConfigInput): c is NamespaceConfig {
  return Object.isFrozen(c) && typeof (c as Partial<NamespaceConfig>).host === 'string';
}

/** Starts the simulator; resolves once every listener is bound. */
export async function startServiceBusSimulator(
  options: ServiceBusSimulatorOptions,
): Promise<ServiceBusSimulator> {
  const config = isParsed(options.config) ? options.config : parseNamespaceConfig(options.config);
  const clock = options.clock ?? systemClock;
  const limits: EdgeLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const events = new EventPublisher(config.namespace);
  const faults: EdgeFaults = {};
  const wanted = options.listeners ?? {};
  const specs = (['plain', 'tls', 'websocket'] as const)
    .filter((kind) => wanted[kind] !== false)
    .map((kind) => {
      const c = wanted[kind];
      return { kind, ...(c === undefined || c === false ? {} : c) };
    });
  const needsTls = specs.some((s) => s.kind !== 'plain');

  let tempDir: string | undefined;
  let tls: TlsMaterial | undefined;
  if (needsTls) {
    let caPath = options.caPath;
    if (caPath === undefined) {
      tempDir = mkdtempSync(join(tmpdir(), 'relaycheck-sb-'));
      caPath = join(tempDir, 'ca.pem');
    }
    tls = createTlsMaterial({
      hosts: ['localhost', '127.0.0.1', '::1', config.host, ...(options.aliases ?? [])],
      caPath,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      clock,
    });
  }

  // The edge and the engine call each other: the edge exists first, the engine's
  // callbacks reach it through this variable.
  const ref: { edge?: AmqpEdge } = {};
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Infinity;
  let closed = false;
  const deps: EngineDeps = {
    config,
    clock,
    emit: (name, data) => {
      events.engine(name, data);
    },
    onAvailable: (receiverId) => ref.edge?.onAvailable(receiverId),
    onSessionAvailable: (entity) => ref.edge?.onSessionAvailable(entity),
    onReceiverLost: (receiverId, error) => ref.edge?.onReceiverLost(receiverId, error),
  };
  const engine = options.createEngine?.(deps) ?? new ServiceBusEngine(deps);

  const arm = (): void => {
    if (closed) return;
    const next = engine.nextDeadline();
    if (next === undefined) return;
    if (timer !== undefined && timerAt <= next) return;
    if (timer !== undefined) clearTimeout(timer);
    timerAt = next;
    timer = setTimeout(
      () => {
        timer = undefined;
        timerAt = Infinity;
        try {
          engine.tick();
        } finally {
          arm();
        }
      },
      Math.max(0, next - clock.now()),
    );
    timer.unref();
  };

  const theEdge = new AmqpEdge({
    engine,
    events,
    limits,
    faults,
    containerId: `sim-${config.namespace}-${randomUUID()}`,
    afterEngineCall: arm,
    cbs: {
      rules: sasRules(config),
      logicalHost: config.host,
      aliases: ['localhost', '127.0.0.1', '::1', ...(options.aliases ?? [])],
      maxLifetimeSeconds: options.maxTokenLifetimeSeconds ?? TEN_YEARS_S,
      clock,
    },
  });
  ref.edge = theEdge;

  let listeners: Listeners;
  try {
    listeners = await Listeners.open(specs, tls, {
      onStream: (accepted) => {
        theEdge.accept(accepted);
      },
      onTlsError: (kind, error, remote) => {
        events.edge('sim:sb:tls', { listener: kind, remote, error: error.message });
      },
      maxWebSocketPayload: Math.max(limits.maxFrameSize * 4, 1024 * 1024),
    });
  } catch (e) {
    theEdge.close();
    if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
    throw e;
  }

  const keyFor = (keyName?: string): { keyName: string; key: string } => {
    const all = [
      ...config.authorizationRules,
      ...config.queues.flatMap((q) => q.authorizationRules),
      ...config.topics.flatMap((t) => t.authorizationRules),
    ];
    const rule =
      keyName !== undefined
        ? all.find((r) => r.keyName === keyName)
        : (config.authorizationRules.find((r) => r.rights.includes('Manage')) ??
          config.authorizationRules[0] ??
          all[0]);
    if (rule === undefined) {
      throw new Error(
        keyName === undefined
          ? 'the namespace has no authorization rule to build a connection string with'
          : `no authorization rule is named ${keyName}`,
      );
    }
    return { keyName: rule.keyName, key: rule.key };
  };
  const portOf = (kind: ListenerKind): number => {
    const bound = listeners.bound.find((b) => b.kind === kind);
    if (bound === undefined) throw new Error(`the ${kind} listener is not open`);
    return bound.port;
  };
  const connectionString = (kind: ListenerKind, keyName?: string): string => {
    const { keyName: name, key } = keyFor(keyName);
    const base = `Endpoint=sb://localhost:${portOf(kind)}/;SharedAccessKeyName=${name};SharedAccessKey=${key}`;
    return kind === 'plain' ? `${base};UseDevelopmentEmulator=true` : base;
  };
  const hasKey = ((): boolean => {
    try {
      keyFor();
      return true;
    } catch {
      return false;
    }
  })();
  const info = (kind: ListenerKind): ListenerInfo | undefined => {
    const bound = listeners.bound.find((b) => b.kind === kind);
    if (bound === undefined) return undefined;
    return Object.freeze({
      kind,
      host: bound.host,
      port: bound.port,
      endpoint: `sb://localhost:${bound.port}/`,
      connectionString: hasKey ? connectionString(kind) : '',
      ...(kind === 'websocket' ? { url: `wss://localhost:${bound.port}${WEBSOCKET_PATH}` } : {}),
    });
  };
  const listenerInfo: { plain?: ListenerInfo; tls?: ListenerInfo; websocket?: ListenerInfo } = {};
  for (const kind of ['plain', 'tls', 'websocket'] as const) {
    const i = info(kind);
    if (i !== undefined) listenerInfo[kind] = i;
    events.edge('sim:sb:listening', { listener: kind, port: i?.port });
  }

  return Object.freeze({
    config,
    host: config.host,
    listeners: Object.freeze(listenerInfo),
    caPath: tls?.caPath,
    caPem: tls?.caPem,
    engine,
    faults,
    connectionString,
    dropConnections: (kind?: ListenerKind) => theEdge.dropConnections(kind),
    get connectionCount(): number {
      return theEdge.connectionCount;
    },
    close: async (): Promise<void> => {
      if (closed) return;
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      theEdge.close();
      await listeners.close();
      if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
    },
  });
}

/** A random key for tests and the standalone command (44 base64 characters, as Azure's). */
export function generateKey(): string {
  return randomBytes(32).toString('base64');
}
