// The validated relay configuration as the rest of the relay sees it. In: nothing (types
// only). Out: RelayConfig and its sections: defaults filled, env: references resolved, tenant
// keys decoded to 32-byte Buffers, paths absolute, everything frozen (Buffers excepted, which
// cannot be), and every object that holds a secret redacted by util.inspect and JSON.stringify.
import type { ConfigFormat } from './source';
import type { LOG_LEVELS } from './schema';

export type RelayProfile = 'production' | 'development';
export type ConnectivityMode = 'auto' | 'tcp' | 'https';
export type RelayLogLevel = (typeof LOG_LEVELS)[number];
export type TlsMinVersion = 'TLSv1.2' | 'TLSv1.3';

export interface TenantKey {
  readonly kid: string;
  /** Exactly 32 bytes. Prints as `[redacted 32 bytes]`. */
  readonly secret: Buffer;
}

export interface TenantConfig {
  readonly id: string;
  /** One or two keys with distinct kids; keys[0] is the one HELLO uses. */
  readonly keys: readonly TenantKey[];
}

export interface ServiceBusEntities {
  readonly handshake: string;
  readonly handshakeReplies: string;
  readonly requests: string;
  readonly replies: string;
}

export interface ServiceBusConfig {
  /** Lower-case logical host name. */
  readonly host: string;
  readonly keyName: string;
  /** The SAS key (resolved). Redacted when the object is printed. */
  readonly key: string;
  readonly entities: ServiceBusEntities;
}

export interface HybridConfig {
  readonly host: string;
  readonly keyName: string;
  readonly key: string;
  readonly paths: readonly string[];
}

export interface ConnectivityConfig {
  readonly mode: ConnectivityMode;
  readonly probeTimeoutMs: number;
  readonly reprobeIntervalMs: number;
  readonly reconnectDelaysMs: readonly number[];
  readonly reconnectJitter: number;
}

export interface ServiceTagRanges {
  readonly serviceTags: {
    /** Absolute path. */
    readonly source: string;
    /** As written (selectRanges() compares case-insensitively). */
    readonly regions: readonly string[];
    /** Tag families; default ["AzureCloud"]. */
    readonly tags: readonly string[];
  };
}

export interface PrefixRanges {
  /** Canonical CIDR prefixes, checked with relay/src/egress/cidr. */
  readonly prefixes: readonly string[];
}

export type EgressRanges = ServiceTagRanges | PrefixRanges;

export interface EgressConfig {
  /** Unique, a subset of 80, 443, 5671, 5672 (development only), 9350-9354. */
  readonly ports: readonly number[];
  readonly ranges: EgressRanges;
  /** Absolute path of the simulator's network map, when given. */
  readonly networkMapFile?: string;
}

export interface TlsConfig {
  /** Absolute path of extra trusted CA certificates (PEM), when given. */
  readonly caFile?: string;
  readonly minVersion: TlsMinVersion;
}

export interface RouteConfig {
  readonly name: string;
  /** A key of backOffice. */
  readonly service: string;
}

export interface HealthConfig {
  /** A loopback host (127.0.0.0/8, ::1, localhost). */
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
}

export interface LimitsConfig {
  readonly maxConcurrent: number;
  readonly maxRequestBytes: number;
}

export interface RelayConfig {
  readonly version: 1;
  readonly profile: RelayProfile;
  readonly instanceId: string;
  readonly tenant: TenantConfig;
  readonly serviceBus: ServiceBusConfig;
  readonly hybrid: HybridConfig;
  readonly connectivity: ConnectivityConfig;
  readonly egress: EgressConfig;
  readonly tls: TlsConfig;
  /** Service name → base URL (http or https, no credentials, query or fragment). */
  readonly backOffice: Readonly<Record<string, string>>;
  readonly routes: readonly RouteConfig[];
  readonly health: HealthConfig;
  readonly log: { readonly level: RelayLogLevel };
  readonly limits: LimitsConfig;
  /** The idempotency store's file (absolute); absent: a memory store. */
  readonly idempotency: { readonly file?: string };
  /** Where the config came from: the file as named in messages, its directory, its format. */
  readonly source: {
    readonly file: string;
    readonly baseDir: string;
    readonly format: ConfigFormat | 'object';
  };
}

/** True for prefix ranges, false for service-tag ranges. */
export function hasPrefixes(ranges: EgressRanges): ranges is PrefixRanges {
  return 'prefixes' in ranges;
}
