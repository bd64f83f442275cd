// The relay's asynchronous work path over Service Bus (docs/protocol/messaging.md). In: sealed
// requests from the `requests` queue (peekLock), only while a handshake session is live; the
// tenant key ring; an injected route handler. Out: the handler's result sealed (r2c) on the
// session-enabled `replies` queue, THEN the request completed; a refused envelope, unknown route
// or malformed request dead-lettered with a reason and description the tenant can read; a
// failed handler abandoned (redelivered); `relay:work` events.
import type {
  ServiceBusClient,
  ServiceBusReceivedMessage,
  ServiceBusReceiver,
} from '@azure/service-bus';
import pino, { type Logger } from 'pino';
import { z } from 'zod';
import {
  DEFAULT_SKEW_MS,
  EnvelopeError,
  metadataToHeaders,
  openBody,
  parseMetadata,
  sealBody,
  SEGMENT_BYTES,
  type EnvelopeMetadata,
} from '../protocol/envelope';
import { TENANT_PATTERN } from '../protocol/handshake';
import { systemRandom, TAG_BYTES, type RandomBytes } from '../protocol/primitives';
import { isRelaycheckError } from '../protocol/errors';
import { systemScheduler, type Scheduler, type TimerHandle } from '../transports/scheduler';
import { memoryIdempotencyStore, type IdempotencyStore } from '../work/idempotency';
import { DEFAULT_ENTITIES, PROPERTY, SEALED_CONTENT_TYPE } from './contract';
import { RelayWorkError, type RelayWorkCode } from './errors';
import { publishWork } from './events';
import { settlementLane, type SettlementLane } from './settlement-lane';
import type { SessionGate } from './handshake-client';
import type { TenantKeys } from './keys';
import {
  bodyBytes,
  clientFactory,
  idText,
  isCommunicationProblem,
  isThrottling,
  SenderCache,
  sbCode,
  sbReason,
  type ServiceBusSource,
} from './sb';
import { parseOptions } from './options';

/** What the handler learns about a request besides its route and body. */
export interface WorkMeta {
  readonly via: 'servicebus';
  readonly messageId: string;
  readonly route: string;
  /** 0 on the first delivery, +1 per abandon or lock loss. */
  readonly deliveryCount: number;
  /** False when a plain body was accepted (development profile only). */
  readonly sealed: boolean;
  /** The key id the body was sealed under (undefined when plain). */
  readonly kid: string | undefined;
  readonly contentType: string | undefined;
  /** Application properties other than the envelope's rc-* ones. */
  readonly properties: Readonly<Record<string, string | number | boolean>>;
  /** Aborted when the handler timeout passes or the receiver closes. */
  readonly signal: AbortSignal;
  /** Renews the message's lock (for a handler that waits between retries). */
  readonly renewLock: () => Promise<void>;
}

/**
 * What becomes of a request whose handler failed: dead-lettered with a reason and a
 * description the tenant can read (retrying cannot help), or abandoned (it comes back).
 */
export type HandlerSettlement =
  | {
      readonly action: 'abandon';
      /**
       * Keep the message locked this long (at most handlerTimeoutMs; less when the receiver
       * stops) before abandoning it: a dependency that cannot be tried yet (an open breaker)
       * must not send the message round the broker until its max delivery count is used up.
       */
      readonly holdMs?: number;
      /**
       * On the message's last delivery (maxDeliveryCount), dead-letter it with this reason and
       * description instead of abandoning it: the broker's own MaxDeliveryCountExceeded would
       * not say why (a full file share's ENOSPC, say).
       */
      readonly lastDelivery?: { readonly reason: string; readonly description: string };
    }
  | { readonly action: 'dead-letter'; readonly reason: string; readonly description: string };

export interface WorkResult {
  /** HTTP-like status of the outcome (100-599). */
  readonly status: number;
  readonly body: Buffer;
  readonly contentType?: string;
}

/** The relay's dispatcher for Service Bus work. Throwing abandons the request (redelivery). */
export type WorkHandler = (route: string, body: Buffer, meta: WorkMeta) => Promise<WorkResult>;

/** After server busy: 10 s (Azure's advice for ServerBusy), then 20 s, then every 30 s. */
export const DEFAULT_BUSY_BACKOFF_MS: readonly number[] = Object.freeze([10_000, 20_000, 30_000]);

const schema = z.strictObject({
  tenant: z.string().regex(TENANT_PATTERN, 'must match [a-z0-9-]{3,64}'),
  profile: z.enum(['production', 'development']).default('production'),
  /** Routes served; any other route is dead-lettered. */
  routes: z
    .array(
      z.string().regex(/^[!-{}~]{1,256}$/, 'a route is 1-256 printable characters, no | or space'),
    )
    .min(1)
    .max(1_000),
  entities: z
    .strictObject({
      requests: z.string().min(1).max(260).optional(),
      replies: z.string().min(1).max(260).optional(),
    })
    .default({}),
  maxConcurrent: z.int().min(1).max(1_024).default(16),
  /** A handler that takes longer is abandoned (its signal aborts). */
  handlerTimeoutMs: z.int().min(10).max(3_600_000).default(55_000),
  /**
   * On close: how long handlers in flight may take to finish; those still running then are
   * aborted and their requests abandoned (default 10 s).
   */
  shutdownGraceMs: z.int().min(0).max(600_000).default(10_000),
  /** Requests older than this (by rc-ts) are refused, whatever their time-to-live. */
  maxRequestAgeMs: z
    .int()
    .min(1)
    .max(30 * 86_400_000)
    .default(3_600_000),
  skewMs: z.int().min(0).max(3_600_000).default(DEFAULT_SKEW_MS),
  /**
   * How long a settlement (complete, abandon, dead-letter) is awaited. One that takes longer
   * (its connection was cut and the SDK keeps retrying) is left to run on: the broker
   * redelivers the request when its lock expires, and the receiver does not wait for it.
   */
  settleTimeoutMs: z.int().min(10).max(600_000).default(10_000),
  /**
   * The requests queue's MaxDeliveryCount (Azure's default 10): a failure whose settlement names
   * a lastDelivery reason is dead-lettered with it on the last delivery instead of abandoned.
   */
  maxDeliveryCount: z.int().min(1).max(2_000).default(10),
  maxRequestBytes: z
    .int()
    .min(0)
    .max(1024 * 1024 * 1024)
    .default(32 * 1024 * 1024),
  /**
   * Throttling: after Service Bus answers server busy, the requests receiver is closed and
   * attached again after these delays (the last one repeats; reset once a request arrives).
   * The SDK itself re-attaches a link detached with server busy at once, in a loop.
   */
  busyBackoffMs: z
    .array(z.int().min(100).max(600_000))
    .min(1)
    .max(10)
    .default([...DEFAULT_BUSY_BACKOFF_MS]),
});

export type WorkReceiverOptionsInput = z.input<typeof schema>;
export type WorkReceiverOptions = Readonly<Omit<z.infer<typeof schema>, 'routes'>> & {
  readonly routes: readonly string[];
  readonly requestsEntity: string;
  readonly repliesEntity: string;
};

/** Validates the options; throws RELAY_E_WORK_CONFIG naming the field. */
export function parseWorkReceiverOptions(input: unknown): WorkReceiverOptions {
  const c = parseOptions(
    schema,
    input,
    (path, message) => new RelayWorkError('RELAY_E_WORK_CONFIG', message, { path }),
  );
  return Object.freeze({
    ...c,
    routes: Object.freeze([...c.routes]),
    requestsEntity: c.entities.requests ?? DEFAULT_ENTITIES.requests,
    repliesEntity: c.entities.replies ?? DEFAULT_ENTITIES.replies,
  });
}

export interface WorkReceiverDeps {
  readonly serviceBus: ServiceBusSource;
  readonly keys: TenantKeys;
  /** Work is received only while this says a session is live (the HandshakeClient). */
  readonly session: SessionGate;
  readonly handler: WorkHandler;
  /** Clock of the envelope (rc-ts) and timers of the handler timeout. */
  readonly scheduler?: Scheduler;
  /** Randomness of the reply envelopes. */
  readonly randomBytes?: RandomBytes;
  readonly logger?: Logger;
  /**
   * Called when the requests receiver reports an error of its link or connection (errorSource
   * `receive`, or a communication problem anywhere): the owner may re-probe and rebuild the
   * client. The SDK keeps retrying on the same client meanwhile.
   */
  readonly onTransportError?: (error: unknown) => void;
  /**
   * What was done per message id (default: a memory store). A request whose id and route are
   * recorded is answered from the record without calling the handler again; a result is
   * recorded before its reply is sent. Give a file-backed store for records that survive a
   * restart or a SIGKILL.
   */
  readonly store?: IdempotencyStore;
  /**
   * Says what a handler's failure means (default: abandon, so that the broker's max delivery
   * count decides). A permanent refusal is dead-lettered with the given reason and description.
   */
  readonly settlementOf?: (error: unknown) => HandlerSettlement;
}

interface Settle {
  readonly kind: 'dead-letter' | 'abandon';
  readonly error: RelayWorkError;
  /** The dead-letter reason when it is not the error's code (a handler's own refusal). */
  readonly reason?: string;
}

/** The decoded, checked parts of a request before its envelope is opened. */
interface Request {
  readonly messageId: string;
  readonly route: string;
  readonly replySession: string;
  readonly body: Buffer;
  readonly metadata: EnvelopeMetadata | undefined;
  readonly properties: Record<string, string | number | boolean>;
}

const RC_PREFIX = 'rc-';

/**
 * Receives sealed work while a session is live. Per message: open (c2r), dispatch, seal (r2c),
 * send the reply, complete. Settlement is at-least-once: a reply is sent before the request is
 * completed, so a crash in between repeats the request (its messageId stays the same).
 */
export class WorkReceiver {
  readonly options: WorkReceiverOptions;
  readonly #client: () => ServiceBusClient;
  readonly #keys: TenantKeys;
  readonly #gate: SessionGate;
  readonly #handler: WorkHandler;
  readonly #scheduler: Scheduler;
  readonly #randomBytes: RandomBytes;
  readonly #log: Logger;
  readonly #routes: ReadonlySet<string>;
  /** The largest sealed body whose plaintext can be within maxRequestBytes. */
  readonly #sealedLimit: number;
  readonly #senders = new SenderCache();
  readonly #onTransportError: ((error: unknown) => void) | undefined;
  readonly #store: IdempotencyStore;
  readonly #settlementOf: (error: unknown) => HandlerSettlement;
  /** One disposition at a time on the wire (settlement-lane.ts: rhea merges those of one turn). */
  readonly #lane: SettlementLane;
  #receiver: ServiceBusReceiver | undefined;
  #subscription: { close(): Promise<void> } | undefined;
  #unwatch: (() => void) | undefined;
  #transition: Promise<void> = Promise.resolve();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #controllers = new Set<AbortController>();
  /** Ends the holds of abandoned requests (see HandlerSettlement.holdMs) at once. */
  readonly #holds = new Set<() => void>();
  /** While set, the receiver is backing off after server busy (no receiver is open). */
  #busyTimer: TimerHandle | undefined;
  /** Server-busy back-offs since a request last arrived. */
  #busyCount = 0;
  #closed = false;

  constructor(options: WorkReceiverOptionsInput, deps: WorkReceiverDeps) {
    this.options = parseWorkReceiverOptions(options);
    this.#client = clientFactory(deps.serviceBus);
    this.#keys = deps.keys;
    this.#gate = deps.session;
    this.#handler = deps.handler;
    this.#scheduler = deps.scheduler ?? systemScheduler;
    this.#lane = settlementLane(this.#scheduler, this.options.settleTimeoutMs);
    this.#randomBytes = deps.randomBytes ?? systemRandom;
    this.#log = (deps.logger ?? pino({ level: 'silent' })).child({ component: 'work-receiver' });
    this.#routes = new Set(this.options.routes);
    this.#onTransportError = deps.onTransportError;
    // 256 KiB: a standard-tier Service Bus message; a larger result keeps its digest only.
    this.#store = deps.store ?? memoryIdempotencyStore({ maxBodyBytes: 256 * 1024 });
    this.#settlementOf = deps.settlementOf ?? (() => ({ action: 'abandon' }));
    const max = this.options.maxRequestBytes;
    this.#sealedLimit = max + TAG_BYTES * (Math.ceil(max / SEGMENT_BYTES) + 1);
  }

  /** True while the requests receiver is open. */
  get receiving(): boolean {
    return this.#receiver !== undefined;
  }

  /** Requests being handled now. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Follows the session: receives while it is live, stops when it is not. */
  start(): this {
    if (this.#closed) throw new RelayWorkError('RELAY_E_WORK_CONFIG', 'the receiver is closed');
    if (this.#unwatch !== undefined) return this;
    this.#unwatch = this.#gate.onChange((live) => {
      this.#queue(live ? () => this.#open() : () => this.#stop());
    });
    if (this.#gate.isLive()) this.#queue(() => this.#open());
    return this;
  }

  /**
   * Re-opens the receiver on the factory's current client (after a transport change). The new
   * receiver does not wait for the old one: work in flight on the old link is aborted (its
   * requests come back when their locks expire) and that link is closed in the background, so a
   * settlement stuck on a dead connection cannot hold the relay's work back for its timeout.
   */
  restart(): Promise<void> {
    this.#queue(async () => {
      this.#detach();
      if (this.#gate.isLive()) await this.#open();
    });
    return this.#transition;
  }

  /** Takes the receiver out of service at once; its link closes in the background. */
  #detach(): void {
    const receiver = this.#receiver;
    const subscription = this.#subscription;
    this.#receiver = undefined;
    this.#subscription = undefined;
    const left = this.#inFlight.size;
    this.#abortAll();
    if (receiver === undefined) return;
    void (async () => {
      await subscription?.close().catch(() => undefined);
      await receiver.close().catch(() => undefined);
      this.#log.info({ abandoned: left }, 'stopped receiving work on the old link');
    })();
  }

  /** Resolves once the last start/stop transition has finished (for tests and the lead). */
  settled(): Promise<void> {
    return this.#transition;
  }

  /**
   * Graceful shutdown: stops receiving, gives handlers in flight shutdownGraceMs to finish
   * (replied and completed as usual), aborts the rest (abandoned: they come back), then closes
   * the link and the senders.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unwatch?.();
    this.#unwatch = undefined;
    if (this.#busyTimer !== undefined) this.#scheduler.clearTimer(this.#busyTimer);
    this.#busyTimer = undefined;
    this.#queue(() => this.#stop(this.options.shutdownGraceMs));
    await this.#transition;
    await this.#senders.close();
  }

  #queue(step: () => Promise<void>): void {
    this.#transition = this.#transition.then(step).catch((e: unknown) => {
      this.#log.error({ sbCode: sbCode(e) }, `work receiver transition failed: ${sbReason(e)}`);
    });
  }

  #open(): Promise<void> {
    if (
      this.#closed ||
      this.#receiver !== undefined ||
      this.#busyTimer !== undefined ||
      !this.#gate.isLive()
    ) {
      return Promise.resolve();
    }
    const receiver = this.#client().createReceiver(this.options.requestsEntity, {
      receiveMode: 'peekLock',
      skipParsingBodyAsJson: true,
    });
    this.#receiver = receiver;
    this.#subscription = receiver.subscribe(
      {
        processMessage: (message) => this.#track(this.#process(receiver, message)),
        processError: (args) => {
          if (isThrottling(args.error)) {
            // Server busy: the namespace asks its clients to wait. Not a lost connection (so
            // no client rebuilt), and not left to the SDK (it attaches again at once).
            this.#throttled(receiver, args.error);
            return Promise.resolve();
          }
          this.#log.warn(
            { sbCode: sbCode(args.error), source: args.errorSource },
            `requests receiver error: ${sbReason(args.error)}`,
          );
          if (
            this.#receiver === receiver &&
            (args.errorSource === 'receive' || isCommunicationProblem(args.error))
          ) {
            this.#onTransportError?.(args.error);
          }
          return Promise.resolve();
        },
      },
      { autoCompleteMessages: false, maxConcurrentCalls: this.options.maxConcurrent },
    );
    this.#log.info({ entity: this.options.requestsEntity }, 'receiving work');
    return Promise.resolve();
  }

  /**
   * Server busy on `receiver`: closes it (the SDK's own re-attach loop stops with it; handlers in
   * flight run on, their settlements may be refused and their requests come back) and opens a
   * new one after the next busy back-off delay.
   */
  #throttled(receiver: ServiceBusReceiver, error: unknown): void {
    if (this.#closed || this.#receiver !== receiver || this.#busyTimer !== undefined) return;
    const delays = this.options.busyBackoffMs;
    const delayMs = delays[Math.min(this.#busyCount, delays.length - 1)] ?? 0;
    this.#busyCount += 1;
    this.#log.warn(
      { sbCode: sbCode(error), delayMs, attempt: this.#busyCount },
      `Service Bus is busy (throttling): the requests receiver backs off for ${String(delayMs)} ms before it attaches again: ${sbReason(error)}`,
    );
    this.#busyTimer = this.#scheduler.setTimer(() => {
      this.#busyTimer = undefined;
      this.#queue(() => this.#open());
    }, delayMs);
    this.#queue(async () => {
      if (this.#receiver !== receiver) return;
      const subscription = this.#subscription;
      this.#receiver = undefined;
      this.#subscription = undefined;
      await subscription?.close().catch(() => undefined);
      void receiver.close().catch(() => undefined);
    });
  }

  /**
   * Stops receiving; handlers in flight get `graceMs` to finish on the open link, then are
   * aborted (their requests abandoned) before the link closes.
   */
  async #stop(graceMs = 0): Promise<void> {
    // Held requests are abandoned now: they are waiting, not working.
    for (const end of [...this.#holds]) end();
    const receiver = this.#receiver;
    const subscription = this.#subscription;
    this.#receiver = undefined;
    this.#subscription = undefined;
    if (receiver === undefined) {
      this.#abortAll();
      await Promise.allSettled([...this.#inFlight]);
      return;
    }
    await subscription?.close().catch(() => undefined);
    const running = [...this.#inFlight];
    if (running.length > 0 && graceMs > 0) {
      this.#log.info({ inFlight: running.length, graceMs }, 'finishing work in flight');
      let timer: ReturnType<Scheduler['setTimer']> | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = this.#scheduler.setTimer(resolve, graceMs);
      });
      await Promise.race([Promise.allSettled(running), deadline]);
      if (timer !== undefined) this.#scheduler.clearTimer(timer);
    }
    const left = this.#inFlight.size;
    this.#abortAll();
    await Promise.allSettled([...this.#inFlight]);
    await receiver.close().catch(() => undefined);
    this.#log.info({ abandoned: left }, 'stopped receiving work');
  }

  #abortAll(): void {
    for (const c of this.#controllers) c.abort(new Error('closing'));
    for (const end of [...this.#holds]) end();
  }

  /**
   * Waits `ms` (at most handlerTimeoutMs; nothing once closing) before an abandon; #abortAll
   * and #stop end the wait early. Resolves with the wait planned.
   */
  #hold(ms: number): Promise<number> {
    const wait = Math.min(Number.isFinite(ms) ? Math.max(0, ms) : 0, this.options.handlerTimeoutMs);
    if (wait === 0 || this.#closed) return Promise.resolve(0);
    return new Promise<number>((resolve) => {
      const end = (): void => {
        this.#scheduler.clearTimer(timer);
        this.#holds.delete(end);
        resolve(wait);
      };
      const timer = this.#scheduler.setTimer(end, wait);
      this.#holds.add(end);
    });
  }

  #track(work: Promise<void>): Promise<void> {
    this.#inFlight.add(work);
    return work.finally(() => this.#inFlight.delete(work));
  }

  // ------------------------------------------------------------------------- one request

  async #process(receiver: ServiceBusReceiver, message: ServiceBusReceivedMessage): Promise<void> {
    this.#busyCount = 0;
    const messageId = idText(message.messageId) ?? '';
    const routeText = typeof message.subject === 'string' ? message.subject : '';
    const deliveryCount = message.deliveryCount ?? 0;
    const event = (
      outcome: 'completed' | 'dead-lettered' | 'abandoned',
      extra: { status?: number; code?: string; replayed?: boolean; holdMs?: number } = {},
    ): void => {
      publishWork({
        via: 'servicebus',
        route: routeText.slice(0, 256),
        messageId: messageId.slice(0, 128),
        outcome,
        deliveryCount,
        ...extra,
      });
    };

    if (!this.#gate.isLive()) {
      // Prefetched after the session went down: give it back untouched.
      await this.#settleAs(message, 'abandon', () => receiver.abandonMessage(message)).catch(
        () => undefined,
      );
      event('abandoned', { code: 'RELAY_E_WORK_NO_SESSION' });
      return;
    }

    let request: Request;
    let opened: Buffer;
    try {
      request = this.#decode(message);
      opened = this.#openEnvelope(request, message);
    } catch (e) {
      const error = e instanceof RelayWorkError ? e : internal(e);
      await this.#settle(receiver, message, { kind: 'dead-letter', error });
      event('dead-lettered', { code: error.code });
      return;
    }

    const found = this.#store.get(request.messageId);
    const recorded = found?.route === request.route ? found : undefined;
    const replayed = recorded !== undefined;
    let result: WorkResult;
    if (recorded !== undefined) {
      // Done before (a redelivery, or the same id sent again): answer from the record.
      if (recorded.bodyOmitted) {
        this.#log.warn(
          { messageId, bytes: recorded.bodyBytes },
          'a repeated request is answered with its recorded status only (its body was too large to keep)',
        );
      }
      result = {
        status: recorded.status,
        body: recorded.body,
        ...(recorded.contentType === undefined ? {} : { contentType: recorded.contentType }),
      };
    } else {
      try {
        result = await this.#dispatch(request, opened, message, deliveryCount, receiver);
      } catch (e) {
        const verdict = this.#verdict(e);
        if (verdict.action === 'dead-letter') {
          await this.#settle(receiver, message, {
            kind: 'dead-letter',
            error: new RelayWorkError('RELAY_E_WORK_HANDLER', verdict.description),
            reason: verdict.reason,
          });
          event('dead-lettered', { code: verdict.reason });
          return;
        }
        const last = verdict.lastDelivery;
        if (last !== undefined && deliveryCount + 1 >= this.options.maxDeliveryCount) {
          // The broker would dead-letter it on this abandon with MaxDeliveryCountExceeded and
          // nothing of why: the relay does it with the failure's own reason.
          const n = String(deliveryCount + 1);
          await this.#settle(receiver, message, {
            kind: 'dead-letter',
            error: new RelayWorkError(
              'RELAY_E_WORK_HANDLER',
              `${last.description} (delivery ${n} of ${String(this.options.maxDeliveryCount)}: not retried)`,
            ),
            reason: last.reason,
          });
          event('dead-lettered', { code: last.reason });
          return;
        }
        const error = e instanceof RelayWorkError ? e : handlerError(e);
        const holdMs = verdict.holdMs === undefined ? 0 : await this.#hold(verdict.holdMs);
        await this.#settle(receiver, message, { kind: 'abandon', error });
        event('abandoned', {
          code: isRelaycheckError(e) ? e.code : error.code,
          ...(holdMs > 0 ? { holdMs } : {}),
        });
        return;
      }
      try {
        await this.#store.put({
          key: request.messageId,
          route: request.route,
          status: result.status,
          contentType: result.contentType,
          body: result.body,
        });
      } catch (e) {
        // Not recorded: the request comes back and may run again. Say so loudly.
        const error = new RelayWorkError(
          'RELAY_E_WORK_STORE',
          `the result of ${request.messageId} could not be recorded: ${e instanceof Error ? e.message : 'unknown'}`,
          { code: isRelaycheckError(e) ? e.code : 'unknown' },
        );
        await this.#settle(receiver, message, { kind: 'abandon', error });
        event('abandoned', { code: error.code });
        return;
      }
    }

    try {
      await this.#reply(request, result);
    } catch (e) {
      const error = new RelayWorkError(
        'RELAY_E_WORK_REPLY',
        `the reply to ${request.messageId} could not be sent: ${sbReason(e)}`,
        { sbCode: sbCode(e) },
      );
      await this.#settle(receiver, message, { kind: 'abandon', error });
      event('abandoned', { code: error.code });
      return;
    }
    try {
      await this.#settleAs(message, 'complete', () => receiver.completeMessage(message));
    } catch (e) {
      // The reply went out; the request comes back and is answered again (same messageId).
      this.#log.warn(
        { messageId, sbCode: sbCode(e) },
        'could not complete a request after its reply',
      );
    }
    event('completed', { status: result.status, ...(replayed ? { replayed: true } : {}) });
  }

  #decode(message: ServiceBusReceivedMessage): Request {
    const malformed = (what: string): RelayWorkError =>
      new RelayWorkError('RELAY_E_WORK_MALFORMED', `the request ${what}`);
    const messageId = idText(message.messageId);
    if (messageId === undefined || !/^[!-{}~]{1,128}$/.test(messageId)) {
      throw malformed('has no usable messageId');
    }
    const route = message.subject;
    if (typeof route !== 'string' || route === '') throw malformed('has no subject (route)');
    const props = message.applicationProperties ?? {};
    const rcRoute = props[PROPERTY.route];
    if (rcRoute !== undefined && rcRoute !== route) {
      throw malformed(
        `says route ${String(rcRoute).slice(0, 64)} in rc-route but ${route} in subject`,
      );
    }
    const replySession = message.replyToSessionId;
    if (typeof replySession !== 'string' || replySession === '') {
      throw malformed('has no replyToSessionId (where its reply goes)');
    }
    if (!this.#routes.has(route)) {
      throw new RelayWorkError(
        'RELAY_E_WORK_ROUTE',
        `no route ${route.slice(0, 64)} on this relay`,
        {
          route: route.slice(0, 64),
        },
      );
    }
    const body = bodyBytes(message.body);
    if (body === undefined) throw malformed('body is not bytes');
    if (body.length > this.#sealedLimit) {
      throw new RelayWorkError(
        'RELAY_E_WORK_TOO_LARGE',
        `the request body (${body.length} bytes) is over ${this.options.maxRequestBytes} bytes`,
      );
    }
    let metadata: EnvelopeMetadata | undefined;
    try {
      metadata = parseMetadata(props);
    } catch (e) {
      throw envelopeRefused(e);
    }
    const properties: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries(props)) {
      if (k.startsWith(RC_PREFIX)) continue;
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
        properties[k] = v;
    }
    return { messageId, route, replySession, body, metadata, properties };
  }

  #openEnvelope(request: Request, message: ServiceBusReceivedMessage): Buffer {
    const { metadata } = request;
    const kid = metadata?.kid ?? this.#keys.primary.kid;
    const key = this.#keys.get(kid);
    if (key === undefined) {
      throw new RelayWorkError(
        'RELAY_E_WORK_ENVELOPE',
        `ENV_E_KID: the request is sealed under key id ${kid}, which this relay does not hold`,
        { envCode: 'ENV_E_KID', kid },
      );
    }
    const ttl = message.timeToLive;
    const ttlMs = Math.min(
      typeof ttl === 'number' && Number.isFinite(ttl) && ttl >= 0 ? ttl : Infinity,
      this.options.maxRequestAgeMs,
    );
    try {
      return openBody(
        {
          tenant: this.options.tenant,
          messageId: request.messageId,
          route: request.route,
          direction: 'c2r',
          key,
          kid,
          deps: { clock: this.#scheduler },
          policy: {
            requireSealed: this.options.profile === 'production',
            ttlMs,
            skewMs: this.options.skewMs,
          },
        },
        metadata,
        request.body,
      );
    } catch (e) {
      throw envelopeRefused(e);
    }
  }

  /** The settlement of a handler failure; a timeout or a shutdown abort is always abandoned. */
  #verdict(e: unknown): HandlerSettlement {
    if (e instanceof RelayWorkError) return { action: 'abandon' };
    try {
      return this.#settlementOf(e);
    } catch {
      return { action: 'abandon' };
    }
  }

  async #dispatch(
    request: Request,
    body: Buffer,
    message: ServiceBusReceivedMessage,
    deliveryCount: number,
    receiver: ServiceBusReceiver,
  ): Promise<WorkResult> {
    const controller = new AbortController();
    this.#controllers.add(controller);
    const timer = this.#scheduler.setTimer(() => {
      controller.abort(new Error('handler timeout'));
    }, this.options.handlerTimeoutMs);
    try {
      const meta: WorkMeta = Object.freeze({
        via: 'servicebus',
        messageId: request.messageId,
        route: request.route,
        deliveryCount,
        sealed: request.metadata !== undefined,
        kid: request.metadata?.kid,
        contentType: message.contentType,
        properties: Object.freeze(request.properties),
        signal: controller.signal,
        renewLock: async () => {
          await receiver.renewMessageLock(message);
        },
      });
      const timedOut = new Promise<never>((_resolve, reject) => {
        controller.signal.addEventListener(
          'abort',
          () => {
            const closing = this.#closed;
            reject(
              new RelayWorkError(
                'RELAY_E_WORK_HANDLER',
                closing
                  ? `the relay is shutting down: ${request.route} was abandoned after the grace period and comes back`
                  : `the handler of ${request.route} did not finish within ${this.options.handlerTimeoutMs} ms`,
                { route: request.route, ...(closing ? { shutdown: true } : {}) },
              ),
            );
          },
          { once: true },
        );
      });
      const result = await Promise.race([this.#handler(request.route, body, meta), timedOut]);
      return checkResult(result, request.route);
    } finally {
      this.#scheduler.clearTimer(timer);
      this.#controllers.delete(controller);
    }
  }

  async #reply(request: Request, result: WorkResult): Promise<void> {
    // The reply goes under the request's key id (held: it opened the request); a plain
    // request (development profile) is answered under the primary key.
    const requested = request.metadata?.kid;
    const held = requested === undefined ? undefined : this.#keys.get(requested);
    const kid = held === undefined ? this.#keys.primary.kid : (requested ?? '');
    const key = held ?? this.#keys.primary.key;
    const { metadata, sealed } = sealBody(
      {
        tenant: this.options.tenant,
        messageId: request.messageId,
        route: request.route,
        direction: 'r2c',
        key,
        kid,
        deps: { clock: this.#scheduler, random: this.#randomBytes },
      },
      result.body,
    );
    await this.#bounded(
      this.#senders.get(this.#client(), this.options.repliesEntity).sendMessages({
        body: sealed,
        contentType: result.contentType ?? SEALED_CONTENT_TYPE,
        sessionId: request.replySession,
        correlationId: request.messageId,
        subject: request.route,
        applicationProperties: {
          ...metadataToHeaders(metadata),
          [PROPERTY.route]: request.route,
          [PROPERTY.status]: String(result.status),
        },
      }),
      'reply',
    );
  }

  /** Settles `message` through the lane, bounded by settleTimeoutMs. */
  #settleAs(
    message: ServiceBusReceivedMessage,
    what: 'complete' | 'abandon' | 'dead-letter',
    settle: () => Promise<void>,
  ): Promise<void> {
    return this.#bounded(this.#lane.run(message, settle), what);
  }

  /** Awaits a settlement for at most settleTimeoutMs; later it rejects (SettlementTimeout). */
  #bounded(settlement: Promise<void>, what: string): Promise<void> {
    const ms = this.options.settleTimeoutMs;
    return new Promise<void>((resolve, reject) => {
      const timer = this.#scheduler.setTimer(() => {
        const e = new Error(`the ${what} did not finish within ${ms} ms`);
        e.name = 'SettlementTimeout';
        reject(e);
      }, ms);
      settlement.then(
        () => {
          this.#scheduler.clearTimer(timer);
          resolve();
        },
        (e: unknown) => {
          this.#scheduler.clearTimer(timer);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }

  async #settle(
    receiver: ServiceBusReceiver,
    message: ServiceBusReceivedMessage,
    settle: Settle,
  ): Promise<void> {
    const { error } = settle;
    try {
      if (settle.kind === 'dead-letter') {
        await this.#settleAs(message, 'dead-letter', () =>
          receiver.deadLetterMessage(message, {
            deadLetterReason: settle.reason ?? error.code,
            deadLetterErrorDescription: error.message.slice(0, 1024),
          }),
        );
      } else {
        await this.#settleAs(message, 'abandon', () => receiver.abandonMessage(message));
      }
    } catch (e) {
      // The lock is gone: the broker redelivers (or dead-letters at maxDeliveryCount) itself.
      this.#log.warn(
        { code: error.code, sbCode: sbCode(e) },
        `could not ${settle.kind} a request: ${sbReason(e)}`,
      );
    }
    this.#log.warn(
      { code: settle.reason ?? error.code, messageId: idText(message.messageId) },
      error.message,
    );
  }
}

function envelopeRefused(e: unknown): RelayWorkError {
  if (e instanceof EnvelopeError) {
    return new RelayWorkError('RELAY_E_WORK_ENVELOPE', `${e.code}: ${e.message}`, {
      envCode: e.code,
    });
  }
  return internal(e);
}

function internal(e: unknown): RelayWorkError {
  return new RelayWorkError(
    'RELAY_E_WORK_MALFORMED',
    `the request could not be read: ${e instanceof Error ? e.message.slice(0, 200) : 'unknown'}`,
  );
}

function handlerError(e: unknown): RelayWorkError {
  return new RelayWorkError(
    'RELAY_E_WORK_HANDLER',
    `the handler failed: ${e instanceof Error ? e.message.slice(0, 200) : 'unknown error'}`,
  );
}

function checkResult(result: unknown, route: string): WorkResult {
  const bad = (what: string): RelayWorkError =>
    new RelayWorkError('RELAY_E_WORK_HANDLER', `the handler of ${route} returned ${what}`, {
      route,
    });
  if (typeof result !== 'object' || result === null) throw bad('no result');
  const r = result as Partial<WorkResult>;
  if (
    typeof r.status !== 'number' ||
    !Number.isInteger(r.status) ||
    r.status < 100 ||
    r.status > 599
  ) {
    throw bad('a status outside 100-599');
  }
  if (!(r.body instanceof Uint8Array)) throw bad('a body that is not bytes');
  if (r.contentType !== undefined && typeof r.contentType !== 'string') {
    throw bad('a contentType that is not text');
  }
  return {
    status: r.status,
    body: Buffer.from(r.body.buffer, r.body.byteOffset, r.body.byteLength),
    ...(r.contentType !== undefined ? { contentType: r.contentType } : {}),
  };
}

/** The codes a request can be dead-lettered with (deadLetterReason). */
export const DEAD_LETTER_REASONS: readonly RelayWorkCode[] = Object.freeze([
  'RELAY_E_WORK_MALFORMED',
  'RELAY_E_WORK_ENVELOPE',
  'RELAY_E_WORK_ROUTE',
  'RELAY_E_WORK_TOO_LARGE',
]);

/** Creates a work receiver (call start() to follow the session). */
export function createWorkReceiver(
  options: WorkReceiverOptionsInput,
  deps: WorkReceiverDeps,
): WorkReceiver {
  return new WorkReceiver(options, deps);
}
