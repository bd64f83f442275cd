// The relay config file's shape, as a zod schema of the *input* (what a person writes). In:
// nothing. Out: `relayConfigSchema` (strict objects: unknown fields are refused; defaults
// filled), the constants it is built from, and relayConfigJsonSchema() for editors. Values
// are checked here one field at a time; rules across fields, env: references, key decoding
// and path resolution happen in ./parse.ts.
import { z } from 'zod';
import { KID_PATTERN, RELAY_ID_PATTERN, TENANT_PATTERN } from '../protocol/handshake';
import { deliveryOptionsSchema } from '../work/backoffice/config';

export const CONFIG_VERSION = 1;

/** The only ports the relay may ever dial (CASES.md PORT-*): HTTP, HTTPS, AMQP(S), HC. */
export const SERVED_PORTS: readonly number[] = Object.freeze([
  80, 443, 5671, 5672, 9350, 9351, 9352, 9353, 9354,
]);
/** The default allowed set: no plain HTTP (80) and no plain AMQP (5672). */
export const DEFAULT_EGRESS_PORTS: readonly number[] = Object.freeze([
  443, 5671, 9350, 9351, 9352, 9353, 9354,
]);
/** 0, 1, 2, 5, 10, 30 s, as Microsoft's clients (PROTOCOLS.md). */
export const DEFAULT_RECONNECT_DELAYS_MS: readonly number[] = Object.freeze([
  0, 1_000, 2_000, 5_000, 10_000, 30_000,
]);
export const DEFAULT_HEALTH_PORT = 9464;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** `env:NAME`: the value is read from environment variable NAME when the file is loaded. */
export const ENV_REFERENCE = /^env:([A-Za-z_][A-Za-z0-9_]*)$/;

const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
/** Service Bus entity names and hybrid connection paths (letters, digits, . _ - /). */
const ENTITY_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._/-]{0,258}[A-Za-z0-9_])?$/;
const KEY_NAME = /^[!-~]{1,256}$/;
const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const ROUTE_NAME = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/;
const REGION = /^[A-Za-z0-9]{1,64}$/;
const TAG_FAMILY = /^[A-Za-z0-9]{1,64}$/;
const MS = (min: number, max: number, dflt: number) => z.int().min(min).max(max).default(dflt);

const secret = (what: string) =>
  z
    .string()
    .min(1)
    .max(1024)
    .meta({ description: `${what}, inline or "env:NAME" (read from environment variable NAME)` });

const hostName = z
  .string()
  .regex(HOST_NAME, { error: 'a DNS host name (e.g. council-42.servicebus.windows.net)' });

const tenantKeySchema = z.strictObject({
  kid: z.string().regex(KID_PATTERN, { error: 'a key id: 1-64 of A-Z a-z 0-9 . _ -' }),
  secret: secret('32 random bytes in base64 or base64url'),
});

const serviceBusSchema = z.strictObject({
  host: hostName.meta({
    description: 'The namespace host, e.g. council-42.servicebus.windows.net',
  }),
  keyName: z.string().regex(KEY_NAME, { error: 'a SAS rule name: 1-256 printable characters' }),
  key: secret('The SAS key of keyName'),
  entities: z
    .strictObject({
      handshake: z.string().regex(ENTITY_NAME).default('handshake'),
      handshakeReplies: z.string().regex(ENTITY_NAME).default('handshake-replies'),
      requests: z.string().regex(ENTITY_NAME).default('requests'),
      replies: z.string().regex(ENTITY_NAME).default('replies'),
    })
    .default({
      handshake: 'handshake',
      handshakeReplies: 'handshake-replies',
      requests: 'requests',
      replies: 'replies',
    }),
  idleTimeoutMs: MS(100, 600_000, 60_000).meta({
    description:
      "AMQP idle timeout: Service Bus sends a frame at least every half of it; a connection on which nothing arrives for twice it is dropped and the relay reconnects (default: the SDK's 60 s)",
  }),
  maxDeliveryCount: z.int().min(1).max(2_000).default(10).meta({
    description:
      "The requests queue's MaxDeliveryCount (Azure's default 10): a file that could not be written on a message's last delivery is dead-lettered by the relay with its system error instead of left to the broker's MaxDeliveryCountExceeded",
  }),
  busyBackoffMs: z
    .array(z.int().min(100).max(600_000))
    .min(1)
    .max(10)
    .default([10_000, 20_000, 30_000])
    .meta({
      description:
        'Throttling: after Service Bus answers server busy, the requests receiver is closed and attached again after these delays (the last one repeats; back to the first once a request arrives)',
    }),
});

const hybridSchema = z.strictObject({
  host: hostName.meta({
    description: 'The relay namespace host, e.g. council-42-relay.servicebus.windows.net',
  }),
  keyName: z.string().regex(KEY_NAME, { error: 'a SAS rule name: 1-256 printable characters' }),
  key: secret('The SAS key of keyName'),
  paths: z
    .array(
      z
        .string()
        .regex(ENTITY_NAME, { error: 'a hybrid connection name (letters, digits, . _ - /)' }),
    )
    .min(1)
    .max(64),
  tokenTtlSeconds: z.int().min(10).max(86_400).default(3_600).meta({
    description:
      "Lifetime of each listener's SAS token, in seconds; it is renewed on the control channel at 80% of it (default 3600, as Microsoft's clients)",
  }),
  pingIntervalMs: MS(100, 3_600_000, 210_000).meta({
    description:
      "Keep-alive: a ping on each listener's control channel this long after the last one (Microsoft's clients: 3.5 min)",
  }),
  pongTimeoutMs: MS(100, 600_000, 30_000).meta({
    description:
      'No pong (or other frame) within this after a ping: the control channel is half-open; it is dropped and the listener reconnects',
  }),
});

const connectivitySchema = z.strictObject({
  mode: z.enum(['auto', 'tcp', 'https']).default('auto'),
  probeTimeoutMs: MS(100, 120_000, 5_000),
  reprobeIntervalMs: MS(1_000, 86_400_000, 300_000),
  reconnectDelaysMs: z
    .array(z.int().min(0).max(3_600_000))
    .min(1)
    .max(20)
    .default([...DEFAULT_RECONNECT_DELAYS_MS]),
  reconnectJitter: z.number().min(0).max(1).default(0.2),
});

const serviceTagsSchema = z.strictObject({
  source: z.string().min(1).max(4096).meta({
    description: 'A ServiceTags JSON or legacy XML file; relative to the config file',
  }),
  regions: z
    .array(z.string().regex(REGION, { error: 'a region name such as uksouth' }))
    .min(1)
    .max(64),
  tags: z
    .array(z.string().regex(TAG_FAMILY, { error: 'a tag family such as ServiceBus (no region)' }))
    .min(1)
    .max(64)
    .default(['AzureCloud']),
});

const rangesSchema = z.union([
  z.strictObject({ serviceTags: serviceTagsSchema }),
  z.strictObject({
    prefixes: z.array(z.string().min(1).max(64)).min(1).max(100_000).meta({
      description: 'Canonical CIDR prefixes, e.g. 51.140.0.0/15',
    }),
  }),
]);

const egressSchema = z.strictObject({
  ports: z
    .array(z.literal(SERVED_PORTS as [number, ...number[]]))
    .min(1)
    .max(SERVED_PORTS.length)
    .default([...DEFAULT_EGRESS_PORTS]),
  ranges: rangesSchema.meta({ description: 'Exactly one of serviceTags or prefixes' }),
  networkMapFile: z.string().min(1).max(4096).optional().meta({
    description: "The simulator's network map (hosts and endpoints); absent in production",
  }),
});

const tlsSchema = z.strictObject({
  caFile: z.string().min(1).max(4096).optional().meta({
    description: 'Extra trusted CA certificates (PEM), added to the default roots',
  }),
  minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
});

/** The uses a route can serve (the guide's eight uses come down to three shapes). */
export const ROUTE_USES = ['retrieve', 'post-xml', 'file-drop'] as const;
/** A form type of a file-drop route: the key of its folder. */
export const FORM_TYPE = /^[a-z0-9][a-z0-9-]{0,63}$/;
const XML_NAME = /^[A-Za-z_][A-Za-z0-9._-]{0,255}$/;

const routeXmlSchema = z
  .strictObject({
    roots: z
      .array(z.string().regex(XML_NAME, { error: 'an XML local name' }))
      .min(1)
      .max(64)
      .meta({ description: 'The root element names the back office accepts (local names)' }),
    namespace: z.string().min(1).max(2048).optional().meta({
      description: 'The namespace URI the root element must be in (default: any)',
    }),
    maxBytes: z
      .int()
      .min(1)
      .max(1024 * 1024 * 1024)
      .optional(),
    maxDepth: z.int().min(1).max(10_000).optional(),
    maxElements: z.int().min(1).max(1_000_000_000).optional(),
    maxAttributes: z.int().min(0).max(10_000).optional(),
    maxNameLength: z.int().min(1).max(65_536).optional(),
    maxAttributeValueLength: z
      .int()
      .min(0)
      .max(64 * 1024 * 1024)
      .optional(),
    maxTextLength: z
      .int()
      .min(0)
      .max(1024 * 1024 * 1024)
      .optional(),
  })
  .meta({ description: 'The XML check of a post-xml route (limits default as in docs)' });

const routeSchema = z.strictObject({
  name: z.string().regex(ROUTE_NAME, { error: 'a route name: letters, digits, . _ - / (1-128)' }),
  use: z.enum(ROUTE_USES).default('retrieve').meta({
    description:
      'retrieve: GET/HEAD from the service, the answer streamed back; post-xml: a checked XML body POSTed to `path`; file-drop: a checked PDF written into the folder of its form type',
  }),
  service: z
    .string()
    .regex(SERVICE_NAME, { error: 'a back-office service name' })
    .optional()
    .meta({ description: 'A key of backOffice (retrieve and post-xml routes)' }),
  path: z.string().min(1).max(2048).optional().meta({
    description: 'post-xml: the path the XML is POSTed to, e.g. /changes',
  }),
  xml: routeXmlSchema.optional(),
  folders: z
    .record(
      z.string().regex(FORM_TYPE, { error: 'a form type: a-z 0-9 - (1-64)' }),
      z.string().min(1).max(4096),
    )
    .optional()
    .meta({ description: 'file-drop: form type -> folder (relative to this config file)' }),
  maxFileBytes: z
    .int()
    .min(16)
    .max(1024 * 1024 * 1024)
    .optional()
    .meta({ description: 'file-drop: the largest PDF accepted (default 64 MiB)' }),
  pdf: z.record(z.string(), z.unknown()).optional().meta({
    description:
      'file-drop: the PDF policy: actions and embeddedFiles ("refuse" (default) or "flag"), inflation bounds (docs/security.md)',
  }),
  fileNames: z.record(z.string(), z.unknown()).optional().meta({
    description:
      'file-drop: the policy for the file name a message declares: allowedExtensions (default ["pdf"]), required (default false)',
  }),
});

export const relayConfigSchema = z
  .strictObject({
    $schema: z.string().optional().meta({ description: 'Ignored: lets editors find the schema' }),
    version: z.literal(CONFIG_VERSION),
    profile: z.enum(['production', 'development']).default('production'),
    instanceId: z
      .string()
      .regex(RELAY_ID_PATTERN, { error: 'an instance id: 1-128 of A-Z a-z 0-9 . _ : @ -' })
      .optional()
      .meta({ description: 'Default: <hostname>-<pid>-<6 hex digits>' }),
    tenant: z.strictObject({
      id: z.string().regex(TENANT_PATTERN, { error: 'a tenant id: 3-64 of a-z 0-9 -' }),
      keys: z.array(tenantKeySchema).min(1).max(2).meta({
        description: 'One or two keys; the first is the one HELLO uses',
      }),
    }),
    serviceBus: serviceBusSchema,
    hybrid: hybridSchema,
    connectivity: connectivitySchema.default({
      mode: 'auto',
      probeTimeoutMs: 5_000,
      reprobeIntervalMs: 300_000,
      reconnectDelaysMs: [...DEFAULT_RECONNECT_DELAYS_MS],
      reconnectJitter: 0.2,
    }),
    egress: egressSchema,
    tls: tlsSchema.default({ minVersion: 'TLSv1.2' }),
    backOffice: z
      .record(
        z.string().regex(SERVICE_NAME, { error: 'a service name: letters, digits, _ - (1-64)' }),
        z.string().min(1).max(2048),
      )
      .default({})
      .meta({ description: 'Back-office service name -> base URL (http or https)' }),
    routes: z.array(routeSchema).max(1024).default([]),
    antivirus: z.record(z.string(), z.unknown()).optional().meta({
      description:
        'The clamd every dropped file is scanned by: clamd {socket} or {host, port} (loopback), onUnavailable "fail-closed" (default) or "fail-open", timeoutMs, maxBytes (docs/antivirus.md)',
    }),
    health: z
      .strictObject({
        host: z.string().min(1).max(64).default('127.0.0.1').meta({
          description: 'A loopback address only: 127.0.0.0/8, ::1 or localhost',
        }),
        port: z.int().min(0).max(65535).default(DEFAULT_HEALTH_PORT),
      })
      .default({ host: '127.0.0.1', port: DEFAULT_HEALTH_PORT }),
    log: z.strictObject({ level: z.enum(LOG_LEVELS).default('info') }).default({ level: 'info' }),
    idempotency: z
      .strictObject({
        file: z.string().min(1).max(4096).optional().meta({
          description:
            'File of the idempotency store (relative to this config file): what was done per message id, kept across restarts and SIGKILL. Without it the store is in memory only.',
        }),
      })
      .default({}),
    delivery: deliveryOptionsSchema.prefault({}).meta({
      description:
        'How work is delivered to the back office: attempts, back-off, Retry-After cap, timeouts, a circuit breaker per service, concurrency per route',
    }),
    limits: z
      .strictObject({
        maxConcurrent: z.int().min(1).max(1024).default(16),
        maxRequestBytes: z
          .int()
          .min(0)
          .max(1024 * 1024 * 1024)
          .default(32 * 1024 * 1024),
        maxReplyBytes: z
          .int()
          .min(1)
          .max(256 * 1024 * 1024)
          .default(4 * 1024 * 1024)
          .meta({ description: 'The largest answer sent back as a Service Bus reply' }),
        shutdownGraceMs: z.int().min(0).max(600_000).default(10_000).meta({
          description:
            'On shutdown, how long work in flight may take to finish before it is abandoned',
        }),
        fileDropRetryHoldMs: z.int().min(0).max(300_000).default(5_000).meta({
          description:
            'A Service Bus message whose file could not be written (share full, read-only, unreachable) is held this long before it is abandoned and comes back',
        }),
        tempSweepAfterMs: z.int().min(1_000).max(86_400_000).default(60_000).meta({
          description:
            'Temporary files of drops cut short (a crash) older than this are removed at start and every this long while the relay runs',
        }),
      })
      .prefault({}),
  })
  .meta({
    title: 'relaycheck relay configuration',
    description: 'The reference relay config file (docs/relay/config.md).',
  });

export type RelayConfigInput = z.input<typeof relayConfigSchema>;
export type RelayConfigParsed = z.output<typeof relayConfigSchema>;

/** The JSON Schema (draft 2020-12) of the config file, for editors and `--print-schema`. */
export function relayConfigJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(relayConfigSchema, { io: 'input', target: 'draft-2020-12' }),
    $id: 'https://relaycheck.invalid/schemas/relay-config-v1.json',
  };
}
