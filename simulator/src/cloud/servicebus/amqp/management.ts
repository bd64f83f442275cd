// The `$management` request/response node of one entity. In: a decoded request message
// (application property `operation`, a map body), the entity path, what the caller's CBS
// grants allow, the engine, and the receivers this connection holds. Out: the response to
// send back on the reply link: application properties `statusCode`, `statusDescription` and,
// for a refusal, `errorCondition`; a map body. Operations and fields are those the
// @azure/service-bus SDK 7.9.5 sends (PROTOCOLS.md §3).
import type { SasRight } from '../../../../../relay/src/protocol/sas';
import { SimServiceBusError } from '../engine/errors';
import type { ReceiveMode, ServiceBusEngineApi, Settlement } from '../engine/types';
import {
  asRecord,
  decodeMessage,
  encodeSnapshot,
  longFromWire,
  longToWire,
  toIncoming,
  uuidFromWire,
  uuidToWire,
  type WireMessage,
} from './codec';
import { SimAmqpError } from './errors';

export const OPERATIONS = Object.freeze({
  renewLock: 'com.microsoft:renew-lock',
  peekMessage: 'com.microsoft:peek-message',
  scheduleMessage: 'com.microsoft:schedule-message',
  cancelScheduledMessage: 'com.microsoft:cancel-scheduled-message',
  receiveBySequenceNumber: 'com.microsoft:receive-by-sequence-number',
  updateDisposition: 'com.microsoft:update-disposition',
  renewSessionLock: 'com.microsoft:renew-session-lock',
  getSessionState: 'com.microsoft:get-session-state',
  setSessionState: 'com.microsoft:set-session-state',
});

/** The right each operation needs on the entity. */
const RIGHTS: Readonly<Record<string, SasRight>> = Object.freeze({
  [OPERATIONS.renewLock]: 'Listen',
  [OPERATIONS.peekMessage]: 'Listen',
  [OPERATIONS.scheduleMessage]: 'Send',
  [OPERATIONS.cancelScheduledMessage]: 'Send',
  [OPERATIONS.receiveBySequenceNumber]: 'Listen',
  [OPERATIONS.updateDisposition]: 'Listen',
  [OPERATIONS.renewSessionLock]: 'Listen',
  [OPERATIONS.getSessionState]: 'Listen',
  [OPERATIONS.setSessionState]: 'Listen',
});

/** Azure operations the simulator does not implement (answered 501). */
const NOT_IMPLEMENTED = new Set([
  'com.microsoft:get-message-sessions',
  'com.microsoft:add-rule',
  'com.microsoft:remove-rule',
  'com.microsoft:enumerate-rules',
  'com.microsoft:batch-delete-messages',
]);

export interface ManagementContext {
  readonly engine: ServiceBusEngineApi;
  /** The entity the node belongs to (the link address without `/$management`). */
  readonly entity: string;
  /** Throws SimAmqpError when the connection's grants do not allow `right`. */
  readonly authorize: (right: SasRight) => void;
  /** The engine receiver id holding `sessionId` on this entity over this connection. */
  readonly sessionReceiver: (sessionId: string) => string | undefined;
}

export interface ManagementResponse {
  readonly status: number;
  readonly description: string;
  readonly condition?: string;
  readonly body?: Record<string, unknown>;
}

const OK = (body?: Record<string, unknown>): ManagementResponse => ({
  status: 200,
  description: 'OK',
  ...(body !== undefined ? { body } : {}),
});

/** Answers one request. Never throws: every failure becomes a status and a condition. */
export function handleManagement(request: WireMessage, ctx: ManagementContext): ManagementResponse {
  const props = asRecord(request.application_properties) ?? {};
  const operation = props.operation;
  try {
    if (typeof operation !== 'string') {
      throw bad('the request has no operation application property');
    }
    if (NOT_IMPLEMENTED.has(operation)) {
      throw new SimAmqpError(
        'SIM_E_AMQP_NOT_IMPLEMENTED',
        `The operation '${operation}' is not implemented by the simulator.`,
        { operation },
      );
    }
    const right = RIGHTS[operation];
    if (right === undefined) {
      throw bad(`unknown operation '${operation.slice(0, 80)}'`);
    }
    ctx.authorize(right);
    const body = asRecord(request.body) ?? {};
    return run(operation, body, ctx);
  } catch (e) {
    return failure(e);
  }
}

function failure(e: unknown): ManagementResponse {
  if (e instanceof SimServiceBusError || e instanceof SimAmqpError) {
    return {
      status: e.http ?? 500,
      description: e.message,
      condition: e.amqp ?? 'amqp:internal-error',
    };
  }
  const message = e instanceof Error ? e.message : String(e);
  return {
    status: 500,
    description: `Internal error: ${message}`,
    condition: 'amqp:internal-error',
  };
}

function bad(message: string): SimAmqpError {
  return new SimAmqpError('SIM_E_AMQP_BAD_REQUEST', `Bad $management request: ${message}.`);
}

function run(
  operation: string,
  body: Record<string, unknown>,
  ctx: ManagementContext,
): ManagementResponse {
  const { engine, entity } = ctx;
  switch (operation) {
    case OPERATIONS.renewLock: {
      const tokens = lockTokens(body);
      const expirations = engine.renewLock(tokens);
      return OK({ expirations: expirations.map((ms) => new Date(ms)) });
    }
    case OPERATIONS.peekMessage: {
      const from = longFromWire(body['from-sequence-number']);
      const count = longFromWire(body['message-count']);
      if (from === undefined || count === undefined || count < 1) {
        throw bad('peek needs from-sequence-number and a positive message-count');
      }
      const sessionId = optionalText(body['session-id']);
      const found = engine.peek(entity, from, count, sessionId !== undefined ? { sessionId } : {});
      if (found.length === 0) return { status: 204, description: 'No Content' };
      return OK({ messages: found.map((m) => ({ message: encodeSnapshot(m) })) });
    }
    case OPERATIONS.scheduleMessage: {
      const entries = body.messages;
      if (!Array.isArray(entries) || entries.length === 0) throw bad('schedule needs messages');
      const incoming = entries.map((entry) => {
        const bytes = asRecord(entry)?.message;
        if (!Buffer.isBuffer(bytes)) throw bad('each scheduled entry needs an encoded message');
        return toIncoming(decodeMessage(bytes), bytes, bytes.length);
      });
      const at = incoming[0]?.scheduledEnqueueTimeUtc;
      if (at === undefined) throw bad('a scheduled message needs x-opt-scheduled-enqueue-time');
      const seqs = engine.schedule(entity, incoming, at);
      return OK({ 'sequence-numbers': seqs.map(longToWire) });
    }
    case OPERATIONS.cancelScheduledMessage: {
      engine.cancelScheduled(entity, sequenceNumbers(body));
      return OK();
    }
    case OPERATIONS.receiveBySequenceNumber: {
      const mode: ReceiveMode =
        longFromWire(body['receiver-settle-mode']) === 0 ? 'receiveAndDelete' : 'peekLock';
      const sessionId = optionalText(body['session-id']);
      const found = engine.receiveDeferred(entity, sequenceNumbers(body), {
        mode,
        ...(sessionId !== undefined ? { sessionId } : {}),
      });
      return OK({
        messages: found.map((d) => ({
          message: encodeSnapshot(d),
          ...(d.lockToken !== undefined ? { 'lock-token': uuidToWire(d.lockToken) } : {}),
        })),
      });
    }
    case OPERATIONS.updateDisposition: {
      const settlement = dispositionOf(body);
      const sessionId = optionalText(body['session-id']);
      for (const token of lockTokens(body)) {
        engine.settle(token, settlement, sessionId !== undefined ? { sessionId } : {});
      }
      return OK();
    }
    case OPERATIONS.renewSessionLock: {
      const receiverId = heldSession(body, ctx);
      return OK({ expiration: new Date(engine.renewSessionLock(receiverId)) });
    }
    case OPERATIONS.getSessionState: {
      const sessionId = requiredText(body['session-id'], 'session-id');
      heldSession(body, ctx);
      const state = engine.getSessionState(entity, sessionId);
      return OK({ 'session-state': Buffer.isBuffer(state) ? state : null });
    }
    case OPERATIONS.setSessionState: {
      const sessionId = requiredText(body['session-id'], 'session-id');
      heldSession(body, ctx);
      const state = body['session-state'];
      engine.setSessionState(
        entity,
        sessionId,
        Buffer.isBuffer(state) ? Buffer.from(state) : undefined,
      );
      return OK();
    }
    default:
      throw bad(`unknown operation '${operation}'`);
  }
}

function heldSession(body: Record<string, unknown>, ctx: ManagementContext): string {
  const sessionId = requiredText(body['session-id'], 'session-id');
  const receiverId = ctx.sessionReceiver(sessionId);
  if (receiverId === undefined) {
    throw new SimServiceBusError(
      'SIM_E_SB_SESSION_LOCK_LOST',
      `The session lock was lost for session '${sessionId}': this connection holds no receiver for it. Accept the session again.`,
      { entity: ctx.entity, sessionId },
    );
  }
  return receiverId;
}

function optionalText(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function requiredText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw bad(`${field} must be a non-empty string`);
  return value;
}

function lockTokens(body: Record<string, unknown>): string[] {
  const raw = body['lock-tokens'];
  if (!Array.isArray(raw) || raw.length === 0)
    throw bad('lock-tokens must be a non-empty array of uuids');
  return raw.map((t) => {
    const token = uuidFromWire(t);
    if (token === undefined) throw bad('a lock token is not a uuid');
    return token;
  });
}

function sequenceNumbers(body: Record<string, unknown>): number[] {
  const raw = body['sequence-numbers'];
  if (!Array.isArray(raw) || raw.length === 0)
    throw bad('sequence-numbers must be a non-empty array of longs');
  return raw.map((s) => {
    const n = longFromWire(s);
    if (n === undefined) throw bad('a sequence number is not a long');
    return n;
  });
}

function dispositionOf(body: Record<string, unknown>): Settlement {
  const status = body['disposition-status'];
  const props = asRecord(body['properties-to-modify']);
  const withProps = props !== undefined ? { propertiesToModify: props } : {};
  switch (status) {
    case 'completed':
      return { kind: 'complete' };
    case 'abandoned':
      return { kind: 'abandon', ...withProps };
    case 'defered':
      return { kind: 'defer', ...withProps };
    case 'suspended': {
      const reason = optionalText(body['deadletter-reason']);
      const description = optionalText(body['deadletter-description']);
      return {
        kind: 'deadLetter',
        ...(reason !== undefined ? { reason } : {}),
        ...(description !== undefined ? { description } : {}),
        ...withProps,
      };
    }
    default:
      throw bad('disposition-status must be completed, abandoned, defered or suspended');
  }
}
