// The handshake's failure limiter for one tenant. In: the times of failed handshakes. Out:
// whether the tenant is in back-off. The `maxFailures`-th failure within a rolling `windowMs`
// starts a back-off of `backoffMs`; during it every HELLO for the tenant is refused (and not
// counted, so a relay retrying politely does not extend it); afterwards counting starts afresh.

export interface RateLimits {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly backoffMs: number;
}

export class FailureLimiter {
  /** Times of failures inside the current window, oldest first; fewer than maxFailures. */
  #failures: number[] = [];
  #blockedUntil = Number.NEGATIVE_INFINITY;

  constructor(readonly limits: RateLimits) {}

  /** True while the tenant is in back-off. */
  blocked(now: number): boolean {
    return now < this.#blockedUntil;
  }

  /** When the current (or last) back-off ends, in ms; -Infinity when there was none. */
  get blockedUntil(): number {
    return this.#blockedUntil;
  }

  /** Records one failed handshake at `now`. Ignored during a back-off. */
  fail(now: number): void {
    if (this.blocked(now)) return;
    const since = now - this.limits.windowMs;
    this.#failures = this.#failures.filter((at) => at > since);
    this.#failures.push(now);
    if (this.#failures.length >= this.limits.maxFailures) {
      this.#blockedUntil = now + this.limits.backoffMs;
      this.#failures = [];
    }
  }
}
