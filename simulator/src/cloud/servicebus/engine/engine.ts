// The broker engine of the simulated Service Bus namespace (pure; see README.md here).
// In: a frozen NamespaceConfig, an injected clock, and calls from the AMQP edge (send,
// receive, settle, $management, tick). Out: deliveries and snapshots, SimServiceBusError
// refusals, events through `emit` and "something is available" callbacks. No IO, no timers:
// time only moves when the clock says so, and every call first processes what is due.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../../../../relay/src/protocol/primitives';
import type { NamespaceConfig } from '../config';
import { entityNotFound, SimServiceBusError } from './errors';
import { rulesMatch } from './filters';
import { MinHeap } from './heap';
import { Msg, Receiver, Root, Session, Store, type StoreSettings } from './store';
import type {
  Delivery,
  EngineDeps,
  EntityCounts,
  IncomingMessage,
  MessageSnapshot,
  MessageState,
  ReceiveMode,
  ReceiverInfo,
  ReceiverOptions,
  SbEventData,
  SbEventName,
  SendResult,
  ServiceBusEngineApi,
  Settlement,
  SettleOptions,
} from './types';

export const DEAD_LETTER_QUEUE = '$DeadLetterQueue';
export const MAX_DELIVERY_REASON = 'MaxDeliveryCountExceeded';
export const TTL_EXPIRED_REASON = 'TTLExpiredException';
export const TTL_EXPIRED_DESCRIPTION = 'The message expired and was dead lettered.';
const LOCK_LOST_TEXT =
  'The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue, or was received by a different receiver instance.';
const MAX_SESSION_ID_LENGTH = 128;
const RECEIVE_MODES: ReadonlySet<string> = new Set(['peekLock', 'receiveAndDelete']);

interface Deadline {
  readonly at: number;
  readonly n: number;
  readonly kind: 'lock' | 'ttl' | 'scheduled' | 'session';
  readonly msg?: Msg;
  readonly token?: string;
  readonly session?: Session;
  readonly gen?: number;
}

function argument(
  message: string,
  details: Record<string, string | number> = {},
): SimServiceBusError {
  return new SimServiceBusError('SIM_E_SB_ARGUMENT', message, details);
}

function notAllowed(message: string, entity: string): SimServiceBusError {
  return new SimServiceBusError('SIM_E_SB_NOT_ALLOWED', message, { entity });
}

function lockLost(lockToken: string): SimServiceBusError {
  return new SimServiceBusError('SIM_E_SB_LOCK_LOST', LOCK_LOST_TEXT, { lockToken });
}

function sessionLockLost(entity: string, sessionId: string | undefined): SimServiceBusError {
  return new SimServiceBusError(
    'SIM_E_SB_SESSION_LOCK_LOST',
    `The session lock was lost for session '${sessionId ?? ''}'. Accept the session again.`,
    { entity, sessionId },
  );
}

function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

export class ServiceBusEngine implements ServiceBusEngineApi {
  readonly config: NamespaceConfig;
  readonly maxMessageSizeBytes: number;
  private readonly clock: Clock;
  private readonly deps: EngineDeps;
  private readonly newLockToken: () => string;
  private readonly paths = new Map<string, Store>();
  private readonly roots: Root[] = [];
  private readonly locks = new Map<string, Msg>();
  private readonly receivers = new Map<string, Receiver>();
  private readonly deadlines = new MinHeap<Deadline>(
    (a, b) => a.at < b.at || (a.at === b.at && a.n < b.n),
  );
  private deadlineN = 0;
  private receiverN = 0;
  private depth = 0;
  private readonly pendingAvailable = new Set<Receiver>();
  private readonly pendingSessions = new Set<Store>();
  private readonly pendingLost: [Receiver, SimServiceBusError][] = [];

  constructor(deps: EngineDeps) {
    this.deps = deps;
    this.config = deps.config;
    this.clock = deps.clock;
    this.maxMessageSizeBytes = deps.config.maxMessageSizeBytes;
    this.newLockToken = deps.newLockToken ?? randomUUID;
    this.build();
  }

  // ---------------------------------------------------------------------------------------
  // Entities

  private build(): void {
    const c = this.config;
    for (const q of c.queues) {
      const root = new Root(
        'queue',
        q.name,
        q.maxSizeInBytes,
        q.duplicateDetectionWindowMs,
        q.defaultMessageTimeToLiveMs,
      );
      root.store = this.addStore('queue', q.name, root, {
        lockDurationMs: q.lockDurationMs,
        maxDeliveryCount: q.maxDeliveryCount,
        requiresSession: q.requiresSession,
        deadLetteringOnMessageExpiration: q.deadLetteringOnMessageExpiration,
        defaultMessageTimeToLiveMs: q.defaultMessageTimeToLiveMs,
      });
      this.roots.push(root);
    }
    for (const t of c.topics) {
      const root = new Root(
        'topic',
        t.name,
        t.maxSizeInBytes,
        t.duplicateDetectionWindowMs,
        t.defaultMessageTimeToLiveMs,
      );
      root.store = this.addStore('topic', t.name, root, {
        lockDurationMs: 60_000,
        maxDeliveryCount: 10,
        requiresSession: false,
        deadLetteringOnMessageExpiration: false,
        defaultMessageTimeToLiveMs: t.defaultMessageTimeToLiveMs,
      });
      for (const s of t.subscriptions) {
        const sub = this.addStore('subscription', `${t.name}/Subscriptions/${s.name}`, root, {
          lockDurationMs: s.lockDurationMs,
          maxDeliveryCount: s.maxDeliveryCount,
          requiresSession: s.requiresSession,
          deadLetteringOnMessageExpiration: s.deadLetteringOnMessageExpiration,
          defaultMessageTimeToLiveMs: minTtl(
            t.defaultMessageTimeToLiveMs,
            s.defaultMessageTimeToLiveMs,
          ),
        });
        sub.rules = s.rules;
        root.subscriptions.push(sub);
      }
      this.roots.push(root);
    }
  }

  private addStore(
    kind: 'queue' | 'topic' | 'subscription',
    path: string,
    root: Root,
    settings: StoreSettings,
  ): Store {
    const store = new Store(kind, path, root, settings);
    this.paths.set(path.toLowerCase(), store);
    if (kind !== 'topic') {
      const dlq = new Store('deadletter', `${path}/${DEAD_LETTER_QUEUE}`, root, {
        ...settings,
        requiresSession: false,
        deadLetteringOnMessageExpiration: false,
        defaultMessageTimeToLiveMs: undefined,
      });
      store.dlq = dlq;
      this.paths.set(dlq.path.toLowerCase(), dlq);
    }
    return store;
  }

  private store(path: string): Store {
    const key = (path.startsWith('/') ? path.slice(1) : path).toLowerCase();
    const store = this.paths.get(key);
    if (store === undefined) throw entityNotFound(path);
    return store;
  }

  resolvePath(path: string): string {
    return this.store(path).path;
  }

  // ---------------------------------------------------------------------------------------
  // Plumbing: every public call runs inside run(), which processes what is due first and
  // delivers notifications once the state is consistent again.

  private run<T>(fn: (now: number) => T): T {
    this.depth++;
    try {
      const now = this.clock.now();
      this.processDue(now);
      return fn(now);
    } finally {
      this.depth--;
      if (this.depth === 0) this.flush();
    }
  }

  private flush(): void {
    const { onAvailable, onSessionAvailable, onReceiverLost } = this.deps;
    while (
      this.pendingLost.length > 0 ||
      this.pendingAvailable.size > 0 ||
      this.pendingSessions.size > 0
    ) {
      const lost = this.pendingLost.splice(0);
      const available = [...this.pendingAvailable];
      const sessions = [...this.pendingSessions];
      this.pendingAvailable.clear();
      this.pendingSessions.clear();
      for (const [r, err] of lost) onReceiverLost?.(r.id, err);
      for (const r of available) if (!r.closed && r.lost === undefined) onAvailable?.(r.id);
      for (const s of sessions) if (s.availableSessions.size > 0) onSessionAvailable?.(s.path);
    }
  }

  private ev(name: SbEventName, data: SbEventData): void {
    this.deps.emit?.(name, data);
  }

  private pushDeadline(d: Omit<Deadline, 'n'>): void {
    this.deadlines.push({ ...d, n: this.deadlineN++ });
  }

  private isLive(d: Deadline): boolean {
    const m = d.msg;
    switch (d.kind) {
      case 'lock':
        return m !== undefined && m.lockToken === d.token && m.lockedUntil === d.at;
      case 'ttl':
        return m !== undefined && !m.removed && m.expiresAt === d.at && m.state !== 'scheduled';
      case 'scheduled':
        return m !== undefined && !m.removed && m.state === 'scheduled' && m.scheduledAt === d.at;
      case 'session': {
        const s = d.session;
        return s?.holder !== undefined && s.lockGen === d.gen && s.lockedUntil === d.at;
      }
    }
  }

  private processDue(now: number): void {
    for (;;) {
      const d = this.deadlines.peek();
      if (d === undefined || d.at > now) return;
      this.deadlines.pop();
      if (!this.isLive(d)) continue;
      const m = d.msg;
      if (d.kind === 'lock' && m !== undefined) {
        this.ev('sim:sb:lock-expired', this.msgEvent(m, { lockToken: m.lockToken }));
        this.release(m, now);
      } else if (d.kind === 'ttl' && m !== undefined) {
        // A locked message expires when its lock ends (release checks the expiry).
        if (m.lockToken === undefined) this.expire(m, now);
      } else if (d.kind === 'scheduled' && m !== undefined) {
        this.activate(m, now);
      } else if (d.kind === 'session' && d.session !== undefined) {
        this.loseSession(d.session, now);
      }
    }
  }

  tick(): void {
    this.run(() => undefined);
  }

  nextDeadline(): number | undefined {
    for (;;) {
      const d = this.deadlines.peek();
      if (d === undefined) return undefined;
      if (this.isLive(d) && !(d.kind === 'ttl' && d.msg?.lockToken !== undefined)) return d.at;
      this.deadlines.pop();
      // A skipped TTL of a locked message is checked again when the lock ends.
    }
  }

  // ---------------------------------------------------------------------------------------
  // Message bookkeeping

  private msgEvent(m: Msg, extra: SbEventData = {}): SbEventData {
    return {
      entity: m.store.path,
      sequenceNumber: m.seq,
      messageId: m.message.messageId,
      sessionId: m.sessionId,
      ...extra,
    };
  }

  private sessionOf(m: Msg): Session | undefined {
    return m.store.sessionful && m.sessionId !== undefined
      ? m.store.session(m.sessionId)
      : undefined;
  }

  private countState(store: Store, state: MessageState, delta: number): void {
    if (state === 'active') store.active += delta;
    else if (state === 'deferred') store.deferred += delta;
    else store.scheduled += delta;
  }

  private setState(m: Msg, state: MessageState): void {
    this.countState(m.store, m.state, -1);
    m.state = state;
    this.countState(m.store, state, 1);
  }

  private insert(m: Msg): void {
    const store = m.store;
    store.bytes += m.size;
    store.index.insert(m);
    this.countState(store, m.state, 1);
    const s = this.sessionOf(m);
    if (s !== undefined) {
      s.count++;
      s.index.insert(m);
    }
  }

  /** Takes `m` out of its store (unlocking it first); the bytes stay unless `freeBytes`. */
  private detach(m: Msg): void {
    if (m.lockToken !== undefined) this.unlock(m);
    if (m.ready) this.unready(m);
    const store = m.store;
    this.countState(store, m.state, -1);
    store.bytes -= m.size;
    store.index.delete(m);
    const s = this.sessionOf(m);
    if (s !== undefined) {
      s.count--;
      s.index.delete(m);
      store.dropIfIdle(s);
    }
  }

  private remove(m: Msg): void {
    this.detach(m);
    m.store.root.usedBytes -= m.size;
    m.removed = true;
  }

  private makeReady(m: Msg): void {
    const store = m.store;
    m.ready = true;
    store.readyCount++;
    const s = this.sessionOf(m);
    if (s !== undefined) {
      s.ready.push(m);
      s.readyCount++;
      if (s.holder !== undefined) this.pendingAvailable.add(s.holder);
      else if (!store.availableSessions.has(s)) {
        store.availableSessions.add(s);
        this.pendingSessions.add(store);
      }
    } else {
      store.ready.push(m);
      for (const r of store.receivers) this.pendingAvailable.add(r);
    }
  }

  private unready(m: Msg): void {
    m.ready = false;
    m.store.readyCount--;
    const s = this.sessionOf(m);
    if (s !== undefined) {
      s.readyCount--;
      if (s.readyCount === 0) m.store.availableSessions.delete(s);
    }
  }

  /** The first deliverable message of a ready heap (stale entries are dropped). */
  private topReady(heap: MinHeap<Msg>, store: Store): Msg | undefined {
    for (;;) {
      const m = heap.peek();
      if (m === undefined) return undefined;
      if (m.ready && !m.removed && m.store === store) return m;
      heap.pop();
    }
  }

  private ttlFor(store: Store, message: IncomingMessage): number | undefined {
    return minTtl(message.timeToLiveMs, store.settings.defaultMessageTimeToLiveMs);
  }

  private newMsg(
    store: Store,
    seq: number,
    message: IncomingMessage,
    state: MessageState,
    time: number,
  ): Msg {
    return new Msg(seq, store, message, state, time);
  }

  /** Stores an active copy of `message` in `store`, enqueued at `time`. */
  private addActive(store: Store, seq: number, message: IncomingMessage, time: number): void {
    const m = this.newMsg(store, seq, message, 'active', time);
    const ttl = this.ttlFor(store, message);
    if (ttl !== undefined) m.expiresAt = time + ttl;
    store.root.usedBytes += m.size;
    this.insert(m);
    this.ev('sim:sb:enqueued', this.msgEvent(m, { size: m.size }));
    this.makeReady(m);
    if (m.expiresAt !== undefined) this.pushDeadline({ at: m.expiresAt, kind: 'ttl', msg: m });
  }

  private fanOut(root: Root, seq: number, message: IncomingMessage, time: number): void {
    let copies = 0;
    for (const sub of root.subscriptions) {
      if (!rulesMatch(sub.rules as Parameters<typeof rulesMatch>[0], message)) continue;
      if (sub.sessionful && (message.sessionId === undefined || message.sessionId === '')) {
        this.ev('sim:sb:dropped', {
          entity: sub.path,
          sequenceNumber: seq,
          reason: 'session-required',
        });
        continue;
      }
      this.addActive(sub, seq, message, time);
      copies++;
    }
    if (copies === 0) {
      this.ev('sim:sb:dropped', {
        entity: root.path,
        sequenceNumber: seq,
        reason: 'no-matching-subscription',
      });
    }
  }

  private lock(m: Msg, holder: Receiver | undefined, now: number): void {
    if (m.ready) this.unready(m);
    const token = this.newLockToken();
    m.lockToken = token;
    m.holder = holder;
    holder?.locked.add(m);
    m.store.locked++;
    this.locks.set(token, m);
    const s = this.sessionOf(m);
    if (s !== undefined) {
      m.lockedUntil = s.lockedUntil;
    } else {
      m.lockedUntil = now + m.store.settings.lockDurationMs;
      this.pushDeadline({ at: m.lockedUntil, kind: 'lock', msg: m, token });
    }
  }

  private unlock(m: Msg): void {
    if (m.lockToken !== undefined) this.locks.delete(m.lockToken);
    m.holder?.locked.delete(m);
    m.store.locked--;
    m.lockToken = undefined;
    m.lockedUntil = undefined;
    m.holder = undefined;
  }

  /** A lock ended without settlement (abandon, expiry, loss): one more failed delivery. */
  private release(m: Msg, now: number): void {
    this.unlock(m);
    m.deliveryCount++;
    const store = m.store;
    const max = store.settings.maxDeliveryCount;
    if (store.kind !== 'deadletter' && m.deliveryCount >= max) {
      this.deadLetterMsg(
        m,
        MAX_DELIVERY_REASON,
        `Message could not be consumed after ${max} delivery attempts.`,
      );
    } else if (m.expiresAt !== undefined && m.expiresAt <= now) {
      this.expire(m, now);
    } else if (m.state === 'active') {
      this.makeReady(m);
    }
  }

  private expire(m: Msg, _now: number): void {
    const store = m.store;
    if (store.settings.deadLetteringOnMessageExpiration && store.dlq !== undefined) {
      this.ev('sim:sb:expired', this.msgEvent(m, { deadLettered: true }));
      this.deadLetterMsg(m, TTL_EXPIRED_REASON, TTL_EXPIRED_DESCRIPTION);
    } else {
      this.ev('sim:sb:expired', this.msgEvent(m, { deadLettered: false }));
      this.remove(m);
    }
  }

  private deadLetterMsg(m: Msg, reason: string | undefined, description: string | undefined): void {
    const from = m.store;
    const dlq = from.dlq;
    if (dlq === undefined)
      throw notAllowed(
        'A message in a dead-letter queue cannot be dead-lettered again.',
        from.path,
      );
    this.detach(m);
    m.store = dlq;
    m.state = 'active';
    m.expiresAt = undefined;
    m.dl = { reason, description, source: m.dl?.source };
    const extra: Record<string, unknown> = {};
    if (reason !== undefined) extra.DeadLetterReason = reason;
    if (description !== undefined) extra.DeadLetterErrorDescription = description;
    if (reason !== undefined || description !== undefined) m.props = { ...m.props, ...extra };
    this.insert(m);
    this.ev('sim:sb:deadlettered', {
      entity: from.path,
      deadLetterQueue: dlq.path,
      sequenceNumber: m.seq,
      messageId: m.message.messageId,
      reason,
      description,
      deliveryCount: m.deliveryCount,
    });
    this.makeReady(m);
  }

  private activate(m: Msg, now: number): void {
    const store = m.store;
    const at = m.scheduledAt ?? now;
    if (store.kind === 'topic') {
      this.remove(m);
      this.ev('sim:sb:activated', this.msgEvent(m));
      this.fanOut(store.root, m.seq, m.message, at);
      return;
    }
    this.setState(m, 'active');
    m.enqueuedTime = at;
    const ttl = this.ttlFor(store, m.message);
    if (ttl !== undefined) {
      m.expiresAt = at + ttl;
      this.pushDeadline({ at: m.expiresAt, kind: 'ttl', msg: m });
    }
    this.ev('sim:sb:activated', this.msgEvent(m));
    this.makeReady(m);
  }

  private snapshot(m: Msg): MessageSnapshot {
    const locked = m.lockToken !== undefined;
    return {
      entityPath: m.store.path,
      sequenceNumber: m.seq,
      enqueuedTimeUtc: m.enqueuedTime,
      state: m.state,
      deliveryCount: m.deliveryCount,
      lockToken: m.lockToken,
      lockedUntilUtc: locked ? (this.sessionOf(m)?.lockedUntil ?? m.lockedUntil) : undefined,
      expiresAtUtc: m.expiresAt,
      scheduledEnqueueTimeUtc: m.scheduledAt,
      sessionId: m.sessionId,
      messageId: m.message.messageId,
      deadLetterReason: m.dl?.reason,
      deadLetterErrorDescription: m.dl?.description,
      deadLetterSource: m.dl?.source,
      applicationProperties: m.props,
      message: m.message,
    };
  }

  private delivery(m: Msg, r: Receiver | undefined, mode: ReceiveMode): Delivery {
    return { ...this.snapshot(m), receiverId: r?.id, mode };
  }

  // ---------------------------------------------------------------------------------------
  // Send and schedule

  private sendTarget(path: string): Root {
    const store = this.store(path);
    if (store.kind !== 'queue' && store.kind !== 'topic') {
      throw notAllowed(
        `Cannot send to '${store.path}': messages are sent to a queue or a topic.`,
        store.path,
      );
    }
    return store.root;
  }

  private checkMessages(root: Root, messages: readonly IncomingMessage[]): void {
    let total = 0;
    messages.forEach((m, i) => {
      if (!isCount(m.size))
        throw argument(`message ${i}: size must be a whole number of bytes`, { index: i });
      if (m.size > this.maxMessageSizeBytes) {
        throw new SimServiceBusError(
          'SIM_E_SB_MESSAGE_SIZE',
          `The received message (size: ${m.size} bytes) exceeds the limit (${this.maxMessageSizeBytes} bytes) currently allowed on the link.`,
          { entity: root.path, size: m.size, limit: this.maxMessageSizeBytes },
        );
      }
      if (
        m.timeToLiveMs !== undefined &&
        !(Number.isFinite(m.timeToLiveMs) && m.timeToLiveMs >= 0)
      ) {
        throw argument(`message ${i}: timeToLiveMs must be a non-negative number`, { index: i });
      }
      if (m.scheduledEnqueueTimeUtc !== undefined && !Number.isFinite(m.scheduledEnqueueTimeUtc)) {
        throw argument(`message ${i}: scheduledEnqueueTimeUtc must be a time in ms`, { index: i });
      }
      if (m.sessionId !== undefined && m.sessionId.length > MAX_SESSION_ID_LENGTH) {
        throw argument(
          `message ${i}: the session id is longer than ${MAX_SESSION_ID_LENGTH} characters`,
          { index: i },
        );
      }
      if (
        root.kind === 'queue' &&
        root.store.sessionful &&
        (m.sessionId === undefined || m.sessionId === '')
      ) {
        throw notAllowed(
          `The SessionId was not set on a message, and it cannot be sent to the entity '${root.path}'. Entities that have session support enabled can only receive messages that have the SessionId set to a valid value.`,
          root.path,
        );
      }
      total += m.size;
    });
    if (root.usedBytes + total > root.maxSizeInBytes) {
      throw new SimServiceBusError(
        'SIM_E_SB_QUOTA',
        `The maximum entity size has been reached or exceeded for '${root.path}'. Size of entity in bytes: ${root.usedBytes}, max entity size in bytes: ${root.maxSizeInBytes}.`,
        { entity: root.path, usedBytes: root.usedBytes, maxSizeInBytes: root.maxSizeInBytes },
      );
    }
  }

  private isDuplicate(root: Root, message: IncomingMessage, now: number): boolean {
    const window = root.duplicateWindowMs;
    const id = message.messageId;
    if (window === undefined || id === undefined) return false;
    for (const [seenId, until] of root.seen) {
      if (until > now) break;
      root.seen.delete(seenId);
    }
    if (root.seen.has(id)) return true;
    root.seen.set(id, now + window);
    return false;
  }

  private enqueue(
    root: Root,
    message: IncomingMessage,
    now: number,
    at: number | undefined,
  ): number {
    const seq = root.nextSeq++;
    if (at !== undefined && at > now) {
      const m = this.newMsg(root.store, seq, message, 'scheduled', now);
      m.scheduledAt = at;
      root.usedBytes += m.size;
      this.insert(m);
      this.pushDeadline({ at, kind: 'scheduled', msg: m });
      this.ev('sim:sb:scheduled', this.msgEvent(m, { scheduledEnqueueTimeUtc: at }));
    } else if (root.kind === 'queue') {
      this.addActive(root.store, seq, message, now);
    } else {
      this.fanOut(root, seq, message, now);
    }
    return seq;
  }

  send(path: string, messages: readonly IncomingMessage[]): SendResult {
    return this.run((now) => {
      const root = this.sendTarget(path);
      this.checkMessages(root, messages);
      const sequenceNumbers: (number | undefined)[] = [];
      let duplicates = 0;
      for (const m of messages) {
        if (this.isDuplicate(root, m, now)) {
          duplicates++;
          sequenceNumbers.push(undefined);
          this.ev('sim:sb:duplicate', { entity: root.path, messageId: m.messageId });
          continue;
        }
        sequenceNumbers.push(this.enqueue(root, m, now, m.scheduledEnqueueTimeUtc));
      }
      return { accepted: messages.length - duplicates, duplicates, sequenceNumbers };
    });
  }

  schedule(path: string, messages: readonly IncomingMessage[], enqueueTimeUtc: number): number[] {
    return this.run((now) => {
      const root = this.sendTarget(path);
      if (!Number.isFinite(enqueueTimeUtc))
        throw argument('the scheduled enqueue time must be a time in ms');
      this.checkMessages(root, messages);
      return messages.map((m) => this.enqueue(root, m, now, enqueueTimeUtc));
    });
  }

  cancelScheduled(path: string, sequenceNumbers: readonly number[]): void {
    this.run(() => {
      const store = this.sendTarget(path).store;
      const found = sequenceNumbers.map((seq) => {
        const m = store.index.get(seq);
        if (m?.state !== 'scheduled') {
          throw new SimServiceBusError(
            'SIM_E_SB_MESSAGE_NOT_FOUND',
            `The scheduled message with sequence number ${seq} was not found in '${store.path}'.`,
            { entity: store.path, sequenceNumber: seq },
          );
        }
        return m;
      });
      for (const m of new Set(found)) {
        this.remove(m);
        this.ev('sim:sb:cancelled', this.msgEvent(m));
      }
    });
  }

  // ---------------------------------------------------------------------------------------
  // Receivers

  private info(r: Receiver): ReceiverInfo {
    return {
      id: r.id,
      entityPath: r.store.path,
      mode: r.mode,
      name: r.name,
      sessionId: r.session?.id,
      sessionLockedUntilUtc: r.session?.lockedUntil,
    };
  }

  private liveReceiver(receiverId: string): Receiver {
    const r = this.receivers.get(receiverId);
    if (r === undefined) {
      throw new SimServiceBusError(
        'SIM_E_SB_RECEIVER',
        `There is no open receiver '${receiverId}'.`,
        {
          receiverId,
        },
      );
    }
    if (r.lost !== undefined) throw r.lost;
    return r;
  }

  openReceiver(path: string, options: ReceiverOptions): ReceiverInfo {
    return this.run((now) => {
      const store = this.store(path);
      if (store.kind === 'topic') {
        throw notAllowed(
          `Cannot receive from topic '${store.path}': receive from one of its subscriptions.`,
          store.path,
        );
      }
      if (!RECEIVE_MODES.has(options.mode)) {
        throw argument('the receive mode must be peekLock or receiveAndDelete');
      }
      const id = `r${++this.receiverN}`;
      let r: Receiver;
      if (options.sessionId === undefined) {
        if (store.sessionful) {
          throw notAllowed(
            `It is not possible for an entity that requires sessions to create a non-sessionful message receiver ('${store.path}').`,
            store.path,
          );
        }
        r = new Receiver(id, store, options.mode, options.name, undefined);
        if (store.readyCount > 0) this.pendingAvailable.add(r);
      } else {
        if (!store.sessionful) {
          throw notAllowed(
            `It is not possible for an entity that does not require sessions to create a sessionful message receiver ('${store.path}').`,
            store.path,
          );
        }
        let s: Session | undefined;
        if (options.sessionId === null) {
          s = store.availableSessions.values().next().value;
          if (s === undefined) {
            throw new SimServiceBusError(
              'SIM_E_SB_NO_SESSION',
              `No unlocked session with messages is available on '${store.path}'.`,
              { entity: store.path },
            );
          }
        } else {
          const sid = options.sessionId;
          if (typeof sid !== 'string' || sid === '' || sid.length > MAX_SESSION_ID_LENGTH) {
            throw argument(`the session id must be 1 to ${MAX_SESSION_ID_LENGTH} characters`);
          }
          s = store.session(sid);
          if (s.holder !== undefined) {
            throw new SimServiceBusError(
              'SIM_E_SB_SESSION_CANNOT_BE_LOCKED',
              `The requested session '${sid}' cannot be accepted. It may be locked by another receiver.`,
              { entity: store.path, sessionId: sid },
            );
          }
        }
        r = new Receiver(id, store, options.mode, options.name, s);
        s.holder = r;
        s.lockGen++;
        s.lockedUntil = now + store.settings.lockDurationMs;
        store.availableSessions.delete(s);
        this.pushDeadline({ at: s.lockedUntil, kind: 'session', session: s, gen: s.lockGen });
        this.ev('sim:sb:session-locked', {
          entity: store.path,
          sessionId: s.id,
          receiverId: id,
          lockedUntilUtc: s.lockedUntil,
        });
        if (s.readyCount > 0) this.pendingAvailable.add(r);
      }
      store.receivers.add(r);
      this.receivers.set(id, r);
      this.ev('sim:sb:receiver-opened', {
        entity: store.path,
        receiverId: id,
        name: options.name,
        mode: options.mode,
        sessionId: r.session?.id,
      });
      return this.info(r);
    });
  }

  receiver(receiverId: string): ReceiverInfo {
    return this.run(() => this.info(this.liveReceiver(receiverId)));
  }

  pull(receiverId: string, max: number): Delivery[] {
    return this.run((now) => {
      const r = this.liveReceiver(receiverId);
      if (!isCount(max)) throw argument('max must be a whole number ≥ 0', { max });
      const heap = r.session !== undefined ? r.session.ready : r.store.ready;
      const out: Delivery[] = [];
      while (out.length < max) {
        const m = this.topReady(heap, r.store);
        if (m === undefined) break;
        heap.pop();
        if (m.expiresAt !== undefined && m.expiresAt <= now) {
          this.expire(m, now);
          continue;
        }
        if (r.mode === 'receiveAndDelete') {
          out.push(this.delivery(m, r, r.mode));
          this.remove(m);
          this.ev('sim:sb:received', this.msgEvent(m, { receiverId: r.id }));
        } else {
          this.lock(m, r, now);
          out.push(this.delivery(m, r, r.mode));
          this.ev(
            'sim:sb:locked',
            this.msgEvent(m, {
              receiverId: r.id,
              lockToken: m.lockToken,
              deliveryCount: m.deliveryCount,
              lockedUntilUtc: m.lockedUntil,
            }),
          );
        }
      }
      return out;
    });
  }

  hasAvailable(receiverId: string): boolean {
    return this.run(() => {
      const r = this.liveReceiver(receiverId);
      const heap = r.session !== undefined ? r.session.ready : r.store.ready;
      return this.topReady(heap, r.store) !== undefined;
    });
  }

  closeReceiver(receiverId: string, options: { readonly abandonLocked?: boolean } = {}): void {
    this.run((now) => {
      const r = this.receivers.get(receiverId);
      if (r === undefined) return;
      this.receivers.delete(receiverId);
      r.store.receivers.delete(r);
      r.closed = true;
      if (r.lost === undefined) {
        if (r.session !== undefined) this.releaseSession(r.session, now);
        else if (options.abandonLocked === true)
          for (const m of [...r.locked]) this.release(m, now);
      }
      this.ev('sim:sb:receiver-closed', {
        entity: r.store.path,
        receiverId,
        sessionId: r.session?.id,
      });
    });
  }

  /** Frees a session: its holder's locked messages become available again (count + 1). */
  private releaseSession(s: Session, now: number): void {
    const holder = s.holder;
    s.holder = undefined;
    s.lockGen++;
    if (holder !== undefined) for (const m of [...holder.locked]) this.release(m, now);
    if (s.readyCount > 0 && !s.store.availableSessions.has(s)) {
      s.store.availableSessions.add(s);
      this.pendingSessions.add(s.store);
    }
    s.store.dropIfIdle(s);
  }

  private loseSession(s: Session, now: number): void {
    const r = s.holder;
    if (r === undefined) return;
    const err = sessionLockLost(s.store.path, s.id);
    r.lost = err;
    r.store.receivers.delete(r);
    this.ev('sim:sb:session-lock-lost', {
      entity: s.store.path,
      sessionId: s.id,
      receiverId: r.id,
    });
    this.releaseSession(s, now);
    this.pendingLost.push([r, err]);
  }

  // ---------------------------------------------------------------------------------------
  // Settlement

  private lockedMsg(lockToken: string, options: SettleOptions): Msg {
    if (options.receiverId !== undefined) {
      const r = this.receivers.get(options.receiverId);
      if (r?.lost !== undefined) throw r.lost;
    }
    const m = this.locks.get(lockToken);
    if (m === undefined) throw lockLost(lockToken);
    if (options.receiverId !== undefined && m.holder?.id !== options.receiverId)
      throw lockLost(lockToken);
    if (options.sessionId !== undefined && m.sessionId !== options.sessionId) {
      throw sessionLockLost(m.store.path, options.sessionId);
    }
    return m;
  }

  private modify(m: Msg, props: Readonly<Record<string, unknown>> | undefined): void {
    if (props !== undefined && Object.keys(props).length > 0) m.props = { ...m.props, ...props };
  }

  settle(lockToken: string, settlement: Settlement, options: SettleOptions = {}): void {
    this.run((now) => {
      const m = this.lockedMsg(lockToken, options);
      const base = this.msgEvent(m, { lockToken, receiverId: m.holder?.id });
      switch (settlement.kind) {
        case 'complete':
          this.remove(m);
          this.ev('sim:sb:settled', { ...base, outcome: 'completed' });
          return;
        case 'abandon':
          this.modify(m, settlement.propertiesToModify);
          this.ev('sim:sb:settled', {
            ...base,
            outcome: 'abandoned',
            deliveryCount: m.deliveryCount + 1,
          });
          this.release(m, now);
          return;
        case 'defer':
          this.modify(m, settlement.propertiesToModify);
          this.unlock(m);
          if (m.state !== 'deferred') this.setState(m, 'deferred');
          this.ev('sim:sb:settled', { ...base, outcome: 'deferred' });
          return;
        case 'deadLetter':
          if (m.store.dlq === undefined) {
            throw notAllowed(
              'A message in a dead-letter queue cannot be dead-lettered again.',
              m.store.path,
            );
          }
          this.modify(m, settlement.propertiesToModify);
          this.ev('sim:sb:settled', { ...base, outcome: 'deadlettered' });
          this.deadLetterMsg(m, settlement.reason, settlement.description);
          return;
      }
    });
  }

  complete(lockToken: string, options?: SettleOptions): void {
    this.settle(lockToken, { kind: 'complete' }, options);
  }

  abandon(
    lockToken: string,
    propertiesToModify?: Readonly<Record<string, unknown>>,
    options?: SettleOptions,
  ): void {
    this.settle(
      lockToken,
      { kind: 'abandon', ...(propertiesToModify ? { propertiesToModify } : {}) },
      options,
    );
  }

  defer(
    lockToken: string,
    propertiesToModify?: Readonly<Record<string, unknown>>,
    options?: SettleOptions,
  ): void {
    this.settle(
      lockToken,
      { kind: 'defer', ...(propertiesToModify ? { propertiesToModify } : {}) },
      options,
    );
  }

  deadLetter(
    lockToken: string,
    fields: {
      readonly reason?: string;
      readonly description?: string;
      readonly propertiesToModify?: Readonly<Record<string, unknown>>;
    } = {},
    options?: SettleOptions,
  ): void {
    this.settle(lockToken, { kind: 'deadLetter', ...fields }, options);
  }

  renewLock(lockTokens: readonly string[], options: SettleOptions = {}): number[] {
    return this.run((now) => {
      const msgs = lockTokens.map((t) => this.lockedMsg(t, options));
      return msgs.map((m) => {
        const s = this.sessionOf(m);
        if (s !== undefined) return s.lockedUntil;
        const token = m.lockToken ?? '';
        m.lockedUntil = now + m.store.settings.lockDurationMs;
        this.pushDeadline({ at: m.lockedUntil, kind: 'lock', msg: m, token });
        this.ev(
          'sim:sb:lock-renewed',
          this.msgEvent(m, { lockToken: token, lockedUntilUtc: m.lockedUntil }),
        );
        return m.lockedUntil;
      });
    });
  }

  // ---------------------------------------------------------------------------------------
  // $management reads

  private receivable(path: string): Store {
    const store = this.store(path);
    if (store.kind === 'topic') {
      throw notAllowed(`'${store.path}' is a topic: use one of its subscriptions.`, store.path);
    }
    return store;
  }

  peek(
    path: string,
    fromSequenceNumber: number,
    count: number,
    options: { readonly sessionId?: string } = {},
  ): MessageSnapshot[] {
    return this.run(() => {
      const store = this.receivable(path);
      if (!isCount(fromSequenceNumber))
        throw argument('from-sequence-number must be a whole number ≥ 0');
      if (!isCount(count)) throw argument('message-count must be a whole number ≥ 0');
      const out: MessageSnapshot[] = [];
      if (count === 0) return out;
      const sid = options.sessionId;
      if (sid !== undefined && store.sessionful) {
        const s = store.sessions.get(sid);
        if (s === undefined) return out;
        for (const found of s.index.from(fromSequenceNumber)) {
          out.push(this.snapshot(found));
          if (out.length >= count) break;
        }
        return out;
      }
      for (const m of store.index.from(fromSequenceNumber)) {
        out.push(this.snapshot(m));
        if (out.length >= count) break;
      }
      return out;
    });
  }

  receiveDeferred(
    path: string,
    sequenceNumbers: readonly number[],
    options: { readonly mode: ReceiveMode; readonly sessionId?: string },
  ): Delivery[] {
    return this.run((now) => {
      const store = this.receivable(path);
      let s: Session | undefined;
      if (store.sessionful) {
        const sid = options.sessionId;
        s = sid === undefined ? undefined : store.sessions.get(sid);
        if (s?.holder === undefined) throw sessionLockLost(store.path, sid);
      }
      const seen = new Set<number>();
      const msgs = sequenceNumbers.map((seq) => {
        const m = store.index.get(seq);
        if (
          m?.state !== 'deferred' ||
          m.lockToken !== undefined ||
          seen.has(seq) ||
          (s !== undefined && m.sessionId !== s.id)
        ) {
          throw new SimServiceBusError(
            'SIM_E_SB_MESSAGE_NOT_FOUND',
            `Failed to lock one or more specified messages. Either the message is already locked or does not exist. The sequence number: ${seq}.`,
            { entity: store.path, sequenceNumber: seq },
          );
        }
        seen.add(seq);
        return m;
      });
      return msgs.map((m) => {
        if (options.mode === 'receiveAndDelete') {
          const d = this.delivery(m, undefined, options.mode);
          this.remove(m);
          this.ev('sim:sb:received', this.msgEvent(m, { deferred: true }));
          return d;
        }
        this.lock(m, s?.holder, now);
        this.ev(
          'sim:sb:locked',
          this.msgEvent(m, {
            lockToken: m.lockToken,
            deliveryCount: m.deliveryCount,
            deferred: true,
          }),
        );
        return this.delivery(m, undefined, options.mode);
      });
    });
  }

  // ---------------------------------------------------------------------------------------
  // Sessions

  renewSessionLock(receiverId: string): number {
    return this.run((now) => {
      const r = this.liveReceiver(receiverId);
      const s = r.session;
      if (s === undefined)
        throw notAllowed('The receiver is not a session receiver.', r.store.path);
      s.lockGen++;
      s.lockedUntil = now + r.store.settings.lockDurationMs;
      this.pushDeadline({ at: s.lockedUntil, kind: 'session', session: s, gen: s.lockGen });
      this.ev('sim:sb:session-lock-renewed', {
        entity: r.store.path,
        sessionId: s.id,
        receiverId,
        lockedUntilUtc: s.lockedUntil,
      });
      return s.lockedUntil;
    });
  }

  private lockedSession(path: string, sessionId: string): Session {
    const store = this.receivable(path);
    if (!store.sessionful)
      throw notAllowed(`'${store.path}' does not require sessions.`, store.path);
    const s = store.sessions.get(sessionId);
    if (s?.holder === undefined) throw sessionLockLost(store.path, sessionId);
    return s;
  }

  getSessionState(path: string, sessionId: string): unknown {
    return this.run(() => this.lockedSession(path, sessionId).state);
  }

  setSessionState(path: string, sessionId: string, state: unknown): void {
    this.run(() => {
      const s = this.lockedSession(path, sessionId);
      s.state = state ?? undefined;
      this.ev('sim:sb:session-state', {
        entity: s.store.path,
        sessionId,
        cleared: s.state === undefined,
      });
    });
  }

  // ---------------------------------------------------------------------------------------
  // Control API

  listEntities(): EntityCounts[] {
    return this.run(() => {
      const rows: EntityCounts[] = [];
      const row = (store: Store, kind: EntityCounts['kind']): EntityCounts => ({
        path: store.path,
        kind,
        active: store.active,
        deferred: store.deferred,
        scheduled: store.scheduled,
        locked: store.locked,
        deadLettered: store.dlq?.index.size ?? 0,
        sizeInBytes:
          kind === 'subscription' ? store.bytes + (store.dlq?.bytes ?? 0) : store.root.usedBytes,
        sessions: store.sessions.size,
        receivers: store.receivers.size,
      });
      for (const root of this.roots) {
        rows.push(row(root.store, root.kind));
        for (const sub of root.subscriptions) rows.push(row(sub, 'subscription'));
      }
      return rows;
    });
  }

  messages(path: string): MessageSnapshot[] {
    return this.run(() => {
      const store = this.store(path);
      return [...store.index.from(0)].map((m) => this.snapshot(m));
    });
  }

  purge(path: string): number {
    return this.run(() => {
      const store = this.store(path);
      const all = [...store.index.from(0)];
      for (const m of all) this.remove(m);
      store.index.clear();
      this.ev('sim:sb:purged', { entity: store.path, count: all.length });
      return all.length;
    });
  }

  forceLockLoss(lockToken: string): number {
    return this.run((now) => {
      const msgs = lockToken === 'all' ? [...this.locks.values()] : [this.locks.get(lockToken)];
      let n = 0;
      for (const m of msgs) {
        if (m?.lockToken === undefined) continue;
        this.ev('sim:sb:lock-lost', this.msgEvent(m, { lockToken: m.lockToken, forced: true }));
        this.release(m, now);
        n++;
      }
      return n;
    });
  }

  /** Fault: the session's lock is lost now, as if it expired. Returns false when unlocked. */
  forceSessionLockLoss(path: string, sessionId: string): boolean {
    return this.run((now) => {
      const s = this.receivable(path).sessions.get(sessionId);
      if (s?.holder === undefined) return false;
      this.loseSession(s, now);
      return true;
    });
  }
}

function minTtl(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
