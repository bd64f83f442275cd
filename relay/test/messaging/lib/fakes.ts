// Fakes for the messaging unit tests (no simulator: relay/test may not import it). In: what a
// test wants the "namespace" to do. Out: a ServiceBusClient stand-in whose senders record what
// they sent and whose session receivers hand out queued answers (or wait until aborted); a
// manual clock implementing the relay's Scheduler; a session gate a test flips by hand.
import type {
  MessageHandlers,
  ServiceBusClient,
  ServiceBusMessage,
  ServiceBusReceivedMessage,
} from '@azure/service-bus';
import type { SessionGate } from '../../../src/messaging';
import { ManualClock as BaseClock } from '../../helpers/manual-clock';

/** The shared manual clock, starting at a fixed instant. */
export class ManualClock extends BaseClock {
  constructor(start = 1_700_000_000_000) {
    super(start);
  }
}

/** Lets pending promise callbacks run (a few turns of the microtask and macrotask queues). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export interface Sent {
  readonly entity: string;
  readonly message: ServiceBusMessage;
}

/**
 * A namespace stand-in. `answer` decides, for each HELLO sent, what lands on the reply session
 * (a body, or undefined for silence). Receivers wait for a queued answer or for their abort.
 */
export class FakeNamespace {
  readonly sent: Sent[] = [];
  readonly accepted: string[] = [];
  readonly receiversOpened: string[] = [];
  readonly receiversClosed: string[] = [];
  /** The handlers given to subscribe() on `requests`, in order. */
  readonly subscriptions: MessageHandlers[] = [];
  /** What complete, abandon and dead-letter on a `requests` receiver return. */
  settle: () => Promise<void> = () => Promise.resolve();
  answer: (hello: ServiceBusMessage) => string | undefined = () => undefined;
  /** The enqueued time the namespace stamps on each answer (default: none). */
  enqueuedAt: (() => Date) | undefined = undefined;
  readonly #inbox = new Map<string, ServiceBusReceivedMessage[]>();
  readonly #waiting = new Map<string, () => void>();

  /** Puts a message on a reply session before anything is sent (an answer to an older HELLO). */
  preload(sessionId: string, body: string, correlationId: string): void {
    const list = this.#inbox.get(sessionId) ?? [];
    list.push({ body: Buffer.from(body), correlationId } as unknown as ServiceBusReceivedMessage);
    this.#inbox.set(sessionId, list);
  }

  client(): ServiceBusClient {
    const fake = {
      createSender: (entity: string) => ({
        isClosed: false,
        sendMessages: (message: ServiceBusMessage): Promise<void> => {
          this.sent.push({ entity, message });
          const body = this.answer(message);
          const session = message.replyToSessionId;
          if (body !== undefined && session !== undefined) {
            const list = this.#inbox.get(session) ?? [];
            list.push({
              body: Buffer.from(body),
              correlationId: message.messageId,
              ...(this.enqueuedAt === undefined ? {} : { enqueuedTimeUtc: this.enqueuedAt() }),
            } as unknown as ServiceBusReceivedMessage);
            this.#inbox.set(session, list);
            this.#waiting.get(session)?.();
          }
          return Promise.resolve();
        },
        close: () => Promise.resolve(),
      }),
      acceptSession: (_entity: string, sessionId: string) => {
        this.accepted.push(sessionId);
        const take = (): ServiceBusReceivedMessage[] | undefined => {
          const next = this.#inbox.get(sessionId)?.shift();
          return next === undefined ? undefined : [next];
        };
        return Promise.resolve({
          receiveMessages: (
            _n: number,
            options: { abortSignal?: AbortSignal },
          ): Promise<ServiceBusReceivedMessage[]> => {
            const now = take();
            if (now !== undefined) return Promise.resolve(now);
            return new Promise((resolve, reject) => {
              const waiter = (): void => {
                const got = take();
                if (got === undefined) return;
                this.#waiting.delete(sessionId);
                resolve(got);
              };
              this.#waiting.set(sessionId, waiter);
              options.abortSignal?.addEventListener('abort', () => {
                if (this.#waiting.get(sessionId) === waiter) this.#waiting.delete(sessionId);
                reject(new Error('aborted'));
              });
            });
          },
          completeMessage: () => Promise.resolve(),
          close: () => Promise.resolve(),
        });
      },
      createReceiver: (entity: string) => {
        this.receiversOpened.push(entity);
        return {
          subscribe: (handlers: MessageHandlers) => {
            this.subscriptions.push(handlers);
            return { close: () => Promise.resolve() };
          },
          completeMessage: () => this.settle(),
          abandonMessage: () => this.settle(),
          deadLetterMessage: () => this.settle(),
          close: () => {
            this.receiversClosed.push(entity);
            return Promise.resolve();
          },
        };
      },
    };
    return fake as unknown as ServiceBusClient;
  }
}

/** A session gate a test flips by hand. */
export class ManualGate implements SessionGate {
  #live = false;
  readonly #watchers = new Set<(live: boolean) => void>();

  isLive(): boolean {
    return this.#live;
  }

  onChange(fn: (live: boolean) => void): () => void {
    this.#watchers.add(fn);
    return () => this.#watchers.delete(fn);
  }

  set(live: boolean): void {
    if (live === this.#live) return;
    this.#live = live;
    for (const fn of this.#watchers) fn(live);
  }
}
