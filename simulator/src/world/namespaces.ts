// Stand-in namespaces for `relaycheck run --target azure` without Azure: the simulated Service
// Bus and Azure Relay namespaces, each at its own loopback address on Azure's real ports
// (Service Bus: 5671 AMQP over TLS, 443 AMQP over WebSockets; Azure Relay: 443 and 9352), so a
// relay dials them exactly as it dials Azure — the system resolver (an IP literal), the real
// ports, TLS verified against a CA it is given — with no network model, no control API and no
// one in the run's processes listening to their hooks. In: two loopback addresses, a
// namespace name, a folder. Out: the two connection strings, a tenant config file (tenant id,
// handshake key, the two addresses as the allowed ranges, the CA) and an env file (both mode
// 0600: they hold keys), the CA bundle; close() stops both namespaces.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultNamespaceConfig } from '../cloud/servicebus/config';
import { startServiceBusSimulator, type ServiceBusSimulator } from '../cloud/servicebus';
import { parseHybridConfig } from '../cloud/hybrid/config';
import { defaultHybridConfig } from '../cloud/hybrid/defaults';
import { startHybridSimulator } from '../cloud/hybrid';
import { createCertificateAuthority, writeFileAtomic } from '../cloud/tls/ca';

export interface StandInOptions {
  /** Loopback address of the Service Bus namespace (default 127.77.0.1). */
  readonly serviceBusAddress?: string;
  /** Loopback address of the Azure Relay namespace (default 127.77.0.2). */
  readonly relayAddress?: string;
  /** The namespace name (default council-42; the relay namespace is `<name>-relay`). */
  readonly namespace?: string;
  readonly dir: string;
}

export interface StandInNamespaces {
  readonly serviceBusAddress: string;
  readonly relayAddress: string;
  /** Namespace-level connection strings, as the Azure portal gives them (keys inside). */
  readonly serviceBusConnectionString: string;
  readonly relayConnectionString: string;
  /** The tenant config of `relaycheck run --target azure` (mode 0600). */
  readonly tenantConfigPath: string;
  /** RELAYCHECK_SERVICEBUS=… and RELAYCHECK_RELAY_NAMESPACE=… (mode 0600). */
  readonly envPath: string;
  readonly caPath: string;
  /** The AMQP connections open now on the Service Bus namespace. */
  connectionCount(): number;
  close(): Promise<void>;
}

/** The Azure Relay rule the relay and the tenant get: Listen and Send, never Manage. */
export const STAND_IN_RULE = 'relaycheck';

export async function startStandInNamespaces(options: StandInOptions): Promise<StandInNamespaces> {
  const sbAddress = options.serviceBusAddress ?? '127.77.0.1';
  const hcAddress = options.relayAddress ?? '127.77.0.2';
  if (sbAddress === hcAddress) {
    throw new Error('the two namespaces need two addresses: both listen on 443');
  }
  const namespace = options.namespace ?? 'council-42';
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  const now = Date.now();
  const ca = createCertificateAuthority({
    name: 'relaycheck stand-in namespaces CA',
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + 7 * 86_400_000),
  });
  const caPath = join(options.dir, 'ca.pem');
  writeFileAtomic(caPath, ca.pem, 0o644);
  const key = (): string => randomBytes(32).toString('base64');
  const sbKey = key();
  const hcKey = key();
  // The default namespace's `relay` rule: Listen and Send at namespace scope.
  const sbConfig = defaultNamespaceConfig({ rootManageKey: key(), relayKey: sbKey }, namespace);
  let sb: ServiceBusSimulator | undefined;
  try {
    sb = await startServiceBusSimulator({
      config: sbConfig,
      listeners: {
        plain: false,
        tls: { host: sbAddress, port: 5671 },
        websocket: { host: sbAddress, port: 443 },
      },
      caPath: join(options.dir, 'servicebus-ca.pem'),
      ca,
      aliases: [sbAddress],
    });
    const hcBase = defaultHybridConfig(
      { rootManageKey: key(), relayKey: key(), tenantKey: key() },
      `${namespace}-relay`,
    );
    const hc = await startHybridSimulator(
      parseHybridConfig({
        ...hcBase,
        authorizationRules: [
          ...(hcBase.authorizationRules ?? []),
          { keyName: STAND_IN_RULE, key: hcKey, rights: ['Listen', 'Send'] },
        ],
      }),
      {
        listeners: {
          https: { host: hcAddress, port: 443 },
          tcp: { host: hcAddress, port: 9352 },
          plain: false,
        },
        caPath: join(options.dir, 'hybrid-ca.pem'),
        ca,
        aliases: [hcAddress],
        control: false,
      },
    );
    const conn = (host: string, rule: string, k: string): string =>
      `Endpoint=sb://${host}/;SharedAccessKeyName=${rule};SharedAccessKey=${k}`;
    const serviceBusConnectionString = conn(sbAddress, 'relay', sbKey);
    const relayConnectionString = conn(hcAddress, STAND_IN_RULE, hcKey);
    const tenantConfigPath = join(options.dir, 'tenant.json');
    writeFileAtomic(
      tenantConfigPath,
      JSON.stringify(
        {
          tenant: namespace.toLowerCase(),
          kid: 'k1',
          key: key(),
          ranges: { prefixes: [`${sbAddress}/32`, `${hcAddress}/32`] },
          caFile: 'ca.pem',
        },
        null,
        2,
      ) + '\n',
      0o600,
    );
    const envPath = join(options.dir, 'namespaces.env');
    writeFileAtomic(
      envPath,
      `RELAYCHECK_SERVICEBUS='${serviceBusConnectionString}'\n` +
        `RELAYCHECK_RELAY_NAMESPACE='${relayConnectionString}'\n`,
      0o600,
    );
    const theSb = sb;
    return {
      serviceBusAddress: sbAddress,
      relayAddress: hcAddress,
      serviceBusConnectionString,
      relayConnectionString,
      tenantConfigPath,
      envPath,
      caPath,
      connectionCount: () => theSb.connectionCount,
      close: async () => {
        await hc.close();
        await theSb.close();
      },
    };
  } catch (e) {
    await sb?.close();
    throw e;
  }
}
