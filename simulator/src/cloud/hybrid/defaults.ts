// The default simulated Azure Relay namespace of `relaycheck sim hybrid`. In: keys made by the
// caller at run time. Out: a namespace config input with one Hybrid Connection per
// synchronous use in the guide (council tax, business rates, benefits, documents), a Listen
// rule for the council's relay, a Send rule for the cloud tenant and the root Manage rule.
import type { HybridNamespaceConfigInput } from './config';

/** The Hybrid Connections of the default namespace: the guide's synchronous fetches. */
export const DEFAULT_HYBRID_PATHS = Object.freeze([
  'council-tax',
  'business-rates',
  'benefits',
  'documents',
] as const);

export interface DefaultHybridKeys {
  readonly rootManageKey: string;
  readonly relayKey: string;
  readonly tenantKey: string;
}

/** Key names of the default namespace's rules. */
export const DEFAULT_HYBRID_KEY_NAMES = Object.freeze({
  root: 'RootManageSharedAccessKey',
  relay: 'council-relay',
  tenant: 'cloud-tenant',
});

export function defaultHybridConfig(
  keys: DefaultHybridKeys,
  namespace = 'council-42',
): HybridNamespaceConfigInput {
  return {
    namespace,
    authorizationRules: [
      {
        keyName: DEFAULT_HYBRID_KEY_NAMES.root,
        key: keys.rootManageKey,
        rights: ['Manage', 'Listen', 'Send'],
      },
      { keyName: DEFAULT_HYBRID_KEY_NAMES.relay, key: keys.relayKey, rights: ['Listen'] },
      { keyName: DEFAULT_HYBRID_KEY_NAMES.tenant, key: keys.tenantKey, rights: ['Send'] },
    ],
    hybridConnections: DEFAULT_HYBRID_PATHS.map((path) => ({
      path,
      requiresClientAuthorization: true,
    })),
  };
}
