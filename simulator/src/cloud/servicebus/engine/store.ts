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

/** A message's lock: present only while it is locked. */
interface LockInfo {
  token: string | undefined;
  until: number | undefined;
  holder: Receiver | undefined;
}

/** Fields few messages ever have: present only once one of them is set. */
interface RareInfo {
  scheduledAt: number | undefined;
  dl: DeadLetterInfo | undefined;
}

const READY = 1;
const REMOVED = 2;

/**
 * One stored copy of a message (a topic stores one per matching subscription). Memory:
 * 100,000 held messages are 100,000 of these, so only what every message needs is a field of
 * its own (10 of them); `size` and `sessionId` read through to the message, the lock's three
 * fields share one object that exists only while the message is locked, the rare scheduled
 * time and dead-letter fields share another, and the two flags share a number. The
 * accessors keep the engine's code as if each were a plain field.
 */
export class Msg {
  enqueuedTime: number;
  state: MessageState;
  deliveryCount = 0;
  expiresAt: number | undefined = undefined;
  props: Readonly<Record<string, unknown>>;
  #lock: LockInfo | undefined = undefined;
  #rare: RareInfo | undefined = undefined;
  #flags = 0;

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

  #lockInfo(): LockInfo {
    this.#lock ??= { token: undefined, until: undefined, holder: undefined };
    return this.#lock;
  }

  #dropLockIfEmpty(): void {
    const l = this.#lock;
    if (l?.token === undefined && l?.until === undefined && l?.holder === undefined) {
      this.#lock = undefined;
    }
  }

  get lockToken(): string | undefined {
    return this.#lock?.token;
  }
  set lockToken(value: string | undefined) {
    this.#lockInfo().token = value;
    this.#dropLockIfEmpty();
  }

  get lockedUntil(): number | undefined {
    return this.#lock?.until;
  }
  set lockedUntil(value: number | undefined) {
    this.#lockInfo().until = value;
    this.#dropLockIfEmpty();
  }

  /** The receiver whose link holds the lock (undefined: taken through $management). */
  get holder(): Receiver | undefined {
    return this.#lock?.holder;
  }
  set holder(value: Receiver | undefined) {
    this.#lockInfo().holder = value;
    this.#dropLockIfEmpty();
  }

  #rareInfo(): RareInfo {
    this.#rare ??= { scheduledAt: undefined, dl: undefined };
    return this.#rare;
  }

  get scheduledAt(): number | undefined {
    return this.#rare?.scheduledAt;
  }
  set scheduledAt(value: number | undefined) {
    if (value === undefined && this.#rare === undefined) return;
    this.#rareInfo().scheduledAt = value;
  }

  get dl(): DeadLetterInfo | undefined {
    return this.#rare?.dl;
  }
  set dl(value: DeadLetterInfo | undefined) {
    if (value === undefined && this.#rare === undefined) return;
    this.#rareInfo().dl = value;
  }

  /** In the store's (or its session's) ready heap and deliverable now. */
  get ready(): boolean {
    return (this.#flags & READY) !== 0;
  }
  set ready(value: boolean) {
    this.#flags = value ? this.#flags | READY : this.#flags & ~READY;
  }

  get removed(): boolean {
    return (this.#flags & REMOVED) !== 0;
  }
  set removed(value: boolean) {
    this.#flags = value ? this.#flags | REMOVED : this.#flags & ~REMOVED;
  }
}

export const bySeq = (a: Msg, b: Msg): boolean => a.seq < b.seq;

export class Session {
  readonly ready = new MinHeap<Msg>(bySeq);
  /** This session's messages held by the store (the store's liveness rule). */
  readonly index: SeqIndex<Msg>;
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
  ) {
    this.index = new SeqIndex<Msg>(store.holds);
  }
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
  /** Every message held here, by sequence number. */
  readonly index = new SeqIndex<Msg>((m) => this.holds(m));
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

  /** True while `m` is held by this store (a message is in one store at a time). */
  readonly holds = (m: Msg): boolean => m.store === this && !m.removed;
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
