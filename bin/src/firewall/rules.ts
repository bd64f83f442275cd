// The rule set every output format renders. In: the selected prefixes and where they came
// from (a RangeSelection of relay/src/egress), the ports, the refusal policy, the internal
// networks and the generation time (injected, so output is reproducible). Out: a frozen,
// JSON-ready FirewallRuleSet (aggregated IPv4 and IPv6 prefixes, port groups, counts), and
// the verdict it gives a destination: allow, refuse, or pass (left to the council's own
// policy). Errors: FIREWALL_E_EMPTY, FIREWALL_E_POLICY, FIREWALL_E_FORMAT. No IO.
import {
  aggregate,
  formatCidr,
  intervalsContain,
  parseAddress,
  parseCidr,
  type AddressInterval,
  type Cidr,
  type MissingTag,
  type RangeSelection,
  type SourceFormat,
  type SourceLayout,
} from '../../../relay/src/egress';
import { FirewallError } from './errors';
import { complementIntervals, toIntervals } from './intervals';
import { portGroups, portIn, type PortGroup, type PortRange } from './ports';

export const FIREWALL_FORMATS = ['nftables', 'iptables', 'powershell', 'netsh', 'json'] as const;
export type FirewallFormat = (typeof FIREWALL_FORMATS)[number];

export const REFUSAL_POLICIES = ['reject', 'drop', 'accept-other'] as const;
/**
 * What the rules do with TCP to the required ports that is NOT to the selected ranges (nor to
 * an internal network): reject (TCP reset, the default), drop (silence), or accept-other
 * (these rules refuse nothing; they only allow, for a server whose own policy denies).
 */
export type RefusalPolicy = (typeof REFUSAL_POLICIES)[number];

/** Where the ranges came from, as the header and the JSON name it. */
export interface SourceInfo {
  /** The file's name as given on the command line, without its folder. */
  readonly file: string;
  readonly format: SourceFormat;
  readonly layout: SourceLayout;
  /** The download's changeNumber (tag record: its own); undefined for the legacy XML. */
  readonly changeNumber: number | undefined;
  readonly cloud: string | undefined;
}

export interface RuleSetOptions {
  readonly ports: readonly PortRange[];
  readonly policy: RefusalPolicy;
  /** Destinations never refused (the council's own networks); ignored by accept-other. */
  readonly internal: readonly Cidr[];
  /** The generation time, written into every header. */
  readonly now: Date;
}

/** The model. Every list is sorted and aggregated (fewest prefixes, IPv4 and IPv6 apart). */
export interface FirewallRuleSet {
  readonly source: SourceInfo;
  readonly generatedAt: string;
  /** Regions asked for, lower-cased. */
  readonly regions: readonly string[];
  /** Tag families asked for ("AzureCloud", "ServiceBus"). */
  readonly tags: readonly string[];
  readonly ports: readonly PortRange[];
  readonly portGroups: readonly PortGroup[];
  readonly policy: RefusalPolicy;
  /** The allowed destinations. */
  readonly ipv4: readonly string[];
  readonly ipv6: readonly string[];
  /** Never refused by these rules (empty under accept-other, where nothing is refused). */
  readonly internal: { readonly ipv4: readonly string[]; readonly ipv6: readonly string[] };
  readonly counts: {
    /** Prefixes selected from the source, duplicates included. */
    readonly selected: number;
    readonly ipv4: number;
    readonly ipv6: number;
  };
  /** Tag family/region pairs asked for that the source has no tag for. */
  readonly missing: readonly MissingTag[];
}

/** What the selection contributes: the command passes a RangeSelection of relay/src/egress. */
export type SelectionInput = Pick<RangeSelection, 'regions' | 'tags' | 'missing'> & {
  readonly prefixes: readonly Cidr[];
};

/** The selection part of a RangeSelection, with every selected prefix (not aggregated). */
export function selectionInput(sel: RangeSelection): SelectionInput {
  return {
    regions: sel.regions,
    tags: sel.tags,
    missing: sel.missing,
    prefixes: sel.set.entries.map((e) => e.cidr),
  };
}

/** Checks a --policy value. Throws FIREWALL_E_POLICY. */
export function parsePolicy(raw: string): RefusalPolicy {
  const found = REFUSAL_POLICIES.find((p) => p === raw.trim().toLowerCase());
  if (found === undefined) {
    throw new FirewallError(
      'FIREWALL_E_POLICY',
      `unknown policy "${raw}" (expected ${REFUSAL_POLICIES.join(', ')})`,
      { value: raw },
    );
  }
  return found;
}

/** Checks a --format value against the allowed list. Throws FIREWALL_E_FORMAT. */
export function parseFormat<T extends string>(raw: string, allowed: readonly T[]): T {
  const found = allowed.find((f) => f === raw.trim().toLowerCase());
  if (found === undefined) {
    throw new FirewallError(
      'FIREWALL_E_FORMAT',
      `unknown format "${raw}" (expected ${allowed.join(', ')})`,
      { value: raw },
    );
  }
  return found;
}

/** The model from a selection. Throws FIREWALL_E_EMPTY when the selection holds nothing. */
export function buildRuleSet(
  source: SourceInfo,
  selection: SelectionInput,
  options: RuleSetOptions,
): FirewallRuleSet {
  if (selection.prefixes.length === 0) {
    throw new FirewallError(
      'FIREWALL_E_EMPTY',
      `the selection (regions ${selection.regions.join(', ')}; tags ${selection.tags.join(', ')}) holds no prefix: rules allowing nothing would cut the relay off`,
      { regions: selection.regions.join(','), tags: selection.tags.join(',') },
    );
  }
  if (options.ports.length === 0) {
    throw new FirewallError('FIREWALL_E_PORTS', 'the rules need at least one port');
  }
  const allowed = aggregate(selection.prefixes);
  const internal = options.policy === 'accept-other' ? [] : aggregate(options.internal);
  const text = (cidrs: readonly Cidr[], family: 4 | 6) =>
    Object.freeze(cidrs.filter((c) => c.family === family).map(formatCidr));
  const ipv4 = text(allowed, 4);
  const ipv6 = text(allowed, 6);
  return deepFreeze({
    source: { ...source },
    generatedAt: options.now.toISOString(),
    regions: [...selection.regions],
    tags: [...selection.tags],
    ports: options.ports.map((p) => ({ from: p.from, to: p.to })),
    portGroups: portGroups(options.ports),
    policy: options.policy,
    ipv4,
    ipv6,
    internal: { ipv4: text(internal, 4), ipv6: text(internal, 6) },
    counts: { selected: selection.prefixes.length, ipv4: ipv4.length, ipv6: ipv6.length },
    missing: selection.missing.map((m) => ({ tag: m.tag, region: m.region })),
  });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Sorted disjoint intervals of the allowed destinations. */
export function allowedIntervals(model: FirewallRuleSet): AddressInterval[] {
  return toIntervals([...model.ipv4, ...model.ipv6].map((p) => parseCidr(p)));
}

/** Sorted disjoint intervals of the internal networks. */
export function internalIntervals(model: FirewallRuleSet): AddressInterval[] {
  return toIntervals([...model.internal.ipv4, ...model.internal.ipv6].map((p) => parseCidr(p)));
}

/** Never a destination (RFC 1122 "this network", the unspecified IPv6 address). */
export const NOT_DESTINATIONS: readonly string[] = Object.freeze(['0.0.0.0/8', '::/128']);

/**
 * The destinations a Windows block rule names: every address of the family that is neither
 * allowed nor internal, nor one of NOT_DESTINATIONS. Empty under accept-other.
 */
export function refusedIntervals(model: FirewallRuleSet, family: 4 | 6): AddressInterval[] {
  if (model.policy === 'accept-other') return [];
  const spared = toIntervals(
    [
      ...model.ipv4,
      ...model.ipv6,
      ...model.internal.ipv4,
      ...model.internal.ipv6,
      ...NOT_DESTINATIONS,
    ].map((p) => parseCidr(p)),
  );
  return complementIntervals(spared, family);
}

/** What the rules do with a TCP connection: allow it, refuse it, or leave it (pass). */
export type Verdict = 'allow' | 'refuse' | 'pass';

/**
 * The verdict function of a model: allow when the port is one of the ports and the address
 * is in an allowed prefix; refuse when the port is one of the ports, the address is neither
 * allowed nor internal and the policy refuses; pass otherwise. An IPv4-mapped IPv6 address
 * is judged as its IPv4 address (the kernel sends IPv4 packets for it).
 */
export function verdictOf(model: FirewallRuleSet): (address: string, port: number) => Verdict {
  const allowed = allowedIntervals(model);
  const internal = internalIntervals(model);
  return (address, port) => {
    if (!portIn(model.ports, port)) return 'pass';
    const a = parseAddress(address);
    if (intervalsContain(allowed, a)) return 'allow';
    if (model.policy === 'accept-other' || intervalsContain(internal, a)) return 'pass';
    return 'refuse';
  };
}
