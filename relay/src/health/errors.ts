// The typed failures of the relay's health/metrics endpoint and its metrics registry. In: a
// code of the `relay-health` family, a message and safe details. Out: a RelayHealthError. A
// non-loopback host is refused with RELAY_E_CONFIG (relay/src/config/errors.ts) instead.
import { defineErrors, familyError } from '../protocol/errors';

export const RELAY_HEALTH_ERRORS = defineErrors('relay-health', {
  RELAY_E_HEALTH_LISTEN: {
    summary:
      'The health/metrics endpoint could not listen: the port is in use or not permitted, or the socket it got is not on a loopback address.',
  },
  RELAY_E_METRICS: {
    summary:
      'A metric was misused: an invalid or re-registered name, unknown or missing labels, a negative counter increment, or a value that is not a number.',
  },
});

export type RelayHealthErrorCode = (typeof RELAY_HEALTH_ERRORS.codes)[number];

/** A failure of the health endpoint or the metrics registry. */
export class RelayHealthError extends familyError(RELAY_HEALTH_ERRORS) {}

/** True when `e` is a RelayHealthError (optionally with the given code). */
export function isRelayHealthError(e: unknown, code?: RelayHealthErrorCode): e is RelayHealthError {
  return e instanceof RelayHealthError && (code === undefined || e.code === code);
}
