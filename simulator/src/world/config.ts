// The config of the whole simulated world that `relaycheck sim` starts: the Service Bus
// namespace, the Azure Relay namespace, the council's back office and the network model in
// one file. In: untrusted JSON. Out: a frozen WorldConfig whose parts are each validated by
// their own parser (so their errors keep their own codes: SIM_E_SB_CONFIG, SIM_E_HC_CONFIG,
// SIM_E_BO_CONFIG, SIM_E_NET_CONFIG); SIM_E_WORLD_CONFIG for the top level. A part set to
// false is left out; a part left out gets the default, with keys made at run time.
import { z } from 'zod';
import { defineErrors, familyError } from '../../../relay/src/protocol/errors';
import { KID_PATTERN, TENANT_PATTERN } from '../../../relay/src/protocol/handshake';
import {
  defaultNamespaceConfig,
  parseNamespaceConfig,
  type NamespaceConfig,
} from '../cloud/servicebus/config';
import {
  parseHybridConfig,
  parseHybridLimits,
  type HybridLimits,
  type HybridNamespaceConfig,
} from '../cloud/hybrid/config';
import { defaultHybridConfig } from '../cloud/hybrid/defaults';
import { parseBackOfficeConfig, type BackOfficeConfig } from '../backoffice/config';
import { rulesetSchema, faultSchema } from '../network';

export const SIM_WORLD_ERRORS = defineErrors('sim-world', {
  SIM_E_WORLD_CONFIG: {
    summary:
      'The simulator config (relaycheck sim --config) is invalid at its top level: an unknown part, a wrong type, a bad seed or service-tag selection.',
  },
});

export class SimWorldError extends familyError(SIM_WORLD_ERRORS) {}

/** The guide's Azure regions and the tag whose ranges the logical addresses come from. */
export const DEFAULT_RANGES = Object.freeze({
  source: 'fixtures/service-tags/ServiceTags_Public_excerpt_uk.json',
  regions: ['uksouth', 'ukwest'],
  tags: ['ServiceBus'],
});

const networkPart = z.strictObject({
  /** Where logical addresses are drawn from (a service-tag file and selection, or prefixes). */
  ranges: z
    .union([
      z.strictObject({ prefixes: z.array(z.string().min(1).max(64)).min(1).max(100_000) }),
      z.strictObject({
        source: z.string().min(1),
        regions: z.array(z.string().min(1)).min(1),
        tags: z.array(z.string().min(1)).min(1).optional(),
      }),
    ])
    .optional(),
  /** The egress firewall; default: accept exactly the selected ranges on the guide's ports. */
  firewall: rulesetSchema.optional(),
  faults: z.array(faultSchema).max(1000).default([]),
});

/** The council's tenant: the digital services that drive the relay (the tenant driver). */
const tenantPart = z.strictObject({
  /** The tenant id of the handshake; default: the namespace name in lower case. */
  id: z.string().regex(TENANT_PATTERN, 'a tenant id of 3-64 a-z, 0-9, -').optional(),
  /** Key id of the handshake key made at run time. */
  kid: z.string().regex(KID_PATTERN, 'a key id of 1-64 letters, digits, . _ -').default('k1'),
  /** timeToLive of each request the digital services send (default: the driver's, 5 minutes). */
  requestTtlMs: z.int().min(1_000).max(86_400_000).optional(),
});

const schema = z.strictObject({
  /** Seeds the back office's data sets, the logical addresses and the fault rolls. */
  seed: z.int().min(0).max(0xffffffff).default(1),
  /** The council's Service Bus namespace name; the Relay namespace is `<name>-relay`. */
  namespace: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{4,42}[A-Za-z0-9]$/, 'a namespace name of 6-44 letters, digits, -')
    .default('council-42'),
  serviceBus: z.union([z.literal(false), z.unknown()]).optional(),
  hybrid: z.union([z.literal(false), z.unknown()]).optional(),
  /** The Relay endpoint's limits (Azure's figures by default; cloud/hybrid/config.ts). */
  hybridLimits: z.unknown().optional(),
  backOffice: z.union([z.literal(false), z.unknown()]).optional(),
  network: z.union([z.literal(false), networkPart]).optional(),
  tenant: z.union([z.literal(false), tenantPart]).optional(),
});

export type WorldConfigInput = z.input<typeof schema>;
export type NetworkPart = z.infer<typeof networkPart>;

/** The tenant's handshake material (the secret is made at run time, never from the seed). */
export interface WorldTenant {
  readonly id: string;
  readonly keys: readonly { readonly kid: string; readonly secret: Buffer }[];
  /** timeToLive of each request; undefined: the tenant driver's default. */
  readonly requestTtlMs?: number;
}

export interface WorldConfig {
  readonly seed: number;
  readonly namespace: string;
  readonly serviceBus: NamespaceConfig | undefined;
  readonly hybrid: HybridNamespaceConfig | undefined;
  readonly hybridLimits: HybridLimits;
  readonly backOffice: BackOfficeConfig | undefined;
  readonly network: NetworkPart | undefined;
  readonly tenant: WorldTenant | undefined;
}

/** The keys of the default namespaces, made by the caller (randomBytes) at run time. */
export interface WorldKeys {
  readonly rootManageKey: string;
  readonly relayKey: string;
  readonly tenantKey: string;
  /** The tenant's 32-byte handshake and envelope key (HANDSHAKE.md `K`). */
  readonly handshakeKey: Buffer;
}

/** Validates `input`; defaults need `keys` (never derived from the seed: they are secrets). */
export function parseWorldConfig(input: unknown, keys: WorldKeys): WorldConfig {
  const result = schema.safeParse(input ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = (issue?.path ?? []).map(String).join('.');
    throw new SimWorldError(
      'SIM_E_WORLD_CONFIG',
      `simulator config${where === '' ? '' : `.${where}`}: ${issue?.message ?? 'invalid'}`,
      { path: where === '' ? '(top level)' : where },
    );
  }
  const c = result.data;
  if (c.tenant !== false && keys.handshakeKey.length !== 32) {
    throw new SimWorldError(
      'SIM_E_WORLD_CONFIG',
      `simulator config.tenant: the handshake key must be 32 bytes, got ${String(keys.handshakeKey.length)}`,
      { path: 'tenant' },
    );
  }
  const part = <T>(value: unknown, parse: (v: unknown) => T, fallback: () => T): T | undefined =>
    value === false ? undefined : value === undefined ? fallback() : parse(value);
  const world: WorldConfig = {
    seed: c.seed,
    namespace: c.namespace,
    serviceBus: part(c.serviceBus, parseNamespaceConfig, () =>
      defaultNamespaceConfig(keys, c.namespace),
    ),
    hybrid: part(c.hybrid, parseHybridConfig, () =>
      parseHybridConfig(defaultHybridConfig(keys, `${c.namespace}-relay`)),
    ),
    hybridLimits: parseHybridLimits(c.hybridLimits ?? {}),
    backOffice: part(c.backOffice, parseBackOfficeConfig, () =>
      parseBackOfficeConfig({ seed: c.seed }),
    ),
    network: c.network === false ? undefined : (c.network ?? networkPart.parse({})),
    tenant:
      c.tenant === false
        ? undefined
        : Object.freeze({
            id: c.tenant?.id ?? c.namespace.toLowerCase(),
            keys: Object.freeze([
              Object.freeze({ kid: c.tenant?.kid ?? 'k1', secret: keys.handshakeKey }),
            ]),
            ...(c.tenant?.requestTtlMs === undefined
              ? {}
              : { requestTtlMs: c.tenant.requestTtlMs }),
          }),
  };
  return Object.freeze(world);
}
