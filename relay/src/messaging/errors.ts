// The typed errors of the relay's messaging (relay/src/messaging/). In: a code of the
// `relay-session` family (the handshake over Service Bus) or the `relay-work` family (sealed work
// over Service Bus and Hybrid Connections), a message and safe details. Out: typed errors whose
// `http` is the status the sealed HC adapter answers with. Keys never go into messages or details.
import { defineErrors, familyError } from '../protocol/errors';

export const RELAY_SESSION_ERRORS = defineErrors('relay-session', {
  RELAY_E_SESSION_CONFIG: {
    summary:
      'The handshake client options are invalid: tenant, instance id, key ring, entity names or timings (the message names the field).',
  },
  RELAY_E_SESSION_REJECTED: {
    summary:
      'The cloud side answered REJECT to the HELLO: the key id named in the message is unknown or retired there, or the key is wrong; the reason is only in the cloud side log.',
    http: 403,
  },
  RELAY_E_SESSION_CLOCK: {
    summary:
      "The cloud side answered REJECT and this relay's clock is more than the skew window (120 s) off the Service Bus namespace's (read from the answer's enqueued time; details.clockAheadMs): the HELLO's timestamp is outside the window. Synchronise the server's clock (NTP); the relay retries by itself.",
    http: 403,
  },
  RELAY_E_SESSION_ANSWER: {
    summary:
      'The answer on handshake-replies is not an acceptable WELCOME (it fails the relay-side checks: format, tenant, kid, authentication, nonce or clock skew; details.hsCode says which).',
    http: 502,
  },
  RELAY_E_SESSION_TIMEOUT: {
    summary:
      'No WELCOME or REJECT for this HELLO arrived on handshake-replies within the answer timeout; the handshake is retried with the reconnect delays.',
    http: 504,
  },
  RELAY_E_SESSION_TRANSPORT: {
    summary:
      'Service Bus failed during the handshake (sending HELLO, locking the reply session or receiving); details.sbCode holds the SDK error code.',
    http: 503,
  },
  RELAY_E_SESSION_CLOSED: {
    summary: 'The handshake client was closed before a session became live.',
  },
});

export type RelaySessionCode = (typeof RELAY_SESSION_ERRORS.codes)[number];

/** A failure of the relay's handshake over Service Bus. */
export class RelaySessionError extends familyError(RELAY_SESSION_ERRORS) {}

export const RELAY_WORK_ERRORS = defineErrors('relay-work', {
  RELAY_E_WORK_CONFIG: {
    summary:
      'The work receiver or sealed HC adapter options are invalid: tenant, profile, routes, entity names or limits (the message names the field).',
  },
  RELAY_E_WORK_MALFORMED: {
    summary:
      'A request lacks what the messaging contract requires: a messageId, a route (subject or rc-route, which must agree), a reply session id, or a body of bytes.',
    http: 400,
    amqp: 'amqp:invalid-field',
  },
  RELAY_E_WORK_ENVELOPE: {
    summary:
      'The sealed envelope of a request was refused (details.envCode holds the ENV_E_* code: altered bytes, wrong or unknown key id, stale, unsealed under production); Service Bus requests are dead-lettered.',
    http: 403,
    amqp: 'amqp:unauthorized-access',
  },
  RELAY_E_WORK_ROUTE: {
    summary:
      'The request names a route this relay does not serve; Service Bus requests are dead-lettered, HC requests answered 404.',
    http: 404,
    amqp: 'amqp:not-found',
  },
  RELAY_E_WORK_HANDLER: {
    summary:
      'The route handler failed, timed out or returned an unusable result; Service Bus requests are abandoned (and redelivered), HC requests answered 500.',
    http: 500,
    amqp: 'amqp:internal-error',
  },
  RELAY_E_WORK_REPLY: {
    summary:
      'The sealed reply could not be sent to the replies queue; the request is abandoned so that it is delivered again.',
    http: 503,
  },
  RELAY_E_WORK_STORE: {
    summary:
      'The result could not be recorded in the idempotency store (disk full, permissions); the request is abandoned, comes back, and may run again.',
    http: 503,
    amqp: 'amqp:internal-error',
  },
  RELAY_E_WORK_NO_SESSION: {
    summary:
      'No handshake session is live: the relay accepts no work (the Service Bus receiver is stopped, HC requests are answered 503).',
    http: 503,
  },
  RELAY_E_WORK_TOO_LARGE: {
    summary:
      'The request body is larger than the configured maxRequestBytes; Service Bus requests are dead-lettered, HC requests answered 413.',
    http: 413,
    amqp: 'amqp:link:message-size-exceeded',
  },
});

export type RelayWorkCode = (typeof RELAY_WORK_ERRORS.codes)[number];

/** A refusal or failure of sealed work (Service Bus or Hybrid Connections). */
export class RelayWorkError extends familyError(RELAY_WORK_ERRORS) {}
