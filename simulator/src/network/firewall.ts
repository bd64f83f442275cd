// The egress firewall in front of the endpoint proxies, in a council firewall's own terms.
// In: an ordered list of rules (verdict accept | reject | drop, destination CIDR or "any",
// port or port range or "any") and a default policy; then a (logical address, port) dial.
// Out: the verdict and the rule that decided it (first match wins; no match → the default
// policy). Pure: no IO, no clock. rulesFromServiceTags() writes rules from a service-tag
// selection (relay/src/egress) and the guide's port list.
import { z } from 'zod';
import {
  aggregate,
  cidrContains,
  formatCidr,
  type Address,
  type Cidr,
} from '../../../relay/src/egress/cidr';
import type { RangeSet } from '../../../relay/src/egress/ranges';
import {
  formatPorts,
  GUIDE_PORTS,
  parsePorts,
  toAddress,
  toCidr,
  type PortRange,
} from './addresses';
import { SimNetError } from './errors';

export const VERDICTS = ['accept', 'reject', 'drop'] as const;
export type Verdict = (typeof VERDICTS)[number];

const portItem = z.union([z.int(), z.string()]);

/** A rule as written in config or sent to the control API. */
export const firewallRuleSchema = z.strictObject({
  /** Unique within the rule list; default "rule-<n>" (1-based position). */
  name: z.string().min(1).max(100).optional(),
  verdict: z.enum(VERDICTS),
  /** A canonical CIDR ("51.140.0.0/16", "2603:1020::/47"), a bare address, or "any". */
  destination: z.string().min(1).max(100),
  /** 443, "443", "9350-9354", "any", or a list of those. */
  ports: z.union([portItem, z.array(portItem).min(1).max(64)]),
  comment: z.string().max(500).optional(),
});

export type FirewallRuleInput = z.input<typeof firewallRuleSchema>;

export const rulesetSchema = z.strictObject({
  defaultPolicy: z.enum(VERDICTS).default('accept'),
  rules: z.array(firewallRuleSchema).max(100_000).default([]),
});

export type RulesetInput = z.input<typeof rulesetSchema>;

/** A compiled rule. */
export interface FirewallRule {
  /** 1-based position in the list. */
  readonly position: number;
  readonly name: string;
  readonly verdict: Verdict;
  /** Canonical destination text, or "any". */
  readonly destination: string;
  /** undefined: any destination. */
  readonly cidr: Cidr | undefined;
  /** undefined: any port. */
  readonly ports: readonly PortRange[] | undefined;
  readonly comment: string | undefined;
}

export interface Ruleset {
  readonly defaultPolicy: Verdict;
  readonly rules: readonly FirewallRule[];
}

/** What the firewall decided for one dial. */
export interface Decision {
  readonly verdict: Verdict;
  /** The rule that matched; undefined when the default policy decided. */
  readonly rule: FirewallRule | undefined;
}

function ruleError(path: string, message: string): SimNetError {
  return new SimNetError('SIM_E_NET_RULE', `${path}: ${message}`, { path });
}

function pathText(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
}

/**
 * Validates and compiles a rule list. Throws SIM_E_NET_RULE (shape, duplicate names),
 * SIM_E_NET_CIDR (destination), SIM_E_NET_PORT (ports), each naming the rule's position.
 */
export function compileRuleset(input: unknown): Ruleset {
  const parsed = rulesetSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw ruleError(`firewall${pathText(issue?.path ?? [])}`, issue?.message ?? 'invalid');
  }
  const seen = new Set<string>();
  const rules = parsed.data.rules.map((r, i): FirewallRule => {
    const where = `firewall.rules[${i}]`;
    const name = r.name ?? `rule-${i + 1}`;
    if (seen.has(name))
      throw ruleError(`${where}.name`, `the name ${JSON.stringify(name)} is used twice`);
    seen.add(name);
    const cidr =
      r.destination === 'any' ? undefined : toCidr(r.destination, `${where}.destination`);
    return Object.freeze({
      position: i + 1,
      name,
      verdict: r.verdict,
      destination: cidr === undefined ? 'any' : formatCidr(cidr),
      cidr,
      ports: parsePorts(r.ports, `${where}.ports`),
      comment: r.comment,
    });
  });
  return Object.freeze({ defaultPolicy: parsed.data.defaultPolicy, rules: Object.freeze(rules) });
}

function portMatches(ports: readonly PortRange[] | undefined, port: number): boolean {
  return ports === undefined || ports.some((p) => port >= p.from && port <= p.to);
}

/**
 * The verdict for a dial to (address, port): the first rule whose destination holds the
 * address and whose ports hold the port; else the default policy. An IPv4-mapped IPv6
 * address is judged as its IPv4 address. Throws SIM_E_NET_CIDR for a malformed address.
 */
export function evaluate(ruleset: Ruleset, address: string | Address, port: number): Decision {
  const a = typeof address === 'string' ? toAddress(address, 'the destination') : address;
  for (const rule of ruleset.rules) {
    if ((rule.cidr === undefined || cidrContains(rule.cidr, a)) && portMatches(rule.ports, port)) {
      return { verdict: rule.verdict, rule };
    }
  }
  return { verdict: ruleset.defaultPolicy, rule: undefined };
}

/** The rule list back in its input form (what config and the control API take). */
export function rulesetToJson(ruleset: Ruleset): {
  defaultPolicy: Verdict;
  rules: {
    name: string;
    verdict: Verdict;
    destination: string;
    ports: string[];
    comment?: string;
  }[];
} {
  return {
    defaultPolicy: ruleset.defaultPolicy,
    rules: ruleset.rules.map((r) => ({
      name: r.name,
      verdict: r.verdict,
      destination: r.destination,
      ports: formatPorts(r.ports).split(','),
      ...(r.comment === undefined ? {} : { comment: r.comment }),
    })),
  };
}

/** What rulesFromServiceTags() takes: a RangeSet, a selection with prefixes, or prefixes. */
export type PrefixSource = RangeSet | { readonly prefixes: readonly string[] } | readonly string[];

export interface ServiceTagRuleOptions {
  /** Verdict of the generated rules (default accept). */
  readonly verdict?: Verdict;
  /** Merge the prefixes into the fewest covering ones first (default true). */
  readonly aggregate?: boolean;
  /** Rule name prefix (default "azure"); names are "<prefix>-<n>". */
  readonly namePrefix?: string;
}

function isRangeSet(source: PrefixSource): source is RangeSet {
  return !Array.isArray(source) && 'intervals' in source;
}

function prefixesOf(source: PrefixSource): Cidr[] {
  if (isRangeSet(source)) return source.entries.map((e) => e.cidr);
  const list: readonly string[] = Array.isArray(source)
    ? (source as readonly string[])
    : (source as { readonly prefixes: readonly string[] }).prefixes;
  return list.map((p, i) => toCidr(p, `prefixes[${i}]`));
}

/**
 * Firewall rules that allow exactly the selected prefixes on exactly the given ports (the
 * guide's list by default: 80, 443, 5671, 5672, 9350-9354): one rule per prefix, IPv4 first.
 * Pair them with a default policy of reject or drop to deny everything else.
 */
export function rulesFromServiceTags(
  selection: PrefixSource,
  ports: readonly (string | number)[] = GUIDE_PORTS,
  options: ServiceTagRuleOptions = {},
): FirewallRuleInput[] {
  const checked = parsePorts([...ports], 'ports');
  const portList = formatPorts(checked).split(',');
  const raw = prefixesOf(selection);
  const cidrs = options.aggregate === false ? raw : aggregate(raw);
  const prefix = options.namePrefix ?? 'azure';
  return cidrs.map((c, i) => ({
    name: `${prefix}-${i + 1}`,
    verdict: options.verdict ?? 'accept',
    destination: formatCidr(c),
    ports: [...portList],
  }));
}
