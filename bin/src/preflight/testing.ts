// A simulated world for preflight's tests, and for trying preflight by hand from code. In: a
// seed and a directory. Out: the world (Service Bus, Azure Relay and the network model; no
// tenant driver or back office, which preflight never touches), its logical hosts, CA bundle
// and live network map, a PreflightInput aimed at it (the world's ranges, its CA, its map), a
// relay config file for `--config`, and helpers that change the network model the way a
// council firewall or a DNS change would. close() stops everything.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { networkMapFile } from '../../../relay/src/connectivity/network-map';
import { loadCaFile } from '../../../relay/src/connectivity/tls-trust';
import { rulesetToJson, type FirewallRuleInput } from '../../../simulator/src/network';
import { parseWorldConfig, startWorld, type World } from '../../../simulator/src/world';
import { DEFAULT_RANGES } from '../../../simulator/src/world/config';
import { relayFileConfig } from '../../../simulator/src/world/relay-file';
import { GUIDE_PORT_LIST } from './plan';
import { rangesFromSource } from './ranges';
import type { PreflightInput } from './run';

/** The service-tag download the world draws its addresses from (absolute path). */
export const WORLD_SOURCE = resolve(__dirname, '..', '..', '..', DEFAULT_RANGES.source);

export interface PreflightWorld {
  readonly world: World;
  readonly sbHost: string;
  readonly hcHost: string;
  readonly caPath: string;
  readonly mapPath: string;
  /** Rules put in front of the world's council firewall (first match wins). */
  block(rules: readonly FirewallRuleInput[]): Promise<void>;
  /** Replaces a name's DNS answer (any address, in the ranges or not). */
  setAnswer(host: string, addresses: readonly string[]): Promise<void>;
  /** Preflight aimed at the world: both namespaces, the guide's ports, its CA, ranges and map. */
  input(overrides?: Partial<PreflightInput>): Promise<PreflightInput>;
  /** Writes a relay config (the relay's own format) for this world; returns its path. */
  relayConfigFile(): string;
  close(): Promise<void>;
}

function key(): string {
  return randomBytes(32).toString('base64');
}

export async function startPreflightWorld(dir: string, seed = 7): Promise<PreflightWorld> {
  const config = parseWorldConfig(
    { seed, tenant: false, backOffice: false },
    { rootManageKey: key(), relayKey: key(), tenantKey: key(), handshakeKey: randomBytes(32) },
  );
  const world = await startWorld(config, { dir });
  const net = world.network;
  const described = world.relayConfig();
  const sb = described.serviceBus;
  const hc = described.hybrid;
  const caPath = world.caPath;
  const mapPath = world.networkMapPath;
  if (
    net === undefined ||
    sb === null ||
    hc === null ||
    caPath === undefined ||
    mapPath === undefined
  ) {
    await world.close();
    throw new Error('the world lacks a namespace, its CA or its network model');
  }
  const start = rulesetToJson(net.firewall.ruleset);
  return {
    world,
    sbHost: sb.host,
    hcHost: hc.host,
    caPath,
    mapPath,
    async block(rules) {
      await net.firewall.set({
        defaultPolicy: start.defaultPolicy,
        rules: [...rules, ...start.rules],
      });
    },
    async setAnswer(host, addresses) {
      net.dns.setAnswer(host, addresses);
      await net.settled();
    },
    async input(overrides = {}) {
      return {
        namespace: sb.host,
        relayNamespace: hc.host,
        ports: GUIDE_PORT_LIST,
        timeoutMs: 400,
        mode: 'auto',
        profile: 'production',
        minVersion: 'TLSv1.2',
        extraCa: await loadCaFile(caPath),
        caLabel: caPath,
        ranges: await rangesFromSource({
          source: WORLD_SOURCE,
          regions: DEFAULT_RANGES.regions,
          tags: DEFAULT_RANGES.tags,
        }),
        map: networkMapFile(mapPath),
        // The simulator's certificates live two days: no expiry warning unless a test asks.
        expiryWarnDays: 0,
        ...overrides,
      };
    },
    relayConfigFile() {
      const file = join(dir, 'preflight-relay.json');
      const body = relayFileConfig({
        tenant: { id: 'council-42', keys: [{ kid: 'k1', secret: randomBytes(32) }] },
        serviceBus: sb,
        hybrid: hc,
        backOffice: {},
        ranges: {
          serviceTags: {
            source: WORLD_SOURCE,
            regions: DEFAULT_RANGES.regions,
            tags: DEFAULT_RANGES.tags,
          },
        },
        caFile: caPath,
        networkMapFile: mapPath,
      });
      writeFileSync(file, JSON.stringify(body, null, 2) + '\n', { mode: 0o600 });
      return file;
    },
    close: () => world.close(),
  };
}
