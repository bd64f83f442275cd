// Address-set arithmetic for the rules, on top of relay/src/egress/cidr.ts. In: prefixes or
// sorted disjoint intervals. Out: differences and complements (what a Windows block rule must
// name, what a diff added or removed), prefixes back from intervals, the Windows spelling of
// a range ("a-b"), and the --internal networks the rules never refuse. No IO.
import {
  formatAddress,
  formatCidr,
  mergeToIntervals,
  rangeToCidrs,
  tryParseCidr,
  type AddressInterval,
  type Cidr,
  type IpFamily,
} from '../../../relay/src/egress';
import { FirewallError } from './errors';

/** The networks a council's server reaches inside its own estate by default. */
export const DEFAULT_INTERNAL: readonly string[] = Object.freeze([
  '10.0.0.0/8', // RFC 1918
  '100.64.0.0/10', // RFC 6598 shared address space (carrier-grade NAT, some estates)
  '127.0.0.0/8', // loopback
  '169.254.0.0/16', // link-local
  '172.16.0.0/12', // RFC 1918
  '192.168.0.0/16', // RFC 1918
  '::1/128', // loopback
  'fc00::/7', // unique local
  'fe80::/10', // link-local
]);

function bitsOf(family: IpFamily): bigint {
  return family === 4 ? 32n : 128n;
}

/** `a` minus `b`: both sorted and disjoint, as mergeToIntervals returns them. Linear. */
export function subtractIntervals(
  a: readonly AddressInterval[],
  b: readonly AddressInterval[],
): AddressInterval[] {
  const out: AddressInterval[] = [];
  let j = 0;
  for (const r of a) {
    // Cuts wholly before r are wholly before every later interval of `a` too.
    for (let cut = b[j]; cut !== undefined && endsBefore(cut, r); cut = b[++j]);
    let first = r.first;
    for (let k = j, cut = b[k]; cut !== undefined; cut = b[++k]) {
      if (cut.family !== r.family || cut.first > r.last) break;
      if (cut.first > first) out.push({ family: r.family, first, last: cut.first - 1n });
      if (cut.last + 1n > first) first = cut.last + 1n;
      if (first > r.last) break;
    }
    if (first <= r.last) out.push({ family: r.family, first, last: r.last });
  }
  return out;
}

function endsBefore(cut: AddressInterval, r: AddressInterval): boolean {
  return cut.family < r.family || (cut.family === r.family && cut.last < r.first);
}

/** Every address of `family` that is not in `intervals`. */
export function complementIntervals(
  intervals: readonly AddressInterval[],
  family: IpFamily,
): AddressInterval[] {
  const all: AddressInterval = { family, first: 0n, last: (1n << bitsOf(family)) - 1n };
  return subtractIntervals(
    [all],
    intervals.filter((i) => i.family === family),
  );
}

/** The fewest prefixes covering exactly the intervals, in order. */
export function intervalsToCidrs(intervals: readonly AddressInterval[]): Cidr[] {
  return intervals.flatMap((i) => rangeToCidrs(i.family, i.first, i.last));
}

/** Sorted disjoint intervals of the prefixes (a re-export under the name this folder uses). */
export function toIntervals(cidrs: Iterable<Cidr>): AddressInterval[] {
  return mergeToIntervals(cidrs);
}

/** How many addresses the intervals hold. */
export function addressCount(intervals: readonly AddressInterval[]): bigint {
  return intervals.reduce((n, i) => n + (i.last - i.first + 1n), 0n);
}

/**
 * Windows spelling: a prefix when the interval is exactly one ("10.0.0.0/8"), one address
 * when it holds one, otherwise "first-last" (no spaces), as the firewall APIs accept.
 */
export function windowsRange(i: AddressInterval): string {
  const cidrs = rangeToCidrs(i.family, i.first, i.last);
  const only = cidrs.length === 1 ? cidrs[0] : undefined;
  if (only !== undefined) {
    return only.length === (i.family === 4 ? 32 : 128)
      ? formatAddress({ family: i.family, value: i.first })
      : formatCidr(only);
  }
  return `${formatAddress({ family: i.family, value: i.first })}-${formatAddress({ family: i.family, value: i.last })}`;
}

/**
 * The --internal value: "default" (DEFAULT_INTERNAL), "none", or a comma-separated list of
 * canonical CIDRs in which "default" may appear ("default,198.18.2.0/24"). Throws
 * FIREWALL_E_INTERNAL.
 */
export function parseInternal(raw: string): Cidr[] {
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) {
    throw new FirewallError(
      'FIREWALL_E_INTERNAL',
      'name the internal networks: "default", "none" or a list of CIDRs',
    );
  }
  if (items.some((i) => i.toLowerCase() === 'none')) {
    if (items.length > 1) {
      throw new FirewallError(
        'FIREWALL_E_INTERNAL',
        `"none" cannot be combined with other networks (got "${raw}")`,
        { value: raw },
      );
    }
    return [];
  }
  const out: Cidr[] = [];
  for (const item of items) {
    const texts = item.toLowerCase() === 'default' ? DEFAULT_INTERNAL : [item];
    for (const text of texts) {
      const c = tryParseCidr(text);
      if (typeof c === 'string') {
        throw new FirewallError(
          'FIREWALL_E_INTERNAL',
          `internal network "${text}" is not a canonical CIDR: ${c}`,
          { value: text },
        );
      }
      out.push(c);
    }
  }
  return out;
}
