// Bounded concurrency per route. In: acquire(route, signal, holds) from each back-office call.
// Out: a release function once one of the route's maxConcurrent slots is free, after a FIFO wait
// among at most maxQueued others; beyond that RELAY_E_BACKOFFICE_BUSY at once (the caller fails
// the work: 503 over Hybrid Connections), and RELAY_E_BACKOFFICE_ABORTED when the signal fires
// while waiting. A caller that holds its work (a Service Bus message) waits however many wait:
// the receiver's credit bounds their number, and refusing it would only send the message round
// the broker, one of its deliveries used each time. A route with nothing running or waiting
// holds no state: no queue grows without bound.
import { RelayBackOfficeError } from './errors';

export interface LimiterOptions {
  /** Calls running at once per route. */
  readonly maxConcurrent: number;
  /** Calls waiting per route for a slot; beyond this the call is refused. */
  readonly maxQueued: number;
}

/** Gives a slot back; calling it again does nothing. */
export type Release = () => void;

interface Waiter {
  readonly grant: (release: Release) => void;
}

interface RouteState {
  active: number;
  readonly queue: Waiter[];
}

export interface RouteLoad {
  readonly active: number;
  readonly queued: number;
}

export class RouteLimiter {
  readonly #options: LimiterOptions;
  readonly #routes = new Map<string, RouteState>();

  constructor(options: LimiterOptions) {
    this.#options = options;
  }

  /** Slots in use and calls waiting on `route` now. */
  load(route: string): RouteLoad {
    const s = this.#routes.get(route);
    return { active: s?.active ?? 0, queued: s?.queue.length ?? 0 };
  }

  /** True when a call on `route` would have to wait or be refused: a cue to lower credit. */
  saturated(route: string): boolean {
    return this.load(route).active >= this.#options.maxConcurrent;
  }

  /**
   * A slot on `route`. `holds`: the caller holds its work and may wait past maxQueued (its
   * number is bounded elsewhere: the Service Bus receiver's credit).
   */
  acquire(route: string, signal?: AbortSignal, holds = false): Promise<Release> {
    if (signal?.aborted === true) {
      return Promise.reject(aborted(route));
    }
    let s = this.#routes.get(route);
    if (s === undefined) {
      s = { active: 0, queue: [] };
      this.#routes.set(route, s);
    }
    if (s.active < this.#options.maxConcurrent) {
      s.active++;
      return Promise.resolve(this.#releaser(route, s));
    }
    if (!holds && s.queue.length >= this.#options.maxQueued) {
      return Promise.reject(
        new RelayBackOfficeError(
          'RELAY_E_BACKOFFICE_BUSY',
          `the route ${route} has ${s.active} back-office calls running and ${s.queue.length} waiting`,
          { route, active: s.active, queued: s.queue.length },
        ),
      );
    }
    const state = s;
    return new Promise<Release>((resolve, reject) => {
      const onAbort = (): void => {
        const i = state.queue.indexOf(waiter);
        if (i >= 0) state.queue.splice(i, 1);
        this.#forget(route, state);
        reject(aborted(route));
      };
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      state.queue.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #releaser(route: string, s: RouteState): Release {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = s.queue.shift();
      if (next !== undefined) {
        // The slot passes straight to the longest waiter: `active` is unchanged.
        next.grant(this.#releaser(route, s));
        return;
      }
      s.active--;
      this.#forget(route, s);
    };
  }

  #forget(route: string, s: RouteState): void {
    if (s.active === 0 && s.queue.length === 0 && this.#routes.get(route) === s) {
      this.#routes.delete(route);
    }
  }
}

function aborted(route: string): RelayBackOfficeError {
  return new RelayBackOfficeError(
    'RELAY_E_BACKOFFICE_ABORTED',
    `the call on route ${route} was aborted while waiting for a slot`,
    { route },
  );
}
