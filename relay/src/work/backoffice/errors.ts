// The typed errors of the relay's back-office client (family `relay-backoffice`). In: a code, a
// message and safe details (service, route, attempts, status, errno — never a URL, header value,
// body or key). Out: RelayBackOfficeError, and settlementOf(): what a caller does with any error
// of a back-office call (abandon for a later redelivery, or dead-letter with a readable reason).
import { defineErrors, familyError, isRelaycheckError } from '../../protocol/errors';

/**
 * The `http` of each code is the status a tenant sees when the error is answered over HTTP.
 * RELAY_E_BACKOFFICE_REFUSED renders 502 (the back office, not the relay, refused); the back
 * office's own status is in `details.status` for a caller that wants to pass a 4xx through.
 */
export const RELAY_BACKOFFICE_ERRORS = defineErrors('relay-backoffice', {
  RELAY_E_BACKOFFICE_CONFIG: {
    summary:
      'The back-office client options are invalid (a base URL that is not http(s) or carries credentials, a query or a fragment; a limit out of range): the relay does not start.',
  },
  RELAY_E_BACKOFFICE_REQUEST: {
    summary:
      'A call to the back-office client is unusable (an idempotency key that is not 1-200 printable ASCII characters, a header HTTP cannot carry, a body on GET or HEAD, a bad route label): refused before any request is sent.',
    http: 400,
  },
  RELAY_E_BACKOFFICE_TRANSIENT: {
    summary:
      'The back office kept failing transiently (408, 425, 429, 500, 502, 503, 504, reset, refused, timed out, an error mid-body) through the last attempt, asked to wait longer than retryAfterCapMs, or failed once with a body that cannot be replayed: the work is abandoned and comes back later.',
    http: 503,
  },
  RELAY_E_BACKOFFICE_OPEN: {
    summary:
      "The back-office service's circuit breaker is open after repeated transient failures (or a Retry-After over the cap): no request was sent; a Service Bus message waited for a probe first, for up to two open periods (details.retryInMs says when a probe is allowed); the work is abandoned.",
    http: 503,
  },
  RELAY_E_BACKOFFICE_BUSY: {
    summary:
      "The route's concurrent back-office calls and its wait queue are full: a Hybrid Connections call is refused at once (back-pressure, no unbounded queue); a Service Bus message is never refused as busy, it waits its turn.",
    http: 503,
  },
  RELAY_E_BACKOFFICE_ABORTED: {
    summary:
      'The caller aborted the call (shutdown, lost lock) or its lock could not be renewed before a retry: no further attempt is made and the work is abandoned.',
    http: 503,
  },
  RELAY_E_BACKOFFICE_REFUSED: {
    summary:
      "The back office refused the work with a permanent answer (a 4xx other than 408, 425 and 429, or 501, 505 and other non-retryable 5xx): dead-lettered with details.status and at most 200 characters of the back office's own reason.",
    http: 502,
  },
});

export type BackOfficeErrorCode = (typeof RELAY_BACKOFFICE_ERRORS.codes)[number];

/** A failure of a back-office call, or of the client's configuration. */
export class RelayBackOfficeError extends familyError(RELAY_BACKOFFICE_ERRORS) {}

export function isBackOfficeError(
  e: unknown,
  code?: BackOfficeErrorCode,
): e is RelayBackOfficeError {
  return e instanceof RelayBackOfficeError && (code === undefined || e.code === code);
}

/** Codes after which the work is abandoned (it comes back later) rather than dead-lettered. */
export const ABANDON_CODES: ReadonlySet<string> = new Set([
  'RELAY_E_BACKOFFICE_TRANSIENT',
  'RELAY_E_BACKOFFICE_OPEN',
  'RELAY_E_BACKOFFICE_BUSY',
  'RELAY_E_BACKOFFICE_ABORTED',
]);

/** Codes after which the work is dead-lettered: retrying cannot help. */
export const DEAD_LETTER_CODES: ReadonlySet<string> = new Set([
  'RELAY_E_BACKOFFICE_REFUSED',
  'RELAY_E_BACKOFFICE_REQUEST',
  'RELAY_E_ROUTE_UNKNOWN',
  'RELAY_E_ROUTE_PATH',
]);

export type Settlement =
  | {
      readonly action: 'abandon';
      readonly code: string;
      /**
       * Keep the message locked this long before abandoning it, so that a redelivery does not
       * come back before the failing service may be tried again (an open breaker's retryInMs).
       */
      readonly holdMs?: number;
    }
  | {
      readonly action: 'dead-letter';
      /** For DeadLetterReason: the stable code. */
      readonly reason: string;
      /** For DeadLetterErrorDescription: the error's message (readable, no secrets). */
      readonly description: string;
    };

/**
 * What to do with a message whose back-office call failed with `e`: dead-letter for a permanent
 * refusal or an unusable call (typed codes of DEAD_LETTER_CODES), abandon for everything else —
 * an unknown error included, so that Service Bus's max delivery count decides in the end.
 */
export function settlementOf(e: unknown): Settlement {
  if (isRelaycheckError(e) && DEAD_LETTER_CODES.has(e.code)) {
    return { action: 'dead-letter', reason: e.code, description: e.message.slice(0, 1024) };
  }
  return { action: 'abandon', code: isRelaycheckError(e) ? e.code : 'unknown' };
}
