// The part of the relay configuration the egress layer and auto-detect read. In: the relay
// config object (already loaded by relay/src/config, or a plain object from a test): the
// profile, the Service Bus and Hybrid Connections hosts, `connectivity`, `egress`, `tls`.
// Out: frozen ConnectivitySettings with defaults applied, or EgressError
// RELAY_E_EGRESS_CONFIG naming the path and what was expected. Unknown keys are ignored
// (the whole relay config passes through here); secrets are never put in a message.
import { isIP } from 'node:net';
import { z } from 'zod';
import { EgressError } from './errors';

/** The ports the integration proxy guide names (PROTOCOLS.md section 1). */
export const GUIDE_PORTS: readonly number[] = Object.freeze([
  80, 443, 5671, 5672, 9350, 9351, 9352, 9353, 9354,
]);
/** Allowed by default: HTTPS, AMQPS and the Azure Relay range. */
export const DEFAULT_EGRESS_PORTS: readonly number[] = Object.freeze([
  443, 5671, 9350, 9351, 9352, 9353, 9354,
]);
export const DEFAULT_RECONNECT_DELAYS_MS: readonly number[] = Object.freeze([
  0, 1_000, 2_000, 5_000, 10_000, 30_000,
]);
export const PLAIN_AMQP_PORT = 5672;

const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

// Connection-string safe: printable, no ';' (the SDK splits the string on it).
// eslint-disable-next-line no-control-regex
const NO_SEPARATOR = /^[^;\u0000-\u001f\u007f]+$/;

const hostSchema = z
  .string()
  .min(1)
  .max(253)
  .refine((h) => HOST_NAME.test(h) || isIP(h) !== 0, 'a DNS host name or an IP address');

const serviceTagsSchema = z.object({
  source: z.string().min(1),
  regions: z.array(z.string().min(1)).min(1),
  tags: z.array(z.string().min(1)).min(1).optional(),
});

const rangesSchema = z.union(
  [
    z.object({ serviceTags: serviceTagsSchema, prefixes: z.undefined().optional() }),
    z.object({
      prefixes: z.array(z.string().min(1)).min(1),
      serviceTags: z.undefined().optional(),
    }),
  ],
  { error: 'exactly one of serviceTags or prefixes' },
);

const schema = z
  .object({
    profile: z.enum(['production', 'development']).default('production'),
    serviceBus: z.object({
      host: hostSchema,
      keyName: z.string().min(1).max(256).regex(NO_SEPARATOR, 'printable, without ";"'),
      key: z.string().min(1).max(512).regex(NO_SEPARATOR, 'printable, without ";"'),
    }),
    hybrid: z.object({ host: hostSchema }).optional(),
    connectivity: z
      .object({
        mode: z.enum(['auto', 'tcp', 'https']).default('auto'),
        probeTimeoutMs: z.int().min(50).max(120_000).default(5_000),
        reprobeIntervalMs: z.int().min(1_000).max(86_400_000).default(300_000),
        reconnectDelaysMs: z
          .array(z.int().min(0).max(3_600_000))
          .min(1)
          .max(20)
          .default([...DEFAULT_RECONNECT_DELAYS_MS]),
        reconnectJitter: z.number().min(0).max(1).default(0.2),
      })
      .default({
        mode: 'auto',
        probeTimeoutMs: 5_000,
        reprobeIntervalMs: 300_000,
        reconnectDelaysMs: [...DEFAULT_RECONNECT_DELAYS_MS],
        reconnectJitter: 0.2,
      }),
    egress: z.object({
      ports: z
        .array(
          z.int().refine((p) => GUIDE_PORTS.includes(p), 'one of 80, 443, 5671, 5672, 9350-9354'),
        )
        .min(1)
        .max(GUIDE_PORTS.length)
        .default([...DEFAULT_EGRESS_PORTS]),
      ranges: rangesSchema,
      networkMapFile: z.string().min(1).optional(),
    }),
    tls: z
      .object({
        caFile: z.string().min(1).optional(),
        minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
      })
      .default({ minVersion: 'TLSv1.2' }),
  })
  .superRefine((c, ctx) => {
    if (c.profile === 'production') {
      const i = c.egress.ports.indexOf(PLAIN_AMQP_PORT);
      if (i >= 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['egress', 'ports', i],
          message: 'plain AMQP (5672) is allowed only in the development profile',
        });
      }
    }
  });

type Parsed = z.infer<typeof schema>;

/**
 * What connectivitySettings() reads: the relay config (relay/src/config's RelayConfig fits,
 * readonly arrays and extra sections included) or a plain object from a test.
 */
export interface ConnectivityConfigInput {
  readonly profile?: 'production' | 'development';
  readonly serviceBus: { readonly host: string; readonly keyName: string; readonly key: string };
  readonly hybrid?: { readonly host: string } | undefined;
  readonly connectivity?: {
    readonly mode?: 'auto' | 'tcp' | 'https';
    readonly probeTimeoutMs?: number;
    readonly reprobeIntervalMs?: number;
    readonly reconnectDelaysMs?: readonly number[];
    readonly reconnectJitter?: number;
  };
  readonly egress: {
    readonly ports?: readonly number[];
    readonly ranges:
      | {
          readonly serviceTags: {
            readonly source: string;
            readonly regions: readonly string[];
            readonly tags?: readonly string[] | undefined;
          };
        }
      | { readonly prefixes: readonly string[] };
    readonly networkMapFile?: string | undefined;
  };
  readonly tls?: {
    readonly caFile?: string | undefined;
    readonly minVersion?: 'TLSv1.2' | 'TLSv1.3';
  };
}

export type ConnectivityMode = Parsed['connectivity']['mode'];
export type Profile = Parsed['profile'];
export type TlsMinVersion = Parsed['tls']['minVersion'];

/** The validated settings, deep-frozen. */
export interface ConnectivitySettings {
  readonly profile: Profile;
  readonly serviceBus: { readonly host: string; readonly keyName: string; readonly key: string };
  readonly hybrid: { readonly host: string } | undefined;
  readonly connectivity: {
    readonly mode: ConnectivityMode;
    readonly probeTimeoutMs: number;
    readonly reprobeIntervalMs: number;
    readonly reconnectDelaysMs: readonly number[];
    readonly reconnectJitter: number;
  };
  readonly egress: {
    readonly ports: readonly number[];
    readonly ranges:
      | {
          readonly serviceTags: {
            readonly source: string;
            readonly regions: readonly string[];
            readonly tags: readonly string[] | undefined;
          };
        }
      | { readonly prefixes: readonly string[] };
    readonly networkMapFile: string | undefined;
  };
  readonly tls: { readonly caFile: string | undefined; readonly minVersion: TlsMinVersion };
}

const parsed = new WeakSet<object>();

function where(path: readonly PropertyKey[]): string {
  const s = path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.');
  return s === '' ? '(top level)' : s.replace(/\.\[/g, '[');
}

/**
 * Validates the connectivity-related part of a relay config (or passes already parsed
 * settings through). Throws EgressError RELAY_E_EGRESS_CONFIG.
 */
export function connectivitySettings(
  input: ConnectivityConfigInput | ConnectivitySettings,
): ConnectivitySettings {
  if (typeof input === 'object' && parsed.has(input)) return input as ConnectivitySettings;
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = where(issue?.path ?? []);
    throw new EgressError(
      'RELAY_E_EGRESS_CONFIG',
      `relay config ${path}: ${issue?.message ?? 'invalid'}`,
      { path },
    );
  }
  const c: Parsed = result.data;
  const ranges =
    c.egress.ranges.serviceTags !== undefined
      ? {
          serviceTags: Object.freeze({
            source: c.egress.ranges.serviceTags.source,
            regions: Object.freeze([...c.egress.ranges.serviceTags.regions]),
            tags:
              c.egress.ranges.serviceTags.tags === undefined
                ? undefined
                : Object.freeze([...c.egress.ranges.serviceTags.tags]),
          }),
        }
      : { prefixes: Object.freeze([...c.egress.ranges.prefixes]) };
  const settings: ConnectivitySettings = Object.freeze({
    profile: c.profile,
    serviceBus: Object.freeze({ ...c.serviceBus }),
    hybrid: c.hybrid === undefined ? undefined : Object.freeze({ host: c.hybrid.host }),
    connectivity: Object.freeze({
      ...c.connectivity,
      reconnectDelaysMs: Object.freeze([...c.connectivity.reconnectDelaysMs]),
    }),
    egress: Object.freeze({
      ports: Object.freeze([...new Set(c.egress.ports)]),
      ranges: Object.freeze(ranges),
      networkMapFile: c.egress.networkMapFile,
    }),
    tls: Object.freeze({ caFile: c.tls.caFile, minVersion: c.tls.minVersion }),
  });
  parsed.add(settings);
  return settings;
}
