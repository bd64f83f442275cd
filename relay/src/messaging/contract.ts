// The names both ends of the messaging contract agree on (docs/protocol/messaging.md). In:
// nothing. Out: the default entity names, the application property names beside the envelope's
// rc-* metadata, the subjects of handshake messages and the HELLO time-to-live. The tenant
// driver (simulator/src/cloud/tenant/) keeps its own copy; a suite checks the two agree.

/** The four Service Bus entities, by role. */
export interface MessagingEntities {
  /** Queue: HELLO, relay to cloud. */
  readonly handshake: string;
  /** Session-enabled queue: WELCOME or REJECT, cloud to relay; session id = relay instance id. */
  readonly handshakeReplies: string;
  /** Queue (peekLock): sealed work, cloud to relay. */
  readonly requests: string;
  /** Session-enabled queue: sealed results, relay to cloud; session id = the tenant's. */
  readonly replies: string;
}

export const DEFAULT_ENTITIES: MessagingEntities = Object.freeze({
  handshake: 'handshake',
  handshakeReplies: 'handshake-replies',
  requests: 'requests',
  replies: 'replies',
});

/** Application properties (Service Bus) and headers (Hybrid Connections) beside rc-env etc. */
export const PROPERTY = Object.freeze({
  /** HELLO: the tenant id, so a shared handshake queue can be sorted without opening it. */
  tenant: 'rc-tenant',
  /** Work: the route, equal to the message subject. */
  route: 'rc-route',
  /** Replies: the HTTP-like status of the outcome, as decimal text. */
  status: 'rc-status',
  /** HC requests: the message id the envelope is bound to. */
  messageId: 'rc-message-id',
} as const);

/** Subjects of the handshake messages. */
export const SUBJECT = Object.freeze({
  hello: 'hello',
  welcome: 'welcome',
  reject: 'reject',
} as const);

/** HELLO messages live 120 s on the queue: the handshake skew window; older ones are useless. */
export const HELLO_TTL_MS = 120_000;

export const JSON_CONTENT_TYPE = 'application/json';
export const SEALED_CONTENT_TYPE = 'application/octet-stream';
