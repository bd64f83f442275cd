// The validated relay configuration as the rest of the relay sees it. In: nothing (types
// only). Out: RelayConfig and its sections: defaults filled, env: references resolved, tenant
// keys decoded to 32-byte Buffers, paths absolute, everything frozen (Buffers excepted, which
// cannot be), and every object that holds a secret redacted by util.inspect and JSON.stringify.
import type { ConfigFormat } from './source';
import type { LOG_LEVELS } from './schema';
import type { AntivirusConfig } from '../work/antivirus';
import type { DeliveryOptions } from '../work/backoffice/config';
import type { PdfCheckOptions } from '../work/content';
import type { FileNamePolicy } from '../work/filedrop/filename';

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
  /** AMQP idle timeout: a connection on which nothing arrives for twice this is dropped. */
  readonly idleTimeoutMs: number;
  /** The requests queue's MaxDeliveryCount, as the relay assumes it (default 10). */
  readonly maxDeliveryCount: number;
  /** After server busy, the requests receiver attaches again after these delays. */
  readonly busyBackoffMs: readonly number[];
}

export interface HybridConfig {
  readonly host: string;
  readonly keyName: string;
  readonly key: string;
  readonly paths: readonly string[];
  /** Lifetime of each listener's SAS token (renewed at 80% of it). */
  readonly tokenTtlSeconds: number;
  /** Keep-alive ping interval of each listener's control channel. */
  readonly pingIntervalMs: number;
  /** No pong within this after a ping: the channel is half-open. */
  readonly pongTimeoutMs: number;
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

/** The XML check of a post-xml route (absent limits take the content check's defaults). */
export interface RouteXmlConfig {
  readonly roots: readonly string[];
  readonly namespace?: string;
  readonly maxBytes?: number;
  readonly maxDepth?: number;
  readonly maxElements?: number;
  readonly maxAttributes?: number;
  readonly maxNameLength?: number;
  readonly maxAttributeValueLength?: number;
  readonly maxTextLength?: number;
}

/** GET/HEAD from a back-office service; the answer goes back as it comes. */
export interface RetrieveRouteConfig {
  readonly name: string;
  readonly use: 'retrieve';
  /** A key of backOffice. */
  readonly service: string;
}

/** A checked XML body POSTed to one path of a back-office service. */
export interface PostXmlRouteConfig {
  readonly name: string;
  readonly use: 'post-xml';
  readonly service: string;
  /** The path the XML goes to (checked like any back-office path). */
  readonly path: string;
  readonly xml: RouteXmlConfig;
}

/** A checked PDF written into the folder of its form type. */
export interface FileDropRouteConfig {
  readonly name: string;
  readonly use: 'file-drop';
  /** Form type → absolute folder. */
  readonly folders: Readonly<Record<string, string>>;
  readonly maxFileBytes: number;
  /** The PDF check's policy and limits (actions, embedded files, inflation bounds). */
  readonly pdf?: PdfCheckOptions;
  /** What a declared file name must be. */
  readonly fileNames?: FileNamePolicy;
}

export type RouteConfig = RetrieveRouteConfig | PostXmlRouteConfig | FileDropRouteConfig;
export type RouteUse = RouteConfig['use'];

export interface HealthConfig {
  /** A loopback host (127.0.0.0/8, ::1, localhost). */
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
}

export interface LimitsConfig {
  readonly maxConcurrent: number;
  readonly maxRequestBytes: number;
  readonly maxReplyBytes: number;
  readonly shutdownGraceMs: number;
  /** The hold of a message whose file could not be written (share full, read-only). */
  readonly fileDropRetryHoldMs: number;
  /** Temporary files of drops cut short older than this are swept (at start and periodically). */
  readonly tempSweepAfterMs: number;
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
  /**
   * The virus scanner every dropped file goes through (clamd); absent: files are dropped
   * unscanned (the relay says so at start).
   */
  readonly antivirus?: AntivirusConfig;
  /** How work is delivered to the back office (the back-office client's options). */
  readonly delivery: DeliveryOptions;
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
