// The relay's messaging, as one import. In: nothing. Out: the handshake client (HELLO over
// Service Bus, a live session renewed before its ttl), the work receiver (sealed requests in,
// sealed replies out), the sealed Hybrid Connections handler, the shared key ring, the contract
// names, events and the two error families.
export {
  HandshakeClient,
  createHandshakeClient,
  parseHandshakeClientOptions,
  DEFAULT_RECONNECT_DELAYS_MS,
  type HandshakeClientDeps,
  type HandshakeClientEvents,
  type HandshakeClientOptions,
  type HandshakeClientOptionsInput,
  type HandshakeClientState,
  type SessionGate,
} from './handshake-client';
export {
  WorkReceiver,
  createWorkReceiver,
  parseWorkReceiverOptions,
  DEAD_LETTER_REASONS,
  type WorkHandler,
  type WorkMeta,
  type WorkResult,
  type WorkReceiverDeps,
  type WorkReceiverOptions,
  type WorkReceiverOptionsInput,
} from './work-receiver';
export {
  sealedHcHandler,
  parseSealedHcOptions,
  HC_REQUEST_HEADERS,
  type HcDispatcher,
  type SealedHcDeps,
  type SealedHcOptions,
  type SealedHcOptionsInput,
  type SealedHcRequest,
  type SealedHcResult,
} from './hc-adapter';
export { TenantKeys, type TenantKeyInput } from './keys';
export {
  DEFAULT_ENTITIES,
  HELLO_TTL_MS,
  JSON_CONTENT_TYPE,
  PROPERTY,
  SEALED_CONTENT_TYPE,
  SUBJECT,
  type MessagingEntities,
} from './contract';
export {
  MESSAGING_CHANNELS,
  sidPrefix,
  type SessionEvent,
  type SessionState,
  type WorkEvent,
  type WorkOutcome,
} from './events';
export {
  RELAY_SESSION_ERRORS,
  RELAY_WORK_ERRORS,
  RelaySessionError,
  RelayWorkError,
  type RelaySessionCode,
  type RelayWorkCode,
} from './errors';
export type { ServiceBusSource } from './sb';
