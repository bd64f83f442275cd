// The relay's side of the handshake over Service Bus (docs/protocol/messaging.md). In: options
// (tenant, instance id, entities, timings), the tenant key ring, an injected ServiceBusClient,
// scheduler and randomness. Out: HELLO on the `handshake` queue, the answer from the
// `handshake-replies` session named after the instance id, a live Session (sid, ttl) renewed at
// 80% of its lifetime, typed RelaySessionErrors, `relay:session` events and change callbacks, and
// a diagnosis of this server's clock against the namespace's (read from each answer's enqueued
// time) when it is off by more than a quarter of the skew window.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ServiceBusClient, ServiceBusReceivedMessage } from '@azure/service-bus';
import pino, { type Logger } from 'pino';
import { z } from 'zod';
import {
  CAP_PATTERN,
  createHello,
  DEFAULT_SKEW_MS,
  HandshakeError,
  openWelcome,
  RELAY_ID_PATTERN,
  TENANT_PATTERN,
  type Session,
} from '../protocol/handshake';
import { systemRandom, type RandomBytes } from '../protocol/primitives';
import { reconnectDelay } from '../transports/hc-backoff';
import {
  systemScheduler,
  type RandomSource,
  type Scheduler,
  type TimerHandle,
} from '../transports/scheduler';
import { readClockSkew, type ClockReading } from './clock-skew';
import { DEFAULT_ENTITIES, HELLO_TTL_MS, JSON_CONTENT_TYPE, PROPERTY, SUBJECT } from './contract';
import { RelaySessionError } from './errors';
import { publishSession, sidPrefix, type SessionState } from './events';
import type { TenantKeys } from './keys';
import {
  bodyBytes,
  clientFactory,
  idText,
  SenderCache,
  sbCode,
  sbReason,
  type ServiceBusSource,
} from './sb';
import { parseOptions } from './options';

export const DEFAULT_RECONNECT_DELAYS_MS: readonly number[] = Object.freeze([
  0, 1_000, 2_000, 5_000, 10_000, 30_000,
]);

const schema = z.strictObject({
  tenant: z.string().regex(TENANT_PATTERN, 'must match [a-z0-9-]{3,64}'),
  /** The relay's instance id: HELLO's `relay` and the reply session id. */
  instanceId: z.string().regex(RELAY_ID_PATTERN, 'must match [A-Za-z0-9._:@-]{1,128}'),
  caps: z
    .array(z.string().regex(CAP_PATTERN, 'must match [a-z][a-z0-9.-]{0,31}'))
    .max(16)
    .refine((c) => new Set(c).size === c.length, 'caps must not repeat')
    .default([]),
  entities: z
    .strictObject({
      handshake: z.string().min(1).max(260).optional(),
      handshakeReplies: z.string().min(1).max(260).optional(),
    })
    .default({}),
  /** How long to wait for WELCOME or REJECT after HELLO. */
  answerTimeoutMs: z.int().min(100).max(600_000).default(30_000),
  /** The session is renewed after this fraction of its lifetime. */
  renewAtFraction: z.number().min(0.5).max(0.95).default(0.8),
  /** Delays before retrying after a timeout or a transport failure (the last one repeats). */
  reconnectDelaysMs: z
    .array(z.int().min(0).max(3_600_000))
    .min(1)
    .max(20)
    .default([...DEFAULT_RECONNECT_DELAYS_MS]),
  reconnectJitter: z.number().min(0).max(1).default(0.2),
  /** After REJECT, try again this much later (0: never; a REJECT then needs rehandshake()). */
  rejectRetryMs: z.int().min(0).max(86_400_000).default(60_000),
  /** Allowed |WELCOME ts - now|. */
  skewMs: z.int().min(1).max(3_600_000).default(DEFAULT_SKEW_MS),
  /** Answers to older HELLOs skipped in one attempt before giving up (bounds the loop). */
  maxStaleAnswers: z.int().min(1).max(1_000).default(16),
});

export type HandshakeClientOptionsInput = z.input<typeof schema>;
export type HandshakeClientOptions = Readonly<z.infer<typeof schema>> & {
  readonly handshakeEntity: string;
  readonly handshakeRepliesEntity: string;
};

/** Validates the options; throws RELAY_E_SESSION_CONFIG naming the field. */
export function parseHandshakeClientOptions(input: unknown): HandshakeClientOptions {
  const c = parseOptions(
    schema,
    input,
    (path, message) => new RelaySessionError('RELAY_E_SESSION_CONFIG', message, { path }),
  );
  return Object.freeze({
    ...c,
    caps: Object.freeze([...c.caps]) as string[],
    reconnectDelaysMs: Object.freeze([...c.reconnectDelaysMs]) as number[],
    handshakeEntity: c.entities.handshake ?? DEFAULT_ENTITIES.handshake,
    handshakeRepliesEntity: c.entities.handshakeReplies ?? DEFAULT_ENTITIES.handshakeReplies,
  });
}

export interface HandshakeClientDeps {
  /** The Service Bus client, or a factory for the current one (tcp or https path). */
  readonly serviceBus: ServiceBusSource;
  /** The tenant keys; HELLO uses the primary one. Shared with the work receiver. */
  readonly keys: TenantKeys;
  /** Clock (handshake ts, session expiry) and timers (renewal, retries, answer timeout). */
  readonly scheduler?: Scheduler;
  /** Jitter source for retry delays, uniform in [0, 1). */
  readonly random?: RandomSource;
  /** Randomness of the handshake (nonce, salt, iv). */
  readonly randomBytes?: RandomBytes;
  /** Message ids of HELLOs (default randomUUID). */
  readonly messageId?: () => string;
  /** pino; the client logs state changes and refusals, never a key (default silent). */
  readonly logger?: Logger;
}

/** What the client is doing now. */
export type HandshakeClientState = 'idle' | SessionState | 'closed';

export interface HandshakeClientEvents {
  /** A session became live (the first, or a renewal that replaced the previous one). */
  live: [session: Session];
  /** No session is live any more (rejected, expired, or closed). */
  down: [reason: 'rejected' | 'expired' | 'closed'];
  /** One handshake attempt failed (the client retries by itself unless closed). */
  failed: [error: RelaySessionError];
}

/** The view of the handshake the work receiver and the HC adapter need. */
export interface SessionGate {
  /** True while a session is live (not expired, not refused). */
  isLive(): boolean;
  /** Calls `fn(live)` on every change between live and not live; returns the unsubscribe. */
  onChange(fn: (live: boolean) => void): () => void;
}

/** Resolves on the abort of `signal`: a way to race SDK calls against the timeout or close. */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    const fire = (): void => {
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    if (signal.aborted) fire();
    else signal.addEventListener('abort', fire, { once: true });
  });
}

class Timeout extends Error {}
class Closed extends Error {}

/**
 * Keeps a handshake session live: HELLO, WELCOME (or REJECT), renewal at `renewAtFraction` of
 * the session lifetime, retries with the reconnect delays. One attempt runs at a time.
 */
export class HandshakeClient extends EventEmitter<HandshakeClientEvents> implements SessionGate {
  readonly options: HandshakeClientOptions;
  readonly #client: () => ServiceBusClient;
  readonly #keys: TenantKeys;
  readonly #scheduler: Scheduler;
  readonly #random: RandomSource;
  readonly #randomBytes: RandomBytes;
  readonly #messageId: () => string;
  readonly #log: Logger;
  readonly #senders = new SenderCache();
  readonly #watchers = new Set<(live: boolean) => void>();
  #state: HandshakeClientState = 'idle';
  #session: Session | undefined;
  /** The clock reading of the answer that made the session, when it is off (not 'ok'). */
  #clock: ClockReading | undefined;
  #wasLive = false;
  #attempt = 0;
  #running: Promise<Session> | undefined;
  #timer: TimerHandle | undefined;
  #expiryTimer: TimerHandle | undefined;
  #started = false;
  #closed = false;
  readonly #closeController = new AbortController();

  constructor(options: HandshakeClientOptionsInput, deps: HandshakeClientDeps) {
    super();
    this.options = parseHandshakeClientOptions(options);
    this.#client = clientFactory(deps.serviceBus);
    this.#keys = deps.keys;
    this.#scheduler = deps.scheduler ?? systemScheduler;
    this.#random = deps.random ?? Math.random;
    this.#randomBytes = deps.randomBytes ?? systemRandom;
    this.#messageId = deps.messageId ?? randomUUID;
    this.#log = (deps.logger ?? pino({ level: 'silent' })).child({
      component: 'handshake-client',
      instanceId: this.options.instanceId,
    });
  }

  get state(): HandshakeClientState {
    return this.#state;
  }

  /** The live session, or undefined (none yet, expired, refused or closed). */
  get session(): Session | undefined {
    const s = this.#session;
    return s !== undefined && s.expiresAt > this.#scheduler.now() ? s : undefined;
  }

  isLive(): boolean {
    return this.session !== undefined;
  }

  onChange(fn: (live: boolean) => void): () => void {
    this.#watchers.add(fn);
    return () => this.#watchers.delete(fn);
  }

  /** Starts keeping a session live (the first handshake runs at once). */
  start(): this {
    if (this.#closed) throw new RelaySessionError('RELAY_E_SESSION_CLOSED', 'the client is closed');
    if (!this.#started) {
      this.#started = true;
      this.#cycle().catch(() => undefined); // the first attempt runs now, not on a timer
    }
    return this;
  }

  /** Resolves with the live session now, or the next one; rejects when the client closes. */
  whenLive(): Promise<Session> {
    const now = this.session;
    if (now !== undefined) return Promise.resolve(now);
    if (this.#closed) {
      return Promise.reject(
        new RelaySessionError('RELAY_E_SESSION_CLOSED', 'the client is closed'),
      );
    }
    return new Promise((resolve, reject) => {
      const onLive = (s: Session): void => {
        this.off('down', onDown);
        resolve(s);
      };
      const onDown = (reason: string): void => {
        if (reason !== 'closed') return;
        this.off('live', onLive);
        this.off('down', onDown);
        reject(new RelaySessionError('RELAY_E_SESSION_CLOSED', 'the client is closed'));
      };
      this.once('live', onLive);
      this.on('down', onDown);
    });
  }

  /**
   * Runs a handshake now (e.g. after a key rotation), keeping the current session until the new
   * one is live. Resolves with the new session or rejects with the attempt's RelaySessionError;
   * if an attempt is already running, that attempt's outcome is returned.
   */
  rehandshake(): Promise<Session> {
    if (this.#closed) {
      return Promise.reject(
        new RelaySessionError('RELAY_E_SESSION_CLOSED', 'the client is closed'),
      );
    }
    this.#started = true;
    return this.#cycle();
  }

  /** Stops: no more handshakes, the session is dropped, pending waits reject. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeController.abort(new Closed('closed'));
    this.#clearTimers();
    const running = this.#running;
    if (running !== undefined) await running.catch(() => undefined);
    this.#session = undefined;
    this.#state = 'closed';
    await this.#senders.close();
    this.#notify(false);
    this.emit('down', 'closed');
  }

  // ------------------------------------------------------------------------------ the cycle

  #schedule(delayMs: number): void {
    if (this.#closed) return;
    if (this.#timer !== undefined) this.#scheduler.clearTimer(this.#timer);
    this.#timer = this.#scheduler.setTimer(() => {
      this.#timer = undefined;
      this.#cycle().catch(() => undefined);
    }, delayMs);
  }

  #cycle(): Promise<Session> {
    if (this.#running !== undefined) return this.#running;
    if (this.#timer !== undefined) {
      this.#scheduler.clearTimer(this.#timer);
      this.#timer = undefined;
    }
    const run = this.#handshake().then(
      (session) => {
        this.#running = undefined;
        this.#onLive(session);
        return session;
      },
      (e: unknown) => {
        this.#running = undefined;
        const error =
          e instanceof RelaySessionError
            ? e
            : new RelaySessionError('RELAY_E_SESSION_TRANSPORT', sbReason(e), {
                sbCode: sbCode(e),
              });
        this.#onFailure(error);
        throw error;
      },
    );
    this.#running = run;
    return run;
  }

  #onLive(session: Session): void {
    if (this.#closed) return;
    this.#session = session;
    this.#attempt = 0;
    this.#state = 'live';
    const { instanceId } = this.options;
    const clock = this.#clock;
    publishSession({
      state: 'live',
      instanceId,
      kid: session.kid,
      sid: sidPrefix(session.sid),
      ...(clock === undefined ? {} : { clockAheadMs: clock.aheadMs }),
    });
    this.#log.info(
      { kid: session.kid, sid: sidPrefix(session.sid), ttl: session.ttl },
      'handshake session live',
    );
    if (clock !== undefined) {
      this.#log.warn({ clockAheadMs: clock.aheadMs, kid: session.kid }, `clock: ${clock.text}`);
    }
    // Renew at the fraction of the lifetime, counted from the HELLO's ts (the session's start).
    const now = this.#scheduler.now();
    const start = session.expiresAt - session.ttl * 1000;
    const renewAt = start + Math.floor(session.ttl * 1000 * this.options.renewAtFraction);
    this.#schedule(Math.max(0, renewAt - now));
    if (this.#expiryTimer !== undefined) this.#scheduler.clearTimer(this.#expiryTimer);
    this.#expiryTimer = this.#scheduler.setTimer(
      () => {
        this.#expiryTimer = undefined;
        this.#onExpired(session);
      },
      Math.max(0, session.expiresAt - now),
    );
    if (!this.#wasLive) this.#notify(true);
    this.emit('live', session);
  }

  #onExpired(session: Session): void {
    if (this.#closed || this.#session !== session) return;
    this.#session = undefined;
    this.#state = 'expired';
    publishSession({
      state: 'expired',
      instanceId: this.options.instanceId,
      kid: session.kid,
      sid: sidPrefix(session.sid),
    });
    this.#log.warn({ kid: session.kid }, 'handshake session expired before it was renewed');
    this.#notify(false);
    this.emit('down', 'expired');
    if (this.#running === undefined && this.#timer === undefined) this.#schedule(0);
  }

  #onFailure(error: RelaySessionError): void {
    if (this.#closed) return;
    const { instanceId } = this.options;
    const kid = typeof error.details.kid === 'string' ? error.details.kid : undefined;
    if (isRejection(error)) {
      // REJECT: the cloud side no longer accepts this relay under this key (or at this clock).
      // Stop serving.
      this.#session = undefined;
      this.#state = 'rejected';
      if (this.#expiryTimer !== undefined) this.#scheduler.clearTimer(this.#expiryTimer);
      this.#expiryTimer = undefined;
      const ahead = error.details.clockAheadMs;
      publishSession({
        state: 'rejected',
        instanceId,
        kid,
        code: error.code,
        ...(typeof ahead === 'number' ? { clockAheadMs: ahead } : {}),
      });
      this.#log.error({ kid, code: error.code }, error.message);
      this.#notify(false);
      this.emit('failed', error);
      this.emit('down', 'rejected');
      if (this.options.rejectRetryMs > 0) this.#schedule(this.options.rejectRetryMs);
      else if (this.#timer !== undefined) {
        this.#scheduler.clearTimer(this.#timer);
        this.#timer = undefined;
      }
      return;
    }
    const delayMs = reconnectDelay(
      this.#attempt,
      this.options.reconnectDelaysMs,
      this.options.reconnectJitter,
      this.#random,
    );
    const attempt = ++this.#attempt;
    if (this.session === undefined) this.#state = 'failed';
    publishSession({ state: 'failed', instanceId, kid, code: error.code, attempt, delayMs });
    this.#log.warn({ kid, code: error.code, attempt, delayMs }, error.message);
    this.emit('failed', error);
    this.#schedule(delayMs);
  }

  #notify(live: boolean): void {
    if (live === this.#wasLive) return;
    this.#wasLive = live;
    for (const fn of [...this.#watchers]) {
      try {
        fn(live);
      } catch (e) {
        this.#log.error({ err: e }, 'a session watcher threw');
      }
    }
  }

  #clearTimers(): void {
    if (this.#timer !== undefined) this.#scheduler.clearTimer(this.#timer);
    if (this.#expiryTimer !== undefined) this.#scheduler.clearTimer(this.#expiryTimer);
    this.#timer = undefined;
    this.#expiryTimer = undefined;
  }

  // ------------------------------------------------------------------------ one handshake

  /** One attempt: lock the reply session, send HELLO, wait for its answer, check it. */
  async #handshake(): Promise<Session> {
    const o = this.options;
    const { kid, key } = this.#keys.primary;
    const { tenant, instanceId } = o;
    if (this.session === undefined) this.#state = 'handshaking';
    publishSession({ state: 'handshaking', instanceId, kid });

    const timeout = new AbortController();
    const timer = this.#scheduler.setTimer(() => {
      timeout.abort(new Timeout('timeout'));
    }, o.answerTimeoutMs);
    const stop = AbortSignal.any([timeout.signal, this.#closeController.signal]);
    const fail = (e: unknown, doing: string): RelaySessionError => {
      if (e instanceof RelaySessionError) return e;
      if (stop.aborted) {
        return stop.reason instanceof Closed
          ? new RelaySessionError(
              'RELAY_E_SESSION_CLOSED',
              'the client was closed during a handshake',
              { kid },
            )
          : new RelaySessionError(
              'RELAY_E_SESSION_TIMEOUT',
              `no WELCOME or REJECT within ${o.answerTimeoutMs} ms on ${o.handshakeRepliesEntity} (session ${instanceId})`,
              { kid, timeoutMs: o.answerTimeoutMs },
            );
      }
      return new RelaySessionError(
        'RELAY_E_SESSION_TRANSPORT',
        `Service Bus failed while ${doing}: ${sbReason(e)}`,
        { kid, sbCode: sbCode(e) },
      );
    };
    const race = <T>(p: Promise<T>): Promise<T> => Promise.race([p, aborted(stop)]);

    try {
      const client = this.#client();
      let receiver;
      try {
        receiver = await race(
          client.acceptSession(o.handshakeRepliesEntity, instanceId, {
            receiveMode: 'peekLock',
            maxAutoLockRenewalDurationInMs: 0,
            skipParsingBodyAsJson: true,
            abortSignal: stop,
          }),
        );
      } catch (e) {
        throw fail(e, `locking the reply session on ${o.handshakeRepliesEntity}`);
      }
      try {
        const { message, pending } = createHello(
          { tenant, kid, key, relay: instanceId, caps: o.caps },
          { clock: this.#scheduler, random: this.#randomBytes },
        );
        const messageId = this.#messageId();
        try {
          await race(
            this.#senders.get(client, o.handshakeEntity).sendMessages(
              {
                body: Buffer.from(message, 'utf8'),
                contentType: JSON_CONTENT_TYPE,
                subject: SUBJECT.hello,
                messageId,
                replyTo: o.handshakeRepliesEntity,
                replyToSessionId: instanceId,
                timeToLive: HELLO_TTL_MS,
                applicationProperties: { [PROPERTY.tenant]: tenant },
              },
              { abortSignal: stop },
            ),
          );
        } catch (e) {
          throw fail(e, `sending HELLO to ${o.handshakeEntity}`);
        }
        for (let i = 0; i < o.maxStaleAnswers; i++) {
          let received: ServiceBusReceivedMessage[];
          try {
            received = await race(
              receiver.receiveMessages(1, {
                maxWaitTimeInMs: o.answerTimeoutMs,
                abortSignal: stop,
              }),
            );
          } catch (e) {
            throw fail(e, `receiving from ${o.handshakeRepliesEntity}`);
          }
          const answer = received[0];
          if (answer === undefined) {
            timeout.abort(new Timeout('timeout'));
            throw fail(new Timeout('timeout'), 'waiting');
          }
          await receiver.completeMessage(answer).catch((e: unknown) => {
            this.#log.warn({ sbCode: sbCode(e) }, 'could not complete a handshake answer');
          });
          if (idText(answer.correlationId) !== messageId) {
            this.#log.warn('skipped an answer to an older HELLO');
            continue;
          }
          return this.#open(pending, answer, kid);
        }
        throw new RelaySessionError(
          'RELAY_E_SESSION_TIMEOUT',
          `no answer to this HELLO among ${o.maxStaleAnswers} messages on ${o.handshakeRepliesEntity}`,
          { kid },
        );
      } finally {
        await receiver.close().catch(() => undefined);
      }
    } finally {
      this.#scheduler.clearTimer(timer);
    }
  }

  #open(
    pending: Parameters<typeof openWelcome>[0],
    answer: ServiceBusReceivedMessage,
    kid: string,
  ): Session {
    const { tenant } = this.options;
    const body = bodyBytes(answer.body) ?? Buffer.alloc(0);
    // The namespace stamped the answer with its own clock: how far off is ours?
    const enqueued = answer.enqueuedTimeUtc;
    const reading = readClockSkew(
      this.#scheduler.now(),
      enqueued instanceof Date ? enqueued.getTime() : undefined,
      this.options.skewMs,
    );
    const off = reading !== undefined && reading.verdict !== 'ok' ? reading : undefined;
    try {
      const session = openWelcome(pending, body, {
        clock: this.#scheduler,
        skewMs: this.options.skewMs,
      });
      this.#clock = off;
      return session;
    } catch (e) {
      if (!(e instanceof HandshakeError)) throw e;
      if (e.code === 'HS_E_REJECTED' && off?.verdict === 'outside') {
        throw new RelaySessionError(
          'RELAY_E_SESSION_CLOCK',
          `the cloud side refused the handshake (REJECT) for tenant ${tenant} under key id ${kid}: ${off.text}`,
          { kid, tenant, clockAheadMs: off.aheadMs },
        );
      }
      if (e.code === 'HS_E_REJECTED') {
        throw new RelaySessionError(
          'RELAY_E_SESSION_REJECTED',
          `the cloud side refused the handshake (REJECT) for tenant ${tenant} under key id ${kid}; ` +
            `the reason is only in the cloud side's log. Check that key id ${kid} is active there ` +
            '(a retired or unknown key id, or a wrong key, is refused)',
          { kid, tenant },
        );
      }
      throw new RelaySessionError(
        'RELAY_E_SESSION_ANSWER',
        `the answer to HELLO is not an acceptable WELCOME (${e.code}: ${e.message})` +
          (e.code === 'HS_E_SKEW' && off !== undefined ? `; ${off.text}` : ''),
        {
          kid,
          tenant,
          hsCode: e.code,
          ...(e.code === 'HS_E_SKEW' && off !== undefined ? { clockAheadMs: off.aheadMs } : {}),
        },
      );
    }
  }
}

/** A REJECT from the cloud side: for the key, or for this relay's clock. */
function isRejection(error: RelaySessionError): boolean {
  return error.code === 'RELAY_E_SESSION_REJECTED' || error.code === 'RELAY_E_SESSION_CLOCK';
}

/** Creates a handshake client (call start() to begin). */
export function createHandshakeClient(
  options: HandshakeClientOptionsInput,
  deps: HandshakeClientDeps,
): HandshakeClient {
  return new HandshakeClient(options, deps);
}
