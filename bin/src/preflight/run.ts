// One preflight run. In: the checked inputs (namespaces, ports, bound, the relay's mode,
// profile, allowed ports and TLS minimum, extra CAs, ranges, an optional network map) and the
// injected IO: the resolver (default: the network map's names when a map is given, else the
// operating system's, dns.promises.lookup), the dialer (default: the map's loopback endpoints,
// else the resolved address), the sockets and the clock. Out: the PreflightReport. Only the
// named namespaces are resolved and only their guide ports are dialled; everything runs in
// parallel, so a run takes about one bound per step however many ports are blocked.
import type {
  ConnectivityMode,
  Profile,
  TlsMinVersion,
} from '../../../relay/src/connectivity/config';
import { EgressError, isEgressError } from '../../../relay/src/connectivity/errors';
import type { NetworkMapSource } from '../../../relay/src/connectivity/network-map';
import {
  networkMapResolver,
  resolveAll,
  systemResolver,
  type Resolver,
} from '../../../relay/src/connectivity/resolver';
import { nodeSockets, type SocketConnector } from '../../../relay/src/connectivity/sockets';
import { trustContext } from '../../../relay/src/connectivity/tls-trust';
import { formatAddress, parseAddress } from '../../../relay/src/egress/cidr';
import { DEFAULT_SKEW_MS } from '../../../relay/src/protocol/handshake';
import { assess, type HostResolution, type PortResult, type RangeCheck } from './assess';
import { directDialer, mapDialer, type Dialer } from './dialer';
import { planTargets, type PortTarget } from './plan';
import { observePort } from './probe';
import type { PreflightReport } from './report';

/** A certificate of the chain expiring sooner than this many days is a warning. */
export const EXPIRY_WARN_DAYS = 14;
/** Default bound of each step. */
export const DEFAULT_TIMEOUT_MS = 5_000;

export interface PreflightInput {
  readonly namespace: string;
  readonly relayNamespace?: string | undefined;
  readonly ports: readonly number[];
  readonly timeoutMs: number;
  readonly mode: ConnectivityMode;
  readonly profile: Profile;
  /** The relay config's egress.ports (undefined without a relay config). */
  readonly allowedPorts?: readonly number[] | undefined;
  readonly minVersion: TlsMinVersion;
  /** Extra trusted CA certificates (PEM) and the file they came from. */
  readonly extraCa: readonly string[];
  readonly caLabel?: string | undefined;
  readonly ranges?: RangeCheck | undefined;
  /** The simulator's network map: names and loopback endpoints (never real DNS with one). */
  readonly map?: NetworkMapSource | undefined;
  /** Handshake skew window (default: the handshake's, 120 s). */
  readonly skewWindowMs?: number;
  readonly expiryWarnDays?: number;
}

export interface PreflightDeps {
  readonly resolver?: Resolver;
  readonly dialer?: Dialer;
  readonly sockets?: SocketConnector;
  /** The clock compared with the namespace's (ms since the epoch). */
  readonly now?: () => number;
}

/** The resolver's answer, or RELAY_E_EGRESS_DNS when none comes within the bound. */
function bounded(resolver: Resolver, host: string, timeoutMs: number): Promise<readonly string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new EgressError(
          'RELAY_E_EGRESS_DNS',
          `cannot resolve ${host}: no answer within ${timeoutMs} ms`,
          {
            host,
          },
        ),
      );
    }, timeoutMs);
  });
  return Promise.race([resolveAll(resolver, host), timeout]).finally(() => {
    clearTimeout(timer);
  });
}

async function resolveHost(
  resolver: Resolver,
  host: string,
  namespace: HostResolution['namespace'],
  now: () => number,
  timeoutMs: number,
): Promise<HostResolution> {
  const started = now();
  try {
    const raw = await bounded(resolver, host, timeoutMs);
    const addresses: string[] = [];
    for (const a of raw) {
      let canonical: string;
      try {
        canonical = formatAddress(parseAddress(a));
      } catch {
        return {
          host,
          namespace,
          addresses: undefined,
          error: `the resolver answered ${JSON.stringify(a.slice(0, 64))} for ${host}, which is not an IP address`,
          ms: now() - started,
        };
      }
      if (!addresses.includes(canonical)) addresses.push(canonical);
    }
    return { host, namespace, addresses, error: undefined, ms: now() - started };
  } catch (e) {
    if (!isEgressError(e)) throw e;
    return { host, namespace, addresses: undefined, error: e.message, ms: now() - started };
  }
}

async function checkPort(
  target: PortTarget,
  dns: HostResolution | undefined,
  ctx: {
    readonly dialer: Dialer;
    readonly input: PreflightInput;
    readonly sockets: SocketConnector;
    readonly secureContext: ReturnType<typeof trustContext>['secureContext'];
    readonly now: () => number;
  },
): Promise<PortResult> {
  const addresses = dns?.addresses ?? [];
  const first = addresses[0];
  if (first === undefined) {
    return {
      target,
      address: undefined,
      via: undefined,
      notServed: undefined,
      observation: undefined,
    };
  }
  // Like the relay (planDial): the first address the dialer can reach; without a map, the first.
  let notServed: string | undefined;
  for (const address of addresses) {
    const d = await ctx.dialer({ host: target.host, address, port: target.port });
    if (d.kind === 'not-served') {
      notServed ??= d.reason;
      continue;
    }
    const observation = await observePort({
      logicalHost: target.host,
      dial: { host: d.host, port: d.port },
      protocol: target.protocol,
      readDate: target.clock,
      timeoutMs: ctx.input.timeoutMs,
      secureContext: ctx.secureContext,
      sockets: ctx.sockets,
      now: ctx.now,
    });
    return {
      target,
      address,
      via: d.mapped ? { host: d.host, port: d.port } : undefined,
      notServed: undefined,
      observation,
    };
  }
  return { target, address: first, via: undefined, notServed, observation: undefined };
}

/** Runs every check and weighs the results. Rejects only when preflight itself breaks. */
export async function runPreflight(
  input: PreflightInput,
  deps: PreflightDeps = {},
): Promise<PreflightReport> {
  const now = deps.now ?? Date.now;
  const startedAt = now();
  const map = input.map;
  const resolver =
    deps.resolver ?? (map === undefined ? systemResolver() : networkMapResolver(map));
  const dialer = deps.dialer ?? (map === undefined ? directDialer : mapDialer(map));
  const sockets = deps.sockets ?? nodeSockets;
  const { secureContext } = trustContext({ minVersion: input.minVersion, extraCa: input.extraCa });

  const hosts: [string, HostResolution['namespace']][] = [[input.namespace, 'servicebus']];
  // One namespace named twice is checked once, as the Service Bus namespace.
  const relayNamespace =
    input.relayNamespace === input.namespace ? undefined : input.relayNamespace;
  if (relayNamespace !== undefined) hosts.push([relayNamespace, 'relay']);
  const dns = await Promise.all(
    hosts.map(([h, kind]) => resolveHost(resolver, h, kind, now, input.timeoutMs)),
  );
  const targets = planTargets(input.namespace, relayNamespace, input.ports);
  const ctx = { dialer, input, sockets, secureContext, now };
  const results = await Promise.all(
    targets.map((t) =>
      checkPort(
        t,
        dns.find((d) => d.host === t.host),
        ctx,
      ),
    ),
  );
  return assess({
    namespace: input.namespace,
    relayNamespace,
    ports: input.ports,
    mode: input.mode,
    profile: input.profile,
    allowedPorts: input.allowedPorts,
    timeoutMs: input.timeoutMs,
    minVersion: input.minVersion,
    skewWindowMs: input.skewWindowMs ?? DEFAULT_SKEW_MS,
    expiryWarnDays: input.expiryWarnDays ?? EXPIRY_WARN_DAYS,
    ca: input.caLabel,
    network: {
      resolver:
        deps.resolver !== undefined ? 'injected' : map === undefined ? 'system' : 'network-map',
      dialer: deps.dialer !== undefined ? 'injected' : map === undefined ? 'direct' : 'network-map',
      map: map?.label ?? null,
    },
    dns,
    ranges: input.ranges,
    results,
    startedAt,
    finishedAt: now(),
  });
}
