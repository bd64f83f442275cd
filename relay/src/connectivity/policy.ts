// The egress policy, pure. In: the profile, the allowed port set, the allowed ranges (a
// RangeSet from relay/src/egress) and optionally a lookup saying where an address outside them
// is published (a refusal names the missing range), a dial request (logical host, port, purpose), the
// addresses the name resolved to and the network map (if any). Out: a DialPlan (the checked
// logical address and where the socket goes) or EgressError RELAY_E_EGRESS_PORT / _PLAIN /
// _RANGE / _UNMAPPED. Nothing here does IO: the dialer (egress.ts) calls it before any packet.
import { formatAddress, parseAddress } from '../egress/cidr';
import { checkAddress, type RangeSet } from '../egress/ranges';
import { PLAIN_AMQP_PORT, type Profile } from './config';
import { EgressError } from './errors';
import { mapEndpoint, type NetworkMap } from './network-map';

export interface EgressPolicy {
  readonly profile: Profile;
  readonly ports: ReadonlySet<number>;
  readonly ranges: RangeSet;
  /**
   * Says why an address is outside the ranges, in the terms of the source they were selected
   * from (relay/src/egress explainOutside: what was allowed, where the source publishes the
   * address instead, or that it does not): the tail of the refusal. Absent: plain prefixes.
   */
  readonly explainOutside?: (address: string) => string;
}

/** What is dialled and why. */
export interface DialRequest {
  /** The logical host name (or IP literal), e.g. council-42.servicebus.windows.net. */
  readonly host: string;
  readonly port: number;
  /** Why: 'probe', 'servicebus', 'servicebus-wss', 'hc-control', 'hc-rendezvous', ... */
  readonly purpose: string;
}

/** A checked dial: every resolved address was inside the ranges and the port is allowed. */
export interface DialPlan extends DialRequest {
  /** The logical address chosen (canonical text). */
  readonly address: string;
  /** Every address the name resolved to (all checked, canonical text). */
  readonly addresses: readonly string[];
  /** Where the socket goes: the map's loopback target, or the checked address itself. */
  readonly dial: { readonly host: string; readonly port: number };
  /** True when the network map supplied `dial`. */
  readonly mapped: boolean;
}

function describe(r: DialRequest): string {
  return `${r.host}:${r.port} (${r.purpose})`;
}

/** Refuses a port outside the allowed set, and plain AMQP outside development. */
export function checkPort(policy: EgressPolicy, request: DialRequest): void {
  const { port } = request;
  const details = { host: request.host, port, purpose: request.purpose };
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new EgressError('RELAY_E_EGRESS_PORT', `${describe(request)}: not a valid port`, details);
  }
  if (port === PLAIN_AMQP_PORT && policy.profile !== 'development') {
    throw new EgressError(
      'RELAY_E_EGRESS_PLAIN',
      `${describe(request)}: plain AMQP (5672) is allowed only in the development profile`,
      details,
    );
  }
  if (!policy.ports.has(port)) {
    const allowed = [...policy.ports].sort((a, b) => a - b).join(', ');
    throw new EgressError(
      'RELAY_E_EGRESS_PORT',
      `${describe(request)}: port ${port} is not in the allowed egress ports (${allowed})`,
      details,
    );
  }
}

/**
 * Checks EVERY resolved address against the ranges; one outside refuses the dial. Returns
 * the addresses in canonical text (an IPv4-mapped IPv6 address is checked as IPv4).
 */
export function checkAddresses(
  policy: EgressPolicy,
  request: DialRequest,
  addresses: readonly string[],
): string[] {
  const out: string[] = [];
  for (const raw of addresses) {
    let checked: ReturnType<typeof checkAddress>;
    try {
      checked = checkAddress(policy.ranges, raw);
    } catch {
      throw new EgressError(
        'RELAY_E_EGRESS_RANGE',
        `${describe(request)}: the resolver answered ${JSON.stringify(raw.slice(0, 64))}, which is not an IP address`,
        { host: request.host, port: request.port, purpose: request.purpose },
      );
    }
    if (!checked.contained) {
      const why = policy.explainOutside?.(checked.checked) ?? '';
      throw new EgressError(
        'RELAY_E_EGRESS_RANGE',
        `${describe(request)}: ${checked.checked} is outside the allowed ranges${why === '' ? '' : ` ${why}`}; nothing was dialled`,
        {
          host: request.host,
          port: request.port,
          purpose: request.purpose,
          address: checked.checked,
        },
      );
    }
    const canonical = formatAddress(parseAddress(raw));
    if (!out.includes(canonical)) out.push(canonical);
  }
  if (out.length === 0) {
    throw new EgressError('RELAY_E_EGRESS_RANGE', `${describe(request)}: no address to check`, {
      host: request.host,
      port: request.port,
      purpose: request.purpose,
    });
  }
  return out;
}

/**
 * The whole decision: port, then every address, then the map. With a map, the first
 * address that has an endpoint for the port is dialled through it (none: _UNMAPPED);
 * without a map (production) the first checked address is dialled itself, so the name is
 * never resolved again between the check and the connect.
 */
export function planDial(
  policy: EgressPolicy,
  request: DialRequest,
  addresses: readonly string[],
  map: NetworkMap | undefined,
): DialPlan {
  checkPort(policy, request);
  const checked = checkAddresses(policy, request, addresses);
  const first = checked[0] ?? '';
  if (map === undefined) {
    return Object.freeze({
      ...request,
      address: first,
      addresses: Object.freeze(checked),
      dial: Object.freeze({ host: first, port: request.port }),
      mapped: false,
    });
  }
  for (const address of checked) {
    const endpoint = mapEndpoint(map, address, request.port);
    if (endpoint !== undefined) {
      return Object.freeze({
        ...request,
        address,
        addresses: Object.freeze(checked),
        dial: Object.freeze({ host: endpoint.dial.host, port: endpoint.dial.port }),
        mapped: true,
      });
    }
  }
  throw new EgressError(
    'RELAY_E_EGRESS_UNMAPPED',
    `${describe(request)}: the network map has no endpoint for ${checked.join(', ')} port ${request.port}`,
    { host: request.host, port: request.port, purpose: request.purpose, address: first },
  );
}
