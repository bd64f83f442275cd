// The typed errors of the relay's antivirus scan (family `relay-antivirus`) and what a caller does
// with them. In: a code, a message and safe details (the signature name clipped to 120 printable
// ASCII characters, byte counts, the step that failed, a system error code — never body bytes).
// Out: RelayAvError, isRelayAvError(), AV_DEAD_LETTER_CODES (permanent) and clipSignature().
import { defineErrors, familyError } from '../../protocol/errors';

export const RELAY_AV_ERRORS = defineErrors('relay-antivirus', {
  RELAY_E_AV_INFECTED: {
    summary:
      'clamd found a signature in the body (details.signature names it as clamd reported it): nothing is written and the message is dead-lettered.',
    http: 422,
  },
  RELAY_E_AV_UNAVAILABLE: {
    summary:
      'clamd could not scan the body: unreachable, timed out, closed the connection early, answered something unparseable or reported a resource error. Raised only under onUnavailable fail-closed (the default): nothing is written and the message is retried.',
    http: 503,
  },
  RELAY_E_AV_UNSCANNABLE: {
    summary:
      "The body cannot be scanned: larger than maxBytes, over clamd's StreamMaxLength, or clamd answered an ERROR for the stream. Raised only under onUnavailable fail-closed: nothing is written and the message is dead-lettered.",
    http: 422,
  },
  RELAY_E_AV_ABORTED: {
    summary:
      "The caller's signal fired during the scan (shutdown, lost lock): the connection to clamd is closed and the body destroyed; the message is retried.",
    http: 503,
  },
  RELAY_E_AV_BODY: {
    summary:
      'The body to scan failed before its end (its stream errored) or was not bytes: the connection to clamd is closed; the message is retried.',
    http: 503,
  },
  RELAY_E_AV_CONFIG: {
    summary:
      'The antivirus configuration is invalid (a socket that is not an absolute path, a host that is not loopback, a port, timeout or size out of range, an unknown field): the relay does not start; details.path names the field.',
  },
});

export type RelayAvErrorCode = (typeof RELAY_AV_ERRORS.codes)[number];

/** A refused, failed or unscannable scan, or a bad antivirus configuration. */
export class RelayAvError extends familyError(RELAY_AV_ERRORS) {}

/** True when `e` is a RelayAvError (of `code`, when given). */
export function isRelayAvError(e: unknown, code?: RelayAvErrorCode): e is RelayAvError {
  return e instanceof RelayAvError && (code === undefined || e.code === code);
}

/**
 * Codes after which the message is dead-lettered: the same body gives the same answer again.
 * RELAY_E_AV_UNAVAILABLE, RELAY_E_AV_ABORTED and RELAY_E_AV_BODY are transient: retried.
 */
export const AV_DEAD_LETTER_CODES: ReadonlySet<string> = new Set<RelayAvErrorCode>([
  'RELAY_E_AV_INFECTED',
  'RELAY_E_AV_UNSCANNABLE',
]);

/** The most characters of a signature name a message or detail ever holds. */
export const SIGNATURE_CLIP = 120;

/** A signature name cut to SIGNATURE_CLIP characters, anything outside printable ASCII as '?'. */
export function clipSignature(name: string): string {
  return name.slice(0, SIGNATURE_CLIP).replace(/[^\x20-\x7e]/g, '?');
}
