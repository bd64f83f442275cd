// The contract between the pure broker engine and the AMQP 1.0 edge.
// In (from the edge): messages as opaque payloads plus the few properties the broker needs,
// receiver opens, pulls, settlements by lock token, $management requests, clock ticks.
// Out (to the edge): deliveries (snapshots with lock token, counts and times), typed
// SimServiceBusError refusals (their `amqp` / `http` say how to answer), events and
// "messages are available" notifications. All calls are synchronous; time comes only from
// the injected clock; the engine never looks inside `payload`.
import type { Clock } from '../../../../../relay/src/protocol/primitives';
import type { NamespaceConfig } from '../config';

/** How a receiver takes messages. */
export type ReceiveMode = 'peekLock' | 'receiveAndDelete';

/** Broker state of a stored message. A locked message is 'active' with a lockToken. */
export type MessageState = 'active' | 'deferred' | 'scheduled';

/** Application property values the broker compares (correlation filters). */
export type PropertyValue = unknown;

/** One message as the edge hands it over (one per data section of a batch). */
export interface IncomingMessage {
  /** Opaque to the engine (e.g. the decoded rhea message); returned as is on delivery. */
  readonly payload: unknown;
  /** Encoded size in bytes (checked against the profile's maximum and the entity quota). */
  readonly size: number;
  readonly messageId?: string;
  readonly sessionId?: string;
  readonly partitionKey?: string;
  readonly correlationId?: string;
  /** AMQP `subject` (the SDK's `subject`, Azure's Label). */
  readonly subject?: string;
  readonly to?: string;
  readonly replyTo?: string;
  readonly replyToSessionId?: string;
  readonly contentType?: string;
  /** Header TTL; the entity's defaultMessageTimeToLiveMs caps it. */
  readonly timeToLiveMs?: number;
  /** `x-opt-scheduled-enqueue-time` in ms: a future time makes the message scheduled. */
  readonly scheduledEnqueueTimeUtc?: number;
  readonly applicationProperties?: Readonly<Record<string, PropertyValue>>;
}

/**
 * A read-only snapshot of a stored message (also what a delivery carries). The edge builds the
 * wire message from `message.payload` plus these broker fields:
 * - header `delivery_count` = `deliveryCount` (0 on the first delivery, as Azure sends it);
 * - annotations `x-opt-sequence-number`, `x-opt-enqueued-time`, `x-opt-locked-until`,
 *   `x-opt-message-state` (0 active, 1 deferred, 2 scheduled: see MESSAGE_STATE_CODE),
 *   `x-opt-scheduled-enqueue-time`, `x-opt-deadletter-source`;
 * - application properties = `applicationProperties` (the original ones with every
 *   `propertiesToModify` of abandon/defer/dead-letter applied, plus `DeadLetterReason` and
 *   `DeadLetterErrorDescription` on dead-lettered messages, as Azure does).
 */
export interface MessageSnapshot {
  /** Canonical path of the entity holding it: `q`, `t/Subscriptions/s`, `q/$DeadLetterQueue`. */
  readonly entityPath: string;
  /** Unique and increasing per queue or topic (subscriptions share their topic's numbers). */
  readonly sequenceNumber: number;
  readonly enqueuedTimeUtc: number;
  readonly state: MessageState;
  /** Failed deliveries so far (abandons, lock expiries, lost locks): the AMQP header value. */
  readonly deliveryCount: number;
  /** Set while the message is locked (peekLock). A uuid string. */
  readonly lockToken: string | undefined;
  readonly lockedUntilUtc: number | undefined;
  /** When the message expires (undefined: never; dead-letter queues never expire). */
  readonly expiresAtUtc: number | undefined;
  readonly scheduledEnqueueTimeUtc: number | undefined;
  readonly sessionId: string | undefined;
  readonly messageId: string | undefined;
  readonly deadLetterReason: string | undefined;
  readonly deadLetterErrorDescription: string | undefined;
  readonly deadLetterSource: string | undefined;
  readonly applicationProperties: Readonly<Record<string, PropertyValue>>;
  /** The message as it was sent (payload untouched). */
  readonly message: IncomingMessage;
}

/** The brief's name for a stored message's read-only view. */
export type StoredMessage = MessageSnapshot;

/** `x-opt-message-state` values. */
export const MESSAGE_STATE_CODE: Readonly<Record<MessageState, number>> = Object.freeze({
  active: 0,
  deferred: 1,
  scheduled: 2,
});

/** A message handed to a receiver. peekLock: locked (lockToken set); receiveAndDelete: gone. */
export interface Delivery extends MessageSnapshot {
  readonly receiverId: string | undefined;
  readonly mode: ReceiveMode;
}

export interface ReceiverOptions {
  readonly mode: ReceiveMode;
  /**
   * undefined: a plain receiver (non-session entity). A string: that session (any session
   * entity accepts any id, even one with no messages yet). null: the next unlocked session
   * that has available messages (SIM_E_SB_NO_SESSION when there is none: the edge may wait
   * for an `onSessionAvailable` and retry before answering `com.microsoft:timeout`).
   */
  readonly sessionId?: string | null;
  /** The link name (for events and introspection). */
  readonly name?: string;
}

export interface ReceiverInfo {
  readonly id: string;
  readonly entityPath: string;
  readonly mode: ReceiveMode;
  readonly name: string | undefined;
  /** The locked session, for session receivers. */
  readonly sessionId: string | undefined;
  /** Session lock expiry (ms), for session receivers: the edge sends it as .NET ticks. */
  readonly sessionLockedUntilUtc: number | undefined;
}

/** Which outcome a settlement applies. */
export type Settlement =
  | { readonly kind: 'complete' }
  | { readonly kind: 'abandon'; readonly propertiesToModify?: Readonly<Record<string, unknown>> }
  | { readonly kind: 'defer'; readonly propertiesToModify?: Readonly<Record<string, unknown>> }
  | {
      readonly kind: 'deadLetter';
      readonly reason?: string;
      readonly description?: string;
      readonly propertiesToModify?: Readonly<Record<string, unknown>>;
    };

export interface SettleOptions {
  /** When set, the lock must be held through this receiver (a transfer's own link). */
  readonly receiverId?: string;
  /** When set ($management on a session link), the message must belong to this session. */
  readonly sessionId?: string;
}

export interface SendResult {
  /** Messages stored (a topic counts once per message, whatever the fan-out). */
  readonly accepted: number;
  /** Messages dropped as duplicates (accepted by the send, not enqueued). */
  readonly duplicates: number;
  /** Sequence numbers given, in order (undefined for a duplicate). */
  readonly sequenceNumbers: readonly (number | undefined)[];
}

/** Counts per entity for the control API. */
export interface EntityCounts {
  readonly path: string;
  readonly kind: 'queue' | 'topic' | 'subscription';
  readonly active: number;
  readonly deferred: number;
  readonly scheduled: number;
  readonly locked: number;
  readonly deadLettered: number;
  readonly sizeInBytes: number;
  readonly sessions: number;
  readonly receivers: number;
}

/** Names of the engine's events (forwarded by the edge to node:diagnostics_channel). */
export type SbEventName =
  | 'sim:sb:enqueued'
  | 'sim:sb:scheduled'
  | 'sim:sb:activated'
  | 'sim:sb:cancelled'
  | 'sim:sb:duplicate'
  | 'sim:sb:dropped'
  | 'sim:sb:locked'
  | 'sim:sb:received'
  | 'sim:sb:settled'
  | 'sim:sb:lock-renewed'
  | 'sim:sb:lock-expired'
  | 'sim:sb:lock-lost'
  | 'sim:sb:deadlettered'
  | 'sim:sb:expired'
  | 'sim:sb:purged'
  | 'sim:sb:receiver-opened'
  | 'sim:sb:receiver-closed'
  | 'sim:sb:session-locked'
  | 'sim:sb:session-lock-renewed'
  | 'sim:sb:session-lock-lost'
  | 'sim:sb:session-state';

export type SbEventData = Readonly<Record<string, string | number | boolean | undefined>>;

export interface EngineDeps {
  readonly config: NamespaceConfig;
  readonly clock: Clock;
  /**
   * Every state change, as a plain object. Called synchronously in the middle of a change:
   * it must not throw and must not call back into the engine (forward it, e.g. to
   * diagnostics_channel, and return).
   */
  readonly emit?: (name: SbEventName, data: SbEventData) => void;
  /**
   * A receiver may now get something from `pull` (new, abandoned, expired-lock or activated
   * messages). Called after the engine call that caused it has finished its state changes,
   * so the listener may call back into the engine (e.g. pull while it has credit).
   */
  readonly onAvailable?: (receiverId: string) => void;
  /** A session entity has an unlocked session with messages (for pending accept-next). */
  readonly onSessionAvailable?: (entityPath: string) => void;
  /**
   * A receiver became unusable (its session lock expired or was forced away). The edge
   * should detach its link with `error.amqp`. The receiver is already closed in the engine.
   */
  readonly onReceiverLost?: (receiverId: string, error: Error & { readonly amqp?: string }) => void;
  /** Lock tokens; default crypto.randomUUID. Inject for deterministic tests. */
  readonly newLockToken?: () => string;
}

/** The broker engine. Every method may throw SimServiceBusError (and nothing else). */
export interface ServiceBusEngineApi {
  readonly config: NamespaceConfig;

  // -- entities -------------------------------------------------------------------------
  /** Canonical path for a case-insensitive path (throws SIM_E_SB_NOT_FOUND). */
  resolvePath(path: string): string;
  /** Largest accepted message (bytes), for `max_message_size` on attach. */
  readonly maxMessageSizeBytes: number;

  // -- send -----------------------------------------------------------------------------
  /** Atomic: either every message is accepted (or a duplicate) or none is. */
  send(path: string, messages: readonly IncomingMessage[]): SendResult;
  /** $management schedule-message: returns one sequence number per message. */
  schedule(path: string, messages: readonly IncomingMessage[], enqueueTimeUtc: number): number[];
  /** $management cancel-scheduled-message (unknown numbers: SIM_E_SB_MESSAGE_NOT_FOUND). */
  cancelScheduled(path: string, sequenceNumbers: readonly number[]): void;

  // -- receive --------------------------------------------------------------------------
  openReceiver(path: string, options: ReceiverOptions): ReceiverInfo;
  receiver(receiverId: string): ReceiverInfo;
  /**
   * Up to `max` messages in sequence-number order. peekLock: each is locked to the receiver
   * for lockDuration; receiveAndDelete: each is removed. Never returns expired messages.
   */
  pull(receiverId: string, max: number): Delivery[];
  /** True when `pull` would return at least one message now (drain answers). */
  hasAvailable(receiverId: string): boolean;
  /**
   * Closes a receiver. Non-session peekLock: its locked messages keep their lock until it
   * expires (Azure) and can still be settled by lock token (e.g. $management
   * update-disposition), unless `abandonLocked` releases them at once (delivery count + 1).
   * Session receivers: the session lock is released and the messages still locked under it
   * become available again (delivery count + 1).
   */
  closeReceiver(receiverId: string, options?: { readonly abandonLocked?: boolean }): void;

  // -- settle ---------------------------------------------------------------------------
  settle(lockToken: string, settlement: Settlement, options?: SettleOptions): void;
  complete(lockToken: string, options?: SettleOptions): void;
  abandon(
    lockToken: string,
    propertiesToModify?: Readonly<Record<string, unknown>>,
    options?: SettleOptions,
  ): void;
  defer(
    lockToken: string,
    propertiesToModify?: Readonly<Record<string, unknown>>,
    options?: SettleOptions,
  ): void;
  deadLetter(
    lockToken: string,
    fields?: {
      readonly reason?: string;
      readonly description?: string;
      readonly propertiesToModify?: Readonly<Record<string, unknown>>;
    },
    options?: SettleOptions,
  ): void;
  /** $management renew-lock: the new expiry of each lock, in order. */
  renewLock(lockTokens: readonly string[], options?: SettleOptions): number[];

  // -- $management reads ----------------------------------------------------------------
  /**
   * Active (incl. locked), deferred and scheduled messages with sequenceNumber ≥ from, in
   * order, at most `count` (an empty array: the edge answers 204). For a session entity give
   * `sessionId` to peek one session.
   */
  peek(
    path: string,
    fromSequenceNumber: number,
    count: number,
    options?: { readonly sessionId?: string },
  ): MessageSnapshot[];
  /** $management receive-by-sequence-number: deferred messages only, locked or removed. */
  receiveDeferred(
    path: string,
    sequenceNumbers: readonly number[],
    options: { readonly mode: ReceiveMode; readonly sessionId?: string },
  ): Delivery[];

  // -- sessions -------------------------------------------------------------------------
  renewSessionLock(receiverId: string): number;
  /** Session state (opaque to the engine, e.g. a Buffer); undefined when never set. */
  getSessionState(path: string, sessionId: string): unknown;
  setSessionState(path: string, sessionId: string, state: unknown): void;

  // -- time -----------------------------------------------------------------------------
  /** Processes everything due at clock.now(): lock expiry, TTL, scheduled, session locks. */
  tick(): void;
  /** The earliest future time something is due (for one timer), or undefined. */
  nextDeadline(): number | undefined;

  // -- control API ----------------------------------------------------------------------
  listEntities(): EntityCounts[];
  /** Every message held by the entity (any state), in sequence-number order. */
  messages(path: string): MessageSnapshot[];
  /** Removes every message of the entity (not its sub-queues); returns how many. */
  purge(path: string): number;
  /** Fault: drops one lock (or every lock, for 'all') as if it expired now; returns how many. */
  forceLockLoss(lockToken: string): number;
  /** Fault: the session's lock is lost now, as if it expired. False when it was not locked. */
  forceSessionLockLoss(path: string, sessionId: string): boolean;
}
