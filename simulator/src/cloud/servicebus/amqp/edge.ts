// The AMQP 1.0 edge of the simulated namespace, on rhea's server side. In: accepted byte
// streams (plain, TLS, WebSocket), the broker engine and its callbacks, the CBS policy, the
// limits and injected faults. Out: AMQP connections that the unmodified @azure/service-bus
// SDK uses: $cbs put-token, entity senders and receivers with credit, drain and
// dispositions, $management request/response, session receivers; typed refusals with
// Azure's conditions; events on `sim:sb:*`. Abusive peers (oversized frames, garbage,
// unknown performatives, link floods) get an AMQP error and a closed connection.
import { PayloadSlabs } from './slabs';
import { randomUUID } from 'node:crypto';
import {
  create_container,
  type Connection,
  type Container,
  type Delivery,
  type EventContext,
  type Receiver,
  type Sender,
  type link as RheaLink,
} from 'rhea';
import type { SasRight } from '../../../../../relay/src/protocol/sas';
import { SimServiceBusError } from '../engine/errors';
import type { Delivery as EngineDelivery, ReceiveMode, ServiceBusEngineApi } from '../engine/types';
import { CbsSession, type CbsPolicy } from './cbs';
import {
  BATCH_FORMAT,
  batchParts,
  decodeMessage,
  encodeMessage,
  lockTokenToTag,
  msToTicks,
  tagToLockToken,
  toIncoming,
  toWire,
  type WireMessage,
} from './codec';
import { SimAmqpError, type SimAmqpCode } from './errors';
import type { EventPublisher } from './events';
import { FrameGuard, SASL_HEADER, type Violation } from './guard';
import type { AcceptedStream, ListenerKind } from './listeners';
import { handleManagement } from './management';
import {
  acceptSocket,
  holdAttach,
  localAttach,
  outgoingRoom,
  remoteAttach,
  remoteOpen,
  senderCredit,
  senderDeliveryCount,
  senderDraining,
  settle,
  settleOutgoing,
  outcomes,
  type AmqpError,
} from './rhea-internals';

const CBS_ADDRESS = '$cbs';
const MANAGEMENT_SUFFIX = '/$management';
const SESSION_FILTER = 'com.microsoft:session-filter';
const LOCKED_UNTIL = 'com.microsoft:locked-until-utc';
const TIMEOUT_PROPERTY = 'com.microsoft:timeout';
const DEAD_LETTER = 'com.microsoft:dead-letter';

export interface EdgeLimits {
  /** max-frame-size announced in open and enforced on every incoming frame. */
  readonly maxFrameSize: number;
  /** Links (attached, not yet detached) one connection may hold. */
  readonly maxLinksPerConnection: number;
  /** Open connections the namespace accepts (Azure: 5,000). */
  readonly maxConnections: number;
  /** How long accept-next-session waits when the client gives no com.microsoft:timeout. */
  readonly sessionAcceptTimeoutMs: number;
}

/** Faults a suite may inject (see the simulator's `faults`). Mutable on purpose. */
export interface EdgeFaults {
  /** Answer every put-token with this status (e.g. 401 or 503) instead of verifying it. */
  refuseCbs?: number | undefined;
  /** Hold every disposition answer this long (ms). */
  dispositionDelayMs?: number | undefined;
  /**
   * Throttling: refuse every receive (link attach, credit) and settlement with
   * com.microsoft:server-busy, as Azure does when a namespace is over its limits.
   */
  serverBusy?: true | undefined;
  /**
   * Only these entities (and their sub-queues) are throttled while serverBusy is on; undefined:
   * the whole namespace, as Azure's Standard tier throttles.
   */
  serverBusyEntities?: readonly string[] | undefined;
}

/** The refusal of a throttled receive or settlement (Azure's error code 50009). */
function serverBusyError(entity: string): SimAmqpError {
  return new SimAmqpError(
    'SIM_E_AMQP_FAULT',
    `The request was terminated because the entity '${entity}' is being throttled (server busy, an injected fault). Please wait and try again.`,
    { entity },
  );
}

export interface EdgeOptions {
  readonly engine: ServiceBusEngineApi;
  readonly events: EventPublisher;
  readonly cbs: CbsPolicy;
  readonly limits: EdgeLimits;
  readonly faults: EdgeFaults;
  /** Called after every engine call (re-arms the engine's deadline timer). */
  readonly afterEngineCall: () => void;
  /** AMQP container id announced in open. */
  readonly containerId: string;
}

type Role =
  | { readonly kind: 'cbs' }
  | { readonly kind: 'reply' }
  | { readonly kind: 'management'; readonly entity: string; readonly address: string }
  | { readonly kind: 'send'; readonly entity: string }
  | ReceiveRole;

interface ReceiveRole {
  readonly kind: 'receive';
  readonly entity: string;
  readonly receiverId: string;
  readonly mode: ReceiveMode;
  readonly sessionId: string | undefined;
  readonly sender: Sender;
  readonly conn: ConnectionHandler;
  /** Deliveries handed to rhea (sent or queued), to tell queued ones from credit. */
  sent: number;
}

interface PendingSession {
  readonly conn: ConnectionHandler;
  readonly sender: Sender;
  readonly entity: string;
  readonly mode: ReceiveMode;
  readonly timer: NodeJS.Timeout;
}

function isSender(link: RheaLink): link is Sender {
  return link.is_sender();
}

function errorOf(e: unknown): AmqpError {
  if (e instanceof SimServiceBusError || e instanceof SimAmqpError) {
    return { condition: e.amqp ?? 'amqp:internal-error', description: e.message };
  }
  const message = e instanceof Error ? e.message : String(e);
  return { condition: 'amqp:internal-error', description: `Internal error: ${message}` };
}

function codeOf(e: unknown): string {
  return e instanceof SimServiceBusError || e instanceof SimAmqpError
    ? e.code
    : 'SIM_E_AMQP_INTERNAL';
}

/** The namespace-wide edge: one rhea container, many connections. */
export class AmqpEdge {
  readonly options: EdgeOptions;
  readonly container: Container;
  readonly #connections = new Set<ConnectionHandler>();
  readonly #receivers = new Map<string, ReceiveRole>();
  readonly #pending = new Set<PendingSession>();
  /** Slab space for the bytes of every held message (see slabs.ts). */
  readonly slabs = new PayloadSlabs();
  #nextId = 0;
  #closed = false;

  constructor(options: EdgeOptions) {
    this.options = options;
    this.container = create_container({
      id: options.containerId,
      autoaccept: false,
      autosettle: true,
      treat_modified_as_released: false,
    });
    // Safety net: rhea emits 'error' on the container for an unhandled link or session
    // error; without a listener that would throw and end the process.
    this.container.on('error', (e: unknown) => {
      options.events.edge('sim:sb:protocol-error', {
        where: 'container',
        message: e instanceof Error ? e.message : String(e),
      });
    });
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Takes one accepted byte stream and runs AMQP on it. */
  accept(accepted: AcceptedStream): void {
    if (this.#closed) {
      accepted.stream.destroy();
      return;
    }
    const id = `c${++this.#nextId}`;
    const handler = new ConnectionHandler(this, id, accepted);
    this.#connections.add(handler);
    handler.start(this.#connections.size > this.options.limits.maxConnections);
  }

  /** True while `entity` is throttled (faults.serverBusy, optionally serverBusyEntities). */
  busy(entity: string): boolean {
    const f = this.options.faults;
    if (f.serverBusy !== true) return false;
    const only = f.serverBusyEntities;
    if (only === undefined) return true;
    const path = entity.toLowerCase();
    return only.some((e) => {
      const name = e.toLowerCase();
      return path === name || path.startsWith(`${name}/`);
    });
  }

  /** Runs an engine call, then lets the timer re-arm. */
  engine<T>(fn: (engine: ServiceBusEngineApi) => T): T {
    try {
      return fn(this.options.engine);
    } finally {
      this.options.afterEngineCall();
    }
  }

  // -- engine callbacks -----------------------------------------------------------------

  onAvailable(receiverId: string): void {
    const role = this.#receivers.get(receiverId);
    if (role !== undefined) role.conn.pump(role);
  }

  onSessionAvailable(entity: string): void {
    for (const p of [...this.#pending]) {
      if (p.entity !== entity) continue;
      if (!this.#pending.has(p)) continue;
      p.conn.retryPendingSession(p);
    }
  }

  onReceiverLost(receiverId: string, error: Error & { readonly amqp?: string }): void {
    const role = this.#receivers.get(receiverId);
    if (role === undefined) return;
    role.conn.detach(role.sender, {
      condition: error.amqp ?? 'com.microsoft:session-lock-lost',
      description: error.message,
    });
  }

  // -- registry -----------------------------------------------------------------------------

  registerReceiver(role: ReceiveRole): void {
    this.#receivers.set(role.receiverId, role);
  }

  unregisterReceiver(role: ReceiveRole): void {
    if (this.#receivers.get(role.receiverId) === role) this.#receivers.delete(role.receiverId);
  }

  addPending(p: Omit<PendingSession, 'timer'>, timeoutMs: number): void {
    const pending: PendingSession = {
      ...p,
      timer: setTimeout(() => {
        if (!this.#pending.delete(pending)) return;
        p.conn.failPendingSession(pending);
      }, timeoutMs),
    };
    pending.timer.unref();
    this.#pending.add(pending);
  }

  removePending(p: PendingSession): boolean {
    clearTimeout(p.timer);
    return this.#pending.delete(p);
  }

  pendingOf(conn: ConnectionHandler): PendingSession[] {
    return [...this.#pending].filter((p) => p.conn === conn);
  }

  forget(conn: ConnectionHandler): void {
    this.#connections.delete(conn);
  }

  /** Fault: drops every connection (or those of one listener) without an AMQP close. */
  dropConnections(kind?: ListenerKind): number {
    let n = 0;
    for (const c of [...this.#connections]) {
      if (kind !== undefined && c.kind !== kind) continue;
      c.drop();
      n++;
    }
    return n;
  }

  close(): void {
    this.#closed = true;
    for (const c of [...this.#connections]) c.drop();
    for (const p of this.#pending) clearTimeout(p.timer);
    this.#pending.clear();
  }
}

/** One AMQP connection: its guard, rhea connection, CBS session and links. */
class ConnectionHandler {
  readonly edge: AmqpEdge;
  readonly id: string;
  readonly kind: ListenerKind;
  readonly #accepted: AcceptedStream;
  readonly #guard: FrameGuard;
  readonly #connection: Connection;
  readonly #cbs: CbsSession;
  readonly #roles = new Map<RheaLink, Role>();
  readonly #timers = new Set<NodeJS.Timeout>();
  /** Links attached and not yet detached (refused ones until their detach completes). */
  readonly #open = new Set<RheaLink>();
  #ended = false;

  constructor(edge: AmqpEdge, id: string, accepted: AcceptedStream) {
    this.edge = edge;
    this.id = id;
    this.kind = accepted.kind;
    this.#accepted = accepted;
    const { limits, containerId, cbs } = edge.options;
    this.#guard = new FrameGuard(accepted.stream, { maxFrameSize: limits.maxFrameSize }, (v) => {
      this.#violation(v);
    });
    this.#connection = edge.container.create_connection({
      id,
      container_id: containerId,
      max_frame_size: limits.maxFrameSize,
      channel_max: 4999,
      properties: { product: 'relaycheck-simulator' },
    } as unknown as Parameters<Container['create_connection']>[0]);
    this.#cbs = new CbsSession(cbs, (path) => {
      this.#onTokenExpired(path);
    });
  }

  start(overLimit: boolean): void {
    const c = this.#connection;
    c.on('connection_open', () => {
      this.#onOpen(overLimit);
    });
    c.on('connection_close', () => {
      this.#end('closed');
    });
    c.on('connection_error', () => {
      this.#end('closed with error');
    });
    c.on('disconnected', () => {
      this.#end('disconnected');
    });
    c.on('protocol_error', (e: unknown) => {
      this.#protocolError('SIM_E_AMQP_DECODE', e);
    });
    c.on('error', (e: unknown) => {
      this.#protocolError('SIM_E_AMQP_DECODE', e);
    });
    c.on('session_close', (ctx: EventContext) => {
      this.#onSessionEnd(ctx);
    });
    c.on('session_error', () => {
      // session_close follows and cleans up.
    });
    c.on('sender_open', (ctx: EventContext) => {
      this.#guarded(() => {
        this.#onSenderOpen(ctx);
      });
    });
    c.on('receiver_open', (ctx: EventContext) => {
      this.#guarded(() => {
        this.#onReceiverOpen(ctx);
      });
    });
    for (const event of ['sender_close', 'receiver_close']) {
      c.on(event, (ctx: EventContext) => {
        const link = (ctx.sender ?? ctx.receiver) as RheaLink | undefined;
        if (link !== undefined) this.#linkGone(link, 'detached by peer');
      });
    }
    for (const event of ['sender_error', 'receiver_error']) {
      c.on(event, () => {
        // *_close follows and cleans up.
      });
    }
    c.on('message', (ctx: EventContext) => {
      this.#guarded(() => {
        this.#onMessage(ctx);
      });
    });
    c.on('sender_flow', (ctx: EventContext) => {
      this.#guarded(() => {
        this.#onFlow(ctx);
      });
    });
    c.on('sender_draining', (ctx: EventContext) => {
      this.#guarded(() => {
        this.#onFlow(ctx);
      });
    });
    for (const outcome of ['accepted', 'rejected', 'released', 'modified'] as const) {
      c.on(outcome, (ctx: EventContext) => {
        this.#guarded(() => {
          this.#onDisposition(outcome, ctx);
        });
      });
    }
    c.on('settled', () => {
      // Client-settled deliveries (receiveAndDelete) need nothing.
    });
    acceptSocket(c, this.#guard);
    this.edge.options.events.edge('sim:sb:connection', {
      connection: this.id,
      state: 'accepted',
      listener: this.kind,
      remote: this.#accepted.remote,
      tls: this.#accepted.tlsProtocol,
    });
  }

  // -- connection ---------------------------------------------------------------------------

  #onOpen(overLimit: boolean): void {
    const open = remoteOpen(this.#connection);
    const props = open?.properties ?? {};
    this.edge.options.events.edge('sim:sb:connection', {
      connection: this.id,
      state: 'open',
      listener: this.kind,
      containerId: open?.container_id,
      hostname: open?.hostname,
      product: typeof props.product === 'string' ? props.product : undefined,
      version: typeof props.version === 'string' ? props.version : undefined,
      userAgent: typeof props['user-agent'] === 'string' ? props['user-agent'] : undefined,
    });
    if (overLimit) {
      this.#fail(
        'SIM_E_AMQP_CONNECTION_LIMIT',
        `The namespace allows at most ${this.edge.options.limits.maxConnections} connections.`,
      );
    }
  }

  /** Closes the connection with an AMQP error, then ends the socket. */
  #fail(code: SimAmqpCode, message: string): void {
    const err = new SimAmqpError(code, message);
    this.edge.options.events.edge('sim:sb:protocol-error', {
      connection: this.id,
      code,
      message,
    });
    this.#guard.stop();
    if (!this.#connection.is_closed()) {
      this.#connection.close({
        condition: err.amqp ?? 'amqp:internal-error',
        description: message,
      });
    }
    this.#guard.end();
  }

  #violation(v: Violation): void {
    const code: SimAmqpCode =
      v.kind === 'protocol-header'
        ? 'SIM_E_AMQP_PROTOCOL_HEADER'
        : v.kind === 'frame-too-large'
          ? 'SIM_E_AMQP_FRAME_TOO_LARGE'
          : 'SIM_E_AMQP_FRAMING';
    if (v.kind === 'protocol-header') {
      this.edge.options.events.edge('sim:sb:protocol-error', {
        connection: this.id,
        code,
        message: v.message,
      });
      this.#guard.refuse(SASL_HEADER);
      return;
    }
    if (v.beforeAmqp || !this.#connection.is_remote_open()) {
      this.edge.options.events.edge('sim:sb:protocol-error', {
        connection: this.id,
        code,
        message: v.message,
        size: v.size,
      });
      this.#guard.end();
      return;
    }
    this.#fail(code, v.message);
  }

  #protocolError(code: SimAmqpCode, e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    if (this.#connection.is_remote_open() && !this.#ended) {
      this.#fail(code, `The frame could not be processed: ${message.slice(0, 200)}`);
    } else {
      this.edge.options.events.edge('sim:sb:protocol-error', {
        connection: this.id,
        code,
        message,
      });
      this.#guard.end();
    }
  }

  /** Runs a handler; an exception (a bug) closes the connection instead of reaching rhea. */
  #guarded(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.#protocolError('SIM_E_AMQP_INTERNAL', e);
    }
  }

  #end(reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const link of [...this.#open]) this.#linkGone(link, reason);
    for (const p of this.edge.pendingOf(this)) this.edge.removePending(p);
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#cbs.close();
    this.edge.forget(this);
    this.#guard.end();
    this.edge.options.events.edge('sim:sb:connection', {
      connection: this.id,
      state: 'closed',
      listener: this.kind,
      reason,
    });
  }

  drop(): void {
    this.#guard.destroy();
    this.#end('dropped');
  }

  // -- links --------------------------------------------------------------------------------

  #countLink(link: RheaLink): boolean {
    this.#open.add(link);
    const max = this.edge.options.limits.maxLinksPerConnection;
    if (this.#open.size > max) {
      this.#fail('SIM_E_AMQP_LINK_LIMIT', `The connection attached more than ${max} links.`);
      return false;
    }
    return true;
  }

  #linkGone(link: RheaLink, reason: string): void {
    this.#open.delete(link);
    const role = this.#roles.get(link);
    if (role === undefined) return;
    this.#roles.delete(link);
    if (role.kind === 'receive') {
      this.edge.unregisterReceiver(role);
      this.edge.engine((e) => {
        e.closeReceiver(role.receiverId);
      });
    }
    this.edge.options.events.edge('sim:sb:detach', {
      connection: this.id,
      link: link.name,
      role: role.kind,
      entity: 'entity' in role ? role.entity : undefined,
      reason,
    });
  }

  /** Detaches a link from the server side with an error. */
  detach(link: RheaLink, error: AmqpError): void {
    this.#linkGone(link, error.condition ?? 'detached');
    if (!link.is_closed()) link.close(error);
  }

  #onSessionEnd(ctx: EventContext): void {
    const session = ctx.session;
    for (const link of [...this.#open]) {
      if (link.session === session) this.#linkGone(link, 'session ended');
    }
    for (const p of this.edge.pendingOf(this)) {
      if (p.sender.session === session) this.edge.removePending(p);
    }
  }

  /** Refuses an attach: answer with no terminus, then detach with the error. */
  #refuse(link: RheaLink, e: unknown): void {
    const error = errorOf(e);
    const local = localAttach(link);
    local.source = undefined;
    local.target = undefined;
    this.edge.options.events.edge('sim:sb:attach', {
      connection: this.id,
      link: link.name,
      role: isSender(link) ? 'sender' : 'receiver',
      address: addressOf(link),
      outcome: 'refused',
      code: codeOf(e),
      condition: error.condition,
    });
    link.close(error);
  }

  #echoTermini(link: RheaLink, source?: Record<string, unknown>): void {
    const remote = remoteAttach(link);
    link.set_source(
      (source ??
        (remote.source ? { address: remote.source.address } : {})) as unknown as Parameters<
        RheaLink['set_source']
      >[0],
    );
    link.set_target(
      (remote.target ? { address: remote.target.address } : {}) as Parameters<
        RheaLink['set_target']
      >[0],
    );
    const local = localAttach(link);
    if (remote.snd_settle_mode !== undefined) local.snd_settle_mode = remote.snd_settle_mode;
    if (remote.rcv_settle_mode !== undefined) local.rcv_settle_mode = remote.rcv_settle_mode;
  }

  #attached(
    link: RheaLink,
    role: Role,
    extra: Record<string, string | number | boolean | undefined> = {},
  ): void {
    this.#roles.set(link, role);
    this.edge.options.events.edge('sim:sb:attach', {
      connection: this.id,
      link: link.name,
      role: role.kind,
      address: addressOf(link),
      outcome: 'attached',
      ...extra,
    });
  }

  /** The peer attached a receiver: the server sends on this link. */
  #onSenderOpen(ctx: EventContext): void {
    const sender = ctx.sender;
    if (sender === undefined || !this.#countLink(sender)) return;
    const remote = remoteAttach(sender);
    const address = remote.source?.address;
    if (address === undefined || address === null || address === '') {
      this.#refuse(
        sender,
        new SimAmqpError('SIM_E_AMQP_LINK', 'The receiver link has no source address.'),
      );
      return;
    }
    if (address === CBS_ADDRESS || address.toLowerCase().endsWith(MANAGEMENT_SUFFIX)) {
      this.#echoTermini(sender);
      this.#attached(sender, { kind: 'reply' });
      return;
    }
    try {
      this.#cbs.authorize(address, 'Listen');
      const entity = this.edge.engine((e) => e.resolvePath(address));
      if (this.edge.busy(entity)) throw serverBusyError(entity);
      const mode: ReceiveMode = remote.snd_settle_mode === 1 ? 'receiveAndDelete' : 'peekLock';
      const filter = remote.source?.filter ?? undefined;
      let sessionId: string | null | undefined;
      if (filter !== undefined && SESSION_FILTER in filter) {
        const wanted = filter[SESSION_FILTER];
        sessionId = typeof wanted === 'string' ? wanted : null;
      }
      try {
        const info = this.edge.engine((e) =>
          e.openReceiver(entity, { mode, sessionId, name: sender.name }),
        );
        this.#receiverAttached(
          sender,
          entity,
          mode,
          info.id,
          info.sessionId,
          info.sessionLockedUntilUtc,
        );
      } catch (e) {
        if (e instanceof SimServiceBusError && e.code === 'SIM_E_SB_NO_SESSION') {
          holdAttach(sender);
          const props = remote.properties ?? {};
          const wantedTimeout = props[TIMEOUT_PROPERTY];
          const timeout =
            typeof wantedTimeout === 'number' && wantedTimeout > 0
              ? wantedTimeout
              : this.edge.options.limits.sessionAcceptTimeoutMs;
          this.edge.addPending({ conn: this, sender, entity, mode }, timeout);
          this.edge.options.events.edge('sim:sb:attach', {
            connection: this.id,
            link: sender.name,
            role: 'receive',
            address,
            outcome: 'held',
            entity,
            timeoutMs: timeout,
          });
          return;
        }
        throw e;
      }
    } catch (e) {
      this.#refuse(sender, e);
    }
  }

  #receiverAttached(
    sender: Sender,
    entity: string,
    mode: ReceiveMode,
    receiverId: string,
    sessionId: string | undefined,
    lockedUntil: number | undefined,
  ): void {
    const remote = remoteAttach(sender);
    const source: Record<string, unknown> = { address: remote.source?.address ?? entity };
    if (sessionId !== undefined) source.filter = { [SESSION_FILTER]: sessionId };
    this.#echoTermini(sender, source);
    if (sessionId !== undefined && lockedUntil !== undefined) {
      localAttach(sender).properties = { [LOCKED_UNTIL]: msToTicks(lockedUntil) };
    }
    const role: ReceiveRole = {
      kind: 'receive',
      entity,
      receiverId,
      mode,
      sessionId,
      sender,
      conn: this,
      sent: senderDeliveryCount(sender),
    };
    this.edge.registerReceiver(role);
    this.#attached(sender, role, { entity, mode, sessionId, receiverId });
  }

  retryPendingSession(p: PendingSession): void {
    if (p.sender.is_closed() || this.#ended) {
      this.edge.removePending(p);
      return;
    }
    let info;
    try {
      info = this.edge.engine((e) =>
        e.openReceiver(p.entity, { mode: p.mode, sessionId: null, name: p.sender.name }),
      );
    } catch (e) {
      if (e instanceof SimServiceBusError && e.code === 'SIM_E_SB_NO_SESSION') return;
      this.edge.removePending(p);
      p.sender.open();
      this.#refuse(p.sender, e);
      return;
    }
    this.edge.removePending(p);
    this.#receiverAttached(
      p.sender,
      p.entity,
      p.mode,
      info.id,
      info.sessionId,
      info.sessionLockedUntilUtc,
    );
    p.sender.open();
  }

  failPendingSession(p: PendingSession): void {
    if (p.sender.is_closed() || this.#ended) return;
    p.sender.open();
    this.#refuse(
      p.sender,
      new SimServiceBusError(
        'SIM_E_SB_NO_SESSION',
        `No unlocked session with messages became available on '${p.entity}' in time.`,
        { entity: p.entity },
      ),
    );
  }

  /** The peer attached a sender: the server receives on this link. */
  #onReceiverOpen(ctx: EventContext): void {
    const receiver = ctx.receiver;
    if (receiver === undefined || !this.#countLink(receiver)) return;
    const remote = remoteAttach(receiver);
    const address = remote.target?.address;
    if (address === undefined || address === null || address === '') {
      this.#refuse(
        receiver,
        new SimAmqpError('SIM_E_AMQP_LINK', 'The sender link has no target address.'),
      );
      return;
    }
    try {
      if (address === CBS_ADDRESS) {
        this.#echoTermini(receiver);
        this.#attached(receiver, { kind: 'cbs' });
        return;
      }
      if (address.toLowerCase().endsWith(MANAGEMENT_SUFFIX)) {
        this.#cbs.authorize(address, 'Any');
        const entity = this.edge.engine((e) =>
          e.resolvePath(address.slice(0, address.length - MANAGEMENT_SUFFIX.length)),
        );
        this.#echoTermini(receiver);
        this.#attached(receiver, { kind: 'management', entity, address }, { entity });
        return;
      }
      this.#cbs.authorize(address, 'Send');
      const entity = this.edge.engine((e) => e.resolvePath(address));
      if (/\/subscriptions\/|\/\$deadletterqueue$/i.test(entity)) {
        throw new SimServiceBusError(
          'SIM_E_SB_NOT_ALLOWED',
          `Cannot send to '${entity}': send to a queue or a topic.`,
          { entity },
        );
      }
      this.#echoTermini(receiver);
      localAttach(receiver).max_message_size = this.edge.options.engine.maxMessageSizeBytes;
      this.#attached(receiver, { kind: 'send', entity }, { entity });
    } catch (e) {
      this.#refuse(receiver, e);
    }
  }

  #onTokenExpired(path: string): void {
    for (const [link, role] of [...this.#roles]) {
      const need = needOf(role, link);
      if (need === undefined) continue;
      if (!need.path.toLowerCase().startsWith(path)) continue;
      if (this.#cbs.allows(need.path, need.right)) continue;
      const err = new SimAmqpError(
        'SIM_E_AMQP_TOKEN_EXPIRED',
        `The token for '${need.path}' has expired. Put a new token on $cbs and attach again.`,
        { entity: need.path },
      );
      this.edge.options.events.edge('sim:sb:cbs', {
        connection: this.id,
        decision: 'expired',
        path: need.path,
        link: link.name,
      });
      this.detach(link, errorOf(err));
    }
  }

  // -- transfers ----------------------------------------------------------------------------

  #onMessage(ctx: EventContext): void {
    const receiver = ctx.receiver;
    const delivery = ctx.delivery;
    if (receiver === undefined || delivery === undefined) return;
    const role = this.#roles.get(receiver);
    if (role === undefined) {
      settle(delivery, outcomes.released().described());
      return;
    }
    switch (role.kind) {
      case 'cbs':
        this.#onCbsRequest(ctx, delivery);
        return;
      case 'management':
        this.#onManagementRequest(ctx, delivery, role);
        return;
      case 'send':
        this.#onSend(ctx, receiver, delivery, role.entity);
        return;
      default:
        settle(
          delivery,
          outcomes.rejected({ error: { condition: 'amqp:not-allowed' } }).described(),
        );
    }
  }

  #reply(replyTo: unknown, response: WireMessage): boolean {
    if (typeof replyTo !== 'string' || replyTo === '') return false;
    const target = this.#connection.find_sender(
      (l: RheaLink) => l.name === replyTo || remoteAttach(l).target?.address === replyTo,
    );
    if (target?.is_open() !== true) return false;
    target.send(response as Parameters<Sender['send']>[0]);
    return true;
  }

  #onCbsRequest(ctx: EventContext, delivery: Delivery): void {
    const request = ctx.message as WireMessage | undefined;
    const props = request?.application_properties ?? {};
    const refuseWith = this.edge.options.faults.refuseCbs;
    let decision;
    if (props.operation !== 'put-token') {
      decision = {
        status: 400,
        description: 'Only the put-token operation is supported on $cbs.',
        condition: 'com.microsoft:argument-error',
        reason: 'SIM_E_AMQP_BAD_REQUEST',
      };
    } else if (refuseWith !== undefined) {
      decision = {
        status: refuseWith,
        description: 'Refused by an injected fault (refuseCbs).',
        condition:
          refuseWith === 401 || refuseWith === 403
            ? 'amqp:unauthorized-access'
            : 'com.microsoft:server-busy',
        reason: 'SIM_E_AMQP_FAULT',
      };
    } else {
      decision = this.#cbs.putToken(props.name, props.type, request?.body);
    }
    this.edge.options.events.edge('sim:sb:cbs', {
      connection: this.id,
      decision: decision.status < 300 ? 'accepted' : 'refused',
      status: decision.status,
      reason: 'reason' in decision ? decision.reason : undefined,
      path: 'path' in decision ? decision.path : undefined,
      keyName: 'keyName' in decision ? decision.keyName : undefined,
      expiresAt: 'expiresAt' in decision ? decision.expiresAt : undefined,
    });
    settle(delivery, outcomes.accepted().described());
    const appProps: Record<string, unknown> = {
      'status-code': decision.status,
      'status-description': decision.description,
    };
    if ('condition' in decision && decision.condition !== undefined)
      appProps['error-condition'] = decision.condition;
    this.#reply(request?.reply_to, {
      correlation_id: request?.message_id,
      to: request?.reply_to,
      application_properties: appProps,
    });
  }

  #onManagementRequest(
    ctx: EventContext,
    delivery: Delivery,
    role: { readonly entity: string; readonly address: string },
  ): void {
    const request = (ctx.message ?? {}) as WireMessage;
    const response = this.edge.engine((engine) =>
      handleManagement(request, {
        engine,
        entity: role.entity,
        authorize: (right: SasRight) => {
          this.#cbs.authorize(role.address, right);
        },
        sessionReceiver: (sessionId) => {
          for (const r of this.#roles.values()) {
            if (r.kind === 'receive' && r.entity === role.entity && r.sessionId === sessionId) {
              return r.receiverId;
            }
          }
          return undefined;
        },
      }),
    );
    const props = request.application_properties ?? {};
    this.edge.options.events.edge('sim:sb:management', {
      connection: this.id,
      entity: role.entity,
      operation: typeof props.operation === 'string' ? props.operation : undefined,
      status: response.status,
      condition: response.condition,
    });
    settle(delivery, outcomes.accepted().described());
    const appProps: Record<string, unknown> = {
      statusCode: response.status,
      statusDescription: response.description,
    };
    if (response.condition !== undefined) appProps.errorCondition = response.condition;
    this.#reply(request.reply_to, {
      correlation_id: request.message_id,
      to: request.reply_to,
      application_properties: appProps,
      ...(response.body !== undefined ? { body: response.body } : {}),
    });
    // A receive-by-sequence-number, update-disposition or schedule may free messages.
  }

  #onSend(ctx: EventContext, receiver: Receiver, delivery: Delivery, entity: string): void {
    const max = this.edge.options.engine.maxMessageSizeBytes;
    const format = (ctx as EventContext & { format?: number }).format ?? 0;
    let size: number;
    let parts: { msg: WireMessage; bytes: Buffer }[];
    try {
      if (format === BATCH_FORMAT) {
        const received = ctx.message as unknown as Buffer;
        size = received.length;
        // The sections are copied into slab space below (see slabs.ts): nothing held keeps
        // this transfer's buffer alive.
        const sections = batchParts(decodeMessage(received));
        if (sections === undefined) {
          throw new SimAmqpError(
            'SIM_E_AMQP_DECODE',
            'A batch body must be a list of data sections.',
          );
        }
        parts = sections.map((b) => ({ msg: decodeMessage(b), bytes: this.edge.slabs.hold(b) }));
      } else if (format === 0) {
        const msg = ctx.message as WireMessage;
        // rhea's writer leaves spare room behind its buffer: hold exactly the bytes.
        const bytes = this.edge.slabs.hold(encodeMessage(msg));
        size = bytes.length;
        parts = [{ msg, bytes }];
      } else {
        throw new SimAmqpError('SIM_E_AMQP_DECODE', `Unsupported message format ${format}.`);
      }
      if (size > max) {
        throw new SimServiceBusError(
          'SIM_E_SB_MESSAGE_SIZE',
          `The received message (delivery-id:${delivery.id}, size:${size} bytes) exceeds the limit (${max} bytes) currently allowed on the link.`,
          { entity, size, limit: max },
        );
      }
      // The stored payload is the message's encoded bytes (a batch section or the re-encoded
      // single message, copied into slab space), decoded again on delivery (see toWire): a decoded
      // object tree per held message costs several times more. Azure gives a message
      // without a message-id one of its own (the SDK's lock renewer and duplicate detection
      // key on it): it goes into the broker's record and the delivery writes it into the
      // message (see toWire).
      const incoming = parts.map((p) => {
        const messageId =
          p.msg.message_id === undefined || p.msg.message_id === null
            ? randomUUID().replace(/-/g, '')
            : undefined;
        return toIncoming(p.msg, p.bytes, p.bytes.length, messageId);
      });
      const result = this.edge.engine((e) => e.send(entity, incoming));
      this.edge.options.events.edge('sim:sb:transfer', {
        connection: this.id,
        direction: 'in',
        entity,
        link: receiver.name,
        messages: parts.length,
        bytes: size,
        accepted: result.accepted,
        duplicates: result.duplicates,
      });
      settle(delivery, outcomes.accepted().described());
    } catch (e) {
      const error = errorOf(e);
      this.edge.options.events.edge('sim:sb:transfer', {
        connection: this.id,
        direction: 'in',
        entity,
        link: receiver.name,
        outcome: 'rejected',
        code: codeOf(e),
        condition: error.condition,
      });
      settle(delivery, outcomes.rejected({ error }).described());
    }
  }

  // -- credit and deliveries ----------------------------------------------------------------

  #onFlow(ctx: EventContext): void {
    const sender = ctx.sender;
    if (sender === undefined) return;
    const role = this.#roles.get(sender);
    if (role?.kind !== 'receive') return;
    // Throttled: the credit the client asks to receive with is refused with the link.
    if (this.edge.busy(role.entity)) {
      this.detach(sender, errorOf(serverBusyError(role.entity)));
      return;
    }
    this.pump(role);
  }

  /** Sends what the link's credit allows; answers a drain when nothing is left. */
  pump(role: ReceiveRole): void {
    const sender = role.sender;
    if (this.#ended || !sender.is_open() || this.#roles.get(sender) !== role) return;
    const transmitted = senderDeliveryCount(sender);
    if (role.sent < transmitted) role.sent = transmitted;
    const queued = role.sent - transmitted;
    const room = Math.min(senderCredit(sender) - queued, outgoingRoom(sender));
    if (this.edge.busy(role.entity)) {
      // Throttled: a receive that would take a message is refused with the link; an idle link
      // (nothing to take, or no credit) is left as it is.
      let waiting: boolean;
      try {
        waiting = room > 0 && this.edge.engine((e) => e.hasAvailable(role.receiverId));
      } catch {
        waiting = false;
      }
      if (waiting) this.detach(sender, errorOf(serverBusyError(role.entity)));
      return;
    }
    let deliveries: EngineDelivery[] = [];
    if (room > 0) {
      try {
        deliveries = this.edge.engine((e) => e.pull(role.receiverId, room));
      } catch (e) {
        this.detach(sender, errorOf(e));
        return;
      }
    }
    for (const d of deliveries) this.#deliver(role, d);
    if (senderDraining(sender)) {
      let more: boolean;
      try {
        more =
          senderCredit(sender) - (role.sent - senderDeliveryCount(sender)) > 0 &&
          this.edge.engine((e) => e.hasAvailable(role.receiverId));
      } catch {
        more = false;
      }
      if (!more) sender.set_drained(true);
    }
  }

  #deliver(role: ReceiveRole, d: EngineDelivery): void {
    const wire = toWire(d);
    const tag =
      d.lockToken !== undefined
        ? lockTokenToTag(d.lockToken)
        : Buffer.from(String(d.sequenceNumber));
    role.sender.send(wire as Parameters<Sender['send']>[0], tag);
    role.sent += 1;
    this.edge.options.events.edge('sim:sb:transfer', {
      connection: this.id,
      direction: 'out',
      entity: role.entity,
      link: role.sender.name,
      sequenceNumber: d.sequenceNumber,
      deliveryCount: d.deliveryCount,
      lockToken: d.lockToken,
      settled: d.lockToken === undefined,
    });
  }

  #onDisposition(
    outcome: 'accepted' | 'rejected' | 'released' | 'modified',
    ctx: EventContext,
  ): void {
    const sender = ctx.sender;
    const delivery = ctx.delivery;
    if (sender === undefined || delivery === undefined) return;
    const role = this.#roles.get(sender);
    const delay = this.edge.options.faults.dispositionDelayMs ?? 0;
    const apply = (): void => {
      this.#applyDisposition(outcome, role, delivery);
    };
    if (delay > 0) {
      const t = setTimeout(() => {
        this.#timers.delete(t);
        this.#guarded(apply);
      }, delay);
      this.#timers.add(t);
    } else {
      apply();
    }
  }

  #applyDisposition(
    outcome: 'accepted' | 'rejected' | 'released' | 'modified',
    role: Role | undefined,
    delivery: Delivery,
  ): void {
    const token = tagToLockToken(delivery.tag);
    if (role?.kind !== 'receive' || role.mode === 'receiveAndDelete' || token === undefined) {
      settleOutgoing(delivery, outcomes.accepted().described());
      return;
    }
    const state = (delivery.remote_state ?? {}) as {
      undeliverable_here?: boolean;
      delivery_failed?: boolean;
      message_annotations?: Record<string, unknown>;
      error?: { condition?: string; description?: string; info?: Record<string, unknown> };
    };
    const options = { receiverId: role.receiverId };
    let kind: string = outcome;
    let answer: unknown;
    try {
      // Throttled: the settlement is refused; the message stays locked until its lock runs out.
      if (this.edge.busy(role.entity)) throw serverBusyError(role.entity);
      this.edge.engine((e) => {
        switch (outcome) {
          case 'accepted':
            e.complete(token, options);
            answer = outcomes.accepted().described();
            return;
          case 'released':
            kind = 'abandon';
            e.abandon(token, undefined, options);
            answer = outcomes.released().described();
            return;
          case 'modified': {
            const props = state.message_annotations ?? undefined;
            if (state.undeliverable_here === true) {
              kind = 'defer';
              e.defer(token, props, options);
            } else {
              kind = 'abandon';
              e.abandon(token, props, options);
            }
            answer = outcomes
              .modified({
                delivery_failed: state.delivery_failed === true,
                undeliverable_here: state.undeliverable_here === true,
              })
              .described();
            return;
          }
          case 'rejected': {
            kind = 'deadLetter';
            const err = state.error;
            const info = { ...(err?.info ?? {}) };
            let reason: unknown;
            let description: unknown;
            if (err?.condition === DEAD_LETTER) {
              reason = info.DeadLetterReason;
              description = info.DeadLetterErrorDescription;
              delete info.DeadLetterReason;
              delete info.DeadLetterErrorDescription;
            } else {
              reason = err?.condition;
              description = err?.description;
            }
            const props = Object.keys(info).length > 0 ? info : undefined;
            e.deadLetter(
              token,
              {
                ...(typeof reason === 'string' ? { reason } : {}),
                ...(typeof description === 'string' ? { description } : {}),
                ...(props !== undefined ? { propertiesToModify: props } : {}),
              },
              options,
            );
            answer = outcomes.rejected({}).described();
            return;
          }
        }
      });
      this.edge.options.events.edge('sim:sb:disposition', {
        connection: this.id,
        entity: role.entity,
        link: role.sender.name,
        outcome: kind,
        lockToken: token,
      });
      settleOutgoing(delivery, answer);
    } catch (e) {
      const error = errorOf(e);
      this.edge.options.events.edge('sim:sb:disposition', {
        connection: this.id,
        entity: role.entity,
        link: role.sender.name,
        outcome: kind,
        lockToken: token,
        refused: codeOf(e),
        condition: error.condition,
      });
      settleOutgoing(delivery, outcomes.rejected({ error }).described());
    }
  }
}

function addressOf(link: RheaLink): string | undefined {
  const remote = remoteAttach(link);
  return (isSender(link) ? remote.source?.address : remote.target?.address) ?? undefined;
}

function needOf(role: Role, link: RheaLink): { path: string; right: SasRight | 'Any' } | undefined {
  switch (role.kind) {
    case 'send':
      return { path: addressOf(link) ?? role.entity, right: 'Send' };
    case 'receive':
      return { path: addressOf(link) ?? role.entity, right: 'Listen' };
    case 'management':
      return { path: role.address, right: 'Any' };
    default:
      return undefined;
  }
}
