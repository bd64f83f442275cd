// Starts a simulated Azure Relay Hybrid Connections endpoint. In: a namespace config (or its
// input) and options: which server sockets to open and where, where to write the CA
// certificate, the scheduler (clock and timers), limits, the control API. Out: a running
// endpoint: the loopback ports, sender and listener URLs, token helpers, the CA path and PEM,
// the control API, fault switches, the event channel names, and close().
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../../../relay/src/protocol/primitives';
import { createSasToken, rightsAllow, type SasRight } from '../../../../relay/src/protocol/sas';
import { createTlsMaterial, type CertificateAuthority, type TlsMaterial } from '../tls/ca';
import {
  findHybridConnection,
  hybridSasRules,
  isParsedHybridConfig,
  parseHybridConfig,
  parseHybridLimits,
  type HybridLimits,
  type HybridLimitsInput,
  type HybridNamespaceConfig,
  type HybridNamespaceConfigInput,
} from './config';
import type { EndpointContext, HybridFaults, HybridListenerKind } from './context';
import { startHybridControlApi, type ControlApi } from './control';
import { HybridEndpoint, type RendezvousPayload } from './endpoint';
import { SimHybridError } from './errors';
import { HC_CHANNELS, HcEvents } from './events';
import { RendezvousTable } from './rendezvous';
import { systemScheduler, type Scheduler } from './scheduler';
import { HybridServers, type HybridServerSpec } from './servers';

export interface HybridListenerConfig {
  /** Loopback address (default 127.0.0.1). */
  readonly host?: string;
  /** Port (default 0: any free port). */
  readonly port?: number;
}

export interface HybridSimulatorOptions {
  /**
   * Server sockets; false leaves one out. Default: all three on port 0. `https` stands for
   * logical port 443, `tcp` for logical 9352 (both TLS, the same endpoint), `plain` is a
   * development listener (http:// and ws://).
   */
  readonly listeners?: {
    readonly https?: HybridListenerConfig | false;
    readonly tcp?: HybridListenerConfig | false;
    readonly plain?: HybridListenerConfig | false;
  };
  /** Where to write the CA certificate (PEM). Default: a temporary file removed by close(). */
  readonly caPath?: string;
  /** Issue the server certificate under this CA instead of a fresh one (a run-long CA). */
  readonly ca?: CertificateAuthority;
  /** Clock and timers (default: the real ones). Tests pass a ManualScheduler. */
  readonly scheduler?: Scheduler;
  /** Limits (Azure's figures by default; see DEFAULT_LIMITS). */
  readonly limits?: HybridLimitsInput;
  /**
   * More names the namespace answers to besides its logical host and localhost (SAS audiences
   * and the TLS certificate): the loopback address it stands at when clients dial it directly
   * as if it were Azure (`relaycheck sim namespaces`).
   */
  readonly aliases?: readonly string[];
  /** The control API: false leaves it out; default loopback port 0. */
  readonly control?: false | { readonly host?: string; readonly port?: number };
}

export interface HybridListenerInfo {
  readonly kind: HybridListenerKind;
  readonly host: string;
  readonly port: number;
  /** The Azure port this listener stands for: 443, 9352, or 80 for the plain one. */
  readonly logicalPort: 443 | 9352 | 80;
  /** `https://127.0.0.1:<port>` (or `http://` for the plain listener). */
  readonly url: string;
}

export interface TokenOptions {
  /** The authorization rule to sign with (default: a namespace rule with the right). */
  readonly keyName?: string;
  /** The right the token is meant for (chooses the default rule); default Listen. */
  readonly right?: SasRight;
  readonly ttlSeconds?: number;
  /** Expiry in Unix seconds (instead of ttlSeconds). */
  readonly expiresAt?: number;
  /** The audience; default `http://<namespace host>/<path>` (what Microsoft's clients sign). */
  readonly audience?: string;
}

export interface HybridSimulator {
  readonly config: HybridNamespaceConfig;
  /** The logical host, e.g. council-42.servicebus.windows.net (never dialled). */
  readonly host: string;
  readonly limits: HybridLimits;
  readonly listeners: {
    readonly https?: HybridListenerInfo;
    readonly tcp?: HybridListenerInfo;
    readonly plain?: HybridListenerInfo;
  };
  /** `https://127.0.0.1:<port>/<path>` (kind default: https, else tcp, else plain). */
  senderUrl(path: string, kind?: HybridListenerKind): string;
  /** `wss://127.0.0.1:<port>/$hc/<path>?sb-hc-action=listen[&sb-hc-id=…]` (no token in it). */
  listenerUrl(path: string, kind?: HybridListenerKind, options?: { readonly id?: string }): string;
  /** `wss://127.0.0.1:<port>/$hc/<path>?sb-hc-action=connect` (WebSocket sender). */
  connectUrl(path: string, kind?: HybridListenerKind): string;
  /** A SAS token for `path` (or the namespace when undefined). */
  token(path: string | undefined, options?: TokenOptions): string;
  /** The CA certificate path (trust it: `ca` for ws/https, NODE_EXTRA_CA_CERTS). */
  readonly caPath: string | undefined;
  readonly caPem: string | undefined;
  /** The control API (undefined when turned off). */
  readonly control: ControlApi | undefined;
  /** The diagnostics_channel names the endpoint publishes on. */
  readonly events: typeof HC_CHANNELS;
  /** Fault switches (also set through the control API). */
  readonly faults: HybridFaults;
  /** Listener listing and channel operations (what the control API calls). */
  readonly endpoint: Pick<HybridEndpoint, 'listeners' | 'closeListeners' | 'expireTokens'>;
  close(): Promise<void>;
}

const LOGICAL_PORT = { https: 443, tcp: 9352, plain: 80 } as const;

/** Starts the endpoint; resolves once every server socket is bound. */
export async function startHybridSimulator(
  input: HybridNamespaceConfig | HybridNamespaceConfigInput,
  options: HybridSimulatorOptions = {},
): Promise<HybridSimulator> {
  const config = isParsedHybridConfig(input) ? input : parseHybridConfig(input);
  const limits = parseHybridLimits(options.limits ?? {});
  const scheduler = options.scheduler ?? systemScheduler;
  const events = new HcEvents(config.namespace);
  const faults: HybridFaults = {};
  const rules = hybridSasRules(config);
  const ctx: EndpointContext<RendezvousPayload> = {
    config,
    limits,
    scheduler,
    events,
    faults,
    rendezvous: new RendezvousTable<RendezvousPayload>(scheduler),
    auth: {
      rules,
      logicalHost: config.host,
      aliases: ['localhost', '127.0.0.1', '::1', ...(options.aliases ?? [])],
      maxLifetimeSeconds: limits.maxTokenLifetimeSeconds,
      clock: scheduler,
    },
  };
  const wanted = options.listeners ?? {};
  const specs: HybridServerSpec[] = (['https', 'tcp', 'plain'] as const)
    .filter((kind) => wanted[kind] !== false)
    .map((kind) => {
      const c = wanted[kind];
      return { kind, ...(c === undefined || c === false ? {} : c) };
    });
  if (specs.length === 0) {
    throw new SimHybridError('SIM_E_HC_CONFIG', 'listeners: at least one listener must be open', {
      path: 'listeners',
    });
  }

  let tempDir: string | undefined;
  let tls: TlsMaterial | undefined;
  if (specs.some((s) => s.kind !== 'plain')) {
    let caPath = options.caPath;
    if (caPath === undefined) {
      tempDir = mkdtempSync(join(tmpdir(), 'relaycheck-hc-'));
      caPath = join(tempDir, 'ca.pem');
    }
    // The certificate is checked against real time by real clients: the real clock.
    tls = createTlsMaterial({
      hosts: ['localhost', '127.0.0.1', '::1', config.host, ...(options.aliases ?? [])],
      caPath,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      clock: systemClock,
    });
  }

  const endpoint = new HybridEndpoint(ctx);
  let servers: HybridServers;
  try {
    servers = await HybridServers.open(specs, tls, endpoint, events, limits.maxHeaderBytes);
  } catch (e) {
    await endpoint.close(0);
    if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
    throw e;
  }
  let control: ControlApi | undefined;
  if (options.control !== false) {
    try {
      control = await startHybridControlApi({ config, endpoint, faults }, options.control ?? {});
    } catch (e) {
      await endpoint.close(0);
      await servers.close();
      if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
      throw e;
    }
  }

  const info: { https?: HybridListenerInfo; tcp?: HybridListenerInfo; plain?: HybridListenerInfo } =
    {};
  for (const b of servers.bound) {
    const shown = b.host.includes(':') ? `[${b.host}]` : b.host;
    info[b.kind] = Object.freeze({
      kind: b.kind,
      host: b.host,
      port: b.port,
      logicalPort: LOGICAL_PORT[b.kind],
      url: `${b.kind === 'plain' ? 'http' : 'https'}://${shown}:${b.port}`,
    });
  }
  const pick = (kind?: HybridListenerKind): HybridListenerInfo => {
    const chosen = kind === undefined ? (info.https ?? info.tcp ?? info.plain) : info[kind];
    if (chosen === undefined) throw new Error(`the ${kind ?? 'requested'} listener is not open`);
    return chosen;
  };
  const wsBase = (kind?: HybridListenerKind): string => {
    const i = pick(kind);
    return i.url.replace(/^http/, 'ws');
  };
  const token = (path: string | undefined, o: TokenOptions = {}): string => {
    const right = o.right ?? 'Listen';
    const hc = path === undefined ? undefined : findHybridConnection(config, path);
    // The namespace's rules first, then the path's own; a named key may be any rule.
    const candidates =
      o.keyName === undefined
        ? [...config.authorizationRules, ...(hc?.authorizationRules ?? [])]
        : [
            ...config.authorizationRules,
            ...config.hybridConnections.flatMap((h) => h.authorizationRules),
          ];
    const rule =
      o.keyName !== undefined
        ? candidates.find((r) => r.keyName === o.keyName)
        : candidates.find((r) => rightsAllow(new Set(r.rights), right));
    if (rule === undefined) {
      throw new SimHybridError(
        'SIM_E_HC_CONFIG',
        o.keyName !== undefined
          ? `no authorization rule is named ${o.keyName}`
          : `no authorization rule holds the ${right} right`,
        { path: 'authorizationRules' },
      );
    }
    const audience = o.audience ?? `http://${config.host}/${path ?? ''}`;
    return createSasToken(
      {
        resource: audience,
        keyName: rule.keyName,
        key: rule.key,
        ...(o.expiresAt !== undefined ? { expiresAt: o.expiresAt } : {}),
        ...(o.ttlSeconds !== undefined ? { ttlSeconds: o.ttlSeconds } : {}),
      },
      { clock: scheduler },
    );
  };

  let closed = false;
  return Object.freeze({
    config,
    host: config.host,
    limits,
    listeners: Object.freeze(info),
    senderUrl: (path: string, kind?: HybridListenerKind) => `${pick(kind).url}/${path}`,
    listenerUrl: (path: string, kind?: HybridListenerKind, o: { readonly id?: string } = {}) =>
      `${wsBase(kind)}/$hc/${path}?sb-hc-action=listen${
        o.id === undefined ? '' : `&sb-hc-id=${encodeURIComponent(o.id)}`
      }`,
    connectUrl: (path: string, kind?: HybridListenerKind) =>
      `${wsBase(kind)}/$hc/${path}?sb-hc-action=connect`,
    token,
    caPath: tls?.caPath,
    caPem: tls?.caPem,
    control,
    events: HC_CHANNELS,
    faults,
    endpoint,
    close: async (): Promise<void> => {
      if (closed) return;
      closed = true;
      await endpoint.close();
      await servers.close();
      await control?.close();
      if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
    },
  });
}
