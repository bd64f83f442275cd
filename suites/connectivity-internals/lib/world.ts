// A small simulated world for the connectivity internals tests. In: a tap test. Out: the
// Service Bus simulator (TLS 5671 and WebSocket 443 listeners, keys made at run time), the
// Hybrid Connections simulator (443 and the 9350-9354 TLS listener), the network model in
// front of both (DNS answers drawn from the UK ServiceBus tags of the fixture, firewall
// accepting everything, the network map written to a temporary directory), one CA bundle,
// and helpers: relay connectivity settings over that world, firewall changes, event capture.
// Everything listens on 127.0.0.1 port 0; teardown closes it all, newest first.
import { randomBytes } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  connectivitySettings,
  createEgress,
  type ConnectivityConfigInput,
  type ConnectivitySettings,
  type Egress,
} from '../../../relay/src/connectivity';
import {
  startServiceBusSimulator,
  type ServiceBusSimulator,
} from '../../../simulator/src/cloud/servicebus';
import {
  startHybridSimulator,
  testHybridConfig,
  type HybridSimulator,
} from '../../../simulator/src/cloud/hybrid';
import {
  startNetworkModel,
  type FirewallRuleInput,
  type NetworkModel,
} from '../../../simulator/src/network';

export const SERVICE_TAGS = join(
  __dirname,
  '..',
  '..',
  '..',
  'fixtures',
  'service-tags',
  'ServiceTags_Public_excerpt_uk.json',
);
export const RANGES = {
  serviceTags: { source: SERVICE_TAGS, regions: ['uksouth', 'ukwest'], tags: ['ServiceBus'] },
};
export const QUEUE = 'q1';
export const RELAY_KEY_NAME = 'relay';

export interface ConnectivityWorld {
  readonly sb: ServiceBusSimulator;
  readonly hc: HybridSimulator;
  readonly net: NetworkModel;
  readonly dir: string;
  readonly mapFile: string;
  readonly caFile: string;
  /** The Service Bus key of the `relay` rule (Listen, Send); made at run time. */
  readonly sbKey: string;
  /** The Hybrid Connections `listen` rule's key (Listen on every hybrid connection). */
  readonly hcListenKey: string;
  /** Relay settings over this world; `overrides` replace whole sections. */
  settings(overrides?: Partial<ConnectivityConfigInput>): ConnectivitySettings;
  /** An egress layer over this world (network map file, CA file). */
  egress(overrides?: Partial<ConnectivityConfigInput>): Promise<Egress>;
  /** Replaces the firewall rules (default accept) and waits until the proxies apply them. */
  firewall(rules: readonly FirewallRuleInput[], existing?: 'keep' | 'apply'): Promise<void>;
}

export async function startConnectivityWorld(t: tap.Test): Promise<ConnectivityWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'relaycheck-conn-'));
  const closers: (() => Promise<void>)[] = [];
  t.teardown(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    rmSync(dir, { recursive: true, force: true });
  });

  const sbKey = randomBytes(32).toString('base64');
  const sb = await startServiceBusSimulator({
    config: {
      namespace: 'council-42',
      authorizationRules: [
        { keyName: RELAY_KEY_NAME, key: sbKey, rights: ['Listen', 'Send'] },
        {
          keyName: 'RootManageSharedAccessKey',
          key: randomBytes(32).toString('base64'),
          rights: ['Manage', 'Listen', 'Send'],
        },
      ],
      queues: [{ name: QUEUE }],
    },
    listeners: { plain: false, tls: {}, websocket: {} },
    caPath: join(dir, 'servicebus-ca.pem'),
  });
  closers.push(() => sb.close());
  const hcConfig = testHybridConfig('council-42-relay');
  const hc = await startHybridSimulator(hcConfig.config, {
    listeners: { https: {}, tcp: {}, plain: false },
    caPath: join(dir, 'hybrid-ca.pem'),
    control: false,
  });
  closers.push(() => hc.close());

  const sbTls = sb.listeners.tls?.port;
  const sbWs = sb.listeners.websocket?.port;
  const hcHttps = hc.listeners.https?.port;
  const hcTcp = hc.listeners.tcp?.port;
  if (sbTls === undefined || sbWs === undefined || hcHttps === undefined || hcTcp === undefined) {
    throw new Error('a simulator listener did not open');
  }
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, `${sb.caPem ?? ''}\n${hc.caPem ?? ''}\n`);
  const mapFile = join(dir, 'network-map.json');
  const target = (port: number) => ({ host: '127.0.0.1', port });
  const net = await startNetworkModel({
    seed: 42,
    ranges: RANGES.serviceTags,
    hosts: [
      {
        name: sb.host,
        services: [
          { port: 5671, target: target(sbTls) },
          { port: 443, target: target(sbWs) },
        ],
      },
      {
        name: hc.host,
        services: [
          { port: 443, target: target(hcHttps) },
          ...[9350, 9351, 9352, 9353, 9354].map((port) => ({ port, target: target(hcTcp) })),
        ],
      },
    ],
    firewall: { defaultPolicy: 'accept', rules: [] },
    relayConfigPath: mapFile,
  });
  closers.push(() => net.close());

  const settings = (overrides: Partial<ConnectivityConfigInput> = {}): ConnectivitySettings =>
    connectivitySettings({
      profile: 'production',
      serviceBus: { host: sb.host, keyName: RELAY_KEY_NAME, key: sbKey },
      hybrid: { host: hc.host },
      connectivity: { probeTimeoutMs: 10_000 },
      egress: { ranges: RANGES, networkMapFile: mapFile },
      tls: { caFile },
      ...overrides,
    });

  return {
    sb,
    hc,
    net,
    dir,
    mapFile,
    caFile,
    sbKey,
    hcListenKey: hcConfig.keys.listen,
    settings,
    egress: (overrides) => createEgress(settings(overrides)),
    firewall: async (rules, existing = 'keep') => {
      await net.firewall.set({ defaultPolicy: 'accept', rules: [...rules] }, { existing });
      await net.settled();
    },
  };
}

/** Records the payloads published on `channels` until the test ends. */
export function captureEvents(
  t: tap.Test,
  channels: readonly string[],
): { channel: string; data: Record<string, unknown> }[] {
  const events: { channel: string; data: Record<string, unknown> }[] = [];
  for (const channel of channels) {
    const fn = (data: unknown): void => {
      events.push({ channel, data: data as Record<string, unknown> });
    };
    diagnostics.subscribe(channel, fn);
    t.teardown(() => {
      diagnostics.unsubscribe(channel, fn);
    });
  }
  return events;
}
