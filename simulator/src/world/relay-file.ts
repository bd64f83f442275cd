// The config file a relay runs against the simulated world with (`relaycheck relay --config
// <dir>/relay.json`), in the relay's own format (docs/relay/config.md). In: what the world
// started (hosts, rules, the tenant's handshake key, back-office URLs, the selected ranges) and
// the paths of the CA bundle and the live network map. Out: a plain JSON object. The simulator
// may not import the relay's config module, so a suite test parses this output with the
// relay's own parser to keep the two in step.

/** The relay's routes for the smoke traffic of issue 6: retrieval by back-office service. */
const SMOKE_ROUTES: readonly string[] = Object.freeze([
  'council-tax',
  'business-rates',
  'benefits',
  'documents',
]);

/** The Service Bus entities the relay uses (docs/protocol/messaging.md). */
export const RELAY_ENTITIES = Object.freeze({
  handshake: 'handshake',
  handshakeReplies: 'handshake-replies',
  requests: 'requests',
  replies: 'replies',
});

/** Every port the guide names except 80 (never council data) and 5672 (development only). */
export const RELAY_PORTS: readonly number[] = Object.freeze([
  443, 5671, 9350, 9351, 9352, 9353, 9354,
]);

export interface RelayFileInput {
  readonly tenant: {
    readonly id: string;
    readonly keys: readonly { readonly kid: string; readonly secret: Buffer }[];
  };
  readonly serviceBus: { readonly host: string; readonly keyName: string; readonly key: string };
  readonly hybrid: {
    readonly host: string;
    readonly keyName: string;
    readonly key: string;
    readonly paths: readonly string[];
  };
  readonly backOffice: Readonly<Record<string, string>>;
  /** The allowed ranges: a service-tag file selection, or explicit prefixes. */
  readonly ranges:
    | {
        readonly serviceTags: {
          readonly source: string;
          readonly regions: readonly string[];
          readonly tags?: readonly string[];
        };
      }
    | { readonly prefixes: readonly string[] };
  readonly caFile: string | undefined;
  readonly networkMapFile: string;
}

/** The relay config (version 1) for this world: production profile, auto connectivity. */
export function relayFileConfig(input: RelayFileInput): Record<string, unknown> {
  return {
    version: 1,
    profile: 'production',
    tenant: {
      id: input.tenant.id,
      keys: input.tenant.keys.map((k) => ({ kid: k.kid, secret: k.secret.toString('base64') })),
    },
    serviceBus: {
      host: input.serviceBus.host,
      keyName: input.serviceBus.keyName,
      key: input.serviceBus.key,
      entities: { ...RELAY_ENTITIES },
    },
    hybrid: {
      host: input.hybrid.host,
      keyName: input.hybrid.keyName,
      key: input.hybrid.key,
      paths: [...input.hybrid.paths],
    },
    connectivity: { mode: 'auto' },
    egress: {
      ports: [...RELAY_PORTS],
      ranges: input.ranges,
      networkMapFile: input.networkMapFile,
    },
    tls: input.caFile === undefined ? {} : { caFile: input.caFile },
    backOffice: { ...input.backOffice },
    routes: SMOKE_ROUTES.filter((r) => r in input.backOffice).map((name) => ({
      name,
      service: name,
    })),
    health: { host: '127.0.0.1', port: 0 },
  };
}
