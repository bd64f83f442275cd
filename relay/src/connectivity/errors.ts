// The typed refusals and failures of the relay's egress layer and connectivity auto-detect.
// In: a code of the `relay-egress` family, a message and safe details (host, port, purpose,
// errno; never a key, token or URL query). Out: an EgressError, the only exception the
// policy, the dialer, the probes and the client builders raise on purpose.
import { defineErrors, familyError } from '../protocol/errors';

export const RELAY_EGRESS_ERRORS = defineErrors('relay-egress', {
  RELAY_E_EGRESS_CONFIG: {
    summary:
      'The connectivity, egress or TLS section of the relay configuration is invalid (details.path names the field).',
  },
  RELAY_E_EGRESS_PORT: {
    summary: 'The port is not in the allowed egress set: the dial is refused before any packet.',
  },
  RELAY_E_EGRESS_PLAIN: {
    summary:
      'Plain AMQP on port 5672 was asked for in the production profile: refused before any packet.',
  },
  RELAY_E_EGRESS_DNS: {
    summary: 'The host name could not be resolved (no answer, or no such name in the network map).',
  },
  RELAY_E_EGRESS_RANGE: {
    summary:
      'A resolved address is outside the allowed Azure ranges: the dial is refused before any packet.',
  },
  RELAY_E_EGRESS_UNMAPPED: {
    summary:
      'A network map is configured but has no endpoint for the checked address and port: not dialled.',
  },
  RELAY_E_EGRESS_MAP: {
    summary: 'The network map file cannot be read or is not a valid version 1 network map.',
  },
  RELAY_E_EGRESS_CA: {
    summary: 'The configured CA file cannot be read or holds no usable PEM certificate.',
  },
  RELAY_E_EGRESS_REFUSED: {
    summary:
      'The connection was actively refused (ECONNREFUSED): a firewall reject or no listener.',
  },
  RELAY_E_EGRESS_TIMEOUT: {
    summary:
      'Resolving, connecting or the TLS handshake did not finish within the bound (a dropping firewall).',
  },
  RELAY_E_EGRESS_TLS: {
    summary:
      'The TLS handshake failed: a version below the configured minimum, an untrusted or mismatched certificate.',
  },
  RELAY_E_EGRESS_CONNECT: {
    summary: 'The connection failed for another reason (reset, unreachable, closed during TLS).',
  },
  RELAY_E_EGRESS_ABORTED: {
    summary: 'The dial was cancelled before it completed (shutdown or a newer probe round).',
  },
  RELAY_E_EGRESS_MODE: {
    summary:
      'A client was asked for a connectivity mode that carries no traffic (none) or that is unknown.',
  },
});

export type EgressErrorCode = (typeof RELAY_EGRESS_ERRORS.codes)[number];

/** A typed refusal or failure of the egress layer. */
export class EgressError extends familyError(RELAY_EGRESS_ERRORS) {}

/** True when `e` is an EgressError (optionally with the given code). */
export function isEgressError(e: unknown, code?: EgressErrorCode): e is EgressError {
  return e instanceof EgressError && (code === undefined || e.code === code);
}

/** Codes that mean "the policy refused this dial" (nothing was sent). */
export const POLICY_CODES: ReadonlySet<EgressErrorCode> = new Set<EgressErrorCode>([
  'RELAY_E_EGRESS_PORT',
  'RELAY_E_EGRESS_PLAIN',
  'RELAY_E_EGRESS_RANGE',
  'RELAY_E_EGRESS_UNMAPPED',
]);
