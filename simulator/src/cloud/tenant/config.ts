// The tenant driver's configuration. In: untrusted input (an object from the world wiring or a
// test). Out: a validated, defaulted, deep-frozen TenantDriverConfig with the keys decoded to
// 32-byte Buffers (kept non-enumerable, so printing the config shows key ids only), or a
// SimTenantError SIM_E_TENANT_CONFIG naming the offending path. Keys are given by the caller.
import { z } from 'zod';
import { TENANT_PATTERN } from '../../../../relay/src/protocol/primitives';
import { deepFreeze } from '../../util/deep-freeze';
import { TENANT_DEFAULT_ENTITIES, type TenantEntities } from './contract';
import { SimTenantError } from './errors';

const KID = /^[A-Za-z0-9._-]{1,64}$/;
const SESSION_ID = /^[A-Za-z0-9._:@-]{1,128}$/;
const ENTITY = z.string().min(1).max(260);

/** Renamed Service Bus entities (each optional: the standard name otherwise). */
export const entitiesSchema = z
  .strictObject({
    handshake: ENTITY.optional(),
    handshakeReplies: ENTITY.optional(),
    requests: ENTITY.optional(),
    replies: ENTITY.optional(),
  })
  .default({});

const keySchema = z.strictObject({
  kid: z.string().regex(KID, 'must match [A-Za-z0-9._-]{1,64}'),
  /** 32 bytes, or their base64 / base64url text. */
  key: z.union([
    z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'must be bytes or base64 text'),
    z.string().min(1).max(100),
  ]),
  state: z.enum(['active', 'retired']).default('active'),
});

const schema = z.strictObject({
  tenant: z.string().regex(TENANT_PATTERN, 'must match [a-z0-9-]{3,64}'),
  keys: z.array(keySchema).min(1).max(16),
  profile: z.enum(['production', 'development']).default('production'),
  entities: entitiesSchema,
  /** The session id of this driver's replies (default `tenant-<random>`). */
  replySessionId: z.string().regex(SESSION_ID, 'must match [A-Za-z0-9._:@-]{1,128}').optional(),
  /** Session lifetime granted in WELCOME, seconds. */
  ttlSeconds: z.int().min(1).max(86_400).default(3_600),
  skewMs: z.int().min(1).max(3_600_000).default(120_000),
  replayWindowMs: z.int().min(1).max(86_400_000).optional(),
  maxSessionsPerTenant: z.int().min(1).max(100_000).optional(),
  rateLimit: z
    .strictObject({
      maxFailures: z.int().min(1).optional(),
      windowMs: z.int().min(1).optional(),
      backoffMs: z.int().min(1).optional(),
    })
    .optional(),
  /** How long sendWork waits for the reply (real time). */
  replyTimeoutMs: z.int().min(10).max(3_600_000).default(30_000),
  /** timeToLive of each request message; also the age limit on replies. */
  requestTtlMs: z.int().min(1_000).max(86_400_000).default(300_000),
  /** Read the requests dead-letter queue and fail the matching sendWork with the reason. */
  watchDeadLetters: z.boolean().default(false),
  /** The Hybrid Connections sender front for call(). */
  hybrid: z
    .strictObject({
      /** Where to send: `https://127.0.0.1:<port>` (the simulator) or `https://<ns>.servicebus.windows.net`. */
      url: z.url({ protocol: /^https?$/ }),
      /** The logical namespace host the Send token is signed for. */
      host: z.string().min(1).max(253),
      keyName: z.string().min(1).max(256),
      key: z.string().min(1).max(512),
      /** Extra trusted CA (PEM): the simulator's. Verification is never turned off. */
      ca: z.string().optional(),
      tokenTtlSeconds: z.int().min(60).max(86_400).default(3_600),
      /** Largest answer body accepted by call(). */
      maxResponseBytes: z
        .int()
        .min(0)
        .max(1024 * 1024 * 1024)
        .default(64 * 1024 * 1024),
    })
    .optional(),
});

export type TenantDriverConfigInput = z.input<typeof schema>;

export interface TenantKeyConfig {
  readonly kid: string;
  readonly state: 'active' | 'retired';
  /** 32 bytes; non-enumerable. */
  readonly key: Buffer;
}

export type TenantDriverConfig = Readonly<
  Omit<z.infer<typeof schema>, 'keys' | 'entities' | 'replySessionId'>
> & {
  readonly keys: readonly TenantKeyConfig[];
  readonly entities: TenantEntities;
  readonly replySessionId: string | undefined;
};

function configError(path: readonly PropertyKey[], message: string): SimTenantError {
  let where = '';
  for (const p of path)
    where += typeof p === 'number' ? `[${p}]` : `${where === '' ? '' : '.'}${String(p)}`;
  const shown = where === '' ? '(top level)' : where;
  return new SimTenantError('SIM_E_TENANT_CONFIG', `${shown}: ${message}`, { path: shown });
}

/** 32 bytes from bytes or base64 / base64url text; throws SIM_E_TENANT_CONFIG. */
export function decodeTenantKey(key: Uint8Array | string, path: string): Buffer {
  let bytes: Buffer;
  if (typeof key === 'string') {
    const text = key.trim();
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
      throw configError([path], 'is not base64 text of a 32-byte key');
    }
    bytes = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  } else {
    bytes = Buffer.from(key);
  }
  if (bytes.length !== 32) throw configError([path], 'must be exactly 32 bytes');
  return bytes;
}

/** Validates `input`, decodes keys, fills defaults and freezes. */
export function parseTenantDriverConfig(input: unknown): TenantDriverConfig {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw configError(issue?.path ?? [], issue?.message ?? 'invalid configuration');
  }
  const c = result.data;
  const seen = new Set<string>();
  const keys = c.keys.map((k, i): TenantKeyConfig => {
    if (seen.has(k.kid)) throw configError(['keys', i, 'kid'], `${k.kid} is repeated`);
    seen.add(k.kid);
    const entry = { kid: k.kid, state: k.state };
    Object.defineProperty(entry, 'key', {
      value: decodeTenantKey(k.key, `keys[${i}].key`),
      enumerable: false,
    });
    return entry as TenantKeyConfig;
  });
  if (keys.filter((k) => k.state === 'active').length > 2) {
    throw configError(['keys'], 'at most two keys may be active');
  }
  const e = c.entities;
  return deepFreeze({
    ...c,
    keys,
    entities: {
      handshake: e.handshake ?? TENANT_DEFAULT_ENTITIES.handshake,
      handshakeReplies: e.handshakeReplies ?? TENANT_DEFAULT_ENTITIES.handshakeReplies,
      requests: e.requests ?? TENANT_DEFAULT_ENTITIES.requests,
      replies: e.replies ?? TENANT_DEFAULT_ENTITIES.replies,
    },
    replySessionId: c.replySessionId,
  });
}
