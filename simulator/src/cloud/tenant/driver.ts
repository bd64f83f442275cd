// The tenant driver: "the digital services" of one council, on the real @azure/service-bus SDK
// (docs/protocol/messaging.md). In: config (tenant, keys, entities, timings, the HC sender
// front), a ServiceBusClient (or a connection string), an injected clock and randomness.
// Out: HELLOs on `handshake` verified and answered WELCOME/REJECT on `handshake-replies`; a
// registry of live relay sessions; sendWork (sealed request on `requests`, sealed reply from
// this driver's session on `replies`) and call (sealed HTTP through the HC sender front), both
// refused while no session is live; key rotation; `sim:tenant:*` events.
import { randomBytes, randomUUID } from 'node:crypto';
import {
  ServiceBusClient,
  type ServiceBusClientOptions,
  type ServiceBusReceivedMessage,
  type ServiceBusReceiver,
  type ServiceBusSender,
  type ServiceBusSessionReceiver,
} from '@azure/service-bus';
import type { Agent } from 'undici';
import {
  EnvelopeError,
  metadataToHeaders,
  openBody,
  parseMetadata,
  sealBody,
} from '../../../../relay/src/protocol/envelope';
import {
  HandshakeVerifier,
  RELAY_ID_PATTERN,
  REJECT_MESSAGE,
  type CloudSession,
} from '../../../../relay/src/protocol/handshake';
import {
  systemClock,
  systemRandom,
  type Clock,
  type RandomBytes,
} from '../../../../relay/src/protocol/primitives';
import {
  decodeTenantKey,
  parseTenantDriverConfig,
  type TenantDriverConfig,
  type TenantDriverConfigInput,
} from './config';
import { TENANT_HELLO_TTL_MS, TENANT_PROPERTY, TENANT_SUBJECT } from './contract';
import { SimTenantError } from './errors';
import { publishTenant, TENANT_CHANNELS } from './events';
import { hybridAgent, hybridCall, type CallOptions, type CallReply } from './hybrid-call';
import { SessionRegistry, viewOf, type SessionChange, type TenantSessionView } from './registry';

export interface TenantDriverOptions extends TenantDriverConfigInput {
  /** The namespace: a client (the caller closes it) or a connection string (the driver does). */
  readonly serviceBus:
    | ServiceBusClient
    | { readonly connectionString: string; readonly options?: ServiceBusClientOptions };
  /** Clock of the handshake and envelopes (not of Service Bus or SAS tokens). */
  readonly clock?: Clock;
  /** Randomness of the handshake and envelopes. */
  readonly random?: RandomBytes;
}

export interface SendWorkOptions {
  readonly messageId?: string;
  readonly contentType?: string;
  /** Seal under this relay's session kid (default: the newest live session). */
  readonly instanceId?: string;
  /** Overrides replyTimeoutMs for this request. */
  readonly timeoutMs?: number;
  /** Extra application properties (names starting rc- are refused). */
  readonly properties?: Readonly<Record<string, string | number | boolean>>;
}

export interface WorkReply {
  readonly messageId: string;
  readonly route: string;
  readonly status: number;
  readonly body: Buffer;
  readonly contentType: string | undefined;
  readonly kid: string;
}

export interface TenantDriver {
  readonly tenant: string;
  readonly config: TenantDriverConfig;
  /** The session id this driver's replies carry on the replies queue. */
  readonly replySessionId: string;
  /** The live relay sessions, oldest first. */
  sessions(): readonly TenantSessionView[];
  /** The live session of one relay, or undefined. */
  session(instanceId: string): TenantSessionView | undefined;
  /** Key ids and states. */
  keys(): readonly { readonly kid: string; readonly state: 'active' | 'retired' }[];
  /** Adds an active key (a rotation's first step); at most two are active. */
  addKey(kid: string, key: Uint8Array | string): void;
  /** Retires a key: HELLOs under it are refused and the sessions made under it are dropped. */
  retireKey(kid: string): readonly TenantSessionView[];
  /** Seals `body` for `route`, sends it on requests, awaits and opens the sealed reply. */
  sendWork(route: string, body: Buffer, options?: SendWorkOptions): Promise<WorkReply>;
  /** One sealed HTTP request through the Hybrid Connections sender front. */
  call(path: string, options?: CallOptions): Promise<CallReply>;
  /** The HELLO verifier (its replay cache and keys), for inspection. */
  readonly verifier: HandshakeVerifier;
  close(): Promise<void>;
}

interface Pending {
  readonly route: string;
  readonly kid: string;
  readonly key: Buffer;
  readonly resolve: (reply: WorkReply) => void;
  readonly reject: (e: SimTenantError) => void;
  readonly timer: NodeJS.Timeout;
}

/** Renewal horizon of the replies session lock: as long as the driver runs (about 10 years). */
const LOCK_RENEWAL_FOREVER_MS = 10 * 365 * 24 * 3_600_000;
/** HELLO answers remembered for broker redeliveries (by sequence number). */
const ANSWER_CACHE = 256;
/** Delays before locking the replies session again after it was lost. */
const RELOCK_DELAYS_MS = [0, 1_000, 2_000, 5_000, 10_000, 30_000];

function sbCode(e: unknown): string {
  if (typeof e === 'object' && e !== null) {
    if ('code' in e && typeof e.code === 'string') return e.code;
    if ('name' in e && typeof e.name === 'string') return e.name;
  }
  return 'Error';
}

function bytesOf(body: unknown): Buffer | undefined {
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return undefined;
}

function idText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (Buffer.isBuffer(value)) return value.toString('hex');
  return undefined;
}

/** Starts the driver: HELLO receiver, replies session, optional dead-letter watch. */
export async function startTenantDriver(options: TenantDriverOptions): Promise<TenantDriver> {
  const { serviceBus, clock: clockIn, random: randomIn, ...rest } = options;
  const config = parseTenantDriverConfig(rest);
  const driver = new Driver(config, serviceBus, clockIn ?? systemClock, randomIn ?? systemRandom);
  try {
    await driver.start();
  } catch (e) {
    await driver.close();
    throw new SimTenantError(
      'SIM_E_TENANT_TRANSPORT',
      `the tenant driver could not start on Service Bus (${sbCode(e)}): ` +
        `${e instanceof Error ? e.message.replace(/SharedAccess\w*=[^;\s]*/gi, '[redacted]').slice(0, 200) : ''}; ` +
        `check that the entities ${Object.values(config.entities).join(', ')} exist, with sessions on ` +
        `${config.entities.handshakeReplies} and ${config.entities.replies}`,
      { sbCode: sbCode(e) },
    );
  }
  return driver;
}

class Driver implements TenantDriver {
  readonly tenant: string;
  readonly config: TenantDriverConfig;
  readonly replySessionId: string;
  readonly verifier: HandshakeVerifier;
  readonly #client: ServiceBusClient;
  readonly #ownsClient: boolean;
  readonly #clock: Clock;
  readonly #random: RandomBytes;
  readonly #keys = new Map<string, { key: Buffer; state: 'active' | 'retired' }>();
  readonly #registry = new SessionRegistry();
  readonly #pending = new Map<string, Pending>();
  readonly #answers = new Map<string, string>();
  #requests: ServiceBusSender | undefined;
  #handshakeReplies: ServiceBusSender | undefined;
  #helloReceiver: ServiceBusReceiver | undefined;
  #replyReceiver: ServiceBusSessionReceiver | undefined;
  #deadLetters: ServiceBusReceiver | undefined;
  #relockAttempt = 0;
  #relockTimer: NodeJS.Timeout | undefined;
  #agent: Agent | undefined;
  #closed = false;
  /**
   * Aborts the receivers' subscriptions on close: a subscription still attaching when its
   * receiver is closed otherwise sits in the SDK's retry loop (a 30 s delay) and holds the process.
   */
  readonly #subscriptions = new AbortController();

  constructor(
    config: TenantDriverConfig,
    serviceBus: TenantDriverOptions['serviceBus'],
    clock: Clock,
    random: RandomBytes,
  ) {
    this.config = config;
    this.tenant = config.tenant;
    this.replySessionId = config.replySessionId ?? `tenant-${randomBytes(8).toString('hex')}`;
    this.#clock = clock;
    this.#random = random;
    if (serviceBus instanceof ServiceBusClient) {
      this.#client = serviceBus;
      this.#ownsClient = false;
    } else {
      this.#client = new ServiceBusClient(serviceBus.connectionString, serviceBus.options ?? {});
      this.#ownsClient = true;
    }
    for (const k of config.keys) this.#keys.set(k.kid, { key: k.key, state: k.state });
    this.verifier = new HandshakeVerifier(
      {
        tenants: {
          [config.tenant]: config.keys.map((k) => ({ kid: k.kid, key: k.key, state: k.state })),
        },
        skewMs: config.skewMs,
        ttlSeconds: config.ttlSeconds,
        ...(config.replayWindowMs !== undefined ? { replayWindowMs: config.replayWindowMs } : {}),
        ...(config.maxSessionsPerTenant !== undefined
          ? { maxSessionsPerTenant: config.maxSessionsPerTenant }
          : {}),
        ...(config.rateLimit !== undefined ? { rateLimit: config.rateLimit } : {}),
      },
      { clock, random },
    );
    if (config.hybrid !== undefined) this.#agent = hybridAgent(config.hybrid);
  }

  async start(): Promise<void> {
    const e = this.config.entities;
    this.#requests = this.#client.createSender(e.requests);
    this.#handshakeReplies = this.#client.createSender(e.handshakeReplies);
    await this.#lockReplies();
    const hello = this.#client.createReceiver(e.handshake, {
      receiveMode: 'peekLock',
      skipParsingBodyAsJson: true,
    });
    this.#helloReceiver = hello;
    hello.subscribe(
      {
        processMessage: (m) => this.#onHello(hello, m),
        processError: (args) => {
          this.#fault(args.error, `hello:${args.errorSource}`);
          return Promise.resolve();
        },
      },
      {
        autoCompleteMessages: false,
        maxConcurrentCalls: 4,
        abortSignal: this.#subscriptions.signal,
      },
    );
    if (this.config.watchDeadLetters) {
      const dlq = this.#client.createReceiver(e.requests, {
        subQueueType: 'deadLetter',
        receiveMode: 'peekLock',
        skipParsingBodyAsJson: true,
      });
      this.#deadLetters = dlq;
      dlq.subscribe(
        {
          processMessage: (m) => this.#onDeadLetter(dlq, m),
          processError: (args) => {
            this.#fault(args.error, `dead-letter:${args.errorSource}`);
            return Promise.resolve();
          },
        },
        { autoCompleteMessages: false, abortSignal: this.#subscriptions.signal },
      );
    }
  }

  // ------------------------------------------------------------------------ sessions, keys

  #publishChanges(changes: readonly SessionChange[]): void {
    for (const c of changes) {
      publishTenant(TENANT_CHANNELS.session, {
        tenant: this.tenant,
        instanceId: c.session.relay,
        kid: c.session.kid,
        sid: c.session.sid.slice(0, 8),
        state: c.state,
        ...(c.state === 'dropped' ? { reason: c.reason } : {}),
      });
    }
  }

  #prune(): void {
    const changes = this.#registry.prune(
      this.#clock.now(),
      (s) => this.verifier.liveSession(this.tenant, s.sid) !== undefined,
    );
    this.#publishChanges(changes);
  }

  sessions(): readonly TenantSessionView[] {
    this.#prune();
    return this.#registry.all().map(viewOf);
  }

  session(instanceId: string): TenantSessionView | undefined {
    this.#prune();
    const s = this.#registry.get(instanceId);
    return s === undefined ? undefined : viewOf(s);
  }

  keys(): readonly { readonly kid: string; readonly state: 'active' | 'retired' }[] {
    return [...this.#keys].map(([kid, k]) => ({ kid, state: k.state }));
  }

  addKey(kid: string, key: Uint8Array | string): void {
    const bytes = decodeTenantKey(key, 'key');
    try {
      this.verifier.addKey(this.tenant, { kid, key: bytes });
    } catch (e) {
      throw new SimTenantError(
        'SIM_E_TENANT_CONFIG',
        `key ${kid.slice(0, 64)}: ${e instanceof Error ? e.message : 'refused'}`,
        { path: 'keys' },
      );
    }
    this.#keys.set(kid, { key: bytes, state: 'active' });
    publishTenant(TENANT_CHANNELS.key, { tenant: this.tenant, kid, state: 'active' });
  }

  retireKey(kid: string): readonly TenantSessionView[] {
    const entry = this.#keys.get(kid);
    if (entry === undefined) {
      throw new SimTenantError('SIM_E_TENANT_CONFIG', `no key ${kid.slice(0, 64)}`, {
        path: 'keys',
      });
    }
    const dropped = this.verifier.retireKey(this.tenant, kid);
    entry.state = 'retired';
    const changes = this.#registry.drop(dropped, `key ${kid} retired`);
    publishTenant(TENANT_CHANNELS.key, {
      tenant: this.tenant,
      kid,
      state: 'retired',
      dropped: changes.length,
    });
    this.#publishChanges(changes);
    return changes.map((c) => viewOf(c.session));
  }

  // ------------------------------------------------------------------------------- HELLO

  async #onHello(receiver: ServiceBusReceiver, m: ServiceBusReceivedMessage): Promise<void> {
    const messageId = idText(m.messageId) ?? '';
    const replyTo = m.replyToSessionId;
    const seq = m.sequenceNumber?.toString();
    const event = (data: Record<string, string | number | boolean | undefined>): void => {
      publishTenant(TENANT_CHANNELS.hello, {
        tenant: this.tenant,
        messageId: messageId.slice(0, 128),
        instanceId: typeof replyTo === 'string' ? replyTo.slice(0, 128) : undefined,
        deliveryCount: m.deliveryCount ?? 0,
        ...data,
      });
    };
    if (typeof replyTo !== 'string' || !RELAY_ID_PATTERN.test(replyTo)) {
      // Nowhere to answer: keep it for inspection.
      await receiver
        .deadLetterMessage(m, {
          deadLetterReason: 'SIM_E_TENANT_HELLO',
          deadLetterErrorDescription: 'the HELLO has no usable replyToSessionId',
        })
        .catch((e: unknown) => {
          this.#fault(e, 'hello:dead-letter');
        });
      event({ outcome: 'unanswerable', code: 'SIM_E_TENANT_HELLO' });
      return;
    }

    // A broker redelivery (same sequence number) gets the answer it already had: verifying it
    // again would find its own salt in the replay cache.
    let answer = seq === undefined ? undefined : this.#answers.get(seq);
    if (answer === undefined) {
      const body = bytesOf(m.body);
      const result = this.verifier.verify(body ?? '', { peer: `session ${replyTo}` });
      if (result.ok && result.session.relay !== replyTo) {
        answer = REJECT_MESSAGE;
        event({ outcome: 'reject', code: 'SIM_E_TENANT_HELLO', kid: result.session.kid });
      } else if (result.ok) {
        answer = result.welcome;
        this.#publishChanges(this.#registry.drop(result.dropped, 'session limit'));
        this.#publishChanges(this.#registry.record(result.session));
        event({ outcome: 'welcome', kid: result.session.kid, sid: result.session.sid.slice(0, 8) });
      } else {
        answer = result.reject;
        const kid = result.error.details.kid;
        event({
          outcome: 'reject',
          code: result.error.code,
          ...(typeof kid === 'string' ? { kid } : {}),
        });
      }
      if (seq !== undefined) {
        this.#answers.set(seq, answer);
        if (this.#answers.size > ANSWER_CACHE) {
          const oldest = this.#answers.keys().next().value;
          if (oldest !== undefined) this.#answers.delete(oldest);
        }
      }
    }
    try {
      await this.#handshakeReplies?.sendMessages({
        body: Buffer.from(answer, 'utf8'),
        contentType: 'application/json',
        subject: answer === REJECT_MESSAGE ? TENANT_SUBJECT.reject : TENANT_SUBJECT.welcome,
        sessionId: replyTo,
        correlationId: messageId === '' ? undefined : messageId,
        timeToLive: TENANT_HELLO_TTL_MS,
      });
    } catch (e) {
      this.#fault(e, 'hello:answer');
      await receiver.abandonMessage(m).catch(() => undefined);
      return;
    }
    await receiver.completeMessage(m).catch((e: unknown) => {
      this.#fault(e, 'hello:complete');
    });
  }

  // -------------------------------------------------------------------------------- work

  #live(instanceId?: string): CloudSession | undefined {
    this.#prune();
    return this.#registry.pick(instanceId);
  }

  #refuse(via: 'servicebus' | 'hybrid', route: string): SimTenantError {
    publishTenant(TENANT_CHANNELS.work, {
      tenant: this.tenant,
      via,
      route: route.slice(0, 256),
      messageId: '',
      outcome: 'refused',
      code: 'SIM_E_TENANT_NO_SESSION',
    });
    return new SimTenantError(
      'SIM_E_TENANT_NO_SESSION',
      `no relay session is live for tenant ${this.tenant}: no work is sent`,
      { route: route.slice(0, 64) },
    );
  }

  async sendWork(route: string, body: Buffer, options: SendWorkOptions = {}): Promise<WorkReply> {
    if (this.#closed)
      throw new SimTenantError('SIM_E_TENANT_CLOSED', 'the tenant driver is closed');
    const session = this.#live(options.instanceId);
    if (session === undefined) throw this.#refuse('servicebus', route);
    const keyEntry = this.#keys.get(session.kid);
    if (keyEntry === undefined) throw this.#refuse('servicebus', route);
    const messageId = options.messageId ?? randomUUID();
    const properties: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries(options.properties ?? {})) {
      if (k.toLowerCase().startsWith('rc-')) {
        throw new SimTenantError('SIM_E_TENANT_CONFIG', `property ${k.slice(0, 64)} is reserved`, {
          path: 'properties',
        });
      }
      properties[k] = v;
    }
    let sealed;
    try {
      sealed = sealBody(
        {
          tenant: this.tenant,
          messageId,
          route,
          direction: 'c2r',
          key: keyEntry.key,
          kid: session.kid,
          deps: { clock: this.#clock, random: this.#random },
        },
        body,
      );
    } catch (e) {
      throw new SimTenantError(
        'SIM_E_TENANT_CONFIG',
        `the request cannot be sealed: ${e instanceof Error ? e.message : ''}`,
        { path: 'route' },
      );
    }
    const event = (outcome: string, extra: Record<string, string | number> = {}): void => {
      publishTenant(TENANT_CHANNELS.work, {
        tenant: this.tenant,
        via: 'servicebus',
        route: route.slice(0, 256),
        messageId,
        outcome,
        ...extra,
      });
    };
    const reply = new Promise<WorkReply>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? this.config.replyTimeoutMs;
      const timer = setTimeout(() => {
        this.#pending.delete(messageId);
        event('timeout', { code: 'SIM_E_TENANT_TIMEOUT' });
        reject(
          new SimTenantError(
            'SIM_E_TENANT_TIMEOUT',
            `no reply to ${messageId} (${route.slice(0, 64)}) within ${timeoutMs} ms`,
            { route: route.slice(0, 64), messageId },
          ),
        );
      }, timeoutMs);
      timer.unref();
      this.#pending.set(messageId, {
        route,
        kid: session.kid,
        key: keyEntry.key,
        resolve,
        reject,
        timer,
      });
    });
    try {
      await this.#requests?.sendMessages({
        body: sealed.sealed,
        messageId,
        subject: route,
        contentType: options.contentType ?? 'application/octet-stream',
        replyTo: this.config.entities.replies,
        replyToSessionId: this.replySessionId,
        timeToLive: this.config.requestTtlMs,
        applicationProperties: {
          ...properties,
          ...metadataToHeaders(sealed.metadata),
          [TENANT_PROPERTY.route]: route,
        },
      });
    } catch (e) {
      this.#settlePending(messageId);
      event('failed', { code: 'SIM_E_TENANT_TRANSPORT' });
      reply.catch(() => undefined);
      throw new SimTenantError(
        'SIM_E_TENANT_TRANSPORT',
        `the request could not be sent: ${sbCode(e)}`,
        { sbCode: sbCode(e), route: route.slice(0, 64) },
      );
    }
    event('sent', { kid: session.kid });
    return reply;
  }

  /** Removes a pending request and its timer; returns it. */
  #settlePending(messageId: string): Pending | undefined {
    const p = this.#pending.get(messageId);
    if (p === undefined) return undefined;
    this.#pending.delete(messageId);
    clearTimeout(p.timer);
    return p;
  }

  async #lockReplies(): Promise<void> {
    const receiver = await this.#client.acceptSession(
      this.config.entities.replies,
      this.replySessionId,
      {
        receiveMode: 'peekLock',
        maxAutoLockRenewalDurationInMs: LOCK_RENEWAL_FOREVER_MS,
        skipParsingBodyAsJson: true,
      },
    );
    this.#replyReceiver = receiver;
    receiver.subscribe(
      {
        processMessage: (m) => this.#onReply(receiver, m),
        processError: (args) => {
          this.#fault(args.error, `replies:${args.errorSource}`);
          const code = sbCode(args.error);
          if (code === 'SessionLockLost' || receiver.isClosed) this.#relock(receiver);
          return Promise.resolve();
        },
      },
      {
        autoCompleteMessages: false,
        maxConcurrentCalls: 16,
        abortSignal: this.#subscriptions.signal,
      },
    );
    this.#relockAttempt = 0;
  }

  /** The replies session lock was lost: lock it again, with the reconnect delays. */
  #relock(lost: ServiceBusSessionReceiver): void {
    if (this.#closed || this.#replyReceiver !== lost || this.#relockTimer !== undefined) return;
    const delay = RELOCK_DELAYS_MS[Math.min(this.#relockAttempt, RELOCK_DELAYS_MS.length - 1)] ?? 0;
    this.#relockAttempt++;
    this.#relockTimer = setTimeout(() => {
      this.#relockTimer = undefined;
      void lost.close().catch(() => undefined);
      this.#lockReplies().catch((e: unknown) => {
        this.#fault(e, 'replies:relock');
        this.#relock(lost);
      });
    }, delay);
    this.#relockTimer.unref();
  }

  async #onReply(receiver: ServiceBusSessionReceiver, m: ServiceBusReceivedMessage): Promise<void> {
    const messageId = idText(m.correlationId) ?? '';
    const p = this.#settlePending(messageId);
    const event = (outcome: string, extra: Record<string, string | number> = {}): void => {
      publishTenant(TENANT_CHANNELS.work, {
        tenant: this.tenant,
        via: 'servicebus',
        route: (p?.route ?? (typeof m.subject === 'string' ? m.subject : '')).slice(0, 256),
        messageId: messageId.slice(0, 128),
        outcome,
        ...extra,
      });
    };
    if (p === undefined) {
      // A reply nobody waits for (timed out, or answered twice): settle it and say so.
      await receiver.completeMessage(m).catch(() => undefined);
      event('orphan');
      return;
    }
    const props = m.applicationProperties ?? {};
    try {
      const status = Number(props[TENANT_PROPERTY.status]);
      if (!Number.isInteger(status) || status < 100 || status > 599) {
        throw new SimTenantError('SIM_E_TENANT_REPLY', 'the reply has no usable rc-status', {
          messageId,
        });
      }
      const sealed = bytesOf(m.body);
      if (sealed === undefined) {
        throw new SimTenantError('SIM_E_TENANT_REPLY', 'the reply body is not bytes', {
          messageId,
        });
      }
      const body = openBody(
        {
          tenant: this.tenant,
          messageId,
          route: p.route,
          direction: 'r2c',
          key: p.key,
          kid: p.kid,
          deps: { clock: this.#clock },
          policy: {
            requireSealed: this.config.profile === 'production',
            ttlMs: this.config.requestTtlMs,
            skewMs: this.config.skewMs,
          },
        },
        parseMetadata(props),
        sealed,
      );
      await receiver.completeMessage(m).catch(() => undefined);
      event('answered', { status });
      p.resolve({
        messageId,
        route: p.route,
        status,
        body,
        contentType: m.contentType,
        kid: p.kid,
      });
    } catch (e) {
      const error =
        e instanceof SimTenantError
          ? e
          : e instanceof EnvelopeError
            ? new SimTenantError('SIM_E_TENANT_REPLY', `the reply does not open: ${e.code}`, {
                messageId,
                envCode: e.code,
              })
            : new SimTenantError('SIM_E_TENANT_REPLY', 'the reply could not be read', {
                messageId,
              });
      await receiver
        .deadLetterMessage(m, {
          deadLetterReason: error.code,
          deadLetterErrorDescription: error.message.slice(0, 1024),
        })
        .catch(() => undefined);
      event('failed', { code: error.code });
      p.reject(error);
    }
  }

  async #onDeadLetter(receiver: ServiceBusReceiver, m: ServiceBusReceivedMessage): Promise<void> {
    const messageId = idText(m.messageId) ?? '';
    const reason = m.deadLetterReason ?? '';
    const description = m.deadLetterErrorDescription ?? '';
    publishTenant(TENANT_CHANNELS.deadLetter, {
      tenant: this.tenant,
      messageId: messageId.slice(0, 128),
      route: typeof m.subject === 'string' ? m.subject.slice(0, 256) : undefined,
      reason: reason.slice(0, 128),
      description: description.slice(0, 512),
    });
    await receiver.completeMessage(m).catch(() => undefined);
    const p = this.#settlePending(messageId);
    if (p === undefined) return;
    publishTenant(TENANT_CHANNELS.work, {
      tenant: this.tenant,
      via: 'servicebus',
      route: p.route.slice(0, 256),
      messageId,
      outcome: 'dead-lettered',
      code: reason.slice(0, 128),
    });
    p.reject(
      new SimTenantError(
        'SIM_E_TENANT_DEAD_LETTERED',
        `the relay dead-lettered ${messageId}: ${reason}: ${description}`.slice(0, 600),
        { messageId, reason: reason.slice(0, 128), description: description.slice(0, 512) },
      ),
    );
  }

  async call(path: string, options: CallOptions = {}): Promise<CallReply> {
    if (this.#closed)
      throw new SimTenantError('SIM_E_TENANT_CLOSED', 'the tenant driver is closed');
    const agent = this.#agent;
    if (agent === undefined) {
      throw new SimTenantError(
        'SIM_E_TENANT_CONFIG',
        'hybrid: call() needs the sender front configured',
        { path: 'hybrid' },
      );
    }
    const route =
      options.route ?? options.connection ?? path.replace(/^\/+/, '').split(/[/?#]/)[0] ?? '';
    const session = this.#live(options.instanceId);
    if (session === undefined) throw this.#refuse('hybrid', route);
    const keyEntry = this.#keys.get(session.kid);
    if (keyEntry === undefined) throw this.#refuse('hybrid', route);
    try {
      const reply = await hybridCall(
        this.config,
        agent,
        {
          tenant: this.tenant,
          kid: session.kid,
          key: keyEntry.key,
          clock: this.#clock,
          random: this.#random,
        },
        path,
        options,
      );
      publishTenant(TENANT_CHANNELS.work, {
        tenant: this.tenant,
        via: 'hybrid',
        route: reply.route.slice(0, 256),
        messageId: reply.messageId,
        outcome: reply.sealed ? 'answered' : 'refused',
        status: reply.status,
      });
      return reply;
    } catch (e) {
      publishTenant(TENANT_CHANNELS.work, {
        tenant: this.tenant,
        via: 'hybrid',
        route: route.slice(0, 256),
        messageId: '',
        outcome: 'failed',
        code: e instanceof SimTenantError ? e.code : 'SIM_E_TENANT_TRANSPORT',
      });
      throw e;
    }
  }

  #fault(e: unknown, source: string): void {
    publishTenant(TENANT_CHANNELS.fault, {
      tenant: this.tenant,
      code: sbCode(e),
      source,
      message: (e instanceof Error ? e.message : String(e))
        .replace(/SharedAccess\w*=[^;\s]*/gi, '[redacted]')
        .slice(0, 200),
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#subscriptions.abort();
    if (this.#relockTimer !== undefined) clearTimeout(this.#relockTimer);
    for (const id of [...this.#pending.keys()]) {
      this.#settlePending(id)?.reject(
        new SimTenantError(
          'SIM_E_TENANT_CLOSED',
          'the tenant driver closed before the reply came',
          {
            messageId: id,
          },
        ),
      );
    }
    const closing = [
      this.#helloReceiver,
      this.#replyReceiver,
      this.#deadLetters,
      this.#requests,
      this.#handshakeReplies,
    ].map((c) => c?.close() ?? Promise.resolve());
    await Promise.allSettled(closing);
    await this.#agent?.close().catch(() => undefined);
    if (this.#ownsClient) await this.#client.close().catch(() => undefined);
  }
}
