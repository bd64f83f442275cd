// IPv4 and IPv6 prefix arithmetic. In: address and CIDR text ("51.140.146.48/29",
// "2603:1020:705::700/120", "::ffff:51.140.146.50"). Out: Address/Cidr values (family,
// bigint, length), containment tests, canonical text, and aggregation (the fewest prefixes
// covering exactly the same addresses: sort, merge intervals, split back into blocks).
// Text is checked strictly before ipaddr.js parses it: four-part decimal IPv4 with no
// leading zeros, IPv6 groups of 1-4 hex digits, no zone id, no IPv4-compatible `::a.b.c.d`.
// Errors: RangesError IP_E_ADDRESS (addresses) and IP_E_CIDR (prefixes).
import ipaddr from 'ipaddr.js';
import { RangesError } from './errors';

export type IpFamily = 4 | 6;

/** An address: its family and its value as an unsigned integer of 32 or 128 bits. */
export interface Address {
  readonly family: IpFamily;
  readonly value: bigint;
}

/** A prefix: the first address of the block (host bits zero) and the prefix length. */
export interface Cidr {
  readonly family: IpFamily;
  readonly network: bigint;
  readonly length: number;
}

/** Number of bits in an address of this family. */
export function familyBits(family: IpFamily): number {
  return family === 4 ? 32 : 128;
}

const IPV4_STRICT = /^(?:0|[1-9]\d{0,2})(?:\.(?:0|[1-9]\d{0,2})){3}$/;
const IPV6_CHARS = /^[0-9A-Fa-f:.]+$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;
const PREFIX_LENGTH = /^(?:0|[1-9]\d{0,2})$/;

/** Why `text` is not an address in the strict spelling, or undefined when it is one. */
function ipv6Problem(text: string): string | undefined {
  if (text.includes('%')) return 'a zone id (%...) is not allowed';
  if (!IPV6_CHARS.test(text)) return 'it contains characters an IPv6 address cannot contain';
  const groups = text.split(':');
  const last = groups[groups.length - 1] ?? '';
  const dotted = last.includes('.');
  if (dotted) {
    if (!IPV4_STRICT.test(last) || !ipaddr.IPv4.isValid(last)) {
      return 'its embedded IPv4 part is not four decimal octets without leading zeros';
    }
    if (/^::(?:\d|$)/.test(text) && !/^::ffff:/i.test(text)) {
      return 'the deprecated IPv4-compatible form ::a.b.c.d is ambiguous; write ::ffff:a.b.c.d or a.b.c.d';
    }
  }
  const hexGroups = dotted ? groups.slice(0, -1) : groups;
  for (const g of hexGroups) {
    if (g !== '' && !HEX_GROUP.test(g)) return `"${g}" is not a group of 1 to 4 hex digits`;
  }
  return undefined;
}

/** Parses strictly spelled text into an address without mapping IPv4-mapped IPv6. */
function parseRaw(text: string): Address | string {
  if (text === '') return 'it is empty';
  if (text.includes(':')) {
    const problem = ipv6Problem(text);
    if (problem !== undefined) return problem;
    let parts: number[];
    try {
      parts = ipaddr.IPv6.parse(text).parts;
    } catch {
      return 'it is not a valid IPv6 address';
    }
    let hex = '0x';
    for (const p of parts) hex += p.toString(16).padStart(4, '0');
    return { family: 6, value: BigInt(hex) };
  }
  if (!IPV4_STRICT.test(text)) return 'it is not four decimal octets without leading zeros';
  let octets: number[];
  try {
    octets = ipaddr.IPv4.parse(text).octets;
  } catch {
    return 'an octet is above 255';
  }
  const [a = 0, b = 0, c = 0, d = 0] = octets;
  return { family: 4, value: BigInt(((a << 24) | (b << 16) | (c << 8) | d) >>> 0) };
}

const MAPPED_PREFIX = 0xffffn << 32n;
const LOW32 = 0xffffffffn;

/** True when a 128-bit value is an IPv4-mapped IPv6 address (::ffff:0:0/96). */
function isMapped(value: bigint): boolean {
  return value >> 32n === 0xffffn;
}

/**
 * Parses an address to check. IPv4-mapped IPv6 (`::ffff:a.b.c.d`, in any spelling) becomes
 * the IPv4 address, so it meets the same IPv4 prefixes. Throws IP_E_ADDRESS.
 */
export function parseAddress(text: string): Address {
  const raw = typeof text === 'string' ? parseRaw(text) : 'it is not text';
  if (typeof raw === 'string') {
    throw new RangesError('IP_E_ADDRESS', `${JSON.stringify(text)} is not an IP address: ${raw}`, {
      value: typeof text === 'string' ? text : undefined,
    });
  }
  if (raw.family === 6 && isMapped(raw.value)) return { family: 4, value: raw.value & LOW32 };
  return raw;
}

/** Canonical text: dotted decimal for IPv4, RFC 5952 for IPv6. */
export function formatAddress(a: Address): string {
  if (a.family === 4) {
    const v = Number(a.value);
    return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  const bytes: number[] = [];
  for (let shift = 120n; shift >= 0n; shift -= 8n) bytes.push(Number((a.value >> shift) & 255n));
  return ipaddr.fromByteArray(bytes).toString();
}

/** The netmask of a prefix length as a bigint of `bits` bits. */
function maskOf(length: number, bits: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return all ^ ((1n << BigInt(bits - length)) - 1n);
}

/** Why `text` is not a canonical CIDR, or the parsed CIDR. */
export function tryParseCidr(text: string): Cidr | string {
  if (typeof text !== 'string') return 'it is not text';
  const slash = text.indexOf('/');
  if (slash < 0) return 'it has no /length';
  const addrText = text.slice(0, slash);
  const lenText = text.slice(slash + 1);
  const raw = parseRaw(addrText);
  if (typeof raw === 'string') return `its address part ${raw}`;
  const bits = familyBits(raw.family);
  if (!PREFIX_LENGTH.test(lenText)) return `its length "${lenText}" is not a decimal number`;
  const length = Number(lenText);
  if (length > bits) return `its length ${length} is longer than ${bits} bits`;
  if (raw.family === 6 && length >= 96 && isMapped(raw.value)) {
    return 'it is an IPv4-mapped IPv6 prefix; write it as an IPv4 prefix';
  }
  const network = raw.value & maskOf(length, bits);
  if (network !== raw.value) {
    const fixed = formatCidr({ family: raw.family, network, length });
    return `its host bits are not zero (the ${length}-bit network is ${fixed})`;
  }
  return { family: raw.family, network, length };
}

/** Parses a canonical CIDR (host bits zero). Throws IP_E_CIDR naming the value. */
export function parseCidr(text: string): Cidr {
  const r = tryParseCidr(text);
  if (typeof r === 'string') {
    throw new RangesError('IP_E_CIDR', `${JSON.stringify(text)} is not a canonical CIDR: ${r}`, {
      value: typeof text === 'string' ? text : undefined,
    });
  }
  return r;
}

/** Canonical text of a prefix. */
export function formatCidr(c: Cidr): string {
  return `${formatAddress({ family: c.family, value: c.network })}/${c.length}`;
}

/** The first and last address of a prefix. */
export function cidrRange(c: Cidr): { readonly first: bigint; readonly last: bigint } {
  const size = 1n << BigInt(familyBits(c.family) - c.length);
  return { first: c.network, last: c.network + size - 1n };
}

/** True when the prefix holds the address (families must match; no mapping here). */
export function cidrContains(c: Cidr, a: Address): boolean {
  if (c.family !== a.family) return false;
  const shift = BigInt(familyBits(c.family) - c.length);
  return a.value >> shift === c.network >> shift;
}

/** True when `outer` holds every address of `inner`. */
export function cidrCovers(outer: Cidr, inner: Cidr): boolean {
  return (
    outer.family === inner.family &&
    outer.length <= inner.length &&
    cidrContains(outer, { family: inner.family, value: inner.network })
  );
}

/** Deterministic order: IPv4 before IPv6, then by network, then shorter prefix first. */
export function compareCidr(a: Cidr, b: Cidr): number {
  if (a.family !== b.family) return a.family - b.family;
  if (a.network !== b.network) return a.network < b.network ? -1 : 1;
  return a.length - b.length;
}

/** log2 of a power of two. */
function log2(powerOfTwo: bigint): number {
  return powerOfTwo.toString(2).length - 1;
}

/** The fewest prefixes covering exactly [first, last] (greedy largest aligned blocks). */
export function rangeToCidrs(family: IpFamily, first: bigint, last: bigint): Cidr[] {
  const bits = familyBits(family);
  const out: Cidr[] = [];
  let cur = first;
  while (cur <= last) {
    let size = cur === 0n ? 1n << BigInt(bits) : cur & -cur;
    const remaining = last - cur + 1n;
    while (size > remaining) size >>= 1n;
    out.push({ family, network: cur, length: bits - log2(size) });
    cur += size;
  }
  return out;
}

/** An inclusive interval of addresses of one family. */
export interface AddressInterval {
  readonly family: IpFamily;
  readonly first: bigint;
  readonly last: bigint;
}

/**
 * Sorted, disjoint, non-adjacent intervals covering exactly the union of the prefixes.
 * O(n log n): sort by start, then one merging pass.
 */
export function mergeToIntervals(cidrs: Iterable<Cidr>): AddressInterval[] {
  const ranges = Array.from(cidrs, (c) => ({ family: c.family, ...cidrRange(c) }));
  ranges.sort((a, b) =>
    a.family !== b.family
      ? a.family - b.family
      : a.first < b.first
        ? -1
        : a.first > b.first
          ? 1
          : 0,
  );
  const out: { family: IpFamily; first: bigint; last: bigint }[] = [];
  for (const r of ranges) {
    const top = out[out.length - 1];
    if (top?.family === r.family && r.first <= top.last + 1n) {
      if (r.last > top.last) top.last = r.last;
    } else {
      out.push({ ...r });
    }
  }
  return out;
}

/**
 * The fewest prefixes covering exactly the same addresses as `cidrs`, per family,
 * IPv4 first then in numeric order. Overlapping, contained and adjacent prefixes merge.
 */
export function aggregate(cidrs: Iterable<Cidr>): Cidr[] {
  return mergeToIntervals(cidrs).flatMap((r) => rangeToCidrs(r.family, r.first, r.last));
}

/** Binary search: is the address inside one of the sorted disjoint intervals? */
export function intervalsContain(intervals: readonly AddressInterval[], a: Address): boolean {
  let lo = 0;
  let hi = intervals.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const r = intervals[mid];
    if (r === undefined) return false;
    if (r.family < a.family || (r.family === a.family && r.last < a.value)) lo = mid + 1;
    else if (r.family > a.family || r.first > a.value) hi = mid - 1;
    else return true;
  }
  return false;
}

/** The IPv4-mapped IPv6 form of an IPv4 address (for callers that need one family). */
export function toMappedIpv6(a: Address): Address {
  return a.family === 6 ? a : { family: 6, value: MAPPED_PREFIX | a.value };
}
