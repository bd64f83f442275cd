// The simulated Azure Relay namespace's configuration and the endpoint's limits. In: untrusted
// input (a parsed JSON file, an object from a test). Out: a validated, defaulted, deep-frozen
// HybridNamespaceConfig and HybridLimits, or SIM_E_HC_CONFIG naming the offending field;
// also the SAS rules verifySasToken takes and path lookup. Keys are always given by the
// caller: nothing here holds or generates a secret.
import { z } from 'zod';
import type { SasRight, SasRule } from '../../../../relay/src/protocol/sas';
import { SimHybridError } from './errors';
import { deepFreeze } from '../../util/deep-freeze';

const NAMESPACE = /^[A-Za-z][A-Za-z0-9-]{4,48}[A-Za-z0-9]$/;
/** A Hybrid Connection name: one path segment (a suffix after it is passed to the listener). */
const HC_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,258}[A-Za-z0-9_])?$/;

const authorizationRule = z.strictObject({
  keyName: z.string().min(1).max(256),
  key: z.string().min(1).max(256),
  rights: z
    .array(z.enum(['Listen', 'Send', 'Manage']))
    .min(1)
    .refine((r) => new Set(r).size === r.length, 'rights must not repeat'),
});

const hybridConnection = z.strictObject({
  path: z.string().regex(HC_NAME, 'not a valid Hybrid Connection name'),
  /** When false, senders need no token (Azure: "Requires Client Authorization" off). */
  requiresClientAuthorization: z.boolean().default(true),
  authorizationRules: z.array(authorizationRule).default([]),
});

const namespaceSchema = z.strictObject({
  namespace: z.string().regex(NAMESPACE, 'not a valid namespace name (6-50 letters, digits, -)'),
  authorizationRules: z.array(authorizationRule).default([]),
  hybridConnections: z.array(hybridConnection).default([]),
});

/** Azure's figures; every one can be changed for tests. */
export const DEFAULT_LIMITS = Object.freeze({
  /** Listeners per Hybrid Connection (Azure: 25). */
  maxListenersPerPath: 25,
  /** Largest request or response body on the control channel (Azure: 64 kB). */
  controlBodyBytes: 65_536,
  /** Largest request header block sent on the control channel (Azure: 32 kB). */
  controlHeaderBytes: 32_768,
  /** Largest request line + headers accepted at all; larger gets 431. */
  maxHeaderBytes: 65_536,
  /** A response frame is due this long after the request was dispatched (Azure: 60 s). */
  responseDeadlineMs: 60_000,
  /** A rendezvous address lives this long (Azure: "assume 30 seconds"). */
  rendezvousTtlMs: 30_000,
  /** Largest single message on a rendezvous or bridged socket (a response body arrives whole). */
  maxRendezvousMessageBytes: 128 * 1024 * 1024,
  /** Longest accepted SAS token lifetime in seconds (Azure sets none; 10 years). */
  maxTokenLifetimeSeconds: 10 * 365 * 24 * 3600,
  /**
   * A control channel on which nothing (no message, ping or pong) arrived from the listener for
   * this long is dropped as dead, its waiting senders answered at once. 0: never (the default:
   * how soon Azure drops a silent listener is not documented; docs/differences-from-azure.md).
   */
  listenerIdleTimeoutMs: 0,
});

const positive = z.int().positive();
const limitsSchema = z.strictObject({
  maxListenersPerPath: positive.max(10_000).default(DEFAULT_LIMITS.maxListenersPerPath),
  controlBodyBytes: positive.default(DEFAULT_LIMITS.controlBodyBytes),
  controlHeaderBytes: positive.default(DEFAULT_LIMITS.controlHeaderBytes),
  maxHeaderBytes: positive.min(1024).default(DEFAULT_LIMITS.maxHeaderBytes),
  responseDeadlineMs: positive.default(DEFAULT_LIMITS.responseDeadlineMs),
  rendezvousTtlMs: positive.default(DEFAULT_LIMITS.rendezvousTtlMs),
  maxRendezvousMessageBytes: positive.default(DEFAULT_LIMITS.maxRendezvousMessageBytes),
  maxTokenLifetimeSeconds: positive.default(DEFAULT_LIMITS.maxTokenLifetimeSeconds),
  listenerIdleTimeoutMs: z
    .int()
    .min(0)
    .max(86_400_000)
    .default(DEFAULT_LIMITS.listenerIdleTimeoutMs),
});

export type HybridLimits = Readonly<z.infer<typeof limitsSchema>>;
export type HybridLimitsInput = z.input<typeof limitsSchema>;
export type AuthorizationRuleConfig = z.infer<typeof authorizationRule>;
export type HybridConnectionConfig = DeepReadonly<z.infer<typeof hybridConnection>>;
/** What parseHybridConfig returns: every default filled in, deep-frozen. */
export type HybridNamespaceConfig = DeepReadonly<z.infer<typeof namespaceSchema>> & {
  /** `<namespace>.servicebus.windows.net` (the logical host; never resolved or dialled). */
  readonly host: string;
};
export type HybridNamespaceConfigInput = z.input<typeof namespaceSchema>;

type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path)
    out += typeof p === 'number' ? `[${p}]` : `${out === '' ? '' : '.'}${String(p)}`;
  return out === '' ? '(top level)' : out;
}

function configError(path: readonly PropertyKey[], message: string): SimHybridError {
  const where = formatPath(path);
  return new SimHybridError('SIM_E_HC_CONFIG', `${where}: ${message}`, { path: where });
}

/** Validates `input`, fills defaults and freezes. Throws SIM_E_HC_CONFIG with the path. */
export function parseHybridConfig(input: unknown): HybridNamespaceConfig {
  const result = namespaceSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw configError(issue?.path ?? [], issue?.message ?? 'invalid configuration');
  }
  const c = result.data;
  const paths = new Set<string>();
  c.hybridConnections.forEach((h, i) => {
    const key = h.path.toLowerCase();
    if (paths.has(key)) {
      throw configError(
        ['hybridConnections', i, 'path'],
        `the path '${h.path}' is used twice (paths are case-insensitive)`,
      );
    }
    paths.add(key);
    uniqueKeyNames(['hybridConnections', i, 'authorizationRules'], h.authorizationRules);
  });
  uniqueKeyNames(['authorizationRules'], c.authorizationRules);
  return deepFreeze({ ...c, host: `${c.namespace.toLowerCase()}.servicebus.windows.net` });
}

function uniqueKeyNames(path: PropertyKey[], rules: readonly AuthorizationRuleConfig[]): void {
  const names = new Set<string>();
  rules.forEach((r, k) => {
    if (names.has(r.keyName))
      throw configError([...path, k, 'keyName'], `the key name '${r.keyName}' is used twice`);
    names.add(r.keyName);
  });
}

/** Validates the endpoint limits (every field optional; Azure's figures by default). */
export function parseHybridLimits(input: unknown = {}): HybridLimits {
  const result = limitsSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw configError(['limits', ...(issue?.path ?? [])], issue?.message ?? 'invalid limits');
  }
  return Object.freeze(result.data);
}

/** True when `c` already went through parseHybridConfig. */
export function isParsedHybridConfig(
  c: HybridNamespaceConfig | HybridNamespaceConfigInput,
): c is HybridNamespaceConfig {
  return Object.isFrozen(c) && typeof (c as Partial<HybridNamespaceConfig>).host === 'string';
}

/** The Hybrid Connection a path segment names (case-insensitive), or undefined. */
export function findHybridConnection(
  config: HybridNamespaceConfig,
  name: string,
): HybridConnectionConfig | undefined {
  const key = name.toLowerCase();
  return config.hybridConnections.find((h) => h.path.toLowerCase() === key);
}

/** `sb://<host>/` (namespace scope) or `sb://<host>/<path>`. */
export function hybridScope(config: Pick<HybridNamespaceConfig, 'host'>, path?: string): string {
  return path === undefined ? `sb://${config.host}/` : `sb://${config.host}/${path}`;
}

/** The namespace's and the Hybrid Connections' rules, as verifySasToken takes them. */
export function hybridSasRules(config: HybridNamespaceConfig): SasRule[] {
  const toRule = (r: DeepReadonly<AuthorizationRuleConfig>, scope: string): SasRule =>
    Object.freeze({ keyName: r.keyName, key: r.key, rights: new Set<SasRight>(r.rights), scope });
  return [
    ...config.authorizationRules.map((r) => toRule(r, hybridScope(config))),
    ...config.hybridConnections.flatMap((h) =>
      h.authorizationRules.map((r) => toRule(r, hybridScope(config, h.path))),
    ),
  ];
}
