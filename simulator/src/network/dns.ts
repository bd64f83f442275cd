// The DNS model: the only name resolution a relay under test gets. In: host names with
// fixed answers or none (then one IPv4 address is drawn, from the seed, out of the selected
// service-tag prefixes), run-time changes (an explicit answer, possibly poisoned, or a move
// to another prefix) and queries. Out: answers, change notifications for the proxies, events
// on sim:net:dns-*, and resolver functions with the shapes of dns.lookup (callback) and
// dns.promises.lookup. Pure but for the events: no real DNS query is ever made.
import { isIP, type LookupFunction } from 'node:net';
import type { LookupAddress, LookupOptions } from 'node:dns';
import {
  cidrContains,
  cidrRange,
  compareCidr,
  formatAddress,
  type Cidr,
} from '../../../relay/src/egress/cidr';
import { canonicalAddress, toAddress } from './addresses';
import { SimNetError } from './errors';
import type { NetEvents } from './events';
import { createPrng, deriveSeed } from './prng';

/** A host name as the model stores it: lower case, no trailing dot. */
export function normaliseName(name: string): string {
  const n = name.trim().toLowerCase();
  return n.endsWith('.') ? n.slice(0, -1) : n;
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** True when `name` is a syntactically valid DNS host name (after normalising). */
export function isHostName(name: string): boolean {
  const n = normaliseName(name);
  return (
    n.length > 0 && n.length <= 253 && n.split('.').every((l) => LABEL.test(l)) && isIP(n) === 0
  );
}

export interface DnsHostInput {
  readonly name: string;
  /** Fixed answer(s), IPv4 and/or IPv6. Absent: one IPv4 address drawn from the pool. */
  readonly addresses?: readonly string[] | undefined;
}

export interface DnsModelOptions {
  readonly seed: number;
  /** The prefixes logical addresses are drawn from (the selected service-tag ranges). */
  readonly pool: readonly Cidr[];
  readonly hosts: readonly DnsHostInput[];
  readonly events?: NetEvents | undefined;
}

/** One name's current answer and what it answered before. */
export interface DnsRecord {
  readonly name: string;
  /** Canonical addresses, in answer order. */
  readonly addresses: readonly string[];
  /** Every address ever answered for this name since start or reset, oldest first. */
  readonly history: readonly string[];
  /** How many times move() has run for this name. */
  readonly moves: number;
}

export interface DnsAnswer {
  readonly name: string;
  readonly addresses: readonly { readonly address: string; readonly family: 4 | 6 }[];
}

export type DnsChangeReason = 'set' | 'move' | 'reset';

export interface DnsChange {
  readonly name: string;
  readonly from: readonly string[];
  readonly to: readonly string[];
  readonly reason: DnsChangeReason;
}

interface HostState {
  addresses: string[];
  history: string[];
  moves: number;
}

function familyOf(address: string): 4 | 6 {
  return isIP(address) === 6 ? 6 : 4;
}

/** An address inside `c`, avoiding the network and broadcast addresses when it can. */
function addressIn(c: Cidr, pick: (bound: number) => number): string {
  const { first, last } = cidrRange(c);
  const size = last - first + 1n;
  let value: bigint;
  if (size > 2n) {
    const span = size - 2n;
    // Bounded draw: the offset fits a double for every IPv4 prefix and any IPv6 prefix up to
    // 2^53 addresses; larger IPv6 blocks draw within their first 2^53.
    const bound = span > 2n ** 53n ? 2 ** 53 : Number(span);
    value = first + 1n + BigInt(pick(bound));
  } else {
    value = first + BigInt(pick(Number(size)));
  }
  return formatAddress({ family: c.family, value });
}

/** The DNS model. Names are case-insensitive; a trailing dot is ignored. */
export class DnsModel {
  readonly #seed: number;
  readonly #pool4: readonly Cidr[];
  readonly #events: NetEvents | undefined;
  readonly #start: ReadonlyMap<string, readonly string[]>;
  #hosts = new Map<string, HostState>();
  readonly #listeners = new Set<(change: DnsChange) => void>();

  constructor(options: DnsModelOptions) {
    this.#seed = options.seed;
    this.#events = options.events;
    const v4 = options.pool
      .filter((c) => c.family === 4)
      .slice()
      .sort(compareCidr);
    this.#pool4 = Object.freeze(
      v4.filter((c, i) => {
        const previous = v4[i - 1];
        return previous === undefined || compareCidr(c, previous) !== 0;
      }),
    );
    const start = new Map<string, readonly string[]>();
    for (const h of options.hosts) {
      if (!isHostName(h.name)) {
        throw new SimNetError('SIM_E_NET_CONFIG', `${JSON.stringify(h.name)} is not a host name`, {
          path: 'hosts',
          value: h.name,
        });
      }
      const name = normaliseName(h.name);
      if (start.has(name)) {
        throw new SimNetError('SIM_E_NET_CONFIG', `the host ${name} is listed twice`, {
          path: 'hosts',
          value: name,
        });
      }
      const addresses =
        h.addresses !== undefined && h.addresses.length > 0
          ? h.addresses.map((a, i) => canonicalAddress(a, `hosts[${name}].addresses[${i}]`))
          : [this.#draw(name, 0, [])];
      start.set(name, Object.freeze(addresses));
    }
    this.#start = start;
    this.#restore();
  }

  #restore(): void {
    this.#hosts = new Map(
      [...this.#start].map(([name, addresses]) => [
        name,
        { addresses: [...addresses], history: [...addresses], moves: 0 },
      ]),
    );
  }

  /** One IPv4 address from a pool prefix that holds none of `avoid`. */
  #draw(name: string, move: number, avoid: readonly string[]): string {
    const avoidAddresses = avoid.map((a) => toAddress(a, 'address'));
    const candidates = this.#pool4.filter((c) => !avoidAddresses.some((a) => cidrContains(c, a)));
    if (candidates.length === 0) {
      throw new SimNetError(
        'SIM_E_NET_POOL',
        this.#pool4.length === 0
          ? `no address for ${name}: the address pool holds no IPv4 prefix (select ranges or give addresses)`
          : `cannot move ${name}: every IPv4 prefix of the pool already holds its answer`,
        { name },
      );
    }
    const prng = createPrng(deriveSeed(this.#seed, 'dns', name, move));
    const prefix = candidates[prng.int(candidates.length)] ?? candidates[0];
    if (prefix === undefined) throw new Error('unreachable: no candidate prefix');
    return addressIn(prefix, (bound) => prng.int(bound));
  }

  #state(name: string): HostState {
    const s = this.#hosts.get(normaliseName(name));
    if (s === undefined) {
      throw new SimNetError(
        'SIM_E_NET_NXDOMAIN',
        `the DNS model has no name ${JSON.stringify(name)}`,
        {
          hostname: name,
        },
      );
    }
    return s;
  }

  #change(name: string, s: HostState, to: string[], reason: DnsChangeReason): DnsRecord {
    const from = s.addresses;
    s.addresses = to;
    for (const a of to) if (!s.history.includes(a)) s.history.push(a);
    const change: DnsChange = Object.freeze({ name, from: [...from], to: [...to], reason });
    this.#events?.emit('sim:net:dns-change', {
      name,
      from: from.join(','),
      to: to.join(','),
      reason,
    });
    for (const l of this.#listeners) l(change);
    return this.record(name);
  }

  /** The names the model answers for. */
  names(): string[] {
    return [...this.#hosts.keys()];
  }

  /** The current record of a name; SIM_E_NET_NXDOMAIN when unknown. */
  record(name: string): DnsRecord {
    const n = normaliseName(name);
    const s = this.#state(n);
    return Object.freeze({
      name: n,
      addresses: Object.freeze([...s.addresses]),
      history: Object.freeze([...s.history]),
      moves: s.moves,
    });
  }

  records(): DnsRecord[] {
    return this.names().map((n) => this.record(n));
  }

  /**
   * Answers a query: the name's addresses of `family` (0: all). Publishes the query and the
   * answer. SIM_E_NET_NXDOMAIN (details.dnsCode ENOTFOUND) when the name is unknown or has
   * no address of that family.
   */
  resolve(name: string, family: 0 | 4 | 6 = 0, source?: string): DnsAnswer {
    const n = normaliseName(name);
    this.#events?.emit('sim:net:dns-query', { name: n, family, source });
    const s = this.#hosts.get(n);
    const addresses = (s?.addresses ?? [])
      .map((address) => ({ address, family: familyOf(address) }))
      .filter((a) => family === 0 || a.family === family);
    this.#events?.emit('sim:net:dns-answer', {
      name: n,
      family,
      found: addresses.length > 0,
      addresses: addresses.map((a) => a.address).join(','),
    });
    if (addresses.length === 0) {
      throw new SimNetError(
        'SIM_E_NET_NXDOMAIN',
        s === undefined
          ? `getaddrinfo ENOTFOUND ${n}: the DNS model has no such name`
          : `getaddrinfo ENOTFOUND ${n}: the DNS model has no IPv${family} address for it`,
        { hostname: n, family, dnsCode: 'ENOTFOUND' },
      );
    }
    return Object.freeze({ name: n, addresses: Object.freeze(addresses) });
  }

  /**
   * Replaces a name's answer at run time with explicit addresses. They need not be in the
   * pool: this is how a poisoned answer is made. SIM_E_NET_CIDR for a malformed address.
   */
  setAnswer(name: string, addresses: readonly string[]): DnsRecord {
    const n = normaliseName(name);
    const s = this.#state(n);
    if (addresses.length === 0) {
      throw new SimNetError('SIM_E_NET_CIDR', `give at least one address for ${n}`);
    }
    const to = addresses.map((a, i) => canonicalAddress(a, `addresses[${i}]`));
    return this.#change(n, s, to, 'set');
  }

  /**
   * Moves a name to another subnet: a fresh IPv4 address drawn (from the seed and the move
   * count) out of a pool prefix that holds none of its current addresses.
   * SIM_E_NET_POOL when the pool has no such prefix.
   */
  move(name: string): DnsRecord {
    const n = normaliseName(name);
    const s = this.#state(n);
    const next = this.#draw(n, s.moves + 1, s.addresses);
    s.moves += 1;
    return this.#change(n, s, [next], 'move');
  }

  /** Restores every start answer (history and move counts too). */
  reset(): void {
    const before = new Map([...this.#hosts].map(([n, s]) => [n, s.addresses]));
    this.#restore();
    for (const [n, s] of this.#hosts) {
      const from = before.get(n) ?? [];
      if (from.join(',') !== s.addresses.join(',')) {
        const change: DnsChange = Object.freeze({
          name: n,
          from: [...from],
          to: [...s.addresses],
          reason: 'reset',
        });
        this.#events?.emit('sim:net:dns-change', {
          name: n,
          from: from.join(','),
          to: s.addresses.join(','),
          reason: 'reset',
        });
        for (const l of this.#listeners) l(change);
      }
    }
  }

  /** Calls `listener` on every change; returns the unsubscribe function. */
  onChange(listener: (change: DnsChange) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /**
   * A resolver with the shape of dns.lookup, for the relay's own name resolution step: it
   * answers logical addresses, which the relay checks against its egress policy and then
   * maps through the relay config to a loopback dial target. Never hand it to net.connect as
   * `lookup`: that would dial the logical address itself. IP literals are answered as
   * themselves; callbacks run asynchronously, like dns.lookup.
   */
  readonly lookup: DnsLookup = (hostname: string, options: unknown, callback?: unknown) => {
    const cb = (typeof options === 'function' ? options : callback) as LookupCallback;
    const opts = typeof options === 'function' ? undefined : options;
    let result: string | LookupAddress[];
    let family: number | undefined;
    try {
      const r = this.#lookupSync(hostname, opts);
      result = r.all ?? r.address;
      family = r.family;
    } catch (e) {
      process.nextTick(() => {
        cb(e as NodeJS.ErrnoException, '', 0);
      });
      return;
    }
    process.nextTick(() => {
      if (Array.isArray(result)) cb(null, result);
      else cb(null, result, family);
    });
  };

  /** The promise form, like dns.promises.lookup. */
  lookupPromise(
    hostname: string,
    options?: number | LookupOptions,
  ): Promise<LookupAddress | LookupAddress[]> {
    // A throw inside the executor rejects the promise with the typed error.
    return new Promise((resolve) => {
      const r = this.#lookupSync(hostname, options);
      resolve(r.all ?? { address: r.address, family: r.family });
    });
  }

  #lookupSync(
    hostname: unknown,
    options: unknown,
  ): { address: string; family: number; all?: LookupAddress[] } {
    const o: LookupOptions =
      typeof options === 'number'
        ? { family: options }
        : typeof options === 'object' && options !== null
          ? options
          : {};
    const raw = o.family as unknown;
    const family: 0 | 4 | 6 = raw === 4 || raw === 'IPv4' ? 4 : raw === 6 || raw === 'IPv6' ? 6 : 0;
    if (typeof hostname !== 'string' || hostname === '') {
      throw new SimNetError('SIM_E_NET_NXDOMAIN', 'the host name must be non-empty text', {
        dnsCode: 'ENOTFOUND',
      });
    }
    const literal = isIP(hostname);
    const list: LookupAddress[] =
      literal !== 0
        ? [{ address: hostname, family: literal }]
        : this.resolve(hostname, family).addresses.map((a) => ({ ...a }));
    const [first] = list;
    if (first === undefined) throw new Error('unreachable: resolve() answers at least one address');
    return o.all === true ? { ...first, all: list } : first;
  }
}

export type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** dns.lookup's call shapes; assignable to net's LookupFunction (the `lookup` option). */
export interface DnsLookup extends LookupFunction {
  (hostname: string, callback: LookupCallback): void;
  (hostname: string, options: number | LookupOptions, callback: LookupCallback): void;
}
