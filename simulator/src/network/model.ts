// The network model, assembled. In: a NetworkConfig (or raw input, parsed here), injected
// time and optionally a ready service-tag selection. Out: a running model: the DNS model and
// its resolver, the egress firewall, one loopback proxy per logical endpoint (address:port)
// in front of the configured simulator listeners, the fault set, the event log, the relay
// config (also written to relayConfigPath), the optional control API, reset() and close().
// Every change (DNS answer, rules, faults) is reconciled onto the proxies in order;
// settled() waits for that.
import type { Cidr } from '../../../relay/src/egress/cidr';
import { selectRangesFromFile } from '../../../relay/src/egress/load';
import type { RangeSet } from '../../../relay/src/egress/ranges';
import { writeFileAtomic } from '../cloud/tls/ca';
import type { ControlApi } from '../control/json-http';
import { canonicalAddress, toCidr } from './addresses';
import { parseNetworkConfig, type NetworkConfig, type NetworkConfigInput } from './config';
import { startNetworkControl } from './control';
import { DnsModel, normaliseName, type DnsLookup } from './dns';
import { SimNetError } from './errors';
import { NetEvents } from './events';
import {
  FaultSet,
  parseFault,
  selects,
  type EndpointSelector,
  type Fault,
  type FaultInput,
} from './faults';
import {
  compileRuleset,
  evaluate,
  type Decision,
  type Ruleset,
  type RulesetInput,
} from './firewall';
import {
  EndpointProxy,
  endpointKey,
  toxicityStream,
  type EndpointSpec,
  type EndpointState,
  type ProxyEnv,
} from './proxy';
import type { Prng } from './prng';
import { RELAY_CONFIG_VERSION, type RelayConfig } from './relay-config';
import { systemScheduler, type Scheduler } from './scheduler';

export interface NetworkModelOptions {
  /** Time for faults (default: the real clock). Tests pass a ManualScheduler. */
  readonly scheduler?: Scheduler;
  /** A selection already made: used instead of config.ranges. */
  readonly ranges?: RangeSet | readonly Cidr[];
  /** Tags every event's `model` field (default "net"). */
  readonly name?: string;
}

/** One entry of the endpoint map. */
export interface EndpointInfo {
  readonly key: string;
  readonly host: string;
  readonly logicalAddress: string;
  readonly port: number;
  /** The loopback port the relay dials for this endpoint. */
  readonly dial: { readonly host: string; readonly port: number };
  /** The real simulator listener behind it. */
  readonly target: { readonly host: string; readonly port: number };
  readonly state: EndpointState;
  /** The address is in the name's current answer (false: an earlier or poisoned one). */
  readonly current: boolean;
  readonly verdict: Decision['verdict'];
  readonly rule: string | undefined;
  readonly down: boolean;
  readonly openConnections: number;
  readonly silentConnections: number;
}

/** What to do with connections already open when the rules change. */
export type ExistingConnections = 'keep' | 'apply';

export interface FirewallControl {
  readonly ruleset: Ruleset;
  evaluate(address: string, port: number): Decision;
  /**
   * Replaces the rules. `existing: 'keep'` (default, a stateful firewall) leaves open
   * connections alone; 'apply' resets those now rejected and silences those now dropped.
   */
  set(input: RulesetInput, options?: { existing?: ExistingConnections }): Promise<Ruleset>;
}

export interface FaultControl {
  list(): readonly Fault[];
  add(input: FaultInput): Promise<Fault>;
  remove(name: string): Promise<Fault>;
  clear(): Promise<void>;
}

export interface NetworkModel {
  readonly config: NetworkConfig;
  readonly dns: DnsModel;
  /** dns.lookup-shaped resolver over the DNS model (also `dns.lookup`). */
  readonly lookup: DnsLookup;
  readonly firewall: FirewallControl;
  readonly faults: FaultControl;
  readonly events: NetEvents;
  readonly control: ControlApi | undefined;
  /** The endpoint map, keyed "address:port" (a fresh snapshot on every read). */
  readonly endpoints: ReadonlyMap<string, EndpointInfo>;
  /** The relay config JSON (docs/network-model.md). */
  relayConfig(): RelayConfig;
  /** Waits until every change so far is applied to the proxies; rethrows a bind failure. */
  settled(): Promise<void>;
  /** Restores the start state: DNS answers, rules, faults, toxicity streams, event log. */
  reset(options?: { connections?: 'keep' | 'reset' }): Promise<void>;
  close(): Promise<void>;
}

async function poolOf(config: NetworkConfig, options: NetworkModelOptions): Promise<Cidr[]> {
  if (options.ranges !== undefined) {
    return 'intervals' in options.ranges
      ? options.ranges.entries.map((e) => e.cidr)
      : [...options.ranges];
  }
  const r = config.ranges;
  if (r === undefined) return [];
  if ('prefixes' in r) return r.prefixes.map((p, i) => toCidr(p, `ranges.prefixes[${i}]`));
  const sel = await selectRangesFromFile(r.source, {
    regions: r.regions,
    ...(r.tags === undefined ? {} : { tags: r.tags }),
  });
  return sel.set.entries.map((e) => e.cidr);
}

class Model implements NetworkModel {
  readonly config: NetworkConfig;
  readonly dns: DnsModel;
  readonly events: NetEvents;
  control: ControlApi | undefined;
  readonly firewall: FirewallControl;
  readonly faults: FaultControl;
  readonly #scheduler: Scheduler;
  readonly #startRuleset: Ruleset;
  #ruleset: Ruleset;
  readonly #faultSet = new FaultSet();
  readonly #proxies = new Map<string, EndpointProxy>();
  readonly #wasDown = new Set<string>();
  readonly #streams = new Map<string, Prng>();
  readonly #env: ProxyEnv;
  #queue: Promise<void> = Promise.resolve();
  #errors: Error[] = [];
  #closed = false;

  constructor(config: NetworkConfig, pool: readonly Cidr[], options: NetworkModelOptions) {
    this.config = config;
    this.#scheduler = options.scheduler ?? systemScheduler;
    this.events = new NetEvents({
      limit: config.eventLogLimit,
      now: () => this.#scheduler.now(),
      model: options.name ?? 'net',
    });
    this.dns = new DnsModel({
      seed: config.seed,
      pool,
      hosts: config.hosts.map((h) => ({ name: h.name, addresses: h.addresses })),
      events: this.events,
    });
    this.#env = {
      scheduler: this.#scheduler,
      events: this.events,
      seed: config.seed,
      maxConnections: config.maxConnectionsPerEndpoint,
      decide: (spec) => evaluate(this.#ruleset, spec.address, spec.port),
      isDown: (spec) => this.#isDown(spec),
      faultsFor: (spec) => this.#faultSet.forEndpoint(spec).filter((f) => f.scope === 'connection'),
      roll: (fault, spec) => this.#roll(fault, spec),
    };
    this.#startRuleset = compileRuleset(config.firewall);
    this.#ruleset = this.#startRuleset;
    this.dns.onChange(() => {
      this.#reconcileLater();
    });
    const model = this as Model;
    this.firewall = {
      get ruleset() {
        return model.#ruleset;
      },
      evaluate: (address, port) => evaluate(this.#ruleset, address, port),
      set: async (input, opts) => {
        this.#open();
        const ruleset = compileRuleset(input);
        this.#ruleset = ruleset;
        this.events.emit('sim:net:firewall', {
          defaultPolicy: ruleset.defaultPolicy,
          rules: ruleset.rules.length,
          existing: opts?.existing ?? 'keep',
        });
        if (opts?.existing === 'apply') {
          for (const p of this.#proxies.values()) {
            const d = evaluate(ruleset, p.spec.address, p.spec.port);
            if (d.verdict === 'reject') p.resetAll('firewall');
            else if (d.verdict === 'drop') p.silenceAll('firewall');
          }
        }
        this.#reconcileLater();
        await this.settled();
        return ruleset;
      },
    };
    this.faults = {
      list: () => this.#faultSet.list(),
      add: async (input) => {
        this.#open();
        const fault = this.#faultSet.add(this.#checkSelector(parseFault(input)));
        this.#reconcileLater();
        await this.settled();
        return fault;
      },
      remove: async (name) => {
        this.#open();
        const fault = this.#faultSet.remove(name);
        this.#reconcileLater();
        await this.settled();
        return fault;
      },
      clear: async () => {
        this.#open();
        this.#faultSet.replace([]);
        this.#reconcileLater();
        await this.settled();
      },
    };
    for (const [i, f] of config.faults.entries()) {
      this.#faultSet.add(this.#checkSelector(f, `network config.faults[${i}]`));
    }
  }

  get lookup(): DnsLookup {
    return this.dns.lookup;
  }

  #open(): void {
    if (this.#closed) throw new SimNetError('SIM_E_NET_CLOSED', 'the network model is closed');
  }

  /** Normalises a fault's endpoint selector; it must match at least one endpoint. */
  #checkSelector(f: Omit<Fault, 'instance'>, where = 'fault'): Omit<Fault, 'instance'> {
    const s = f.endpoint;
    const endpoint: EndpointSelector = Object.freeze({
      ...(s.host === undefined ? {} : { host: normaliseName(s.host) }),
      ...(s.address === undefined
        ? {}
        : { address: canonicalAddress(s.address, `${where}.endpoint.address`) }),
      ...(s.port === undefined ? {} : { port: s.port }),
    });
    const matches = this.#desired().some((e) => selects(endpoint, e.spec));
    if (!matches) {
      throw new SimNetError(
        'SIM_E_NET_UNKNOWN_ENDPOINT',
        `${where}.endpoint ${JSON.stringify(endpoint)} matches no logical endpoint`,
        { path: `${where}.endpoint` },
      );
    }
    return Object.freeze({ ...f, endpoint });
  }

  /** Every endpoint that should exist: each address a name has answered × its services. */
  #desired(): { spec: EndpointSpec; current: boolean }[] {
    const out: { spec: EndpointSpec; current: boolean }[] = [];
    for (const h of this.config.hosts) {
      const record = this.dns.record(h.name);
      for (const address of record.history) {
        for (const s of h.services) {
          out.push({
            spec: Object.freeze({
              host: h.name,
              address,
              port: s.port,
              target: s.target,
              listenHost: this.config.listenHost,
            }),
            current: record.addresses.includes(address),
          });
        }
      }
    }
    return out;
  }

  /** The next toxicity roll of (fault, endpoint): its own seeded stream, one number a connection. */
  #roll(fault: Fault, spec: EndpointSpec): boolean {
    const key = endpointKey(spec.address, spec.port);
    const id = `${fault.instance}|${key}`;
    let stream = this.#streams.get(id);
    if (stream === undefined) {
      stream = toxicityStream(this.config.seed, fault.name, key);
      this.#streams.set(id, stream);
    }
    return stream.next() < fault.toxicity;
  }

  #isDown(spec: EndpointSpec): boolean {
    return this.#faultSet.forEndpoint(spec).some((f) => f.scope === 'endpoint');
  }

  /** Builds the proxies of the start state. */
  async start(): Promise<void> {
    this.#reconcileLater();
    await this.settled();
  }

  #reconcileLater(): void {
    this.#queue = this.#queue.then(
      () => this.#reconcile(),
      () => this.#reconcile(),
    );
    this.#queue.catch((e: unknown) => {
      this.#errors.push(e instanceof Error ? e : new Error('reconcile failed'));
    });
  }

  async #reconcile(): Promise<void> {
    if (this.#closed) return;
    const desired = this.#desired();
    const keys = new Set(desired.map((d) => endpointKey(d.spec.address, d.spec.port)));
    for (const [key, proxy] of [...this.#proxies]) {
      if (keys.has(key)) continue;
      this.#proxies.delete(key);
      this.#wasDown.delete(key);
      await proxy.close();
    }
    const failures: unknown[] = [];
    for (const { spec } of desired) {
      const key = endpointKey(spec.address, spec.port);
      let proxy = this.#proxies.get(key);
      if (proxy === undefined) {
        proxy = new EndpointProxy(spec, this.#env);
        this.#proxies.set(key, proxy);
      }
      const decision = evaluate(this.#ruleset, spec.address, spec.port);
      const down = this.#isDown(spec);
      try {
        if (proxy.state === 'new') await proxy.listen('start');
        if (down) {
          proxy.refuse('down');
          if (!this.#wasDown.has(key)) proxy.closeAll('down');
          this.#wasDown.add(key);
        } else if (decision.verdict === 'reject') {
          proxy.refuse(`firewall ${decision.rule?.name ?? 'default policy'}`);
          this.#wasDown.delete(key);
        } else {
          this.#wasDown.delete(key);
          await proxy.listen(
            `firewall ${decision.rule?.name ?? 'default policy'}: ${decision.verdict}`,
          );
        }
      } catch (e) {
        failures.push(e);
      }
      proxy.refreshFaults();
    }
    if (this.config.relayConfigPath !== undefined) {
      writeFileAtomic(
        this.config.relayConfigPath,
        `${JSON.stringify(this.relayConfig(), null, 2)}\n`,
      );
    }
    if (failures.length > 0) throw failures[0];
  }

  async settled(): Promise<void> {
    await this.#queue.catch(() => undefined);
    const [first] = this.#errors;
    this.#errors = [];
    if (first !== undefined) throw first;
  }

  get endpoints(): ReadonlyMap<string, EndpointInfo> {
    const current = new Map(
      this.#desired().map((d) => [endpointKey(d.spec.address, d.spec.port), d.current]),
    );
    const out = new Map<string, EndpointInfo>();
    for (const [key, p] of this.#proxies) {
      const d = evaluate(this.#ruleset, p.spec.address, p.spec.port);
      out.set(
        key,
        Object.freeze({
          key,
          host: p.spec.host,
          logicalAddress: p.spec.address,
          port: p.spec.port,
          dial: Object.freeze({ host: p.spec.listenHost, port: p.dialPort ?? 0 }),
          target: p.spec.target,
          state: p.state,
          current: current.get(key) ?? false,
          verdict: d.verdict,
          rule: d.rule?.name,
          down: this.#isDown(p.spec),
          openConnections: p.openConnections,
          silentConnections: p.silentConnections,
        }),
      );
    }
    return out;
  }

  relayConfig(): RelayConfig {
    const endpoints = [...this.endpoints.values()]
      .filter((e) => e.dial.port !== 0)
      .map((e) => ({
        host: e.host,
        logicalAddress: e.logicalAddress,
        port: e.port,
        dial: { host: e.dial.host, port: e.dial.port },
        current: e.current,
      }));
    return {
      version: RELAY_CONFIG_VERSION,
      hosts: this.dns.records().map((r) => ({ name: r.name, addresses: [...r.addresses] })),
      endpoints,
    };
  }

  async reset(options: { connections?: 'keep' | 'reset' } = {}): Promise<void> {
    this.#open();
    if (options.connections === 'reset') {
      for (const p of this.#proxies.values()) p.resetAll('reset');
    }
    this.#ruleset = this.#startRuleset;
    this.#streams.clear();
    this.#faultSet.replace(
      this.config.faults.map((f, i) => this.#checkSelector(f, `network config.faults[${i}]`)),
    );
    this.dns.reset();
    this.events.clear();
    this.events.emit('sim:net:reset', { connections: options.connections ?? 'keep' });
    this.#reconcileLater();
    await this.settled();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue.catch(() => undefined);
    await this.control?.close();
    await Promise.all([...this.#proxies.values()].map((p) => p.close()));
    this.#proxies.clear();
  }
}

/**
 * Starts the network model: parses the config (when not already a NetworkConfig), draws the
 * DNS answers, opens one loopback proxy per logical endpoint and applies the start rules and
 * faults; starts the control API when config.control is set. Every failure is typed; a
 * partly started model is closed before the error is thrown.
 */
export async function startNetworkModel(
  config: NetworkConfigInput | NetworkConfig,
  options: NetworkModelOptions = {},
): Promise<NetworkModel> {
  const parsed = parseNetworkConfig(config);
  const pool = await poolOf(parsed, options);
  const model = new Model(parsed, pool, options);
  try {
    await model.start();
    if (parsed.control !== undefined) {
      model.control = await startNetworkControl(model, parsed.control);
    }
  } catch (e) {
    await model.close();
    throw e;
  }
  return model;
}
