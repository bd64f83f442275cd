// The network model's configuration. In: untrusted input (a parsed JSON file, an object
// from a test or suite). Out: a validated, defaulted, deep-frozen NetworkConfig, or a typed
// refusal naming the offending path: SIM_E_NET_CONFIG (shape), SIM_E_NET_NOT_LOOPBACK (a
// listener, dial target or control API off loopback), SIM_E_NET_PORT (a port the simulator
// does not serve), SIM_E_NET_CIDR / SIM_E_NET_RULE (firewall), SIM_E_NET_FAULT(_TYPE).
import { z } from 'zod';
import { assertLoopback, assertServedPort, canonicalAddress, toCidr } from './addresses';
import { isHostName, normaliseName } from './dns';
import { SimNetError } from './errors';
import { faultSchema, parseFault, type Fault } from './faults';
import { compileRuleset, rulesetSchema } from './firewall';
import { deepFreeze } from '../util/deep-freeze';

const port = z.int().min(1).max(65535);

const serviceSchema = z.strictObject({
  /** The logical port (80, 443, 5671, 5672, 9350-9354). */
  port,
  /** The real simulator listener behind it: loopback only. */
  target: z.strictObject({ host: z.string().min(1).max(64), port }),
});

const hostSchema = z.strictObject({
  /** "council-42.servicebus.windows.net". */
  name: z.string().min(1).max(253),
  /** Fixed DNS answer(s). Absent: one IPv4 address drawn from `ranges` by the seed. */
  addresses: z.array(z.string().min(1).max(64)).min(1).max(16).optional(),
  services: z.array(serviceSchema).min(1).max(16),
});

const rangesSchema = z.union([
  /** Prefixes given directly (e.g. the output of `relaycheck ranges --format list`). */
  z.strictObject({ prefixes: z.array(z.string().min(1).max(64)).min(1).max(100_000) }),
  /** A service-tag source file and a selection, read with relay/src/egress. */
  z.strictObject({
    source: z.string().min(1),
    regions: z.array(z.string().min(1)).min(1),
    tags: z.array(z.string().min(1)).min(1).optional(),
  }),
]);

export const networkConfigSchema = z.strictObject({
  /** Seeds address draws, toxicity rolls, jitter and slice sizes. */
  seed: z.int().min(0).max(0xffffffff).default(1),
  /** Where every endpoint proxy listens: a loopback literal. */
  listenHost: z.string().default('127.0.0.1'),
  ranges: rangesSchema.optional(),
  hosts: z.array(hostSchema).min(1).max(1000),
  firewall: rulesetSchema.default({ defaultPolicy: 'accept', rules: [] }),
  faults: z.array(faultSchema).max(1000).default([]),
  /** Events kept for GET /events (older ones are dropped first). */
  eventLogLimit: z.int().min(1).max(1_000_000).default(10_000),
  /** Open plus silent connections per endpoint; beyond it a dial is reset. */
  maxConnectionsPerEndpoint: z.int().min(1).max(100_000).default(1024),
  /** When set, the relay config JSON is written here (atomically) after every change. */
  relayConfigPath: z.string().min(1).optional(),
  /** Start the control API (loopback JSON) when present. */
  control: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.int().min(0).max(65535).default(0),
    })
    .optional(),
});

export type NetworkConfigInput = z.input<typeof networkConfigSchema>;
type Parsed = z.infer<typeof networkConfigSchema>;

export interface NetworkConfig extends Omit<Parsed, 'faults'> {
  /** Validated start faults (no instance numbers yet). */
  readonly faults: readonly Omit<Fault, 'instance'>[];
}

function pathText(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
}

function configError(path: string, message: string): SimNetError {
  return new SimNetError('SIM_E_NET_CONFIG', `network config${path}: ${message}`, {
    path: path === '' ? '(top level)' : path.slice(1),
  });
}

const PARSED = new WeakSet<object>();

/** True for a config that parseNetworkConfig() returned. */
export function isNetworkConfig(value: unknown): value is NetworkConfig {
  return typeof value === 'object' && value !== null && PARSED.has(value);
}

/**
 * Validates `input`, fills defaults, normalises host names and addresses and freezes.
 * Loopback is checked here, at the edge, for the listen host, every target and the control
 * API; nothing else is ever bound or dialled.
 */
export function parseNetworkConfig(input: unknown): NetworkConfig {
  if (isNetworkConfig(input)) return input;
  const result = networkConfigSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw configError(pathText(issue?.path ?? []), issue?.message ?? 'invalid');
  }
  const c = result.data;
  assertLoopback(c.listenHost, 'network config.listenHost');
  if (c.control !== undefined) assertLoopback(c.control.host, 'network config.control.host');

  const names = new Set<string>();
  const hosts = c.hosts.map((h, i) => {
    const where = `network config.hosts[${i}]`;
    if (!isHostName(h.name)) {
      throw configError(`.hosts[${i}].name`, `${JSON.stringify(h.name)} is not a host name`);
    }
    const name = normaliseName(h.name);
    if (names.has(name)) throw configError(`.hosts[${i}].name`, `${name} is listed twice`);
    names.add(name);
    const ports = new Set<number>();
    const services = h.services.map((s, j) => {
      assertServedPort(s.port, `${where}.services[${j}].port`);
      if (ports.has(s.port)) {
        throw configError(`.hosts[${i}].services[${j}].port`, `port ${s.port} is listed twice`);
      }
      ports.add(s.port);
      assertLoopback(s.target.host, `${where}.services[${j}].target.host`);
      return { port: s.port, target: { host: s.target.host, port: s.target.port } };
    });
    const addresses = h.addresses?.map((a, j) => canonicalAddress(a, `${where}.addresses[${j}]`));
    return { name, ...(addresses === undefined ? {} : { addresses }), services };
  });
  if (c.ranges !== undefined && 'prefixes' in c.ranges) {
    c.ranges.prefixes.forEach((p, i) => toCidr(p, `network config.ranges.prefixes[${i}]`));
  }
  compileRuleset(c.firewall);
  const faultNames = new Set<string>();
  const faults = c.faults.map((f, i) => {
    const fault = parseFault(f, `network config.faults[${i}]`);
    if (faultNames.has(fault.name)) {
      throw new SimNetError(
        'SIM_E_NET_FAULT',
        `network config.faults[${i}].name: ${JSON.stringify(fault.name)} is used twice`,
        { path: `faults[${i}].name` },
      );
    }
    faultNames.add(fault.name);
    return fault;
  });
  const config: NetworkConfig = deepFreeze({ ...c, hosts, faults });
  PARSED.add(config);
  return config;
}
