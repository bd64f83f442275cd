// The simulated Service Bus namespace's configuration. In: untrusted input (a parsed JSON
// file, an object from a test). Out: a validated, defaulted, deep-frozen NamespaceConfig, or
// a SimServiceBusError SIM_E_SB_CONFIG naming the offending path. Also: the namespace host
// name, the SAS rules that verifySasToken takes, and a default namespace for a relay.
// Keys are always given by the caller: nothing here holds or generates a secret.
import { z } from 'zod';
import type { SasRight, SasRule } from '../../../../relay/src/protocol/sas';
import { SimServiceBusError } from './engine/errors';
import { deepFreeze } from '../../util/deep-freeze';

/** Profile limits: the largest message each accepts (Azure: Standard 256 KB, Premium 100 MB). */
export const PROFILE_MAX_MESSAGE_BYTES = Object.freeze({
  standard: 262_144,
  premium: 104_857_600,
});
export type Profile = keyof typeof PROFILE_MAX_MESSAGE_BYTES;

export const DEFAULT_LOCK_DURATION_MS = 60_000; // PT1M
export const DEFAULT_MAX_DELIVERY_COUNT = 10;
export const DEFAULT_DUPLICATE_WINDOW_MS = 600_000; // PT10M, when detection is on
export const DEFAULT_MAX_SIZE_BYTES = 1_073_741_824; // 1 GB
/** Azure's limits, enforced unless `relaxedLimits` is set. */
export const AZURE_LIMITS = Object.freeze({
  lockDurationMs: { min: 5_000, max: 300_000 },
  maxDeliveryCount: { min: 1, max: 2_000 },
  duplicateDetectionWindowMs: { min: 20_000, max: 7 * 24 * 3_600_000 },
  defaultMessageTimeToLiveMs: { min: 1_000 },
});

const NAMESPACE = /^[A-Za-z][A-Za-z0-9-]{4,48}[A-Za-z0-9]$/;
const ENTITY = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,258}[A-Za-z0-9_])?$/;
const SUBSCRIPTION = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,48}[A-Za-z0-9_])?$/;

const positiveMs = z.int().positive();

const authorizationRule = z.strictObject({
  keyName: z.string().min(1).max(256),
  key: z.string().min(1).max(256),
  rights: z
    .array(z.enum(['Listen', 'Send', 'Manage']))
    .min(1)
    .refine((r) => new Set(r).size === r.length, 'rights must not repeat'),
});

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const filter = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('true') }),
  z.strictObject({ type: z.literal('false') }),
  z.strictObject({
    type: z.literal('correlation'),
    correlationId: z.string().optional(),
    messageId: z.string().optional(),
    to: z.string().optional(),
    replyTo: z.string().optional(),
    subject: z.string().optional(),
    sessionId: z.string().optional(),
    replyToSessionId: z.string().optional(),
    contentType: z.string().optional(),
    applicationProperties: z.record(z.string(), scalar).optional(),
  }),
]);
const rule = z.strictObject({ name: z.string().min(1).max(50), filter });

const receivable = {
  lockDurationMs: positiveMs.default(DEFAULT_LOCK_DURATION_MS),
  maxDeliveryCount: z.int().positive().default(DEFAULT_MAX_DELIVERY_COUNT),
  requiresSession: z.boolean().default(false),
  deadLetteringOnMessageExpiration: z.boolean().default(false),
  defaultMessageTimeToLiveMs: positiveMs.optional(),
};

const queue = z.strictObject({
  name: z.string().regex(ENTITY, 'not a valid entity name'),
  ...receivable,
  duplicateDetectionWindowMs: positiveMs.optional(),
  maxSizeInBytes: z.int().positive().default(DEFAULT_MAX_SIZE_BYTES),
  authorizationRules: z.array(authorizationRule).default([]),
});

const subscription = z.strictObject({
  name: z.string().regex(SUBSCRIPTION, 'not a valid subscription name'),
  ...receivable,
  rules: z
    .array(rule)
    .min(1)
    .default([{ name: '$Default', filter: { type: 'true' } }]),
});

const topic = z.strictObject({
  name: z.string().regex(ENTITY, 'not a valid entity name'),
  defaultMessageTimeToLiveMs: positiveMs.optional(),
  duplicateDetectionWindowMs: positiveMs.optional(),
  maxSizeInBytes: z.int().positive().default(DEFAULT_MAX_SIZE_BYTES),
  authorizationRules: z.array(authorizationRule).default([]),
  subscriptions: z.array(subscription).default([]),
});

const namespaceSchema = z.strictObject({
  namespace: z.string().regex(NAMESPACE, 'not a valid namespace name (6-50 letters, digits, -)'),
  profile: z.enum(['standard', 'premium']).default('standard'),
  /** Tolerance (documented in docs/differences-from-azure.md): allow values outside Azure's limits, e.g. a 1 s lock. */
  relaxedLimits: z.boolean().default(false),
  authorizationRules: z.array(authorizationRule).default([]),
  queues: z.array(queue).default([]),
  topics: z.array(topic).default([]),
});

export type AuthorizationRuleConfig = z.infer<typeof authorizationRule>;
export type FilterConfig = z.infer<typeof filter>;
export type RuleConfig = z.infer<typeof rule>;
export type QueueConfig = DeepReadonly<z.infer<typeof queue>>;
export type SubscriptionConfig = DeepReadonly<z.infer<typeof subscription>>;
export type TopicConfig = DeepReadonly<z.infer<typeof topic>>;
/** What parseNamespaceConfig returns: every default filled in, deep-frozen. */
export type NamespaceConfig = DeepReadonly<z.infer<typeof namespaceSchema>> & {
  /** `<namespace>.servicebus.windows.net` (the logical host). */
  readonly host: string;
  /** From the profile. */
  readonly maxMessageSizeBytes: number;
};
/** What a caller may give (defaults optional). */
export type NamespaceConfigInput = z.input<typeof namespaceSchema>;

type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

function configError(path: readonly PropertyKey[], message: string): SimServiceBusError {
  const where = formatPath(path);
  return new SimServiceBusError('SIM_E_SB_CONFIG', `${where}: ${message}`, { path: where });
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path)
    out += typeof p === 'number' ? `[${p}]` : `${out === '' ? '' : '.'}${String(p)}`;
  return out === '' ? '(top level)' : out;
}

/** Validates `input`, fills defaults and freezes. Throws SIM_E_SB_CONFIG with the path. */
export function parseNamespaceConfig(input: unknown): NamespaceConfig {
  const result = namespaceSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw configError(issue?.path ?? [], issue?.message ?? 'invalid configuration');
  }
  const c = result.data;
  checkLimits(c);
  checkNames(c);
  return deepFreeze({
    ...c,
    host: `${c.namespace.toLowerCase()}.servicebus.windows.net`,
    maxMessageSizeBytes: PROFILE_MAX_MESSAGE_BYTES[c.profile],
  });
}

type Parsed = z.infer<typeof namespaceSchema>;

function checkRange(
  path: readonly PropertyKey[],
  value: number | undefined,
  range: { readonly min: number; readonly max?: number },
): void {
  if (value === undefined) return;
  if (value < range.min || (range.max !== undefined && value > range.max)) {
    const span = range.max === undefined ? `at least ${range.min}` : `${range.min}..${range.max}`;
    throw configError(
      path,
      `${value} is outside Azure's limit (${span}); set relaxedLimits to allow it`,
    );
  }
}

function checkLimits(c: Parsed): void {
  if (c.relaxedLimits) return;
  const L = AZURE_LIMITS;
  const receivableLimits = (
    path: PropertyKey[],
    e: {
      lockDurationMs: number;
      maxDeliveryCount: number;
      defaultMessageTimeToLiveMs?: number | undefined;
    },
  ): void => {
    checkRange([...path, 'lockDurationMs'], e.lockDurationMs, L.lockDurationMs);
    checkRange([...path, 'maxDeliveryCount'], e.maxDeliveryCount, L.maxDeliveryCount);
    checkRange(
      [...path, 'defaultMessageTimeToLiveMs'],
      e.defaultMessageTimeToLiveMs,
      L.defaultMessageTimeToLiveMs,
    );
  };
  c.queues.forEach((q, i) => {
    receivableLimits(['queues', i], q);
    checkRange(
      ['queues', i, 'duplicateDetectionWindowMs'],
      q.duplicateDetectionWindowMs,
      L.duplicateDetectionWindowMs,
    );
  });
  c.topics.forEach((t, i) => {
    checkRange(
      ['topics', i, 'defaultMessageTimeToLiveMs'],
      t.defaultMessageTimeToLiveMs,
      L.defaultMessageTimeToLiveMs,
    );
    checkRange(
      ['topics', i, 'duplicateDetectionWindowMs'],
      t.duplicateDetectionWindowMs,
      L.duplicateDetectionWindowMs,
    );
    t.subscriptions.forEach((s, j) => {
      receivableLimits(['topics', i, 'subscriptions', j], s);
    });
  });
}

function checkNames(c: Parsed): void {
  const seen = new Set<string>();
  const claim = (path: PropertyKey[], name: string): void => {
    const key = name.toLowerCase();
    if (seen.has(key))
      throw configError(path, `the name '${name}' is used twice (names are case-insensitive)`);
    seen.add(key);
  };
  c.queues.forEach((q, i) => {
    claim(['queues', i, 'name'], q.name);
  });
  c.topics.forEach((t, i) => {
    claim(['topics', i, 'name'], t.name);
    const subs = new Set<string>();
    t.subscriptions.forEach((s, j) => {
      const key = s.name.toLowerCase();
      if (subs.has(key)) {
        throw configError(
          ['topics', i, 'subscriptions', j, 'name'],
          `the subscription '${s.name}' is used twice`,
        );
      }
      subs.add(key);
      const rules = new Set<string>();
      s.rules.forEach((r, k) => {
        if (rules.has(r.name.toLowerCase())) {
          throw configError(
            ['topics', i, 'subscriptions', j, 'rules', k, 'name'],
            `the rule '${r.name}' is used twice`,
          );
        }
        rules.add(r.name.toLowerCase());
      });
    });
  });
  const keyNames = (path: PropertyKey[], rules: readonly AuthorizationRuleConfig[]): void => {
    const names = new Set<string>();
    rules.forEach((r, k) => {
      if (names.has(r.keyName))
        throw configError([...path, k, 'keyName'], `the key name '${r.keyName}' is used twice`);
      names.add(r.keyName);
    });
  };
  keyNames(['authorizationRules'], c.authorizationRules);
  c.queues.forEach((q, i) => {
    keyNames(['queues', i, 'authorizationRules'], q.authorizationRules);
  });
  c.topics.forEach((t, i) => {
    keyNames(['topics', i, 'authorizationRules'], t.authorizationRules);
  });
}

/** `sb://<host>/` (namespace scope) or `sb://<host>/<entity>`. */
export function sasScope(config: Pick<NamespaceConfig, 'host'>, entity?: string): string {
  return entity === undefined ? `sb://${config.host}/` : `sb://${config.host}/${entity}`;
}

/** The namespace's and the entities' authorization rules, as verifySasToken takes them. */
export function sasRules(config: NamespaceConfig): SasRule[] {
  const toRule = (r: DeepReadonly<AuthorizationRuleConfig>, scope: string): SasRule =>
    Object.freeze({
      keyName: r.keyName,
      key: r.key,
      rights: new Set<SasRight>(r.rights),
      scope,
    });
  return [
    ...config.authorizationRules.map((r) => toRule(r, sasScope(config))),
    ...config.queues.flatMap((q) =>
      q.authorizationRules.map((r) => toRule(r, sasScope(config, q.name))),
    ),
    ...config.topics.flatMap((t) =>
      t.authorizationRules.map((r) => toRule(r, sasScope(config, t.name))),
    ),
  ];
}

/** Keys for defaultNamespaceConfig: generated by the caller at run time (never committed). */
export interface DefaultNamespaceKeys {
  /** `RootManageSharedAccessKey` (Manage, Listen, Send) at namespace scope. */
  readonly rootManageKey: string;
  /** Optional `relay` rule (Listen, Send) at namespace scope: what a relay is given. */
  readonly relayKey?: string;
  /** Optional `tenant` rule (Listen, Send) at namespace scope: the digital services' key. */
  readonly tenantKey?: string;
}

/**
 * A namespace a relay needs (docs/protocol/messaging.md): queues `handshake` and `requests`,
 * session-enabled `handshake-replies` and `replies`, a topic `events` with subscription
 * `relay`; Standard profile, Azure defaults elsewhere.
 */
export function defaultNamespaceConfig(
  keys: DefaultNamespaceKeys,
  namespace = 'council-42',
): NamespaceConfig {
  const rules: AuthorizationRuleConfig[] = [
    {
      keyName: 'RootManageSharedAccessKey',
      key: keys.rootManageKey,
      rights: ['Manage', 'Listen', 'Send'],
    },
  ];
  if (keys.relayKey !== undefined)
    rules.push({ keyName: 'relay', key: keys.relayKey, rights: ['Listen', 'Send'] });
  if (keys.tenantKey !== undefined)
    rules.push({ keyName: 'tenant', key: keys.tenantKey, rights: ['Listen', 'Send'] });
  const input: NamespaceConfigInput = {
    namespace,
    profile: 'standard',
    authorizationRules: rules,
    queues: [
      { name: 'handshake' },
      { name: 'handshake-replies', requiresSession: true },
      { name: 'requests', duplicateDetectionWindowMs: DEFAULT_DUPLICATE_WINDOW_MS },
      { name: 'replies', requiresSession: true },
    ],
    topics: [{ name: 'events', subscriptions: [{ name: 'relay' }] }],
  };
  return parseNamespaceConfig(input);
}
