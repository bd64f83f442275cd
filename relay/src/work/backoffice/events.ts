// Observability of the back-office client for tests and suites. In: breaker state changes and
// the outcome of each attempt. Out: messages on node:diagnostics_channel
// `relay:backoffice:breaker` and `relay:backoffice:attempt`. Payloads are flat objects of
// strings and numbers: service and route names, statuses, errnos, delays — never a URL, a
// header value, a body, an idempotency key or a secret.
import diagnostics from 'node:diagnostics_channel';

export const BACKOFFICE_CHANNELS = Object.freeze({
  /** {service, state, previous} — a circuit breaker changed state. */
  breaker: 'relay:backoffice:breaker',
  /** {service, route, attempt, outcome, status?, errno?, delayMs?, retryAfterMs?} — one attempt. */
  attempt: 'relay:backoffice:attempt',
} as const);

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerEvent {
  readonly service: string;
  readonly state: BreakerState;
  readonly previous: BreakerState;
}

/**
 * How one attempt ended: `success` (2xx/3xx), `permanent` (a refusal, returned to the caller),
 * `transient` (retried after delayMs, or the call gives up when delayMs is absent), `open` (the
 * breaker refused it: no request was sent), `aborted` (the caller's signal).
 */
export type AttemptOutcome = 'success' | 'permanent' | 'transient' | 'open' | 'aborted';

export interface AttemptEvent {
  readonly service: string;
  readonly route: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly outcome: AttemptOutcome;
  readonly status?: number;
  /** The errno of a failure without a usable answer (ECONNRESET, ETIMEDOUT, ...). */
  readonly errno?: string;
  /** The wait before the next attempt; present only when another attempt follows. */
  readonly delayMs?: number;
  /** What the back office asked for in Retry-After, when it did. */
  readonly retryAfterMs?: number;
}

function publish(name: string, data: object): void {
  const channel = diagnostics.channel(name);
  if (channel.hasSubscribers) channel.publish(data);
}

export function publishBreaker(e: BreakerEvent): void {
  publish(BACKOFFICE_CHANNELS.breaker, e);
}

export function publishAttempt(e: AttemptEvent): void {
  publish(BACKOFFICE_CHANNELS.attempt, e);
}
