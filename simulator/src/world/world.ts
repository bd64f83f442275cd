// Starts the whole simulated world of `relaycheck sim`: the Service Bus namespace, the Azure
// Relay namespace, the council's back office and, in front of the two Azure namespaces, the
// network model (DNS answers from the selected service-tag ranges, the egress firewall,
// fault proxies). In: a WorldConfig and a directory to write into. Out: the running parts,
// one CA bundle the relay trusts, and the relay config: everything a relay needs to run
// against this world (logical hosts, the endpoint map logical address:port → loopback,
// keys, back-office URLs, control APIs). close() stops everything it started, newest first.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { selectRangesFromFile } from '../../../relay/src/egress/load';
import { writeFileAtomic, type CertificateAuthority } from '../cloud/tls/ca';
import { startServiceBusSimulator, type ServiceBusSimulator } from '../cloud/servicebus';
import { startControlApi, type ControlApi } from '../cloud/servicebus/control';
import { startHybridSimulator, type HybridSimulator } from '../cloud/hybrid';
import { INTAKE_ROUTES, startBackOffice, type BackOffice } from '../backoffice';
import {
  GUIDE_PORTS,
  rulesFromServiceTags,
  startNetworkModel,
  type NetworkConfigInput,
  type NetworkModel,
  type RulesetInput,
} from '../network';
import type { RelayConfig } from '../network/relay-config';
import { DEFAULT_RANGES, SimWorldError, type WorldConfig } from './config';
import {
  RELAY_ENTITIES,
  backOfficeRoutes,
  relayFileConfig,
  type RelayFileInput,
} from './relay-file';
import { startTenantDriver, type TenantDriver } from '../cloud/tenant';
import { startTenantControl } from './tenant-control';

export interface WorldOptions {
  /** Where the CA bundle and relay-config.json are written (created when missing). */
  readonly dir: string;
  /** Resolves relative paths in the config (service-tag sources); default the cwd. */
  readonly baseDir?: string;
  /**
   * Issue every TLS listener's certificate under this CA (default: a fresh CA per listener
   * kind). A run that keeps one relay across several worlds passes the same CA each time.
   */
  readonly ca?: CertificateAuthority;
}

/** What a relay needs to run against the world (written to relay-config.json, mode 0600). */
export interface WorldRelayConfig {
  readonly version: 1;
  readonly seed: number;
  /** PEM bundle of every CA the world's TLS listeners use. */
  readonly caPath: string | null;
  readonly serviceBus: {
    readonly namespace: string;
    readonly host: string;
    readonly keyName: string;
    readonly key: string;
    readonly queues: readonly string[];
    readonly topics: readonly string[];
  } | null;
  readonly hybrid: {
    readonly namespace: string;
    readonly host: string;
    readonly keyName: string;
    readonly key: string;
    readonly paths: readonly string[];
  } | null;
  /** Back-office service → URL (loopback). */
  readonly backOffice: Readonly<Record<string, string>> | null;
  /** The network model's map: names, logical addresses, ports, loopback dial targets. */
  readonly network: RelayConfig | null;
  readonly control: Readonly<Record<string, string>>;
}

export interface World {
  readonly config: WorldConfig;
  readonly serviceBus: ServiceBusSimulator | undefined;
  readonly serviceBusControl: ControlApi | undefined;
  readonly hybrid: HybridSimulator | undefined;
  readonly backOffice: BackOffice | undefined;
  readonly network: NetworkModel | undefined;
  /**
   * The tenant driver ("the digital services"): answers the relay's HELLOs and sends work. It
   * talks to the namespaces from the cloud side (plain loopback listeners), not through the
   * council's firewall. Undefined unless the tenant, Service Bus and Azure Relay are all present.
   */
  readonly tenant: TenantDriver | undefined;
  readonly caPath: string | undefined;
  readonly relayConfigPath: string;
  /**
   * `<dir>/relay.json`: the config `relaycheck relay --config` runs with, in the relay's own
   * format (mode 0600). Undefined unless Service Bus, Azure Relay, the network model and the
   * tenant are all part of the world (a relay must never dial logical names for real).
   */
  readonly relayFilePath: string | undefined;
  /** `<dir>/network-map.json`: the live DNS answers and endpoint map, rewritten on change. */
  readonly networkMapPath: string | undefined;
  relayConfig(): WorldRelayConfig;
  close(): Promise<void>;
}

/** The key a relay uses: a rule with exactly the rights it needs, else the root one. */
function relayRule(
  rules: readonly {
    readonly keyName: string;
    readonly key: string;
    readonly rights: readonly string[];
  }[],
  wanted: readonly string[],
): { keyName: string; key: string } | undefined {
  const fits = (r: { rights: readonly string[] }): boolean =>
    wanted.every((w) => r.rights.includes(w));
  const exact = rules.find((r) => fits(r) && !r.rights.includes('Manage'));
  const any = exact ?? rules.find(fits);
  return any === undefined ? undefined : { keyName: any.keyName, key: any.key };
}

/** Finds a repository file from here, whether running from sources or from dist/. */
function repoFile(relative: string): string {
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return relative;
}

export async function startWorld(config: WorldConfig, options: WorldOptions): Promise<World> {
  mkdirSync(options.dir, { recursive: true });
  const base = options.baseDir ?? process.cwd();
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) await close();
  };
  try {
    let serviceBus: ServiceBusSimulator | undefined;
    let serviceBusControl: ControlApi | undefined;
    if (config.serviceBus !== undefined) {
      const sb = await startServiceBusSimulator({
        config: config.serviceBus,
        caPath: join(options.dir, 'servicebus-ca.pem'),
        ...(options.ca === undefined ? {} : { ca: options.ca }),
      });
      serviceBus = sb;
      closers.push(() => sb.close());
      const control = await startControlApi({
        engine: sb.engine,
        faults: sb.faults,
        dropConnections: () => sb.dropConnections(),
      });
      serviceBusControl = control;
      closers.push(() => control.close());
    }
    let hybrid: HybridSimulator | undefined;
    if (config.hybrid !== undefined) {
      const hc = await startHybridSimulator(config.hybrid, {
        caPath: join(options.dir, 'hybrid-ca.pem'),
        limits: config.hybridLimits,
        ...(options.ca === undefined ? {} : { ca: options.ca }),
      });
      hybrid = hc;
      closers.push(() => hc.close());
    }
    let backOffice: BackOffice | undefined;
    if (config.backOffice !== undefined) {
      // The file shares live under the world's directory (unless configured elsewhere), so a
      // person driving the relay by hand finds the dropped files after the run.
      const files = config.backOffice.files;
      const bo = await startBackOffice({
        ...config.backOffice,
        files: { ...files, runDir: files.runDir ?? join(options.dir, 'backoffice') },
      });
      backOffice = bo;
      closers.push(() => bo.close());
    }

    // One bundle of every CA, so a relay trusts one file.
    const pems = [
      ...new Set(
        [serviceBus?.caPath, hybrid?.caPath]
          .filter((p): p is string => p !== undefined)
          .map((p) => readFileSync(p, 'utf8').trim()),
      ),
    ];
    const caPath = pems.length === 0 ? undefined : join(options.dir, 'ca.pem');
    if (caPath !== undefined) writeFileAtomic(caPath, pems.join('\n') + '\n');

    let network: NetworkModel | undefined;
    const net = config.network;
    const hosts: NetworkConfigInput['hosts'] = [];
    const loop = (port: number | undefined, logical: number) =>
      port === undefined ? [] : [{ port: logical, target: { host: '127.0.0.1', port } }];
    if (serviceBus !== undefined) {
      const l = serviceBus.listeners;
      const services = [
        ...loop(l.tls?.port, 5671),
        ...loop(l.plain?.port, 5672),
        ...loop(l.websocket?.port, 443),
      ];
      if (services.length > 0) hosts.push({ name: serviceBus.host, services });
    }
    if (hybrid !== undefined) {
      const l = hybrid.listeners;
      const services = [
        ...loop(l.https?.port, 443),
        ...[9350, 9351, 9352, 9353, 9354].flatMap((p) => loop(l.tcp?.port, p)),
        ...loop(l.plain?.port, 80),
      ];
      if (services.length > 0) hosts.push({ name: hybrid.host, services });
    }
    let relayRanges: RelayFileInput['ranges'] | undefined;
    const networkMapPath = join(options.dir, 'network-map.json');
    if (net !== undefined && hosts.length > 0) {
      const ranges = net.ranges ?? DEFAULT_RANGES;
      let prefixes: readonly string[];
      if ('prefixes' in ranges) {
        prefixes = ranges.prefixes;
        relayRanges = { prefixes };
      } else {
        const source =
          net.ranges === undefined
            ? repoFile(ranges.source)
            : isAbsolute(ranges.source)
              ? ranges.source
              : resolve(base, ranges.source);
        const selection = await selectRangesFromFile(source, {
          regions: ranges.regions,
          ...(ranges.tags === undefined ? {} : { tags: ranges.tags }),
        });
        relayRanges = {
          serviceTags: {
            source,
            regions: ranges.regions,
            ...(ranges.tags === undefined ? {} : { tags: ranges.tags }),
          },
        };
        prefixes = selection.prefixes.filter((p) => !p.includes(':'));
        if (prefixes.length === 0) {
          throw new SimWorldError(
            'SIM_E_WORLD_CONFIG',
            `simulator config.network.ranges: the selection from ${source} has no IPv4 prefix`,
            { path: 'network.ranges' },
          );
        }
      }
      // A council firewall: the selected ranges on the guide's ports, everything else refused.
      const firewall: RulesetInput = net.firewall ?? {
        defaultPolicy: 'reject',
        rules: rulesFromServiceTags([...prefixes], GUIDE_PORTS),
      };
      const model = await startNetworkModel({
        seed: config.seed,
        ranges: { prefixes: [...prefixes] },
        hosts,
        firewall,
        faults: net.faults,
        control: { host: '127.0.0.1', port: 0 },
        relayConfigPath: networkMapPath,
      });
      network = model;
      closers.push(() => model.close());
    }

    let tenant: TenantDriver | undefined;
    let tenantControl: ControlApi | undefined;
    const tenantSb =
      config.serviceBus === undefined
        ? undefined
        : relayRule(config.serviceBus.authorizationRules, ['Listen', 'Send']);
    const tenantHc =
      config.hybrid === undefined
        ? undefined
        : (config.hybrid.authorizationRules.find((r) => r.keyName === 'cloud-tenant') ??
          relayRule(config.hybrid.authorizationRules, ['Send']));
    const plainSb = serviceBus?.listeners.plain;
    const front = hybrid?.listeners.plain ?? hybrid?.listeners.https;
    if (
      config.tenant !== undefined &&
      serviceBus !== undefined &&
      hybrid !== undefined &&
      plainSb !== undefined &&
      front !== undefined &&
      tenantSb !== undefined &&
      tenantHc !== undefined
    ) {
      const sbTenantRule =
        config.serviceBus?.authorizationRules.find((r) => r.keyName === 'tenant') ?? tenantSb;
      const driver = await startTenantDriver({
        tenant: config.tenant.id,
        keys: config.tenant.keys.map((k) => ({ kid: k.kid, key: k.secret })),
        ...(config.tenant.requestTtlMs === undefined
          ? {}
          : { requestTtlMs: config.tenant.requestTtlMs }),
        entities: { ...RELAY_ENTITIES },
        // A request the relay dead-letters fails its sendWork with the reason, not a timeout.
        watchDeadLetters: true,
        serviceBus: {
          connectionString: `Endpoint=sb://${plainSb.host}:${String(plainSb.port)};SharedAccessKeyName=${sbTenantRule.keyName};SharedAccessKey=${sbTenantRule.key};UseDevelopmentEmulator=true`,
        },
        hybrid: {
          url: front.url,
          host: hybrid.host,
          keyName: tenantHc.keyName,
          key: tenantHc.key,
          ...(front.kind === 'plain' || hybrid.caPath === undefined
            ? {}
            : { ca: readFileSync(hybrid.caPath, 'utf8') }),
        },
      });
      tenant = driver;
      closers.push(() => driver.close());
      // `relaycheck tenant`: the driver by hand, over loopback JSON.
      const tc = await startTenantControl(driver);
      tenantControl = tc;
      closers.push(() => tc.close());
    }

    const relayConfig = (): WorldRelayConfig => {
      const sbRule =
        config.serviceBus === undefined
          ? undefined
          : relayRule(config.serviceBus.authorizationRules, ['Listen', 'Send']);
      const hcRule =
        config.hybrid === undefined
          ? undefined
          : relayRule(config.hybrid.authorizationRules, ['Listen']);
      const control: Record<string, string> = {};
      if (serviceBusControl !== undefined) control.serviceBus = serviceBusControl.url;
      if (hybrid?.control !== undefined) control.hybrid = hybrid.control.url;
      if (backOffice?.control !== undefined) control.backOffice = backOffice.control.url;
      if (network?.control !== undefined) control.network = network.control.url;
      if (tenantControl !== undefined) control.tenant = tenantControl.url;
      return {
        version: 1,
        seed: config.seed,
        caPath: caPath ?? null,
        serviceBus:
          serviceBus === undefined || config.serviceBus === undefined || sbRule === undefined
            ? null
            : {
                namespace: config.serviceBus.namespace,
                host: serviceBus.host,
                ...sbRule,
                queues: config.serviceBus.queues.map((q) => q.name),
                topics: config.serviceBus.topics.map((t) => t.name),
              },
        hybrid:
          hybrid === undefined || config.hybrid === undefined || hcRule === undefined
            ? null
            : {
                namespace: config.hybrid.namespace,
                host: hybrid.host,
                ...hcRule,
                paths: config.hybrid.hybridConnections.map((h) => h.path),
              },
        backOffice:
          backOffice === undefined
            ? null
            : Object.fromEntries(Object.values(backOffice.services).map((s) => [s.name, s.url])),
        network: network?.relayConfig() ?? null,
        control,
      };
    };
    const relayConfigPath = join(options.dir, 'relay-config.json');
    // The relay config holds keys: readable by its owner only.
    writeFileAtomic(relayConfigPath, JSON.stringify(relayConfig(), null, 2) + '\n', 0o600);

    let relayFilePath: string | undefined;
    const described = relayConfig();
    if (
      described.serviceBus !== null &&
      described.hybrid !== null &&
      network !== undefined &&
      relayRanges !== undefined &&
      config.tenant !== undefined
    ) {
      relayFilePath = join(options.dir, 'relay.json');
      const file = relayFileConfig({
        tenant: config.tenant,
        serviceBus: described.serviceBus,
        hybrid: described.hybrid,
        backOffice: described.backOffice ?? {},
        ranges: relayRanges,
        caFile: caPath,
        networkMapFile: networkMapPath,
        ...(backOffice === undefined ? {} : backOfficeRoutes(backOffice, INTAKE_ROUTES)),
      });
      writeFileAtomic(relayFilePath, JSON.stringify(file, null, 2) + '\n', 0o600);
    }

    return {
      config,
      serviceBus,
      serviceBusControl,
      hybrid,
      backOffice,
      network,
      tenant,
      caPath,
      relayConfigPath,
      relayFilePath,
      networkMapPath: network === undefined ? undefined : networkMapPath,
      relayConfig,
      close: closeAll,
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
