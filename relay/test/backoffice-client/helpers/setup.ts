// The back-office client under test, with every HTTP outcome scripted by nock (no socket is
// ever opened: net connect is disabled) and time on a manual clock. In: config overrides and
// the jitter draws. Out: the client, the clock (which also says when a timer of a given delay is
// set, so a test advances time exactly when the client waits), the attempts seen by onAttempt,
// a nock scope for the council-tax host and a fresh idempotency key.
import { randomUUID } from 'node:crypto';
import nock from 'nock';
import { createBackOfficeClient, type BackOfficeClient } from '../../../src/work/backoffice';
import type { AttemptEvent } from '../../../src/work/backoffice/events';
import type { TimerHandle } from '../../../src/transports/scheduler';
import { ManualClock } from '../../helpers/manual-clock';

/** Tuesday 4 March 2025, 09:00:00 UTC. */
export const T0 = Date.UTC(2025, 2, 4, 9, 0, 0);
export const COUNCIL_TAX = 'http://council-tax.backoffice.test';
export const LICENSING = 'http://licensing.backoffice.test';
/** Distinct from every back-off delay the tests expect, so timers can be told apart. */
export const HEADERS_TIMEOUT_MS = 5_000;
export const BODY_TIMEOUT_MS = 7_000;

/** A manual clock that also tells when the client sets a timer of a given delay. */
export class WatchedClock extends ManualClock {
  readonly #waiters: { ms: number; resolve: () => void }[] = [];

  override setTimer(fn: () => void, ms: number): TimerHandle {
    const handle = super.setTimer(fn, ms);
    const i = this.#waiters.findIndex((w) => w.ms === ms);
    if (i >= 0) this.#waiters.splice(i, 1)[0]?.resolve();
    return handle;
  }

  /** Resolves when a timer of exactly `ms` is pending (at once if one is already). */
  timerSet(ms: number): Promise<void> {
    if (this.pending().includes(ms)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ ms, resolve }));
  }
}

export interface Setup {
  readonly client: BackOfficeClient;
  readonly clock: WatchedClock;
  readonly events: AttemptEvent[];
  /** Resolves with the n-th attempt event (0-based) once it has been published. */
  event(n: number): Promise<AttemptEvent>;
  readonly councilTax: nock.Scope;
  readonly licensing: nock.Scope;
  key(): string;
}

/** Disables real connections for the test and restores nock in teardown. */
export function isolate(t: tap.Test): void {
  nock.disableNetConnect();
  t.teardown(() => {
    nock.abortPendingRequests();
    nock.cleanAll();
    nock.enableNetConnect();
  });
}

export function setup(
  t: tap.Test,
  overrides: Record<string, unknown> = {},
  draws: readonly number[] = [],
): Setup {
  isolate(t);
  const clock = new WatchedClock(T0);
  const events: AttemptEvent[] = [];
  const waiters = new Map<number, (e: AttemptEvent) => void>();
  const queue = [...draws];
  const client = createBackOfficeClient(
    {
      services: { 'council-tax': `${COUNCIL_TAX}/api`, licensing: LICENSING },
      headersTimeoutMs: HEADERS_TIMEOUT_MS,
      bodyTimeoutMs: BODY_TIMEOUT_MS,
      ...overrides,
    },
    {
      scheduler: clock,
      random: () => queue.shift() ?? 0,
      onAttempt: (e) => {
        events.push(e);
        waiters.get(events.length - 1)?.(e);
      },
    },
  );
  return {
    client,
    clock,
    events,
    event: (n) => {
      const seen = events[n];
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.set(n, resolve));
    },
    councilTax: nock(COUNCIL_TAX),
    licensing: nock(LICENSING),
    key: () => `msg-${randomUUID()}`,
  };
}

/** Everything a readable gives, as text. */
export async function drain(body: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of body) {
    parts.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  }
  return Buffer.concat(parts).toString('utf8');
}

/** The rejection of `p`, or a failure if it resolves. */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection, got a value');
}
