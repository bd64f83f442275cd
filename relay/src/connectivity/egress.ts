// The relay's egress layer: every outbound dial goes through here. In: the connectivity
// settings (profile, allowed ports and ranges, network map file, TLS trust) and injected IO
// (resolver, network map source, sockets, scheduler). Out: plan() — resolve, check the port
// and EVERY address, map, publish `relay:egress:dial`, or throw before any packet; connect()
// — a connected TCP or verified TLS socket to the planned target within a time bound, or a
// typed failure (refused, timeout, TLS, other); createConnection() for `ws` / https clients.
import type { Socket } from 'node:net';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { parseCidr } from '../egress/cidr';
import { isRangesError } from '../egress/errors';
import { outsideExplainer } from '../egress/explain';
import { selectRangesAndSource } from '../egress/load';
import { rangeSetOf, type RangeSet } from '../egress/ranges';
import { systemScheduler, type Scheduler } from '../transports/scheduler';
import {
  connectivitySettings,
  type ConnectivityConfigInput,
  type ConnectivitySettings,
} from './config';
import { EgressError, isEgressError } from './errors';
import { CONNECTIVITY_CHANNELS, publish } from './events';
import { networkMapFile, type NetworkMap, type NetworkMapSource } from './network-map';
import { checkPort, planDial, type DialPlan, type DialRequest, type EgressPolicy } from './policy';
import { networkMapResolver, resolveAll, systemResolver, type Resolver } from './resolver';
import { nodeSockets, type SocketConnector } from './sockets';
import { loadCaFile, tlsClientOptions, type TlsTrust } from './tls-trust';

/** Default bound on one connect() (resolve + TCP + TLS) when the caller names none. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

export interface EgressDeps {
  /** Name resolution. Default: the network map's hosts when a map is configured, else system DNS. */
  readonly resolver?: Resolver;
  /** The network map. Default: egress.networkMapFile when set, else none (production). */
  readonly networkMap?: NetworkMapSource | null;
  /** The allowed ranges, already selected. Default: loaded from egress.ranges. */
  readonly ranges?: RangeSet;
  /** With `ranges`: where an address outside them is published (the tail of a refusal). */
  readonly explainOutside?: (address: string) => string;
  /** Extra CA certificates (PEM). Default: read from tls.caFile when set. */
  readonly extraCa?: readonly string[];
  readonly sockets?: SocketConnector;
  readonly scheduler?: Scheduler;
  /** Bound of connect() calls that name none (default 30 s). */
  readonly connectTimeoutMs?: number;
}

export interface ConnectRequest extends DialRequest {
  /** TLS (default) or plain TCP. */
  readonly tls?: boolean;
  /** Bound on resolve + connect + TLS handshake. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** ALPN protocols to offer (e.g. ['http/1.1'] for WebSockets). */
  readonly alpn?: readonly string[];
}

export interface Connected {
  readonly socket: Socket;
  readonly plan: DialPlan;
  /** The negotiated TLS version (TLSv1.2, TLSv1.3); undefined for plain TCP. */
  readonly tlsVersion: string | undefined;
}

/**
 * `ws` / `http.request` createConnection with a callback: the dial is planned and connected
 * asynchronously through the egress layer, then handed to the client (or the error is).
 */
export type CreateConnection = (
  options: { readonly host?: string | null; readonly port?: number | string | null },
  oncreate: (error: Error | null, socket?: Socket) => void,
) => undefined;

export interface Egress {
  readonly settings: ConnectivitySettings;
  readonly policy: EgressPolicy;
  readonly trust: TlsTrust;
  /** The network map in use, or undefined (production). */
  readonly networkMap: NetworkMapSource | undefined;
  /** Resolve, check, map; publishes relay:egress:dial (allowed or refused) before returning. */
  plan(request: DialRequest): Promise<DialPlan>;
  /** plan() then a TCP or TLS connection to the planned target, bounded in time. */
  connect(request: ConnectRequest): Promise<Connected>;
  /** tls.connect options for a logical host (CA, minVersion, servername, identity check). */
  tlsOptions(logicalHost: string): ConnectionOptions;
  /** A createConnection for `ws` (https clients) whose dials all pass the egress layer. */
  createConnection(purpose: string, timeoutMs?: number): CreateConnection;
}

/** The allowed ranges and, from a service-tag source, where an address outside them is. */
async function loadRanges(settings: ConnectivitySettings): Promise<{
  readonly set: RangeSet;
  readonly explain: ((address: string) => string) | undefined;
}> {
  const r = settings.egress.ranges;
  try {
    if ('serviceTags' in r) {
      const { selection, source } = await selectRangesAndSource(r.serviceTags.source, {
        regions: r.serviceTags.regions,
        ...(r.serviceTags.tags === undefined ? {} : { tags: r.serviceTags.tags }),
      });
      return { set: selection.set, explain: outsideExplainer(source, selection.set) };
    }
    return { set: rangeSetOf(r.prefixes.map((p) => parseCidr(p))), explain: undefined };
  } catch (e) {
    if (isRangesError(e)) {
      throw new EgressError('RELAY_E_EGRESS_CONFIG', `relay config egress.ranges: ${e.message}`, {
        path: 'egress.ranges',
        cause: e.code,
      });
    }
    throw e;
  }
}

const TLS_CODE =
  /^(ERR_SSL_|ERR_TLS_|ERR_OSSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED|SELF_SIGNED_CERT|HOSTNAME_MISMATCH|INVALID_CA|INVALID_PURPOSE)/;

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

/** Turns a socket error into a typed failure. `phase`: where the attempt was. */
export function classifySocketError(
  e: unknown,
  request: DialRequest,
  phase: 'tcp' | 'tls',
): EgressError {
  const err = e as NodeJS.ErrnoException | undefined;
  const code = typeof err?.code === 'string' ? err.code : 'EIO';
  const what = `${request.host}:${request.port} (${request.purpose})`;
  const details = {
    host: request.host,
    port: request.port,
    purpose: request.purpose,
    errno: code,
    phase,
  };
  const why = firstLine(err?.message ?? code);
  if (code === 'ECONNREFUSED') {
    return new EgressError('RELAY_E_EGRESS_REFUSED', `${what}: connection refused`, details);
  }
  if (code === 'ETIMEDOUT') {
    return new EgressError('RELAY_E_EGRESS_TIMEOUT', `${what}: timed out (${code})`, details);
  }
  if (TLS_CODE.test(code)) {
    return new EgressError('RELAY_E_EGRESS_TLS', `${what}: TLS failed: ${why}`, details);
  }
  return new EgressError('RELAY_E_EGRESS_CONNECT', `${what}: ${why}`, details);
}

function abortedError(request: DialRequest): EgressError {
  return new EgressError(
    'RELAY_E_EGRESS_ABORTED',
    `${request.host}:${request.port} (${request.purpose}): cancelled`,
    { host: request.host, port: request.port, purpose: request.purpose },
  );
}

function refusedEvent(request: DialRequest, e: EgressError): void {
  publish(CONNECTIVITY_CHANNELS.dial, {
    purpose: request.purpose,
    host: request.host,
    port: request.port,
    address: typeof e.details.address === 'string' ? e.details.address : undefined,
    verdict: 'refused',
    code: e.code,
    reason: e.message,
  });
}

/**
 * Builds the egress layer: validates the settings, selects the ranges, reads the CA file and
 * (when configured) the network map once, so a bad file fails here rather than at a dial.
 */
export async function createEgress(
  config: ConnectivityConfigInput | ConnectivitySettings,
  deps: EgressDeps = {},
): Promise<Egress> {
  const settings = connectivitySettings(config);
  const loaded =
    deps.ranges === undefined
      ? await loadRanges(settings)
      : { set: deps.ranges, explain: deps.explainOutside };
  const ranges = loaded.set;
  const extraCa =
    deps.extraCa ??
    (settings.tls.caFile === undefined ? [] : await loadCaFile(settings.tls.caFile));
  const mapSource =
    deps.networkMap === null
      ? undefined
      : (deps.networkMap ??
        (settings.egress.networkMapFile === undefined
          ? undefined
          : networkMapFile(settings.egress.networkMapFile)));
  if (mapSource !== undefined) await mapSource.read();
  const resolver =
    deps.resolver ?? (mapSource === undefined ? systemResolver() : networkMapResolver(mapSource));
  const sockets = deps.sockets ?? nodeSockets;
  const scheduler = deps.scheduler ?? systemScheduler;
  const defaultTimeout = deps.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const policy: EgressPolicy = Object.freeze({
    profile: settings.profile,
    ports: new Set(settings.egress.ports),
    ranges,
    ...(loaded.explain === undefined ? {} : { explainOutside: loaded.explain }),
  });
  const trust: TlsTrust = Object.freeze({
    minVersion: settings.tls.minVersion,
    extraCa: Object.freeze([...extraCa]),
  });

  const plan = async (request: DialRequest): Promise<DialPlan> => {
    let result: DialPlan;
    try {
      // The port first: a refused port costs no DNS query.
      checkPort(policy, request);
      const addresses = await resolveAll(resolver, request.host);
      const map: NetworkMap | undefined =
        mapSource === undefined ? undefined : await mapSource.read();
      result = planDial(policy, request, addresses, map);
    } catch (e) {
      const typed = isEgressError(e)
        ? e
        : new EgressError(
            'RELAY_E_EGRESS_CONNECT',
            `${request.host}:${request.port}: the dial could not be planned`,
            {
              host: request.host,
              port: request.port,
              purpose: request.purpose,
            },
          );
      refusedEvent(request, typed);
      throw typed;
    }
    publish(CONNECTIVITY_CHANNELS.dial, {
      purpose: result.purpose,
      host: result.host,
      port: result.port,
      address: result.address,
      dial: `${result.dial.host.includes(':') ? `[${result.dial.host}]` : result.dial.host}:${result.dial.port}`,
      verdict: 'allowed',
    });
    return result;
  };

  const tlsOptions = (logicalHost: string): ConnectionOptions =>
    tlsClientOptions(trust, logicalHost);

  const connect = (request: ConnectRequest): Promise<Connected> =>
    new Promise<Connected>((resolve, reject) => {
      const useTls = request.tls !== false;
      const timeoutMs = request.timeoutMs ?? defaultTimeout;
      let settled = false;
      let phase: 'resolve' | 'tcp' | 'tls' = 'resolve';
      let socket: Socket | undefined;
      const onAbort = (): void => {
        finish(abortedError(request));
      };
      const finish = (error: EgressError | undefined, done?: Connected): void => {
        if (settled) return;
        settled = true;
        scheduler.clearTimer(timer);
        request.signal?.removeEventListener('abort', onAbort);
        if (error !== undefined) {
          socket?.destroy();
          reject(error);
        } else if (done !== undefined) {
          resolve(done);
        }
      };
      if (request.signal?.aborted === true) {
        reject(abortedError(request));
        return;
      }
      const timer = scheduler.setTimer(() => {
        finish(
          new EgressError(
            'RELAY_E_EGRESS_TIMEOUT',
            `${request.host}:${request.port} (${request.purpose}): no ${phase === 'resolve' ? 'answer' : phase === 'tcp' ? 'TCP connection' : 'TLS handshake'} within ${timeoutMs} ms`,
            { host: request.host, port: request.port, purpose: request.purpose, phase, timeoutMs },
          ),
        );
      }, timeoutMs);
      request.signal?.addEventListener('abort', onAbort, { once: true });

      plan(request).then(
        (p) => {
          if (settled) return; // timed out or cancelled while resolving: nothing is opened
          phase = 'tcp';
          const secure: TLSSocket | undefined = useTls
            ? sockets.tls({
                ...tlsOptions(request.host),
                host: p.dial.host,
                port: p.dial.port,
                ...(request.alpn === undefined ? {} : { ALPNProtocols: [...request.alpn] }),
              })
            : undefined;
          const s: Socket = secure ?? sockets.tcp({ host: p.dial.host, port: p.dial.port });
          socket = s;
          s.on('error', (e: Error) => {
            finish(classifySocketError(e, request, phase === 'tls' ? 'tls' : 'tcp'));
          });
          s.once('close', () => {
            finish(
              new EgressError(
                'RELAY_E_EGRESS_CONNECT',
                `${request.host}:${request.port} (${request.purpose}): closed before it was ready`,
                { host: request.host, port: request.port, purpose: request.purpose, phase },
              ),
            );
          });
          s.once('connect', () => {
            if (useTls) {
              phase = 'tls';
              return;
            }
            finish(undefined, Object.freeze({ socket: s, plan: p, tlsVersion: undefined }));
          });
          secure?.once('secureConnect', () => {
            const version = secure.getProtocol() ?? undefined;
            finish(undefined, Object.freeze({ socket: s, plan: p, tlsVersion: version }));
          });
        },
        (e: unknown) => {
          finish(isEgressError(e) ? e : classifySocketError(e, request, 'tcp'));
        },
      );
    });

  const createConnection =
    (purpose: string, timeoutMs?: number): CreateConnection =>
    (options, oncreate) => {
      const host = (options.host ?? '').replace(/^\[(.*)\]$/, '$1');
      const port = Number(options.port ?? 443);
      connect({
        host,
        port,
        purpose,
        tls: true,
        alpn: ['http/1.1'],
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      }).then(
        (c) => {
          oncreate(null, c.socket);
        },
        (e: unknown) => {
          oncreate(e instanceof Error ? e : new Error('the dial failed'));
        },
      );
      return undefined;
    };

  return Object.freeze({
    settings,
    policy,
    trust,
    networkMap: mapSource,
    plan,
    connect,
    tlsOptions,
    createConnection,
  });
}
