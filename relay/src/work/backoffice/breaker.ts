// A circuit breaker for one back-office service. In: the outcome of each attempt (success,
// transient failure, a failure that trips it at once, neither) and an injected clock. Out:
// whether the next attempt may go out (closed; half-open for a bounded number of probes) or
// must fail fast (open, with the time until a probe is allowed); state changes on
// `relay:backoffice:breaker`. No timers, no IO: open → half-open happens when the clock has
// passed openMs and the state is next looked at.
import { publishBreaker, type BreakerState } from './events';

export interface BreakerOptions {
  /** Consecutive transient failures that open the breaker. */
  readonly failureThreshold: number;
  /** How long it stays open before a probe is allowed. */
  readonly openMs: number;
  /** Attempts allowed at once while half-open. */
  readonly halfOpenProbes: number;
}

/** What tryAcquire() hands out: give it back to exactly one of success/failure/neutral. */
export interface BreakerTicket {
  /** True when this attempt is a half-open probe. */
  readonly probe: boolean;
}

export type BreakerGate =
  | { readonly ok: true; readonly ticket: BreakerTicket }
  | { readonly ok: false; readonly retryInMs: number };

const PROBE: BreakerTicket = Object.freeze({ probe: true });
const NORMAL: BreakerTicket = Object.freeze({ probe: false });

export class CircuitBreaker {
  readonly service: string;
  readonly #options: BreakerOptions;
  readonly #now: () => number;
  #state: BreakerState = 'closed';
  #failures = 0;
  #openedAt = 0;
  #probes = 0;

  constructor(service: string, options: BreakerOptions, clock: { now(): number }) {
    this.service = service;
    this.#options = options;
    this.#now = () => clock.now();
  }

  /** The state now (an open breaker whose openMs has passed turns half-open here). */
  get state(): BreakerState {
    if (this.#state === 'open' && this.#now() - this.#openedAt >= this.#options.openMs) {
      this.#probes = 0;
      this.#move('half-open');
    }
    return this.#state;
  }

  /** Consecutive transient failures counted while closed. */
  get failures(): number {
    return this.#failures;
  }

  /**
   * May an attempt go out now? Closed: yes. Open: no, retryInMs until half-open. Half-open:
   * yes as a probe while fewer than halfOpenProbes are out, else no (retryInMs 0: a probe
   * is under way and decides).
   */
  tryAcquire(): BreakerGate {
    const state = this.state;
    if (state === 'closed') return { ok: true, ticket: NORMAL };
    if (state === 'open') {
      return {
        ok: false,
        retryInMs: Math.max(0, this.#openedAt + this.#options.openMs - this.#now()),
      };
    }
    if (this.#probes >= this.#options.halfOpenProbes) return { ok: false, retryInMs: 0 };
    this.#probes++;
    return { ok: true, ticket: PROBE };
  }

  /** The service answered (2xx-4xx and permanent 5xx alike: it is up). Closes a half-open breaker. */
  success(ticket: BreakerTicket): void {
    const state = this.state;
    this.#release(ticket, state);
    if (state === 'closed') this.#failures = 0;
    else if (state === 'half-open') {
      this.#failures = 0;
      this.#move('closed');
    }
    // Open: a late answer to an attempt from before the breaker opened changes nothing.
  }

  /** A transient failure: counts towards opening; a failed probe opens the breaker again. */
  failure(ticket: BreakerTicket): void {
    const state = this.state;
    this.#release(ticket, state);
    if (state === 'closed') {
      this.#failures++;
      if (this.#failures >= this.#options.failureThreshold) this.#open();
    } else if (state === 'half-open' && ticket.probe) {
      this.#open();
    }
  }

  /**
   * A failure that says the service is down for a while (a Retry-After longer than a call
   * waits): opens the breaker now, whatever the count; an open one stays as it is.
   */
  trip(ticket: BreakerTicket): void {
    const state = this.state;
    this.#release(ticket, state);
    if (state !== 'open') this.#open();
  }

  /** Neither (the caller aborted, or the request was unusable): only frees a probe slot. */
  neutral(ticket: BreakerTicket): void {
    this.#release(ticket, this.state);
  }

  #release(ticket: BreakerTicket, state: BreakerState): void {
    if (ticket.probe && state === 'half-open' && this.#probes > 0) this.#probes--;
  }

  #open(): void {
    this.#openedAt = this.#now();
    this.#failures = 0;
    this.#probes = 0;
    this.#move('open');
  }

  #move(next: BreakerState): void {
    const previous = this.#state;
    if (previous === next) return;
    this.#state = next;
    publishBreaker({ service: this.service, state: next, previous });
  }
}
