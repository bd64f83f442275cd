// The handshake's replay cache for one tenant. In: the keys of an authenticated HELLO (its
// salt and its relay nonce, as text) and the time. Out: "admitted", "seen" (a replay within
// the window) or "full". Bounded both in entries and in estimated bytes; at a bound it refuses
// the newcomer instead of forgetting an unexpired entry, so a replay can never slip through.

/** Estimated heap cost of one entry beyond its key text (map slot, number, bookkeeping). */
export const REPLAY_ENTRY_OVERHEAD_BYTES = 64;

export interface ReplayCacheLimits {
  /** How long a key is remembered, in milliseconds. */
  readonly windowMs: number;
  /** At most this many keys are held at once. */
  readonly maxEntries: number;
  /** At most this many estimated bytes are held at once (see replayEntryCost). */
  readonly maxBytes: number;
}

export type Admission = 'admitted' | 'seen' | 'full';

/** Estimated bytes one key costs: its UTF-16 text plus a fixed overhead. */
export function replayEntryCost(key: string): number {
  return REPLAY_ENTRY_OVERHEAD_BYTES + 2 * key.length;
}

export class ReplayCache {
  /** key → expiry time (ms). Insertion order is expiry order while the clock moves forward. */
  readonly #expiries = new Map<string, number>();
  #bytes = 0;

  constructor(readonly limits: ReplayCacheLimits) {}

  /** Keys currently held (expired ones are dropped on the next admit or prune). */
  get size(): number {
    return this.#expiries.size;
  }

  /** Estimated bytes currently held. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Records all of `keys` at `now`, atomically: nothing is recorded unless every key is unseen
   * within the window and all of them fit within both bounds.
   */
  admit(keys: readonly string[], now: number): Admission {
    this.prune(now);
    for (const key of keys) {
      const expiry = this.#expiries.get(key);
      if (expiry === undefined) continue;
      if (expiry > now) return 'seen';
      this.#remove(key); // expired but out of order (the clock went back): forget it
    }
    const cost = keys.reduce((sum, key) => sum + replayEntryCost(key), 0);
    if (
      this.#expiries.size + keys.length > this.limits.maxEntries ||
      this.#bytes + cost > this.limits.maxBytes
    ) {
      return 'full';
    }
    for (const key of keys) this.#expiries.set(key, now + this.limits.windowMs);
    this.#bytes += cost;
    return 'admitted';
  }

  /** Drops expired keys, oldest first. */
  prune(now: number): void {
    for (const [key, expiry] of this.#expiries) {
      if (expiry > now) break;
      this.#remove(key);
    }
  }

  #remove(key: string): void {
    if (this.#expiries.delete(key)) this.#bytes -= replayEntryCost(key);
  }
}
