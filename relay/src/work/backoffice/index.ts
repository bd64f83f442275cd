// The relay's back-office client, for the dispatcher and the Service Bus and Hybrid Connections
// paths. In: calls to configured back-office services. Out: answers after retries, back-off,
// Retry-After, a breaker per service and bounded concurrency per route; typed errors that say
// whether to abandon the work or dead-letter it (settlementOf).
export {
  BREAKER_PROBE_POLL_MS,
  BREAKER_WAIT_CAP_MS,
  breakerWaitMs,
  createBackOfficeClient,
  refusedError,
  type BackOfficeCall,
  type BackOfficeClient,
  type BackOfficeDeps,
  type BackOfficeResponse,
  type FetchLike,
} from './client';
export {
  deliveryOptionsSchema,
  parseBackOfficeConfig,
  type BackOfficeConfig,
  type BackOfficeConfigInput,
  type DeliveryOptions,
} from './config';
export {
  ABANDON_CODES,
  DEAD_LETTER_CODES,
  isBackOfficeError,
  RELAY_BACKOFFICE_ERRORS,
  RelayBackOfficeError,
  settlementOf,
  type BackOfficeErrorCode,
  type Settlement,
} from './errors';
export {
  BACKOFFICE_CHANNELS,
  type AttemptEvent,
  type AttemptOutcome,
  type BreakerEvent,
  type BreakerState,
} from './events';
export {
  CircuitBreaker,
  type BreakerGate,
  type BreakerOptions,
  type BreakerTicket,
} from './breaker';
export { RouteLimiter, type LimiterOptions, type Release, type RouteLoad } from './limiter';
export {
  backoffBounds,
  backoffDelay,
  classifyError,
  classifyStatus,
  errnoOf,
  MAX_ERROR_BODY_BYTES,
  MAX_REASON_CHARS,
  parseRetryAfter,
  reasonText,
  retryDelay,
  TRANSIENT_STATUSES,
  type BackoffOptions,
  type Verdict,
} from './policy';
