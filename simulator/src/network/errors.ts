// The typed refusals of the simulator's network model (DNS, egress firewall, endpoint
// proxies, faults). In: a code of the `sim-network` family, a message and safe details
// (path, name, address, port, fault). Out: a SimNetError whose `http` is the status the
// control API answers with. Addresses here are logical names or loopback ports: no secrets.
import { defineErrors, familyError } from '../../../relay/src/protocol/errors';

export const SIM_NET_ERRORS = defineErrors('sim-network', {
  SIM_E_NET_CONFIG: {
    summary:
      'The network model configuration is invalid (the message and details.path name the offending field).',
    http: 400,
  },
  SIM_E_NET_NOT_LOOPBACK: {
    summary:
      'A listener or a dial target is not a loopback address (127.0.0.0/8 or ::1); the network model never binds or dials anything else.',
  },
  SIM_E_NET_CIDR: {
    summary:
      'An address or prefix in a rule, a DNS answer or the address pool is not a valid canonical IPv4/IPv6 address or CIDR.',
    http: 400,
  },
  SIM_E_NET_PORT: {
    summary:
      'A port or port range is malformed, or names a port the simulator does not serve (80, 443, 5671, 5672, 9350-9354).',
    http: 400,
  },
  SIM_E_NET_RULE: {
    summary:
      'A firewall rule is malformed: an unknown verdict, a missing destination or ports, a duplicate rule name.',
    http: 400,
  },
  SIM_E_NET_NXDOMAIN: {
    summary:
      'The DNS model has no answer for this name (the resolver reports it like ENOTFOUND; no real DNS is ever asked).',
    http: 404,
  },
  SIM_E_NET_POOL: {
    summary:
      'No logical address can be drawn: the selected ranges hold no IPv4 prefix, or a move needs a second prefix that the ranges do not have.',
    http: 409,
  },
  SIM_E_NET_UNKNOWN_ENDPOINT: {
    summary: 'No logical endpoint (host, address, port) matches the request.',
    http: 404,
  },
  SIM_E_NET_FAULT_TYPE: {
    summary:
      'The fault type is not one the proxies know (latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data, down).',
    http: 400,
  },
  SIM_E_NET_FAULT: {
    summary:
      'A fault is malformed: unknown or out-of-range attributes, a bad direction or toxicity (a down fault must have toxicity 1), or a name already in use.',
    http: 400,
  },
  SIM_E_NET_UNKNOWN_FAULT: { summary: 'No active fault has this name.', http: 404 },
  SIM_E_NET_BIND: {
    summary:
      'An endpoint proxy could not listen, or could not take its loopback port back after refusing (another process holds it).',
    http: 503,
  },
  SIM_E_NET_CLOSED: { summary: 'The network model has been closed.', http: 503 },
});

export type SimNetCode = (typeof SIM_NET_ERRORS.codes)[number];

/** A refusal of the network model. */
export class SimNetError extends familyError(SIM_NET_ERRORS) {}

/** True when `e` is a SimNetError (optionally with the given code). */
export function isSimNetError(e: unknown, code?: SimNetCode): e is SimNetError {
  return e instanceof SimNetError && (code === undefined || e.code === code);
}
