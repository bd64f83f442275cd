// The messaging contract's names as the cloud side uses them (docs/protocol/messaging.md). In:
// nothing. Out: entity names, property names, subjects and the HELLO time-to-live. The relay
// keeps the same names in relay/src/messaging/contract.ts (the simulator may not import it);
// suites/messaging-internals checks that the two copies agree.

export interface TenantEntities {
  readonly handshake: string;
  readonly handshakeReplies: string;
  readonly requests: string;
  readonly replies: string;
}

export const TENANT_DEFAULT_ENTITIES: TenantEntities = Object.freeze({
  handshake: 'handshake',
  handshakeReplies: 'handshake-replies',
  requests: 'requests',
  replies: 'replies',
});

export const TENANT_PROPERTY = Object.freeze({
  tenant: 'rc-tenant',
  route: 'rc-route',
  status: 'rc-status',
  messageId: 'rc-message-id',
} as const);

export const TENANT_SUBJECT = Object.freeze({
  hello: 'hello',
  welcome: 'welcome',
  reject: 'reject',
} as const);

export const TENANT_HELLO_TTL_MS = 120_000;
