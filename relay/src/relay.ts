// The reference relay, composed. In: a validated RelayConfig (relay/src/config) and optional
// injected logger. Out: a running relay: the loopback health and metrics endpoint, the egress
// layer and connectivity auto-detect, one Service Bus client for the chosen mode (rebuilt when
// the mode changes) shared by the handshake client and the work receiver, one Hybrid
// Connections listener per path on the chosen endpoint, and the dispatcher to the back office.
// A lost Service Bus connection re-probes and rebuilds the client (same mode: dials planned
// again). Nothing listens except the health endpoint on loopback; every dial passes the egress
// policy.
// close() stops receiving, lets in-flight work finish, closes links and the endpoint.
import type { ServiceBusClient } from '@azure/service-bus';
import type { Logger } from 'pino';
import type { Readable } from 'node:stream';
import { channel } from 'node:diagnostics_channel';
import type { RelayConfig } from './config';
import {
  CONNECTIVITY_CHANNELS,
  createConnectivity,
  createEgress,
  type Connectivity,
  type Mode,
  type ProbeResult,
  watchServiceBusConnection,
} from './connectivity';
import {
  createMetrics,
  HEALTH_CHANNELS,
  startHealthServer,
  type HealthSnapshot,
  type PortDiagnosis,
  type PortOutcome,
  type TransportState,
} from './health';
import { createRelayLogger } from './log';
import {
  HandshakeClient,
  MESSAGING_CHANNELS,
  sealedHcHandler,
  TenantKeys,
  WorkReceiver,
  type SealedHcRequest,
  type SealedHcResult,
  type WorkMeta,
  type WorkResult,
} from './messaging';
import { isRelaycheckError } from './protocol/errors';
import { createHybridListener, HC_CHANNELS, type HybridListener } from './transports';
import { BACKOFFICE_CHANNELS, createBackOfficeClient, refusedError } from './work/backoffice';
import { CONTENT_CHANNELS } from './work/content';
import { AV_CHANNELS, createScanner, type Scanner } from './work/antivirus';
import { FILEDROP_CHANNELS } from './work/filedrop';
import { fileNameFromContentDisposition } from './work/filedrop/filename';
import { openFileIdempotencyStore } from './work/idempotency';
import { RelayRouteError } from './work/route-path';
import { createRouter, workSettlementWith, type Answer } from './work/router';
import { startSweeper } from './work/sweeper';

/** The relay's own state changes (mode applied, transports rebuilt), for harnesses. */
export const RELAY_STATE_CHANNEL = 'relay:state';

/**
 * Every diagnostics channel the relay publishes on (`relaycheck relay --events-fd`), each once
 * (the egress layer's dial channel is one of CONNECTIVITY_CHANNELS).
 */
export const RELAY_EVENT_CHANNELS: readonly string[] = Object.freeze([
  RELAY_STATE_CHANNEL,
  ...Object.values(CONNECTIVITY_CHANNELS),
  ...Object.values(MESSAGING_CHANNELS),
  ...Object.values(HC_CHANNELS),
  ...Object.values(HEALTH_CHANNELS),
  ...Object.values(BACKOFFICE_CHANNELS),
  ...Object.values(CONTENT_CHANNELS),
  ...Object.values(FILEDROP_CHANNELS),
  ...Object.values(AV_CHANNELS),
]);

/** Reads an answer for a Service Bus reply: at most `max` bytes, or RELAY_E_ROUTE_ANSWER. */
async function replyBytes(body: Readable, max: number, route: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      size += b.length;
      if (size > max) {
        throw new RelayRouteError(
          'RELAY_E_ROUTE_ANSWER',
          `the answer of ${route} is over ${String(max)} bytes, more than a Service Bus reply carries here; fetch it through the Hybrid Connection`,
          { route, max },
        );
      }
      parts.push(b);
    }
  } finally {
    body.destroy();
  }
  return Buffer.concat(parts, size);
}

const stateChannel = channel(RELAY_STATE_CHANNEL);

export interface RelayDeps {
  readonly logger?: Logger;
}

export interface Relay {
  readonly instanceId: string;
  /** `http://127.0.0.1:<port>` of the health endpoint (append /healthz or /metrics). */
  readonly healthUrl: string;
  snapshot(): HealthSnapshot;
  close(): Promise<void>;
}

function portOutcome(p: ProbeResult): PortOutcome {
  switch (p.diagnosis) {
    case 'allowed':
    case 'refused':
    case 'timed-out':
    case 'tls-failed':
    case 'egress-refused':
      return p.diagnosis;
    default:
      return 'error';
  }
}

function portDiagnosis(p: ProbeResult): PortDiagnosis {
  return {
    host: p.host,
    port: p.port,
    purpose: `${p.target}${p.path === 'https' ? '-wss' : ''}`,
    outcome: portOutcome(p),
    ...(p.reason === undefined ? {} : { detail: p.code ?? p.reason }),
    at: new Date(p.at).toISOString(),
  };
}

/** The HC target without its leading hybrid connection path: what the back office sees. */
function servicePath(target: string, hcPath: string): string {
  const prefix = `/${hcPath}`;
  if (target === prefix) return '/';
  if (target.startsWith(`${prefix}/`) || target.startsWith(`${prefix}?`)) {
    const rest = target.slice(prefix.length);
    return rest.startsWith('?') ? `/${rest}` : rest;
  }
  return target;
}

/** The code of an SDK or system error, for logs and events (never its message). */
function errorCode(e: unknown): string {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string') {
    return e.code.slice(0, 64);
  }
  return 'unknown';
}

/**
 * Waits for `p` (a close) at most `ms`; it goes on in the background. A Service Bus close on a
 * connection a firewall silently drops waits for replies that never come.
 */
async function within(p: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (p === undefined) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    p.catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

/** Starts the relay. Rejects with a typed error when the config cannot be put to work. */
export async function startRelay(config: RelayConfig, deps: RelayDeps = {}): Promise<Relay> {
  const log = deps.logger ?? createRelayLogger({ level: config.log.level });
  const startedAt = new Date().toISOString();
  const metrics = createMetrics();
  const workCounter = metrics.counter('relay_work_total', 'Work items finished', [
    'via',
    'outcome',
  ]);
  const modeGauge = metrics.gauge(
    'relay_mode',
    'Connectivity mode in use (1 for the current one)',
    ['mode'],
  );
  const keys = new TenantKeys(config.tenant.keys.map((k) => ({ kid: k.kid, key: k.secret })));
  const backOffice = createBackOfficeClient({ ...config.delivery, services: config.backOffice });
  const drops = config.routes.filter((r) => r.use === 'file-drop').length;
  let scanner: Scanner | undefined;
  if (config.antivirus !== undefined) {
    scanner = createScanner(config.antivirus);
    // Said at start, never a reason not to start nor to wait: clamd may come up later
    // (fail-closed retries), and a clamd that hangs must not hold the relay's start up.
    void scanner.ping().then(
      ({ version }) => {
        log.info({ version, onUnavailable: config.antivirus?.onUnavailable }, 'clamd answers');
      },
      (e: unknown) => {
        log.warn(
          { code: isRelaycheckError(e) ? e.code : 'unknown' },
          `clamd does not answer: dropped files are ${config.antivirus?.onUnavailable === 'fail-open' ? 'dropped unscanned (fail-open)' : 'held and retried (fail-closed)'} until it does`,
        );
      },
    );
  } else if (drops > 0) {
    log.warn(
      { routes: drops },
      'no antivirus configured: dropped files are NOT scanned (set antivirus.clamd)',
    );
  }
  const router = createRouter(config.routes, { client: backOffice, scanner });
  // Temporary files of drops a crash (SIGKILL) cut short: removed at start, and then every
  // tempSweepAfterMs while running, so those of a crash just before this start (too young to
  // tell from another relay's write under way) do not stay until the next restart.
  const sweepAfterMs = config.limits.tempSweepAfterMs;
  const swept = await router.sweep(sweepAfterMs);
  if (swept > 0) log.info({ swept }, 'removed temporary files a crash left in the file drops');
  const routeNames = config.routes.map((r) => r.name);
  const hcPaths = config.hybrid.paths;

  const store =
    config.idempotency.file === undefined
      ? undefined
      : await openFileIdempotencyStore(config.idempotency.file);
  const egress = await createEgress(config);
  const connectivity: Connectivity = createConnectivity(config, { egress, logger: log });

  let client: ServiceBusClient | undefined;
  /** Stops watching the current client's AMQP connection. */
  let unwatchConnection: () => void = () => undefined;
  /** How long the close of a replaced Service Bus client may hold the next one back. */
  const sbCloseBoundMs = config.connectivity.probeTimeoutMs;
  let appliedMode: Mode | 'probing' = 'probing';
  let serviceBusState: TransportState = 'connecting';
  const listeners = new Map<string, HybridListener>();
  const listenerState = new Map<string, TransportState>();
  let closing = false;

  const currentClient = (): ServiceBusClient => {
    if (client === undefined) {
      throw new Error('no Service Bus client yet: the connectivity mode is not chosen');
    }
    return client;
  };

  const handshake = new HandshakeClient(
    {
      tenant: config.tenant.id,
      instanceId: config.instanceId,
      entities: {
        handshake: config.serviceBus.entities.handshake,
        handshakeReplies: config.serviceBus.entities.handshakeReplies,
      },
      reconnectDelaysMs: [...config.connectivity.reconnectDelaysMs],
      reconnectJitter: config.connectivity.reconnectJitter,
    },
    { serviceBus: currentClient, keys, logger: log },
  );

  const sbHandler = async (route: string, body: Buffer, meta: WorkMeta): Promise<WorkResult> => {
    const use = router.use(route);
    const path = typeof meta.properties.path === 'string' ? meta.properties.path : '/';
    const formType = meta.properties.formType;
    const fileName = meta.properties.fileName;
    // The message id is the idempotency key: sent to the back office as Idempotency-Key (a back
    // office that honours it closes the window between its effect and the relay's record of
    // it) and the name of a dropped file.
    const answer: Answer = await router.perform({
      via: 'servicebus',
      route,
      method: use === 'retrieve' || (use === undefined && body.length === 0) ? 'GET' : 'POST',
      path,
      contentType: meta.contentType,
      formType: typeof formType === 'string' ? formType : undefined,
      // A declared name that is not a string is refused by the name check, never ignored.
      fileName,
      body: body.length === 0 ? undefined : body,
      key: meta.messageId,
      signal: meta.signal,
      renewLock: meta.renewLock,
    });
    if (answer.outcome === 'permanent') {
      throw await refusedError(answer, { service: answer.service ?? route, route });
    }
    const bytes = await replyBytes(answer.body, config.limits.maxReplyBytes, route);
    workCounter.inc({ via: 'servicebus', outcome: String(answer.status) });
    return {
      status: answer.status,
      body: bytes,
      ...(answer.headers['content-type'] === undefined
        ? {}
        : { contentType: answer.headers['content-type'] }),
    };
  };

  const work =
    routeNames.length === 0
      ? undefined
      : new WorkReceiver(
          {
            tenant: config.tenant.id,
            profile: config.profile,
            routes: routeNames,
            entities: {
              requests: config.serviceBus.entities.requests,
              replies: config.serviceBus.entities.replies,
            },
            maxConcurrent: config.limits.maxConcurrent,
            maxRequestBytes: config.limits.maxRequestBytes,
            shutdownGraceMs: config.limits.shutdownGraceMs,
            maxDeliveryCount: config.serviceBus.maxDeliveryCount,
            busyBackoffMs: [...config.serviceBus.busyBackoffMs],
          },
          {
            serviceBus: currentClient,
            keys,
            session: handshake,
            handler: sbHandler,
            logger: log,
            ...(store === undefined ? {} : { store }),
            settlementOf: workSettlementWith({
              fileDropHoldMs: config.limits.fileDropRetryHoldMs,
            }),
            onTransportError: (e) => {
              recoverServiceBus(isRelaycheckError(e) ? e.code : errorCode(e));
            },
          },
        );

  const hcDispatch = async (req: SealedHcRequest): Promise<SealedHcResult> => {
    const hcPath = hcPaths.find(
      (p) =>
        req.target === `/${p}` ||
        req.target.startsWith(`/${p}/`) ||
        req.target.startsWith(`/${p}?`),
    );
    // The declared file name of a drop: the filename of a Content-Disposition header.
    let fileName: string | undefined;
    const disposition = req.headers['content-disposition'];
    if (disposition !== undefined) {
      try {
        fileName = fileNameFromContentDisposition(disposition);
      } catch (e) {
        req.body.resume();
        throw e;
      }
    }
    const answer = await router.perform({
      via: 'hybrid',
      route: req.route,
      fileName,
      method: req.method,
      path: servicePath(req.target, hcPath ?? req.route),
      contentType: req.headers['content-type'],
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : req.body,
      key: req.messageId,
      signal: req.signal,
    });
    // A permanent refusal by the back office is passed on as it came (status and its reason):
    // the caller over HTTP reads it like any answer.
    workCounter.inc({ via: 'hybrid', outcome: String(answer.status) });
    return { status: answer.status, headers: answer.headers, body: answer.body };
  };
  const hcHandler = sealedHcHandler(
    { tenant: config.tenant.id, profile: config.profile, routes: routeNames },
    { keys, dispatch: hcDispatch, session: handshake, logger: log },
  );

  /** Takes the current listeners out of service; closes them unless `keep` (closed later). */
  const closeListeners = async (keep = false): Promise<HybridListener[]> => {
    const all = [...listeners.values()];
    listeners.clear();
    if (!keep) await Promise.allSettled(all.map((l) => l.close()));
    return all;
  };
  /** Resolves true once `listener` is connected, false when it fails or `ms` passes first. */
  const connectedWithin = (listener: HybridListener, ms: number): Promise<boolean> =>
    new Promise<boolean>((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        listener.off('connected', onConnected);
        listener.off('failed', onFailed);
        resolve(ok);
      };
      const onConnected = (): void => {
        done(true);
      };
      const onFailed = (): void => {
        done(false);
      };
      const timer = setTimeout(() => {
        done(false);
      }, ms);
      listener.on('connected', onConnected);
      listener.on('failed', onFailed);
    });

  const openListeners = (mode: Mode): void => {
    const hybrid = config.hybrid;
    const endpoint = connectivity.hybridEndpointFor(mode);
    for (const path of hybrid.paths) {
      const listener = createHybridListener(
        {
          endpoint,
          path,
          keyName: hybrid.keyName,
          key: hybrid.key,
          listenerId: config.instanceId,
          tokenTtlSeconds: hybrid.tokenTtlSeconds,
          pingIntervalMs: hybrid.pingIntervalMs,
          pongTimeoutMs: hybrid.pongTimeoutMs,
        },
        { handler: hcHandler, ...connectivity.hybridListenerDeps(), logger: log },
      );
      // Only the listener in service for a path speaks for it: one being replaced (closed
      // after its successor connected) no longer sets the path's state or asks for a probe.
      const current = (): boolean => listeners.get(path) === listener;
      listenerState.set(path, 'connecting');
      listener.on('connected', () => {
        if (current()) listenerState.set(path, 'up');
      });
      listener.on('disconnected', () => {
        if (!current()) return;
        listenerState.set(path, 'down');
        if (!closing) void connectivity.reprobe().catch(() => undefined);
      });
      listener.on('failed', () => {
        if (current()) listenerState.set(path, 'down');
      });
      listener.on('fault', (e) => {
        log.warn({ code: e.code, path }, 'hybrid connections listener fault');
      });
      listeners.set(path, listener);
      listener.start();
    }
  };

  /**
   * Replaces the Service Bus client with a new one for `mode` (dials planned again: new DNS
   * answers, the new port) and restarts the work on it. False when no client can be made.
   */
  const replaceServiceBus = async (mode: Mode, previous: Mode | 'probing'): Promise<boolean> => {
    const old = client;
    client = undefined;
    unwatchConnection();
    serviceBusState = mode === 'none' ? 'down' : 'connecting';
    // Bounded: on a connection a firewall silently drops, the SDK's close waits for a reply
    // that never comes (and for its own reconnect to the old address), holding the new mode.
    if (old !== undefined) await within(old.close(), sbCloseBoundMs);
    if (mode === 'none') return true;
    try {
      client = await connectivity.serviceBusClientFor(mode, {
        idleTimeoutMs: config.serviceBus.idleTimeoutMs,
      });
    } catch (e) {
      serviceBusState = 'down';
      log.error(
        { code: isRelaycheckError(e) ? e.code : 'unknown', mode },
        'no Service Bus client for the mode',
      );
      stateChannel.publish({ state: 'transports-failed', mode, previous });
      return false;
    }
    // The SDK would redial a lost connection by itself, to the address it was given and telling
    // nobody for minutes: the relay takes it over (probe again, then a client for the mode).
    const created = client;
    unwatchConnection = watchServiceBusConnection(created, (reason) => {
      if (client !== created) return;
      log.warn({ mode, reason }, 'the Service Bus connection went down');
      recoverServiceBus(reason, () => client === created);
    });
    if (handshake.state === 'idle') handshake.start();
    else void handshake.rehandshake().catch(() => undefined);
    work?.start();
    // A receiver left from before (also from before a spell in mode none: the session may have
    // stayed live through it) belongs to the closed client: rebuild it on the new one.
    if (work !== undefined && previous !== 'probing') {
      await work.restart().catch(() => undefined);
    }
    return true;
  };

  // Mode changes (and Service Bus rebuilds) are applied one at a time, in order.
  let applying: Promise<void> = Promise.resolve();
  const apply = (mode: Mode, reason: string): Promise<void> => {
    applying = applying.then(async () => {
      if (closing || mode === appliedMode) return;
      const previous = appliedMode;
      appliedMode = mode;
      for (const m of ['tcp', 'https', 'none']) modeGauge.set({ mode: m }, m === mode ? 1 : 0);
      // Between two working modes the Hybrid Connection listeners are replaced make before
      // break: the old ones keep answering until the new ones are connected (a request in
      // between would otherwise get 502 "no listener"); into mode none they just close.
      const switching =
        (previous === 'tcp' || previous === 'https') && mode !== 'none' && listeners.size > 0;
      // The listeners do not wait for Service Bus: rebuilding its client and receiver may take
      // as long as the work in flight on the old one (a settlement's timeout), while the
      // Hybrid Connections could already answer on the new path.
      const old = await closeListeners(switching);
      if (mode !== 'none') openListeners(mode);
      const fresh = [...listeners.values()];
      const bound = Math.max(config.connectivity.probeTimeoutMs * 2, 1000);
      const replaced = (async (): Promise<void> => {
        if (switching) await Promise.all(fresh.map((l) => connectedWithin(l, bound)));
        await Promise.allSettled(old.map((l) => l.close()));
      })();
      const serviceBusUp = await replaceServiceBus(mode, previous);
      await replaced;
      if (!serviceBusUp) return;
      log.info({ mode, previous, reason }, 'connectivity mode applied');
      stateChannel.publish({ state: 'mode-applied', mode, previous, reason });
    });
    return applying;
  };

  // The Service Bus connection broke (a firewall cut it, the endpoint moved): the SDK would
  // keep redialling the address it was given. Re-probe; a new mode is applied as usual, and in
  // the same mode the client is rebuilt so its dials are planned again. One recovery at a
  // time, spaced by the reconnect delays while they keep failing.
  let recovering = false;
  let recoveries = 0;
  // Read through a function: the flag changes while a recovery awaits.
  const isClosing = (): boolean => closing;
  let lastRecoveryAt = Number.NEGATIVE_INFINITY;
  const recoverServiceBus = (reason: string, stillLost?: () => boolean): void => {
    if (closing) return;
    const delays = config.connectivity.reconnectDelaysMs;
    const gap = delays[Math.min(recoveries, delays.length - 1)] ?? 0;
    const wait = lastRecoveryAt + gap - Date.now();
    if (recovering || wait > 0) {
      // A connection that went down reports it once: its recovery is put off, not dropped (it
      // is skipped if the client was replaced meanwhile).
      if (stillLost !== undefined) {
        setTimeout(
          () => {
            if (stillLost()) recoverServiceBus(reason, stillLost);
          },
          Math.max(wait, 250),
        ).unref();
      }
      return;
    }
    recovering = true;
    recoveries += 1;
    lastRecoveryAt = Date.now();
    const before = appliedMode;
    log.warn({ mode: before, reason }, 'Service Bus connection lost: probing again');
    stateChannel.publish({ state: 'transport-lost', mode: before, reason });
    void (async () => {
      await connectivity.reprobe().catch(() => undefined);
      await applying;
      if (isClosing() || appliedMode !== before || (before !== 'tcp' && before !== 'https')) {
        return;
      }
      applying = applying.then(async () => {
        if (isClosing() || appliedMode !== before) return;
        if (await replaceServiceBus(before, before)) {
          log.info({ mode: before, reason }, 'Service Bus client rebuilt');
          stateChannel.publish({ state: 'transports-rebuilt', mode: before, reason });
        }
      });
      await applying;
    })().finally(() => {
      recovering = false;
    });
  };

  handshake.on('live', () => {
    serviceBusState = 'up';
    recoveries = 0;
  });
  handshake.on('failed', (e) => {
    log.warn({ code: e.code }, `handshake attempt failed: ${e.message}`);
    // A REJECT is the cloud side's answer, throttling (server busy) the namespace's: neither
    // says the path to Service Bus is broken.
    const refused = e.code === 'RELAY_E_SESSION_REJECTED' || e.code === 'RELAY_E_SESSION_CLOCK';
    const throttled = e.details.sbCode === 'ServiceBusy' || e.details.sbCode === 'ServerBusyError';
    if (!closing && !refused && !throttled) {
      serviceBusState = 'down';
      void connectivity.reprobe().catch(() => undefined);
    }
  });
  connectivity.on('mode', (change) => {
    void apply(change.mode, change.reason);
  });

  const snapshot = (): HealthSnapshot => {
    const c = connectivity.snapshot();
    const session = handshake.session;
    const sessionState = handshake.state;
    const hybrid = hcPaths.map((path) => ({
      path,
      state: listenerState.get(path) ?? 'down',
    }));
    const live = sessionState === 'live';
    const mode = appliedMode;
    return {
      healthy:
        live && mode !== 'none' && mode !== 'probing' && hybrid.every((h) => h.state === 'up'),
      profile: config.profile,
      instanceId: config.instanceId,
      mode,
      ports: c.ports.map(portDiagnosis),
      session: {
        state: sessionState === 'idle' || sessionState === 'closed' ? 'none' : sessionState,
        ...(session === undefined
          ? {}
          : {
              kid: session.kid,
              expiresAt: new Date(session.expiresAt).toISOString(),
            }),
      },
      transports: { serviceBus: mode === 'none' ? 'down' : serviceBusState, hybrid },
      startedAt,
      version: '0.1.0',
    };
  };

  const health = await startHealthServer(config.health, { health: snapshot, metrics });
  try {
    const first = await connectivity.start();
    await apply(first.mode, first.reason);
  } catch (e) {
    await health.close();
    connectivity.close();
    throw e;
  }

  const sweeper =
    drops === 0
      ? undefined
      : startSweeper({
          sweep: (ms) => router.sweep(ms),
          olderThanMs: sweepAfterMs,
          everyMs: sweepAfterMs,
          onSwept: (n) => {
            log.info({ swept: n }, 'removed temporary files a crash left in the file drops');
          },
          onError: (e) => {
            log.warn(
              { code: isRelaycheckError(e) ? e.code : 'unknown' },
              'could not sweep the file drops for temporary files',
            );
          },
        });

  return {
    instanceId: config.instanceId,
    healthUrl: health.url,
    snapshot,
    async close() {
      if (closing) return;
      closing = true;
      sweeper?.stop();
      connectivity.close();
      await applying.catch(() => undefined);
      // Work in flight gets its grace; then each close on the Service Bus side is bounded (on a
      // connection a firewall silently drops it would wait for replies that never come).
      await within(work?.close(), config.limits.shutdownGraceMs + sbCloseBoundMs);
      await within(handshake.close(), sbCloseBoundMs);
      await closeListeners();
      await within(client?.close(), sbCloseBoundMs);
      await store?.close();
      await health.close();
      stateChannel.publish({ state: 'closed' });
    },
  };
}
