// The config file a relay runs against the simulated world with (`relaycheck relay --config
// <dir>/relay.json`), in the relay's own format (docs/relay/config.md). In: what the world
// started (hosts, rules, the tenant's handshake key, back-office URLs, the selected ranges) and
// the paths of the CA bundle and the live network map. Out: a plain JSON object. The simulator
// may not import the relay's config module, so a suite test parses this output with the
// relay's own parser to keep the two in step.

/** The retrieval routes: each a back-office service, reached by GET over either transport. */
export const RETRIEVE_ROUTES: readonly string[] = Object.freeze([
  'council-tax',
  'business-rates',
  'benefits',
  'documents',
]);

/** The route of the file drops (PDFs and evidence of the online forms). */
export const FILE_DROP_ROUTE = 'form-evidence';

/** An XML intake service as the relay posts to it. */
export interface IntakeRoute {
  /** The collection path, e.g. /changes. */
  readonly path: string;
  /** The root elements the service accepts. */
  readonly roots: readonly string[];
}

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
  /** The simulator's live network map; absent when the relay resolves and dials for real. */
  readonly networkMapFile?: string;
  /** The XML intake services by name (each a post-xml route of the same name). */
  readonly intake?: Readonly<Record<string, IntakeRoute>>;
  /** Form type → absolute folder of the file shares (one file-drop route). */
  readonly fileShares?: Readonly<Record<string, string>>;
  /** The Service Bus entities, when not the standard names (RELAY_ENTITIES). */
  readonly entities?: Readonly<Record<keyof typeof RELAY_ENTITIES, string>>;
}

function routesFor(input: RelayFileInput): Record<string, unknown>[] {
  const routes: Record<string, unknown>[] = RETRIEVE_ROUTES.filter(
    (r) => r in input.backOffice,
  ).map((name) => ({ name, use: 'retrieve', service: name }));
  for (const [name, intake] of Object.entries(input.intake ?? {})) {
    if (!(name in input.backOffice)) continue;
    routes.push({
      name,
      use: 'post-xml',
      service: name,
      path: intake.path,
      xml: { roots: [...intake.roots] },
    });
  }
  const folders = input.fileShares ?? {};
  if (Object.keys(folders).length > 0) {
    routes.push({ name: FILE_DROP_ROUTE, use: 'file-drop', folders: { ...folders } });
  }
  return routes;
}

/** The intake services and file-share folders of a running back office, as relay routes. */
export function backOfficeRoutes(
  backOffice: {
    readonly config: {
      readonly intake: { readonly roots: Readonly<Record<string, readonly string[]>> };
    };
    readonly files: {
      formTypes(): readonly { readonly formType: string; readonly path: string }[];
    };
  },
  intake: Readonly<Record<string, { readonly collection: string }>>,
): Pick<RelayFileInput, 'intake' | 'fileShares'> {
  return {
    intake: Object.fromEntries(
      Object.entries(intake).map(([n, r]) => [
        n,
        { path: `/${r.collection}`, roots: [...(backOffice.config.intake.roots[n] ?? [])] },
      ]),
    ),
    fileShares: Object.fromEntries(backOffice.files.formTypes().map((f) => [f.formType, f.path])),
  };
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
      entities: { ...(input.entities ?? RELAY_ENTITIES) },
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
      ...(input.networkMapFile === undefined ? {} : { networkMapFile: input.networkMapFile }),
    },
    tls: input.caFile === undefined ? {} : { caFile: input.caFile },
    backOffice: { ...input.backOffice },
    routes: routesFor(input),
    health: { host: '127.0.0.1', port: 0 },
  };
}
