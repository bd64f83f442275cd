// Address checks the network model shares, on top of the relay's own CIDR code
// (relay/src/egress/cidr.ts). In: address, prefix and port text from config, rules and the
// control API. Out: parsed values, loopback verdicts, and typed refusals
// (SIM_E_NET_CIDR, SIM_E_NET_NOT_LOOPBACK, SIM_E_NET_PORT). Pure.
import {
  cidrContains,
  formatAddress,
  parseAddress,
  parseCidr,
  tryParseCidr,
  type Address,
  type Cidr,
} from '../../../relay/src/egress/cidr';
import { isRangesError } from '../../../relay/src/egress/errors';
import { SimNetError } from './errors';

/** The ports the simulator serves (integration proxy guide; PROTOCOLS.md §1). */
export const SERVED_PORTS: readonly number[] = Object.freeze([
  80, 443, 5671, 5672, 9350, 9351, 9352, 9353, 9354,
]);

/** The guide's outbound port list, as firewall port specs. */
export const GUIDE_PORTS: readonly string[] = Object.freeze([
  '80',
  '443',
  '5671',
  '5672',
  '9350-9354',
]);

const LOOPBACK: readonly Cidr[] = Object.freeze([parseCidr('127.0.0.0/8'), parseCidr('::1/128')]);

/** Parses an address (IPv4-mapped IPv6 becomes IPv4); SIM_E_NET_CIDR when it is not one. */
export function toAddress(text: unknown, what: string): Address {
  if (typeof text !== 'string') {
    throw new SimNetError('SIM_E_NET_CIDR', `${what} must be an IP address in text`);
  }
  try {
    return parseAddress(text);
  } catch (e) {
    if (isRangesError(e)) throw new SimNetError('SIM_E_NET_CIDR', `${what}: ${e.message}`);
    throw e;
  }
}

/** Canonical text of an address given as text. */
export function canonicalAddress(text: string, what: string): string {
  return formatAddress(toAddress(text, what));
}

/**
 * Parses a prefix for a rule or a pool: a canonical CIDR, or a bare address (its /32 or
 * /128). SIM_E_NET_CIDR naming `what` and the reason otherwise.
 */
export function toCidr(text: unknown, what: string): Cidr {
  if (typeof text !== 'string') {
    throw new SimNetError('SIM_E_NET_CIDR', `${what} must be a CIDR prefix in text`);
  }
  if (!text.includes('/')) {
    const a = toAddress(text, what);
    return { family: a.family, network: a.value, length: a.family === 4 ? 32 : 128 };
  }
  const r = tryParseCidr(text);
  if (typeof r === 'string') {
    throw new SimNetError(
      'SIM_E_NET_CIDR',
      `${what}: ${JSON.stringify(text)} is not a canonical CIDR: ${r}`,
      {
        value: text,
      },
    );
  }
  return r;
}

/** True when `host` is a literal loopback address (127.0.0.0/8, ::1, ::ffff:127.x.y.z). */
export function isLoopbackLiteral(host: string): boolean {
  let a: Address;
  try {
    a = parseAddress(host);
  } catch {
    return false;
  }
  return LOOPBACK.some((c) => cidrContains(c, a));
}

/**
 * Refuses anything but a literal loopback address with SIM_E_NET_NOT_LOOPBACK. Names
 * (even "localhost") are refused: they would need a real resolver to mean anything.
 */
export function assertLoopback(host: unknown, what: string): string {
  if (typeof host !== 'string' || !isLoopbackLiteral(host)) {
    throw new SimNetError(
      'SIM_E_NET_NOT_LOOPBACK',
      `${what} must be a literal loopback address (127.0.0.0/8 or ::1), not ${JSON.stringify(host)}`,
      { value: typeof host === 'string' ? host : undefined },
    );
  }
  return host;
}

/** An inclusive port range. */
export interface PortRange {
  readonly from: number;
  readonly to: number;
}

const PORT_TEXT = /^(\d{1,5})(?:-(\d{1,5}))?$/;

function portNumber(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 1 || n > 65535) {
    throw new SimNetError('SIM_E_NET_PORT', `${what}: ${n} is not a port (1-65535)`);
  }
  return n;
}

/**
 * Parses port specs: a number, "443", "9350-9354", "any", or an array of those. Returns
 * undefined for "any". SIM_E_NET_PORT otherwise.
 */
export function parsePorts(spec: unknown, what: string): readonly PortRange[] | undefined {
  if (spec === 'any') return undefined;
  const items: unknown[] = Array.isArray(spec) ? spec : [spec];
  if (items.length === 0) {
    throw new SimNetError('SIM_E_NET_PORT', `${what}: name at least one port, or "any"`);
  }
  const out: PortRange[] = [];
  for (const item of items) {
    if (typeof item === 'number') {
      const p = portNumber(item, what);
      out.push({ from: p, to: p });
      continue;
    }
    if (item === 'any') return undefined;
    const m = typeof item === 'string' ? PORT_TEXT.exec(item.trim()) : null;
    if (m === null) {
      throw new SimNetError(
        'SIM_E_NET_PORT',
        `${what}: ${JSON.stringify(item)} is not a port, a range "from-to" or "any"`,
      );
    }
    const from = portNumber(Number(m[1]), what);
    const to = m[2] === undefined ? from : portNumber(Number(m[2]), what);
    if (to < from) {
      throw new SimNetError(
        'SIM_E_NET_PORT',
        `${what}: the range ${item as string} runs backwards`,
      );
    }
    out.push({ from, to });
  }
  return Object.freeze(out);
}

/** Text of a port list: "443", "9350-9354", "any". */
export function formatPorts(ports: readonly PortRange[] | undefined): string {
  if (ports === undefined) return 'any';
  return ports.map((p) => (p.from === p.to ? String(p.from) : `${p.from}-${p.to}`)).join(',');
}

/** Refuses a port the simulator does not serve. */
export function assertServedPort(port: number, what: string): number {
  if (!SERVED_PORTS.includes(port)) {
    throw new SimNetError(
      'SIM_E_NET_PORT',
      `${what}: port ${port} is not one the simulator serves (${SERVED_PORTS.join(', ')})`,
      { port },
    );
  }
  return port;
}
