// The typed refusals of the simulated Service Bus namespace (config and broker engine).
// In: a code of the `sim-servicebus` family, a message and safe details (entity, lock
// token, sequence number, path). Out: a SimServiceBusError whose `amqp` is the condition the
// AMQP edge sends (detach, disposition or $management `errorCondition`) and whose `http` is
// the `statusCode` of a $management response. No secrets ever go into details.
import { defineErrors, familyError } from '../../../../../relay/src/protocol/errors';

export const SIM_SB_ERRORS = defineErrors('sim-servicebus', {
  SIM_E_SB_CONFIG: {
    summary:
      'The namespace configuration is invalid (the message and details.path name the offending field).',
    http: 500,
    amqp: 'amqp:internal-error',
  },
  SIM_E_SB_NOT_FOUND: {
    summary: "The messaging entity 'X' could not be found: no such queue, topic or subscription.",
    http: 404,
    amqp: 'amqp:not-found',
  },
  SIM_E_SB_MESSAGE_SIZE: {
    summary: 'A message is larger than the profile allows (Standard 256 KB, Premium 100 MB).',
    http: 413,
    amqp: 'amqp:link:message-size-exceeded',
  },
  SIM_E_SB_QUOTA: {
    summary:
      'The entity is full: accepting the messages would exceed its maxSizeInBytes (QuotaExceeded).',
    http: 403,
    amqp: 'amqp:resource-limit-exceeded',
  },
  SIM_E_SB_LOCK_LOST: {
    summary:
      'The lock supplied is invalid: it expired, was lost, or the message was already settled or removed.',
    http: 410,
    amqp: 'com.microsoft:message-lock-lost',
  },
  SIM_E_SB_SESSION_CANNOT_BE_LOCKED: {
    summary: 'The requested session is locked by another receiver.',
    http: 410,
    amqp: 'com.microsoft:session-cannot-be-locked',
  },
  SIM_E_SB_SESSION_LOCK_LOST: {
    summary:
      'The session lock was lost (expired, released or forced) or the session is not locked by the caller.',
    http: 410,
    amqp: 'com.microsoft:session-lock-lost',
  },
  SIM_E_SB_NO_SESSION: {
    summary: 'No unlocked session with available messages exists (accept-next-session timed out).',
    http: 408,
    amqp: 'com.microsoft:timeout',
  },
  SIM_E_SB_MESSAGE_NOT_FOUND: {
    summary:
      'No message with the requested sequence number is in the required state (deferred, or scheduled for cancellation).',
    http: 404,
    amqp: 'com.microsoft:message-not-found',
  },
  SIM_E_SB_NOT_ALLOWED: {
    summary:
      'The operation is not valid for this entity: e.g. receiving from a topic, sending to a subscription or dead-letter queue, a session receiver on a non-session entity, or no session id on a session entity.',
    http: 400,
    amqp: 'amqp:not-allowed',
  },
  SIM_E_SB_ARGUMENT: {
    summary: 'An argument is malformed: a bad count, sequence number, time, size or receiver mode.',
    http: 400,
    amqp: 'com.microsoft:argument-error',
  },
  SIM_E_SB_RECEIVER: {
    summary: 'The receiver id is unknown or the receiver was closed (an edge bug or a race).',
    http: 410,
    amqp: 'amqp:illegal-state',
  },
});

export type SimServiceBusCode = (typeof SIM_SB_ERRORS.codes)[number];

/** A refusal of the simulated namespace. `amqp` and `http` say how the edge renders it. */
export class SimServiceBusError extends familyError(SIM_SB_ERRORS) {}

/** The message Azure gives for an unknown entity, used by SIM_E_SB_NOT_FOUND. */
export function entityNotFound(path: string): SimServiceBusError {
  return new SimServiceBusError(
    'SIM_E_SB_NOT_FOUND',
    `The messaging entity '${path}' could not be found.`,
    { entity: path },
  );
}
