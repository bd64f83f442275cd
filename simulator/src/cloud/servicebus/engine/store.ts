// The engine's internal state: stored messages, the entities that hold them (queues,
// subscriptions, dead-letter queues, a topic's scheduled messages), sessions and receivers.
// In: nothing but plain mutations from engine.ts. Out: O(1)/O(log n) lookups — messages by
// sequence number, ready messages by sequence number (a heap), counts kept as messages move.
import { MinHeap } from './heap';
import { SeqIndex } from './seq-index';
import type { IncomingMessage, MessageState, ReceiveMode } from './types';

export const EMPTY_PROPS: Readonly<Record<string, unknown>> = Object.freeze({});

/** Dead-letter fields of a message (undefined on the Msg until it is dead-lettered). */
export interface DeadLetterInfo {
  readonly reason: string | undefined;
  readonly description: string | undefined;
  readonly source: string | undefined;
}

/**
 * One stored copy of a message (a topic stores one per matching subscription). A class with
 * only the fields that change or that the engine needs fast: `size` and `sessionId` read
 * through to the message and the rare dead-letter fields share one object (memory: 100,000
 * held messages are 100,000 of these).
 */
export class Msg {
  enqueuedTime: number;
  state: MessageState;
  deliveryCount = 0;
  lockToken: string | undefined = undefined;
  lockedUntil: number | undefined = undefined;
  /** The receiver whose link holds the lock (undefined: taken through $management). */
  holder: Receiver | undefined = undefined;
  expiresAt: number | undefined = undefined;
  scheduledAt: number | undefined = undefined;
  props: Readonly<Record<string, unknown>>;
  dl: DeadLetterInfo | undefined = undefined;
  /** In the store's (or its session's) ready heap and deliverable now. */
  ready = false;
  removed = false;

  constructor(
    readonly seq: number,
    public store: Store,
    readonly message: IncomingMessage,
    state: MessageState,
    time: number,
  ) {
    this.enqueuedTime = time;
    this.state = state;
    this.props = message.applicationProperties ?? EMPTY_PROPS;
  }

  get size(): number {
    return this.message.size;
  }

  get sessionId(): string | undefined {
    return this.message.sessionId;
  }
}

export const bySeq = (a: Msg, b: Msg): boolean => a.seq < b.seq;

export class Session {
  readonly ready = new MinHeap<Msg>(bySeq);
  readonly index = new SeqIndex();
  readyCount = 0;
  /** Messages of this session held by the store, in any state. */
  count = 0;
  holder: Receiver | undefined;
  lockedUntil = 0;
  lockGen = 0;
  state: unknown = undefined;

  constructor(
    readonly id: string,
    readonly store: Store,
  ) {}
}

export interface StoreSettings {
  readonly lockDurationMs: number;
  readonly maxDeliveryCount: number;
  readonly requiresSession: boolean;
  readonly deadLetteringOnMessageExpiration: boolean;
  readonly defaultMessageTimeToLiveMs: number | undefined;
}

/** A queue or topic: owns the sequence numbers, duplicate detection and the size quota. */
export class Root {
  nextSeq = 1;
  usedBytes = 0;
  /** messageId → end of its duplicate-detection window (insertion order = time order). */
  readonly seen = new Map<string, number>();
  readonly subscriptions: Store[] = [];
  store!: Store;

  constructor(
    readonly kind: 'queue' | 'topic',
    readonly path: string,
    readonly maxSizeInBytes: number,
    readonly duplicateWindowMs: number | undefined,
    readonly defaultTtlMs: number | undefined,
  ) {}
}

export type StoreKind = 'queue' | 'subscription' | 'deadletter' | 'topic';

/** Something that holds messages: a queue, a subscription, a dead-letter queue, a topic. */
export class Store {
  readonly bySeq = new Map<number, Msg>();
  readonly index = new SeqIndex();
  readonly ready = new MinHeap<Msg>(bySeq);
  readonly sessions = new Map<string, Session>();
  /** Unlocked sessions that have ready messages, oldest first. */
  readonly availableSessions = new Set<Session>();
  readonly receivers = new Set<Receiver>();
  readyCount = 0;
  /** Bytes of the messages held here (the quota counts them on the Root). */
  bytes = 0;
  active = 0;
  deferred = 0;
  scheduled = 0;
  locked = 0;
  dlq: Store | undefined;
  /** Subscriptions: the rules; others: undefined. */
  rules: unknown;

  constructor(
    readonly kind: StoreKind,
    readonly path: string,
    readonly root: Root,
    readonly settings: StoreSettings,
  ) {}

  get sessionful(): boolean {
    return this.settings.requiresSession && this.kind !== 'deadletter';
  }

  session(id: string): Session {
    let s = this.sessions.get(id);
    if (s === undefined) {
      s = new Session(id, this);
      this.sessions.set(id, s);
    }
    return s;
  }

  /** Forgets a session that holds nothing (no messages, state or lock). */
  dropIfIdle(s: Session): void {
    if (s.count === 0 && s.holder === undefined && s.state === undefined) {
      this.sessions.delete(s.id);
      this.availableSessions.delete(s);
    }
  }

  readonly isLive = (seq: number): boolean => this.bySeq.has(seq);
  readonly lookup = (seq: number): Msg | undefined => this.bySeq.get(seq);
}

export class Receiver {
  /** Messages locked through this receiver (released when a session is lost). */
  readonly locked = new Set<Msg>();
  closed = false;
  /** Set when a session receiver lost its lock: later calls get this error. */
  lost: Error | undefined;

  constructor(
    readonly id: string,
    readonly store: Store,
    readonly mode: ReceiveMode,
    readonly name: string | undefined,
    readonly session: Session | undefined,
  ) {}
}
